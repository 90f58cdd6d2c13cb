//! The base library: `print`, `type`, `pcall`, `load`, metatables, raw
//! access, `collectgarbage` and the 5.2 compatibility names.

use crate::object::Action;
use crate::value::Value;
use crate::vm::{ErrorKind, LResult, LuaError, Vm};
use std::io::Write;

pub fn open(vm: &mut Vm) {
    let g = vm.globals;
    vm.set_funcs(
        g,
        &[
            ("assert", assert),
            ("collectgarbage", collectgarbage),
            ("dofile", dofile),
            ("error", error),
            ("getmetatable", getmetatable),
            ("loadfile", loadfile),
            ("load", load),
            ("loadstring", loadstring),
            ("next", next),
            ("pcall", pcall),
            ("print", print),
            ("rawequal", rawequal),
            ("rawlen", rawlen),
            ("rawget", rawget),
            ("rawset", rawset),
            ("select", select),
            ("setmetatable", setmetatable),
            ("tonumber", tonumber),
            ("tostring", tostring),
            ("type", type_),
            ("xpcall", xpcall),
            ("unpack", crate::stdlib::base::unpack),
        ],
    );
    // pairs/ipairs always return the same iterator functions
    let nk = Value::Str(vm.heap.intern(b"next"));
    let nextf = vm.raw_get(g, nk);
    let aux = vm.native("ipairs_aux", ipairs_aux);
    let p = vm.native_with_upvals("pairs", pairs, vec![nextf]);
    let ip = vm.native_with_upvals("ipairs", ipairs, vec![aux]);
    vm.raw_set_str(g, "pairs", p);
    vm.raw_set_str(g, "ipairs", ip);
    vm.raw_set_str(g, "_G", Value::Table(g));
    let v = vm.str_value(b"Lua 5.2");
    vm.raw_set_str(g, "_VERSION", v);
    vm.register_loaded("_G", Value::Table(g));
}

fn print(vm: &mut Vm) -> LResult<Action> {
    let n = vm.nargs();
    let ts = vm.globals;
    let key = vm.str_value(b"tostring");
    let tostring_f = vm.raw_get(ts, key);
    let mut out = Vec::new();
    for i in 1..=n {
        let v = vm.arg(i);
        let s = match (v, tostring_f) {
            (Value::Str(s), _) => s,
            (Value::Num(_), _) => vm.to_str_coerce(v).expect("number"),
            _ => {
                let r = vm.call_value(tostring_f, &[v], 1)?;
                match r.first() {
                    Some(Value::Str(s)) => *s,
                    _ => return Err(vm.rt_error("'tostring' must return a string to 'print'")),
                }
            }
        };
        if i > 1 {
            out.push(b'\t');
        }
        out.extend_from_slice(vm.heap.str(s));
    }
    out.push(b'\n');
    let _ = vm.stdout.write_all(&out);
    let _ = vm.stdout.flush();
    vm.ret0()
}

fn type_(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(1)?;
    let s = vm.str_value(v.type_name().as_bytes());
    vm.ret1(s)
}

fn tostring(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(1)?;
    if let Some(mt) = vm.metatable(v) {
        let f = vm.heap.table(mt).get_str(vm.names.tostring);
        if !f.is_nil() {
            // 5.2.4 returns whatever __tostring returns
            let r = vm.call_value(f, &[v], 1)?;
            return vm.ret1(r.first().copied().unwrap_or(Value::Nil));
        }
    }
    let s = vm.tostring_raw(v);
    vm.ret1(Value::Str(s))
}

fn tonumber(vm: &mut Vm) -> LResult<Action> {
    if vm.arg_is_none_or_nil(2) {
        let v = vm.check_any(1)?;
        let r = match v {
            Value::Num(n) => Value::Num(n),
            Value::Str(s) => match crate::numfmt::str2number(vm.heap.str(s)) {
                Some(n) => Value::Num(n),
                None => Value::Nil,
            },
            _ => Value::Nil,
        };
        return vm.ret1(r);
    }
    let base = vm.check_integer(2)?;
    let s = vm.check_str(1)?;
    if !(2..=36).contains(&base) {
        return Err(vm.arg_error(2, "base out of range"));
    }
    let r = match crate::numfmt::str2number_base(vm.heap.str(s), base as u32) {
        Some(n) => Value::Num(n),
        None => Value::Nil,
    };
    vm.ret1(r)
}

