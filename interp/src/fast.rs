//! The fast path of the dispatch loop.
//!
//! `run_fast` executes the common cases of the cheap instructions (moves,
//! constants, number arithmetic and comparisons, jumps, numeric and generic
//! `for` steps, table reads and writes that need no metamethod, upvalues,
//! Lua calls, tail calls and returns) with the registers, the heap, the code
//! and the constants in hand as split borrows of the VM and raw pointers, so
//! the compiler keeps them in machine registers. On an instruction it leaves
//! to the general path (a metamethod, an error, a closing jump, concatenation,
//! varargs...) it stops with `pc` pointing at that instruction, and `Vm::run`
//! executes it the general way. Both paths implement the same semantics;
//! `run` alone would be correct.
//!
//! Some work is done by calling out of the loop: calls it does not set up
//! itself (natives, vararg functions, stack growth: `general_call`, through
//! `Vm::precall`) and allocations (`NEWTABLE`, `CLOSURE`: `alloc_op`). Before
//! calling out it saves the frame's `pc` and the budget; afterwards it
//! derives every borrow and pointer again (`'vm`), since the stack may have
//! grown, a collection may have run or the running thread may have changed.
//!
//! Invariant: between two such call-outs nothing in the loop allocates,
//! raises an error or runs a collection, so the borrows and raw pointers it
//! holds stay valid. It never stores into an object an open isolation must
//! log (`isolate.rs`): those stores go to the general path.
//!
//! # Unsafe
//! This is one of the few modules with `unsafe`: register, constant and
//! instruction reads skip bounds checks. That is sound because every
//! prototype the VM runs has passed `dump::verify` (text chunks right after
//! compiling, binary chunks when loaded), which guarantees that
//! - every register operand (including `A+1..A+3` of `SELF`, `FORLOOP`,
//!   `TFORLOOP`, and `A+B` of `LOADNIL`) is below `max_stack`,
//! - every constant index is below the constant count,
//! - every jump and skip lands inside the code and the code ends with
//!   `RETURN` (which this loop never executes), so `pc` stays in range.
//!
//! Register accesses are also sound because `Vm::precall` grows the stack to
//! at least `base + max_stack` before a Lua frame runs, and stacks never
//! shrink. Debug builds check all of it with assertions.

use crate::gc::Heap;
use crate::object::{Closure, Cont, Frame, FrameKind, Thread, UpVal};
use crate::opcodes::{index_k, is_k, op};
use crate::value::{StrRef, TableRef, ThreadRef, Value};
use crate::vm::{LResult, Vm};

/// Raw `t[key]` with the key read in place (a register or a constant):
/// matching through the reference reads the tag and the payload where they
/// are, instead of copying the value into a temporary in pieces. The answer
/// is where the value is (`table::NIL` when absent), to be copied whole.
#[inline(always)]
fn raw_get<'a>(tb: &'a crate::table::Table, key: &Value) -> &'a Value {
    match key {
        Value::Str(s) => tb.get_str_ref(*s),
        Value::Num(n) => match crate::table::num_index(*n) {
            Some(i) if i <= tb.array.len() => &tb.array[i - 1],
            _ => tb.get_ref(*key),
        },
        _ => tb.get_ref(*key),
    }
}

/// `t[key]` through `__index` tables (no functions): `None` when a
/// metamethod function or a non-table `__index` must be called or indexed.
#[inline(always)]
fn lookup<'a>(heap: &'a Heap, t: TableRef, key: &Value, index_name: StrRef) -> Option<&'a Value> {
    // the table itself first, the `__index` chain (loop and all) apart
    let tb = heap.table(t);
    let v = raw_get(tb, key);
    if !v.is_nil() {
        return Some(v);
    }
    match tb.meta {
        None => Some(v),
        Some(mt) => match heap.table(mt).get_str(index_name) {
            Value::Nil => Some(v),
            Value::Table(next) => lookup_chain(heap, next, key, index_name),
            _ => None,
        },
    }
}

/// The rest of `lookup`: `t[key]` for the `__index` table `t`.
#[inline]
fn lookup_chain<'a>(heap: &'a Heap, mut t: TableRef, key: &Value, index_name: StrRef) -> Option<&'a Value> {
    for _ in 1..crate::vm::MAX_TAG_LOOP {
        let tb = heap.table(t);
        let v = raw_get(tb, key);
        if !v.is_nil() {
            return Some(v);
        }
        let Some(mt) = tb.meta else {
            return Some(v);
        };
        match heap.table(mt).get_str(index_name) {
            Value::Nil => return Some(v),
            Value::Table(next) => t = next,
            _ => return None,
        }
    }
    None
}

