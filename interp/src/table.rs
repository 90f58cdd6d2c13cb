//! Lua tables: an array part for keys `1..=n` and a hash part for the rest.
//!
//! The hash part keeps its entries in a vector (insertion order, which is the
//! `next` order) indexed by an open-addressing table of positions (`slots`,
//! linear probing, at most half full, insert-only: entries are only removed
//! by a rehash, which rebuilds it). Hash parts of up to 8 entries keep that
//! index inline in the table as bytes (`small`), so that a small table costs
//! one allocation (and one free) less. Assigning `nil`
//! to an existing key leaves a dead entry in place, so a traversal with `next`
//! survives clearing fields, as Lua requires. Sizes follow PUC Lua's rules: the
//! hash part has a power-of-two capacity, and only when it is full does a
//! rehash recompute the array size (the largest `n` such that more than half
//! of `1..=n` is in use) and drop dead entries. That keeps `#t` on tables with
//! holes equal to the reference interpreter's answer in the common cases.
//!
//! Keys are hashed by identity: strings are interned, so a string handle is
//! its identity; numbers hash by value (`-0.0` normalised, integral floats in
//! range go to the array part).

use crate::value::{put, TableRef, Value};

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Value,
    val: Value,
}

/// Buffers of collected tables kept for new tables: hash parts of
/// capacity 1, 2, 4, ... 16 and array parts of up to `POOL_MAX_ARRAY`
/// items, by size.
///
/// Short-lived tables (a hook's argument, a record built per event, a tree
/// node) are created and collected by the thousand per cycle; the
/// allocator's own caches hold a few buffers per size, and the rest of each
/// freed batch went through its slow paths (perf: a third of creating such
/// a table). The pooled bytes are not part of the heap's accounted size
/// (they are free memory, like the allocator's lists) and are bounded by
/// `limit`, which the collector sets after each cycle to what may be
/// allocated before the next one.
#[derive(Default)]
pub struct TablePool {
    entries: [Vec<Vec<Entry>>; POOL_HCLASSES],
    arrays: [Vec<Vec<Value>>; POOL_MAX_ARRAY],
    bytes: usize,
    /// At most this many bytes are kept.
    pub limit: usize,
}

/// Hash capacities 1, 2, 4, ... 16 and array lengths 1 to 16 are pooled.
const POOL_HCLASSES: usize = 5;
const POOL_MAX_ARRAY: usize = 16;

impl TablePool {
    /// An empty buffer with room for exactly `hcap` entries.
    #[inline]
    fn take_entries(&mut self, hcap: usize) -> Vec<Entry> {
        let class = hcap.trailing_zeros() as usize;
        take(&mut self.entries, class, &mut self.bytes).unwrap_or_else(|| Vec::with_capacity(hcap))
    }

    /// `n` nils in a buffer of capacity `n`.
    #[inline]
    fn take_array(&mut self, n: usize) -> Vec<Value> {
        match take(&mut self.arrays, n.wrapping_sub(1), &mut self.bytes) {
            Some(mut v) => {
                v.resize(n, Value::Nil);
                v
            }
            None => vec![Value::Nil; n],
        }
    }

    /// Keep the hash part `v` if its capacity is pooled and there is room.
    #[inline]
    fn give_entries(&mut self, v: Vec<Entry>) {
        let cap = v.capacity();
        if cap.is_power_of_two() {
            keep(&mut self.entries, cap.trailing_zeros() as usize, v, &mut self.bytes, self.limit);
        }
    }

    /// Keep the array part `v` if its capacity is pooled and there is room.
    #[inline]
    fn give_array(&mut self, v: Vec<Value>) {
        let class = v.capacity().wrapping_sub(1);
        keep(&mut self.arrays, class, v, &mut self.bytes, self.limit);
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Set the bound, dropping buffers above it (the largest classes first).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        trim(&mut self.entries, &mut self.bytes, limit);
        trim(&mut self.arrays, &mut self.bytes, limit);
    }
}

/// A buffer of size class `class` (an index into `classes`; out of range:
/// not pooled), if one is kept; `bytes` counts what the pool holds.
#[inline]
fn take<T>(classes: &mut [Vec<Vec<T>>], class: usize, bytes: &mut usize) -> Option<Vec<T>> {
    let v = classes.get_mut(class)?.pop()?;
    *bytes -= v.capacity() * std::mem::size_of::<T>();
    Some(v)
}

/// Keep `v` (emptied) in size class `class` when that class is pooled and
/// the pool stays within `limit` bytes; otherwise it is freed.
#[inline]
fn keep<T>(classes: &mut [Vec<Vec<T>>], class: usize, mut v: Vec<T>, bytes: &mut usize, limit: usize) {
    let size = v.capacity() * std::mem::size_of::<T>();
    if let Some(list) = classes.get_mut(class) {
        if *bytes + size <= limit {
            v.clear();
            *bytes += size;
            list.push(v);
        }
    }
}