fn ipairs_aux(vm: &mut Vm) -> LResult<Action> {
    let i = vm.check_integer(2)?;
    let t = vm.check_table(1)?;
    let i = i.wrapping_add(1);
    let v = if i >= 1 { vm.heap.table(t).get_int(i as usize) } else { vm.raw_get(t, Value::Num(i as f64)) };
    if v.is_nil() {
        return vm.ret1(Value::Nil);
    }
    vm.ret(&[Value::Num(i as f64), v])
}

fn pairs_meta(vm: &mut Vm, which: bool) -> LResult<Action> {
    let v = vm.arg(1);
    let name = if which { vm.names.pairs } else { vm.names.ipairs };
    let mm = match vm.metatable(v) {
        Some(mt) => vm.heap.table(mt).get_str(name),
        None => Value::Nil,
    };
    if mm.is_nil() {
        let f = vm.native_upvalue(1);
        vm.check_table(1)?;
        let init = if which { Value::Nil } else { Value::Num(0.0) };
        vm.ret(&[f, v, init])
    } else {
        let r = vm.call_value(mm, &[v], 3)?;
        vm.ret(&r)
    }
}

fn pairs(vm: &mut Vm) -> LResult<Action> {
    pairs_meta(vm, true)
}

fn ipairs(vm: &mut Vm) -> LResult<Action> {
    pairs_meta(vm, false)
}

fn next(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let k = vm.arg(2);
    match vm.heap.table(t).next(k) {
        Ok(Some((k, v))) => vm.ret(&[k, v]),
        Ok(None) => vm.ret1(Value::Nil),
        Err(()) => Err(vm.error_plain("invalid key to 'next'", ErrorKind::Runtime)),
    }
}

fn select(vm: &mut Vm) -> LResult<Action> {
    let n = vm.nargs();
    if let Value::Str(s) = vm.arg(1) {
        if vm.heap.str(s) == b"#" {
            return vm.ret1(Value::Num((n - 1) as f64));
        }
    }
    let i = vm.check_integer(1)?;
    let start = if i < 0 {
        let k = n as i64 + i;
        if k < 1 {
            return Err(vm.arg_error(1, "index out of range"));
        }
        k as usize
    } else if i == 0 {
        return Err(vm.arg_error(1, "index out of range"));
    } else {
        (i as usize).min(n)
    };
    let cnt = n - start;
    Ok(Action::Return(cnt))
}

fn rawequal(vm: &mut Vm) -> LResult<Action> {
    let a = vm.check_any(1)?;
    let b = vm.check_any(2)?;
    vm.ret1(Value::Bool(a == b))
}

fn rawlen(vm: &mut Vm) -> LResult<Action> {
    let n = match vm.arg(1) {
        Value::Table(t) => vm.heap.table(t).length(),
        Value::Str(s) => vm.heap.str(s).len(),
        _ => return Err(vm.arg_error(1, "table or string expected")),
    };
    vm.ret1(Value::Num(n as f64))
}

fn rawget(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let k = vm.check_any(2)?;
    let v = vm.raw_get(t, k);
    vm.ret1(v)
}

fn rawset(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let k = vm.check_any(2)?;
    let v = vm.check_any(3)?;
    vm.raw_set(t, k, v)?;
    vm.ret1(Value::Table(t))
}

fn getmetatable(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(1)?;
    match vm.metatable(v) {
        None => vm.ret1(Value::Nil),
        Some(mt) => {
            let protected = vm.heap.table(mt).get_str(vm.names.metatable);
            if protected.is_nil() {
                vm.ret1(Value::Table(mt))
            } else {
                vm.ret1(protected)
            }
        }
    }
}

