//! The heap and its tracing collector.
//!
//! Objects live in typed arenas ([`Arena`]) addressed by the handles of
//! [`crate::value`]. The collector is a stop-the-world mark and sweep that
//! runs only at *safepoints* (allocation instructions in the dispatch loop and
//! native-call returns), where every live value is reachable from a root: the
//! registry, the type metatables, the pre-interned names, every thread's live
//! stack, the API handle roots and the values queued for finalisation.
//! Native functions therefore never see a collection in the middle of their
//! work unless they call back into Lua, and must keep values they still need
//! on the stack when they do.
//!
//! Weak tables (`__mode` with `k` and/or `v`), ephemerons (weak keys keep
//! their values alive only while the key is alive) and `__gc` finalisers with
//! resurrection follow Lua 5.2: values of weak tables that point to objects
//! about to be finalised are cleared before resurrection, keys after.
//! Strings are values, never removed from weak tables.
//!
//! Memory accounting is an estimate of the bytes owned by each object; it
//! drives the pacing (`pause`) and the memory limit.

use crate::object::{Closure, Thread, UpVal, UserData};
use crate::table::Table;
use crate::value::{FuncRef, StrRef, TableRef, ThreadRef, UdRef, UpvalRef, Value};
use crate::vm::Vm;
use hashbrown::HashTable;

/// A slab of objects with a free list and a mark bit per slot.
pub struct Arena<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    marks: Vec<bool>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { slots: Vec::new(), free: Vec::new(), marks: Vec::new() }
    }
}

impl<T> Arena<T> {
    #[inline(always)]
    pub fn insert(&mut self, v: T) -> u32 {
        self.insert_with(|| v)
    }

    /// Insert the object `make` builds once its slot is chosen. Inlined,
    /// with nothing between building the object and storing it, so that it
    /// is written straight into its slot rather than built elsewhere and
    /// copied (see `Table::presize`).
    #[inline(always)]
    pub fn insert_with(&mut self, make: impl FnOnce() -> T) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                self.marks[i as usize] = false;
                i
            }
            None => {
                self.slots.push(None);
                self.marks.push(false);
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[i as usize];
        debug_assert!(slot.is_none(), "a free arena slot holds an object");
        // Free slots are empty (sweep takes the object out): nothing to
        // drop, so no call to `free` between building and storing.
        std::mem::forget(slot.replace(make()));
        i
    }

    #[inline(always)]
    pub fn get(&self, i: usize) -> &T {
        match &self.slots[i] {
            Some(v) => v,
            None => dead_handle(),
        }
    }

    #[inline(always)]
    pub fn get_mut(&mut self, i: usize) -> &mut T {
        match &mut self.slots[i] {
            Some(v) => v,
            None => dead_handle(),
        }
    }

    /// The object in slot `i`, if that slot holds one.
    #[inline]
    pub fn try_get(&self, i: usize) -> Option<&T> {
        self.slots.get(i).and_then(|s| s.as_ref())
    }

    pub fn is_live(&self, i: usize) -> bool {
        self.try_get(i).is_some()
    }

    /// Set the mark; returns true if it was not set before.
    #[inline]
    fn mark(&mut self, i: usize) -> bool {
        !std::mem::replace(&mut self.marks[i], true)
    }

    #[inline]
    fn is_marked(&self, i: usize) -> bool {
        self.marks[i]
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free every unmarked slot, clear all marks; `on_free` sees each object
    /// before it is dropped (in place: no move of the object out of its
    /// slot), and may take parts of it to reuse (a table's buffers).
    fn sweep(&mut self, mut on_free: impl FnMut(u32, &mut T)) {
        for i in 0..self.slots.len() {
            if self.marks[i] {
                self.marks[i] = false;
            } else if let Some(v) = &mut self.slots[i] {
                on_free(i as u32, v);
                self.slots[i] = None;
                self.free.push(i as u32);
            }
        }
    }
}

#[cold]
#[inline(never)]
fn dead_handle() -> ! {
    panic!("oxilua internal error: use of a collected object (a GC rooting bug)")
}

/// An interned string with its hash.
pub struct LStr {
    pub bytes: Box<[u8]>,
    pub hash: u64,
}

/// Strings longer than this are hashed by sampling.
const HASH_FULL_LIMIT: usize = 64;

/// The heap size the pause applies to is at least this: with the default
/// pause (200 %) a small state collects every 1 MiB of allocation rather
/// than every few KiB. A full collection marks everything that is live
/// (the standard library alone is ~50 KiB), so a per-call workload such as
/// a broker hook (a few hundred bytes of garbage per call) would otherwise
/// spend most of its collector time re-marking the same live objects. The
/// memory limit still forces earlier collections (see `full_gc`).
pub const MIN_GC_BASE: usize = 512 * 1024;

