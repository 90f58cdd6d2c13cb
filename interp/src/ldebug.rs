//! Debug information: error positions, variable hints recovered from the
//! bytecode (PUC's symbolic execution: which instruction last set a
//! register), function names for messages and tracebacks, and debug hooks.

use crate::meta::Origin;
use crate::object::{Closure, FrameKind, FuncProto, Thread};
use crate::opcodes::{index_k, is_k, OpCode};
use crate::value::{ThreadRef, Value};
use crate::vm::{LResult, Vm};

pub const MASK_CALL: u8 = 1;
pub const MASK_RET: u8 = 2;
pub const MASK_LINE: u8 = 4;
pub const MASK_COUNT: u8 = 8;

/// What `debug.getinfo` and tracebacks know about one frame.
#[derive(Debug, Clone, Default)]
pub struct FrameInfo {
    pub source: Vec<u8>,
    pub short_src: Vec<u8>,
    pub current_line: i64,
    pub line_defined: i64,
    pub last_line_defined: i64,
    /// "Lua", "C", "main"
    pub what: &'static str,
    pub name: Option<Vec<u8>>,
    /// "global", "local", "method", "field", "upvalue", "metamethod", "for iterator", ""
    pub namewhat: &'static str,
    pub nups: usize,
    pub nparams: usize,
    pub is_vararg: bool,
    pub is_tail_call: bool,
    pub func: Value,
}

/// Line of instruction `pc` (0-based) of `p`.
pub fn line_at(p: &FuncProto, pc: usize) -> i64 {
    p.line_info.get(pc).map(|&l| l as i64).unwrap_or(-1)
}

/// Name of local variable number `n` (1-based) active at `pc`.
pub fn local_name(p: &FuncProto, mut n: usize, pc: usize) -> Option<&str> {
    for lv in p.loc_vars.iter() {
        if lv.start_pc as usize > pc {
            break;
        }
        if pc < lv.end_pc as usize {
            n -= 1;
            if n == 0 {
                return Some(&lv.name);
            }
        }
    }
    None
}

fn upval_name(p: &FuncProto, i: usize) -> &str {
    p.upvals.get(i).and_then(|u| u.name.as_deref()).unwrap_or("?")
}

/// The pc of the last instruction before `lastpc` that changed `reg`
/// (ignoring ones inside jumps that may have been skipped).
fn find_set_reg(p: &FuncProto, lastpc: usize, reg: u32) -> Option<usize> {
    let mut setreg = None;
    let mut jmptarget = 0usize;
    for pc in 0..lastpc.min(p.code.len()) {
        let i = p.code[pc];
        let Some(op) = i.op() else { continue };
        let a = i.a();
        let filter = |pc: usize| if pc < jmptarget { None } else { Some(pc) };
        match op {
            OpCode::LoadNil => {
                if a <= reg && reg <= a + i.b() {
                    setreg = filter(pc);
                }
            }
            OpCode::TForCall => {
                if reg >= a + 2 {
                    setreg = filter(pc);
                }
            }
            OpCode::Call | OpCode::TailCall => {
                if reg >= a {
                    setreg = filter(pc);
                }
            }
            OpCode::Jmp => {
                let dest = pc as i64 + 1 + i.sbx() as i64;
                if (pc as i64) < dest && dest <= lastpc as i64 && dest as usize > jmptarget {
                    jmptarget = dest as usize;
                }
            }
            _ => {
                if op.info().sets_a && reg == a {
                    setreg = filter(pc);
                }
            }
        }
    }
    setreg
}

fn const_name(p: &FuncProto, vm: &Vm, pc: usize, c: u32) -> String {
    if is_k(c) {
        if let Some(Value::Str(s)) = p.k.get(index_k(c) as usize) {
            return String::from_utf8_lossy(vm.heap.str(*s)).into_owned();
        }
    } else if let Some(("constant", name)) = obj_name(p, vm, pc, c) {
        return name;
    }
    "?".to_string()
}

