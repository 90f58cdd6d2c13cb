//! Shared helpers for the provider tests.
//!
//! The servers come from `.ci/services.sh`. Connection parameters are read
//! from `OXILUA_TEST_<NAME>` (a space-separated `key=value` list), or, when
//! the variable is unset, from `<repo>/target/services.env`, which
//! `.ci/services.sh` writes. A server that is not configured or does not
//! answer fails the test with a message saying to run `.ci/services.sh`;
//! nothing is skipped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use oxilua_vmq::providers::{PResult, ProviderError};
use oxilua_vmq::pvalue::PValue;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_file_value(var: &str) -> Option<String> {
    let path = repo_root().join("target/services.env");
    let text = std::fs::read_to_string(path).ok()?;
    for line in text.lines() {
        let line = line.trim().trim_start_matches("export ").trim();
        if let Some(rest) = line.strip_prefix(&format!("{var}=")) {
            return Some(rest.trim_matches('\'').trim_matches('"').to_string());
        }
    }
    None
}

/// A variable of the env scheme: environment first, then target/services.env.
pub fn var(var: &str) -> String {
    std::env::var(var).ok().or_else(|| env_file_value(var)).unwrap_or_else(|| {
        panic!(
            "{var} is not set and target/services.env has no {var}: \
             run `.ci/services.sh` (as root) to install and start the test servers"
        )
    })
}

/// `OXILUA_TEST_<NAME>` parsed into its key=value pairs, after checking
/// that the server accepts TCP connections.
pub fn service(name: &str) -> HashMap<String, String> {
    let var_name = format!("OXILUA_TEST_{name}");
    let value = var(&var_name);
    let map: HashMap<String, String> =
        value.split_whitespace().filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect();
    let host = map.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into());
    let port = map.get("port").cloned().unwrap_or_default();
    let addr = format!("{host}:{port}");
    let ok = addr.parse().ok().and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok()).is_some();
    assert!(
        ok,
        "the {name} test server ({var_name}: {addr}) does not accept connections: \
         run `.ci/services.sh` (as root) to start it, `.ci/services.sh --check` to see what is down"
    );
    map
}

/// Build an `ensure_pool` config table from the service parameters:
/// `keys` maps provider key -> service key.
pub fn pool_config(id: &str, svc: &HashMap<String, String>, keys: &[(&str, &str)]) -> PValue {
    let mut pairs = vec![(PValue::str("pool_id"), PValue::str(id))];
    for (pkey, skey) in keys {
        let v = &svc[*skey];
        let pv = if *pkey == "port" || *pkey == "database" && v.parse::<f64>().is_ok() {
            PValue::Num(v.parse().unwrap())
        } else {
            PValue::str(v)
        };
        pairs.push((PValue::str(pkey), pv));
    }
    PValue::Map(pairs)
}

/// Run `.ci/services.sh ARGS...` (stop/start a server for outage tests).
pub fn services_sh(args: &[&str]) {
    let script = std::env::var("OXILUA_SERVICES_SH")
        .ok()
        .or_else(|| env_file_value("OXILUA_SERVICES_SH"))
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".ci/services.sh"));
    let out = Command::new("bash").arg(&script).args(args).output().expect("run .ci/services.sh");
    assert!(
        out.status.success(),
        ".ci/services.sh {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn s(v: &str) -> PValue {
    PValue::str(v)
}
pub fn n(v: f64) -> PValue {
    PValue::Num(v)
}
pub fn map(pairs: &[(&str, PValue)]) -> PValue {
    PValue::Map(pairs.iter().map(|(k, v)| (PValue::str(k), v.clone())).collect())
}

/// Unwrap a provider result, printing the error message on failure.
pub fn ok(r: PResult) -> PValue {
    match r {
        Ok(v) => v,
        Err(e) => panic!("provider call failed: {e}"),
    }
}

pub fn err(r: PResult) -> ProviderError {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// `v[i]` of an Array (0-based).
pub fn idx(v: &PValue, i: usize) -> &PValue {
    match v {
        PValue::Array(items) => &items[i],
        other => panic!("expected an array, got {other:?}"),
    }
}

pub fn len(v: &PValue) -> usize {
    match v {
        PValue::Array(items) => items.len(),
        PValue::Map(p) => p.len(),
        other => panic!("expected a table, got {other:?}"),
    }
}

pub fn field<'a>(v: &'a PValue, key: &str) -> &'a PValue {
    v.get(key).unwrap_or_else(|| panic!("no field {key} in {v:?}"))
}
