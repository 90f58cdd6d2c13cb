//! Helpers for the engine tests: scripts in a fresh temporary directory,
//! webhook calls as JSON.
#![allow(dead_code)]

pub mod http_server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxilua_vmq::config::Limits;
use oxilua_vmq::engine::{Engine, EngineOptions};
use oxilua_vmq::hooks::WebhookOptions;
use serde_json::Value;

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!("oxilua-vmq-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Write `(file name, source)` scripts into a fresh directory; their paths in order.
pub fn scripts(tag: &str, files: &[(&str, &str)]) -> Vec<PathBuf> {
    let d = temp_dir(tag);
    files
        .iter()
        .map(|(name, src)| {
            let p = d.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&p, src).unwrap();
            p
        })
        .collect()
}

/// Small limits so that runaway tests finish fast.
pub fn quick_opts() -> EngineOptions {
    EngineOptions { limits: Limits { deadline: Duration::from_millis(500), fuel: 5_000_000, memory: 16 << 20 }, ..EngineOptions::default() }
}

/// Load scripts that must all load.
pub fn engine(tag: &str, files: &[(&str, &str)]) -> Engine {
    engine_with(tag, files, quick_opts())
}

pub fn engine_with(tag: &str, files: &[(&str, &str)], opts: EngineOptions) -> Engine {
    let e = Engine::load(&scripts(tag, files), opts);
    assert!(e.load_errors().is_empty(), "load errors: {:?}", e.load_errors());
    e
}

/// Webhook request in, response out.
pub fn call(e: &Engine, hook: &str, body: Value) -> Value {
    e.call_webhook(hook, &body, WebhookOptions::default()).unwrap_or_else(|m| panic!("{hook}: {m}"))
}

pub fn register(client_id: &str, user: &str, password: &str) -> Value {
    serde_json::json!({
        "peer_addr": "127.0.0.1", "peer_port": 1234, "mountpoint": "",
        "client_id": client_id, "username": user, "password": password,
        "clean_session": true
    })
}

pub fn publish(client_id: &str, user: &str, topic: &str, qos: u8, payload_b64: &str) -> Value {
    serde_json::json!({
        "mountpoint": "", "client_id": client_id, "username": user,
        "qos": qos, "topic": topic, "payload": payload_b64, "retain": false
    })
}

pub fn subscribe(client_id: &str, user: &str, topics: &[(&str, u8)]) -> Value {
    let t: Vec<Value> = topics.iter().map(|(t, q)| serde_json::json!({"topic": t, "qos": q})).collect();
    serde_json::json!({"mountpoint": "", "client_id": client_id, "username": user, "topics": t})
}
