//! Binary chunks: [`dump`] serialises a [`Proto`] (for `string.dump`) and
//! [`undump`] loads one back, refusing anything the VM could not trust.
//!
//! Format (ours, not PUC's: only the header layout is the same, so PUC's and
//! our loaders reject each other's chunks with a clear message):
//!
//! ```text
//! header   1b 'L' 'u' 'a' | 52 | FORMAT | 01 (little endian) | 04 (int) | 04 (length)
//!          | 04 (instruction) | 08 (number) | 00 (floating) | 19 93 0d 0a 1a 0a
//! function u32 line_defined, u32 last_line_defined, u8 num_params,
//!          u8 is_vararg, u8 max_stack_size,
//!          u8 source (0 absent | 1 same as enclosing function | 2 string follows)
//!          u32 n, n × u32 instruction
//!          u32 n, n × constant (u8 tag: 0 nil | 1 bool + u8 | 3 number + u64 bits | 4 string)
//!          u32 n, n × upvalue (u8 in_stack, u8 index)
//!          u32 n, n × function
//!          u32 n, n × u32 line          (debug information: empty when stripped)
//!          u32 n, n × (string name, u32 start_pc, u32 end_pc)
//!          u32 n, n × (u8 present, string name)   upvalue names
//! string   u32 length, bytes
//! ```
//! All integers are little-endian whatever the host.
//!
//! Invariant: every `Proto` returned by [`undump`] passes [`verify`]: valid
//! opcodes, register operands below `max_stack_size`, constant, upvalue and
//! prototype indices in range, jumps inside the code and onto instruction
//! boundaries, test instructions followed by JMP, and "open" operand counts
//! (`B == 0` / `C == 0`) only right after an instruction that sets the top.
//! Corrupt lengths are checked against the remaining input before anything
//! is allocated, and nesting depth is bounded, so loading never panics nor
//! allocates more than a small multiple of the input size.

use crate::opcodes::{index_k, is_k, Instruction, OpCode, MAXREGS};
use crate::proto::{Constant, LocVar, Proto, UpvalDesc};
use std::rc::Rc;

/// Our format byte (PUC's official format is 0).
pub const FORMAT: u8 = 0x4f;
const SIGNATURE: &[u8] = b"\x1bLua";
const VERSION: u8 = 0x52;
const TAIL: &[u8] = b"\x19\x93\r\n\x1a\n";
const HEADER_SIZE: usize = 18;
/// Deepest function nesting accepted when loading (the compiler's output is
/// bounded by the parser's nesting limit, well below this).
const MAX_DEPTH: usize = 250;

fn header() -> [u8; HEADER_SIZE] {
    let mut h = [0u8; HEADER_SIZE];
    h[..4].copy_from_slice(SIGNATURE);
    h[4] = VERSION;
    h[5] = FORMAT;
    h[6] = 1; // little endian
    h[7] = 4; // int
    h[8] = 4; // length fields
    h[9] = 4; // instruction
    h[10] = 8; // number
    h[11] = 0; // numbers are floating point
    h[12..].copy_from_slice(TAIL);
    h
}

// ----------------------------------------------------------------------
// Dumping
// ----------------------------------------------------------------------

/// Serialise `p`. With `strip`, debug information (lines, local and upvalue
/// names, source) is left out.
pub fn dump(p: &Proto, strip: bool) -> Vec<u8> {
    let mut out = header().to_vec();
    dump_function(p, None, strip, &mut out);
    out
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u32(out, u32::try_from(n).expect("length exceeds the binary format"));
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    put_len(out, s.len());
    out.extend_from_slice(s);
}

