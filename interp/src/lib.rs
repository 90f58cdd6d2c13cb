//! oxilua: a Lua 5.2 engine in pure Rust.
//!
//! Pipeline: source → [`lexer`] → [`parser`] → [`ast`] → [`compiler`] →
//! [`proto::Proto`] (register bytecode, see [`opcodes`]) → the VM.

pub mod api;
pub mod ast;
pub mod aux;
pub mod clock;
pub mod compiler;
pub mod disasm;
pub mod dump;
pub mod exec;
mod fast;
pub mod gc;
pub mod isolate;
pub mod ldebug;
pub mod lexer;
pub mod lpattern;
pub mod meta;
pub mod numfmt;
pub mod object;
pub mod opcodes;
pub mod parser;
pub mod proto;
pub mod stdlib;
pub mod table;
pub mod value;
pub mod vm;

/// Run a future to completion on this thread (for examples without a runtime).
pub use api::block_on as api_block_on;
pub use api::prelude;
pub use api::*;

/// Parse and compile a chunk. `chunkname` is the name given to `load`
/// (`@file`, `=name`, or the source itself), used in error messages.
pub fn compile(source: &[u8], chunkname: &[u8]) -> std::result::Result<proto::Proto, proto::SyntaxError> {
    let mut names = lasso::Rodeo::default();
    let chunk = parser::parse(source, chunkname, &mut names)?;
    compiler::compile_chunk(&chunk, &names, chunkname)
}
