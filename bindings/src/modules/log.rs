//! `log.info/error/warning/debug(msg)` (reference §5.9) to `tracing`, target
//! `vmq_diversity::lua`, with the script path as a field. The argument must
//! be a string (a number is coerced as Lua would); anything else is a Lua
//! error (VerneMQ: hard failure). No other levels exist.

use super::ModuleError;
use crate::pvalue::PValue;

/// The Lua functions of `log`.
pub const FUNCTIONS: [&str; 4] = ["info", "error", "warning", "debug"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn from_function(name: &str) -> Option<Level> {
        match name {
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Log one message.
pub fn log(level: Level, script: &str, msg: &[u8]) {
    let msg = String::from_utf8_lossy(msg);
    match level {
        Level::Debug => tracing::debug!(target: "vmq_diversity::lua", script, "{msg}"),
        Level::Info => tracing::info!(target: "vmq_diversity::lua", script, "{msg}"),
        Level::Warning => tracing::warn!(target: "vmq_diversity::lua", script, "{msg}"),
        Level::Error => tracing::error!(target: "vmq_diversity::lua", script, "{msg}"),
    }
}

/// `log.<function>(msg)` with Lua arguments; returns nothing.
pub fn call(function: &str, script: &str, args: &[PValue]) -> Result<(), ModuleError> {
    let level = Level::from_function(function).ok_or_else(|| ModuleError::new("log", format!("no function {function}")))?;
    let f = match level {
        Level::Debug => "log.debug",
        Level::Info => "log.info",
        Level::Warning => "log.warning",
        Level::Error => "log.error",
    };
    let msg = args.first().and_then(PValue::coerce_to_bytes).ok_or_else(|| ModuleError::new(f, "string expected"))?;
    log(level, script, &msg);
    Ok(())
}