fn setmetatable(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let mt = vm.arg(2);
    if !matches!(mt, Value::Nil | Value::Table(_)) || vm.nargs() < 2 {
        return Err(vm.type_arg_error(2, "nil or table"));
    }
    if let Some(old) = vm.heap.table(t).meta {
        if !vm.heap.table(old).get_str(vm.names.metatable).is_nil() {
            return Err(vm.rt_error("cannot change a protected metatable"));
        }
    }
    vm.set_metatable(Value::Table(t), mt.as_table());
    vm.ret1(Value::Table(t))
}

impl Vm {
    /// Set the metatable of a table or userdata (or of a basic type),
    /// registering the object for finalisation when `__gc` is present.
    pub fn set_metatable(&mut self, v: Value, mt: Option<crate::value::TableRef>) {
        self.heap.log_meta(v, &self.type_meta);
        match v {
            Value::Table(t) => {
                let tb = self.heap.table_mut(t);
                tb.meta = mt;
                tb.absent = 0;
            }
            Value::UserData(u) => self.heap.userdata.get_mut(u.idx()).meta = mt,
            other => self.type_meta[other.type_of() as usize] = mt,
        }
        if let Some(m) = mt {
            if matches!(v, Value::Table(_) | Value::UserData(_)) && !self.heap.table(m).get_str(self.names.gc).is_nil() {
                self.mark_finalizable(v);
            }
        }
    }
}

fn assert(vm: &mut Vm) -> LResult<Action> {
    if !vm.arg(1).truthy() {
        let n = vm.nargs();
        if n == 0 {
            return Err(vm.type_arg_error(1, "value"));
        }
        if n >= 2 {
            let m = vm.arg(2);
            let msg = match m {
                Value::Str(_) => m,
                Value::Num(_) => Value::Str(vm.to_str_coerce(m).expect("num")),
                _ => {
                    return Err(vm.arg_error(2, &format!("string expected, got {}", m.type_name())));
                }
            };
            return Err(LuaError::new(msg, ErrorKind::Runtime));
        }
        return Err(vm.rt_error("assertion failed!"));
    }
    Ok(Action::Return(vm.nargs()))
}

fn error(vm: &mut Vm) -> LResult<Action> {
    let level = vm.opt_integer(2, 1)?;
    let v = vm.arg(1);
    if let Value::Str(s) = v {
        if level > 0 {
            let mut m = vm.where_(level as usize).into_bytes();
            m.extend_from_slice(vm.heap.str(s));
            let nv = Value::Str(vm.heap.intern_vec(m));
            return Err(LuaError::new(nv, ErrorKind::Runtime));
        }
    }
    Err(LuaError::new(v, ErrorKind::Runtime))
}

fn pcall(vm: &mut Vm) -> LResult<Action> {
    vm.check_any(1)?;
    let func = vm.arg_slot(1);
    Ok(Action::Protected { func, handler: None })
}

fn xpcall(vm: &mut Vm) -> LResult<Action> {
    let n = vm.nargs();
    if n < 2 {
        return Err(vm.arg_error(2, "value expected"));
    }
    // reorder to: handler, f, args...
    let (f, h) = (vm.arg(1), vm.arg(2));
    vm.set_arg(1, h);
    vm.set_arg(2, f);
    Ok(Action::Protected { func: vm.arg_slot(2), handler: Some(vm.arg_slot(1)) })
}

/// Push `nil, msg` for a failed load.
fn load_fail(vm: &mut Vm, e: LuaError) -> LResult<Action> {
    if e.kind == ErrorKind::Syntax || e.kind == ErrorKind::Runtime {
        vm.ret(&[Value::Nil, e.value])
    } else {
        Err(e)
    }
}

