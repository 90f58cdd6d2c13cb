//! Isolated calls: undo, after a call, every write it made to objects that
//! existed before it started.
//!
//! A host that wants each call to see the same state (VerneMQ's
//! `keep_state = false`) opens an *isolation* before the call and rolls it
//! back afterwards. Copying or diffing the heap would cost time proportional
//! to the heap; instead the VM keeps a **write log** while an isolation is
//! open, so the cost is proportional to the writes the call made.
//!
//! # How objects are told apart
//! Every table, upvalue and userdata records the *generation* it was born in
//! (`born` vectors indexed like the heap arenas, written on every
//! allocation). Opening an isolation starts a new generation; an object is
//! *old* for the open isolation when it was born in an earlier generation.
//! Only writes to old objects are logged: objects created by the call are
//! unreachable from the old ones once those are restored, so they need no
//! undo and become garbage (unless the host kept a handle to them).
//!
//! # What is logged (each entry keeps the value it replaces)
//! - a field store into an old table (every path: the VM's stores, `rawset`,
//!   the `table` library, the embedding API);
//! - a metatable change of an old table or userdata, and of a basic type's
//!   shared metatable;
//! - a store into an old upvalue (open or closed);
//! - a userdata's user value (`debug.setuservalue`).
//!
//! # What is not restored
//! - the Rust data inside userdata (host state: the host decides);
//! - coroutines that existed before the call and were resumed by it (their
//!   stacks and status move on);
//! - entries the collector removed from weak tables during the call;
//! - finalisers that ran.
//!
//! # Invariants (tested in `tests/api_isolation.rs` and below)
//! 1. While an isolation is open, every mutation of an old object listed
//!    above goes through a barrier ([`IsoLog::table_is_old`] and friends)
//!    *before* the write. The first write to a location in an isolation
//!    logs the value it had; later writes to the same location only check
//!    a set, so a loop assigning a global a million times logs one entry
//!    and keeps no intermediate value alive. Undoing in reverse order
//!    restores the value from before the isolation.
//! 2. Logged values (tables, keys, old values) are GC roots until the log
//!    entry is gone, so an old object dropped by the call is still alive to
//!    be put back. Consequence: an object that was reachable before the call
//!    and that the call drops is not collected (nor finalised, nor removed
//!    from weak tables) before the isolation closes.
//! 3. Isolations nest: each keeps the log length at its start and its own
//!    set of logged locations; rolling back undoes only the entries after
//!    its start. Committing an inner isolation hands its entries to the
//!    outer one (which may log the same location again: harmless, the
//!    older entry is undone last).
//! 4. Log entries are charged to the heap's memory estimate, so a call that
//!    writes without end meets the memory limit instead of growing the log
//!    without bound.
//!
//! The fast path (`fast.rs`) checks [`IsoLog::active`] and leaves stores to
//! old objects to the general path, which logs them.

use crate::object::UpVal;
use crate::value::{TableRef, UdRef, UpvalRef, Value};
use crate::vm::Vm;
use std::collections::HashSet;

/// Bytes charged to the memory estimate per log entry.
const ENTRY_SIZE: usize = std::mem::size_of::<Undo>() + 8;

/// One undoable write.
#[derive(Clone, Copy, Debug)]
enum Undo {
    Field { t: TableRef, key: Value, old: Value },
    TableMeta { t: TableRef, old: Option<TableRef> },
    UdMeta { u: UdRef, old: Option<TableRef> },
    UserValue { u: UdRef, old: Value },
    TypeMeta { idx: usize, old: Option<TableRef> },
    Upval { u: UpvalRef, old: Value },
}

/// An open isolation.
#[derive(Debug)]
struct Level {
    /// `active` before this isolation opened.
    prev_active: u64,
    /// Log length when it opened.
    start: usize,
    /// What this isolation has already logged: only the first write to a
    /// location needs its old value, so later writes to it cost a lookup
    /// and keep nothing alive.
    seen: HashSet<Slot>,
}

/// A written location: (kind and key type, object index, key payload).
type Slot = (u32, u32, u64);

fn slot(kind: u32, obj: u32, key: Value) -> Slot {
    // -0 and 0 are the same key (the guard says it: a `0.0` pattern
    // matches -0 too, but does not show it)
    #[allow(clippy::redundant_guards)]
    let key = match key {
        Value::Num(n) if n == 0.0 => Value::Num(0.0),
        k => k,
    };
    let (tag, payload) = key.words();
    (kind << 8 | tag as u32, obj, payload)
}

const K_FIELD: u32 = 1;
const K_TABLE_META: u32 = 2;
const K_UD_META: u32 = 3;
const K_USER_VALUE: u32 = 4;
const K_TYPE_META: u32 = 5;
const K_UPVAL: u32 = 6;