pub fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    #[inline(always)]
    fn mix(h: u64, w: u64) -> u64 {
        (h ^ w).wrapping_mul(K).rotate_left(29)
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (b.len() as u64);
    if b.len() <= HASH_FULL_LIMIT {
        // eight bytes at a time, then the tail as one zero-padded word
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            h = mix(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = mix(h, u64::from_le_bytes(w));
        }
    } else {
        // long strings: a sample of bytes spread over the whole string, and
        // the last 16 bytes, so strings differing at the end differ
        let step = (b.len() >> 5) + 1;
        let mut i = 0;
        while i < b.len() {
            h = mix(h, b[i] as u64);
            i += step;
        }
        let tail = &b[b.len() - 16..];
        h = mix(h, u64::from_le_bytes(tail[..8].try_into().expect("8 bytes")));
        h = mix(h, u64::from_le_bytes(tail[8..].try_into().expect("8 bytes")));
    }
    h ^ (h >> 32)
}

/// Bookkeeping constants for the memory estimate.
const STR_OVERHEAD: usize = 40;
const UPVAL_SIZE: usize = 32;
const UD_OVERHEAD: usize = 64;

pub struct Heap {
    pub strings: Arena<LStr>,
    str_index: HashTable<u32>,
    pub tables: Arena<Table>,
    pub funcs: Arena<Closure>,
    pub upvals: Arena<UpVal>,
    pub userdata: Arena<UserData>,
    pub threads: Arena<Box<Thread>>,
    /// Estimated bytes in use.
    pub bytes: usize,
    /// Collect when `bytes` exceeds this.
    pub threshold: usize,
    /// Hard cap on `bytes` (memory limit); `usize::MAX` when unlimited.
    pub limit: usize,
    /// `collectgarbage("stop")` sets this to false.
    pub running: bool,
    pub pause: u32,
    pub stepmul: u32,
    /// `collectgarbage("setmajorinc")` (generational mode; only stored).
    pub majorinc: u32,
    /// Objects whose metatable had `__gc` when it was set, in order.
    pub(crate) finobj: Vec<Value>,
    /// The objects in `finobj`, for a constant-time membership test.
    pub(crate) finset: std::collections::HashSet<(bool, u32)>,
    /// Objects found unreachable, waiting for their finaliser to run.
    pub(crate) tobefnz: Vec<Value>,
    pub(crate) epoch: u32,
    /// Completed collections (for statistics and tests).
    pub cycles: u64,
    /// Write log for isolated calls (see [`crate::isolate`]).
    pub(crate) iso: crate::isolate::IsoLog,
    /// `intern_host`'s cache: (address, length, string) of recently
    /// interned host byte slices.
    host_strs: [HostStr; HOST_STR_CACHE],
    /// Buffers of collected tables, for new tables.
    pub(crate) table_pool: crate::table::TablePool,
}

/// Sets of `Heap::intern_host`'s cache (a power of two) and entries per set.
const HOST_STR_SETS: usize = 64;
const HOST_STR_WAYS: usize = 2;

/// An entry of `Heap::intern_host`'s cache: the slice's address and
/// length, the string interned for it.
#[derive(Clone, Copy, Default)]
struct HostStr {
    addr: usize,
    len: u32,
    idx: u32,
}
const HOST_STR_CACHE: usize = HOST_STR_SETS * HOST_STR_WAYS;

/// `a == b` for the short strings hosts pass, without a call to `memcmp`
/// (whose masked vector loads cost far more than the compare on some CPUs
/// when the string is short): overlapping words up to 64 bytes.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        if n > 64 {
            return a == b;
        }
        let w = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        let mut i = 0;
        while i + 8 < n {
            if w(a, i) != w(b, i) {
                return false;
            }
            i += 8;
        }
        w(a, n - 8) == w(b, n - 8)
    } else if n >= 4 {
        let w = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
        w(a, 0) == w(b, 0) && w(a, n - 4) == w(b, n - 4)
    } else {
        // 0 to 3 bytes: first, middle and last cover them all
        n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1])
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            strings: Arena::default(),
            str_index: HashTable::new(),
            tables: Arena::default(),
            funcs: Arena::default(),
            upvals: Arena::default(),
            userdata: Arena::default(),
            threads: Arena::default(),
            bytes: 0,
            threshold: MIN_GC_BASE * 2,
            limit: usize::MAX,
            running: true,
            pause: 200,
            stepmul: 200,
            majorinc: 200,
            finobj: Vec::new(),
            finset: std::collections::HashSet::new(),
            tobefnz: Vec::new(),
            epoch: 1,
            cycles: 0,
            iso: crate::isolate::IsoLog::default(),
            host_strs: [HostStr { addr: 0, len: 0, idx: 0 }; HOST_STR_CACHE],
            table_pool: crate::table::TablePool::default(),
        }
    }
}