fn load(vm: &mut Vm) -> LResult<Action> {
    let chunk = vm.arg(1);
    let mode: Vec<u8> = match vm.opt_str(3)? {
        Some(m) => vm.heap.str(m).to_vec(),
        None => b"bt".to_vec(),
    };
    let env = if vm.nargs() >= 4 { Some(vm.arg(4)) } else { None };
    let (src, default_name): (Vec<u8>, Vec<u8>) = match chunk {
        Value::Str(s) => {
            let b = vm.heap.str(s).to_vec();
            (b.clone(), b)
        }
        Value::Num(_) => {
            let s = vm.check_str(1)?;
            let b = vm.heap.str(s).to_vec();
            (b.clone(), b)
        }
        Value::Func(_) => {
            let mut buf = Vec::new();
            loop {
                let r = match vm.call_value(chunk, &[], 1) {
                    Ok(r) => r,
                    Err(e) => return load_fail(vm, e),
                };
                match r.first().copied().unwrap_or(Value::Nil) {
                    Value::Nil => break,
                    Value::Str(s) => {
                        let b = vm.heap.str(s);
                        if b.is_empty() {
                            break;
                        }
                        buf.extend_from_slice(b);
                        vm.check_alloc(buf.len())?;
                    }
                    _ => {
                        let e = vm.error_plain("reader function must return a string", ErrorKind::Syntax);
                        return load_fail(vm, e);
                    }
                }
            }
            (buf, b"=(load)".to_vec())
        }
        _ => return Err(vm.type_arg_error(1, "string")),
    };
    let name: Vec<u8> = match vm.opt_str(2)? {
        Some(n) => vm.heap.str(n).to_vec(),
        None => default_name,
    };
    match vm.load_chunk(&src, &name, &mode, env) {
        Ok(f) => vm.ret1(Value::Func(f)),
        Err(e) => load_fail(vm, e),
    }
}

fn loadstring(vm: &mut Vm) -> LResult<Action> {
    let s = vm.check_str(1)?;
    let src = vm.heap.str(s).to_vec();
    let name: Vec<u8> = match vm.opt_str(2)? {
        Some(n) => vm.heap.str(n).to_vec(),
        None => src.clone(),
    };
    match vm.load_chunk(&src, &name, b"bt", None) {
        Ok(f) => vm.ret1(Value::Func(f)),
        Err(e) => load_fail(vm, e),
    }
}

impl Vm {
    /// `luaL_loadfilex`: read a file (or standard input for `None`), skip a
    /// first `#` line, and compile it with chunk name `@file` / `=stdin`.
    pub fn load_file(&mut self, path: Option<&[u8]>, mode: &[u8], env: Option<Value>) -> LResult<crate::value::FuncRef> {
        if !self.unsafe_os {
            let msg = "file access is disabled in this state";
            return Err(self.error_plain(msg, ErrorKind::Runtime));
        }
        let (data, name) = match path {
            None => {
                let mut d = Vec::new();
                let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut d);
                (d, b"=stdin".to_vec())
            }
            Some(p) => {
                let ps = String::from_utf8_lossy(p).into_owned();
                match std::fs::read(&ps) {
                    Ok(d) => {
                        let mut n = b"@".to_vec();
                        n.extend_from_slice(p);
                        (d, n)
                    }
                    Err(e) => {
                        let msg = format!("cannot open {}: {}", ps, crate::stdlib::os::io_error_text(&e));
                        return Err(self.error_plain(&msg, ErrorKind::Runtime));
                    }
                }
            }
        };
        // a UTF-8 byte-order mark and a first `#` line are skipped; the
        // line's `\n` stays for line numbers, except before a binary chunk
        let mut src: &[u8] = crate::lexer::skip_file_header(&data);
        if src.len() > 1 && src[0] == b'\n' && src[1] == 0x1b && src.len() < data.len() {
            src = &src[1..];
        }
        self.load_chunk(src, &name, mode, env)
    }
}

fn loadfile(vm: &mut Vm) -> LResult<Action> {
    let path = vm.opt_str(1)?.map(|s| vm.heap.str(s).to_vec());
    let mode: Vec<u8> = match vm.opt_str(2)? {
        Some(m) => vm.heap.str(m).to_vec(),
        None => b"bt".to_vec(),
    };
    let env = if vm.nargs() >= 3 { Some(vm.arg(3)) } else { None };
    match vm.load_file(path.as_deref(), &mode, env) {
        Ok(f) => vm.ret1(Value::Func(f)),
        Err(e) => load_fail(vm, e),
    }
}