/// The write log and the birth generations (one per heap).
#[derive(Debug)]
pub struct IsoLog {
    /// Generation new objects are born in (64 bits: never wraps; a host
    /// isolating every call must not hit a limit).
    gen: u64,
    /// Objects born before this generation are old; 0 when no isolation is open.
    pub(crate) active: u64,
    pub(crate) table_born: Vec<u64>,
    pub(crate) upval_born: Vec<u64>,
    ud_born: Vec<u64>,
    log: Vec<Undo>,
    levels: Vec<Level>,
}

impl Default for IsoLog {
    fn default() -> Self {
        IsoLog {
            gen: 1,
            active: 0,
            table_born: Vec::new(),
            upval_born: Vec::new(),
            ud_born: Vec::new(),
            log: Vec::new(),
            levels: Vec::new(),
        }
    }
}

#[inline]
fn set_born(v: &mut Vec<u64>, i: usize, gen: u64) {
    if i >= v.len() {
        v.resize(i + 1, 0);
    }
    v[i] = gen;
}

impl IsoLog {
    #[inline]
    pub(crate) fn born_table(&mut self, t: TableRef) {
        set_born(&mut self.table_born, t.idx(), self.gen);
    }

    #[inline]
    pub(crate) fn born_upval(&mut self, u: UpvalRef) {
        set_born(&mut self.upval_born, u.idx(), self.gen);
    }

    #[inline]
    pub(crate) fn born_userdata(&mut self, u: UdRef) {
        set_born(&mut self.ud_born, u.idx(), self.gen);
    }

    /// Whether a store into table `t` must be logged.
    #[inline(always)]
    pub(crate) fn table_is_old(&self, t: TableRef) -> bool {
        self.active != 0 && self.table_born[t.idx()] < self.active
    }

    #[inline(always)]
    pub(crate) fn upval_is_old(&self, u: UpvalRef) -> bool {
        self.active != 0 && self.upval_born[u.idx()] < self.active
    }

    #[inline(always)]
    fn ud_is_old(&self, u: UdRef) -> bool {
        self.active != 0 && self.ud_born[u.idx()] < self.active
    }

    /// Number of open isolations.
    pub fn depth(&self) -> usize {
        self.levels.len()
    }

    /// Entries in the log (all open isolations).
    pub fn logged(&self) -> usize {
        self.log.len()
    }

    /// The upvalues the log will write back into (kept alive by the collector).
    pub(crate) fn upvals(&self) -> impl Iterator<Item = UpvalRef> + '_ {
        self.log.iter().filter_map(|e| match *e {
            Undo::Upval { u, .. } => Some(u),
            _ => None,
        })
    }

    /// Whether location `s` is logged for the first time in the innermost
    /// isolation (and remember it).
    #[inline]
    fn first_write(&mut self, s: Slot) -> bool {
        match self.levels.last_mut() {
            Some(l) => l.seen.insert(s),
            None => false,
        }
    }

    /// Every value the log keeps alive.
    pub(crate) fn roots(&self, out: &mut Vec<Value>) {
        for e in &self.log {
            match *e {
                Undo::Field { t, key, old } => out.extend([Value::Table(t), key, old]),
                Undo::TableMeta { t, old } => {
                    out.push(Value::Table(t));
                    out.extend(old.map(Value::Table));
                }
                Undo::UdMeta { u, old } => {
                    out.push(Value::UserData(u));
                    out.extend(old.map(Value::Table));
                }
                Undo::UserValue { u, old } => out.extend([Value::UserData(u), old]),
                Undo::TypeMeta { old, .. } => out.extend(old.map(Value::Table)),
                // the upvalue itself is marked through `upvals()`
                Undo::Upval { old, .. } => out.push(old),
            }
        }
    }
}

impl crate::gc::Heap {
    #[inline]
    fn push_undo(&mut self, e: Undo) {
        self.iso.log.push(e);
        self.bytes += ENTRY_SIZE;
    }

    /// Barrier before a store of `key` into table `t`.
    #[inline]
    pub(crate) fn log_field(&mut self, t: TableRef, key: Value) {
        if self.iso.table_is_old(t) {
            self.log_field_slow(t, key);
        }
    }

    #[cold]
    #[inline(never)]
    fn log_field_slow(&mut self, t: TableRef, key: Value) {
        if !self.iso.first_write(slot(K_FIELD, t.0, key)) {
            return;
        }
        let old = self.table(t).get(key);
        self.push_undo(Undo::Field { t, key, old });
    }

    /// Barrier before a store into the array slots `first..first+n` of `t`.
    pub(crate) fn log_fields(&mut self, t: TableRef, first: usize, n: usize) {
        if self.iso.table_is_old(t) {
            for i in first..first + n {
                self.log_field_slow(t, Value::Num(i as f64));
            }
        }
    }

