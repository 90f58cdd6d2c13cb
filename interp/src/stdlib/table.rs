//! The `table` library of Lua 5.2: `concat`, `insert`, `remove`, `pack`,
//! `unpack`, `sort` and the compatibility `maxn` (plus the global `unpack`,
//! which is `table.unpack` as in 5.2's compatibility mode).
//!
//! Like PUC, element access is raw (no `__index`/`__newindex`), while the
//! length of the table honours `__len`. Positions are C `int`s: numbers are
//! truncated and then wrapped to 32 bits, as `luaL_checkint` does.
//!
//! `sort` is the same median-of-three quicksort as PUC's, so comparators see
//! the same sequence of calls and an inconsistent comparator is detected in
//! the same situations (`invalid order function for sorting`). Values being
//! moved are kept in stack slots, never only in Rust locals, because a
//! collection may run while the comparator executes.

use crate::aux::num_to_int;
use crate::object::Action;
use crate::value::{TableRef, Value};
use crate::vm::{LResult, Vm};

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    let t = vm.new_lib(
        "table",
        &[("concat", concat), ("insert", insert), ("maxn", maxn), ("pack", pack), ("remove", remove), ("sort", sort), ("unpack", unpack)],
    );
    // 5.2 compatibility: the global `unpack` is `table.unpack`.
    let key = vm.str_value(b"unpack");
    let f = vm.raw_get(t, key);
    let g = vm.globals;
    let _ = vm.raw_set(g, key, f);
}

/// `luaL_checkint`: an integer argument wrapped to a C `int`.
fn check_int(vm: &mut Vm, i: usize) -> LResult<i64> {
    Ok(vm.check_integer(i)? as i32 as i64)
}

fn opt_int(vm: &mut Vm, i: usize, def: i64) -> LResult<i64> {
    if vm.arg_is_none_or_nil(i) {
        Ok(def)
    } else {
        check_int(vm, i)
    }
}

/// `luaL_len` of argument 1 as a C `int` (honours `__len`).
fn len_of(vm: &mut Vm, t: TableRef) -> LResult<i64> {
    let v = vm.len_value(Value::Table(t))?;
    match vm.to_number(v) {
        Some(n) => Ok(num_to_int(n) as i32 as i64),
        None => Err(vm.rt_error("object length is not a number")),
    }
}

/// `lua_rawgeti`.
#[inline]
fn geti(vm: &Vm, t: TableRef, i: i64) -> Value {
    if i >= 1 {
        vm.heap.table(t).get_int(i as usize)
    } else {
        vm.heap.table(t).get(Value::Num(i as f64))
    }
}

/// `lua_rawseti`.
#[inline]
fn seti(vm: &mut Vm, t: TableRef, i: i64, v: Value) -> LResult<()> {
    if i >= 1 {
        vm.heap.log_field(t, Value::Num(i as f64));
        let d = vm.heap.table_mut(t).set_int(i as usize, v);
        if d != 0 {
            vm.heap.adjust(d);
        }
        Ok(())
    } else {
        vm.raw_set(t, Value::Num(i as f64), v)
    }
}

fn maxn(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let mut max = 0.0f64;
    let mut count = 0u64;
    for (k, _) in vm.heap.table(t).iter() {
        count += 1;
        if let Value::Num(n) = k {
            if n > max {
                max = n;
            }
        }
    }
    vm.charge(count)?;
    vm.ret1(Value::Num(max))
}

fn insert(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let e = len_of(vm, t)?.wrapping_add(1) as i32 as i64; // first empty slot
    let pos = match vm.nargs() {
        2 => e,
        3 => {
            let pos = check_int(vm, 2)?;
            if pos < 1 || pos > e {
                return Err(vm.arg_error(2, "position out of bounds"));
            }
            vm.charge((e - pos) as u64)?;
            let mut i = e;
            while i > pos {
                let v = geti(vm, t, i - 1);
                seti(vm, t, i, v)?;
                i -= 1;
            }
            pos
        }
        _ => return Err(vm.rt_error("wrong number of arguments to 'insert'")),
    };
    let v = vm.arg(vm.nargs());
    seti(vm, t, pos, v)?;
    vm.ret0()
}

