//! The `string` library of Lua 5.2: `byte char dump find format gmatch gsub
//! len lower match rep reverse sub upper`, and the metatable shared by all
//! strings (`__index` = the library table), so `("x"):rep(3)` works.
//!
//! Semantics and messages follow `lua5.2` (5.2.4 on x86-64 Linux):
//! integer arguments are `lua_Integer` casts of the number (truncation,
//! `i64::MIN` when out of range), `rep`, `char` and `%c` take a C `int`
//! (the 64-bit value truncated to 32 bits), and errors raised by the library
//! itself carry the position of the Lua caller (`luaL_error`).
//!
//! Resource limits: the pattern matcher runs on a fuel budget taken from the
//! VM (see [`scan`]); the work of building results is charged in proportion
//! to their size, and big results are checked with `check_alloc` first.

use crate::aux::num_to_int;
use crate::lpattern::{self, Capture, MatchState, PatError};
use crate::numfmt;
use crate::object::{Action, Closure, FuncProto};
use crate::proto::{Constant, Proto};
use crate::value::{StrRef, Type, Value};
use crate::vm::{ErrorKind, LResult, LuaError, Vm};
use std::rc::Rc;

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    let t = vm.new_lib(
        "string",
        &[
            ("byte", str_byte),
            ("char", str_char),
            ("dump", str_dump),
            ("find", str_find),
            ("format", str_format),
            ("gmatch", str_gmatch),
            ("gsub", str_gsub),
            ("len", str_len),
            ("lower", str_lower),
            ("match", str_match),
            ("rep", str_rep),
            ("reverse", str_reverse),
            ("sub", str_sub),
            ("upper", str_upper),
        ],
    );
    let mt = vm.new_table_with(0, 1);
    let key = Value::Str(vm.names.index);
    let _ = vm.raw_set(mt, key, Value::Table(t));
    let any_string = vm.str_value(b"");
    vm.set_metatable(any_string, Some(mt));
}

// ----- helpers ---------------------------------------------------------------

/// One fuel unit per this many bytes copied or produced.
const BYTES_PER_FUEL: u64 = 8;

/// Charge for producing/scanning `n` bytes.
fn charge_bytes(vm: &mut Vm, n: usize) -> LResult<()> {
    vm.charge(n as u64 / BYTES_PER_FUEL + 1)
}

/// PUC's `posrelat`: a negative position counts from the end; positions
/// before the start become 0.
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos >= 0 {
        pos
    } else if pos.unsigned_abs() > len as u64 {
        0
    } else {
        len as i64 + pos + 1
    }
}

/// `luaL_checkint`: the integer argument truncated to a C `int`.
fn check_int(vm: &mut Vm, i: usize) -> LResult<i32> {
    Ok(vm.check_integer(i)? as i32)
}

fn mem_error(vm: &mut Vm) -> LuaError {
    vm.error_plain("not enough memory", ErrorKind::Memory)
}

/// A byte buffer of capacity `n`, failing with a Lua error (not an abort)
/// when the size is over the VM's limits or cannot be allocated.
fn alloc_buf(vm: &mut Vm, n: usize) -> LResult<Vec<u8>> {
    vm.check_alloc(n)?;
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Err(mem_error(vm));
    }
    Ok(v)
}

/// Copy of the bytes of a string handle.
fn bytes(vm: &Vm, s: StrRef) -> Vec<u8> {
    vm.heap.str(s).to_vec()
}

// ----- simple functions ----------------------------------------------------------

fn str_len(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let n = vm.heap.str(s).len();
    vm.ret1(Value::Num(n as f64))
}

fn str_sub(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let l = vm.heap.str(s).len();
    let mut start = posrelat(vm.check_integer(2)?, l);
    let mut end = posrelat(vm.opt_integer(3, -1)?, l);
    if start < 1 {
        start = 1;
    }
    if end > l as i64 {
        end = l as i64;
    }
    if start > end {
        return vm.ret_bytes(b"");
    }
    if start == 1 && end == l as i64 {
        return vm.ret1(Value::Str(s));
    }
    let (a, b) = (start as usize - 1, end as usize);
    charge_bytes(vm, b - a)?;
    let sub = vm.heap.intern_sub(s, a..b);
    vm.ret1(Value::Str(sub))
}