fn dofile(vm: &mut Vm) -> LResult<Action> {
    let path = vm.opt_str(1)?.map(|s| vm.heap.str(s).to_vec());
    let f = vm.load_file(path.as_deref(), b"bt", None)?;
    let func = vm.th.top;
    vm.push(Value::Func(f));
    Ok(Action::TailCall { func })
}

pub fn unpack(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let i = vm.opt_integer(2, 1)?;
    let e = if vm.arg_is_none_or_nil(3) { vm.heap.table(t).length() as i64 } else { vm.check_integer(3)? };
    if i > e {
        return Ok(Action::Return(0));
    }
    let n = (e as i128 - i as i128 + 1) as u128;
    if n >= 1_000_000 || vm.ensure_stack(n as usize + 20).is_err() {
        return Err(vm.rt_error("too many results to unpack"));
    }
    vm.charge(n as u64)?;
    let tb = vm.heap.table(t);
    let vals: Vec<Value> = (i..=e).map(|k| if k >= 1 { tb.get_int(k as usize) } else { tb.get(Value::Num(k as f64)) }).collect();
    vm.ret(&vals)
}

fn collectgarbage(vm: &mut Vm) -> LResult<Action> {
    const OPTS: &[&str] = &[
        "stop",
        "restart",
        "collect",
        "count",
        "step",
        "setpause",
        "setstepmul",
        "setmajorinc",
        "isrunning",
        "generational",
        "incremental",
    ];
    let o = vm.check_option(1, Some("collect"), OPTS)?;
    let ex = vm.opt_integer(2, 0)?;
    match OPTS[o] {
        "stop" => {
            vm.heap.running = false;
            vm.ret1(Value::Num(0.0))
        }
        "restart" => {
            vm.heap.running = true;
            vm.heap.threshold = vm.heap.bytes;
            vm.ret1(Value::Num(0.0))
        }
        "collect" => {
            vm.full_gc();
            vm.run_finalizers(true)?;
            vm.ret1(Value::Num(0.0))
        }
        "count" => {
            let b = vm.heap.bytes;
            vm.ret(&[Value::Num(b as f64 / 1024.0), Value::Num((b % 1024) as f64)])
        }
        "step" => {
            // The collector is not incremental: a step accounts for some
            // work (more for a larger argument) and a full collection runs
            // when the work done covers the heap, which is what "finished a
            // cycle" means to scripts.
            let work = (ex.max(0) as usize + 1) * 1024 * vm.heap.stepmul.max(1) as usize / 100;
            vm.gc_step_work += work;
            if vm.gc_step_work >= vm.heap.bytes / 4 || ex > 0 && vm.gc_step_work >= vm.heap.bytes / 8 {
                vm.gc_step_work = 0;
                vm.full_gc();
                vm.run_finalizers(true)?;
                vm.ret1(Value::Bool(true))
            } else {
                vm.ret1(Value::Bool(false))
            }
        }
        "setpause" => {
            let old = vm.heap.pause;
            vm.heap.pause = ex.clamp(0, 100_000) as u32;
            vm.ret1(Value::Num(old as f64))
        }
        "setstepmul" => {
            let old = vm.heap.stepmul;
            vm.heap.stepmul = ex.clamp(0, 100_000) as u32;
            vm.ret1(Value::Num(old as f64))
        }
        "setmajorinc" => {
            let old = vm.heap.majorinc;
            vm.heap.majorinc = ex.clamp(0, 100_000) as u32;
            vm.ret1(Value::Num(old as f64))
        }
        "isrunning" => {
            let r = vm.heap.running;
            vm.ret1(Value::Bool(r))
        }
        _ => vm.ret1(Value::Num(0.0)),
    }
}