fn remove(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let size = len_of(vm, t)?;
    let mut pos = opt_int(vm, 2, size)?;
    if pos != size && (pos < 1 || pos > size + 1) {
        return Err(vm.arg_error(1, "position out of bounds"));
    }
    let res = geti(vm, t, pos);
    vm.push(res); // keep it rooted while the table changes
    if size > pos {
        vm.charge((size - pos) as u64)?;
    }
    while pos < size {
        let v = geti(vm, t, pos + 1);
        seti(vm, t, pos, v)?;
        pos += 1;
    }
    seti(vm, t, pos, Value::Nil)?;
    Ok(Action::Return(1))
}

fn pack(vm: &mut Vm) -> LResult<Action> {
    let n = vm.nargs();
    vm.charge(n as u64)?;
    let t = vm.new_table_with(n, 1);
    for i in 1..=n {
        let v = vm.arg(i);
        seti(vm, t, i as i64, v)?;
    }
    let k = Value::Str(vm.names.n);
    vm.raw_set(t, k, Value::Num(n as f64))?;
    vm.ret1(Value::Table(t))
}

/// `table.unpack(t [, i [, j]])` (also the global `unpack`).
pub fn unpack(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let i = opt_int(vm, 2, 1)?;
    let e = if vm.arg_is_none_or_nil(3) { len_of(vm, t)? } else { check_int(vm, 3)? };
    if i > e {
        return vm.ret0();
    }
    let n = (e - i) as u64 + 1;
    // like lua_checkstack: the slots in use plus `n` must fit in the stack limit
    if n >= i32::MAX as u64 || n + vm.th.top as u64 + 5 > crate::vm::MAX_STACK as u64 || vm.ensure_stack(n as usize).is_err() {
        return Err(vm.rt_error("too many results to unpack"));
    }
    vm.charge(n)?;
    for k in i..=e {
        let v = geti(vm, t, k);
        vm.push(v);
    }
    Ok(Action::Return(n as usize))
}

/// Append `t[i]` to `out`, or fail like PUC's `addfield`.
fn add_field(vm: &mut Vm, t: TableRef, i: i64, out: &mut Vec<u8>) -> LResult<()> {
    match geti(vm, t, i) {
        Value::Str(s) => out.extend_from_slice(vm.heap.str(s)),
        Value::Num(n) => crate::numfmt::fmt_g14(n, out),
        other => {
            let msg = format!("invalid value ({}) at index {} in table for 'concat'", other.type_name(), i);
            return Err(vm.rt_error(msg));
        }
    }
    Ok(())
}

fn concat(vm: &mut Vm) -> LResult<Action> {
    let sep = match vm.opt_str(2)? {
        Some(s) => vm.heap.str(s).to_vec(),
        None => Vec::new(),
    };
    let t = vm.check_table(1)?;
    let mut i = opt_int(vm, 3, 1)?;
    let last = if vm.arg_is_none_or_nil(4) { len_of(vm, t)? } else { check_int(vm, 4)? };
    let mut out = Vec::new();
    while i < last {
        add_field(vm, t, i, &mut out)?;
        out.extend_from_slice(&sep);
        // pay for the bytes as they are produced, so huge results stop early
        vm.charge(1 + (out.len() as u64 >> 6))?;
        if out.len() > 1 << 20 {
            vm.check_alloc(out.len())?;
        }
        i += 1;
    }
    if i == last {
        add_field(vm, t, i, &mut out)?;
    }
    vm.check_alloc(out.len())?;
    vm.charge(out.len() as u64 / 8)?;
    vm.ret_bytes(&out)
}

// ----- sort -----------------------------------------------------------------

/// State of a sort: the table, the comparator (nil for `<`) and the stack
/// slots used as registers for the values being compared and moved.
struct Sorter {
    t: TableRef,
    comp: Value,
    /// First of three scratch stack slots: pivot, a, b.
    slots: usize,
}

const PIVOT: usize = 0;
const A: usize = 1;
const B: usize = 2;

impl Sorter {
    #[inline]
    fn load(&self, vm: &mut Vm, slot: usize, i: i64) {
        vm.th.stack[self.slots + slot] = geti(vm, self.t, i);
    }

