//! `engine [auth_on_publish]`: the bundled example plugin answering a
//! publish through oxilua-vmq's `Engine::call_hook` (the ACL cache lookup,
//! the argument table, the call, the modifiers checked and converted).
//!
//! `cargo bench -p oxilua-benches --bench engine`; see `benches/README.md`.

mod common;

use criterion::black_box;
use oxilua_benches::criterion_summary::{self, criterion_dir, workspace};
use oxilua_vmq::engine::{Engine, EngineOptions};
use oxilua_vmq::hooks::{Hook, HookArgs, HookResult, WebhookOptions};
use std::time::{Duration, SystemTime};

fn main() {
    let since = SystemTime::now() - Duration::from_secs(1);
    let mut c = common::criterion();
    let engine = Engine::load(&[workspace().join("bindings/examples/plugin.lua")], EngineOptions::default());
    assert!(engine.load_errors().is_empty(), "plugin.lua: {:?}", engine.load_errors());
    // a device publishing under sensors/: the plugin rewrites the topic
    let body = serde_json::json!({
        "mountpoint": "", "client_id": "sensor-17", "username": "device",
        "topic": "sensors/temperature", "payload": "MjEuNQ==", "qos": 1, "retain": false,
    });
    let args = HookArgs::from_webhook(Hook::AuthOnPublish, &body, WebhookOptions::default()).expect("args");
    let r = engine.call_hook(Hook::AuthOnPublish, &args);
    assert!(matches!(r, HookResult::OkModifiers(_)), "unexpected result {r:?}");
    c.bench_function("engine [auth_on_publish]", |b| b.iter(|| black_box(engine.call_hook(Hook::AuthOnPublish, black_box(&args)))));
    c.final_summary();
    let rows = criterion_summary::results(&criterion_dir(), since);
    if !rows.is_empty() {
        println!("\n{}", criterion_summary::render(&rows, &[]));
    }
}
