//! The instruction set: one table, the single source of truth for the opcode
//! enum, operand formats, the disassembler and the compiler's debug checks.
//!
//! Instructions are 32 bits: `op:6 | A:8 | C:9 | B:9` (iABC), `op:6 | A:8 | Bx:18`
//! (iABx / iAsBx, `sBx = Bx - MAXARG_SBX`), `op:6 | Ax:26` (iAx). B and C
//! operands marked RK address a constant when bit 8 is set (`ISK`).
//! Semantics follow Lua 5.2's register machine; `R(x)` is a register,
//! `Kst(x)` a constant, `RK(x)` either, `UpValue[x]` an upvalue, `pc` the
//! index of the next instruction.

/// Operand layout of an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    ABC,
    ABx,
    AsBx,
    Ax,
}

/// How an operand is used (for the disassembler and verifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Not used.
    N,
    /// Used as a plain number (count, flag, jump offset).
    U,
    /// A register or jump offset.
    R,
    /// A constant or register (RK) / a constant index (Bx).
    K,
}

macro_rules! opcodes {
    ($( $name:ident $text:literal $fmt:ident $b:ident $c:ident $seta:literal $test:literal $sem:literal ;)*) => {
        /// Every opcode, in encoding order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum OpCode { $( $name, )* }

        /// Static description of one opcode.
        #[derive(Debug, Clone, Copy)]
        pub struct OpInfo {
            pub name: &'static str,
            pub format: Format,
            pub b: Arg,
            pub c: Arg,
            /// The instruction writes register A.
            pub sets_a: bool,
            /// The instruction is a test: the next one must be a JMP.
            pub is_test: bool,
            /// One-line semantics.
            pub semantics: &'static str,
        }

        /// The opcode table, indexed by `OpCode as usize`.
        pub const OPINFO: &[OpInfo] = &[
            $( OpInfo { name: $text, format: Format::$fmt, b: Arg::$b, c: Arg::$c,
                        sets_a: $seta, is_test: $test, semantics: $sem }, )*
        ];

        const ALL: &[OpCode] = &[ $( OpCode::$name, )* ];

        /// Opcode numbers as constants, for dispatching on the raw byte.
        #[allow(non_upper_case_globals)]
        pub mod op {
            use super::OpCode;
            $( pub const $name: u8 = OpCode::$name as u8; )*
        }
    };
}

opcodes! {
    //  name     text       fmt   B  C  setA  test  semantics
    Move     "MOVE"     ABC  R N true  false "R(A) := R(B)";
    LoadK    "LOADK"    ABx  K N true  false "R(A) := Kst(Bx)";
    LoadKx   "LOADKX"   ABx  N N true  false "R(A) := Kst(extra arg)";
    LoadBool "LOADBOOL" ABC  U U true  false "R(A) := (Bool)B; if (C) pc++";
    LoadNil  "LOADNIL"  ABC  U N true  false "R(A), R(A+1), ..., R(A+B) := nil";
    GetUpval "GETUPVAL" ABC  U N true  false "R(A) := UpValue[B]";
    GetTabUp "GETTABUP" ABC  U K true  false "R(A) := UpValue[B][RK(C)]";
    GetTable "GETTABLE" ABC  R K true  false "R(A) := R(B)[RK(C)]";
    SetTabUp "SETTABUP" ABC  K K false false "UpValue[A][RK(B)] := RK(C)";
    SetUpval "SETUPVAL" ABC  U N false false "UpValue[B] := R(A)";
    SetTable "SETTABLE" ABC  K K false false "R(A)[RK(B)] := RK(C)";
    NewTable "NEWTABLE" ABC  U U true  false "R(A) := {} (size = B,C)";
    SelfOp   "SELF"     ABC  R K true  false "R(A+1) := R(B); R(A) := R(B)[RK(C)]";
    Add      "ADD"      ABC  K K true  false "R(A) := RK(B) + RK(C)";
    Sub      "SUB"      ABC  K K true  false "R(A) := RK(B) - RK(C)";
    Mul      "MUL"      ABC  K K true  false "R(A) := RK(B) * RK(C)";
    Div      "DIV"      ABC  K K true  false "R(A) := RK(B) / RK(C)";
    Mod      "MOD"      ABC  K K true  false "R(A) := RK(B) % RK(C)";
    Pow      "POW"      ABC  K K true  false "R(A) := RK(B) ^ RK(C)";
    Unm      "UNM"      ABC  R N true  false "R(A) := -R(B)";
    Not      "NOT"      ABC  R N true  false "R(A) := not R(B)";
    Len      "LEN"      ABC  R N true  false "R(A) := length of R(B)";
    Concat   "CONCAT"   ABC  R R true  false "R(A) := R(B).. ... ..R(C)";
    Jmp      "JMP"      AsBx R N false false "pc += sBx; if (A) close all upvalues >= R(A - 1)";
    Eq       "EQ"       ABC  K K false true  "if ((RK(B) == RK(C)) ~= A) then pc++";
    Lt       "LT"       ABC  K K false true  "if ((RK(B) <  RK(C)) ~= A) then pc++";
    Le       "LE"       ABC  K K false true  "if ((RK(B) <= RK(C)) ~= A) then pc++";
    Test     "TEST"     ABC  N U false true  "if not (R(A) <=> C) then pc++";
    TestSet  "TESTSET"  ABC  R U true  true  "if (R(B) <=> C) then R(A) := R(B) else pc++";
    Call     "CALL"     ABC  U U true  false "R(A), ... ,R(A+C-2) := R(A)(R(A+1), ... ,R(A+B-1))";
    TailCall "TAILCALL" ABC  U U true  false "return R(A)(R(A+1), ... ,R(A+B-1))";
    Return   "RETURN"   ABC  U N false false "return R(A), ... ,R(A+B-2)";
    ForLoop  "FORLOOP"  AsBx R N true  false "R(A)+=R(A+2); if R(A) <?= R(A+1) then { pc+=sBx; R(A+3)=R(A) }";
    ForPrep  "FORPREP"  AsBx R N true  false "R(A)-=R(A+2); pc+=sBx";
    TForCall "TFORCALL" ABC  N U false false "R(A+3), ... ,R(A+2+C) := R(A)(R(A+1), R(A+2))";
    TForLoop "TFORLOOP" AsBx R N true  false "if R(A+1) ~= nil then { R(A)=R(A+1); pc += sBx }";
    SetList  "SETLIST"  ABC  U U false false "R(A)[(C-1)*FPF+i] := R(A+i), 1 <= i <= B";
    Closure  "CLOSURE"  ABx  U N true  false "R(A) := closure(KPROTO[Bx])";
    VarArg   "VARARG"   ABC  U N true  false "R(A), R(A+1), ..., R(A+B-2) = vararg";
    ExtraArg "EXTRAARG" Ax   U U false false "extra (larger) argument for previous opcode";
}