impl Heap {
    /// Intern a string, returning the existing handle when the same bytes exist.
    pub fn intern(&mut self, b: &[u8]) -> StrRef {
        let h = hash_bytes(b);
        match self.find_interned(h, b) {
            Some(s) => s,
            None => self.insert_string(b.into(), h),
        }
    }

    /// `intern` for bytes handed over by the host (`Table::set("topic",
    /// ..)`, arguments of `Function::call`): hosts pass the same field
    /// names, usually string literals, on every call, so a small cache keyed
    /// by the slice's address and length skips hashing and the table probe.
    /// A hit is checked against the cached string's bytes (the memory at an
    /// address may hold other bytes by now) and the slot's liveness (the
    /// string may have been collected), so a stale entry only costs a miss.
    pub fn intern_host(&mut self, b: &[u8]) -> StrRef {
        match self.host_cached(b) {
            Some(s) => s,
            None => self.intern_host_miss(b),
        }
    }

    /// The cache set of `intern_host` for a slice: Fibonacci hashing of the
    /// address and length (literals sit next to each other in memory, so
    /// their addresses differ in a few low bits only).
    #[inline(always)]
    fn host_set(b: &[u8]) -> usize {
        let key = (b.as_ptr() as usize as u64) ^ ((b.len() as u64) << 48);
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HOST_STR_SETS.trailing_zeros());
        h as usize * HOST_STR_WAYS
    }

    /// `intern_host`'s cache lookup alone: the string when a cache entry
    /// for this slice is still right (no allocation, no hashing).
    #[inline(always)]
    pub fn host_cached(&self, b: &[u8]) -> Option<StrRef> {
        let set = Self::host_set(b);
        let ways = &self.host_strs[set..set + HOST_STR_WAYS];
        let addr = b.as_ptr() as usize;
        let i = ways.iter().find(|w| w.addr == addr && w.len as usize == b.len())?.idx;
        match self.strings.try_get(i as usize) {
            Some(s) if same_bytes(&s.bytes, b) => Some(StrRef(i)),
            _ => None,
        }
    }

    /// Intern `b` and remember it in the cache, in the first way of its set
    /// (the others move down one way; the oldest entry is dropped).
    #[inline(never)]
    fn intern_host_miss(&mut self, b: &[u8]) -> StrRef {
        let s = self.intern(b);
        if let Ok(len) = u32::try_from(b.len()) {
            let set = Self::host_set(b);
            self.host_strs.copy_within(set..set + HOST_STR_WAYS - 1, set + 1);
            self.host_strs[set] = HostStr { addr: b.as_ptr() as usize, len, idx: s.0 };
        }
        s
    }

    /// The interned string with hash `h` and bytes `b`, if there is one. (A
    /// string found dead-but-unswept cannot happen: sweep removes index
    /// entries.)
    fn find_interned(&self, h: u64, b: &[u8]) -> Option<StrRef> {
        let strings = &self.strings;
        self.str_index.find(h, |&i| same_bytes(&strings.get(i as usize).bytes, b)).map(|&i| StrRef(i))
    }

    /// Add a string known not to be interned yet.
    fn insert_string(&mut self, bytes: Box<[u8]>, h: u64) -> StrRef {
        self.bytes += bytes.len() + STR_OVERHEAD;
        let i = self.strings.insert(LStr { bytes, hash: h });
        let strings = &self.strings;
        self.str_index.insert_unique(h, i, |&j| strings.get(j as usize).hash);
        StrRef(i)
    }

    /// Intern the bytes `range` of the string `s` (`string.sub`, captures):
    /// no allocation when the substring is already interned.
    pub fn intern_sub(&mut self, s: StrRef, range: std::ops::Range<usize>) -> StrRef {
        let b = &self.strings.get(s.idx()).bytes[range.clone()];
        let h = hash_bytes(b);
        if let Some(found) = self.find_interned(h, b) {
            return found;
        }
        let owned: Box<[u8]> = self.strings.get(s.idx()).bytes[range].into();
        self.insert_string(owned, h)
    }

    /// Intern an owned buffer (avoids a copy when the string is new).
    pub fn intern_vec(&mut self, b: Vec<u8>) -> StrRef {
        let h = hash_bytes(&b);
        match self.find_interned(h, &b) {
            Some(s) => s,
            None => self.insert_string(b.into_boxed_slice(), h),
        }
    }

    /// Slot `idx` of the stack of thread `t`, which is not the running one
    /// (an open upvalue of another coroutine); `None` past its end.
    #[inline]
    pub fn other_thread_slot(&self, t: ThreadRef, idx: usize) -> Option<Value> {
        self.other_thread_slot_ref(t, idx).copied()
    }

    /// Where slot `idx` of suspended thread `t` is, if it exists.
    pub fn other_thread_slot_ref(&self, t: ThreadRef, idx: usize) -> Option<&Value> {
        self.threads.get(t.idx()).stack.get(idx)
    }

    #[inline]
    pub fn str(&self, s: StrRef) -> &[u8] {
        &self.strings.get(s.idx()).bytes
    }

    /// A new table with room for `narr` array items and `nhash` other
    /// keys, sized in its slot (see `Table::presize`).
    pub fn alloc_table_with(&mut self, narr: usize, nhash: usize) -> TableRef {
        let r = TableRef(self.tables.insert_with(Table::new));
        self.iso.born_table(r);
        let t = self.tables.get_mut(r.idx());
        t.presize(narr, nhash, &mut self.table_pool);
        self.bytes += t.byte_size();
        r
    }

    #[inline(always)]
    pub fn table(&self, t: TableRef) -> &Table {
        self.tables.get(t.idx())
    }

    #[inline(always)]
    pub fn table_mut(&mut self, t: TableRef) -> &mut Table {
        self.tables.get_mut(t.idx())
    }

    pub fn alloc_func(&mut self, c: Closure) -> FuncRef {
        self.bytes += c.byte_size();
        FuncRef(self.funcs.insert(c))
    }

    #[inline(always)]
    pub fn func(&self, f: FuncRef) -> &Closure {
        self.funcs.get(f.idx())
    }

    pub fn alloc_upval(&mut self, u: UpVal) -> UpvalRef {
        self.bytes += UPVAL_SIZE;
        let r = UpvalRef(self.upvals.insert(u));
        self.iso.born_upval(r);
        r
    }

    pub fn alloc_userdata(&mut self, u: UserData, size: usize) -> UdRef {
        self.bytes += UD_OVERHEAD + size;
        let r = UdRef(self.userdata.insert(u));
        self.iso.born_userdata(r);
        r
    }

    pub fn alloc_thread(&mut self, t: Thread) -> ThreadRef {
        self.bytes += t.byte_size();
        ThreadRef(self.threads.insert(Box::new(t)))
    }

    /// Account for a size change of an existing object.
    #[inline]
    pub fn adjust(&mut self, delta: isize) {
        self.bytes = (self.bytes as isize + delta).max(0) as usize;
    }

    /// Whether a collection is due.
    #[inline]
    pub fn gc_due(&self) -> bool {
        self.bytes > self.threshold
    }
}