/// Drop kept buffers, the largest classes first, until `bytes <= limit`.
fn trim<T>(classes: &mut [Vec<Vec<T>>], bytes: &mut usize, limit: usize) {
    for list in classes.iter_mut().rev() {
        while *bytes > limit {
            let Some(v) = list.pop() else { break };
            *bytes -= v.capacity() * std::mem::size_of::<T>();
        }
    }
}

/// What an absent key reads as, for the lookups that answer with a
/// reference to the value.
pub static NIL: Value = Value::Nil;

#[derive(Default, Debug)]
pub struct Table {
    pub(crate) array: Vec<Value>,
    entries: Vec<Entry>,
    /// Open-addressing index of `entries`: `0` = empty, else position + 1.
    /// Length `2 * hcap` (a power of two) when `hcap > SMALL_HCAP`, else
    /// empty: small hash parts keep their index in `small`.
    slots: Box<[u32]>,
    /// The index of a hash part of at most `SMALL_HCAP` entries (its first
    /// `2 * hcap` bytes), inline so that a small table makes one allocation
    /// less.
    small: [u8; 2 * SMALL_HCAP],
    /// Capacity of the hash part (0 or a power of two); `entries.len() <= hcap`.
    /// (u32, and no stored mask: the struct keeps the size it had before
    /// the inline index, so the memory estimate of a table is unchanged.)
    hcap: u32,
    /// `64 - log2(2 * hcap)` when `hcap` is not 0: the shift that
    /// takes a product's top bits as the first slot (kept, not recomputed
    /// on every lookup).
    shift: u8,
    pub(crate) meta: Option<TableRef>,
    /// Cache of absent metamethods when this table is a metatable (bit
    /// `1 << Tm as u8` set = known absent), PUC's `flags`. Cleared by every
    /// store of a string key and whenever a field is restored.
    pub(crate) absent: u8,
}

/// Error for an invalid key in a raw set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
}

/// The hash of a key before `slot_of` scrambles it. A string's is its
/// handle (`find_str` relies on that).
#[inline]
fn key_hash(v: Value) -> u64 {
    match v {
        Value::Nil => 0,
        Value::Bool(b) => b as u64 + 1,
        Value::Num(n) => {
            let n = if n == 0.0 { 0.0 } else { n };
            let b = n.to_bits();
            // fold the high bits (sign, exponent) into the low ones so that
            // both halves take part in the product's top bits
            b ^ (b >> 32)
        }
        Value::Str(s) => s.0 as u64,
        Value::Table(t) => t.0 as u64 | (2 << 40),
        Value::Func(f) => f.0 as u64 | (3 << 40),
        Value::UserData(u) => u.0 as u64 | (4 << 40),
        Value::Thread(t) => t.0 as u64 | (5 << 40),
        Value::LightUserData(p) => (p as u64) ^ (6 << 56),
    }
}

/// The array index for a number key, if it is an integer in `1..`.
#[inline]
fn as_index(n: f64) -> Option<usize> {
    // through i64: one conversion each way (`as usize` from a float needs a
    // longer sequence for the upper half of the range)
    let i = n as i64;
    if i as f64 == n && i >= 1 {
        Some(i as usize)
    } else {
        None
    }
}

/// `as_index` for the interpreter's fast paths.
#[inline(always)]
pub(crate) fn num_index(n: f64) -> Option<usize> {
    as_index(n)
}

const MAX_ARRAY_BITS: usize = 26;

/// Hash capacities up to this keep their index inline (`Table::small`).
const SMALL_HCAP: usize = 8;

/// Probe an index from slot `h` (with `at(j)` the entry number + 1 in
/// slot `j & mask`, 0 for empty): `Ok(entry)` for the first entry that
/// `hit` accepts, else `Err(slot)` for the first empty slot.
#[inline(always)]
fn probe(at: impl Fn(usize) -> u32, mask: usize, mut h: usize, hit: impl Fn(usize) -> bool) -> Result<usize, usize> {
    loop {
        let e = at(h & mask);
        if e == 0 {
            return Err(h & mask);
        }
        let i = e as usize - 1;
        if hit(i) {
            return Ok(i);
        }
        h = h.wrapping_add(1);
    }
}

