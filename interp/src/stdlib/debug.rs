//! The `debug` library of Lua 5.2.
//!
//! Stack levels count frames of a thread from the top: for the running
//! thread level 0 is the debug function itself (its native frame is the top
//! of `vm.th.frames`), level 1 its caller; for another coroutine level 0 is
//! its top frame (usually `coroutine.yield`).

use crate::aux::num_to_int;
use crate::ldebug::{local_name, FrameInfo, MASK_CALL, MASK_COUNT, MASK_LINE, MASK_RET};
use crate::object::{Action, Closure, FrameKind};
use crate::value::{TableRef, ThreadRef, Type, Value};
use crate::vm::{LResult, Vm};
use std::io::{BufRead, Write};

pub fn open(vm: &mut Vm) {
    vm.new_lib(
        "debug",
        &[
            ("debug", debug),
            ("getuservalue", getuservalue),
            ("gethook", gethook),
            ("getinfo", getinfo),
            ("getlocal", getlocal),
            ("getregistry", getregistry),
            ("getmetatable", getmetatable),
            ("getupvalue", getupvalue),
            ("upvaluejoin", upvaluejoin),
            ("upvalueid", upvalueid),
            ("setuservalue", setuservalue),
            ("sethook", sethook),
            ("setlocal", setlocal),
            ("setmetatable", setmetatable),
            ("setupvalue", setupvalue),
            ("traceback", traceback),
        ],
    );
}

/// An optional leading thread argument: `(thread, index offset)`.
fn get_thread(vm: &Vm) -> (ThreadRef, usize) {
    match vm.arg(1) {
        Value::Thread(t) => (t, 1),
        _ => (vm.cur, 0),
    }
}

fn frame_count(vm: &mut Vm, t: ThreadRef) -> usize {
    vm.with_thread(t, |th| th.frames.len())
}

/// Frame index of stack `level` in thread `t` (`lua_getstack`).
fn level_frame(vm: &mut Vm, t: ThreadRef, level: i64) -> Option<usize> {
    let n = frame_count(vm, t) as i64;
    if level < 0 || level >= n {
        None
    } else {
        Some((n - 1 - level) as usize)
    }
}

fn set_field(vm: &mut Vm, t: TableRef, k: &str, v: Value) {
    vm.raw_set_str(t, k, v);
}

fn set_str_field(vm: &mut Vm, t: TableRef, k: &str, s: &[u8]) {
    let v = vm.str_value(s);
    vm.raw_set_str(t, k, v);
}

/// `debug.getinfo([thread,] f | level [, what])`
fn getinfo(vm: &mut Vm) -> LResult<Action> {
    let (t, a) = get_thread(vm);
    let opts: Vec<u8> = match vm.opt_str(a + 2)? {
        Some(s) => vm.bytes_of(s).to_vec(),
        None => b"flnStu".to_vec(),
    };
    let target = vm.arg(a + 1);
    let info: FrameInfo;
    let by_level;
    if let Some(n) = vm.to_number(target) {
        let Some(fi) = level_frame(vm, t, num_to_int(n)) else {
            return vm.ret1(Value::Nil);
        };
        info = vm.frame_info(Some(t), fi);
        by_level = true;
    } else if target.type_of() == Type::Function {
        info = vm.function_info(target);
        by_level = false;
    } else {
        return Err(vm.arg_error(a + 1, "function or level expected"));
    }
    let _ = by_level;
    if opts.iter().any(|c| !b"SlutnLf".contains(c)) {
        return Err(vm.arg_error(a + 2, "invalid option"));
    }
    let has = |c: u8| opts.contains(&c);
    let tb = vm.new_table_with(0, 2);
    vm.ensure_stack(2)?;
    vm.push(Value::Table(tb));
    if has(b'S') {
        set_str_field(vm, tb, "source", &info.source);
        set_str_field(vm, tb, "short_src", &info.short_src);
        set_field(vm, tb, "linedefined", Value::Num(info.line_defined as f64));
        set_field(vm, tb, "lastlinedefined", Value::Num(info.last_line_defined as f64));
        set_str_field(vm, tb, "what", info.what.as_bytes());
    }
    if has(b'l') {
        set_field(vm, tb, "currentline", Value::Num(info.current_line as f64));
    }
    if has(b'u') {
        set_field(vm, tb, "nups", Value::Num(info.nups as f64));
        set_field(vm, tb, "nparams", Value::Num(info.nparams as f64));
        set_field(vm, tb, "isvararg", Value::Bool(info.is_vararg));
    }
    if has(b'n') {
        if let Some(n) = &info.name {
            set_str_field(vm, tb, "name", n);
        }
        set_str_field(vm, tb, "namewhat", info.namewhat.as_bytes());
    }
    if has(b't') {
        set_field(vm, tb, "istailcall", Value::Bool(info.is_tail_call));
    }
    if has(b'L') {
        let lines = active_lines(vm, info.func);
        if let Some(l) = lines {
            set_field(vm, tb, "activelines", Value::Table(l));
        }
    }
    if has(b'f') {
        set_field(vm, tb, "func", info.func);
    }
    Ok(Action::Return(1))
}

