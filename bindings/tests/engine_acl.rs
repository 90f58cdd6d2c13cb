//! The ACL cache in front of the scripts (reference §4), through the engine.

mod engine_common;

use engine_common::*;
use serde_json::json;

const SRC: &str = r#"
kv.ensure_table({ name = "acl_hook_calls" })
local function count(name)
  local n = (kv.lookup("acl_hook_calls", name)[1] or 0) + 1
  kv.insert("acl_hook_calls", { [name] = n })
end
hooks = {
  auth_on_register = function(r)
    auth_cache.insert(r.mountpoint, r.client_id, r.username,
      { { pattern = "data/%c/+", max_qos = 1 },
        { pattern = "rewrite/me", modifiers = { topic = "rewritten/topic" } } },
      { { pattern = "cmd/%u/#" } })
    return true
  end,
  auth_on_publish = function(p) count("publish_" .. p.client_id) return true end,
  auth_on_subscribe = function(s) count("subscribe_" .. s.client_id) return true end,
  on_client_gone = function(c) count("gone_" .. c.client_id) end,
}
"#;

fn hook_calls(e: &oxilua_vmq::engine::Engine, key: &str) -> serde_json::Value {
    // read the kv table through a second script sharing the process-wide kv
    let _ = e;
    let probe = engine(
        "acl-probe",
        &[(
            "p.lua",
            r#"hooks = { auth_on_register = function(r)
            return { max_inflight_messages = kv.lookup("acl_hook_calls", r.username)[1] or 0 } end }"#,
        )],
    );
    call(&probe, "auth_on_register", register("probe", key, ""))["modifiers"]["max_inflight_messages"].clone()
}

#[test]
fn acl_cache_decides_later_publishes_and_subscribes() {
    let e = engine("acl", &[("a.lua", SRC)]);
    // before the client registered: the script decides
    assert_eq!(call(&e, "auth_on_publish", publish("acl-c1", "ann", "x/y", 0, "")), json!({"result": "ok"}));
    assert_eq!(hook_calls(&e, "publish_acl-c1"), json!(1));

    assert_eq!(call(&e, "auth_on_register", register("acl-c1", "ann", "")), json!({"result": "ok"}));
    // now the cache decides; the script is not called
    assert_eq!(call(&e, "auth_on_publish", publish("acl-c1", "ann", "data/acl-c1/t", 1, "")), json!({"result": "ok"}));
    assert_eq!(
        call(&e, "auth_on_publish", publish("acl-c1", "ann", "data/acl-c1/t", 2, "")),
        json!({"result": {"error": "not_authorized"}})
    );
    assert_eq!(call(&e, "auth_on_publish", publish("acl-c1", "ann", "x/y", 0, "")), json!({"result": {"error": "not_authorized"}}));
    assert_eq!(
        call(&e, "auth_on_publish", publish("acl-c1", "ann", "rewrite/me", 0, "")),
        json!({"result": "ok", "modifiers": {"topic": "rewritten/topic"}})
    );
    assert_eq!(call(&e, "auth_on_subscribe", subscribe("acl-c1", "ann", &[("cmd/ann/a", 1)])), json!({"result": "ok"}));
    assert_eq!(
        call(&e, "auth_on_subscribe", subscribe("acl-c1", "ann", &[("cmd/bob", 1)])),
        json!({"result": {"error": "not_authorized"}})
    );
    assert_eq!(hook_calls(&e, "publish_acl-c1"), json!(1));
    assert_eq!(hook_calls(&e, "subscribe_acl-c1"), json!(0));

    // gone: the row is deleted (and the script's hook still runs)
    assert_eq!(call(&e, "on_client_gone", json!({"mountpoint": "", "client_id": "acl-c1"})), json!({}));
    assert_eq!(hook_calls(&e, "gone_acl-c1"), json!(1));
    assert_eq!(call(&e, "auth_on_publish", publish("acl-c1", "ann", "x/y", 0, "")), json!({"result": "ok"}));
    assert_eq!(hook_calls(&e, "publish_acl-c1"), json!(2));
}