/// PUC's `getobjname`: what register `reg` holds at `lastpc`.
pub fn obj_name(p: &FuncProto, vm: &Vm, lastpc: usize, reg: u32) -> Option<(&'static str, String)> {
    if let Some(n) = local_name(p, reg as usize + 1, lastpc) {
        return Some(("local", n.to_string()));
    }
    let pc = find_set_reg(p, lastpc, reg)?;
    let i = p.code[pc];
    match i.op()? {
        OpCode::Move => {
            let b = i.b();
            if b < i.a() {
                return obj_name(p, vm, pc, b);
            }
            None
        }
        op @ (OpCode::GetTabUp | OpCode::GetTable) => {
            let t = i.b();
            let vn = if op == OpCode::GetTable {
                local_name(p, t as usize + 1, pc).map(|s| s.to_string())
            } else {
                Some(upval_name(p, t as usize).to_string())
            };
            let name = const_name(p, vm, pc, i.c());
            let kind = if vn.as_deref() == Some("_ENV") { "global" } else { "field" };
            Some((kind, name))
        }
        OpCode::GetUpval => Some(("upvalue", upval_name(p, i.b() as usize).to_string())),
        op @ (OpCode::LoadK | OpCode::LoadKx) => {
            let b = if op == OpCode::LoadK { i.bx() } else { p.code.get(pc + 1)?.ax_arg() };
            if let Some(Value::Str(s)) = p.k.get(b as usize) {
                return Some(("constant", String::from_utf8_lossy(vm.heap.str(*s)).into_owned()));
            }
            None
        }
        OpCode::SelfOp => Some(("method", const_name(p, vm, pc, i.c()))),
        _ => None,
    }
}

