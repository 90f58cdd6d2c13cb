//! `luac -l`-style listing of compiled prototypes, for tests and debugging.
//!
//! Operand printing and comments are derived from the opcode table alone
//! ([`OPINFO`](crate::opcodes::OPINFO)): the format and argument kinds say which operands exist and
//! which are RK, and the semantics strings say which operand is an upvalue
//! (`UpValue[A]`), a constant (`Kst(Bx)`), a prototype (`KPROTO[Bx]`) or a
//! jump (`pc+=sBx`). Output is deterministic: no addresses, functions are
//! named by their position in the tree (`function #1.2`).

use crate::numfmt::fmt_g14;
use crate::opcodes::{index_k, is_k, Arg, Format, Instruction, OpInfo};
use crate::proto::{Constant, Proto};
use std::fmt::Write;

/// Listing of `p` (and, if `recursive`, of its nested functions): a header
/// per function, then one line per instruction.
pub fn disassemble(p: &Proto, recursive: bool) -> String {
    let mut out = String::new();
    list(p, recursive, false, "", &mut out);
    out
}

/// Like [`disassemble`] plus the constant, local and upvalue tables (`luac -l -l`).
pub fn disassemble_detailed(p: &Proto, recursive: bool) -> String {
    let mut out = String::new();
    list(p, recursive, true, "", &mut out);
    out
}

/// Operand roles that the table expresses only in its semantics strings.
struct Roles {
    upval_a: bool,
    upval_b: bool,
    const_bx: bool,
    proto_bx: bool,
    jump: bool,
    const_ax: bool,
}

