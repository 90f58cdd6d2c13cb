//! The provider-free Lua modules of `vmq_diversity` (reference §4, §5.8-5.14),
//! engine-neutral: every function takes and returns [`crate::pvalue::PValue`]
//! or plain Rust values, so installing them as Lua globals is mechanical.
//!
//! | Lua global   | Rust                                   |
//! |--------------|----------------------------------------|
//! | `json`       | [`json::decode`], [`json::encode`]     |
//! | `kv`         | [`kv::KvStore`] (process-wide: `KvStore::global()`) |
//! | `auth_cache` | [`auth_cache::AuthCache`] (`AuthCache::global()`) |
//! | `crypto`     | [`crypto::hash`]                       |
//! | `bcrypt`     | [`bcrypt::Bcrypt`]                     |
//! | `obf`        | [`obf::Obfuscator`]                    |
//! | `log`        | [`log::log`]                           |
//! | `vmq_api`    | [`vmq_api::VmqApi`] (host trait)       |
//!
//! Errors: every `Err(ModuleError)` is to be raised as a Lua error
//! (catchable by `pcall`); its `Display` is `module.function: cause`.

use std::fmt;

pub mod auth_cache;
pub mod bcrypt;
pub mod crypto;
pub mod json;
pub mod kv;
pub mod log;
pub mod obf;
pub mod vmq_api;

/// A module function failure, raised as a Lua error by the binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleError {
    /// `module.function`, e.g. `kv.insert`.
    pub function: &'static str,
    /// VerneMQ's reason atom where it has one (`execute_parse`,
    /// `unknown_pool`, `hash`), else a description.
    pub cause: String,
}

impl ModuleError {
    pub fn new(function: &'static str, cause: impl Into<String>) -> Self {
        ModuleError { function, cause: cause.into() }
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.function, self.cause)
    }
}

impl std::error::Error for ModuleError {}
