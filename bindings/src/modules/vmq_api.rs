//! `vmq_api` (reference §5.14) through a host trait.
//!
//! - `disconnect_by_subscriber_id({mountpoint=, client_id=}, opts)` →
//!   `"ok"` / `"not_found"`; a missing `mountpoint`/`client_id` is a Lua
//!   error (VerneMQ: throw).
//! - `reauthorize_subscriptions(username, {mountpoint=, client_id=}, opts)`
//!   → `"ok"`.
//!
//! A host that cannot act (the webhook sidecar) uses [`NoBroker`], which
//! answers `"not_found"` / `"ok"` as VerneMQ does when nothing matches.

use super::ModuleError;
use crate::pvalue::PValue;

/// The Lua functions of `vmq_api`.
pub const FUNCTIONS: [&str; 2] = ["disconnect_by_subscriber_id", "reauthorize_subscriptions"];

/// What a broker host does for `vmq_api` calls.
pub trait VmqApi: Send + Sync {
    /// `true` if a session was found (and disconnected).
    fn disconnect_by_subscriber_id(&self, mountpoint: &[u8], client_id: &[u8], do_cleanup: bool) -> bool;
    fn reauthorize_subscriptions(&self, username: Option<&[u8]>, mountpoint: &[u8], client_id: &[u8]);
}

/// A host without sessions.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBroker;

impl VmqApi for NoBroker {
    fn disconnect_by_subscriber_id(&self, _: &[u8], _: &[u8], _: bool) -> bool {
        false
    }
    fn reauthorize_subscriptions(&self, _: Option<&[u8]>, _: &[u8], _: &[u8]) {}
}

fn subscriber_id<'a>(f: &'static str, v: &'a PValue) -> Result<(&'a [u8], &'a [u8]), ModuleError> {
    let mp = v.get("mountpoint").and_then(PValue::as_bytes);
    let cid = v.get("client_id").and_then(PValue::as_bytes);
    match (mp, cid) {
        (Some(mp), Some(cid)) => Ok((mp, cid)),
        _ => Err(ModuleError::new(f, "subscriber id needs mountpoint and client_id strings")),
    }
}

/// Dispatch `vmq_api.<function>(args...)`.
pub fn call(api: &dyn VmqApi, function: &str, args: &[PValue]) -> Result<PValue, ModuleError> {
    let a = |i: usize| args.get(i).unwrap_or(&PValue::Nil);
    match function {
        "disconnect_by_subscriber_id" => {
            let (mp, cid) = subscriber_id("vmq_api.disconnect_by_subscriber_id", a(0))?;
            let cleanup = a(1).get("do_cleanup").and_then(PValue::as_bool).unwrap_or(false);
            Ok(PValue::str(if api.disconnect_by_subscriber_id(mp, cid, cleanup) { "ok" } else { "not_found" }))
        }
        "reauthorize_subscriptions" => {
            let (mp, cid) = subscriber_id("vmq_api.reauthorize_subscriptions", a(1))?;
            api.reauthorize_subscriptions(a(0).as_bytes(), mp, cid);
            Ok(PValue::str("ok"))
        }
        _ => Err(ModuleError::new("vmq_api", format!("no function {function}"))),
    }
}
