//! Compiled function prototypes: the compiler's output, independent of any
//! running state. The VM turns a `Proto` into a runtime prototype whose
//! constants are heap values when a chunk is loaded; `string.dump` and the
//! binary-chunk loader serialise this structure.

use crate::opcodes::Instruction;
use std::rc::Rc;

/// A constant in a function's constant table.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Nil,
    Bool(bool),
    Number(f64),
    String(Box<[u8]>),
}

/// How a closure captures upvalue `i`: from the enclosing function's
/// register `index` (`in_stack`) or from the enclosing function's upvalue `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpvalDesc {
    pub name: Option<Box<str>>,
    pub in_stack: bool,
    pub index: u8,
}

/// A local variable's name and the pc range `[start_pc, end_pc)` where it is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocVar {
    pub name: Box<str>,
    pub start_pc: u32,
    pub end_pc: u32,
}

/// A compiled function.
#[derive(Debug, Clone, Default)]
pub struct Proto {
    pub code: Vec<Instruction>,
    pub constants: Vec<Constant>,
    pub protos: Vec<Rc<Proto>>,
    pub upvalues: Vec<UpvalDesc>,
    /// Source line of each instruction (same length as `code`).
    pub line_info: Vec<u32>,
    pub loc_vars: Vec<LocVar>,
    /// Chunk name as given to `load` (e.g. `@file.lua`, `=stdin`, or the source text).
    pub source: Rc<[u8]>,
    /// 0 for the main chunk.
    pub line_defined: u32,
    pub last_line_defined: u32,
    pub num_params: u8,
    pub is_vararg: bool,
    pub max_stack_size: u8,
}

/// A compile-time error, already formatted the way `lua5.2` words it
/// (`[string "x ="]:1: unexpected symbol near <eof>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// True when the error is only due to the input ending early, so a REPL
    /// should read another line (PUC's `<eof>` check).
    pub incomplete_input: bool,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Maximum length of a chunk id in messages (PUC's `LUA_IDSIZE`, including the terminator).
pub const ID_SIZE: usize = 60;

/// Display form of a chunk name for messages, as PUC's `luaO_chunkid`:
/// `=name` shows `name`, `@file` shows the file name (keeping its end when too
/// long), anything else is source text shown as `[string "first line..."]`.
pub fn chunk_id(source: &[u8]) -> Vec<u8> {
    let avail = ID_SIZE - 1;
    match source.first() {
        Some(b'=') => {
            let s = &source[1..];
            s[..s.len().min(avail)].to_vec()
        }
        Some(b'@') => {
            let s = &source[1..];
            if s.len() <= avail {
                s.to_vec()
            } else {
                let mut out = b"...".to_vec();
                out.extend_from_slice(&s[s.len() - (avail - 3)..]);
                out
            }
        }
        _ => {
            const PRE: &[u8] = b"[string \"";
            const POS: &[u8] = b"\"]";
            const DOTS: &[u8] = b"...";
            let budget = avail - PRE.len() - DOTS.len() - POS.len();
            let nl = source.iter().position(|&c| c == b'\n');
            let mut out = PRE.to_vec();
            if source.len() < budget && nl.is_none() {
                out.extend_from_slice(source);
            } else {
                let mut l = nl.unwrap_or(source.len());
                if l > budget {
                    l = budget;
                }
                out.extend_from_slice(&source[..l]);
                out.extend_from_slice(DOTS);
            }
            out.extend_from_slice(POS);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chunk_id;

    #[test]
    fn chunk_ids_match_reference() {
        assert_eq!(chunk_id(b"=stdin"), b"stdin");
        assert_eq!(chunk_id(b"@x.lua"), b"x.lua");
        assert_eq!(chunk_id(b"x ="), b"[string \"x =\"]");
        assert_eq!(chunk_id(b"a\nb"), b"[string \"a...\"]");
        let long = vec![b'y'; 100];
        let id = chunk_id(&long);
        assert_eq!(id.len(), 59);
        assert!(id.ends_with(b"...\"]"));
    }
}
