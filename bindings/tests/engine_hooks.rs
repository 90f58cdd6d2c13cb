//! The hook engine on real scripts: accept/deny, the chain across scripts,
//! modifiers, script errors, 2+ return values, limits.

mod engine_common;

use std::time::{Duration, Instant};

use engine_common::*;
use oxilua_vmq::engine::{Engine, EngineOptions};
use oxilua_vmq::hooks::{Hook, HookArgs, HookError, HookResult, WebhookOptions};
use serde_json::json;

const ACCEPT_ALICE: &str = r#"
hooks = {
  auth_on_register = function(r)
    if r.username == "alice" and r.password == "pw" then return true end
    if r.username == "alice" then return false end
    return nil
  end,
}
"#;

#[test]
fn accept_and_deny() {
    let e = engine("accept", &[("a.lua", ACCEPT_ALICE)]);
    assert_eq!(call(&e, "auth_on_register", register("c1", "alice", "pw")), json!({"result": "ok"}));
    assert_eq!(call(&e, "auth_on_register", register("c1", "alice", "bad")), json!({"result": {"error": "invalid_credentials"}}));
    assert_eq!(call(&e, "auth_on_register", register("c1", "bob", "pw")), json!({"result": "next"}));
    // a hook nobody declares: next; a notification hook: {}
    assert_eq!(call(&e, "auth_on_publish", publish("c1", "alice", "a/b", 0, "")), json!({"result": "next"}));
    assert_eq!(call(&e, "on_client_wakeup", json!({"mountpoint": "", "client_id": "c1"})), json!({}));
}

#[test]
fn typed_api() {
    let e = engine("typed", &[("a.lua", ACCEPT_ALICE)]);
    let args = HookArgs::from_webhook(Hook::AuthOnRegister, &register("c1", "alice", "bad"), WebhookOptions::default()).unwrap();
    assert_eq!(e.call_hook(Hook::AuthOnRegister, &args), HookResult::Error(HookError::InvalidCredentials));
    let info = e.scripts();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].hooks, vec![Hook::AuthOnRegister]);
    assert_eq!(info[0].num_states, 1);
}

#[test]
fn chain_runs_in_load_order_and_stops_at_a_decision() {
    // first script passes on everyone but "first", second decides
    let first = r#"
calls = 0
hooks = { auth_on_register = function(r)
  kv.insert("chain_order", { ["first_" .. r.client_id] = true })
  if r.username == "first" then return true end
end }
kv.ensure_table({ name = "chain_order" })
"#;
    let second = r#"
hooks = { auth_on_register = function(r)
  kv.insert("chain_order", { ["second_" .. r.client_id] = true })
  if r.username == "second" then return { max_inflight_messages = 5 } end
  return false
end }
"#;
    let e = engine("chain", &[("1_first.lua", first), ("2_second.lua", second)]);
    assert_eq!(call(&e, "auth_on_register", register("x1", "first", "")), json!({"result": "ok"}));
    assert_eq!(
        call(&e, "auth_on_register", register("x2", "second", "")),
        json!({"result": "ok", "modifiers": {"max_inflight_messages": 5}})
    );
    assert_eq!(call(&e, "auth_on_register", register("x3", "nobody", "")), json!({"result": {"error": "invalid_credentials"}}));
    // the second script did not run when the first decided
    let probe = engine(
        "chain-probe",
        &[(
            "p.lua",
            r#"hooks = { auth_on_register = function(r)
                 return kv.lookup("chain_order", r.username)[1] == true end }"#,
        )],
    );
    let seen = |k: &str| call(&probe, "auth_on_register", register("p", k, "")) == json!({"result": "ok"});
    assert!(seen("first_x1") && !seen("second_x1"));
    assert!(seen("first_x2") && seen("second_x2"));
    assert!(seen("first_x3") && seen("second_x3"));
}

