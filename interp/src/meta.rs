//! Metamethods and the slow paths of indexing, arithmetic, comparison,
//! length and concatenation.
//!
//! Each operation has two entry points: `*_op`, used by instructions, which
//! calls a Lua metamethod by pushing a frame whose continuation (`Cont`)
//! finishes the instruction when it returns (so metamethods can yield), and a
//! value-returning form used by native functions and the host API, which
//! calls metamethods through a nested execution.

use crate::object::Cont;
use crate::value::{StrRef, Value};
use crate::vm::{LResult, LuaError, Next, Tm, Vm, MAX_TAG_LOOP};

/// Where an operand came from, for error hints (`local 'x'`, `upvalue 'u'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Reg(u32),
    Upval(u32),
    Const,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
}

impl ArithOp {
    fn tm(self) -> Tm {
        match self {
            ArithOp::Add => Tm::Add,
            ArithOp::Sub => Tm::Sub,
            ArithOp::Mul => Tm::Mul,
            ArithOp::Div => Tm::Div,
            ArithOp::Mod => Tm::Mod,
            ArithOp::Pow => Tm::Pow,
            ArithOp::Unm => Tm::Unm,
        }
    }

    pub fn apply(self, x: f64, y: f64) -> f64 {
        match self {
            ArithOp::Add => x + y,
            ArithOp::Sub => x - y,
            ArithOp::Mul => x * y,
            ArithOp::Div => x / y,
            ArithOp::Mod => lua_mod(x, y),
            ArithOp::Pow => lua_pow(x, y),
            ArithOp::Unm => -x,
        }
    }
}

/// Lua 5.2's `%`: `a - floor(a/b)*b`.
#[inline]
pub fn lua_mod(a: f64, b: f64) -> f64 {
    a - floor(a / b) * b
}

/// `x.floor()`, inline. Without SSE4.1 in the target baseline,
/// `f64::floor` is a call into a software routine; for |x| < 2^52 the
/// truncation through an integer is exact, and the sign of a zero result
/// is the sign of `x` (so `floor(-0.0)` stays `-0.0`).
#[inline(always)]
pub fn floor(x: f64) -> f64 {
    if x.abs() < 4_503_599_627_370_496.0 {
        let t = x as i64 as f64;
        if t > x {
            t - 1.0
        } else {
            t.copysign(x)
        }
    } else {
        // integral already, infinite or NaN
        x.floor()
    }
}

/// `x.ceil()`, inline (see [`floor`]).
#[inline(always)]
pub fn ceil(x: f64) -> f64 {
    -floor(-x)
}

#[inline]
pub fn lua_pow(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else {
        a.powf(b)
    }
}

/// One step of an `__index` chain.
enum IndexStep {
    Done(Value),
    Call(Value, Value),
}

impl Vm {
    /// Number coercion (`tonumber` semantics for arithmetic).
    #[inline]
    pub fn to_number(&self, v: Value) -> Option<f64> {
        match v {
            Value::Num(n) => Some(n),
            Value::Str(s) => crate::numfmt::str2number(self.heap.str(s)),
            _ => None,
        }
    }

    /// String coercion for concatenation: strings and numbers.
    pub fn to_str_coerce(&mut self, v: Value) -> Option<StrRef> {
        match v {
            Value::Str(s) => Some(s),
            Value::Num(n) => {
                let mut b = Vec::with_capacity(24);
                crate::numfmt::fmt_g14(n, &mut b);
                Some(self.heap.intern_vec(b))
            }
            _ => None,
        }
    }

    /// Push `f(args...)` at the top of the current Lua frame and start it,
    /// finishing the instruction through `cont`.
    fn call_tm_op(&mut self, f: Value, args: &[Value], cont: Cont) -> LResult<Next> {
        let top = self.th.frames.last().map(|f| f.top).unwrap_or(self.th.top);
        self.th.top = top;
        self.ensure_stack(args.len() + 1 + crate::vm::MIN_STACK)?;
        let func = self.th.top;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        self.precall(func, 1, cont).map(|n| match n {
            Next::Continue => Next::Reload,
            other => other,
        })
    }

    fn store_reg(&mut self, a: u32, v: Value) {
        let base = self.th.frames.last().expect("frame").base;
        crate::value::put(&mut self.th.stack[base + a as usize], v);
    }