/// `upper`, `lower`, `reverse`: a byte-wise transformation of argument 1.
fn map_string(vm: &mut Vm, f: impl FnOnce(&mut Vec<u8>)) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let mut b = bytes(vm, s);
    charge_bytes(vm, b.len())?;
    f(&mut b);
    let v = Value::Str(vm.heap.intern_vec(b));
    vm.ret1(v)
}

fn str_upper(vm: &mut Vm) -> LResult<Action> {
    map_string(vm, |b| b.make_ascii_uppercase())
}

fn str_lower(vm: &mut Vm) -> LResult<Action> {
    map_string(vm, |b| b.make_ascii_lowercase())
}

fn str_reverse(vm: &mut Vm) -> LResult<Action> {
    map_string(vm, |b| b.reverse())
}

fn str_rep(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let n = check_int(vm, 2)?;
    let sep = vm.opt_str(3)?;
    if n <= 0 {
        return vm.ret_bytes(b"");
    }
    let n = n as usize;
    let l = vm.heap.str(s).len();
    let lsep = sep.map_or(0, |p| vm.heap.str(p).len());
    if l + lsep == 0 {
        return vm.ret_bytes(b"");
    }
    let total = match (l + lsep).checked_mul(n) {
        Some(t) if t < usize::MAX / 2 => t - lsep,
        _ => return Err(vm.rt_error("resulting string too large")),
    };
    charge_bytes(vm, total)?;
    let mut out = alloc_buf(vm, total)?;
    let body = vm.heap.str(s);
    let sepb: &[u8] = match sep {
        Some(p) => vm.heap.str(p),
        None => b"",
    };
    for i in 0..n {
        if i > 0 {
            out.extend_from_slice(sepb);
        }
        out.extend_from_slice(body);
    }
    let v = Value::Str(vm.heap.intern_vec(out));
    vm.ret1(v)
}

fn str_byte(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let l = vm.heap.str(s).len();
    let mut posi = posrelat(vm.opt_integer(2, 1)?, l);
    let mut pose = posrelat(vm.opt_integer(3, posi)?, l);
    if posi < 1 {
        posi = 1;
    }
    if pose > l as i64 {
        pose = l as i64;
    }
    if posi > pose {
        return vm.ret0();
    }
    let n = (pose - posi + 1) as usize;
    if vm.th.top + n + crate::vm::MIN_STACK > crate::vm::MAX_STACK {
        return Err(vm.rt_error("stack overflow (string slice too long)"));
    }
    vm.ensure_stack(n)?;
    charge_bytes(vm, n)?;
    let a = posi as usize - 1;
    for i in 0..n {
        let c = vm.heap.str(s)[a + i];
        vm.push(Value::Num(c as f64));
    }
    Ok(Action::Return(n))
}

fn str_char(vm: &mut Vm) -> LResult<Action> {
    let n = vm.nargs();
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        let c = check_int(vm, i)?;
        if c as u8 as i32 != c {
            return Err(vm.arg_error(i, "value out of range"));
        }
        out.push(c as u8);
    }
    charge_bytes(vm, n)?;
    vm.ret_bytes(&out)
}

// ----- string.dump -------------------------------------------------------------

/// The compiler-level prototype of a runtime prototype (constants turned
/// back into plain data), for `string.dump`.
pub fn proto_of(vm: &Vm, fp: &FuncProto) -> Proto {
    let constants =
        fp.k.iter()
            .map(|v| match *v {
                Value::Bool(b) => Constant::Bool(b),
                Value::Num(n) => Constant::Number(n),
                Value::Str(s) => Constant::String(vm.heap.str(s).into()),
                _ => Constant::Nil,
            })
            .collect();
    Proto {
        code: fp.code.to_vec(),
        constants,
        protos: fp.protos.iter().map(|c| Rc::new(proto_of(vm, c))).collect(),
        upvalues: fp.upvals.to_vec(),
        line_info: fp.line_info.to_vec(),
        loc_vars: fp.loc_vars.to_vec(),
        source: fp.source.clone(),
        line_defined: fp.line_defined,
        last_line_defined: fp.last_line_defined,
        num_params: fp.num_params,
        is_vararg: fp.is_vararg,
        max_stack_size: fp.max_stack,
    }
}

fn str_dump(vm: &mut Vm) -> LResult<Action> {
    let f = vm.check_type(1, Type::Function)?;
    let proto = match f {
        Value::Func(fr) => match vm.heap.func(fr) {
            Closure::Lua { proto, .. } => Some(proto.clone()),
            _ => None,
        },
        _ => None,
    };
    let Some(fp) = proto else {
        return Err(vm.rt_error("unable to dump given function"));
    };
    let p = proto_of(vm, &fp);
    let out = crate::dump::dump(&p, false);
    charge_bytes(vm, out.len())?;
    vm.check_alloc(out.len())?;
    vm.ret_bytes(&out)
}

