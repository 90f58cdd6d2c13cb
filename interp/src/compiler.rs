//! (being written)
use crate::{ast, proto::{Proto, SyntaxError}};

/// Compile a parsed chunk. Stub until the compiler lands.
pub fn compile_chunk(_chunk: &ast::Chunk, _names: &lasso::Rodeo, _chunkname: &[u8]) -> Result<Proto, SyntaxError> {
    Err(SyntaxError { message: "compiler not implemented".into(), incomplete_input: false })
}