/// Which parts of a table are weak.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Weakness {
    Keys,
    Values,
    Both,
}

struct Marker {
    gray: Vec<Value>,
    weak: Vec<(TableRef, Weakness)>,
    epoch: u32,
}

impl Vm {
    fn weakness(&self, t: TableRef) -> Option<Weakness> {
        let mt = self.heap.table(t).meta?;
        let mode = self.heap.table(mt).get_str(self.names.mode);
        let s = mode.as_str()?;
        let b = self.heap.str(s);
        let k = b.contains(&b'k');
        let v = b.contains(&b'v');
        match (k, v) {
            (true, true) => Some(Weakness::Both),
            (true, false) => Some(Weakness::Keys),
            (false, true) => Some(Weakness::Values),
            _ => None,
        }
    }

    /// Mark a value (grays it if newly marked).
    #[inline]
    fn mark_value(&mut self, m: &mut Marker, v: Value) {
        let h = &mut self.heap;
        let newly = match v {
            Value::Str(s) => {
                h.strings.mark(s.idx());
                false
            }
            Value::Table(t) => h.tables.mark(t.idx()),
            Value::Func(f) => h.funcs.mark(f.idx()),
            Value::UserData(u) => h.userdata.mark(u.idx()),
            Value::Thread(t) => h.threads.mark(t.idx()),
            _ => false,
        };
        if newly {
            m.gray.push(v);
        }
    }

    fn is_marked(&self, v: Value) -> bool {
        let h = &self.heap;
        match v {
            Value::Str(_) => true, // strings are never cleared from weak tables
            Value::Table(t) => h.tables.is_marked(t.idx()),
            Value::Func(f) => h.funcs.is_marked(f.idx()),
            Value::UserData(u) => h.userdata.is_marked(u.idx()),
            Value::Thread(t) => h.threads.is_marked(t.idx()),
            _ => true,
        }
    }