impl Vm {
    fn lua_proto_of(&self, th: &Thread, fi: usize) -> Option<std::rc::Rc<FuncProto>> {
        let f = th.frames.get(fi)?;
        if f.kind != FrameKind::Lua {
            return None;
        }
        match th.stack.get(f.func)? {
            Value::Func(fr) => match self.heap.func(*fr) {
                Closure::Lua { proto, .. } => Some(proto.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Current line of frame `fi` of thread `th` (-1 for natives).
    fn frame_line(&self, th: &Thread, fi: usize) -> i64 {
        match self.lua_proto_of(th, fi) {
            Some(p) => line_at(&p, th.frames[fi].pc.saturating_sub(1)),
            None => -1,
        }
    }

    /// `chunk:line:` of the frame at `level` (1 = the function that called
    /// the running native, or the running Lua function), or "".
    pub fn where_(&self, level: usize) -> String {
        let th = &self.th;
        let n = th.frames.len();
        if n == 0 {
            return String::new();
        }
        let top = n - 1;
        let target = if th.frames[top].kind == FrameKind::Lua { top as i64 - (level as i64 - 1) } else { top as i64 - level as i64 };
        if target < 0 {
            return String::new();
        }
        let fi = target as usize;
        if let Some(p) = self.lua_proto_of(th, fi) {
            let line = line_at(&p, th.frames[fi].pc.saturating_sub(1));
            if line > 0 {
                let id = crate::proto::chunk_id(&p.source);
                return format!("{}:{}: ", String::from_utf8_lossy(&id), line);
            }
        }
        String::new()
    }

    /// Variable hint for an operand of the running Lua instruction.
    pub(crate) fn var_info(&self, origin: Origin) -> Option<(&'static str, String)> {
        let th = &self.th;
        let fi = th.frames.len().checked_sub(1)?;
        let p = self.lua_proto_of(th, fi)?;
        let pc = th.frames[fi].pc.saturating_sub(1);
        match origin {
            Origin::Upval(u) => Some(("upvalue", upval_name(&p, u as usize).to_string())),
            Origin::Reg(r) => obj_name(&p, self, pc, r),
            _ => None,
        }
    }

    /// How the function of frame `fi` was called, from its caller's code.
    pub(crate) fn func_name(&self, th: &Thread, fi: usize) -> Option<(&'static str, String)> {
        if fi == 0 || th.frames[fi].tail {
            return None;
        }
        let cont = th.frames[fi].cont;
        if matches!(cont, crate::object::Cont::Boundary | crate::object::Cont::CoroutineBody | crate::object::Cont::PCall) {
            return None;
        }
        let ci = fi - 1;
        let p = self.lua_proto_of(th, ci)?;
        let pc = th.frames[ci].pc.saturating_sub(1);
        let i = *p.code.get(pc)?;
        let tm = match i.op()? {
            OpCode::Call | OpCode::TailCall => return obj_name(&p, self, pc, i.a()),
            OpCode::TForCall => return Some(("for iterator", "for iterator".to_string())),
            OpCode::SelfOp | OpCode::GetTabUp | OpCode::GetTable => "index",
            OpCode::SetTabUp | OpCode::SetTable => "newindex",
            OpCode::Add => "add",
            OpCode::Sub => "sub",
            OpCode::Mul => "mul",
            OpCode::Div => "div",
            OpCode::Mod => "mod",
            OpCode::Pow => "pow",
            OpCode::Unm => "unm",
            OpCode::Len => "len",
            OpCode::Concat => "concat",
            OpCode::Eq => "eq",
            OpCode::Lt => "lt",
            OpCode::Le => "le",
            _ => return None,
        };
        Some(("metamethod", format!("__{}", tm)))
    }

    /// Information about frame `fi` of thread `t` (the running one if `None`).
    pub fn frame_info(&self, t: Option<ThreadRef>, fi: usize) -> FrameInfo {
        let th: &Thread = match t {
            Some(t) if t != self.cur => self.heap.threads.get(t.idx()),
            _ => &self.th,
        };
        let f = &th.frames[fi];
        let func = th.stack[f.func];
        let mut info = self.function_info(func);
        info.current_line = self.frame_line(th, fi);
        info.is_tail_call = f.tail;
        if let Some((w, n)) = self.func_name(th, fi) {
            info.namewhat = w;
            info.name = Some(n.into_bytes());
        }
        info
    }

    /// Static information about a function value.
    pub fn function_info(&self, func: Value) -> FrameInfo {
        let mut info = FrameInfo { func, current_line: -1, namewhat: "", ..Default::default() };
        match func {
            Value::Func(fr) => match self.heap.func(fr) {
                Closure::Lua { proto, upvals } => {
                    info.source = proto.source.to_vec();
                    info.short_src = crate::proto::chunk_id(&proto.source);
                    info.line_defined = proto.line_defined as i64;
                    info.last_line_defined = proto.last_line_defined as i64;
                    info.what = if proto.line_defined == 0 { "main" } else { "Lua" };
                    info.nups = upvals.len();
                    info.nparams = proto.num_params as usize;
                    info.is_vararg = proto.is_vararg;
                }
                Closure::Native { upvals, .. } | Closure::Host { upvals, .. } => {
                    info.source = b"=[C]".to_vec();
                    info.short_src = b"[C]".to_vec();
                    info.line_defined = -1;
                    info.last_line_defined = -1;
                    info.what = "C";
                    info.nups = upvals.len();
                    info.is_vararg = true;
                }
            },
            _ => {
                info.what = "C";
            }
        }
        info
    }

    /// Name under which a native function is reachable from the globals
    /// (`print`, `string.rep`), like 5.2's `pushglobalfuncname` (which
    /// searches the globals two levels deep); direct global names win.
    pub fn global_func_name(&self, f: Value) -> Option<String> {
        let text = |s| String::from_utf8_lossy(self.heap.str(s)).into_owned();
        let g = self.heap.table(self.globals);
        for (k, v) in g.iter() {
            if let (Value::Str(ks), true) = (k, v == f) {
                return Some(text(ks));
            }
        }
        for (k, v) in g.iter() {
            let (Value::Str(ks), Value::Table(mt)) = (k, v) else { continue };
            for (fk, fv) in self.heap.table(mt).iter() {
                if let (Value::Str(fs), true) = (fk, fv == f) {
                    return Some(format!("{}.{}", text(ks), text(fs)));
                }
            }
        }
        None
    }

    /// The standard traceback text (`stack traceback:\n\t...`), starting at
    /// frame `level` from the top (0 = the top frame).
    pub fn traceback(&self, t: Option<ThreadRef>, msg: Option<&[u8]>, level: usize) -> Vec<u8> {
        let th: &Thread = match t {
            Some(t) if t != self.cur => self.heap.threads.get(t.idx()),
            _ => &self.th,
        };
        let mut out = Vec::new();
        if let Some(m) = msg {
            out.extend_from_slice(m);
            out.push(b'\n');
        }
        out.extend_from_slice(b"stack traceback:");
        let n = th.frames.len();
        if level >= n {
            return out;
        }
        let levels: Vec<usize> = (0..n - level).rev().collect();
        let total = levels.len();
        const L1: usize = 12;
        const L2: usize = 10;
        for (k, &fi) in levels.iter().enumerate() {
            if total > L1 + L2 && k == L1 {
                out.extend_from_slice(b"\n\t...");
            }
            if total > L1 + L2 && k >= L1 && k < total - L2 {
                continue;
            }
            let info = self.frame_info(t, fi);
            out.extend_from_slice(b"\n\t");
            out.extend_from_slice(&info.short_src);
            out.push(b':');
            if info.current_line > 0 {
                out.extend_from_slice(format!("{}:", info.current_line).as_bytes());
            }
            out.extend_from_slice(b" in ");
            if let Some(name) = &info.name {
                out.extend_from_slice(b"function '");
                out.extend_from_slice(name);
                out.push(b'\'');
            } else if info.what == "main" {
                out.extend_from_slice(b"main chunk");
            } else if info.what == "C" {
                match self.global_func_name(info.func) {
                    Some(g) => {
                        out.extend_from_slice(b"function '");
                        out.extend_from_slice(g.as_bytes());
                        out.push(b'\'');
                    }
                    None => out.push(b'?'),
                }
            } else {
                out.extend_from_slice(format!("function <{}:{}>", String::from_utf8_lossy(&info.short_src), info.line_defined).as_bytes());
            }
            if info.is_tail_call {
                out.extend_from_slice(b"\n\t(...tail calls...)");
            }
        }
        out
    }

    // ----- hooks ------------------------------------------------------------

    /// Call the debug hook with `event` (and a line for "line" events).
    pub(crate) fn run_hook(&mut self, event: &str, line: Option<i64>) -> LResult<()> {
        let hook = self.th.hook;
        if hook.is_nil() || self.th.in_hook {
            return Ok(());
        }
        self.th.in_hook = true;
        let ev = self.str_value(event.as_bytes());
        let lv = line.map(|l| Value::Num(l as f64)).unwrap_or(Value::Nil);
        let saved_top = self.th.top;
        // protect the running frame's registers
        if let Some(f) = self.th.frames.last() {
            if f.kind == FrameKind::Lua && self.th.top < f.top {
                self.th.top = f.top;
            }
        }
        let r = self.call_value(hook, &[ev, lv], 0);
        self.th.top = saved_top;
        self.th.in_hook = false;
        r.map(|_| ())
    }

    pub(crate) fn call_hook(&mut self, _tail: bool) -> LResult<()> {
        if self.th.in_hook {
            return Ok(());
        }
        let tail = self.th.frames.last().map(|f| f.tail).unwrap_or(false);
        self.run_hook(if tail { "tail call" } else { "call" }, None)
    }

    pub(crate) fn ret_hook(&mut self) -> LResult<()> {
        if self.th.in_hook {
            return Ok(());
        }
        self.run_hook("return", None)
    }

    /// Per-instruction hook work (count and line events) for the top Lua frame,
    /// about to run instruction `pc`.
    pub(crate) fn trace_exec(&mut self, pc: usize) -> LResult<()> {
        // While the hooks run, the frame's saved pc is past that instruction
        // (as after a fetch), so getinfo/getlocal treat it as the current one.
        let fi = self.th.frames.len() - 1;
        self.th.frames[fi].pc = pc + 1;
        let r = self.trace_exec_hooks(pc);
        if let Some(f) = self.th.frames.get_mut(fi) {
            f.pc = pc;
        }
        r
    }

    fn trace_exec_hooks(&mut self, pc: usize) -> LResult<()> {
        let mask = self.th.hook_mask;
        // Instructions run by the hook function itself count too (as in
        // PUC), but no event fires inside a hook.
        if mask & MASK_COUNT != 0 && self.th.hook_count > 0 {
            if self.th.hook_counter > 0 {
                self.th.hook_counter -= 1;
            }
            if self.th.hook_counter == 0 {
                self.th.hook_counter = self.th.hook_count;
                if !self.th.in_hook {
                    self.run_hook("count", None)?;
                }
            }
        }
        if self.th.in_hook {
            return Ok(());
        }
        if mask & MASK_LINE != 0 {
            let fi = self.th.frames.len() - 1;
            if let Some(p) = self.lua_proto_of(&self.th, fi) {
                let newline = line_at(&p, pc);
                let key = (fi, self.th.frames[fi].func);
                let fire = match self.hook_last {
                    Some((k, oldpc)) if k == key => pc == 0 || pc <= oldpc || newline != line_at(&p, oldpc),
                    // entering a function, or back from a call (PUC resets
                    // its old pc to the caller's on return): the previous
                    // instruction was the call
                    _ => pc == 0 || newline != line_at(&p, pc - 1),
                };
                self.hook_last = Some((key, pc));
                if fire {
                    self.run_hook("line", Some(newline))?;
                }
            }
        }
        Ok(())
    }
}