#[test]
fn modifiers_are_converted_and_validated() {
    let src = r#"
hooks = {
  auth_on_publish = function(p)
    if p.topic == "rewrite" then return { topic = "new/topic", qos = 1, payload = "changed" } end
    if p.topic == "bad" then return { topic = "wild/#" } end
    if p.topic == "unknown" then return { frobnicate = 1 } end
    if p.topic == "fn" then return { topic = print } end
    return true
  end,
  auth_on_subscribe = function(s)
    return { { s.topics[1][1], 1 }, { "denied/topic", 128 } }
  end,
  on_unsubscribe = function(u)
    return { "x/" .. u.topics[1] }
  end,
}
"#;
    let e = engine("mods", &[("m.lua", src)]);
    assert_eq!(
        call(&e, "auth_on_publish", publish("m1", "u", "rewrite", 0, "")),
        json!({"result": "ok", "modifiers": {"topic": "new/topic", "qos": 1, "payload": "Y2hhbmdlZA=="}})
    );
    for t in ["bad", "unknown", "fn"] {
        assert_eq!(call(&e, "auth_on_publish", publish("m1", "u", t, 0, "")), json!({"result": {"error": "invalid_modifiers"}}), "{t}");
    }
    assert_eq!(
        call(&e, "auth_on_subscribe", subscribe("m1", "u", &[("a/+", 2)])),
        json!({"result": "ok", "topics": [{"topic": "a/+", "qos": 1}, {"topic": "denied/topic", "qos": 128}]})
    );
    assert_eq!(
        call(&e, "on_unsubscribe", json!({"mountpoint": "", "client_id": "m1", "username": "u", "topics": ["t"]})),
        json!({"result": "ok", "topics": ["x/t"]})
    );
}

#[test]
fn script_error_continues_the_chain_for_auth_hooks() {
    let broken = r#"
hooks = {
  auth_on_register = function(r) error("boom") end,
  auth_on_publish = function(p) return true, "extra" end,
  on_deliver = function(d) error("boom") end,
}
"#;
    let allow = r#"
hooks = {
  auth_on_register = function(r) return true end,
  auth_on_publish = function(p) return true end,
  on_deliver = function(d) return true end,
}
"#;
    let e = engine("errors", &[("1.lua", broken), ("2.lua", allow)]);
    assert_eq!(call(&e, "auth_on_register", register("e1", "u", "")), json!({"result": "ok"}));
    // two return values: a script error, the chain goes on
    assert_eq!(call(&e, "auth_on_publish", publish("e1", "u", "t", 0, "")), json!({"result": "ok"}));
    // not an auth hook: the error stops the chain
    let r = call(&e, "on_deliver", publish("e1", "u", "t", 0, ""));
    assert_eq!(r, json!({"result": {"error": "lua_script_error"}}), "{r}");
    // alone, the broken script leaves auth hooks undecided (VerneMQ: next)
    let alone = engine("errors-alone", &[("1.lua", broken)]);
    assert_eq!(call(&alone, "auth_on_register", register("e1", "u", "")), json!({"result": "next"}));
}

#[test]
fn runaway_loop_is_denied_within_the_deadline() {
    let runaway = r#"hooks = { auth_on_register = function(r) while true do end end,
                              auth_on_publish = function(p) local t = {} while true do t[#t + 1] = "xxxxxxxxxxxxxxxxxxx" .. #t end end }"#;
    // fuel
    let e = engine("runaway", &[("r.lua", runaway)]);
    let t0 = Instant::now();
    assert_eq!(call(&e, "auth_on_register", register("r1", "u", "")), json!({"result": "next"}));
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // memory
    let t0 = Instant::now();
    assert_eq!(call(&e, "auth_on_publish", publish("r1", "u", "t", 0, "")), json!({"result": "next"}));
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // the deadline alone (unbounded fuel)
    let mut opts = quick_opts();
    opts.limits.fuel = u64::MAX / 2;
    opts.limits.deadline = Duration::from_millis(300);
    let d = engine_with("runaway-deadline", &[("r.lua", runaway)], opts);
    let t0 = Instant::now();
    assert_eq!(call(&d, "auth_on_register", register("r2", "u", "")), json!({"result": "next"}));
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(3), "{took:?}");
    // with a deciding script after it, the chain continues; the state stays usable
    let e2 = engine("runaway-chain", &[("1.lua", runaway), ("2.lua", "hooks = { auth_on_register = function() return false end }")]);
    for _ in 0..2 {
        assert_eq!(call(&e2, "auth_on_register", register("r3", "u", "")), json!({"result": {"error": "invalid_credentials"}}));
    }
}