    fn mark_thread_stack(&mut self, m: &mut Marker, th_is_current: bool, t: Option<ThreadRef>) {
        // Copy out the live part; clear the dead part so stale handles cannot survive.
        let (live, hook): (Vec<Value>, Value) = {
            let th: &mut Thread = if th_is_current { &mut self.th } else { self.heap.threads.get_mut(t.expect("thread").idx()) };
            // Live part: up to the thread's top, as in lua5.2. A running Lua
            // frame's top is its frame top, or the first free register at
            // the NEWTABLE/CLOSURE safepoints; the registers of frames below
            // lie under their callee's slot. Dead locals above a call's
            // arguments are not kept.
            let top = th.top.min(th.stack.len());
            for v in &mut th.stack[top..] {
                *v = Value::Nil;
            }
            let mut live = th.stack[..top].to_vec();
            if let Some(r) = th.resumer {
                live.push(Value::Thread(r));
            }
            (live, th.hook)
        };
        for v in live {
            self.mark_value(m, v);
        }
        self.mark_value(m, hook);
        let ups: Vec<UpvalRef> = if th_is_current {
            self.th.open_upvals.iter().map(|x| x.1).collect()
        } else {
            self.heap.threads.get(t.expect("thread").idx()).open_upvals.iter().map(|x| x.1).collect()
        };
        for u in ups {
            self.heap.upvals.mark(u.idx());
        }
    }

    fn propagate(&mut self, m: &mut Marker) {
        while let Some(v) = m.gray.pop() {
            match v {
                Value::Table(t) => {
                    let weak = self.weakness(t);
                    let meta = self.heap.table(t).meta;
                    if let Some(mt) = meta {
                        self.mark_value(m, Value::Table(mt));
                    }
                    match weak {
                        None => {
                            let mut kids = Vec::new();
                            self.heap.table(t).for_each_kv(|k, v| {
                                if k.is_collectable() {
                                    kids.push(k);
                                }
                                if v.is_collectable() {
                                    kids.push(v);
                                }
                            });
                            for k in kids {
                                self.mark_value(m, k);
                            }
                        }
                        Some(Weakness::Values) => {
                            let mut kids = Vec::new();
                            self.heap.table(t).for_each_kv(|k, v| {
                                if k.is_collectable() {
                                    kids.push(k);
                                }
                                if let Value::Str(_) = v {
                                    kids.push(v); // strings are never weak
                                }
                            });
                            for k in kids {
                                self.mark_value(m, k);
                            }
                            m.weak.push((t, Weakness::Values));
                        }
                        Some(w) => {
                            // strings are never weak: keep them (and, for
                            // weak keys, the ephemeron pass sees them marked)
                            let mut kids = Vec::new();
                            self.heap.table(t).for_each_kv(|k, v| {
                                if let Value::Str(_) = k {
                                    kids.push(k);
                                }
                                if let Value::Str(_) = v {
                                    kids.push(v);
                                }
                            });
                            for k in kids {
                                self.mark_value(m, k);
                            }
                            m.weak.push((t, w));
                        }
                    }
                }
                Value::Func(f) => {
                    let mut kids: Vec<Value> = Vec::new();
                    let mut ups: Vec<UpvalRef> = Vec::new();
                    match self.heap.func(f) {
                        Closure::Lua { proto, upvals } => {
                            ups.extend(upvals.iter().copied());
                            mark_proto(proto, m.epoch, &mut kids);
                        }
                        Closure::Native { upvals, .. } | Closure::Host { upvals, .. } => {
                            kids.extend(upvals.iter().copied());
                        }
                    }
                    for u in ups {
                        if self.heap.upvals.mark(u.idx()) {
                            match *self.heap.upvals.get(u.idx()) {
                                UpVal::Closed(v) => kids.push(v),
                                // an open upvalue lives on its thread's stack:
                                // keep that thread (and so the value) alive
                                UpVal::Open { thread, .. } => kids.push(Value::Thread(thread)),
                            }
                        }
                    }
                    for k in kids {
                        self.mark_value(m, k);
                    }
                }
                Value::UserData(u) => {
                    let ud = self.heap.userdata.get(u.idx());
                    let (mt, uv) = (ud.meta, ud.user_value);
                    if let Some(mt) = mt {
                        self.mark_value(m, Value::Table(mt));
                    }
                    self.mark_value(m, uv);
                }
                Value::Thread(t) => {
                    if t == self.cur {
                        // the running thread's data lives in `self.th`
                        self.mark_thread_stack(m, true, None);
                    } else {
                        self.mark_thread_stack(m, false, Some(t));
                    }
                }
                _ => {}
            }
        }
    }