impl OpCode {
    /// Static description from the opcode table.
    #[inline]
    pub fn info(self) -> &'static OpInfo {
        &OPINFO[self as usize]
    }

    /// Decode an opcode number; `None` for numbers outside the table.
    #[inline(always)]
    pub fn from_u8(n: u8) -> Option<OpCode> {
        if (n as usize) < ALL.len() {
            // SAFETY: `OpCode` is `repr(u8)` with the discriminants
            // `0..ALL.len()` assigned in order by the macro (checked by the
            // `table_is_consistent` test), and `n` is in that range.
            Some(unsafe { std::mem::transmute::<u8, OpCode>(n) })
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }
}

pub const SIZE_OP: u32 = 6;
pub const SIZE_A: u32 = 8;
pub const SIZE_B: u32 = 9;
pub const SIZE_C: u32 = 9;
pub const SIZE_BX: u32 = SIZE_B + SIZE_C;
pub const SIZE_AX: u32 = SIZE_A + SIZE_B + SIZE_C;
pub const POS_A: u32 = SIZE_OP;
pub const POS_C: u32 = POS_A + SIZE_A;
pub const POS_B: u32 = POS_C + SIZE_C;
pub const POS_BX: u32 = POS_C;
pub const POS_AX: u32 = POS_A;

pub const MAXARG_A: u32 = (1 << SIZE_A) - 1;
pub const MAXARG_B: u32 = (1 << SIZE_B) - 1;
pub const MAXARG_C: u32 = (1 << SIZE_C) - 1;
pub const MAXARG_BX: u32 = (1 << SIZE_BX) - 1;
pub const MAXARG_SBX: i32 = (MAXARG_BX >> 1) as i32;
pub const MAXARG_AX: u32 = (1 << SIZE_AX) - 1;

/// Bit that marks an RK operand as a constant index.
pub const BITRK: u32 = 1 << (SIZE_B - 1);
/// Largest constant index an RK operand can hold.
pub const MAXINDEXRK: u32 = BITRK - 1;
/// Number of list items to accumulate before a SETLIST instruction.
pub const LFIELDS_PER_FLUSH: u32 = 50;
/// Largest number of registers a function may use.
pub const MAXREGS: u32 = 250;

/// Encode a table size hint as a "floating point byte" `eeeeexxx`
/// (value `xxx` when `eeeee == 0`, else `(1xxx) << (eeeee - 1)`), rounding up.
pub fn int_to_fb(mut x: u32) -> u32 {
    let mut e = 0;
    if x < 8 {
        return x;
    }
    while x >= 0x10 {
        x = (x + 1) >> 1;
        e += 1;
    }
    ((e + 1) << 3) | (x - 8)
}

/// Decode a "floating point byte" (see [`int_to_fb`]).
pub fn fb_to_int(x: u32) -> usize {
    let e = (x >> 3) & 0x1f;
    if e == 0 {
        x as usize
    } else {
        (((x & 7) + 8) as usize) << (e - 1)
    }
}

#[inline]
pub fn is_k(x: u32) -> bool {
    x & BITRK != 0
}
#[inline]
pub fn index_k(x: u32) -> u32 {
    x & !BITRK
}
#[inline]
pub fn rk_as_k(x: u32) -> u32 {
    x | BITRK
}

/// One encoded instruction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Instruction(pub u32);

