//! (being written)
use crate::{ast, proto::SyntaxError};

/// Parse a chunk into an AST. Stub until the parser lands.
pub fn parse(_source: &[u8], _chunkname: &[u8], _names: &mut lasso::Rodeo) -> Result<ast::Chunk, SyntaxError> {
    Err(SyntaxError { message: "parser not implemented".into(), incomplete_input: false })
}