// ----- pattern matching ----------------------------------------------------------

/// A successful match: whole match `start..end` (0-based) and the state of
/// each capture the pattern made (`Err` = unfinished capture).
struct Found {
    start: usize,
    end: usize,
    caps: Vec<Result<Capture, String>>,
}

impl Found {
    /// PUC's `push_onecapture` for capture `i` (0-based).
    fn one(&self, i: usize) -> Result<Capture, String> {
        if i >= self.caps.len() {
            if i == 0 {
                Ok(Capture::Span { start: self.start, end: self.end })
            } else {
                Err("invalid capture index".to_string())
            }
        } else {
            self.caps[i].clone()
        }
    }

    /// PUC's `push_captures`: every capture; with `whole`, a pattern with
    /// no captures gives the whole match.
    fn all(&self, vm: &mut Vm, s: StrRef, whole: bool) -> LResult<Vec<Value>> {
        let n = if self.caps.is_empty() && whole { 1 } else { self.caps.len() };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let c = self.one(i).map_err(|m| vm.rt_error(m))?;
            out.push(cap_value(vm, s, c));
        }
        Ok(out)
    }
}

/// A capture as a Lua value: a string, or a number for a position capture.
fn cap_value(vm: &mut Vm, s: StrRef, c: Capture) -> Value {
    match c {
        Capture::Position(n) => Value::Num(n as f64),
        Capture::Span { start, end } => Value::Str(vm.heap.intern_sub(s, start..end)),
    }
}

/// First fuel chunk given to the matcher.
const FUEL_CHUNK: u64 = 1 << 20;

/// Fuel the VM has left, when it is limited.
fn remaining_fuel(vm: &Vm) -> Option<u64> {
    vm.limits.fuel.map(|f| f.saturating_sub((vm.budget_base - vm.budget).max(0) as u64))
}

/// A fuel chunk of `want` units, no more than the VM has left (plus one, so
/// that running out of it means the VM is out of fuel too).
fn fuel_chunk(vm: &Vm, want: u64) -> u64 {
    match remaining_fuel(vm) {
        Some(r) => want.min(r.saturating_add(1)).max(1),
        None => want,
    }
}

/// Find the first match of pattern `p` (from pattern byte `pstart`) in
/// subject `s` at a start position `from, from+1, ...` (only `from` when
/// `anchored`). The matcher's steps are charged to the VM as fuel; when a
/// chunk of fuel runs out it is charged (so the VM's fuel, deadline and
/// interrupt checks run, and raise the limit error if one is reached) and
/// the attempt at the current position is redone with a doubled chunk.
fn scan(vm: &mut Vm, s: StrRef, p: StrRef, from: usize, pstart: usize, anchored: bool) -> LResult<Option<Found>> {
    if from > vm.heap.str(s).len() {
        return Ok(None);
    }
    let mut pos = from;
    let mut want = FUEL_CHUNK;
    loop {
        let chunk = fuel_chunk(vm, want);
        let mut fuel = chunk;
        let r: Result<Option<Found>, PatError> = {
            let src = vm.heap.str(s);
            let pat = vm.heap.str(p);
            let mut ms = MatchState::new(src, pat, &mut fuel);
            ms.search(&mut pos, pstart, anchored).map(|found| {
                found.map(|e| {
                    // (no collecting iterator for the common match without captures)
                    let caps = match ms.level() {
                        0 => Vec::new(),
                        n => (0..n).map(|i| ms.get_capture(i, (pos, e)).map_err(|er| er.message())).collect(),
                    };
                    Found { start: pos, end: e, caps }
                })
            })
        };
        match r {
            Ok(found) => {
                vm.charge(chunk - fuel)?;
                return Ok(found);
            }
            Err(PatError::Malformed(m)) => return Err(vm.rt_error(m)),
            Err(PatError::OutOfFuel) => {
                vm.charge(chunk)?;
                want = want.saturating_mul(2).min(u64::MAX / 4);
            }
        }
    }
}