    fn index_step(&mut self, mut t: Value, key: Value, origin: Origin) -> LResult<IndexStep> {
        for level in 0..MAX_TAG_LOOP {
            let tm;
            if let Value::Table(tr) = t {
                let tb = self.heap.table(tr);
                let v = tb.get(key);
                if !v.is_nil() {
                    return Ok(IndexStep::Done(v));
                }
                match tb.meta {
                    None => return Ok(IndexStep::Done(Value::Nil)),
                    Some(mt) => {
                        tm = self.heap.table(mt).get_str(self.names.index);
                        if tm.is_nil() {
                            return Ok(IndexStep::Done(Value::Nil));
                        }
                    }
                }
            } else {
                tm = self.get_tm(t, Tm::Index);
                if tm.is_nil() {
                    let o = if level == 0 { origin } else { Origin::None };
                    return Err(self.type_error(t, o, "index"));
                }
            }
            if let Value::Func(_) = tm {
                return Ok(IndexStep::Call(tm, t));
            }
            t = tm;
        }
        Err(self.rt_error("loop in gettable"))
    }

    /// `R(a) := t[key]` with metamethods (instruction slow path).
    pub(crate) fn index_op(&mut self, t: Value, key: Value, a: u32, origin: Origin) -> LResult<Next> {
        match self.index_step(t, key, origin)? {
            IndexStep::Done(v) => {
                self.store_reg(a, v);
                Ok(Next::Continue)
            }
            IndexStep::Call(f, obj) => self.call_tm_op(f, &[obj, key], Cont::store(a)),
        }
    }

    /// `t[key]` with metamethods, for natives and the host.
    pub fn index_value(&mut self, t: Value, key: Value) -> LResult<Value> {
        match self.index_step(t, key, Origin::None)? {
            IndexStep::Done(v) => Ok(v),
            IndexStep::Call(f, obj) => {
                let r = self.call_value(f, &[obj, key], 1)?;
                Ok(r.first().copied().unwrap_or(Value::Nil))
            }
        }
    }

    fn newindex_step(&mut self, mut t: Value, key: Value, val: Value, origin: Origin) -> LResult<Option<(Value, Value)>> {
        for level in 0..MAX_TAG_LOOP {
            let tm;
            if let Value::Table(tr) = t {
                let tb = self.heap.table(tr);
                let existing = tb.get(key);
                let mt = tb.meta;
                let tmv = if !existing.is_nil() {
                    Value::Nil
                } else {
                    match mt {
                        None => Value::Nil,
                        Some(mt) => self.heap.table(mt).get_str(self.names.newindex),
                    }
                };
                if tmv.is_nil() {
                    self.raw_set(tr, key, val)?;
                    return Ok(None);
                }
                tm = tmv;
            } else {
                tm = self.get_tm(t, Tm::NewIndex);
                if tm.is_nil() {
                    let o = if level == 0 { origin } else { Origin::None };
                    return Err(self.type_error(t, o, "index"));
                }
            }
            if let Value::Func(_) = tm {
                return Ok(Some((tm, t)));
            }
            t = tm;
        }
        Err(self.rt_error("loop in settable"))
    }

    pub(crate) fn newindex_op(&mut self, t: Value, key: Value, val: Value, origin: Origin) -> LResult<Next> {
        match self.newindex_step(t, key, val, origin)? {
            None => Ok(Next::Continue),
            Some((f, obj)) => self.call_tm_op(f, &[obj, key, val], Cont::Discard),
        }
    }

    /// `t[key] = val` with metamethods, for natives and the host.
    pub fn set_index(&mut self, t: Value, key: Value, val: Value) -> LResult<()> {
        if let Some((f, obj)) = self.newindex_step(t, key, val, Origin::None)? {
            self.call_value(f, &[obj, key, val], 0)?;
        }
        Ok(())
    }

    fn arith_tm(&self, b: Value, c: Value, op: ArithOp) -> Value {
        let tm = self.get_tm(b, op.tm());
        if tm.is_nil() {
            self.get_tm(c, op.tm())
        } else {
            tm
        }
    }

    fn arith_error(&mut self, b: Value, c: Value, ob: Origin, oc: Origin) -> LuaError {
        let (v, o) = if self.to_number(b).is_none() { (b, ob) } else { (c, oc) };
        self.type_error(v, o, "perform arithmetic on")
    }