fn roles(info: &OpInfo) -> Roles {
    let s = info.semantics;
    Roles {
        upval_a: s.contains("UpValue[A]"),
        upval_b: s.contains("UpValue[B]"),
        const_bx: s.contains("Kst(Bx)"),
        proto_bx: s.contains("KPROTO[Bx]"),
        jump: s.contains("pc+=sBx") || s.contains("pc += sBx"),
        const_ax: s.contains("extra arg") && info.format == Format::ABx,
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn source_name(p: &Proto) -> String {
    match p.source.first() {
        Some(b'@') | Some(b'=') => String::from_utf8_lossy(&p.source[1..]).into_owned(),
        Some(0x1b) => "(bstring)".into(),
        _ => "(string)".into(),
    }
}

fn list(p: &Proto, recursive: bool, detailed: bool, id: &str, out: &mut String) {
    let kind = if p.line_defined == 0 { "main".to_owned() } else { format!("function #{id}") };
    let _ =
        writeln!(out, "{kind} <{}:{},{}> ({})", source_name(p), p.line_defined, p.last_line_defined, plural(p.code.len(), "instruction"));
    let _ = writeln!(
        out,
        "{}{} param{}, {}, {}, {}, {}, {}",
        p.num_params,
        if p.is_vararg { "+" } else { "" },
        if p.num_params == 1 { "" } else { "s" },
        plural(p.max_stack_size as usize, "slot"),
        plural(p.upvalues.len(), "upvalue"),
        plural(p.loc_vars.len(), "local"),
        plural(p.constants.len(), "constant"),
        plural(p.protos.len(), "function")
    );
    for pc in 0..p.code.len() {
        out.push_str(&line_in(p, pc, id));
        out.push('\n');
    }
    if detailed {
        let _ = writeln!(out, "constants ({}):", p.constants.len());
        for (i, k) in p.constants.iter().enumerate() {
            let _ = writeln!(out, "\t{}\t{}", i + 1, constant(k));
        }
        let _ = writeln!(out, "locals ({}):", p.loc_vars.len());
        for (i, l) in p.loc_vars.iter().enumerate() {
            let _ = writeln!(out, "\t{}\t{}\t{}\t{}", i, l.name, l.start_pc + 1, l.end_pc + 1);
        }
        let _ = writeln!(out, "upvalues ({}):", p.upvalues.len());
        for (i, u) in p.upvalues.iter().enumerate() {
            let _ = writeln!(out, "\t{}\t{}\t{}\t{}", i, u.name.as_deref().unwrap_or("-"), u.in_stack as u8, u.index);
        }
    }
    if recursive {
        for (i, child) in p.protos.iter().enumerate() {
            let cid = if id.is_empty() { format!("{}", i + 1) } else { format!("{id}.{}", i + 1) };
            list(child, recursive, detailed, &cid, out);
        }
    }
}

/// A constant as luac prints it: strings quoted and escaped, numbers `%.14g`.
pub fn constant(k: &Constant) -> String {
    match k {
        Constant::Nil => "nil".into(),
        Constant::Bool(b) => b.to_string(),
        Constant::Number(n) => {
            let mut v = Vec::new();
            fmt_g14(*n, &mut v);
            String::from_utf8_lossy(&v).into_owned()
        }
        Constant::String(s) => {
            let mut o = String::from("\"");
            for &c in s.iter() {
                match c {
                    b'"' => o.push_str("\\\""),
                    b'\\' => o.push_str("\\\\"),
                    7 => o.push_str("\\a"),
                    8 => o.push_str("\\b"),
                    12 => o.push_str("\\f"),
                    b'\n' => o.push_str("\\n"),
                    b'\r' => o.push_str("\\r"),
                    b'\t' => o.push_str("\\t"),
                    11 => o.push_str("\\v"),
                    0x20..=0x7e => o.push(c as char),
                    _ => {
                        let _ = write!(o, "\\{c:03}");
                    }
                }
            }
            o.push('"');
            o
        }
    }
}

fn kst(p: &Proto, i: u32) -> String {
    p.constants.get(i as usize).map_or_else(|| format!("<bad constant {i}>"), constant)
}

fn upval(p: &Proto, i: u32) -> String {
    match p.upvalues.get(i as usize) {
        Some(u) => u.name.as_deref().unwrap_or("-").to_owned(),
        None => format!("<bad upvalue {i}>"),
    }
}

/// One listing line: `\t<n>\t[<line>]\t<OPNAME>\t<operands>[\t; comment]`.
pub fn instruction_line(p: &Proto, pc: usize) -> String {
    line_in(p, pc, "")
}

/// [`instruction_line`] for a function whose tree position is `id`
/// (empty for the main function), used to name CLOSURE's prototype.
fn line_in(p: &Proto, pc: usize, id: &str) -> String {
    let i: Instruction = p.code[pc];
    let line = p.line_info.get(pc).map_or("-".to_owned(), |l| l.to_string());
    let Some(op) = i.op() else {
        return format!("\t{}\t[{}]\t<bad opcode {}>", pc + 1, line, i.raw_op());
    };
    let info = op.info();
    let r = roles(info);
    let rk = |x: u32| {
        if is_k(x) {
            -1 - index_k(x) as i64
        } else {
            x as i64
        }
    };
    let mut operands = String::new();
    let mut comment: Vec<String> = Vec::new();
    match info.format {
        Format::ABC => {
            let _ = write!(operands, "{}", i.a());
            if r.upval_a {
                comment.push(upval(p, i.a()));
            }
            if info.b != Arg::N {
                let v = if info.b == Arg::K { rk(i.b()) } else { i.b() as i64 };
                let _ = write!(operands, " {v}");
            }
            if info.c != Arg::N {
                let v = if info.c == Arg::K { rk(i.c()) } else { i.c() as i64 };
                let _ = write!(operands, " {v}");
            }
            if r.upval_b {
                comment.push(upval(p, i.b()));
            }
            // RK operands: print constants, and `-` for a register when the
            // other RK operand is a constant.
            let rks: Vec<u32> = [(info.b, i.b()), (info.c, i.c())].iter().filter(|(kind, _)| *kind == Arg::K).map(|&(_, v)| v).collect();
            if rks.iter().any(|&v| is_k(v)) {
                for v in rks {
                    comment.push(if is_k(v) { kst(p, index_k(v)) } else { "-".into() });
                }
            }
        }
        Format::ABx => {
            let _ = write!(operands, "{}", i.a());
            match info.b {
                Arg::K => {
                    let _ = write!(operands, " {}", -1 - i.bx() as i64);
                }
                Arg::U => {
                    let _ = write!(operands, " {}", i.bx());
                }
                _ => {}
            }
            if r.const_bx {
                comment.push(kst(p, i.bx()));
            }
            if r.proto_bx {
                let sep = if id.is_empty() { "" } else { "." };
                comment.push(format!("function #{id}{sep}{}", i.bx() + 1));
            }
            if r.const_ax {
                if let Some(next) = p.code.get(pc + 1) {
                    comment.push(kst(p, next.ax_arg()));
                }
            }
        }
        Format::AsBx => {
            let _ = write!(operands, "{} {}", i.a(), i.sbx());
            if r.jump {
                comment.push(format!("to {}", pc as i64 + 2 + i.sbx() as i64));
            }
        }
        Format::Ax => {
            let _ = write!(operands, "{}", i.ax_arg());
        }
    }
    let mut s = format!("\t{}\t[{}]\t{:<9}\t{}", pc + 1, line, info.name, operands);
    if !comment.is_empty() {
        s.push_str("\t; ");
        s.push_str(&comment.join(" "));
    }
    s
}
