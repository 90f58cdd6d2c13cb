//! The instruction dispatch loop.
//!
//! `run` executes the top Lua frame of the running thread and returns to
//! `Vm::execute` whenever the frame stack changes in a way it cannot follow
//! locally (a return through a boundary, a coroutine switch, a suspension).
//! Lua calls and returns are handled inside the loop by reloading the frame
//! (`'reload`), never by recursion.
//!
//! Invariant: before any operation that can raise an error or call out, the
//! current `pc` is saved in the frame (`save!`), so error positions, variable
//! hints and tracebacks see the right instruction.

use crate::meta::{ArithOp, Origin};
use crate::object::{Closure, Cont, FrameKind};
use crate::opcodes::{fb_to_int, index_k, is_k, op, LFIELDS_PER_FLUSH};
use crate::value::{put, Value};
use crate::vm::{LResult, Next, Vm};

impl Vm {
    pub(crate) fn run(&mut self) -> LResult<Next> {
        'reload: loop {
            let fi = self.th.frames.len() - 1;
            let frame = &self.th.frames[fi];
            if frame.kind == FrameKind::Native {
                // Resuming a native frame suspended by an async call.
                let vals = self.resume_values.take().unwrap_or_default();
                let first = self.th.top;
                self.ensure_stack(vals.len())?;
                let n = vals.len();
                for v in vals {
                    self.push(v);
                }
                match self.poscall(first, n)? {
                    Next::Continue | Next::Reload => continue 'reload,
                    other => return Ok(other),
                }
            }
            // The fast loop first, before the set-up of the general one: a
            // frame it runs to the end (a host call of a small function)
            // never needs that set-up.
            match crate::fast::run_fast(self)? {
                crate::fast::Fast::Bail => {}
                crate::fast::Fast::Changed => continue 'reload,
                crate::fast::Fast::Next(n) => return Ok(n),
            }
            let frame = &self.th.frames[fi];
            let base = frame.base;
            let mut pc = frame.pc;
            let cl = match self.th.stack[frame.func] {
                Value::Func(f) => f,
                _ => unreachable!("Lua frame without a function"),
            };
            let proto = match self.heap.func(cl) {
                Closure::Lua { proto, .. } => proto.clone(),
                _ => unreachable!("Lua frame with a native function"),
            };
            let code = &proto.code[..];
            let k = &proto.k[..];
            let cur_thread = self.cur;

            // The instruction budget lives in a local while the frame runs;
            // `save!` writes it back with the pc before anything that may
            // read or charge it (slow paths, calls), `reload_budget!` after.
            let mut budget = self.budget;
            macro_rules! save {
                () => {{
                    self.th.frames[fi].pc = pc;
                    self.budget = budget;
                }};
            }
            macro_rules! reload_budget {
                () => {
                    budget = self.budget
                };
            }
            macro_rules! r {
                ($x:expr) => {
                    self.th.stack[base + $x as usize]
                };
            }
            // A freshly built value goes into a register as one whole
            // store (`value::put`).
            macro_rules! set {
                ($x:expr, $v:expr) => {{
                    let v = $v;
                    put(&mut r!($x), v);
                }};
            }
            macro_rules! rk {
                ($x:expr) => {{
                    let x = $x;
                    if is_k(x) {
                        k[index_k(x) as usize]
                    } else {
                        self.th.stack[base + x as usize]
                    }
                }};
            }
            macro_rules! origin_rk {
                ($x:expr) => {{
                    let x = $x;
                    if is_k(x) {
                        Origin::Const
                    } else {
                        Origin::Reg(x)
                    }
                }};
            }
            macro_rules! upval {
                ($i:expr) => {{
                    match self.heap.func(cl) {
                        Closure::Lua { upvals, .. } => upvals[$i as usize],
                        _ => unreachable!(),
                    }
                }};
            }
            // After a call-like step: follow the frame change.
            macro_rules! step {
                ($e:expr) => {{
                    save!();
                    match $e? {
                        Next::Continue => {
                            if self.cur != cur_thread || self.th.frames.len() != fi + 1 {
                                continue 'reload;
                            }
                            reload_budget!();
                        }
                        Next::Reload => continue 'reload,
                        other => return Ok(other),
                    }
                }};
            }

            // One arm per arithmetic opcode: numbers inline, the rest
            // (coercion, metamethods, errors) through `arith_op`.
            macro_rules! arith {
                ($i:ident, $a:ident, $aop:expr, $f:expr) => {{
                    let b = rk!($i.b());
                    let c = rk!($i.c());
                    if let (Value::Num(x), Value::Num(y)) = (b, c) {
                        set!($a, Value::Num($f(x, y)));
                    } else {
                        step!(self.arith_op($aop, b, c, $a, origin_rk!($i.b()), origin_rk!($i.c())));
                    }
                }};
            }

            // the fast loop has just bailed on this instruction
            let mut tried = true;
            loop {
                if !std::mem::take(&mut tried) {
                    self.th.frames[fi].pc = pc;
                    self.budget = budget;
                    match crate::fast::run_fast(self)? {
                        crate::fast::Fast::Bail => {}
                        crate::fast::Fast::Changed => continue 'reload,
                        crate::fast::Fast::Next(n) => return Ok(n),
                    }
                    budget = self.budget;
                    pc = self.th.frames[fi].pc;
                }
                budget -= 1;
                if budget <= 0 {
                    save!();
                    self.slow_check()?;
                    if self.th.hook_mask != 0 {
                        self.trace_exec(pc)?;
                    }
                    if self.heap.gc_due() {
                        // table growth has no safepoint of its own
                        let top = self.th.frames[fi].top;
                        self.gc_safepoint_at(top)?;
                    }
                    reload_budget!();
                }
                let i = code[pc];
                pc += 1;
                let a = i.a();
                let op = i.raw_op();
                match op {
                    op::Move => {
                        r!(a) = r!(i.b());
                    }
                    op::LoadK => {
                        r!(a) = k[i.bx() as usize];
                    }
                    op::LoadKx => {
                        let ax = code[pc].ax_arg();
                        pc += 1;
                        r!(a) = k[ax as usize];
                    }
                    op::LoadBool => {
                        set!(a, Value::Bool(i.b() != 0));
                        if i.c() != 0 {
                            pc += 1;
                        }
                    }
                    op::LoadNil => {
                        for j in 0..=i.b() {
                            set!(a + j, Value::Nil);
                        }
                    }
                    op::GetUpval => {
                        let u = upval!(i.b());
                        set!(a, self.upval_get(u));
                    }
                    op::GetTabUp => {
                        let u = upval!(i.b());
                        let t = self.upval_get(u);
                        let key = rk!(i.c());
                        if let Value::Table(tr) = t {
                            let tb = self.heap.table(tr);
                            let v = tb.get(key);
                            if !v.is_nil() || tb.meta.is_none() {
                                set!(a, v);
                                continue;
                            }
                        }
                        step!(self.index_op(t, key, a, Origin::Upval(i.b())));
                    }
                    op::GetTable => {
                        let t = r!(i.b());
                        let key = rk!(i.c());
                        if let Value::Table(tr) = t {
                            let tb = self.heap.table(tr);
                            let v = tb.get(key);
                            if !v.is_nil() || tb.meta.is_none() {
                                set!(a, v);
                                continue;
                            }
                        }
                        step!(self.index_op(t, key, a, Origin::Reg(i.b())));
                    }
                    op::SetTabUp => {
                        let u = upval!(a);
                        let t = self.upval_get(u);
                        let key = rk!(i.b());
                        let val = rk!(i.c());
                        if let Value::Table(tr) = t {
                            if self.fast_set(tr, key, val) {
                                continue;
                            }
                        }
                        step!(self.newindex_op(t, key, val, Origin::Upval(a)));
                    }
                    op::SetUpval => {
                        let u = upval!(i.b());
                        let v = r!(a);
                        self.upval_set(u, v);
                    }
                    op::SetTable => {
                        let t = r!(a);
                        let key = rk!(i.b());
                        let val = rk!(i.c());
                        if let Value::Table(tr) = t {
                            if self.fast_set(tr, key, val) {
                                continue;
                            }
                        }
                        step!(self.newindex_op(t, key, val, Origin::Reg(a)));
                    }
                    op::NewTable => {
                        let (nb, nc) = (fb_to_int(i.b()), fb_to_int(i.c()));
                        let t = self.new_table_with(nb, nc);
                        set!(a, Value::Table(t));
                        save!();
                        self.gc_safepoint_at(base + a as usize + 1)?;
                        reload_budget!();
                    }
                    op::SelfOp => {
                        let obj = r!(i.b());
                        let key = rk!(i.c());
                        r!(a + 1) = obj;
                        if let Value::Table(tr) = obj {
                            let tb = self.heap.table(tr);
                            let v = tb.get(key);
                            if !v.is_nil() || tb.meta.is_none() {
                                set!(a, v);
                                continue;
                            }
                        }
                        step!(self.index_op(obj, key, a, Origin::Reg(i.b())));
                    }
                    op::Add => arith!(i, a, ArithOp::Add, |x: f64, y: f64| x + y),
                    op::Sub => arith!(i, a, ArithOp::Sub, |x: f64, y: f64| x - y),
                    op::Mul => arith!(i, a, ArithOp::Mul, |x: f64, y: f64| x * y),
                    op::Div => arith!(i, a, ArithOp::Div, |x: f64, y: f64| x / y),
                    op::Mod => arith!(i, a, ArithOp::Mod, crate::meta::lua_mod),
                    op::Pow => arith!(i, a, ArithOp::Pow, crate::meta::lua_pow),
                    op::Unm => {
                        let b = r!(i.b());
                        if let Value::Num(x) = b {
                            set!(a, Value::Num(-x));
                            continue;
                        }
                        step!(self.arith_op(ArithOp::Unm, b, b, a, Origin::Reg(i.b()), Origin::Reg(i.b())));
                    }
                    op::Not => {
                        set!(a, Value::Bool(!r!(i.b()).truthy()));
                    }
                    op::Len => {
                        let b = r!(i.b());
                        match b {
                            Value::Str(s) => {
                                set!(a, Value::Num(self.heap.str(s).len() as f64));
                            }
                            Value::Table(t) if self.heap.table(t).meta.is_none() => {
                                set!(a, Value::Num(self.heap.table(t).length() as f64));
                            }
                            _ => step!(self.len_op(b, a, Origin::Reg(i.b()))),
                        }
                    }
                    op::Concat => {
                        let (b, c) = (i.b(), i.c());
                        save!();
                        let top = self.th.frames[fi].top;
                        self.th.top = top;
                        match self.concat_range(base, a, b, c)? {
                            true => {
                                // finished without metamethods; the operands
                                // above the result are dead
                                self.gc_safepoint_at(base + (a as usize + 1).max(b as usize))?;
                                reload_budget!();
                            }
                            false => continue 'reload,
                        }
                    }
                    op::Jmp => {
                        if a > 0 {
                            self.close_upvals(base + a as usize - 1);
                        }
                        pc = (pc as i64 + i.sbx() as i64) as usize;
                    }
                    op::Eq => {
                        let b = rk!(i.b());
                        let c = rk!(i.c());
                        let res = if b == c {
                            true
                        } else {
                            match (b, c) {
                                (Value::Table(_), Value::Table(_)) | (Value::UserData(_), Value::UserData(_)) => {
                                    step!(self.eq_op(b, c, a != 0));
                                    continue;
                                }
                                _ => false,
                            }
                        };
                        if res != (a != 0) {
                            pc += 1;
                        }
                    }
                    op::Lt | op::Le => {
                        let b = rk!(i.b());
                        let c = rk!(i.c());
                        if let (Value::Num(x), Value::Num(y)) = (b, c) {
                            let res = if op == op::Lt { x < y } else { x <= y };
                            if res != (a != 0) {
                                pc += 1;
                            }
                            continue;
                        }
                        if let (Value::Str(x), Value::Str(y)) = (b, c) {
                            let ord = self.heap.str(x).cmp(self.heap.str(y));
                            let res = if op == op::Lt { ord.is_lt() } else { ord.is_le() };
                            if res != (a != 0) {
                                pc += 1;
                            }
                            continue;
                        }
                        step!(self.order_op(op == op::Lt, b, c, a != 0));
                    }
                    op::Test => {
                        if r!(a).truthy() != (i.c() != 0) {
                            pc += 1;
                        }
                    }
                    op::TestSet => {
                        let v = r!(i.b());
                        if v.truthy() != (i.c() != 0) {
                            pc += 1;
                        } else {
                            set!(a, v);
                        }
                    }
                    op::Call => {
                        let b = i.b();
                        let func = base + a as usize;
                        if b != 0 {
                            self.th.top = func + b as usize;
                        }
                        step!(self.precall(func, i.c() as i32 - 1, Cont::Call));
                    }
                    op::TailCall => {
                        let b = i.b();
                        let func = base + a as usize;
                        if b != 0 {
                            self.th.top = func + b as usize;
                        }
                        save!();
                        let callee = self.th.stack[func];
                        let is_lua = match callee {
                            Value::Func(f) => matches!(self.heap.func(f), Closure::Lua { .. }),
                            _ => false,
                        };
                        if is_lua {
                            self.close_upvals(base);
                            let fr = self.th.frames.pop().expect("frame");
                            let n = self.th.top - func;
                            self.th.stack.copy_within(func..func + n, fr.func);
                            self.th.top = fr.func + n;
                            // the call hook must see the new frame as a tail call:
                            // hold it back in precall and fire it here
                            let mask = self.th.hook_mask;
                            self.th.hook_mask = mask & !crate::ldebug::MASK_CALL;
                            let r = self.precall(fr.func, fr.nresults, fr.cont);
                            self.th.hook_mask = mask;
                            match r? {
                                Next::Reload | Next::Continue => {
                                    if let Some(f) = self.th.frames.last_mut() {
                                        f.tail = true;
                                    }
                                    if mask & crate::ldebug::MASK_CALL != 0 {
                                        self.call_hook(true)?;
                                    }
                                    continue 'reload;
                                }
                                other => return Ok(other),
                            }
                        }
                        step!(self.precall(func, -1, Cont::Call));
                    }
                    op::Return => {
                        let b = i.b();
                        let first = base + a as usize;
                        let n = if b != 0 { b as usize - 1 } else { self.th.top - first };
                        if !proto.protos.is_empty() {
                            self.close_upvals(base);
                        }
                        save!();
                        match self.poscall(first, n)? {
                            Next::Continue | Next::Reload => continue 'reload,
                            other => return Ok(other),
                        }
                    }
                    op::ForLoop => {
                        if let (Value::Num(idx), Value::Num(limit), Value::Num(step)) = (r!(a), r!(a + 1), r!(a + 2)) {
                            let idx = idx + step;
                            let cont = if step > 0.0 { idx <= limit } else { limit <= idx };
                            if cont {
                                pc = (pc as i64 + i.sbx() as i64) as usize;
                                set!(a, Value::Num(idx));
                                set!(a + 3, Value::Num(idx));
                            }
                        }
                    }
                    op::ForPrep => {
                        save!();
                        let init = self.for_num(r!(a), "initial")?;
                        let limit = self.for_num(r!(a + 1), "limit")?;
                        let step = self.for_num(r!(a + 2), "step")?;
                        set!(a, Value::Num(init - step));
                        set!(a + 1, Value::Num(limit));
                        set!(a + 2, Value::Num(step));
                        pc = (pc as i64 + i.sbx() as i64) as usize;
                    }
                    op::TForCall => {
                        let cb = base + a as usize + 3;
                        self.th.stack[cb + 2] = r!(a + 2);
                        self.th.stack[cb + 1] = r!(a + 1);
                        self.th.stack[cb] = r!(a);
                        self.th.top = cb + 3;
                        save!();
                        match self.precall(cb, i.c() as i32, Cont::Call)? {
                            Next::Continue => {
                                if self.cur != cur_thread || self.th.frames.len() != fi + 1 {
                                    continue 'reload;
                                }
                                reload_budget!();
                                self.th.top = self.th.frames[fi].top;
                            }
                            Next::Reload => continue 'reload,
                            other => return Ok(other),
                        }
                    }
                    op::TForLoop => {
                        let v = r!(a + 1);
                        if !v.is_nil() {
                            set!(a, v);
                            pc = (pc as i64 + i.sbx() as i64) as usize;
                        }
                    }
                    op::SetList => {
                        let extra = if i.c() == 0 { Some(code[pc].ax_arg()) } else { None };
                        if extra.is_some() {
                            pc += 1;
                        }
                        self.op_setlist(base, fi, a, i.b(), i.c(), extra);
                    }
                    op::Closure => {
                        let p = &proto.protos[i.bx() as usize];
                        if let Some(c) = self.cached_closure(p, base, cl) {
                            set!(a, Value::Func(c));
                            continue;
                        }
                        let f = self.op_closure(p.clone(), base, cl);
                        set!(a, Value::Func(f));
                        save!();
                        self.gc_safepoint_at(base + a as usize + 1)?;
                        reload_budget!();
                    }
                    op::VarArg => {
                        save!();
                        self.op_vararg(base, fi, a, i.b())?;
                    }
                    _ => {
                        save!();
                        return Err(self.rt_error("invalid instruction"));
                    }
                }
            }
        }
    }

    /// Lua 5.2's closure cache: the last closure of `p` if its upvalues are
    /// exactly the ones a new closure would get.
    pub(crate) fn cached_closure(
        &self,
        p: &std::rc::Rc<crate::object::FuncProto>,
        base: usize,
        cl: crate::value::FuncRef,
    ) -> Option<crate::value::FuncRef> {
        let c = p.cache.get()?;
        if !self.heap.funcs.is_live(c.idx()) {
            return None;
        }
        let Closure::Lua { proto: cp, upvals } = self.heap.func(c) else {
            return None;
        };
        if !std::rc::Rc::ptr_eq(cp, p) {
            return None;
        }
        let Closure::Lua { upvals: encl, .. } = self.heap.func(cl) else {
            return None;
        };
        for (d, u) in p.upvals.iter().zip(upvals.iter()) {
            let want = if d.in_stack { self.open_upval_at(base + d.index as usize)? } else { *encl.get(d.index as usize)? };
            if want != *u {
                return None;
            }
        }
        Some(c)
    }

    #[inline(never)]
    fn op_setlist(&mut self, base: usize, fi: usize, a: u32, b: u32, c: u32, extra: Option<u32>) {
        let ra = base + a as usize;
        let n = if b == 0 { self.th.top - ra - 1 } else { b as usize };
        let c = extra.map(|x| x as usize).unwrap_or(c as usize);
        let t = match self.th.stack[ra] {
            Value::Table(t) => t,
            _ => unreachable!("SETLIST on a non-table"),
        };
        let first = (c.max(1) - 1) * LFIELDS_PER_FLUSH as usize;
        let before = self.heap.table(t).byte_size();
        self.heap.log_fields(t, first + 1, n);
        self.heap.table_mut(t).reserve_array(first + n);
        for j in 1..=n {
            let v = self.th.stack[ra + j];
            self.heap.table_mut(t).set_int(first + j, v);
        }
        let after = self.heap.table(t).byte_size();
        self.heap.adjust(after as isize - before as isize);
        self.th.top = self.th.frames[fi].top;
    }

    #[inline(never)]
    pub(crate) fn op_closure(
        &mut self,
        p: std::rc::Rc<crate::object::FuncProto>,
        base: usize,
        cl: crate::value::FuncRef,
    ) -> crate::value::FuncRef {
        let mut ups = crate::object::UpvalList::with_capacity(p.upvals.len());
        for d in p.upvals.iter() {
            if d.in_stack {
                ups.push(self.find_upval(base + d.index as usize));
            } else {
                let u = match self.heap.func(cl) {
                    Closure::Lua { upvals, .. } => upvals[d.index as usize],
                    _ => unreachable!(),
                };
                ups.push(u);
            }
        }
        let pc2 = p.clone();
        let f = self.heap.alloc_func(Closure::Lua { proto: p, upvals: ups });
        pc2.cache.set(Some(f));
        f
    }

    #[inline(never)]
    fn op_vararg(&mut self, base: usize, fi: usize, a: u32, b: u32) -> LResult<()> {
        let nvar = self.th.frames[fi].nvarargs;
        let ra = base + a as usize;
        if b == 0 {
            self.ensure_stack_at(ra + nvar + crate::vm::MIN_STACK)?;
            for j in 0..nvar {
                self.th.stack[ra + j] = self.th.stack[base - nvar + j];
            }
            self.th.top = ra + nvar;
        } else {
            for j in 0..b as usize - 1 {
                if j < nvar {
                    self.th.stack[ra + j] = self.th.stack[base - nvar + j];
                } else {
                    crate::value::put(&mut self.th.stack[ra + j], Value::Nil);
                }
            }
        }
        Ok(())
    }

    /// Fast raw store into a table when no `__newindex` can apply.
    /// Returns false when the slow path must run.
    #[inline]
    fn fast_set(&mut self, t: crate::value::TableRef, key: Value, val: Value) -> bool {
        self.heap.log_field(t, key);
        let tb = self.heap.table_mut(t);
        if let Value::Num(n) = key {
            let idx = n as usize;
            if idx as f64 == n && idx >= 1 && idx <= tb.array.len() {
                let slot = &mut tb.array[idx - 1];
                if !slot.is_nil() || tb.meta.is_none() {
                    *slot = val;
                    return true;
                }
                return false;
            }
        }
        if tb.meta.is_none() {
            match tb.set(key, val) {
                Ok(delta) => {
                    if delta != 0 {
                        self.heap.adjust(delta);
                    }
                    true
                }
                Err(_) => false,
            }
        } else {
            let existing = tb.get(key);
            if !existing.is_nil() {
                let _ = tb.set(key, val);
                true
            } else {
                false
            }
        }
    }

    /// Safepoint inside a Lua frame: registers up to `live_top` are live.
    #[inline]
    pub(crate) fn gc_safepoint_at(&mut self, live_top: usize) -> LResult<()> {
        if self.heap.gc_due() {
            let saved = self.th.top;
            // registers from `live_top` up are dead here (the compiler puts
            // new tables and closures at the first free register)
            self.th.top = live_top;
            let r = self.gc_safepoint();
            self.th.top = saved;
            r?;
        }
        Ok(())
    }

    pub(crate) fn ensure_stack_at(&mut self, need: usize) -> LResult<()> {
        if need > self.th.stack.len() {
            if need > self.stack_limit {
                return Err(self.rt_error("stack overflow"));
            }
            self.th.stack.resize(need + need / 2, Value::Nil);
        }
        Ok(())
    }

    fn for_num(&mut self, v: Value, what: &str) -> LResult<f64> {
        match self.to_number(v) {
            Some(n) => Ok(n),
            None => {
                let msg = match what {
                    "initial" => "'for' initial value must be a number",
                    "limit" => "'for' limit must be a number",
                    _ => "'for' step must be a number",
                };
                Err(self.rt_error(msg))
            }
        }
    }
}