    pub(crate) fn arith_op(&mut self, op: ArithOp, b: Value, c: Value, a: u32, ob: Origin, oc: Origin) -> LResult<Next> {
        if let (Some(x), Some(y)) = (self.to_number(b), self.to_number(c)) {
            self.store_reg(a, Value::Num(op.apply(x, y)));
            return Ok(Next::Continue);
        }
        let tm = self.arith_tm(b, c, op);
        if tm.is_nil() {
            return Err(self.arith_error(b, c, ob, oc));
        }
        self.call_tm_op(tm, &[b, c], Cont::store(a))
    }

    /// Arithmetic with metamethods, for natives and the host.
    pub fn arith_value(&mut self, op: ArithOp, b: Value, c: Value) -> LResult<Value> {
        if let (Some(x), Some(y)) = (self.to_number(b), self.to_number(c)) {
            return Ok(Value::Num(op.apply(x, y)));
        }
        let tm = self.arith_tm(b, c, op);
        if tm.is_nil() {
            return Err(self.arith_error(b, c, Origin::None, Origin::None));
        }
        let r = self.call_value(tm, &[b, c], 1)?;
        Ok(r.first().copied().unwrap_or(Value::Nil))
    }

    pub(crate) fn len_op(&mut self, v: Value, a: u32, origin: Origin) -> LResult<Next> {
        let tm = self.get_tm(v, Tm::Len);
        if tm.is_nil() {
            match v {
                Value::Table(t) => {
                    let n = self.heap.table(t).length();
                    self.store_reg(a, Value::Num(n as f64));
                    return Ok(Next::Continue);
                }
                Value::Str(s) => {
                    let n = self.heap.str(s).len();
                    self.store_reg(a, Value::Num(n as f64));
                    return Ok(Next::Continue);
                }
                _ => return Err(self.type_error(v, origin, "get length of")),
            }
        }
        self.call_tm_op(tm, &[v, v], Cont::store(a))
    }

    /// `#v` with metamethods, for natives and the host.
    pub fn len_value(&mut self, v: Value) -> LResult<Value> {
        if let Value::Str(s) = v {
            return Ok(Value::Num(self.heap.str(s).len() as f64));
        }
        let tm = self.get_tm(v, Tm::Len);
        if tm.is_nil() {
            if let Value::Table(t) = v {
                return Ok(Value::Num(self.heap.table(t).length() as f64));
            }
            return Err(self.type_error(v, Origin::None, "get length of"));
        }
        let r = self.call_value(tm, &[v, v], 1)?;
        Ok(r.first().copied().unwrap_or(Value::Nil))
    }

    /// The `__eq` metamethod shared by two tables or two userdata, if any.
    fn eq_tm(&self, b: Value, c: Value) -> Value {
        let (m1, m2) = (self.metatable(b), self.metatable(c));
        let Some(m1) = m1 else { return Value::Nil };
        let tm1 = self.heap.table(m1).get_str(self.names.eq);
        if tm1.is_nil() {
            return Value::Nil;
        }
        if Some(m1) == m2 {
            return tm1;
        }
        let Some(m2) = m2 else { return Value::Nil };
        let tm2 = self.heap.table(m2).get_str(self.names.eq);
        if tm1 == tm2 {
            tm1
        } else {
            Value::Nil
        }
    }

    pub(crate) fn eq_op(&mut self, b: Value, c: Value, expect: bool) -> LResult<Next> {
        let tm = self.eq_tm(b, c);
        if tm.is_nil() {
            // not equal
            if expect {
                self.th.frames.last_mut().expect("frame").pc += 1;
            }
            return Ok(Next::Continue);
        }
        self.call_tm_op(tm, &[b, c], Cont::Cond { expect, negate: false })
    }

    /// `a == b` with metamethods, for natives and the host.
    pub fn equals(&mut self, b: Value, c: Value) -> LResult<bool> {
        if b == c {
            return Ok(true);
        }
        match (b, c) {
            (Value::Table(_), Value::Table(_)) | (Value::UserData(_), Value::UserData(_)) => {
                let tm = self.eq_tm(b, c);
                if tm.is_nil() {
                    return Ok(false);
                }
                let r = self.call_value(tm, &[b, c], 1)?;
                Ok(r.first().copied().unwrap_or(Value::Nil).truthy())
            }
            _ => Ok(false),
        }
    }

    fn order_error(&mut self, b: Value, c: Value) -> LuaError {
        let (t1, t2) = (b.type_name(), c.type_name());
        if t1 == t2 {
            self.rt_error(format!("attempt to compare two {} values", t1))
        } else {
            self.rt_error(format!("attempt to compare {} with {}", t1, t2))
        }
    }