fn dump_function(p: &Proto, parent_source: Option<&[u8]>, strip: bool, out: &mut Vec<u8>) {
    put_u32(out, p.line_defined);
    put_u32(out, p.last_line_defined);
    out.push(p.num_params);
    out.push(p.is_vararg as u8);
    out.push(p.max_stack_size);
    if strip {
        out.push(0);
    } else if parent_source == Some(&p.source[..]) {
        out.push(1);
    } else {
        out.push(2);
        put_str(out, &p.source);
    }
    put_len(out, p.code.len());
    for i in &p.code {
        put_u32(out, i.0);
    }
    put_len(out, p.constants.len());
    for k in &p.constants {
        match k {
            Constant::Nil => out.push(0),
            Constant::Bool(b) => {
                out.push(1);
                out.push(*b as u8);
            }
            Constant::Number(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
            Constant::String(s) => {
                out.push(4);
                put_str(out, s);
            }
        }
    }
    put_len(out, p.upvalues.len());
    for u in &p.upvalues {
        out.push(u.in_stack as u8);
        out.push(u.index);
    }
    put_len(out, p.protos.len());
    for child in &p.protos {
        dump_function(child, Some(&p.source), strip, out);
    }
    if strip {
        put_len(out, 0);
        put_len(out, 0);
        put_len(out, 0);
        return;
    }
    put_len(out, p.line_info.len());
    for &l in &p.line_info {
        put_u32(out, l);
    }
    put_len(out, p.loc_vars.len());
    for v in &p.loc_vars {
        put_str(out, v.name.as_bytes());
        put_u32(out, v.start_pc);
        put_u32(out, v.end_pc);
    }
    put_len(out, p.upvalues.len());
    for u in &p.upvalues {
        match &u.name {
            None => out.push(0),
            Some(n) => {
                out.push(1);
                put_str(out, n.as_bytes());
            }
        }
    }
}

// ----------------------------------------------------------------------
// Loading
// ----------------------------------------------------------------------

struct Loader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Chunk name for messages.
    name: String,
}

/// Why a chunk is rejected, worded as PUC's `<name>: <why> precompiled chunk`.
enum Fail {
    Truncated,
    Corrupted,
}

impl Loader<'_> {
    fn fail(&self, f: Fail) -> String {
        let why = match f {
            Fail::Truncated => "truncated",
            Fail::Corrupted => "corrupted",
        };
        format!("{}: {} precompiled chunk", self.name, why)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], Fail> {
        if self.data.len() - self.pos < n {
            return Err(Fail::Truncated);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, Fail> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Fail> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, Fail> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A count of items each taking at least `min_size` bytes: larger counts
    /// cannot be backed by the remaining input.
    fn count(&mut self, min_size: usize) -> Result<usize, Fail> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.data.len() - self.pos {
            return Err(Fail::Truncated);
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<&[u8], Fail> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    fn utf8(&mut self) -> Result<Box<str>, Fail> {
        let s = self.string()?;
        std::str::from_utf8(s).map(Into::into).map_err(|_| Fail::Corrupted)
    }

    fn bool(&mut self) -> Result<bool, Fail> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Fail::Corrupted),
        }
    }

    fn function(&mut self, parent_source: Option<&Rc<[u8]>>, depth: usize) -> Result<Proto, Fail> {
        if depth > MAX_DEPTH {
            return Err(Fail::Corrupted);
        }
        let mut p = Proto {
            line_defined: self.u32()?,
            last_line_defined: self.u32()?,
            num_params: self.u8()?,
            is_vararg: self.bool()?,
            max_stack_size: self.u8()?,
            ..Proto::default()
        };
        p.source = match self.u8()? {
            0 => Rc::from(&b"=?"[..]),
            1 => parent_source.ok_or(Fail::Corrupted)?.clone(),
            2 => Rc::from(self.string()?),
            _ => return Err(Fail::Corrupted),
        };
        let n = self.count(4)?;
        p.code = (0..n).map(|_| self.u32().map(Instruction)).collect::<Result<_, _>>()?;
        let n = self.count(1)?;
        p.constants.reserve(n);
        for _ in 0..n {
            let k = match self.u8()? {
                0 => Constant::Nil,
                1 => Constant::Bool(self.bool()?),
                3 => Constant::Number(f64::from_bits(self.u64()?)),
                4 => Constant::String(self.string()?.into()),
                _ => return Err(Fail::Corrupted),
            };
            p.constants.push(k);
        }
        let n = self.count(2)?;
        p.upvalues.reserve(n);
        for _ in 0..n {
            let in_stack = self.bool()?;
            let index = self.u8()?;
            p.upvalues.push(UpvalDesc { name: None, in_stack, index });
        }
        // The smallest function: 11 bytes of fields, a source flag and 7 counts.
        let n = self.count(11 + 1 + 7 * 4)?;
        p.protos.reserve(n);
        for _ in 0..n {
            let child = self.function(Some(&p.source), depth + 1)?;
            p.protos.push(Rc::new(child));
        }
        let n = self.count(4)?;
        p.line_info = (0..n).map(|_| self.u32()).collect::<Result<_, _>>()?;
        let n = self.count(12)?;
        p.loc_vars.reserve(n);
        for _ in 0..n {
            let name = self.utf8()?;
            let start_pc = self.u32()?;
            let end_pc = self.u32()?;
            p.loc_vars.push(LocVar { name, start_pc, end_pc });
        }
        let n = self.count(1)?;
        if n != 0 && n != p.upvalues.len() {
            return Err(Fail::Corrupted);
        }
        for i in 0..n {
            if self.bool()? {
                p.upvalues[i].name = Some(self.utf8()?);
            }
        }
        Ok(p)
    }
}