    /// Ephemeron convergence: mark values whose keys are marked, until nothing changes.
    fn converge_ephemerons(&mut self, m: &mut Marker) {
        loop {
            let mut changed = false;
            let list: Vec<(TableRef, Weakness)> = m.weak.clone();
            for (t, w) in list {
                if w != Weakness::Keys {
                    continue;
                }
                let mut kids = Vec::new();
                self.heap.table(t).for_each_kv(|k, v| {
                    if v.is_collectable() && self.is_marked(k) && !self.is_marked(v) {
                        kids.push(v);
                    }
                });
                for v in kids {
                    self.mark_value(m, v);
                    changed = true;
                }
            }
            self.propagate(m);
            if !changed {
                break;
            }
        }
    }

    fn mark_roots(&mut self, m: &mut Marker) {
        let mut roots: Vec<Value> = vec![Value::Table(self.registry), Value::Thread(self.main_thread), Value::Thread(self.cur)];
        roots.extend(self.type_meta.iter().flatten().map(|t| Value::Table(*t)));
        roots.extend(self.names.all().map(Value::Str));
        roots.extend(self.api_roots.values());
        roots.extend(self.heap.tobefnz.iter().copied());
        roots.extend(self.extra_roots.iter().copied());
        self.heap.iso.roots(&mut roots);
        if let Some(y) = &self.yielded {
            roots.extend(y.iter().copied());
        }
        if let Some(y) = &self.resume_values {
            roots.extend(y.iter().copied());
        }
        // upvalues a rollback will write back into
        for u in self.heap.iso.upvals() {
            if self.heap.upvals.mark(u.idx()) {
                if let UpVal::Open { thread, .. } = *self.heap.upvals.get(u.idx()) {
                    roots.push(Value::Thread(thread));
                } else if let UpVal::Closed(v) = *self.heap.upvals.get(u.idx()) {
                    roots.push(v);
                }
            }
        }
        for v in roots {
            self.mark_value(m, v);
        }
        // The running thread is always marked through `self.cur`; make sure
        // its stack is scanned even if it was marked before as a value.
        self.mark_thread_stack(m, true, None);
    }

    /// Run a full collection now. Finalisers found due are queued in
    /// `heap.tobefnz`; [`Vm::run_finalizers`] calls them.
    pub fn full_gc(&mut self) {
        self.heap.epoch = self.heap.epoch.wrapping_add(1);
        let mut m = Marker { gray: Vec::new(), weak: Vec::new(), epoch: self.heap.epoch };
        self.mark_roots(&mut m);
        self.propagate(&mut m);
        self.converge_ephemerons(&mut m);
        // Clear weak values pointing to unreachable objects, before resurrection.
        let weak_list = m.weak.clone();
        for &(t, w) in &weak_list {
            if w != Weakness::Keys {
                self.clear_weak(t, false, true);
            }
        }
        // Separate unreachable finalizable objects, in reverse registration order.
        let mut keep = Vec::with_capacity(self.heap.finobj.len());
        let mut due = Vec::new();
        for v in std::mem::take(&mut self.heap.finobj) {
            if self.is_marked(v) {
                keep.push(v);
            } else {
                if let Some(k) = fin_key(v) {
                    self.heap.finset.remove(&k);
                }
                due.push(v);
            }
        }
        self.heap.finobj = keep;
        due.reverse();
        for v in &due {
            self.mark_value(&mut m, *v);
        }
        self.heap.tobefnz.extend(due);
        self.propagate(&mut m);
        self.converge_ephemerons(&mut m);
        // Now clear weak keys (and values of objects still unmarked).
        let weak_list = m.weak.clone();
        for &(t, w) in &weak_list {
            self.clear_weak(t, w != Weakness::Values, w != Weakness::Keys);
        }
        self.sweep();
        self.heap.cycles += 1;
        let base = self.heap.bytes.max(MIN_GC_BASE);
        let next = base / 100 * self.heap.pause as usize;
        let (live, limit) = (self.heap.bytes, self.heap.limit);
        // Under a memory limit the next collection comes at the latest when
        // the heap reaches the last sixteenth below the cap, which leaves room
        // for the allocations that check the cap without collecting first
        // (`check_alloc`). When the live data already fills that sixteenth,
        // the next one comes when half of what is left has been used: a
        // threshold just above the live size made every allocation pay for a
        // full collection.
        let band = limit.saturating_sub(limit / 16);
        self.heap.threshold = if limit == usize::MAX {
            next
        } else if live >= band {
            live + (limit.saturating_sub(live) / 2).max(1)
        } else {
            next.min(band).max(base / 2 * 2 + 1)
        };
        // Table buffers are kept up to what may be allocated before the
        // next collection: pooled and accounted bytes together then stay
        // under the threshold (and so under a memory cap), never above the
        // peak the heap reached before this collection.
        let room = self.heap.threshold.saturating_sub(self.heap.bytes);
        self.heap.table_pool.set_limit(room);
    }