/// `find` and `match`.
fn find_aux(vm: &mut Vm, find: bool) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let p = vm.check_str(2)?;
    let ls = vm.heap.str(s).len();
    let mut init = posrelat(vm.opt_integer(3, 1)?, ls);
    if init < 1 {
        init = 1;
    } else if init > ls as i64 + 1 {
        return vm.ret1(Value::Nil);
    }
    let init = init as usize - 1;
    if find && (vm.arg(4).truthy() || !lpattern::has_specials(vm.heap.str(p))) {
        let r = lpattern::find_plain(vm.heap.str(s), vm.heap.str(p), init);
        let lp = vm.heap.str(p).len();
        charge_bytes(vm, r.map_or(ls, |i| i + lp) - init)?;
        return match r {
            Some(i) => vm.ret(&[Value::Num((i + 1) as f64), Value::Num((i + lp) as f64)]),
            None => vm.ret1(Value::Nil),
        };
    }
    let anchored = vm.heap.str(p).first() == Some(&b'^');
    match scan(vm, s, p, init, anchored as usize, anchored)? {
        None => vm.ret1(Value::Nil),
        Some(m) => {
            let mut vals: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::new();
            if find {
                vals.push(Value::Num((m.start + 1) as f64));
                vals.push(Value::Num(m.end as f64));
            }
            let caps = m.all(vm, s, !find)?;
            vals.extend(caps);
            vm.ret(&vals)
        }
    }
}

fn str_find(vm: &mut Vm) -> LResult<Action> {
    find_aux(vm, true)
}

fn str_match(vm: &mut Vm) -> LResult<Action> {
    find_aux(vm, false)
}

fn str_gmatch(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let p = vm.check_str(2)?;
    let f = vm.native_with_upvals("gmatch_aux", gmatch_aux, vec![Value::Str(s), Value::Str(p), Value::Num(0.0)]);
    vm.ret1(f)
}

/// The iterator made by `gmatch`: upvalues are the subject, the pattern and
/// the position where the next search starts. In 5.2 a leading `^` is not
/// an anchor here.
fn gmatch_aux(vm: &mut Vm) -> LResult<Action> {
    let (Value::Str(s), Value::Str(p), Value::Num(pos)) = (vm.native_upvalue(1), vm.native_upvalue(2), vm.native_upvalue(3)) else {
        return vm.ret0();
    };
    let Some(m) = scan(vm, s, p, pos as usize, 0, false)? else {
        return vm.ret0();
    };
    let next = if m.end == m.start { m.end + 1 } else { m.end };
    let fslot = vm.th.frames.last().expect("native frame").func;
    if let Value::Func(fr) = vm.th.stack[fslot] {
        if let Closure::Native { upvals, .. } = vm.heap.funcs.get_mut(fr.idx()) {
            upvals[2] = Value::Num(next as f64);
        }
    }
    let vals = m.all(vm, s, true)?;
    vm.ret(&vals)
}

/// How `gsub` replaces a match.
enum Repl {
    Str(Vec<u8>),
    Table(Value),
    Func(Value),
}

/// Append the expansion of replacement string `repl` for match `m`.
fn expand(repl: &[u8], src: &[u8], m: &Found, out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let d = repl.get(i).copied().unwrap_or(0);
        i += 1;
        match d {
            b'0' => out.extend_from_slice(&src[m.start..m.end]),
            b'1'..=b'9' => m.one((d - b'1') as usize)?.append_to(src, out),
            b'%' => out.push(b'%'),
            _ => return Err("invalid use of '%' in replacement string".to_string()),
        }
    }
    Ok(())
}