impl Instruction {
    #[inline]
    pub fn abc(op: OpCode, a: u32, b: u32, c: u32) -> Self {
        debug_assert!(op.info().format == Format::ABC);
        debug_assert!(a <= MAXARG_A && b <= MAXARG_B && c <= MAXARG_C);
        Instruction((op as u32) | (a << POS_A) | (b << POS_B) | (c << POS_C))
    }
    #[inline]
    pub fn abx(op: OpCode, a: u32, bx: u32) -> Self {
        debug_assert!(matches!(op.info().format, Format::ABx | Format::AsBx));
        debug_assert!(a <= MAXARG_A && bx <= MAXARG_BX);
        Instruction((op as u32) | (a << POS_A) | (bx << POS_BX))
    }
    #[inline]
    pub fn asbx(op: OpCode, a: u32, sbx: i32) -> Self {
        Self::abx(op, a, (sbx + MAXARG_SBX) as u32)
    }
    #[inline]
    pub fn ax(op: OpCode, ax: u32) -> Self {
        debug_assert!(op.info().format == Format::Ax && ax <= MAXARG_AX);
        Instruction((op as u32) | (ax << POS_AX))
    }
    /// The opcode; `None` only for corrupt code (e.g. a malformed binary chunk).
    #[inline]
    pub fn op(self) -> Option<OpCode> {
        OpCode::from_u8((self.0 & ((1 << SIZE_OP) - 1)) as u8)
    }
    #[inline]
    pub fn raw_op(self) -> u8 {
        (self.0 & ((1 << SIZE_OP) - 1)) as u8
    }
    #[inline]
    pub fn a(self) -> u32 {
        (self.0 >> POS_A) & MAXARG_A
    }
    #[inline]
    pub fn b(self) -> u32 {
        (self.0 >> POS_B) & MAXARG_B
    }
    #[inline]
    pub fn c(self) -> u32 {
        (self.0 >> POS_C) & MAXARG_C
    }
    #[inline]
    pub fn bx(self) -> u32 {
        (self.0 >> POS_BX) & MAXARG_BX
    }
    #[inline]
    pub fn sbx(self) -> i32 {
        self.bx() as i32 - MAXARG_SBX
    }
    #[inline]
    pub fn ax_arg(self) -> u32 {
        (self.0 >> POS_AX) & MAXARG_AX
    }
    #[inline]
    pub fn set_a(&mut self, a: u32) {
        self.0 = (self.0 & !(MAXARG_A << POS_A)) | (a << POS_A);
    }
    #[inline]
    pub fn set_b(&mut self, b: u32) {
        self.0 = (self.0 & !(MAXARG_B << POS_B)) | (b << POS_B);
    }
    #[inline]
    pub fn set_c(&mut self, c: u32) {
        self.0 = (self.0 & !(MAXARG_C << POS_C)) | (c << POS_C);
    }
    #[inline]
    pub fn set_bx(&mut self, bx: u32) {
        self.0 = (self.0 & !(MAXARG_BX << POS_BX)) | (bx << POS_BX);
    }
    #[inline]
    pub fn set_sbx(&mut self, sbx: i32) {
        self.set_bx((sbx + MAXARG_SBX) as u32)
    }
}

impl std::fmt::Debug for Instruction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op() {
            None => write!(f, "<bad {:#010x}>", self.0),
            Some(op) => match op.info().format {
                Format::ABC => write!(f, "{} {} {} {}", op.name(), self.a(), self.b(), self.c()),
                Format::ABx => write!(f, "{} {} {}", op.name(), self.a(), self.bx()),
                Format::AsBx => write!(f, "{} {} {}", op.name(), self.a(), self.sbx()),
                Format::Ax => write!(f, "{} {}", op.name(), self.ax_arg()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_is_four_bytes() {
        assert_eq!(std::mem::size_of::<Instruction>(), 4);
    }

    #[test]
    fn table_is_consistent() {
        assert_eq!(OPINFO.len(), ALL.len());
        assert!(OPINFO.len() <= 1 << SIZE_OP);
        for (i, op) in ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
            assert_eq!(OpCode::from_u8(i as u8), Some(*op));
        }
        assert_eq!(OpCode::from_u8(OPINFO.len() as u8), None);
    }

    #[test]
    fn float_bytes_round_up() {
        for n in 0..10_000u32 {
            let d = fb_to_int(int_to_fb(n));
            assert!(d >= n as usize && d <= (n as usize) * 9 / 8 + 8, "{n} -> {d}");
        }
    }

    #[test]
    fn round_trip_fields() {
        let i = Instruction::abc(OpCode::Call, 200, 511, 3);
        assert_eq!((i.op(), i.a(), i.b(), i.c()), (Some(OpCode::Call), 200, 511, 3));
        let j = Instruction::asbx(OpCode::Jmp, 0, -5);
        assert_eq!(j.sbx(), -5);
        let k = Instruction::abx(OpCode::LoadK, 7, MAXARG_BX);
        assert_eq!(k.bx(), MAXARG_BX);
        let x = Instruction::ax(OpCode::ExtraArg, MAXARG_AX);
        assert_eq!(x.ax_arg(), MAXARG_AX);
    }
}
