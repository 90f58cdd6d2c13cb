//! Code generation primitives: the counterpart of PUC's `lcode.c`.
//!
//! Everything here works on one [`FuncState`]: emitting instructions with
//! their line, the constant table, register allocation, jump lists, and the
//! expression descriptors ([`ExpDesc`]) that delay code generation until the
//! consumer of a value is known (register, RK operand, condition...).
//!
//! Invariants relied on throughout:
//! * registers `>= freereg` are dead; temporaries are freed in LIFO order
//!   (`free_reg` asserts it in debug builds);
//! * active locals occupy registers `0..nactvar`, so `freereg >= nactvar`;
//! * a jump list is threaded through the sBx fields of its JMP instructions,
//!   an offset of `NO_JUMP` ending the list. Lists are sets: their order never
//!   matters, which lets [`FuncState::concat`] link the shorter list in front.

use super::{CResult, CompileError, FuncState};
use crate::ast::{BinOp, UnOp};
use crate::opcodes::{is_k, rk_as_k, Instruction, OpCode, MAXARG_A, MAXARG_AX, MAXARG_BX, MAXARG_C, MAXARG_SBX, MAXINDEXRK, MAXREGS};
use crate::proto::Constant;

/// End of a jump list / "no jump".
pub(crate) const NO_JUMP: i32 = -1;
/// "No register" marker for TESTSET patching (PUC uses MAXARG_A).
const NO_REG: u32 = MAXARG_A;
/// `nresults` meaning "all results".
pub(crate) const MULTRET: i32 = -1;
/// Items a SETLIST flushes at once.
const FIELDS_PER_FLUSH: u32 = crate::opcodes::LFIELDS_PER_FLUSH;

/// What an expression descriptor currently denotes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ExpKind {
    /// No value (empty expression list).
    Void,
    Nil,
    True,
    False,
    /// Constant-table entry.
    K(u32),
    /// Numeric literal not yet in the constant table (foldable).
    KNum(f64),
    /// Value in a fixed register.
    NonReloc(u32),
    /// Local variable in its register.
    Local(u32),
    /// Upvalue of the current function.
    Upval(u32),
    /// `t[idx]`: `t` is a register or (when `t_upval`) an upvalue; `idx` is RK.
    Indexed {
        t: u32,
        idx: u32,
        t_upval: bool,
    },
    /// A comparison: pc of its JMP.
    Jmp(usize),
    /// Result of the instruction at pc, whose A is still to be set.
    Relocable(usize),
    /// Open call at pc.
    Call(usize),
    /// Open `...` at pc.
    VarArg(usize),
}

/// An expression descriptor with its pending "exit when true" (`t`) and
/// "exit when false" (`f`) jump lists.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpDesc {
    pub k: ExpKind,
    pub t: i32,
    pub f: i32,
}

impl ExpDesc {
    pub fn new(k: ExpKind) -> Self {
        ExpDesc { k, t: NO_JUMP, f: NO_JUMP }
    }
    pub fn has_jumps(&self) -> bool {
        self.t != self.f
    }
    pub fn has_multret(&self) -> bool {
        matches!(self.k, ExpKind::Call(_) | ExpKind::VarArg(_))
    }
    /// A numeric literal without pending jumps (candidate for folding).
    fn numeral(&self) -> Option<f64> {
        match self.k {
            ExpKind::KNum(n) if !self.has_jumps() => Some(n),
            _ => None,
        }
    }
    /// Register of a `NonReloc` expression.
    pub fn reg(&self) -> u32 {
        match self.k {
            ExpKind::NonReloc(r) => r,
            _ => unreachable!("expression is not in a register: {:?}", self.k),
        }
    }
}

/// Key under which a constant is deduplicated. Numbers are keyed by their
/// bits: equal non-zero, non-NaN numbers have equal bits, and like PUC 5.2
/// `0.0`/`-0.0` and NaN payloads stay distinct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KKey {
    Nil,
    Bool(bool),
    Num(u64),
    Str(Box<[u8]>),
}