    fn order_tm(&self, b: Value, c: Value, tm: Tm) -> Value {
        let f = self.get_tm(b, tm);
        if f.is_nil() {
            self.get_tm(c, tm)
        } else {
            f
        }
    }

    pub(crate) fn order_op(&mut self, lt: bool, b: Value, c: Value, expect: bool) -> LResult<Next> {
        if lt {
            let tm = self.order_tm(b, c, Tm::Lt);
            if tm.is_nil() {
                return Err(self.order_error(b, c));
            }
            self.call_tm_op(tm, &[b, c], Cont::Cond { expect, negate: false })
        } else {
            let tm = self.order_tm(b, c, Tm::Le);
            if !tm.is_nil() {
                return self.call_tm_op(tm, &[b, c], Cont::Cond { expect, negate: false });
            }
            let tm = self.order_tm(c, b, Tm::Lt);
            if tm.is_nil() {
                return Err(self.order_error(b, c));
            }
            self.call_tm_op(tm, &[c, b], Cont::Cond { expect, negate: true })
        }
    }

    /// `b < c` (or `<=`) with metamethods, for natives and the host.
    pub fn less(&mut self, lt: bool, b: Value, c: Value) -> LResult<bool> {
        match (b, c) {
            (Value::Num(x), Value::Num(y)) => return Ok(if lt { x < y } else { x <= y }),
            (Value::Str(x), Value::Str(y)) => {
                let o = self.heap.str(x).cmp(self.heap.str(y));
                return Ok(if lt { o.is_lt() } else { o.is_le() });
            }
            _ => {}
        }
        let (tm, args, neg) = if lt {
            (self.order_tm(b, c, Tm::Lt), [b, c], false)
        } else {
            let t = self.order_tm(b, c, Tm::Le);
            if !t.is_nil() {
                (t, [b, c], false)
            } else {
                (self.order_tm(c, b, Tm::Lt), [c, b], true)
            }
        };
        if tm.is_nil() {
            return Err(self.order_error(b, c));
        }
        let r = self.call_value(tm, &args, 1)?;
        Ok(r.first().copied().unwrap_or(Value::Nil).truthy() != neg)
    }

    /// Concatenate registers `b..=last` of the frame at `base` into `R(a)`.
    /// Works right to left, joining runs of strings/numbers at once; when a
    /// pair needs `__concat`, pushes the metamethod call (continuation
    /// `Concat`) and returns `false`. Returns `true` when `R(a)` is written.
    pub(crate) fn concat_range(&mut self, base: usize, a: u32, b: u32, mut last: u32) -> LResult<bool> {
        while last > b {
            let top_v = self.th.stack[base + last as usize];
            let prev_v = self.th.stack[base + last as usize - 1];
            let top_ok = matches!(top_v, Value::Str(_) | Value::Num(_));
            let prev_ok = matches!(prev_v, Value::Str(_) | Value::Num(_));
            if !(top_ok && prev_ok) {
                let mut tm = self.get_tm(prev_v, Tm::Concat);
                if tm.is_nil() {
                    tm = self.get_tm(top_v, Tm::Concat);
                }
                if tm.is_nil() {
                    let bad = if matches!(prev_v, Value::Str(_) | Value::Num(_)) { top_v } else { prev_v };
                    let o = if bad == prev_v && !matches!(prev_v, Value::Str(_) | Value::Num(_)) {
                        Origin::Reg(last - 1)
                    } else {
                        Origin::Reg(last)
                    };
                    return Err(self.type_error(bad, o, "concatenate"));
                }
                let next = self.call_tm_op(tm, &[prev_v, top_v], Cont::concat(a, b, last))?;
                let _ = next;
                return Ok(false);
            }
            // gather as many string/number operands as possible, downwards
            let mut first = last - 1;
            while first > b && matches!(self.th.stack[base + first as usize - 1], Value::Str(_) | Value::Num(_)) {
                first -= 1;
            }
            let mut total = 0usize;
            let mut parts: smallvec::SmallVec<[StrRef; 8]> = smallvec::SmallVec::new();
            for r in first..=last {
                let v = self.th.stack[base + r as usize];
                let s = self.to_str_coerce(v).expect("checked string or number");
                total += self.heap.str(s).len();
                parts.push(s);
            }
            self.check_alloc(total)?;
            let mut buf = Vec::with_capacity(total);
            for s in parts {
                buf.extend_from_slice(self.heap.str(s));
            }
            self.charge(total as u64 / 64)?;
            let s = self.heap.intern_vec(buf);
            crate::value::put(&mut self.th.stack[base + first as usize], Value::Str(s));
            last = first;
        }
        self.th.stack[base + a as usize] = self.th.stack[base + b as usize];
        Ok(true)
    }