/// `64 - log2(m)` for a slot count `m` (a power of two >= 2).
fn shift_for(m: usize) -> u8 {
    ((m as u64).leading_zeros() + 1) as u8
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// A table with room for `narray` array items and `nhash` other keys,
    /// each part allocated at its size at once (no growth path).
    pub fn with_capacity(narray: usize, nhash: usize) -> Self {
        let mut t = Table::new();
        t.presize(narray, nhash, &mut TablePool::default());
        t
    }

    /// Give a new, empty table room for `narray` array items and `nhash`
    /// other keys, with buffers from `pool` when it has them.
    /// Works field by field on a table already in place (its arena slot):
    /// building a whole `Table` and moving it into the slot copies bytes
    /// just written piecewise with wide loads, which stall on store
    /// forwarding (perf: half of the samples of `Table::with_capacity`;
    /// creating an empty 7-slot table from the host went from ~50 to ~43 ns).
    #[inline(always)]
    pub fn presize(&mut self, narray: usize, nhash: usize, pool: &mut TablePool) {
        debug_assert!(self.array.is_empty() && self.hcap == 0, "presize on a used table");
        if narray > 0 {
            self.array = pool.take_array(narray);
        }
        if nhash > 0 {
            let hcap = nhash.next_power_of_two();
            self.entries = pool.take_entries(hcap);
            if hcap > SMALL_HCAP {
                self.slots = vec![0; 2 * hcap].into_boxed_slice();
            }
            self.hcap = hcap as u32;
            self.shift = shift_for(2 * hcap);
        }
    }

    /// Hand the buffers of a table being freed to `pool`.
    pub fn recycle(&mut self, pool: &mut TablePool) {
        pool.give_entries(std::mem::take(&mut self.entries));
        pool.give_array(std::mem::take(&mut self.array));
    }

    /// An empty index for the current `hcap` (0 is allowed).
    fn new_index(&mut self) {
        self.small = [0; 2 * SMALL_HCAP];
        let hcap = self.hcap as usize;
        self.slots = if hcap > SMALL_HCAP { vec![0; 2 * hcap].into_boxed_slice() } else { Box::default() };
        self.shift = if hcap == 0 { 0 } else { shift_for(2 * hcap) };
    }

    /// `2 * hcap - 1`, the mask of index positions. Without a hash part
    /// it wraps to all ones: `small` is all zero then, so a probe finds
    /// nothing.
    #[inline(always)]
    fn mask(&self) -> usize {
        (2 * self.hcap as usize).wrapping_sub(1)
    }

    /// Probe the index (see [`probe`]). Without a hash part the answer is
    /// `Err` (nothing found; the caller sees `hcap` 0 before inserting).
    #[inline(always)]
    fn probe_index(&self, h: u64, hit: impl Fn(usize) -> bool) -> Result<usize, usize> {
        let start = self.slot_of(h);
        if self.slots.is_empty() {
            // `& (2 * SMALL_HCAP - 1)`: in bounds without a check
            probe(|j| self.small[j & (2 * SMALL_HCAP - 1)] as u32, self.mask(), start, hit)
        } else {
            probe(|j| self.slots[j], self.mask(), start, hit)
        }
    }

    /// Fill index slot `j` (empty, as returned by a probe) with entry `pos`.
    #[inline(always)]
    fn index_put(&mut self, j: usize, pos: u32) {
        if self.slots.is_empty() {
            // pos < hcap <= SMALL_HCAP: fits
            self.small[j & (2 * SMALL_HCAP - 1)] = pos as u8 + 1;
        } else {
            self.slots[j] = pos + 1;
        }
    }

    /// Approximate heap bytes owned by this table (for GC accounting).
    pub fn byte_size(&self) -> usize {
        std::mem::size_of::<Table>()
            + self.array.capacity() * std::mem::size_of::<Value>()
            + self.entries.capacity() * (std::mem::size_of::<Entry>() + 8)
    }

    pub fn metatable(&self) -> Option<TableRef> {
        self.meta
    }

    /// First slot to probe for a key of hash `h` (Fibonacci hashing: the
    /// top bits of the product).
    #[inline]
    fn slot_of(&self, h: u64) -> usize {
        debug_assert!(self.hcap == 0 || self.shift == shift_for(2 * self.hcap as usize));
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (self.shift & 63)) as usize
    }

    #[inline]
    fn find(&self, key: Value) -> Option<usize> {
        match key {
            Value::Str(s) => self.find_str(s),
            _ => self.find_any(key),
        }
    }

    /// `find` for a string key: comparing handles only (strings are interned)
    /// is much cheaper than the general `Value` equality.
    #[inline(always)]
    fn find_str(&self, s: crate::value::StrRef) -> Option<usize> {
        self.find_str_entry(s).map(|(i, _)| i)
    }

    /// `find_str` with a reference to the entry (its bounds checked once).
    /// The probe loop of `probe_index`, written out: through `probe_index`
    /// and a second index into `entries`, the reads of string keys (every
    /// field access of the fast loop) cost richards 2.9 % more instructions.
    #[inline(always)]
    fn find_str_entry(&self, s: crate::value::StrRef) -> Option<(usize, &Entry)> {
        let mut h = self.slot_of(s.0 as u64);
        let mask = self.mask();
        let small = self.slots.is_empty();
        loop {
            let e = if small { self.small[h & mask & (2 * SMALL_HCAP - 1)] as usize } else { self.slots[h & mask] as usize };
            let i = e.checked_sub(1)?;
            let ent = &self.entries[i];
            if matches!(ent.key, Value::Str(k) if k == s) {
                return Some((i, ent));
            }
            h = h.wrapping_add(1);
        }
    }

    #[inline]
    fn find_any(&self, key: Value) -> Option<usize> {
        self.probe_index(key_hash(key), |i| self.entries[i].key == key).ok()
    }

    /// Raw get for an integer key.
    #[inline]
    pub fn get_int(&self, i: usize) -> Value {
        if i >= 1 && i <= self.array.len() {
            self.array[i - 1]
        } else {
            *self.get_hash_ref(Value::Num(i as f64))
        }
    }

    /// The interpreter's in-place store: when `key` already has a slot (a
    /// string in the hash part, an index of the array part) that holds a
    /// value, or the table has no metatable, store `val` there and return
    /// true. Otherwise (a new key, a nil slot that `__newindex` may claim,
    /// another key type) store nothing and return false.
    #[inline(always)]
    pub(crate) fn store_existing(&mut self, key: &Value, val: Value) -> bool {
        let plain = self.meta.is_none();
        let slot = match key {
            Value::Str(s) => match self.find_str(*s) {
                Some(i) => &mut self.entries[i].val,
                None => return false,
            },
            Value::Num(n) => match as_index(*n) {
                Some(i) if i <= self.array.len() => &mut self.array[i - 1],
                _ => return false,
            },
            _ => return false,
        };
        if slot.is_nil() {
            if !plain {
                return false;
            }
            *slot = val;
            // a revived string key may name a metamethod
            self.absent = 0;
        } else {
            *slot = val;
        }
        true
    }

    /// Raw get for a string key.
    #[inline(always)]
    pub fn get_str(&self, key: crate::value::StrRef) -> Value {
        *self.get_str_ref(key)
    }

    /// [`Table::get_str`] as a reference to where the value is ([`NIL`]
    /// when absent), so that the caller can copy it whole (`value::copy`).
    #[inline(always)]
    pub fn get_str_ref(&self, key: crate::value::StrRef) -> &Value {
        match self.find_str_entry(key) {
            Some((_, e)) => &e.val,
            None => &NIL,
        }
    }

    /// Raw get (`rawget`). Nil and NaN keys simply find nothing.
    #[inline]
    pub fn get(&self, key: Value) -> Value {
        *self.get_ref(key)
    }

    /// [`Table::get`] as a reference (see [`Table::get_str_ref`]).
    #[inline]
    pub fn get_ref(&self, key: Value) -> &Value {
        match key {
            Value::Str(s) => self.get_str_ref(s),
            Value::Num(n) => {
                if let Some(i) = as_index(n) {
                    if i <= self.array.len() {
                        return &self.array[i - 1];
                    }
                }
                if n.is_nan() {
                    return &NIL;
                }
                self.get_hash_ref(key)
            }
            Value::Nil => &NIL,
            _ => self.get_hash_ref(key),
        }
    }

    #[inline(never)]
    fn get_hash_ref(&self, key: Value) -> &Value {
        match self.find(key) {
            Some(i) => &self.entries[i].val,
            None => &NIL,
        }
    }

    /// Raw set (`rawset`). Returns the change in owned bytes (for accounting).
    pub fn set(&mut self, key: Value, val: Value) -> Result<isize, KeyError> {
        match key {
            Value::Nil => return Err(KeyError::Nil),
            Value::Num(n) => {
                if n.is_nan() {
                    return Err(KeyError::NaN);
                }
                if let Some(i) = as_index(n) {
                    return Ok(self.set_int(i, val));
                }
                let key = if n == 0.0 { Value::Num(0.0) } else { key };
                return Ok(self.set_hash(key, val));
            }
            Value::Str(s) => return Ok(self.set_str(s, val)),
            _ => {}
        }
        Ok(self.set_hash(key, val))
    }

    /// Raw set for a string key: one probe finds the key or, for a new key,
    /// the free slot the insertion uses (the index is insert-only with
    /// linear probing, so the first empty slot on the key's probe path is
    /// where `index_insert` would put it). Returns the change in owned
    /// bytes, which is 0 unless the hash part has to grow.
    #[inline(always)]
    pub fn set_str(&mut self, s: crate::value::StrRef, val: Value) -> isize {
        self.set_str_as(s, val, false)
    }

    /// `set_str` for a value the caller has just built (the host's
    /// conversions): it is stored as one 16-byte write (see [`put`]), since
    /// copying a value assembled piecewise stalls. Values read from a
    /// register or a table are copied as they are: `put` would first take
    /// them apart, which costs a jump on their type.
    #[inline(always)]
    pub fn set_str_fresh(&mut self, s: crate::value::StrRef, val: Value) -> isize {
        self.set_str_as(s, val, true)
    }

    #[inline(always)]
    fn set_str_as(&mut self, s: crate::value::StrRef, val: Value, fresh: bool) -> isize {
        // the key may be a metamethod name: forget cached absences
        self.absent = 0;
        match self.probe_index(s.0 as u64, |i| matches!(self.entries[i].key, Value::Str(k) if k == s)) {
            Ok(i) => {
                if fresh {
                    put(&mut self.entries[i].val, val);
                } else {
                    self.entries[i].val = val;
                }
                return 0;
            }
            _ if val.is_nil() => return 0,
            Err(j) if self.entries.len() < self.hcap as usize => {
                // `entries` has room for `hcap` entries: no reallocation,
                // so the byte size does not change
                debug_assert!(self.entries.len() < self.entries.capacity());
                let pos = self.entries.len() as u32;
                if fresh {
                    self.entries.push(Entry { key: Value::Nil, val: Value::Nil });
                    let e = self.entries.last_mut().expect("just pushed");
                    put(&mut e.key, Value::Str(s));
                    put(&mut e.val, val);
                } else {
                    self.entries.push(Entry { key: Value::Str(s), val });
                }
                self.index_put(j, pos);
                return 0;
            }
            _ => {}
        }
        self.grow_insert(Value::Str(s), val)
    }

    /// Raw set for an integer key `i >= 1`.
    #[inline]
    pub fn set_int(&mut self, i: usize, val: Value) -> isize {
        if i >= 1 && i <= self.array.len() {
            self.array[i - 1] = val;
            return 0;
        }
        self.set_hash(Value::Num(i as f64), val)
    }

    /// Raw set for any key but a string (those go through `set_str`).
    fn set_hash(&mut self, key: Value, val: Value) -> isize {
        debug_assert!(!matches!(key, Value::Str(_)), "string keys are set by set_str");
        if let Some(i) = self.find(key) {
            self.entries[i].val = val;
            return 0;
        }
        if val.is_nil() {
            return 0;
        }
        if self.entries.len() < self.hcap as usize {
            // room without reallocating `entries`: the byte size stays
            debug_assert!(self.entries.len() < self.entries.capacity());
            self.insert_new(key, val);
            return 0;
        }
        self.grow_insert(key, val)
    }

    /// Insert a key known to be absent, with a non-nil value, into a full
    /// hash part: rehash first. Returns the change in owned bytes.
    #[inline(never)]
    fn grow_insert(&mut self, key: Value, val: Value) -> isize {
        let before = self.byte_size() as isize;
        self.rehash(key);
        // The rehash may have made room in the array part for this key.
        if let Value::Num(n) = key {
            if let Some(i) = as_index(n) {
                if i <= self.array.len() {
                    self.array[i - 1] = val;
                    return self.byte_size() as isize - before;
                }
            }
        }
        self.insert_new(key, val);
        self.byte_size() as isize - before
    }

    fn insert_new(&mut self, key: Value, val: Value) {
        let pos = self.entries.len() as u32;
        self.entries.push(Entry { key, val });
        self.index_insert(key, pos);
    }

    fn index_insert(&mut self, key: Value, pos: u32) {
        debug_assert!(self.entries.len() <= self.hcap as usize);
        if let Err(j) = self.probe_index(key_hash(key), |_| false) {
            self.index_put(j, pos);
        }
    }

    /// Recompute the array and hash sizes, counting `extra` as a key about to
    /// be inserted, and drop dead entries.
    fn rehash(&mut self, extra: Value) {
        // nums[b] = number of integer keys k with 2^(b-1) < k <= 2^b
        let mut nums = [0usize; MAX_ARRAY_BITS + 1];
        let mut total_int = 0usize;
        let count_int = |k: usize, nums: &mut [usize; MAX_ARRAY_BITS + 1]| -> bool {
            let b = if k <= 1 { 0 } else { (usize::BITS - (k - 1).leading_zeros()) as usize };
            if b <= MAX_ARRAY_BITS {
                nums[b] += 1;
                true
            } else {
                false
            }
        };
        for (i, v) in self.array.iter().enumerate() {
            if !v.is_nil() && count_int(i + 1, &mut nums) {
                total_int += 1;
            }
        }
        for e in &self.entries {
            if e.val.is_nil() {
                continue;
            }
            if let Value::Num(n) = e.key {
                if let Some(k) = as_index(n) {
                    if count_int(k, &mut nums) {
                        total_int += 1;
                    }
                }
            }
        }
        if let Value::Num(n) = extra {
            if let Some(k) = as_index(n) {
                if count_int(k, &mut nums) {
                    total_int += 1;
                }
            }
        }
        // Largest power of two n such that more than n/2 slots of 1..=n are used.
        let mut a = 0usize;
        let mut optimal = 0usize;
        let mut twotoi = 1usize;
        for &count in nums.iter() {
            if twotoi / 2 >= total_int {
                break;
            }
            a += count;
            if a > twotoi / 2 {
                optimal = twotoi;
            }
            twotoi *= 2;
        }
        let new_array = optimal;
        // Move entries: keep those not going into the array part.
        let old_entries = std::mem::take(&mut self.entries);
        let old_array_len = self.array.len();
        let mut spill: Vec<Entry> = Vec::new();
        if new_array < old_array_len {
            for (i, v) in self.array.drain(new_array..).enumerate() {
                if !v.is_nil() {
                    spill.push(Entry { key: Value::Num((new_array + i + 1) as f64), val: v });
                }
            }
            self.array.shrink_to_fit();
        } else {
            self.array.resize(new_array, Value::Nil);
        }
        let mut keep: Vec<Entry> = Vec::with_capacity(old_entries.len() + spill.len());
        for e in old_entries.into_iter().chain(spill) {
            if e.val.is_nil() {
                continue;
            }
            if let Value::Num(n) = e.key {
                if let Some(k) = as_index(n) {
                    if k <= new_array {
                        self.array[k - 1] = e.val;
                        continue;
                    }
                }
            }
            keep.push(e);
        }
        let mut need = keep.len();
        if let Value::Num(n) = extra {
            if !matches!(as_index(n), Some(k) if k <= new_array) {
                need += 1;
            }
        } else {
            need += 1;
        }
        self.hcap = if need == 0 { 0 } else { need.next_power_of_two() as u32 };
        self.entries = Vec::with_capacity(self.hcap as usize);
        self.new_index();
        for e in keep {
            self.insert_new(e.key, e.val);
        }
    }

    /// The border `#t` as PUC's `luaH_getn` finds it.
    pub fn length(&self) -> usize {
        let n = self.array.len();
        if n > 0 && self.array[n - 1].is_nil() {
            // binary search for a border in the array part
            let (mut i, mut j) = (0usize, n);
            while j - i > 1 {
                let m = (i + j) / 2;
                if self.array[m - 1].is_nil() {
                    j = m;
                } else {
                    i = m;
                }
            }
            return i;
        }
        if self.entries.is_empty() {
            return n;
        }
        // unbound search in the hash part
        let mut i = n;
        let mut j = n + 1;
        while !self.get_int(j).is_nil() {
            i = j;
            if j > usize::MAX / 4 {
                // pathological: linear search
                let mut k = 1;
                while !self.get_int(k).is_nil() {
                    k += 1;
                }
                return k - 1;
            }
            j *= 2;
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if self.get_int(m).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// `next`: the entry after `key` (`Nil` starts). `Err(())` when `key`
    /// is not in the table (the caller words the error).
    #[allow(clippy::result_unit_err)]
    pub fn next(&self, key: Value) -> Result<Option<(Value, Value)>, ()> {
        let mut start_array = 0usize;
        let mut start_hash = 0usize;
        match key {
            Value::Nil => {}
            Value::Num(n) if as_index(n).is_some_and(|i| i <= self.array.len()) => {
                start_array = as_index(n).unwrap_or(0);
            }
            _ => {
                // -0 is the key 0 (said by the guard; a `0.0` pattern would
                // match -0 without showing it)
                #[allow(clippy::redundant_guards)]
                let key = match key {
                    Value::Num(n) if n == 0.0 => Value::Num(0.0),
                    k => k,
                };
                match self.find(key) {
                    Some(i) => {
                        start_array = self.array.len();
                        start_hash = i + 1;
                    }
                    None => return Err(()),
                }
            }
        }
        for i in start_array..self.array.len() {
            let v = self.array[i];
            if !v.is_nil() {
                return Ok(Some((Value::Num((i + 1) as f64), v)));
            }
        }
        for e in &self.entries[start_hash.min(self.entries.len())..] {
            if !e.val.is_nil() {
                return Ok(Some((e.key, e.val)));
            }
        }
        Ok(None)
    }

    /// Iterate over live (key, value) pairs, array part first.
    pub fn iter(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        self.array
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nil())
            .map(|(i, v)| (Value::Num((i + 1) as f64), *v))
            .chain(self.entries.iter().filter(|e| !e.val.is_nil()).map(|e| (e.key, e.val)))
    }

    /// Visit every key and value slot mutably-by-copy (for the collector).
    pub(crate) fn for_each_kv(&self, mut f: impl FnMut(Value, Value)) {
        for (i, v) in self.array.iter().enumerate() {
            if !v.is_nil() {
                f(Value::Num((i + 1) as f64), *v);
            }
        }
        for e in &self.entries {
            if !e.val.is_nil() {
                f(e.key, e.val);
            }
        }
    }

    /// Remove entries whose key or value fails `keep` (weak-table clearing).
    /// Dead entries stay as tombstones so traversals are not disturbed.
    pub(crate) fn clear_where(&mut self, mut dead: impl FnMut(Value, Value) -> bool) {
        for i in 0..self.array.len() {
            let v = self.array[i];
            if !v.is_nil() && dead(Value::Num((i + 1) as f64), v) {
                self.array[i] = Value::Nil;
            }
        }
        for e in self.entries.iter_mut() {
            if !e.val.is_nil() && dead(e.key, e.val) {
                e.val = Value::Nil;
            }
        }
    }

    /// Number of array slots (used by `table.unpack` fast paths, `SETLIST`).
    pub fn array_len(&self) -> usize {
        self.array.len()
    }

    /// Ensure the array part has at least `n` slots (for `SETLIST`).
    pub fn reserve_array(&mut self, n: usize) {
        if n > self.array.len() {
            // move any hash entries with keys in the new range
            let old = self.array.len();
            self.array.resize(n, Value::Nil);
            if !self.entries.is_empty() {
                for k in old + 1..=n {
                    if let Some(i) = self.find(Value::Num(k as f64)) {
                        self.array[k - 1] = self.entries[i].val;
                        self.entries[i].val = Value::Nil;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::StrRef;

    #[test]
    fn reference_lookups_answer_what_get_answers() {
        let mut t = Table::new();
        for i in 1..=20 {
            t.set(Value::Num(i as f64), Value::Num(i as f64 * 3.0)).unwrap();
        }
        t.set(Value::Num(1000.0), Value::Bool(true)).unwrap();
        t.set(Value::Num(0.5), Value::Str(StrRef(9))).unwrap();
        t.set(Value::Str(StrRef(4)), Value::Num(-1.0)).unwrap();
        t.set(Value::Bool(false), Value::Num(7.0)).unwrap();
        let keys = [
            Value::Num(1.0),
            Value::Num(20.0),
            Value::Num(21.0),
            Value::Num(1000.0),
            Value::Num(0.5),
            Value::Num(f64::NAN),
            Value::Str(StrRef(4)),
            Value::Str(StrRef(5)),
            Value::Bool(false),
            Value::Bool(true),
            Value::Nil,
        ];
        for k in keys {
            assert_eq!(format!("{:?}", t.get_ref(k)), format!("{:?}", t.get(k)), "key {k:?}");
            if let Value::Str(s) = k {
                assert_eq!(format!("{:?}", t.get_str_ref(s)), format!("{:?}", t.get_str(s)));
            }
        }
        assert!(std::ptr::eq(t.get_ref(Value::Num(5000.0)), &NIL));
    }

    #[test]
    fn array_and_hash() {
        let mut t = Table::new();
        for i in 1..=100 {
            t.set(Value::Num(i as f64), Value::Num(i as f64 * 2.0)).unwrap();
        }
        assert_eq!(t.length(), 100);
        assert_eq!(t.get(Value::Num(50.0)), Value::Num(100.0));
        assert!(t.array_len() >= 64);
        t.set(Value::Str(StrRef(7)), Value::Bool(true)).unwrap();
        assert_eq!(t.get(Value::Str(StrRef(7))), Value::Bool(true));
        assert_eq!(t.set(Value::Nil, Value::Nil), Err(KeyError::Nil));
        assert_eq!(t.set(Value::Num(f64::NAN), Value::Nil), Err(KeyError::NaN));
    }

    #[test]
    fn next_survives_clearing() {
        let mut t = Table::new();
        for i in 0..50 {
            t.set(Value::Str(StrRef(i)), Value::Num(i as f64)).unwrap();
        }
        let mut k = Value::Nil;
        let mut n = 0;
        while let Some((key, _)) = t.next(k).unwrap() {
            t.set(key, Value::Nil).unwrap();
            k = key;
            n += 1;
        }
        assert_eq!(n, 50);
        assert!(t.next(Value::Nil).unwrap().is_none());
    }

    /// `set_str` (one probe for lookup and insertion, no size recomputation
    /// below capacity) against a model: values, `next` order (insertion
    /// order of live keys) and the byte deltas it reports.
    #[test]
    fn set_str_matches_a_model() {
        for cap in [0, 1, 7, 8] {
            let mut t = Table::with_capacity(0, cap);
            let mut model: Vec<(u32, f64)> = Vec::new();
            let mut size = t.byte_size() as isize;
            let mut x: u32 = 12345;
            for step in 0..2000 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let k = (x >> 16) % 40;
                let del = (x >> 8).is_multiple_of(5);
                let v = if del { Value::Nil } else { Value::Num(step as f64) };
                let delta = t.set_str(StrRef(k), v);
                size += delta;
                assert_eq!(size, t.byte_size() as isize, "reported deltas add up to the size");
                match model.iter().position(|e| e.0 == k) {
                    Some(i) if del => {
                        model.remove(i);
                    }
                    Some(i) => model[i].1 = step as f64,
                    None if del => {}
                    None => model.push((k, step as f64)),
                }
                for key in 0..40 {
                    let want = model.iter().find(|e| e.0 == key).map_or(Value::Nil, |e| Value::Num(e.1));
                    assert_eq!(t.get_str(StrRef(key)), want, "key {key} after step {step} (capacity {cap})");
                }
            }
            // traversal sees every live key once
            let mut seen = Vec::new();
            let mut k = Value::Nil;
            while let Some((key, _)) = t.next(k).unwrap() {
                seen.push(key.as_str().unwrap().0);
                k = key;
            }
            seen.sort();
            let mut want: Vec<u32> = model.iter().map(|e| e.0).collect();
            want.sort();
            assert_eq!(seen, want);
        }
    }

    /// Mixed keys (strings, fractional numbers, booleans, table handles)
    /// through tables whose hash part grows from the inline index of small
    /// tables to the allocated one and shrinks back on rehash.
    #[test]
    fn small_and_large_index_with_mixed_keys() {
        use crate::value::TableRef;
        let key = |k: u32| match k % 4 {
            0 => Value::Str(StrRef(k)),
            1 => Value::Num(k as f64 + 0.5),
            2 => Value::Table(TableRef(k)),
            _ if k < 8 => Value::Bool(k == 3),
            _ => Value::Num(-(k as f64) - 0.25),
        };
        let mut t = Table::new();
        // keys are distinct per `k % 64`: a model indexed by it
        let mut model: Vec<Option<f64>> = vec![None; 128];
        let mut x: u32 = 99;
        for step in 0..3000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            // few keys at first (small index), more later (allocated
            // index), then all removed and a few other keys: the next
            // rehash goes back to a small hash part
            if step == 2000 {
                assert!(t.hcap as usize > SMALL_HCAP);
                for kn in 0..64 {
                    t.set(key(kn), Value::Nil).unwrap();
                    model[kn as usize] = None;
                }
            }
            let kn = match step {
                0..1000 => (x >> 16) % 6,
                1000..2000 => (x >> 16) % 64,
                _ => 64 + (x >> 16) % 6,
            };
            if (x >> 8).is_multiple_of(3) {
                t.set(key(kn), Value::Nil).unwrap();
                model[kn as usize] = None;
            } else {
                t.set(key(kn), Value::Num(step as f64)).unwrap();
                model[kn as usize] = Some(step as f64);
            }
            for kk in 0..128u32 {
                assert_eq!(t.get(key(kk)), model[kk as usize].map_or(Value::Nil, Value::Num), "step {step}");
            }
        }
        assert!(t.hcap as usize <= SMALL_HCAP, "back to a small hash part");
        if cfg!(target_pointer_width = "64") {
            // the size the memory estimate had before the inline index: the
            // index lives inside the table without making each one bigger
            assert_eq!(std::mem::size_of::<Table>(), 96);
        }
    }

    #[test]
    fn holes_like_reference() {
        // t = {} t[1]=1 t[2]=2 t[4]=4 ; #t == 4 in lua5.2
        let mut t = Table::new();
        for k in [1.0, 2.0, 4.0] {
            t.set(Value::Num(k), Value::Num(k)).unwrap();
        }
        assert_eq!(t.length(), 4);
        let mut u = Table::new();
        u.set(Value::Num(-0.0), Value::Bool(true)).unwrap();
        assert_eq!(u.get(Value::Num(0.0)), Value::Bool(true));
    }
}