enum Exit {
    Call(crate::opcodes::Instruction),
    TailCall(crate::opcodes::Instruction),
    Return(crate::opcodes::Instruction),
}

/// Whether the metatable `mt` has no `__newindex`, caching a found absence
/// in the metatable (`Table::absent`).
#[inline]
fn no_newindex(heap: &mut Heap, mt: TableRef, newindex_name: StrRef) -> bool {
    const BIT: u8 = 1 << crate::vm::Tm::NewIndex as u8;
    let m = heap.tables.get_mut(mt.idx());
    if m.absent & BIT != 0 {
        return true;
    }
    if m.get_str(newindex_name).is_nil() {
        m.absent |= BIT;
        true
    } else {
        false
    }
}

/// The prototype and upvalue list of a Lua closure, as references not
/// tied to the heap borrow.
///
/// SAFETY (of the lifetimes): until the fast loop next calls out
/// (`general_call`, `alloc_op`..., after which `'vm` derives everything
/// again), nothing frees, moves or changes a closure (no allocation, no
/// collection, no closure creation), so the prototype (an `Rc` allocation
/// of its own) and the upvalue list stay alive, in place and unchanged even
/// if the function slot is overwritten; writes through `heap` only touch
/// tables and upvalue cells, never closures. The upvalue list may live
/// inside the closure's arena slot (`UpvalList` keeps up to four inline),
/// which moves when the arena grows: it must not be kept across a call-out.
/// The prototype pointer may (a separate allocation, owned by the rooted
/// closure).
#[inline(always)]
fn lua_parts<'a>(heap: &Heap, cl: crate::value::FuncRef) -> (&'a crate::object::FuncProto, &'a [crate::value::UpvalRef]) {
    match heap.func(cl) {
        // SAFETY: see above
        Closure::Lua { proto, upvals } => unsafe { (&*std::rc::Rc::as_ptr(proto), &*(&**upvals as *const [crate::value::UpvalRef])) },
        _ => unreachable!("Lua frame with a native function"),
    }
}

/// A call the fast path does not set up itself (a native, a vararg
/// function, a stack to grow, the depth limit), made through `Vm::precall`
/// with the calling frame's `pc` and the budget saved. `Ok(changed)` when
/// the fast loop can go on with the top frame of the running thread (the
/// same frame, a new Lua frame, or, after `coroutine.resume`/`yield`, the
/// other thread's frame: whatever `exec.rs` would reload next, when it is a
/// Lua frame), `Err` with what to tell the executor otherwise. Out of line:
/// it keeps the loop's register pressure down.
#[inline(never)]
fn general_call(vm: &mut Vm, func: usize, nresults: i32, depth: usize, cur: ThreadRef) -> LResult<Result<bool, Fast>> {
    let native = match vm.th.stack[func] {
        Value::Func(f) => match vm.heap.func(f) {
            Closure::Native { f, .. } => Some(*f),
            _ => None,
        },
        _ => None,
    };
    let next = match native {
        Some(f) if vm.th.hook_mask == 0 => vm.call_native_direct(func, f, nresults)?,
        _ => vm.precall(func, nresults, Cont::Call)?,
    };
    let same = vm.cur == cur;
    let nframes = vm.th.frames.len();
    Ok(match next {
        crate::vm::Next::Continue if same && nframes == depth => Ok(false),
        crate::vm::Next::Continue | crate::vm::Next::Reload if vm.th.frames.last().is_some_and(|f| f.kind == FrameKind::Lua) => Ok(true),
        crate::vm::Next::Continue | crate::vm::Next::Reload => Err(Fast::Changed),
        other => Err(Fast::Next(other)),
    })
}

/// `NEWTABLE` and `CLOSURE` for the fast loop, as `exec.rs` does them
/// (including the collector safepoint after a new object), with the frame's
/// `pc` and the budget saved by the caller.
#[inline(never)]
fn alloc_op(vm: &mut Vm, i: crate::opcodes::Instruction, base: usize) -> LResult<()> {
    let a = i.a() as usize;
    if i.raw_op() == op::NewTable {
        let t = vm.new_table_with(crate::opcodes::fb_to_int(i.b()), crate::opcodes::fb_to_int(i.c()));
        crate::value::put(&mut vm.th.stack[base + a], Value::Table(t));
    } else {
        let fi = vm.th.frames.len() - 1;
        let Value::Func(cl) = vm.th.stack[vm.th.frames[fi].func] else { unreachable!("Lua frame without a function") };
        let p = match vm.heap.func(cl) {
            Closure::Lua { proto, .. } => proto.protos[i.bx() as usize].clone(),
            _ => unreachable!("Lua frame with a native function"),
        };
        if let Some(c) = vm.cached_closure(&p, base, cl) {
            crate::value::put(&mut vm.th.stack[base + a], Value::Func(c));
            return Ok(());
        }
        let f = vm.op_closure(p, base, cl);
        crate::value::put(&mut vm.th.stack[base + a], Value::Func(f));
    }
    vm.gc_safepoint_at(base + a + 1)
}