/// Lua's `a % b` on numbers (`a - floor(a/b)*b`), shared with the folding.
pub(crate) fn lua_mod(a: f64, b: f64) -> f64 {
    crate::meta::lua_mod(a, b)
}

impl FuncState {
    // ------------------------------------------------------------------
    // Emission
    // ------------------------------------------------------------------

    pub fn pc(&self) -> usize {
        self.f.code.len()
    }

    fn code(&mut self, i: Instruction) -> usize {
        self.discharge_jpc();
        self.f.code.push(i);
        self.f.line_info.push(self.line);
        self.f.code.len() - 1
    }

    pub fn code_abc(&mut self, op: OpCode, a: u32, b: u32, c: u32) -> usize {
        self.code(Instruction::abc(op, a, b, c))
    }

    pub fn code_abx(&mut self, op: OpCode, a: u32, bx: u32) -> usize {
        self.code(Instruction::abx(op, a, bx))
    }

    pub fn code_asbx(&mut self, op: OpCode, a: u32, sbx: i32) -> usize {
        self.code(Instruction::asbx(op, a, sbx))
    }

    fn code_extraarg(&mut self, ax: u32) -> usize {
        self.code(Instruction::ax(OpCode::ExtraArg, ax))
    }

    /// Load constant `k` into `reg` (LOADKX + EXTRAARG past Bx's range).
    pub fn code_k(&mut self, reg: u32, k: u32) -> usize {
        if k <= MAXARG_BX {
            self.code_abx(OpCode::LoadK, reg, k)
        } else {
            let p = self.code_abx(OpCode::LoadKx, reg, 0);
            self.code_extraarg(k);
            p
        }
    }