    #[inline]
    fn store(&self, vm: &mut Vm, i: i64, slot: usize) -> LResult<()> {
        let v = vm.th.stack[self.slots + slot];
        seti(vm, self.t, i, v)
    }

    /// Is the value in slot `x` less than the one in slot `y`?
    fn less(&self, vm: &mut Vm, x: usize, y: usize) -> LResult<bool> {
        vm.charge(1)?;
        let a = vm.th.stack[self.slots + x];
        let b = vm.th.stack[self.slots + y];
        if self.comp.is_nil() {
            vm.less(true, a, b)
        } else {
            let r = vm.call_value(self.comp, &[a, b], 1)?;
            Ok(r.first().is_some_and(|v| v.truthy()))
        }
    }

    /// `t[i], t[j] = a, b` where `a` was `t[j]` and `b` was `t[i]`:
    /// store slot `x` at `i` and slot `y` at `j`.
    fn put2(&self, vm: &mut Vm, i: i64, x: usize, j: i64, y: usize) -> LResult<()> {
        self.store(vm, i, x)?;
        self.store(vm, j, y)
    }

    fn invalid(&self, vm: &mut Vm) -> crate::vm::LuaError {
        vm.rt_error("invalid order function for sorting")
    }

    /// Sort `t[lo..=hi]`: recurse into the smaller part, loop on the larger.
    fn sort(&self, vm: &mut Vm, mut lo: i64, mut hi: i64) -> LResult<()> {
        while lo < hi {
            // order t[lo] and t[hi]
            self.load(vm, A, lo);
            self.load(vm, B, hi);
            if self.less(vm, B, A)? {
                self.put2(vm, lo, B, hi, A)?;
            }
            if hi - lo == 1 {
                break;
            }
            // median of three: t[mid] between t[lo] and t[hi]
            let mid = lo + (hi - lo) / 2;
            self.load(vm, A, mid);
            self.load(vm, B, lo);
            if self.less(vm, A, B)? {
                self.put2(vm, mid, B, lo, A)?;
            } else {
                self.load(vm, B, hi);
                if self.less(vm, B, A)? {
                    self.put2(vm, mid, B, hi, A)?;
                }
            }
            if hi - lo == 2 {
                break;
            }
            // the pivot goes to hi-1
            self.load(vm, PIVOT, mid);
            self.load(vm, B, hi - 1);
            self.put2(vm, mid, B, hi - 1, PIVOT)?;
            let mut i = lo;
            let mut j = hi - 1;
            loop {
                // advance i while t[i] < P
                loop {
                    i += 1;
                    self.load(vm, A, i);
                    if !self.less(vm, A, PIVOT)? {
                        break;
                    }
                    if i >= hi {
                        return Err(self.invalid(vm));
                    }
                }
                // retreat j while P < t[j]
                loop {
                    j -= 1;
                    self.load(vm, B, j);
                    if !self.less(vm, PIVOT, B)? {
                        break;
                    }
                    if j <= lo {
                        return Err(self.invalid(vm));
                    }
                }
                if j < i {
                    break;
                }
                self.put2(vm, i, B, j, A)?;
            }
            // put the pivot between the parts
            self.load(vm, A, hi - 1);
            self.load(vm, B, i);
            self.put2(vm, hi - 1, B, i, A)?;
            if i - lo < hi - i {
                let (a, b) = (lo, i - 1);
                lo = i + 1;
                self.sort(vm, a, b)?;
            } else {
                let (a, b) = (i + 1, hi);
                hi = i - 1;
                self.sort(vm, a, b)?;
            }
        }
        Ok(())
    }
}

fn sort(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let n = len_of(vm, t)?;
    if !vm.arg_is_none_or_nil(2) {
        vm.check_type(2, crate::value::Type::Function)?;
    }
    let comp = vm.arg(2);
    // drop extra arguments, then reserve the scratch slots
    let top = vm.arg_slot(1) + 2;
    vm.ensure_stack(3 + crate::vm::MIN_STACK)?;
    while vm.th.top < top {
        vm.push(Value::Nil);
    }
    vm.th.top = top;
    let slots = vm.th.top;
    for _ in 0..3 {
        vm.push(Value::Nil);
    }
    let s = Sorter { t, comp, slots };
    s.sort(vm, 1, n)?;
    vm.th.top = slots;
    vm.ret0()
}
