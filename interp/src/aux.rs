//! The interface native (library) functions use: argument access and
//! checking with PUC's `bad argument` messages, results, and registration.
//!
//! A native function runs with its frame on top: arguments are
//! `stack[base .. top]`, `vm.arg(1)` is the first. It returns
//! `Ok(Action::Return(n))` after pushing `n` results (see [`Vm::ret`]).
//! Values a native still needs after calling back into Lua must stay on the
//! stack (arguments are), because a collection may run during that call.

use crate::object::{Action, NativeFn};
use crate::value::{StrRef, TableRef, Type, Value};
use crate::vm::{LResult, LuaError, Vm};

impl Vm {
    #[inline]
    fn native_base(&self) -> usize {
        self.th.frames.last().expect("native frame").base
    }

    /// Number of arguments of the running native function.
    #[inline]
    pub fn nargs(&self) -> usize {
        self.th.top - self.native_base()
    }

    /// Argument `i` (1-based); `Nil` when absent.
    #[inline]
    pub fn arg(&self, i: usize) -> Value {
        let b = self.native_base();
        if b + i - 1 < self.th.top {
            self.th.stack[b + i - 1]
        } else {
            Value::Nil
        }
    }

    /// Whether argument `i` is absent or nil (`luaL_opt`'s test).
    #[inline]
    pub fn arg_is_none_or_nil(&self, i: usize) -> bool {
        self.arg(i).is_nil()
    }

    /// Stack slot of argument `i`.
    pub fn arg_slot(&self, i: usize) -> usize {
        self.native_base() + i - 1
    }

    pub fn set_arg(&mut self, i: usize, v: Value) {
        let s = self.arg_slot(i);
        if s < self.th.top {
            crate::value::put(&mut self.th.stack[s], v);
        }
    }

    /// Upvalue `i` (1-based) of the running native closure.
    pub fn native_upvalue(&self, i: usize) -> Value {
        let f = self.th.frames.last().expect("frame").func;
        match self.th.stack[f] {
            Value::Func(fr) => match self.heap.func(fr) {
                crate::object::Closure::Native { upvals, .. } | crate::object::Closure::Host { upvals, .. } => {
                    upvals.get(i - 1).copied().unwrap_or(Value::Nil)
                }
                _ => Value::Nil,
            },
            _ => Value::Nil,
        }
    }

    /// `bad argument #i to 'name' (msg)`, named as PUC's `luaL_argerror` does.
    pub fn arg_error(&mut self, i: usize, msg: &str) -> LuaError {
        let fi = self.th.frames.len() - 1;
        let mut narg = i;
        let name = self.func_name(&self.th, fi);
        if let Some(("method", n)) = &name {
            narg -= 1;
            if narg == 0 {
                return self.rt_error(format!("calling '{}' on bad self ({})", n, msg));
            }
        }
        let fname = match name {
            Some((_, n)) => n,
            None => {
                let f = self.th.stack[self.th.frames[fi].func];
                self.global_func_name(f).unwrap_or_else(|| "?".to_string())
            }
        };
        self.rt_error(format!("bad argument #{} to '{}' ({})", narg, fname, msg))
    }

    /// `X expected, got Y` for argument `i`.
    pub fn type_arg_error(&mut self, i: usize, expected: &str) -> LuaError {
        let got = if i > self.nargs() { "no value" } else { self.arg(i).type_name() };
        let msg = format!("{} expected, got {}", expected, got);
        self.arg_error(i, &msg)
    }

    pub fn check_any(&mut self, i: usize) -> LResult<Value> {
        if i > self.nargs() {
            return Err(self.arg_error(i, "value expected"));
        }
        Ok(self.arg(i))
    }

    pub fn check_table(&mut self, i: usize) -> LResult<TableRef> {
        match self.arg(i) {
            Value::Table(t) => Ok(t),
            _ => Err(self.type_arg_error(i, "table")),
        }
    }

    pub fn check_type(&mut self, i: usize, t: Type) -> LResult<Value> {
        let v = self.arg(i);
        if i > self.nargs() || v.type_of() != t {
            return Err(self.type_arg_error(i, t.name()));
        }
        Ok(v)
    }

    #[inline]
    pub fn check_number(&mut self, i: usize) -> LResult<f64> {
        match self.arg(i) {
            Value::Num(n) => Ok(n),
            _ => self.check_number_slow(i),
        }
    }

    /// `check_number` for anything but a number: string coercion or the error.
    #[cold]
    #[inline(never)]
    fn check_number_slow(&mut self, i: usize) -> LResult<f64> {
        match self.to_number(self.arg(i)) {
            Some(n) => Ok(n),
            None => Err(self.type_arg_error(i, "number")),
        }
    }

    pub fn opt_number(&mut self, i: usize, def: f64) -> LResult<f64> {
        if self.arg_is_none_or_nil(i) {
            Ok(def)
        } else {
            self.check_number(i)
        }
    }