    /// Give the last instruction the line `line`.
    pub fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.f.line_info.last_mut() {
            *l = line;
        }
    }

    /// Replace the opcode of the instruction at `pc`, keeping its operands.
    pub fn set_opcode(&mut self, pc: usize, op: OpCode) {
        let i = self.f.code[pc];
        self.f.code[pc] = Instruction::abc(op, i.a(), i.b(), i.c());
    }

    /// `R(from) .. R(from+n-1) := nil`, merged into a preceding LOADNIL when
    /// no jump targets the current position.
    pub fn nil(&mut self, from: u32, n: u32) {
        let mut from = from;
        let mut last = from + n - 1;
        let pc = self.pc();
        if pc > self.lasttarget && pc > 0 {
            let prev = self.f.code[pc - 1];
            if prev.op() == Some(OpCode::LoadNil) {
                let pfrom = prev.a();
                let plast = pfrom + prev.b();
                if (pfrom <= from && from <= plast + 1) || (from <= pfrom && pfrom <= last + 1) {
                    from = from.min(pfrom);
                    last = last.max(plast);
                    let p = &mut self.f.code[pc - 1];
                    p.set_a(from);
                    p.set_b(last - from);
                    return;
                }
            }
        }
        self.code_abc(OpCode::LoadNil, from, n - 1, 0);
    }

    /// `RETURN first nret` (`nret == MULTRET` returns up to the top).
    pub fn ret(&mut self, first: u32, nret: i32) {
        self.code_abc(OpCode::Return, first, (nret + 1) as u32, 0);
    }

    // ------------------------------------------------------------------
    // Jump lists
    // ------------------------------------------------------------------

    /// Emit an unconditional jump (also collecting the jumps pending "to
    /// here", which now follow this one) and return it as a list.
    pub fn jump(&mut self) -> i32 {
        let jpc = std::mem::replace(&mut self.jpc, NO_JUMP);
        let pc = self.code_asbx(OpCode::Jmp, 0, NO_JUMP) as i32;
        let mut j = pc;
        self.concat(&mut j, jpc);
        // `concat` keeps the head of a one-element first list, so the
        // result is both a list and the pc of the new JMP.
        debug_assert_eq!(j, pc);
        j
    }

    fn cond_jump(&mut self, op: OpCode, a: u32, b: u32, c: u32) -> i32 {
        self.code_abc(op, a, b, c);
        self.jump()
    }

    /// Mark the current pc as a jump target and return it.
    pub fn get_label(&mut self) -> usize {
        self.lasttarget = self.pc();
        self.pc()
    }

    fn get_jump(&self, pc: usize) -> i32 {
        let off = self.f.code[pc].sbx();
        if off == NO_JUMP {
            NO_JUMP
        } else {
            pc as i32 + 1 + off
        }
    }

    fn fix_jump(&mut self, pc: usize, dest: usize) {
        let off = dest as i64 - (pc as i64 + 1);
        if off.abs() > MAXARG_SBX as i64 {
            // Leave the list intact; the error is reported once the
            // current statement finishes (see `pending_error`).
            self.set_pending_error("control structure too long");
            return;
        }
        self.f.code[pc].set_sbx(off as i32);
    }

    /// Add list `l2` to list `*l1`. The shorter list is walked to find its
    /// tail, so long chains (`a or b or c ...`) stay linear.
    pub fn concat(&mut self, l1: &mut i32, l2: i32) {
        if l2 == NO_JUMP {
            return;
        }
        if *l1 == NO_JUMP {
            *l1 = l2;
            return;
        }
        let (mut a, mut b) = (*l1, l2);
        loop {
            let na = self.get_jump(a as usize);
            if na == NO_JUMP {
                self.fix_jump(a as usize, l2 as usize);
                return;
            }
            let nb = self.get_jump(b as usize);
            if nb == NO_JUMP {
                self.fix_jump(b as usize, *l1 as usize);
                *l1 = l2;
                return;
            }
            a = na;
            b = nb;
        }
    }

    /// The instruction controlling the jump at `pc`: its test, if any.
    fn jump_control(&self, pc: usize) -> usize {
        if pc >= 1 {
            if let Some(op) = self.f.code[pc - 1].op() {
                if op.info().is_test {
                    return pc - 1;
                }
            }
        }
        pc
    }

    /// Whether some jump in `list` needs a boolean value to be produced
    /// (i.e. is controlled by something other than a TESTSET).
    fn need_value(&self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let ctl = self.f.code[self.jump_control(list as usize)];
            if ctl.op() != Some(OpCode::TestSet) {
                return true;
            }
            list = self.get_jump(list as usize);
        }
        false
    }

    /// Make the TESTSET controlling `node` store into `reg`, or turn it into
    /// a plain TEST when no register wants the value. False when `node` is
    /// not controlled by a TESTSET.
    fn patch_test_reg(&mut self, node: usize, reg: u32) -> bool {
        let ctl = self.jump_control(node);
        let i = self.f.code[ctl];
        if i.op() != Some(OpCode::TestSet) {
            return false;
        }
        if reg != NO_REG && reg != i.b() {
            self.f.code[ctl].set_a(reg);
        } else {
            self.f.code[ctl] = Instruction::abc(OpCode::Test, i.b(), 0, i.c());
        }
        true
    }

    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list as usize, NO_REG);
            list = self.get_jump(list as usize);
        }
    }

    fn patch_list_aux(&mut self, mut list: i32, vtarget: usize, reg: u32, dtarget: usize) {
        while list != NO_JUMP {
            let next = self.get_jump(list as usize);
            if self.patch_test_reg(list as usize, reg) {
                self.fix_jump(list as usize, vtarget);
            } else {
                self.fix_jump(list as usize, dtarget);
            }
            list = next;
        }
    }

    fn discharge_jpc(&mut self) {
        let jpc = std::mem::replace(&mut self.jpc, NO_JUMP);
        let pc = self.pc();
        self.patch_list_aux(jpc, pc, NO_REG, pc);
    }

    /// Make every jump of `list` go to `target`.
    pub fn patch_list(&mut self, list: i32, target: usize) {
        if target == self.pc() {
            self.patch_to_here(list);
        } else {
            debug_assert!(target < self.pc());
            self.patch_list_aux(list, target, NO_REG, target);
        }
    }

    /// Make every jump of `list` also close upvalues from register `level` up.
    pub fn patch_close(&mut self, mut list: i32, level: u32) {
        let a = level + 1;
        while list != NO_JUMP {
            let i = &mut self.f.code[list as usize];
            debug_assert!(i.op() == Some(OpCode::Jmp) && (i.a() == 0 || i.a() >= a));
            i.set_a(a);
            list = self.get_jump(list as usize);
        }
    }

    /// Make `list` jump to the next instruction emitted.
    pub fn patch_to_here(&mut self, list: i32) {
        self.get_label();
        let mut jpc = self.jpc;
        self.concat(&mut jpc, list);
        self.jpc = jpc;
    }

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------

    pub fn check_stack(&mut self, n: u32) -> CResult<()> {
        let newstack = self.freereg + n;
        if newstack > self.f.max_stack_size as u32 {
            if newstack >= MAXREGS {
                return Err(self.error("function or expression too complex"));
            }
            self.f.max_stack_size = newstack as u8;
        }
        Ok(())
    }

    pub fn reserve_regs(&mut self, n: u32) -> CResult<()> {
        self.check_stack(n)?;
        self.freereg += n;
        Ok(())
    }

    fn free_reg(&mut self, reg: u32) {
        if !is_k(reg) && reg >= self.nactvar {
            self.freereg -= 1;
            debug_assert_eq!(reg, self.freereg, "registers must be freed in LIFO order");
        }
    }

    fn free_exp(&mut self, e: &ExpDesc) {
        if let ExpKind::NonReloc(r) = e.k {
            self.free_reg(r);
        }
    }

    // ------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------

    fn add_k(&mut self, key: KKey, value: Constant) -> CResult<u32> {
        if let Some(&i) = self.kcache.get(&key) {
            return Ok(i);
        }
        let n = self.f.constants.len() as u32;
        if n > MAXARG_AX {
            return Err(self.error(&format!("too many constants (limit is {MAXARG_AX})")));
        }
        self.f.constants.push(value);
        self.kcache.insert(key, n);
        Ok(n)
    }

    pub fn string_k(&mut self, s: &[u8]) -> CResult<u32> {
        self.add_k(KKey::Str(s.into()), Constant::String(s.into()))
    }

    pub fn number_k(&mut self, n: f64) -> CResult<u32> {
        self.add_k(KKey::Num(n.to_bits()), Constant::Number(n))
    }

    fn bool_k(&mut self, b: bool) -> CResult<u32> {
        self.add_k(KKey::Bool(b), Constant::Bool(b))
    }

    fn nil_k(&mut self) -> CResult<u32> {
        self.add_k(KKey::Nil, Constant::Nil)
    }

    // ------------------------------------------------------------------
    // Discharging expressions
    // ------------------------------------------------------------------

    /// Fix an open call or vararg to produce `nresults` values.
    pub fn set_returns(&mut self, e: &mut ExpDesc, nresults: i32) -> CResult<()> {
        match e.k {
            ExpKind::Call(pc) => self.f.code[pc].set_c((nresults + 1) as u32),
            ExpKind::VarArg(pc) => {
                let freereg = self.freereg;
                let i = &mut self.f.code[pc];
                i.set_b((nresults + 1) as u32);
                i.set_a(freereg);
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub fn set_multret(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.set_returns(e, MULTRET)
    }

    /// Make an open call or vararg produce exactly one value.
    pub fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Call(pc) => e.k = ExpKind::NonReloc(self.f.code[pc].a()),
            ExpKind::VarArg(pc) => {
                self.f.code[pc].set_b(2);
                e.k = ExpKind::Relocable(pc);
            }
            _ => {}
        }
    }

    /// Turn variables into values (emitting the access instruction).
    pub fn discharge_vars(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Local(r) => e.k = ExpKind::NonReloc(r),
            ExpKind::Upval(u) => e.k = ExpKind::Relocable(self.code_abc(OpCode::GetUpval, 0, u, 0)),
            ExpKind::Indexed { t, idx, t_upval } => {
                self.free_reg(idx);
                let op = if t_upval {
                    OpCode::GetTabUp
                } else {
                    self.free_reg(t);
                    OpCode::GetTable
                };
                e.k = ExpKind::Relocable(self.code_abc(op, 0, t, idx));
            }
            ExpKind::Call(_) | ExpKind::VarArg(_) => self.set_one_ret(e),
            _ => {}
        }
    }

    fn discharge2reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge_vars(e);
        match e.k {
            ExpKind::Nil => self.nil(reg, 1),
            ExpKind::False | ExpKind::True => {
                self.code_abc(OpCode::LoadBool, reg, (e.k == ExpKind::True) as u32, 0);
            }
            ExpKind::K(k) => {
                self.code_k(reg, k);
            }
            ExpKind::KNum(n) => {
                let k = self.number_k(n)?;
                self.code_k(reg, k);
            }
            ExpKind::Relocable(pc) => self.f.code[pc].set_a(reg),
            ExpKind::NonReloc(r) => {
                if r != reg {
                    self.code_abc(OpCode::Move, reg, r, 0);
                }
            }
            _ => {
                debug_assert!(matches!(e.k, ExpKind::Void | ExpKind::Jmp(_)));
                return Ok(());
            }
        }
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    fn discharge2anyreg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if !matches!(e.k, ExpKind::NonReloc(_)) {
            self.reserve_regs(1)?;
            self.discharge2reg(e, self.freereg - 1)?;
        }
        Ok(())
    }

    fn code_label(&mut self, a: u32, b: u32, jump: u32) -> usize {
        self.get_label();
        self.code_abc(OpCode::LoadBool, a, b, jump)
    }

    /// Put the value of `e` (including a condition's boolean) in `reg`.
    fn exp2reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge2reg(e, reg)?;
        if let ExpKind::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat(&mut t, pc as i32);
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = usize::MAX;
            let mut p_t = usize::MAX;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, ExpKind::Jmp(_)) { NO_JUMP } else { self.jump() };
                p_f = self.code_label(reg, 0, 1);
                p_t = self.code_label(reg, 1, 0);
                self.patch_to_here(fj);
            }
            let end = self.get_label();
            // When no LOADBOOL was emitted every jump is a TESTSET, so the
            // "plain jump" targets are never used.
            let p_f = if p_f == usize::MAX { end } else { p_f };
            let p_t = if p_t == usize::MAX { end } else { p_t };
            self.patch_list_aux(e.f, end, reg, p_f);
            self.patch_list_aux(e.t, end, reg, p_t);
        }
        e.t = NO_JUMP;
        e.f = NO_JUMP;
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    /// Put `e` in the next free register.
    pub fn exp2nextreg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e);
        self.free_exp(e);
        self.reserve_regs(1)?;
        self.exp2reg(e, self.freereg - 1)
    }

    /// Put `e` in some register and return it.
    pub fn exp2anyreg(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.discharge_vars(e);
        if let ExpKind::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r >= self.nactvar {
                self.exp2reg(e, r)?;
                return Ok(r);
            }
        }
        self.exp2nextreg(e)?;
        Ok(e.reg())
    }

    /// Like `exp2anyreg`, but an upvalue may stay an upvalue (for GETTABUP).
    pub fn exp2anyregup(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if !matches!(e.k, ExpKind::Upval(_)) || e.has_jumps() {
            self.exp2anyreg(e)?;
        }
        Ok(())
    }

    /// Make `e` a value: a register if it has jumps, else discharge variables.
    pub fn exp2val(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if e.has_jumps() {
            self.exp2anyreg(e)?;
        } else {
            self.discharge_vars(e);
        }
        Ok(())
    }

    /// An RK operand for `e`: a constant index (with the RK bit) when it fits,
    /// otherwise a register.
    pub fn exp2rk(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.exp2val(e)?;
        let fits = self.f.constants.len() as u32 <= MAXINDEXRK;
        match e.k {
            ExpKind::True | ExpKind::False | ExpKind::Nil if fits => {
                let k = match e.k {
                    ExpKind::Nil => self.nil_k()?,
                    k => self.bool_k(k == ExpKind::True)?,
                };
                e.k = ExpKind::K(k);
                return Ok(rk_as_k(k));
            }
            ExpKind::KNum(n) => {
                let k = self.number_k(n)?;
                e.k = ExpKind::K(k);
                if k <= MAXINDEXRK {
                    return Ok(rk_as_k(k));
                }
            }
            ExpKind::K(k) if k <= MAXINDEXRK => return Ok(rk_as_k(k)),
            _ => {}
        }
        self.exp2anyreg(e)
    }

    /// Store `ex` into the variable `var`.
    pub fn store_var(&mut self, var: &ExpDesc, ex: &mut ExpDesc) -> CResult<()> {
        match var.k {
            ExpKind::Local(r) => {
                self.free_exp(ex);
                return self.exp2reg(ex, r);
            }
            ExpKind::Upval(u) => {
                let e = self.exp2anyreg(ex)?;
                self.code_abc(OpCode::SetUpval, e, u, 0);
            }
            ExpKind::Indexed { t, idx, t_upval } => {
                let op = if t_upval { OpCode::SetTabUp } else { OpCode::SetTable };
                let e = self.exp2rk(ex)?;
                self.code_abc(op, t, idx, e);
            }
            _ => unreachable!("store to a non-variable"),
        }
        self.free_exp(ex);
        Ok(())
    }

    /// `e:key(...)` prologue: SELF puts the method and the object in two
    /// consecutive registers.
    pub fn self_op(&mut self, e: &mut ExpDesc, key: &mut ExpDesc) -> CResult<()> {
        let ereg = self.exp2anyreg(e)?;
        self.free_exp(e);
        let base = self.freereg;
        e.k = ExpKind::NonReloc(base);
        self.reserve_regs(2)?;
        let k = self.exp2rk(key)?;
        self.code_abc(OpCode::SelfOp, base, ereg, k);
        self.free_exp(key);
        Ok(())
    }

    /// Turn `t` (a register or upvalue) into the variable `t[k]`.
    pub fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc) -> CResult<()> {
        let idx = self.exp2rk(k)?;
        t.k = match t.k {
            ExpKind::Upval(u) => ExpKind::Indexed { t: u, idx, t_upval: true },
            ExpKind::Local(r) | ExpKind::NonReloc(r) => ExpKind::Indexed { t: r, idx, t_upval: false },
            other => unreachable!("indexing a non-register {other:?}"),
        };
        Ok(())
    }

    // ------------------------------------------------------------------
    // Conditions
    // ------------------------------------------------------------------

    fn invert_jump(&mut self, pc: usize) {
        let ctl = self.jump_control(pc);
        let i = &mut self.f.code[ctl];
        debug_assert!(i.op().is_some_and(|o| o.info().is_test) && !matches!(i.op(), Some(OpCode::TestSet | OpCode::Test)));
        let a = i.a();
        i.set_a((a == 0) as u32);
    }

    /// Jump if `e` is `cond`; returns the jump.
    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: bool) -> CResult<i32> {
        if let ExpKind::Relocable(pc) = e.k {
            let ie = self.f.code[pc];
            if ie.op() == Some(OpCode::Not) && pc + 1 == self.pc() {
                // Drop the NOT and test its operand with the opposite sense.
                self.f.code.pop();
                self.f.line_info.pop();
                return Ok(self.cond_jump(OpCode::Test, ie.b(), 0, (!cond) as u32));
            }
        }
        self.discharge2anyreg(e)?;
        self.free_exp(e);
        Ok(self.cond_jump(OpCode::TestSet, NO_REG, e.reg(), cond as u32))
    }

    /// Fall through when `e` is true, jump (via `e.f`) when false.
    pub fn go_if_true(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpKind::Jmp(pc) => {
                self.invert_jump(pc);
                pc as i32
            }
            ExpKind::K(_) | ExpKind::KNum(_) | ExpKind::True => NO_JUMP,
            _ => self.jump_on_cond(e, false)?,
        };
        let mut f = e.f;
        self.concat(&mut f, pc);
        e.f = f;
        self.patch_to_here(e.t);
        e.t = NO_JUMP;
        Ok(())
    }

    /// Fall through when `e` is false, jump (via `e.t`) when true.
    pub fn go_if_false(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpKind::Jmp(pc) => pc as i32,
            ExpKind::Nil | ExpKind::False => NO_JUMP,
            _ => self.jump_on_cond(e, true)?,
        };
        let mut t = e.t;
        self.concat(&mut t, pc);
        e.t = t;
        self.patch_to_here(e.f);
        e.f = NO_JUMP;
        Ok(())
    }

    fn code_not(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e);
        match e.k {
            ExpKind::Nil | ExpKind::False => e.k = ExpKind::True,
            ExpKind::K(_) | ExpKind::KNum(_) | ExpKind::True => e.k = ExpKind::False,
            ExpKind::Jmp(pc) => self.invert_jump(pc),
            ExpKind::Relocable(_) | ExpKind::NonReloc(_) => {
                self.discharge2anyreg(e)?;
                self.free_exp(e);
                e.k = ExpKind::Relocable(self.code_abc(OpCode::Not, 0, e.reg(), 0));
            }
            other => unreachable!("`not` of {other:?}"),
        }
        std::mem::swap(&mut e.t, &mut e.f);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    // ------------------------------------------------------------------
    // Operators
    // ------------------------------------------------------------------

    fn code_arith(&mut self, op: OpCode, e1: &mut ExpDesc, e2: &mut ExpDesc, line: u32) -> CResult<()> {
        if let (Some(a), Some(b)) = (e1.numeral(), e2.numeral()) {
            if let Some(r) = fold(op, a, b) {
                e1.k = ExpKind::KNum(r);
                return Ok(());
            }
        }
        let o2 = if op != OpCode::Unm && op != OpCode::Len { self.exp2rk(e2)? } else { 0 };
        let o1 = self.exp2rk(e1)?;
        if o1 > o2 {
            self.free_exp(e1);
            self.free_exp(e2);
        } else {
            self.free_exp(e2);
            self.free_exp(e1);
        }
        e1.k = ExpKind::Relocable(self.code_abc(op, 0, o1, o2));
        self.fix_line(line);
        Ok(())
    }

    fn code_comp(&mut self, op: OpCode, cond: bool, e1: &mut ExpDesc, e2: &mut ExpDesc) -> CResult<()> {
        let mut o1 = self.exp2rk(e1)?;
        let mut o2 = self.exp2rk(e2)?;
        self.free_exp(e2);
        self.free_exp(e1);
        let mut cond = cond;
        if !cond && op != OpCode::Eq {
            // a > b  ==>  b < a;  a >= b  ==>  b <= a
            std::mem::swap(&mut o1, &mut o2);
            cond = true;
        }
        e1.k = ExpKind::Jmp(self.cond_jump(op, cond as u32, o1, o2) as usize);
        Ok(())
    }

    /// Apply a unary operator.
    pub fn prefix(&mut self, op: UnOp, e: &mut ExpDesc, line: u32) -> CResult<()> {
        let mut zero = ExpDesc::new(ExpKind::KNum(0.0));
        match op {
            UnOp::Neg => {
                if let Some(n) = e.numeral() {
                    e.k = ExpKind::KNum(-n);
                } else {
                    self.exp2anyreg(e)?;
                    self.code_arith(OpCode::Unm, e, &mut zero, line)?;
                }
            }
            UnOp::Not => self.code_not(e)?,
            UnOp::Len => {
                self.exp2anyreg(e)?;
                self.code_arith(OpCode::Len, e, &mut zero, line)?;
            }
        }
        Ok(())
    }

    /// Prepare the left operand of a binary operator, before the right one
    /// is compiled.
    pub fn infix(&mut self, op: BinOp, v: &mut ExpDesc) -> CResult<()> {
        match op {
            BinOp::And => self.go_if_true(v)?,
            BinOp::Or => self.go_if_false(v)?,
            BinOp::Concat => self.exp2nextreg(v)?,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => {
                if v.numeral().is_none() {
                    self.exp2rk(v)?;
                }
            }
            _ => {
                self.exp2rk(v)?;
            }
        }
        Ok(())
    }

    /// Combine both operands of a binary operator into `e1`.
    pub fn posfix(&mut self, op: BinOp, e1: &mut ExpDesc, e2: &mut ExpDesc, line: u32) -> CResult<()> {
        match op {
            BinOp::And => {
                debug_assert_eq!(e1.t, NO_JUMP);
                self.discharge_vars(e2);
                let mut f = e2.f;
                self.concat(&mut f, e1.f);
                e2.f = f;
                *e1 = *e2;
            }
            BinOp::Or => {
                debug_assert_eq!(e1.f, NO_JUMP);
                self.discharge_vars(e2);
                let mut t = e2.t;
                self.concat(&mut t, e1.t);
                e2.t = t;
                *e1 = *e2;
            }
            BinOp::Concat => {
                self.exp2val(e2)?;
                match e2.k {
                    ExpKind::Relocable(pc) if self.f.code[pc].op() == Some(OpCode::Concat) => {
                        // Extend the CONCAT of the right operand leftwards.
                        debug_assert_eq!(e1.reg(), self.f.code[pc].b() - 1);
                        self.free_exp(e1);
                        let r = e1.reg();
                        self.f.code[pc].set_b(r);
                        e1.k = ExpKind::Relocable(pc);
                    }
                    _ => {
                        self.exp2nextreg(e2)?;
                        self.code_arith(OpCode::Concat, e1, e2, line)?;
                    }
                }
            }
            BinOp::Add => self.code_arith(OpCode::Add, e1, e2, line)?,
            BinOp::Sub => self.code_arith(OpCode::Sub, e1, e2, line)?,
            BinOp::Mul => self.code_arith(OpCode::Mul, e1, e2, line)?,
            BinOp::Div => self.code_arith(OpCode::Div, e1, e2, line)?,
            BinOp::Mod => self.code_arith(OpCode::Mod, e1, e2, line)?,
            BinOp::Pow => self.code_arith(OpCode::Pow, e1, e2, line)?,
            BinOp::Eq => self.code_comp(OpCode::Eq, true, e1, e2)?,
            BinOp::Lt => self.code_comp(OpCode::Lt, true, e1, e2)?,
            BinOp::Le => self.code_comp(OpCode::Le, true, e1, e2)?,
            BinOp::Ne => self.code_comp(OpCode::Eq, false, e1, e2)?,
            BinOp::Gt => self.code_comp(OpCode::Lt, false, e1, e2)?,
            BinOp::Ge => self.code_comp(OpCode::Le, false, e1, e2)?,
        }
        Ok(())
    }

    /// Store the `tostore` list items pending above table register `base`
    /// (`MULTRET`: up to the top), the last one being item `nelems`.
    pub fn set_list(&mut self, base: u32, nelems: u32, tostore: i32) -> CResult<()> {
        debug_assert!(tostore != 0);
        let c = (nelems.wrapping_sub(1)) / FIELDS_PER_FLUSH + 1;
        let b = if tostore == MULTRET { 0 } else { tostore as u32 };
        if c <= MAXARG_C {
            self.code_abc(OpCode::SetList, base, b, c);
        } else if c <= MAXARG_AX {
            self.code_abc(OpCode::SetList, base, b, 0);
            self.code_extraarg(c);
        } else {
            return Err(self.error("constructor too long"));
        }
        self.freereg = base + 1;
        Ok(())
    }

    /// An error at the current line.
    pub fn error(&self, msg: &str) -> Box<CompileError> {
        Box::new(CompileError { line: self.line, msg: msg.to_owned() })
    }

    fn set_pending_error(&mut self, msg: &str) {
        if self.pending_error.is_none() {
            self.pending_error = Some(self.error(msg));
        }
    }
}

/// Constant folding of a binary arithmetic operator, as PUC 5.2 does it: any
/// result (including NaN and -0) except for division or modulo by zero.
fn fold(op: OpCode, a: f64, b: f64) -> Option<f64> {
    Some(match op {
        OpCode::Add => a + b,
        OpCode::Sub => a - b,
        OpCode::Mul => a * b,
        OpCode::Div if b != 0.0 => a / b,
        OpCode::Mod if b != 0.0 => lua_mod(a, b),
        OpCode::Pow => a.powf(b),
        _ => return None,
    })
}