fn str_gsub(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let p = vm.check_str(2)?;
    let srcl = vm.heap.str(s).len();
    let r3 = vm.arg(3);
    // a C size_t in PUC: negative limits are huge
    let max_n = vm.opt_integer(4, srcl as i64 + 1)? as u64;
    let anchored = vm.heap.str(p).first() == Some(&b'^');
    let repl = match r3 {
        Value::Str(r) => Repl::Str(bytes(vm, r)),
        Value::Num(_) => {
            let r = vm.to_str_coerce(r3).expect("number");
            Repl::Str(bytes(vm, r))
        }
        Value::Table(_) => Repl::Table(r3),
        Value::Func(_) => Repl::Func(r3),
        _ => return Err(vm.arg_error(3, "string/function/table expected")),
    };
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    let mut n: u64 = 0;
    let mut charged = 0usize;
    while n < max_n {
        let Some(m) = scan(vm, s, p, pos, anchored as usize, anchored)? else {
            break;
        };
        n += 1;
        out.extend_from_slice(&vm.heap.str(s)[pos..m.start]);
        // the replacement value
        let v = match &repl {
            Repl::Str(r) => {
                let src = vm.heap.str(s);
                if let Err(msg) = expand(r, src, &m, &mut out) {
                    return Err(vm.rt_error(msg));
                }
                None
            }
            Repl::Table(t) => {
                let c = m.one(0).map_err(|msg| vm.rt_error(msg))?;
                let key = cap_value(vm, s, c);
                Some(vm.index_value(*t, key)?)
            }
            Repl::Func(f) => {
                let args = m.all(vm, s, true)?;
                let r = vm.call_value(*f, &args, 1)?;
                Some(r.first().copied().unwrap_or(Value::Nil))
            }
        };
        match v {
            None => {}
            Some(v) if !v.truthy() => out.extend_from_slice(&vm.heap.str(s)[m.start..m.end]),
            Some(Value::Str(r)) => out.extend_from_slice(vm.heap.str(r)),
            Some(Value::Num(x)) => numfmt::fmt_g14(x, &mut out),
            Some(other) => {
                let msg = format!("invalid replacement value (a {})", other.type_name());
                return Err(vm.rt_error(msg));
            }
        }
        if out.len() - charged > 4096 {
            charge_bytes(vm, out.len() - charged)?;
            vm.check_alloc(out.len())?;
            charged = out.len();
        }
        if m.end > m.start {
            pos = m.end;
        } else if m.start < srcl {
            out.push(vm.heap.str(s)[m.start]);
            pos = m.start + 1;
        } else {
            pos = srcl + 1;
            break;
        }
        if anchored {
            break;
        }
    }
    if pos < srcl {
        out.extend_from_slice(&vm.heap.str(s)[pos..]);
    }
    charge_bytes(vm, out.len() - charged)?;
    vm.check_alloc(out.len())?;
    let res = Value::Str(vm.heap.intern_vec(out));
    vm.ret(&[res, Value::Num(n as f64)])
}

// ----- string.format ---------------------------------------------------------------

/// `(unsigned long long)n` as x86-64 code compiled by gcc does it.
fn num_to_uint(n: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if n >= TWO63 {
        (num_to_int(n - TWO63) as u64) ^ (1u64 << 63)
    } else {
        num_to_int(n) as u64
    }
}

/// `luaL_tolstring` for `%s`: `__tostring` results that are neither strings
/// nor numbers come out as C's `NULL` string does.
fn tolstring(vm: &mut Vm, v: Value) -> LResult<Option<Vec<u8>>> {
    if let Some(mt) = vm.metatable(v) {
        let f = vm.heap.table(mt).get_str(vm.names.tostring);
        if !f.is_nil() {
            let r = vm.call_value(f, &[v], 1)?;
            return Ok(match r.first().copied().unwrap_or(Value::Nil) {
                Value::Str(s) => Some(bytes(vm, s)),
                Value::Num(n) => {
                    let mut b = Vec::new();
                    numfmt::fmt_g14(n, &mut b);
                    Some(b)
                }
                _ => None,
            });
        }
    }
    let s = vm.tostring_raw(v);
    Ok(Some(bytes(vm, s)))
}