    /// Barrier before a metatable change.
    pub(crate) fn log_meta(&mut self, v: Value, type_meta: &[Option<TableRef>]) {
        if self.iso.active == 0 {
            return;
        }
        match v {
            Value::Table(t) => {
                if self.iso.table_is_old(t) && self.iso.first_write(slot(K_TABLE_META, t.0, Value::Nil)) {
                    let old = self.table(t).meta;
                    self.push_undo(Undo::TableMeta { t, old });
                }
            }
            Value::UserData(u) => {
                if self.iso.ud_is_old(u) && self.iso.first_write(slot(K_UD_META, u.0, Value::Nil)) {
                    let old = self.userdata.get(u.idx()).meta;
                    self.push_undo(Undo::UdMeta { u, old });
                }
            }
            other => {
                let idx = other.type_of() as usize;
                if !self.iso.first_write(slot(K_TYPE_META, idx as u32, Value::Nil)) {
                    return;
                }
                self.push_undo(Undo::TypeMeta { idx, old: type_meta[idx] });
            }
        }
    }

    /// Barrier before a userdata's user value changes.
    pub(crate) fn log_user_value(&mut self, u: UdRef) {
        if self.iso.ud_is_old(u) && self.iso.first_write(slot(K_USER_VALUE, u.0, Value::Nil)) {
            let old = self.userdata.get(u.idx()).user_value;
            self.push_undo(Undo::UserValue { u, old });
        }
    }
}

impl Vm {
    /// Barrier before a store into upvalue `u`.
    #[inline]
    pub(crate) fn log_upval(&mut self, u: UpvalRef) {
        if self.heap.iso.upval_is_old(u) && self.heap.iso.first_write(slot(K_UPVAL, u.0, Value::Nil)) {
            let old = self.upval_get(u);
            self.heap.push_undo(Undo::Upval { u, old });
        }
    }

    /// Open an isolation: from now on, writes to the objects that exist are
    /// logged. Returns the new depth.
    pub fn isolation_begin(&mut self) -> usize {
        let iso = &mut self.heap.iso;
        iso.levels.push(Level { prev_active: iso.active, start: iso.log.len(), seen: HashSet::new() });
        // 64 bits: a million isolations a second would take 580,000 years
        iso.gen += 1;
        iso.active = iso.gen;
        iso.levels.len()
    }

    /// Close the innermost isolation, undoing its writes in reverse order.
    /// Returns the number of writes undone; 0 when no isolation is open.
    pub fn isolation_rollback(&mut self) -> usize {
        let Some(level) = self.heap.iso.levels.pop() else {
            return 0;
        };
        let n = self.heap.iso.log.len() - level.start;
        while self.heap.iso.log.len() > level.start {
            let e = self.heap.iso.log.pop().expect("log entry");
            self.heap.bytes = self.heap.bytes.saturating_sub(ENTRY_SIZE);
            self.undo(e);
        }
        // objects born from now on keep this isolation's generation, which
        // is newer than the outer one's: new to it, as they should be
        self.heap.iso.active = level.prev_active;
        n
    }

    /// Close the innermost isolation keeping its writes. An outer isolation
    /// still undoes them when it rolls back.
    pub fn isolation_commit(&mut self) {
        let Some(level) = self.heap.iso.levels.pop() else {
            return;
        };
        self.heap.iso.active = level.prev_active;
        if self.heap.iso.levels.is_empty() {
            let n = self.heap.iso.log.len();
            self.heap.iso.log.clear();
            self.heap.bytes = self.heap.bytes.saturating_sub(n * ENTRY_SIZE);
        }
    }

    fn undo(&mut self, e: Undo) {
        match e {
            Undo::Field { t, key, old } => {
                let tb = self.heap.table_mut(t);
                // the key was valid for the store being undone
                let delta = tb.set(key, old).unwrap_or(0);
                // a restored field may be a metamethod the cache says is absent
                tb.absent = 0;
                self.heap.adjust(delta);
            }
            Undo::TableMeta { t, old } => {
                let tb = self.heap.table_mut(t);
                tb.meta = old;
                tb.absent = 0;
            }
            Undo::UdMeta { u, old } => self.heap.userdata.get_mut(u.idx()).meta = old,
            Undo::UserValue { u, old } => self.heap.userdata.get_mut(u.idx()).user_value = old,
            Undo::TypeMeta { idx, old } => self.type_meta[idx] = old,
            Undo::Upval { u, old } => match *self.heap.upvals.get(u.idx()) {
                UpVal::Closed(_) => *self.heap.upvals.get_mut(u.idx()) = UpVal::Closed(old),
                UpVal::Open { thread, idx } => {
                    let idx = idx as usize;
                    if thread == self.cur {
                        if idx < self.th.stack.len() {
                            self.th.stack[idx] = old;
                        }
                    } else if self.heap.threads.is_live(thread.idx()) {
                        let st = &mut self.heap.threads.get_mut(thread.idx()).stack;
                        if idx < st.len() {
                            st[idx] = old;
                        }
                    }
                }
            },
        }
    }
}