/// The set of lines with code of a Lua function (`nil` for natives).
fn active_lines(vm: &mut Vm, f: Value) -> Option<TableRef> {
    let Value::Func(fr) = f else { return None };
    let proto = match vm.heap.func(fr) {
        Closure::Lua { proto, .. } => proto.clone(),
        _ => return None,
    };
    let t = vm.new_table();
    for &l in proto.line_info.iter() {
        let _ = vm.raw_set(t, Value::Num(l as f64), Value::Bool(true));
    }
    Some(t)
}

/// The Lua prototype of a function value.
fn lua_proto(vm: &Vm, f: Value) -> Option<std::rc::Rc<crate::object::FuncProto>> {
    match f {
        Value::Func(fr) => match vm.heap.func(fr) {
            Closure::Lua { proto, .. } => Some(proto.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// PUC's `findlocal`: name and stack slot of local `n` of frame `fi` of `t`.
fn find_local(vm: &mut Vm, t: ThreadRef, fi: usize, n: i64) -> Option<(String, usize)> {
    let (frame, next_func, top, fval) = vm.with_thread(t, |th| {
        let f = th.frames[fi].clone();
        let next = th.frames.get(fi + 1).map(|nf| nf.func);
        let fv = th.stack[f.func];
        (f, next, th.top, fv)
    });
    let mut name = None;
    if frame.kind == FrameKind::Lua {
        let p = lua_proto(vm, fval)?;
        if n < 0 {
            let k = n.unsigned_abs() as usize;
            if k <= frame.nvarargs {
                return Some(("(*vararg)".to_string(), frame.func + p.num_params as usize + k));
            }
            return None;
        }
        if n > 0 {
            name = local_name(&p, n as usize, frame.pc.saturating_sub(1)).map(|s| s.to_string());
        }
    }
    let base = frame.base;
    if name.is_none() {
        let limit = next_func.unwrap_or(top);
        if n > 0 && limit >= base && (limit - base) as i64 >= n {
            name = Some("(*temporary)".to_string());
        } else {
            return None;
        }
    }
    Some((name?, base + n as usize - 1))
}

/// `debug.getlocal([thread,] f | level, n)`
fn getlocal(vm: &mut Vm) -> LResult<Action> {
    let (t, a) = get_thread(vm);
    let n = vm.check_integer(a + 2)?;
    let f = vm.arg(a + 1);
    if f.type_of() == Type::Function {
        let name = match lua_proto(vm, f) {
            Some(p) if n > 0 => local_name(&p, n as usize, 0).map(|s| s.to_string()),
            _ => None,
        };
        return match name {
            Some(s) => vm.ret_bytes(s.as_bytes()),
            None => vm.ret1(Value::Nil),
        };
    }
    let level = vm.check_integer(a + 1)?;
    let Some(fi) = level_frame(vm, t, level) else {
        return Err(vm.arg_error(a + 1, "level out of range"));
    };
    match find_local(vm, t, fi, n) {
        Some((name, slot)) => {
            let v = vm.with_thread(t, |th| th.stack[slot]);
            let nv = vm.str_value(name.as_bytes());
            vm.ret(&[nv, v])
        }
        None => vm.ret1(Value::Nil),
    }
}

/// `debug.setlocal([thread,] level, n, value)`
fn setlocal(vm: &mut Vm) -> LResult<Action> {
    let (t, a) = get_thread(vm);
    let level = vm.check_integer(a + 1)?;
    let Some(fi) = level_frame(vm, t, level) else {
        return Err(vm.arg_error(a + 1, "level out of range"));
    };
    let v = vm.check_any(a + 3)?;
    let n = vm.check_integer(a + 2)?;
    match find_local(vm, t, fi, n) {
        Some((name, slot)) => {
            vm.with_thread(t, |th| th.stack[slot] = v);
            vm.ret_bytes(name.as_bytes())
        }
        None => vm.ret1(Value::Nil),
    }
}

/// Name and current value of upvalue `n` (1-based) of function `f`.
fn upvalue_of(vm: &Vm, f: Value, n: i64) -> Option<(Vec<u8>, Value)> {
    let Value::Func(fr) = f else { return None };
    if n < 1 {
        return None;
    }
    let i = (n - 1) as usize;
    match vm.heap.func(fr) {
        Closure::Lua { proto, upvals } => {
            let u = *upvals.get(i)?;
            let name = proto.upvals.get(i).and_then(|d| d.name.as_deref()).unwrap_or("");
            Some((name.as_bytes().to_vec(), vm.upval_get(u)))
        }
        Closure::Native { upvals, .. } | Closure::Host { upvals, .. } => Some((Vec::new(), *upvals.get(i)?)),
    }
}

fn getupvalue(vm: &mut Vm) -> LResult<Action> {
    let n = vm.check_integer(2)?;
    let f = vm.check_type(1, Type::Function)?;
    match upvalue_of(vm, f, n) {
        Some((name, v)) => {
            let nv = vm.str_value(&name);
            vm.ret(&[nv, v])
        }
        None => vm.ret0(),
    }
}

fn setupvalue(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(3)?;
    let n = vm.check_integer(2)?;
    let f = vm.check_type(1, Type::Function)?;
    let Some((name, _)) = upvalue_of(vm, f, n) else {
        return vm.ret0();
    };
    let Value::Func(fr) = f else { unreachable!() };
    let i = (n - 1) as usize;
    let lua_cell = match vm.heap.func(fr) {
        Closure::Lua { upvals, .. } => Some(upvals[i]),
        _ => None,
    };
    match lua_cell {
        Some(u) => vm.upval_set(u, v),
        None => match vm.heap.funcs.get_mut(fr.idx()) {
            Closure::Native { upvals, .. } | Closure::Host { upvals, .. } => upvals[i] = v,
            Closure::Lua { .. } => {}
        },
    }
    vm.ret_bytes(&name)
}

/// `checkupval`: the upvalue index argument of `upvalueid`/`upvaluejoin`.
fn check_upval(vm: &mut Vm, argf: usize, argn: usize) -> LResult<(Value, usize)> {
    let n = vm.check_integer(argn)?;
    let f = vm.check_type(argf, Type::Function)?;
    let nups = vm.function_info(f).nups as i64;
    if !(1 <= n && n <= nups) {
        return Err(vm.arg_error(argn, "invalid upvalue index"));
    }
    Ok((f, (n - 1) as usize))
}

/// Light userdata tags for upvalue identities: Lua upvalue cells, and
/// slots of native closures.
const LUA_UPVAL_TAG: usize = 1 << (usize::BITS - 2);
const NATIVE_UPVAL_TAG: usize = 3 << (usize::BITS - 2);

fn upvalueid(vm: &mut Vm) -> LResult<Action> {
    let (f, i) = check_upval(vm, 1, 2)?;
    let Value::Func(fr) = f else { unreachable!() };
    let id = match vm.heap.func(fr) {
        Closure::Lua { upvals, .. } => LUA_UPVAL_TAG.wrapping_add((upvals[i].id() as usize).wrapping_mul(16)),
        _ => NATIVE_UPVAL_TAG.wrapping_add(((fr.id() as usize) << 8).wrapping_mul(16)).wrapping_add(i * 16),
    };
    vm.ret1(Value::LightUserData(id))
}

fn upvaluejoin(vm: &mut Vm) -> LResult<Action> {
    let (f1, i1) = check_upval(vm, 1, 2)?;
    let (f2, i2) = check_upval(vm, 3, 4)?;
    let (Value::Func(r1), Value::Func(r2)) = (f1, f2) else { unreachable!() };
    if !matches!(vm.heap.func(r1), Closure::Lua { .. }) {
        return Err(vm.arg_error(1, "Lua function expected"));
    }
    let u2 = match vm.heap.func(r2) {
        Closure::Lua { upvals, .. } => upvals[i2],
        _ => return Err(vm.arg_error(3, "Lua function expected")),
    };
    if let Closure::Lua { upvals, .. } = vm.heap.funcs.get_mut(r1.idx()) {
        upvals[i1] = u2;
    }
    vm.ret0()
}

fn sethook(vm: &mut Vm) -> LResult<Action> {
    let (t, a) = get_thread(vm);
    let (hook, mask, count) = if vm.arg_is_none_or_nil(a + 1) {
        (Value::Nil, 0u8, 0i64)
    } else {
        let smask = vm.check_bytes(a + 2)?;
        let f = vm.check_type(a + 1, Type::Function)?;
        let count = vm.opt_integer(a + 3, 0)?;
        let mut mask = 0u8;
        if smask.contains(&b'c') {
            mask |= MASK_CALL;
        }
        if smask.contains(&b'r') {
            mask |= MASK_RET;
        }
        if smask.contains(&b'l') {
            mask |= MASK_LINE;
        }
        if count > 0 {
            mask |= MASK_COUNT;
        }
        (f, mask, count)
    };
    let count = count.clamp(0, u32::MAX as i64) as u32;
    vm.with_thread(t, |th| {
        th.hook = hook;
        th.hook_mask = mask;
        th.hook_count = count;
        th.hook_counter = count;
    });
    // like PUC, whose old pc is the caller's when this function returns
    vm.hook_last = None;
    vm.reset_budget();
    vm.ret0()
}

fn gethook(vm: &mut Vm) -> LResult<Action> {
    let (t, _) = get_thread(vm);
    let (hook, mask, count) = vm.with_thread(t, |th| (th.hook, th.hook_mask, th.hook_count));
    let mut s = Vec::new();
    if mask & MASK_CALL != 0 {
        s.push(b'c');
    }
    if mask & MASK_RET != 0 {
        s.push(b'r');
    }
    if mask & MASK_LINE != 0 {
        s.push(b'l');
    }
    let sv = vm.str_value(&s);
    vm.ret(&[hook, sv, Value::Num(count as f64)])
}

/// `debug.traceback([thread,] [msg [, level]])`
fn traceback(vm: &mut Vm) -> LResult<Action> {
    let (t, a) = get_thread(vm);
    let m = vm.arg(a + 1);
    let msg: Option<Vec<u8>> = match m {
        Value::Nil => None,
        Value::Str(s) => Some(vm.bytes_of(s).to_vec()),
        Value::Num(_) => {
            let s = vm.to_str_coerce(m).expect("number");
            Some(vm.bytes_of(s).to_vec())
        }
        other => return vm.ret1(other),
    };
    let def = if t == vm.cur { 1 } else { 0 };
    let level = vm.opt_integer(a + 2, def)?;
    let level = if level < 0 { usize::MAX } else { level as usize };
    let tb = vm.traceback(Some(t), msg.as_deref(), level);
    vm.ret_bytes(&tb)
}

fn getmetatable(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(1)?;
    match vm.metatable(v) {
        Some(mt) => vm.ret1(Value::Table(mt)),
        None => vm.ret1(Value::Nil),
    }
}

fn setmetatable(vm: &mut Vm) -> LResult<Action> {
    let mt = vm.arg(2);
    if vm.nargs() < 2 || !matches!(mt, Value::Nil | Value::Table(_)) {
        return Err(vm.arg_error(2, "nil or table expected"));
    }
    let v = vm.arg(1);
    vm.set_metatable(v, mt.as_table());
    vm.ret1(v)
}

fn getregistry(vm: &mut Vm) -> LResult<Action> {
    let r = vm.registry;
    vm.ret1(Value::Table(r))
}

fn getuservalue(vm: &mut Vm) -> LResult<Action> {
    match vm.arg(1) {
        Value::UserData(u) => {
            let v = vm.heap.userdata.get(u.idx()).user_value;
            vm.ret1(v)
        }
        _ => vm.ret1(Value::Nil),
    }
}

fn setuservalue(vm: &mut Vm) -> LResult<Action> {
    if let Value::LightUserData(_) = vm.arg(1) {
        return Err(vm.arg_error(1, "full userdata expected, got light userdata"));
    }
    let u = vm.check_type(1, Type::UserData)?;
    if !vm.arg_is_none_or_nil(2) {
        vm.check_type(2, Type::Table)?;
    }
    let v = vm.arg(2);
    if let Value::UserData(r) = u {
        vm.heap.log_user_value(r);
        vm.heap.userdata.get_mut(r.idx()).user_value = v;
    }
    vm.ret1(u)
}

/// `debug.debug()`: run lines from standard input until `cont` (or end of
/// input). Does nothing in states without file/process access.
fn debug(vm: &mut Vm) -> LResult<Action> {
    if !vm.unsafe_os {
        return vm.ret0();
    }
    let stdin = std::io::stdin();
    loop {
        {
            let mut e = std::io::stderr();
            let _ = e.write_all(b"lua_debug> ");
            let _ = e.flush();
        }
        let mut line = Vec::new();
        match stdin.lock().read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return vm.ret0(),
            Ok(_) => {}
        }
        if line == b"cont\n" {
            return vm.ret0();
        }
        let r = match vm.load_chunk(&line, b"=(debug command)", b"bt", None) {
            Ok(f) => vm.call_value(Value::Func(f), &[], 0).map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            if matches!(e.kind, crate::vm::ErrorKind::InstructionLimit | crate::vm::ErrorKind::Timeout | crate::vm::ErrorKind::Interrupted)
            {
                return Err(e);
            }
            let msg: Vec<u8> = match e.value {
                Value::Str(s) => vm.bytes_of(s).to_vec(),
                Value::Num(_) => {
                    let s = vm.to_str_coerce(e.value).expect("number");
                    vm.bytes_of(s).to_vec()
                }
                _ => b"(null)".to_vec(),
            };
            let mut err = std::io::stderr();
            let _ = err.write_all(&msg);
            let _ = err.write_all(b"\n");
            let _ = err.flush();
        }
    }
}
