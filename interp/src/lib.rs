//! oxilua: a Lua 5.2 engine in pure Rust.
