//! Support code for the oxilua benchmark suite.
//!
//! The Lua programs live in `benches/lua/`, their expected output (produced
//! by `lua5.2` at the default size) in `benches/expected/`. The `compare`
//! binary runs every program under several interpreters and prints a table
//! of median times and ratios to `lua5.2`. The modules here hold the logic
//! of that tool, split so that the pure parts can be unit tested.

pub mod cli;
pub mod criterion_summary;
pub mod diff;
pub mod hostcall;
pub mod interpreters;
pub mod programs;
pub mod report;
pub mod runner;
pub mod stats;