#[test]
fn load_failures_name_file_and_line_and_spare_other_scripts() {
    let paths = scripts(
        "loadfail",
        &[
            ("1_syntax.lua", "hooks = {\n  auth_on_register = function(r) return true\n}\n"),
            ("2_runtime.lua", "local x = nil\n\nx.y = 1\n"),
            ("3_good.lua", "hooks = { auth_on_register = function(r) return true end }"),
            ("4_states.lua", "num_states = 0\n"),
            ("5_keep.lua", "keep_state = 'yes'\n"),
        ],
    );
    let mut all = paths.clone();
    all.push(paths[0].with_file_name("missing.lua"));
    let e = Engine::load(&all, quick_opts());
    let errs: Vec<String> = e.load_errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 5, "{errs:#?}");
    assert!(errs[0].contains("1_syntax.lua:") && errs[0].contains("1_syntax.lua:3:"), "{}", errs[0]);
    assert!(errs[1].contains("2_runtime.lua:3:"), "{}", errs[1]);
    assert!(errs[2].contains("num_states"), "{}", errs[2]);
    assert!(errs[3].contains("keep_state"), "{}", errs[3]);
    assert!(errs[4].contains("missing.lua"), "{}", errs[4]);
    assert_eq!(e.scripts().len(), 1);
    assert_eq!(call(&e, "auth_on_register", register("l1", "u", "")), json!({"result": "ok"}));
}

#[test]
fn states_instance_ids_and_require() {
    let files = [
        ("lib/helper.lua", "function helper_answer() return 'helped' end\n"),
        (
            "main.lua",
            r#"
num_states = 3
require "lib/helper"
assert(helper_answer() == "helped")
assert(package.path:find("/%?%.lua") ~= nil)
hooks = { auth_on_register = function(r)
  return { username = "instance" .. __SCRIPT_INSTANCE_ID__ }
end }
"#,
        ),
    ];
    let paths = scripts("states", &files);
    let e = Engine::load(&paths[1..], quick_opts());
    assert!(e.load_errors().is_empty(), "{:?}", e.load_errors());
    assert_eq!(e.scripts()[0].num_states, 3);
    let r = call(&e, "auth_on_register", register("s1", "u", ""));
    let user = r["modifiers"]["username"].as_str().unwrap().to_string();
    assert!(["instance1", "instance2", "instance3"].contains(&user.as_str()), "{r}");
    // nr_lua_states from the options; keep_state = true means one state
    let opts = EngineOptions { nr_lua_states: 4, ..quick_opts() };
    let e = engine_with("states2", &[("a.lua", ACCEPT_ALICE), ("b.lua", "keep_state = true")], opts);
    let info = e.scripts();
    assert_eq!((info[0].num_states, info[1].num_states), (4, 1));
}

#[test]
fn modules_are_globals_and_errors_are_catchable() {
    let src = r#"
local ok, err = pcall(kv.insert, "no_such_table_xyz", { a = 1 })
assert(not ok and type(err) == "string", tostring(err))
assert(json.encode({ a = 1 }) == '{"a":1}')
assert(json.decode('[1,2]')[2] == 2)
assert(#crypto.hash("sha256", "x") == 32)
assert(obf.decrypt(obf.encrypt("s")) == "s")
assert(vmq_api.disconnect_by_subscriber_id({ mountpoint = "", client_id = "nobody" }, {}) == "not_found")
assert(type(bcrypt.gen_salt) == "function")
assert(os.execute == nil and io.open == nil)
hooks = { auth_on_register = function(r)
  -- as VerneMQ: what jsx cannot encode gives nil, not an error
  local ok, e = pcall(json.encode, { f = print })
  return ok and e == nil
end }
"#;
    let e = engine("modules", &[("m.lua", src)]);
    assert_eq!(call(&e, "auth_on_register", register("mod1", "u", "")), json!({"result": "ok"}));
}

#[test]
fn engine_is_shared_across_threads() {
    let src =
        "num_states = 4\nhooks = { auth_on_register = function(r) local s = 0 for i = 1, 10000 do s = s + i end return s == 50005000 end }";
    let e = std::sync::Arc::new(engine("threads", &[("t.lua", src)]));
    let hs: Vec<_> = (0..8)
        .map(|i| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert_eq!(call(&e, "auth_on_register", register(&format!("t{i}"), "u", "")), json!({"result": "ok"}));
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}