    fn clear_weak(&mut self, t: TableRef, keys: bool, values: bool) {
        let marks = |v: Value| self.is_marked(v);
        let mut dead = Vec::new();
        self.heap.table(t).for_each_kv(|k, v| {
            if (keys && !marks(k)) || (values && !marks(v)) {
                dead.push(k);
            }
        });
        if !dead.is_empty() {
            let tbl = self.heap.table_mut(t);
            tbl.clear_where(|k, _| dead.contains(&k));
        }
    }

    fn sweep(&mut self) {
        let h = &mut self.heap;
        let mut freed = 0usize;
        let index = &mut h.str_index;
        h.strings.sweep(|i, s| {
            freed += s.bytes.len() + STR_OVERHEAD;
            if let Ok(e) = index.find_entry(s.hash, |&j| j == i) {
                e.remove();
            }
        });
        let pool = &mut h.table_pool;
        h.tables.sweep(|_, t| {
            freed += t.byte_size();
            t.recycle(pool);
        });
        h.funcs.sweep(|_, c| freed += c.byte_size());
        h.upvals.sweep(|_, _| freed += UPVAL_SIZE);
        h.userdata.sweep(|_, _| freed += UD_OVERHEAD);
        h.threads.sweep(|_, t| freed += t.byte_size());
        h.bytes = h.bytes.saturating_sub(freed);
    }

    /// Register `v` for finalisation (its metatable has `__gc`).
    pub(crate) fn mark_finalizable(&mut self, v: Value) {
        let Some(k) = fin_key(v) else { return };
        if self.heap.finset.insert(k) {
            self.heap.finobj.push(v);
        }
    }
}

/// Identity of a finalizable object (a table or a userdata) in `finset`.
fn fin_key(v: Value) -> Option<(bool, u32)> {
    match v {
        Value::Table(t) => Some((false, t.idx() as u32)),
        Value::UserData(u) => Some((true, u.idx() as u32)),
        _ => None,
    }
}