/// Display name of a chunk in load errors (PUC's `lundump.c` rule).
fn load_name(chunkname: &[u8]) -> String {
    match chunkname.first() {
        Some(b'@') | Some(b'=') => String::from_utf8_lossy(&chunkname[1..]).into_owned(),
        Some(0x1b) => "binary string".into(),
        _ => String::from_utf8_lossy(chunkname).into_owned(),
    }
}

/// Load a binary chunk produced by [`dump`]. Errors are the messages `load`
/// returns, e.g. `x.lua: truncated precompiled chunk`.
pub fn undump(bytes: &[u8], chunkname: &[u8]) -> Result<Proto, String> {
    let mut l = Loader { data: bytes, pos: 0, name: load_name(chunkname) };
    let h = header();
    let got = match l.bytes(HEADER_SIZE) {
        Ok(b) => b.to_vec(),
        Err(f) => return Err(l.fail(f)),
    };
    if got != h {
        let why = if got[..4] != h[..4] {
            "not a"
        } else if got[4..6] != h[4..6] {
            "version mismatch in"
        } else if got[6..12] != h[6..12] {
            "incompatible"
        } else {
            "corrupted"
        };
        return Err(format!("{}: {} precompiled chunk", l.name, why));
    }
    let p = l.function(None, 0).map_err(|f| l.fail(f))?;
    verify(&p).map_err(|_| l.fail(Fail::Corrupted))?;
    Ok(p)
}

// ----------------------------------------------------------------------
// Verification
// ----------------------------------------------------------------------

/// Check that `p` (and its nested functions) can be run without the VM
/// checking operands: see the module invariant. The error names the first
/// problem found (for debugging; `undump` reports any as "corrupted").
pub fn verify(p: &Proto) -> Result<(), String> {
    let mut stack: Vec<&Proto> = vec![p];
    while let Some(f) = stack.pop() {
        verify_function(f)?;
        stack.extend(f.protos.iter().map(|c| &**c));
    }
    Ok(())
}

/// Instructions that leave an open result count (set the top).
fn sets_top(i: Instruction) -> bool {
    match i.op() {
        Some(OpCode::Call) => i.c() == 0,
        Some(OpCode::VarArg) => i.b() == 0,
        Some(OpCode::TailCall) => true,
        _ => false,
    }
}

/// Instructions that use the top set by the previous one.
fn uses_top(i: Instruction) -> bool {
    match i.op() {
        Some(OpCode::Call | OpCode::TailCall | OpCode::Return | OpCode::SetList) => i.b() == 0,
        _ => false,
    }
}