    /// `luaL_checkinteger`: a number truncated toward zero (as a C cast on x86-64).
    #[inline]
    pub fn check_integer(&mut self, i: usize) -> LResult<i64> {
        let n = self.check_number(i)?;
        Ok(num_to_int(n))
    }

    #[inline]
    pub fn opt_integer(&mut self, i: usize, def: i64) -> LResult<i64> {
        match self.arg(i) {
            Value::Num(n) => Ok(num_to_int(n)),
            Value::Nil => Ok(def),
            _ => self.check_integer(i),
        }
    }

    /// `luaL_checklstring`: strings, and numbers converted in place.
    #[inline]
    pub fn check_str(&mut self, i: usize) -> LResult<StrRef> {
        match self.arg(i) {
            Value::Str(s) => Ok(s),
            _ => self.check_str_slow(i),
        }
    }

    /// `check_str` for anything but a string: number coercion or the error.
    #[cold]
    #[inline(never)]
    fn check_str_slow(&mut self, i: usize) -> LResult<StrRef> {
        match self.arg(i) {
            Value::Str(s) => Ok(s),
            Value::Num(_) => {
                let s = self.to_str_coerce(self.arg(i)).expect("number");
                self.set_arg(i, Value::Str(s));
                Ok(s)
            }
            _ => Err(self.type_arg_error(i, "string")),
        }
    }

    pub fn opt_str(&mut self, i: usize) -> LResult<Option<StrRef>> {
        if self.arg_is_none_or_nil(i) {
            Ok(None)
        } else {
            self.check_str(i).map(Some)
        }
    }

    /// Copy of a string argument's bytes.
    pub fn check_bytes(&mut self, i: usize) -> LResult<Vec<u8>> {
        let s = self.check_str(i)?;
        Ok(self.heap.str(s).to_vec())
    }

    /// `luaL_checkoption`: one of `options`, or the default.
    pub fn check_option(&mut self, i: usize, def: Option<&str>, options: &[&str]) -> LResult<usize> {
        let name: Vec<u8> = match (def, self.arg_is_none_or_nil(i)) {
            (Some(d), true) => d.as_bytes().to_vec(),
            _ => {
                let s = self.check_str(i)?;
                self.heap.str(s).to_vec()
            }
        };
        match options.iter().position(|o| o.as_bytes() == name.as_slice()) {
            Some(p) => Ok(p),
            None => {
                let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                Err(self.arg_error(i, &msg))
            }
        }
    }

    /// Push results and return them.
    pub fn ret(&mut self, vals: &[Value]) -> LResult<Action> {
        self.ensure_stack(vals.len())?;
        for &v in vals {
            self.push(v);
        }
        Ok(Action::Return(vals.len()))
    }

    #[inline]
    pub fn ret1(&mut self, v: Value) -> LResult<Action> {
        self.push(v);
        Ok(Action::Return(1))
    }

    pub fn ret0(&mut self) -> LResult<Action> {
        Ok(Action::Return(0))
    }

    /// Return a new string.
    pub fn ret_bytes(&mut self, b: &[u8]) -> LResult<Action> {
        let v = self.str_value(b);
        self.ret1(v)
    }

    /// Set `t[name] = native(f)` for each entry.
    pub fn set_funcs(&mut self, t: TableRef, fns: &[(&'static str, NativeFn)]) {
        for &(name, f) in fns {
            let fv = self.native(name, f);
            self.raw_set_str(t, name, fv);
        }
    }

    /// Create a library table, register it in `package.loaded[name]` and as a global.
    pub fn new_lib(&mut self, name: &str, fns: &[(&'static str, NativeFn)]) -> TableRef {
        let t = self.new_table_with(0, fns.len());
        self.set_funcs(t, fns);
        self.register_loaded(name, Value::Table(t));
        let g = self.globals;
        self.raw_set_str(g, name, Value::Table(t));
        t
    }

    /// `package.loaded` (the registry's `_LOADED` table), created on demand.
    pub fn loaded_table(&mut self) -> TableRef {
        let key = Value::Str(self.names.loaded);
        match self.raw_get(self.registry, key) {
            Value::Table(t) => t,
            _ => {
                let t = self.new_table();
                let r = self.registry;
                let _ = self.raw_set(r, key, Value::Table(t));
                t
            }
        }
    }

    pub fn register_loaded(&mut self, name: &str, v: Value) {
        let l = self.loaded_table();
        self.raw_set_str(l, name, v);
    }

    /// Bytes of a string value (for natives holding a handle).
    pub fn bytes_of(&self, s: StrRef) -> &[u8] {
        self.heap.str(s)
    }
}

/// A C-style `(lua_Integer)n` cast as x86-64 does it: truncation, and
/// `i64::MIN` for NaN and out-of-range values.
#[inline]
pub fn num_to_int(n: f64) -> i64 {
    // [-2^63, 2^63) converts; NaN and everything else gives i64::MIN
    if (i64::MIN as f64..i64::MAX as f64).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}