fn str_format(vm: &mut Vm) -> LResult<Action> {
    let top = vm.nargs();
    let fs = vm.check_str(1)?;
    let fmt = bytes(vm, fs);
    let mut out: Vec<u8> = Vec::with_capacity(fmt.len() + 16);
    let mut arg = 1usize;
    let mut i = 0usize;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        if fmt.get(i + 1) == Some(&b'%') {
            out.push(b'%');
            i += 2;
            continue;
        }
        i += 1;
        arg += 1;
        if arg > top {
            return Err(vm.arg_error(arg, "no value"));
        }
        let (spec, next) = match numfmt::parse_spec(&fmt, i) {
            Ok(r) => r,
            Err(msg) => return Err(vm.rt_error_bytes(&msg)),
        };
        i = next;
        match spec.conv {
            b'c' => {
                let c = check_int(vm, arg)?;
                numfmt::format_char(&spec, c as u8, &mut out);
            }
            b'd' | b'i' => {
                let n = vm.check_number(arg)?;
                let ni = num_to_int(n);
                let diff = n - ni as f64;
                if !(-1.0 < diff && diff < 1.0) {
                    return Err(vm.arg_error(arg, "not a number in proper range"));
                }
                numfmt::format_int(&spec, ni, &mut out);
            }
            b'o' | b'u' | b'x' | b'X' => {
                let n = vm.check_number(arg)?;
                let ni = num_to_uint(n);
                let diff = n - ni as f64;
                if !(-1.0 < diff && diff < 1.0) {
                    return Err(vm.arg_error(arg, "not a non-negative number in proper range"));
                }
                numfmt::format_uint(&spec, ni, &mut out);
            }
            b'e' | b'E' | b'f' | b'g' | b'G' | b'a' | b'A' => {
                let n = vm.check_number(arg)?;
                numfmt::format_float(&spec, n, &mut out);
            }
            b'q' => {
                let s = vm.check_str(arg)?;
                numfmt::quote_string(vm.heap.str(s), &mut out);
            }
            b's' => match tolstring(vm, vm.arg(arg))? {
                Some(b) => numfmt::format_str(&spec, &b, &mut out),
                None => {
                    // glibc prints "(null)" for a NULL string unless the
                    // precision is too small to hold it
                    let null: &[u8] = match spec.precision {
                        Some(p) if p < 6 => b"",
                        _ => b"(null)",
                    };
                    numfmt::format_str(&spec, null, &mut out)
                }
            },
            other => {
                // parse_spec only returns valid conversions
                let msg = format!("invalid option '%{}' to 'format'", other as char);
                return Err(vm.rt_error(msg));
            }
        }
        if out.len() > 1 << 16 {
            vm.check_alloc(out.len())?;
        }
    }
    charge_bytes(vm, out.len())?;
    vm.check_alloc(out.len())?;
    let v = Value::Str(vm.heap.intern_vec(out));
    vm.ret1(v)
}

#[cfg(test)]
mod tests {
    use crate::stdlib::{open_libs, LibSet};
    use crate::value::Value;
    use crate::vm::{ErrorKind, LResult, Vm};

    fn run(vm: &mut Vm, src: &str) -> LResult<Vec<Value>> {
        let f = vm.load_chunk(src.as_bytes(), b"=test", b"t", None)?;
        vm.call_value(Value::Func(f), &[], -1)
    }

    fn new_vm() -> Vm {
        let mut vm = Vm::new();
        open_libs(&mut vm, LibSet::ALL);
        vm
    }

    /// ~1.1M matcher steps at a single start position, then no match.
    const HEAVY: &str = "return string.find(('a'):rep(1500), '^a*a*b')";

    #[test]
    fn long_match_completes_without_limits() {
        let mut vm = new_vm();
        let r = run(&mut vm, HEAVY).unwrap_or_else(|_| panic!("error"));
        assert_eq!(r, vec![Value::Nil]);
    }

    #[test]
    fn matcher_fuel_is_the_vm_fuel() {
        let mut vm = new_vm();
        vm.limits.fuel = Some(100_000);
        vm.reset_budget();
        let e = run(&mut vm, HEAVY).expect_err("limit error");
        assert_eq!(e.kind, ErrorKind::InstructionLimit);
        // enough fuel: same result as unlimited
        let mut vm = new_vm();
        vm.limits.fuel = Some(50_000_000);
        vm.reset_budget();
        assert_eq!(run(&mut vm, HEAVY).expect("no error"), vec![Value::Nil]);
    }

    #[test]
    fn catastrophic_pattern_hits_deadline() {
        let mut vm = new_vm();
        vm.limits.deadline = Some(crate::clock::Instant::now() + std::time::Duration::from_millis(100));
        vm.reset_budget();
        let t = std::time::Instant::now();
        let e = run(&mut vm, "return string.find(('a'):rep(40), ('a*'):rep(40)..'b')").expect_err("timeout");
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn big_results_fail_cleanly() {
        let mut vm = new_vm();
        vm.heap.limit = 64 << 20;
        let e = run(&mut vm, "return string.rep(('x'):rep(1000), 2^31 - 1)").expect_err("memory error");
        assert_eq!(e.kind, ErrorKind::Memory);
        let e = run(&mut vm, "local s = ('x'):rep(2^20) return s:gsub('', s)").expect_err("memory error");
        assert_eq!(e.kind, ErrorKind::Memory);
        let mut vm = new_vm();
        vm.limits.fuel = Some(1_000_000);
        vm.reset_budget();
        let e = run(&mut vm, "local t = {} for i = 1, 1000 do t[i] = string.rep('x', 2^20) end").expect_err("limit");
        assert_eq!(e.kind, ErrorKind::InstructionLimit);
    }
}