    /// `luaL_tolstring`: string form of any value, honouring `__tostring`.
    pub fn tostring_value(&mut self, v: Value) -> LResult<StrRef> {
        if let Some(mt) = self.metatable(v) {
            let f = self.heap.table(mt).get_str(self.names.tostring);
            if !f.is_nil() {
                let r = self.call_value(f, &[v], 1)?;
                return match r.first().copied().unwrap_or(Value::Nil) {
                    Value::Str(s) => Ok(s),
                    _ => Err(self.rt_error("'__tostring' must return a string")),
                };
            }
        }
        Ok(self.tostring_raw(v))
    }

    /// String form without metamethods (`table: 0x...`, numbers `%.14g`).
    pub fn tostring_raw(&mut self, v: Value) -> StrRef {
        let s: Vec<u8> = match v {
            Value::Nil => b"nil".to_vec(),
            Value::Bool(true) => b"true".to_vec(),
            Value::Bool(false) => b"false".to_vec(),
            Value::Num(n) => {
                let mut b = Vec::new();
                crate::numfmt::fmt_g14(n, &mut b);
                b
            }
            Value::Str(s) => return s,
            Value::Table(t) => format!("table: 0x{:08x}", addr(1, t.id())).into_bytes(),
            Value::Func(f) => {
                let builtin = !matches!(self.heap.func(f), crate::object::Closure::Lua { .. });
                if builtin {
                    format!("function: builtin: 0x{:08x}", addr(2, f.id())).into_bytes()
                } else {
                    format!("function: 0x{:08x}", addr(2, f.id())).into_bytes()
                }
            }
            Value::UserData(u) => format!("userdata: 0x{:08x}", addr(3, u.id())).into_bytes(),
            Value::Thread(t) => format!("thread: 0x{:08x}", addr(4, t.id())).into_bytes(),
            Value::LightUserData(p) => format!("userdata: 0x{:08x}", p).into_bytes(),
        };
        self.heap.intern_vec(s)
    }

    /// `attempt to <op> <kind> '<name>' (a <type> value)` or `attempt to <op> a <type> value`.
    pub(crate) fn type_error(&mut self, v: Value, origin: Origin, op: &str) -> LuaError {
        let t = v.type_name();
        match self.var_info(origin) {
            Some((kind, name)) => self.rt_error(format!("attempt to {} {} '{}' (a {} value)", op, kind, name, t)),
            None => self.rt_error(format!("attempt to {} a {} value", op, t)),
        }
    }

    /// The error for calling a non-function at stack slot `func`.
    pub(crate) fn call_error(&mut self, func: usize, v: Value) -> LuaError {
        let origin = match self.th.frames.last() {
            Some(f) if f.kind == crate::object::FrameKind::Lua && func >= f.base && func < f.top => Origin::Reg((func - f.base) as u32),
            _ => Origin::None,
        };
        self.type_error(v, origin, "call")
    }
}

/// A fake but stable "address" for printing objects: distinct per kind and slot.
fn addr(kind: u64, id: u32) -> u64 {
    0x5500_0000_0000 + (kind << 36) + (id as u64) * 0x40
}

#[cfg(test)]
mod tests {
    use super::{ceil, floor};

    #[test]
    fn inline_floor_and_ceil_match_the_library() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.5,
            -2.5,
            1e-300,
            -1e-300,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            9.3e18,
            -9.3e18,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1.0 - f64::EPSILON,
        ];
        // a spread of magnitudes and fractions, both signs
        let mut x = 1e-6;
        while x < 1e20 {
            xs.push(x);
            xs.push(-x);
            xs.push(x + 0.25);
            xs.push(-(x + 0.75));
            x *= 1.37;
        }
        for &x in &xs {
            assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "floor({x:e})");
            assert_eq!(ceil(x).to_bits(), x.ceil().to_bits(), "ceil({x:e})");
        }
        assert!(floor(f64::NAN).is_nan() && ceil(f64::NAN).is_nan());
    }
}
