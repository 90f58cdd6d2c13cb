//! The shapes measured by `benches/hooks.rs` compute what they should (a
//! bench that silently measured an error path would be worthless), and the
//! phase scripts parse, compile and run.

use oxilua::prelude::*;
use oxilua_benches::hostcall::{self, Hooks, Publish, SAMPLE};
use std::path::Path;

#[test]
fn publish_accept_reads_the_host_built_table() {
    let h = Hooks::new().unwrap();
    assert!(h.publish_accept(&SAMPLE).unwrap());
    let other = Publish { username: "alice", ..SAMPLE };
    assert!(!h.publish_accept(&other).unwrap());
    let retained = Publish { retain: true, ..SAMPLE };
    assert!(!h.publish_accept(&retained).unwrap());
    let qos2 = Publish { qos: 2, ..SAMPLE };
    assert!(!h.publish_accept(&qos2).unwrap());
}

#[test]
fn publish_table_has_the_seven_fields() {
    let h = Hooks::new().unwrap();
    let t = hostcall::publish_table(&h.lua, &SAMPLE).unwrap();
    assert_eq!(t.pairs::<String, LuaValue>().count(), 7);
    assert_eq!(t.get::<String>("client_id").unwrap(), "sensor-17");
    assert_eq!(t.get::<LuaString>("payload").unwrap().as_bytes(), b"21.5");
    assert_eq!(t.get::<u8>("qos").unwrap(), 1);
    assert!(!t.get::<bool>("retain").unwrap());
    assert_eq!(t.get::<String>("mountpoint").unwrap(), "");
}

#[test]
fn publish_modifiers_come_back() {
    let h = Hooks::new().unwrap();
    assert_eq!(h.publish_modifiers(&SAMPLE).unwrap(), "devices/sensor-17/sensors/temperature");
}

#[test]
fn bare_call_and_new_state() {
    let h = Hooks::new().unwrap();
    h.bare().unwrap();
    let (lua, kib) = hostcall::new_state_kib().unwrap();
    assert!(kib > 1.0 && kib < 10_000.0, "collectgarbage('count') = {kib}");
    assert_eq!(lua.load("return string.rep('a', 3)").eval::<String>().unwrap(), "aaa");
}

#[test]
fn phase_scripts_run() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let scripts = hostcall::phase_scripts(ws).unwrap();
    assert_eq!(scripts.len(), 3);
    for (name, src, setup) in scripts {
        let chunkname = format!("@{name}").into_bytes();
        let mut names = lasso::Rodeo::default();
        let ast = oxilua::parser::parse(&src, &chunkname, &mut names).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        oxilua::compiler::compile_chunk(&ast, &names, &chunkname).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let lua = Lua::new();
        lua.load(setup).exec().unwrap();
        let f = lua.load(&src[..]).set_name(name).into_function().unwrap();
        f.call::<()>(()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // running it again works too (the bench executes it repeatedly)
        f.call::<()>(()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn engine_answers_the_bench_publish() {
    use oxilua_vmq::engine::{Engine, EngineOptions};
    use oxilua_vmq::hooks::{Hook, HookArgs, HookResult, WebhookOptions};
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let engine = Engine::load(&[ws.join("bindings/examples/plugin.lua")], EngineOptions::default());
    assert!(engine.load_errors().is_empty(), "{:?}", engine.load_errors());
    let body = serde_json::json!({
        "mountpoint": "", "client_id": "sensor-17", "username": "device",
        "topic": "sensors/temperature", "payload": "MjEuNQ==", "qos": 1, "retain": false,
    });
    let args = HookArgs::from_webhook(Hook::AuthOnPublish, &body, WebhookOptions::default()).unwrap();
    let r = engine.call_hook(Hook::AuthOnPublish, &args);
    assert!(matches!(r, HookResult::OkModifiers(_)), "{r:?}");
}