/// `CONCAT` for the fast loop, as `exec.rs` does it, with the frame's `pc`
/// and the budget saved by the caller: `true` when the result is in place
/// (after the collector safepoint), `false` when a `__concat` metamethod
/// call was set up (the executor must reload).
#[inline(never)]
fn concat_op(vm: &mut Vm, i: crate::opcodes::Instruction, base: usize, fi: usize) -> LResult<bool> {
    let (a, b, c) = (i.a(), i.b(), i.c());
    vm.th.top = vm.th.frames[fi].top;
    if vm.concat_range(base, a, b, c)? {
        // the operands above the result are dead
        vm.gc_safepoint_at(base + (a as usize + 1).max(b as usize))?;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// `Vm::close_upvals` for the fast loop, which holds the stack as a raw
/// pointer and length. Out of line: only returns from functions with open
/// upvalues need it.
#[inline(never)]
fn close_from(heap: &mut Heap, open_upvals: &mut Vec<(usize, crate::value::UpvalRef)>, sp: *const Value, slen: usize, level: usize) {
    crate::vm::close_open_upvals(heap, open_upvals, level, |idx| {
        assert!(idx < slen, "open upvalue beyond the stack");
        // SAFETY: `idx < slen` and `sp` is valid for `slen` values
        unsafe { *sp.add(idx) }
    });
}

/// How `run_fast` stopped.
pub(crate) enum Fast {
    /// At an instruction it leaves to the general path; the top frame is
    /// the one the caller was running.
    Bail,
    /// The top frame changed (calls, returns, a coroutine switch): the
    /// caller must reload its frame state.
    Changed,
    /// A call made from here asked the executor to do something (`Vm::precall`'s answer).
    Next(crate::vm::Next),
}

/// Run the top frame of `th` (a Lua frame) from its saved `pc` until an
/// instruction needs the general path or the budget is nearly spent. Plain
/// Lua-to-Lua calls and returns are followed here too. Returns `true` when
/// the top frame changed (the caller must reload its frame state); the
/// frames' `pc`s are saved either way.
#[inline(never)]
pub(crate) fn run_fast(vm: &mut Vm) -> LResult<Fast> {
    let (index_name, newindex_name) = (vm.names.index, vm.names.newindex);
    let max_depth = vm.limits.max_depth;
    let mut budget = vm.budget;
    let mut changed = false;
    // Set when the frame to run next is known already (a Lua call made
    // here, or the same frame after a native call returned): its base, pc,
    // prototype and upvalues, so that `'frame` need not read them back.
    // The prototype stays valid: the frame's closure is rooted while the
    // frame exists and owns it (see `lua_parts`). The upvalue list is known
    // only after a Lua call made here (`None` after a call-out: it may be
    // stored inline in the closure, which moves when the closure arena
    // grows, so it is derived again).
    #[allow(clippy::type_complexity)]
    let mut entering: Option<(usize, usize, &crate::object::FuncProto, Option<&[crate::value::UpvalRef]>)> = None;
    // `'vm` derives the borrows of the VM's parts (again after a general
    // call, which may grow the stack or switch threads); `'frame` loads the
    // top frame (again after a Lua call or return made here).
    'vm: loop {
        // the running thread (a general call may have switched it)
        let cur: ThreadRef = vm.cur;
        let Vm { th, heap, budget: budget_out, .. } = &mut *vm;
        let heap: &mut Heap = heap;
        let Thread { stack, frames, top, open_upvals, hook_mask, .. } = &mut **th;
        if *hook_mask != 0 {
            *budget_out = budget;
            return Ok(if changed { Fast::Changed } else { Fast::Bail });
        }
        // The stack is addressed through a raw pointer: it is not resized while
        // these borrows live (no allocation here; after a native call the
        // `'frame` loop derives everything again), and a pointer takes one
        // machine register where two slices took four.
        let slen = stack.len();
        let sp: *mut Value = stack.as_mut_ptr();
        // A stack slot by absolute index.
        macro_rules! slot {
            ($x:expr) => {
                *{
                    let x: usize = $x;
                    debug_assert!(x < slen);
                    // SAFETY: callers check `x < slen` (or it follows from a
                    // frame fitting in the stack); `sp` is valid for `slen` values
                    unsafe { &mut *sp.add(x) }
                }
            };
        }
        'frame: loop {
            let fi = frames.len() - 1;
            let (base, mut pc, proto, ups) = if let Some((base, pc, proto, ups)) = entering.take() {
                let ups = match ups {
                    Some(ups) => ups,
                    None => {
                        let cl = match slot!(frames[fi].func) {
                            Value::Func(f) => f,
                            _ => unreachable!("Lua frame without a function"),
                        };
                        lua_parts(heap, cl).1
                    }
                };
                (base, pc, proto, ups)
            } else {
                let (base, pc, func_slot, pp) = {
                    let f = &frames[fi];
                    (f.base, f.pc, f.func, f.proto.0)
                };
                debug_assert!(!pp.is_null());
                // SAFETY: a Lua frame's prototype pointer is valid while the
                // frame exists (`Frame::proto`); the code is reached through
                // it without waiting on the function slot and the arena
                let proto: &crate::object::FuncProto = unsafe { &*pp };
                let cl = match slot!(func_slot) {
                    Value::Func(f) => f,
                    _ => unreachable!("Lua frame without a function"),
                };
                let (p_check, ups) = lua_parts(heap, cl);
                debug_assert!(std::ptr::eq(p_check, proto));
                (base, pc, proto, ups)
            };
            let code = &proto.code[..];
            let k = &proto.k[..];
            debug_assert!(base + proto.max_stack as usize <= slen);
            // SAFETY: the frame fits in the stack (module docs)
            let regs: *mut Value = unsafe { sp.add(base) };
            macro_rules! r {
                ($x:expr) => {
                    *{
                        let x = $x as usize;
                        debug_assert!(base + x < slen);
                        // SAFETY: verified register operand, frame fits in the stack (module docs)
                        unsafe { &mut *regs.add(x) }
                    }
                };
            }
            // A freshly built value goes into a register as one whole store
            // (`value::put`).
            macro_rules! set {
                ($x:expr, $v:expr) => {{
                    let v = $v;
                    crate::value::put(&mut r!($x), v);
                }};
            }
            // A constant by reference (`x` is an RK operand with the constant bit set).
            macro_rules! kref {
                ($x:expr) => {{
                    let j = index_k($x) as usize;
                    debug_assert!(j < k.len());
                    // SAFETY: verified constant index (module docs)
                    unsafe { k.get_unchecked(j) }
                }};
            }
            macro_rules! rk {
                ($x:expr) => {{
                    let x = $x;
                    if is_k(x) {
                        let j = index_k(x) as usize;
                        debug_assert!(j < k.len());
                        // SAFETY: verified constant index (module docs)
                        unsafe { *k.get_unchecked(j) }
                    } else {
                        r!(x)
                    }
                }};
            }
            macro_rules! bail {
                () => {{
                    frames[fi].pc = pc;
                    *budget_out = budget;
                    return Ok(if changed { Fast::Changed } else { Fast::Bail });
                }};
            }
            // Work done out of the loop for the instruction at `pc` (see the
            // module docs): `pc` and the budget are saved first; `$e` is an
            // `LResult<Result<bool, Fast>>`: `Ok(changed)` goes on in the
            // loop (in this frame when the top frame did not change), `Err`
            // is handed to the executor.
            macro_rules! call_out {
                ($e:expr) => {{
                    // SAFETY: `fi` is the index of the last frame
                    unsafe { frames.get_unchecked_mut(fi) }.pc = pc + 1;
                    *budget_out = budget - 1;
                    match $e? {
                        Ok(frame_changed) => {
                            budget = vm.budget;
                            changed |= frame_changed;
                            if !frame_changed {
                                entering = Some((base, pc + 1, proto, None));
                            }
                            continue 'vm;
                        }
                        Err(out) => return Ok(out),
                    }
                }};
            }
            // The end of a test instruction: skip the next instruction, or
            // (the test succeeded) take it here when it is a plain jump, as
            // the compiler always places one there (PUC's `donextjump`):
            // one dispatch less per taken branch.
            macro_rules! test_then_jump {
                ($skip:expr) => {{
                    if $skip {
                        pc += 1;
                    } else {
                        debug_assert!(pc + 1 < code.len());
                        // SAFETY: a test is never the last instruction (the
                        // code ends with `RETURN`), so `pc + 1` is in the code
                        let j = unsafe { *code.get_unchecked(pc + 1) };
                        if j.raw_op() == op::Jmp && j.a() == 0 {
                            // straight to the jump's target (which may be
                            // instruction 0: no `pc + 1` afterwards), both
                            // instructions charged
                            pc = (pc as i64 + 2 + j.sbx() as i64) as usize;
                            budget -= 2;
                            continue;
                        }
                    }
                }};
            }
            macro_rules! arith {
                ($i:ident, $f:expr) => {{
                    if let (Value::Num(x), Value::Num(y)) = (rk!($i.b()), rk!($i.c())) {
                        set!($i.a(), Value::Num($f(x, y)));
                    } else {
                        bail!();
                    }
                }};
            }
            macro_rules! upval {
                ($n:expr) => {{
                    let n = $n as usize;
                    debug_assert!(n < ups.len());
                    // SAFETY: verified upvalue index (below the prototype's upvalue count)
                    unsafe { *ups.get_unchecked(n) }
                }};
            }
            let exit = loop {
                if budget <= 1 {
                    bail!();
                }
                debug_assert!(pc < code.len());
                // SAFETY: `pc` stays inside verified code (module docs)
                let i = unsafe { *code.get_unchecked(pc) };
                let a = i.a();
                match i.raw_op() {
                    op::Move => r!(a) = r!(i.b()),
                    op::LoadK => {
                        let j = i.bx() as usize;
                        debug_assert!(j < k.len());
                        // SAFETY: verified constant index (module docs)
                        r!(a) = unsafe { *k.get_unchecked(j) };
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
                        // where the value is, then one whole copy (`value::copy`)
                        let src: *const Value = match heap.upvals.get(u.idx()) {
                            UpVal::Closed(v) => v,
                            UpVal::Open { thread, idx } if *thread == cur && (*idx as usize) < slen => &slot!(*idx as usize),
                            UpVal::Open { thread, idx } => match heap.other_thread_slot_ref(*thread, *idx as usize) {
                                Some(v) => v,
                                None => bail!(),
                            },
                        };
                        let dst: *mut Value = &mut r!(a);
                        // SAFETY: `src` points into the heap or the stack, neither
                        // changed since it was taken; `dst` is a verified register
                        unsafe { crate::value::copy(dst, src) };
                    }
                    op::SetUpval => {
                        let u = upval!(i.b());
                        let v = r!(a);
                        if heap.iso.upval_is_old(u) {
                            bail!(); // the general path logs the write (isolate.rs)
                        }
                        match heap.upvals.get_mut(u.idx()) {
                            UpVal::Closed(slot) => *slot = v,
                            UpVal::Open { thread, idx } if *thread == cur && (*idx as usize) < slen => slot!(*idx as usize) = v,
                            _ => bail!(),
                        }
                    }
                    op::GetTabUp => {
                        let u = upval!(i.b());
                        let tr = match heap.upvals.get(u.idx()) {
                            UpVal::Closed(Value::Table(t)) => *t,
                            UpVal::Open { thread, idx } if *thread == cur && (*idx as usize) < slen => match slot!(*idx as usize) {
                                Value::Table(t) => t,
                                _ => bail!(),
                            },
                            UpVal::Open { thread, idx } => match heap.other_thread_slot(*thread, *idx as usize) {
                                Some(Value::Table(t)) => t,
                                _ => bail!(),
                            },
                            _ => bail!(),
                        };
                        let c = i.c();
                        let v = if is_k(c) { lookup(heap, tr, kref!(c), index_name) } else { lookup(heap, tr, &r!(c), index_name) };
                        let Some(src) = v else { bail!() };
                        let dst: *mut Value = &mut r!(a);
                        // SAFETY: `src` is in a table (or `table::NIL`), untouched
                        // since the lookup; `dst` is a verified register
                        unsafe { crate::value::copy(dst, src) };
                    }
                    op::GetTable | op::SelfOp => {
                        let Value::Table(tr) = r!(i.b()) else { bail!() };
                        let c = i.c();
                        let v = if is_k(c) { lookup(heap, tr, kref!(c), index_name) } else { lookup(heap, tr, &r!(c), index_name) };
                        let Some(src) = v else { bail!() };
                        if i.raw_op() == op::SelfOp {
                            // copied slot to slot, never through a local
                            r!(a + 1) = r!(i.b());
                        }
                        let dst: *mut Value = &mut r!(a);
                        // SAFETY: as for `GETTABUP` (`a + 1` is a register, not
                        // in a table)
                        unsafe { crate::value::copy(dst, src) };
                    }
                    op::SetTabUp | op::SetTable => {
                        let t = if i.raw_op() == op::SetTabUp {
                            let u = upval!(a);
                            match *heap.upvals.get(u.idx()) {
                                UpVal::Closed(v) => v,
                                UpVal::Open { thread, idx } if thread == cur && (idx as usize) < slen => slot!(idx as usize),
                                UpVal::Open { thread, idx } => match heap.other_thread_slot(thread, idx as usize) {
                                    Some(v) => v,
                                    None => bail!(),
                                },
                            }
                        } else {
                            r!(a)
                        };
                        let Value::Table(tr) = t else { bail!() };
                        if heap.iso.table_is_old(tr) {
                            bail!(); // the general path logs the write (isolate.rs)
                        }
                        // The common case first: a slot that exists for the key
                        // (key and value read in place).
                        let (kx, vx) = (i.b(), i.c());
                        let key: &Value = if is_k(kx) { kref!(kx) } else { &r!(kx) };
                        let val: &Value = if is_k(vx) { kref!(vx) } else { &r!(vx) };
                        if heap.tables.get_mut(tr.idx()).store_existing(key, *val) {
                            pc += 1;
                            budget -= 1;
                            continue;
                        }
                        // A new key, or a nil slot under a metatable: a raw
                        // store unless `__newindex` must be called.
                        let (key, val) = (*key, *val);
                        if let Some(mt) = heap.table(tr).meta {
                            if raw_get(heap.table(tr), &key).is_nil() && !no_newindex(heap, mt, newindex_name) {
                                bail!();
                            }
                        }
                        match heap.tables.get_mut(tr.idx()).set(key, val) {
                            Ok(0) => {}
                            Ok(delta) => {
                                heap.adjust(delta);
                                // growth may make a collection due: let the
                                // general path reach its safepoints
                                if heap.gc_due() {
                                    pc += 1;
                                    budget -= 1;
                                    bail!();
                                }
                            }
                            Err(_) => bail!(),
                        }
                    }
                    op::Add => arith!(i, |x: f64, y: f64| x + y),
                    op::Sub => arith!(i, |x: f64, y: f64| x - y),
                    op::Mul => arith!(i, |x: f64, y: f64| x * y),
                    op::Div => arith!(i, |x: f64, y: f64| x / y),
                    op::Mod => arith!(i, crate::meta::lua_mod),
                    op::Pow => arith!(i, crate::meta::lua_pow),
                    op::Unm => {
                        let Value::Num(x) = r!(i.b()) else { bail!() };
                        set!(a, Value::Num(-x));
                    }
                    op::Not => set!(a, Value::Bool(!r!(i.b()).truthy())),
                    op::Len => match r!(i.b()) {
                        Value::Str(s) => set!(a, Value::Num(heap.str(s).len() as f64)),
                        Value::Table(t) if heap.table(t).meta.is_none() => {
                            set!(a, Value::Num(heap.table(t).length() as f64))
                        }
                        _ => bail!(),
                    },
                    op::Jmp => {
                        if a != 0 {
                            bail!();
                        }
                        pc = (pc as i64 + 1 + i.sbx() as i64) as usize;
                        budget -= 1;
                        continue;
                    }
                    op::Eq => {
                        let (b, c) = (rk!(i.b()), rk!(i.c()));
                        let res = if b == c {
                            true
                        } else {
                            match (b, c) {
                                (Value::Table(_), Value::Table(_)) | (Value::UserData(_), Value::UserData(_)) => bail!(),
                                _ => false,
                            }
                        };
                        test_then_jump!(res != (a != 0));
                    }
                    op::Lt => {
                        let res = match (rk!(i.b()), rk!(i.c())) {
                            (Value::Num(x), Value::Num(y)) => x < y,
                            (Value::Str(x), Value::Str(y)) => heap.str(x) < heap.str(y),
                            _ => bail!(),
                        };
                        test_then_jump!(res != (a != 0));
                    }
                    op::Le => {
                        let res = match (rk!(i.b()), rk!(i.c())) {
                            (Value::Num(x), Value::Num(y)) => x <= y,
                            (Value::Str(x), Value::Str(y)) => heap.str(x) <= heap.str(y),
                            _ => bail!(),
                        };
                        test_then_jump!(res != (a != 0));
                    }
                    op::Test => {
                        test_then_jump!(r!(a).truthy() != (i.c() != 0));
                    }
                    op::TestSet => {
                        let skip = r!(i.b()).truthy() != (i.c() != 0);
                        if !skip {
                            let (b, a) = (i.b() as usize, a as usize);
                            debug_assert!(base + a.max(b) < slen);
                            // SAFETY: two verified registers (module docs), both
                            // addressed from `regs` without references between
                            // them; one whole copy (`value::copy`)
                            unsafe { crate::value::copy(regs.add(a), regs.add(b)) };
                        }
                        test_then_jump!(skip);
                    }
                    op::ForLoop => {
                        let (Value::Num(idx), Value::Num(limit), Value::Num(step)) = (r!(a), r!(a + 1), r!(a + 2)) else { bail!() };
                        let idx = idx + step;
                        // two separate tests on the (well predicted) sign of
                        // the step: the compiler otherwise evaluates both
                        // comparisons and selects
                        // (jumps go straight to the target, which may be
                        // instruction 0 in a crafted binary chunk: no
                        // `pc + 1` afterwards)
                        macro_rules! again {
                            () => {{
                                set!(a, Value::Num(idx));
                                set!(a + 3, Value::Num(idx));
                                pc = (pc as i64 + 1 + i.sbx() as i64) as usize;
                                budget -= 1;
                                continue;
                            }};
                        }
                        if step > 0.0 {
                            if idx <= limit {
                                again!();
                            }
                        } else if limit <= idx {
                            again!();
                        }
                    }
                    op::TForLoop => {
                        if !r!(a + 1).is_nil() {
                            let a = a as usize;
                            debug_assert!(base + a + 1 < slen);
                            // SAFETY: two verified registers, addressed from
                            // `regs`; one whole copy (`value::copy`)
                            unsafe { crate::value::copy(regs.add(a), regs.add(a + 1)) };
                            pc = (pc as i64 + 1 + i.sbx() as i64) as usize;
                            budget -= 1;
                            continue;
                        }
                    }
                    op::NewTable | op::Closure => {
                        // allocations, made out of line like a call
                        call_out!(alloc_op(vm, i, base).map(|()| Ok(false)));
                    }
                    op::TForCall => {
                        // the generic `for` iterator call: function, state
                        // and control copied above the loop registers, then
                        // called like any call (`dump::verify` checks that
                        // `A+5` is a register)
                        let cb = a + 3;
                        r!(cb + 2) = r!(a + 2);
                        r!(cb + 1) = r!(a + 1);
                        r!(cb) = r!(a);
                        *top = base + cb as usize + 3;
                        call_out!(general_call(vm, base + cb as usize, i.c() as i32, fi + 1, cur));
                    }
                    op::Concat => {
                        // `false`: a `__concat` metamethod call is under way
                        call_out!(concat_op(vm, i, base, fi).map(|done| if done { Ok(false) } else { Err(Fast::Changed) }));
                    }
                    op::Call => break Exit::Call(i),
                    op::TailCall => break Exit::TailCall(i),
                    op::Return => break Exit::Return(i),
                    _ => bail!(),
                }
                pc += 1;
                budget -= 1;
            };
            // Calls and returns, out of the instruction loop so its state stays small.
            match exit {
                Exit::Call(i) => {
                    let a = i.a();
                    // A plain call of a Lua function with fixed parameters.
                    let func = base + a as usize;
                    let b = i.b();
                    let ntop = if b != 0 { func + b as usize } else { *top };
                    let Value::Func(f) = r!(a) else { bail!() };
                    // the callee's parts, looked up once (see `lua_parts`)
                    let callee = match heap.func(f) {
                        Closure::Lua { proto, .. } if !proto.is_vararg => Some(lua_parts(heap, f)),
                        _ => None,
                    };
                    let need = match callee {
                        Some((p2, _)) => ntop + p2.num_params as usize + p2.max_stack as usize + crate::vm::MIN_STACK,
                        None => usize::MAX,
                    };
                    if need > slen || fi + 1 >= max_depth {
                        // Natives, vararg functions, a stack to grow, the depth
                        // limit: the general call machinery, called from here
                        // so that the common case (a native that returns)
                        // continues in this loop.
                        if b != 0 {
                            *top = ntop;
                        }
                        call_out!(general_call(vm, func, i.c() as i32 - 1, fi + 1, cur));
                    }
                    let Some((p2, u2)) = callee else { unreachable!() };
                    let (np, ms) = (p2.num_params as usize, p2.max_stack as usize);
                    let nargs = ntop - func - 1;
                    for j in nargs..np {
                        crate::value::put(&mut r!(a as usize + 1 + j), Value::Nil);
                    }
                    // SAFETY: `fi` is the index of the last frame
                    unsafe { frames.get_unchecked_mut(fi) }.pc = pc + 1;
                    let ftop = func + 1 + ms;
                    *top = ftop;
                    frames.push(Frame {
                        func,
                        base: func + 1,
                        top: ftop,
                        pc: 0,
                        nresults: i.c() as i32 - 1,
                        kind: FrameKind::Lua,
                        cont: Cont::Call,
                        tail: false,
                        handler: None,
                        nvarargs: 0,
                        proto: crate::object::ProtoPtr(p2),
                    });
                    budget -= 1;
                    changed = true;
                    entering = Some((func + 1, 0, p2, Some(u2)));
                    continue 'frame;
                }
                Exit::TailCall(i) => {
                    // A tail call of a Lua function with fixed parameters: the
                    // callee replaces this frame (same function slot, results and
                    // continuation), as `exec.rs` does it.
                    let a = i.a();
                    let func = base + a as usize;
                    let b = i.b();
                    let ntop = if b != 0 { func + b as usize } else { *top };
                    let Value::Func(f) = r!(a) else { bail!() };
                    if !matches!(heap.func(f), Closure::Lua { proto, .. } if !proto.is_vararg) || frames[fi].handler.is_some() {
                        bail!();
                    }
                    let (p2, _) = lua_parts(heap, f);
                    // upvalues of this frame are closed first
                    if !proto.protos.is_empty() && open_upvals.last().is_some_and(|&(idx, _)| idx >= base) {
                        close_from(heap, open_upvals, sp, slen, base);
                    }
                    let (np, ms) = (p2.num_params as usize, p2.max_stack as usize);
                    let nargs = ntop - func - 1;
                    let dst = frames[fi].func;
                    let need = dst + 1 + nargs + np + ms + crate::vm::MIN_STACK;
                    if need > slen {
                        bail!();
                    }
                    // the function and its arguments move down (`dst < func`)
                    for j in 0..=nargs {
                        slot!(dst + j) = slot!(func + j);
                    }
                    for j in nargs..np {
                        crate::value::put(&mut slot!(dst + 1 + j), Value::Nil);
                    }
                    let ftop = dst + 1 + ms;
                    *top = ftop;
                    let fr = &mut frames[fi];
                    fr.base = dst + 1;
                    fr.top = ftop;
                    fr.pc = 0;
                    fr.tail = true;
                    fr.nvarargs = 0;
                    fr.proto = crate::object::ProtoPtr(p2);
                    budget -= 1;
                    changed = true;
                    continue 'frame;
                }
                Exit::Return(i) => {
                    let a = i.a();
                    // SAFETY: `fi` is the index of the last frame
                    let fr = unsafe { frames.get_unchecked(fi) };
                    if matches!(fr.cont, Cont::Boundary) {
                        // The end of a call made by the host (`Vm::call_at`):
                        // results to the function slot, as `poscall` does it.
                        // (Kept apart from the ordinary return below: folding
                        // the two, or sharing the copy through a function,
                        // measured 1-4 % more instructions on fib and closures.)
                        let (res, nresults) = (fr.func, fr.nresults);
                        if !proto.protos.is_empty() && open_upvals.last().is_some_and(|&(idx, _)| idx >= base) {
                            close_from(heap, open_upvals, sp, slen, base);
                        }
                        let first = base + a as usize;
                        let b = i.b();
                        let n = if b != 0 { b as usize - 1 } else { *top - first };
                        frames.truncate(fi);
                        let w = if nresults < 0 { n } else { nresults as usize };
                        let kk = n.min(w);
                        assert!(first + kk <= slen && res + w <= slen);
                        for j in 0..kk {
                            slot!(res + j) = slot!(first + j);
                        }
                        for j in kk..w {
                            crate::value::put(&mut slot!(res + j), Value::Nil);
                        }
                        *top = res + w;
                        *budget_out = budget - 1;
                        return Ok(Fast::Next(crate::vm::Next::Exit));
                    }
                    // Return to a Lua caller through an ordinary call.
                    if fi == 0 {
                        bail!();
                    }
                    // SAFETY: `fi` is the index of the last frame, and `fi > 0`
                    let (fr, caller) = unsafe { (frames.get_unchecked(fi), frames.get_unchecked(fi - 1)) };
                    if !matches!(fr.cont, Cont::Call) || caller.kind != FrameKind::Lua {
                        bail!();
                    }
                    let (res, nresults, caller_top) = (fr.func, fr.nresults, caller.top);
                    if !proto.protos.is_empty() && open_upvals.last().is_some_and(|&(idx, _)| idx >= base) {
                        close_from(heap, open_upvals, sp, slen, base);
                    }
                    let first = base + a as usize;
                    let b = i.b();
                    let n = if b != 0 { b as usize - 1 } else { *top - first };
                    // the fields needed were read one by one and the frame is
                    // dropped without copying it out (a whole-frame copy
                    // would wait on the separate stores that pushed it)
                    frames.truncate(fi);
                    // results move down (`res < first`): an ascending copy is safe
                    let w = if nresults < 0 { n } else { nresults as usize };
                    if n == 1 && w == 1 {
                        // the common shape, without the loops' set-up
                        assert!(first < slen);
                        slot!(res) = slot!(first);
                    } else {
                        let kk = n.min(w);
                        assert!(first + kk <= slen && res + w <= slen);
                        for j in 0..kk {
                            slot!(res + j) = slot!(first + j);
                        }
                        for j in kk..w {
                            crate::value::put(&mut slot!(res + j), Value::Nil);
                        }
                    }
                    *top = if nresults < 0 { res + n } else { caller_top };
                    budget -= 1;
                    changed = true;
                    continue 'frame;
                }
            }
        }
    }
}