fn mark_proto(p: &crate::object::FuncProto, epoch: u32, out: &mut Vec<Value>) {
    if p.mark_epoch.get() == epoch {
        return;
    }
    p.mark_epoch.set(epoch);
    out.extend(p.k.iter().copied().filter(|v| v.is_collectable()));
    for c in p.protos.iter() {
        mark_proto(c, epoch, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::vm::Vm;

    #[test]
    fn live_data_near_the_cap_does_not_collect_at_every_allocation() {
        let mut vm = Vm::new();
        crate::stdlib::open_libs(&mut vm, crate::stdlib::LibSet::ALL);
        vm.heap.limit = 8 << 20;
        // keep ~96 % of the cap live, then make garbage: 20,000 small tables
        let src = b"
            local keep, t = {}, {}
            while collectgarbage('count') < 7.7 * 1024 do keep[#keep + 1] = ('x'):rep(32768) .. #keep end
            local before = collectgarbage('count')
            for i = 1, 20000 do t = {} end
            return before";
        let f = vm.load_chunk(src, b"=near_cap", b"t", None).expect("load");
        let before = vm.heap.cycles;
        let r = vm.call_value(crate::value::Value::Func(f), &[], 1).expect("run");
        let during = vm.heap.cycles - before;
        assert!(matches!(r[0], crate::value::Value::Num(k) if k >= 7.7 * 1024.0), "{:?}", r[0]);
        // a collection comes after half of the room left under the cap has
        // been used (~150 KiB here): 17 collections for the 20,000 tables;
        // a threshold just above the live size made it one per table (20,012)
        assert!(during < 200, "{during} collections");
    }

    #[test]
    fn table_buffers_are_reused_within_the_threshold() {
        let mut vm = Vm::new();
        crate::stdlib::open_libs(&mut vm, crate::stdlib::LibSet::ALL);
        // records with a 4-entry hash part, made and dropped by the thousand
        let src = b"
            local t
            for i = 1, 50000 do t = { a = i, b = i, c = i, d = i } end
            return t.a";
        let f = vm.load_chunk(src, b"=churn", b"t", None).expect("load");
        let r = vm.call_value(crate::value::Value::Func(f), &[], 1).expect("run");
        assert!(matches!(r[0], crate::value::Value::Num(n) if n == 50000.0), "{:?}", r[0]);
        assert!(vm.heap.cycles > 2, "the churn collected");
        let pool = &vm.heap.table_pool;
        assert!(pool.bytes() > 0, "freed hash parts are kept");
        assert!(pool.bytes() <= pool.limit, "{} pooled over the bound {}", pool.bytes(), pool.limit);
        assert!(vm.heap.bytes + pool.bytes() <= vm.heap.threshold, "pooled and live bytes stay under the threshold");
        // a new record takes a pooled buffer: the pool shrinks by one
        let before = pool.bytes();
        let t = vm.new_table_with(0, 4);
        assert_eq!(vm.heap.table_pool.bytes(), before - 4 * 32);
        assert_eq!(vm.heap.table(t).byte_size(), std::mem::size_of::<crate::table::Table>() + 4 * 40);
        // array parts too: nodes { left, right } made by the thousand
        let src = b"local n for i = 1, 50000 do n = { i, i } end return n[2]";
        let f = vm.load_chunk(src, b"=nodes", b"t", None).expect("load");
        vm.call_value(crate::value::Value::Func(f), &[], 1).expect("run");
        let before = vm.heap.table_pool.bytes();
        let t = vm.new_table_with(2, 0);
        assert_eq!(vm.heap.table_pool.bytes(), before - 2 * 16, "a pooled array part is reused");
        assert_eq!(vm.heap.table(t).array, [crate::value::Value::Nil; 2]);
        // under a memory cap the bound follows the room left below it (the
        // pool holds more than that room before: the trim is exercised)
        let cap = vm.heap.bytes + (256 << 10);
        assert!(vm.heap.bytes + vm.heap.table_pool.bytes() > cap, "pool {} below the test's cap", vm.heap.table_pool.bytes());
        vm.heap.limit = cap;
        vm.full_gc();
        assert!(vm.heap.bytes + vm.heap.table_pool.bytes() <= vm.heap.limit);
    }

    #[test]
    fn host_string_cache_checks_bytes_and_liveness() {
        let mut vm = Vm::new();
        let mut buf = b"host-key-1".to_vec();
        let a = vm.heap.intern_host(&buf);
        assert_eq!(vm.heap.intern_host(&buf), a, "a hit returns the same string");
        assert_eq!(vm.heap.str(a), b"host-key-1");
        // the same address now holds other bytes: a miss, the right string
        buf.copy_from_slice(b"host-key-2");
        let b = vm.heap.intern_host(&buf);
        assert_ne!(a, b);
        assert_eq!(vm.heap.str(b), b"host-key-2");
        assert_eq!(vm.heap.intern(b"host-key-2"), b, "the cache returns interned strings");
        // the cached string is collected (nothing refers to it): the entry
        // is stale, the next call interns the bytes again
        vm.full_gc();
        assert!(!vm.heap.strings.is_live(b.idx()), "the string was collected");
        let c = vm.heap.intern_host(&buf);
        assert!(vm.heap.strings.is_live(c.idx()));
        assert_eq!(vm.heap.str(c), b"host-key-2");
        // its slot reused by another string: still a miss
        vm.full_gc();
        let other = vm.heap.intern(b"something else");
        let d = vm.heap.intern_host(&buf);
        assert_eq!(vm.heap.str(d), b"host-key-2");
        assert_eq!(vm.heap.str(other), b"something else");
    }

    /// Two slices of the same cache set both stay cached; a third one
    /// evicts the older of them, and every answer is the right string.
    #[test]
    fn host_string_cache_is_two_way() {
        let mut vm = Vm::new();
        let buf: Vec<u8> = (0..4096u32).map(|i| b'a' + (i % 26) as u8).collect();
        let target = super::Heap::host_set(&buf[0..5]);
        let same: Vec<&[u8]> = (0..buf.len() - 5).map(|i| &buf[i..i + 5]).filter(|s| super::Heap::host_set(s) == target).take(3).collect();
        assert_eq!(same.len(), 3, "three slices of one set");
        let (a, b, c) = (same[0], same[1], same[2]);
        let sa = vm.heap.intern_host(a);
        let sb = vm.heap.intern_host(b);
        assert_eq!(vm.heap.host_cached(a), Some(sa));
        assert_eq!(vm.heap.host_cached(b), Some(sb));
        let sc = vm.heap.intern_host(c);
        assert_eq!(vm.heap.host_cached(c), Some(sc));
        assert_eq!(vm.heap.host_cached(b), Some(sb), "the newer entry moved to the second way");
        assert_eq!(vm.heap.host_cached(a), None, "the oldest entry was dropped");
        for (s, r) in [(a, sa), (b, sb), (c, sc)] {
            assert_eq!(vm.heap.intern_host(s), r);
            assert_eq!(vm.heap.str(r), s);
        }
    }

    #[test]
    fn same_bytes_all_short_lengths() {
        for n in 0..=70usize {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(super::same_bytes(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x40;
                assert!(!super::same_bytes(&a, &b), "length {n}, byte {i}");
            }
            if n > 0 {
                assert!(!super::same_bytes(&a, &a[..n - 1]));
            }
        }
    }
}
