//! oxilua-vmq: VerneMQ `vmq_diversity` plugins on oxilua.

pub mod config;
pub mod engine;
pub mod hooks;
pub mod lua_providers;
pub mod luaconv;
pub mod modules;
pub mod providers;
pub mod pvalue;
pub mod serve;
pub mod topic;