fn verify_function(p: &Proto) -> Result<(), String> {
    let code = &p.code;
    let n = code.len();
    let stack = p.max_stack_size as u32;
    let nk = p.constants.len() as u32;
    let nups = p.upvalues.len() as u32;
    if stack > MAXREGS || (p.num_params as u32) > stack {
        return Err(format!("bad stack size {stack}"));
    }
    if p.upvalues.len() > 255 {
        return Err("too many upvalues".into());
    }
    if !p.line_info.is_empty() && p.line_info.len() != n {
        return Err("line info does not match code".into());
    }
    if p.loc_vars.iter().any(|v| v.start_pc > v.end_pc || v.end_pc as usize > n) {
        return Err("bad local variable range".into());
    }
    if code.last().and_then(|i| i.op()) != Some(OpCode::Return) {
        return Err("code does not end with RETURN".into());
    }
    let err = |pc: usize, what: &str| Err(format!("instruction {}: {what}", pc + 1));
    let reg = |r: u32| r < stack;
    let rk = |x: u32| if is_k(x) { index_k(x) < nk } else { x < stack };
    // Is `t` a valid place to transfer control to?
    let target = |t: i64| t >= 0 && (t as usize) < n && code[t as usize].op() != Some(OpCode::ExtraArg);
    let jump_to = |pc: usize, i: Instruction| pc as i64 + 1 + i.sbx() as i64;
    let mut targets = vec![false; n];
    for pc in 0..n {
        let i = code[pc];
        let Some(op) = i.op() else {
            return err(pc, "bad opcode");
        };
        let (a, b, c) = (i.a(), i.b(), i.c());
        let next = code.get(pc + 1).copied();
        let next_op = next.and_then(|x| x.op());
        let ok = match op {
            OpCode::Move | OpCode::Unm | OpCode::Not | OpCode::Len => reg(a) && reg(b),
            OpCode::LoadK => reg(a) && i.bx() < nk,
            OpCode::LoadKx => reg(a) && next_op == Some(OpCode::ExtraArg) && next.is_some_and(|x| x.ax_arg() < nk),
            OpCode::LoadBool => reg(a) && b <= 1 && (c == 0 || target(pc as i64 + 2)),
            OpCode::LoadNil => a + b < stack,
            OpCode::GetUpval => reg(a) && b < nups,
            OpCode::GetTabUp => reg(a) && b < nups && rk(c),
            OpCode::GetTable => reg(a) && reg(b) && rk(c),
            OpCode::SetTabUp => a < nups && rk(b) && rk(c),
            OpCode::SetUpval => reg(a) && b < nups,
            OpCode::SetTable => reg(a) && rk(b) && rk(c),
            OpCode::NewTable => reg(a),
            OpCode::SelfOp => a + 1 < stack && reg(b) && rk(c),
            OpCode::Add | OpCode::Sub | OpCode::Mul | OpCode::Div | OpCode::Mod | OpCode::Pow => reg(a) && rk(b) && rk(c),
            OpCode::Concat => reg(a) && b < c && reg(c),
            OpCode::Jmp => {
                let t = jump_to(pc, i);
                if target(t) {
                    targets[t as usize] = true;
                }
                a <= stack && target(t)
            }
            OpCode::Eq | OpCode::Lt | OpCode::Le => a <= 1 && rk(b) && rk(c),
            OpCode::Test => reg(a) && c <= 1,
            OpCode::TestSet => reg(a) && reg(b) && c <= 1,
            OpCode::Call | OpCode::TailCall => {
                reg(a)
                    && (b == 0 || a + b - 1 < stack)
                    && (c < 2 || a + c - 2 < stack)
                    && (op == OpCode::Call || (c == 0 && next_op == Some(OpCode::Return)))
            }
            OpCode::Return => (b == 1 || reg(a)) && (b < 2 || a + b - 2 < stack),
            OpCode::ForLoop => {
                let t = jump_to(pc, i);
                if target(t) {
                    targets[t as usize] = true;
                }
                a + 3 < stack && target(t)
            }
            OpCode::ForPrep => {
                let t = jump_to(pc, i);
                if target(t) {
                    targets[t as usize] = true;
                }
                a + 3 < stack && target(t) && code[t as usize].op() == Some(OpCode::ForLoop) && code[t as usize].a() == a
            }
            OpCode::TForCall => {
                c >= 1 && a + 5 < stack && a + 2 + c < stack && next_op == Some(OpCode::TForLoop) && next.is_some_and(|x| x.a() == a + 2)
            }
            OpCode::TForLoop => {
                let t = jump_to(pc, i);
                if target(t) {
                    targets[t as usize] = true;
                }
                a + 1 < stack && target(t)
            }
            OpCode::SetList => reg(a) && (b == 0 || a + b < stack) && (c != 0 || next_op == Some(OpCode::ExtraArg)),
            OpCode::Closure => {
                reg(a)
                    && (i.bx() as usize) < p.protos.len()
                    && p.protos[i.bx() as usize].upvalues.iter().all(|u| {
                        if u.in_stack {
                            (u.index as u32) < stack
                        } else {
                            (u.index as u32) < nups
                        }
                    })
            }
            OpCode::VarArg => reg(a) && (b < 2 || a + b - 2 < stack),
            OpCode::ExtraArg => {
                let prev = if pc > 0 { Some(code[pc - 1]) } else { None };
                matches!(prev.and_then(|x| x.op()), Some(OpCode::LoadKx))
                    || prev.is_some_and(|x| x.op() == Some(OpCode::SetList) && x.c() == 0)
            }
        };
        if !ok {
            return err(pc, &format!("bad operands for {}", op.name()));
        }
        if op.info().is_test && next_op != Some(OpCode::Jmp) {
            return err(pc, "test not followed by JMP");
        }
        if op.info().is_test || (op == OpCode::LoadBool && c != 0) {
            if !target(pc as i64 + 2) {
                return err(pc, "skip past the end");
            }
            targets[pc + 2] = true;
        }
        if uses_top(i) && (pc == 0 || !sets_top(code[pc - 1])) {
            return err(pc, "open operand count without a preceding open result");
        }
    }
    // Control must not enter an instruction that relies on the top set by its
    // predecessor other than from that predecessor.
    for pc in 0..n {
        if targets[pc] && uses_top(code[pc]) {
            return err(pc, "jump into an open call sequence");
        }
    }
    Ok(())
}
