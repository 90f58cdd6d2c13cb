//! The async engine: observer, async API from runtimes, provider calls that
//! hold no thread, the deadline over provider waits, atomic reload/unload,
//! keep_state through per-call isolation.
mod engine_common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine_common::http_server::TestHttp;
use engine_common::*;
use oxilua_vmq::config::Limits;
use oxilua_vmq::engine::{CallOutcome, CallRecord, Engine, EngineOptions};
use oxilua_vmq::hooks::{Hook, HookArgs, HookResult, WebhookOptions};
use serde_json::json;

const OK: fn() -> serde_json::Value = || json!({"result": "ok"});
const NEXT: fn() -> serde_json::Value = || json!({"result": "next"});

fn opts_deadline(ms: u64) -> EngineOptions {
    let mut o = quick_opts();
    o.limits = Limits { deadline: Duration::from_millis(ms), ..o.limits };
    o
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn observer_sees_every_script_call() {
    let seen: Arc<Mutex<Vec<(Hook, String, CallOutcome)>>> = Arc::default();
    let s2 = seen.clone();
    let mut o = quick_opts();
    o.observer = Some(Arc::new(move |r: &CallRecord| {
        assert!(r.elapsed < Duration::from_secs(60));
        s2.lock().unwrap().push((r.hook, file_name(r.script), r.outcome));
    }));
    let e = engine_with(
        "observer",
        &[
            (
                "a.lua",
                r#"hooks = { auth_on_register = function(r)
                     if r.username == "boom" then error("boom") end
                     return nil
                   end }"#,
            ),
            ("b.lua", r#"hooks = { auth_on_register = function(r) return r.username ~= "deny" end }"#),
        ],
        o,
    );
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    assert_ne!(call(&e, "auth_on_register", register("c", "deny", "p")), OK());
    assert_eq!(call(&e, "auth_on_register", register("c", "boom", "p")), OK());
    use CallOutcome::*;
    let h = Hook::AuthOnRegister;
    let want: Vec<(Hook, String, CallOutcome)> =
        [("a.lua", Next), ("b.lua", Ok), ("a.lua", Next), ("b.lua", Error), ("a.lua", ScriptError), ("b.lua", Ok)]
            .into_iter()
            .map(|(s, o)| (h, s.to_string(), o))
            .collect();
    assert_eq!(*seen.lock().unwrap(), want);
}

const ALLOW: &str = r#"hooks = { auth_on_register = function(r) return true end }"#;

#[tokio::test]
async fn async_api_on_a_current_thread_runtime() {
    let paths = scripts("async-ct", &[("a.lua", ALLOW)]);
    let e = Engine::load_async(&paths, quick_opts()).await;
    assert!(e.load_errors().is_empty(), "{:?}", e.load_errors());
    let body = register("c", "u", "p");
    let r = e.call_webhook_async("auth_on_register", &body, WebhookOptions::default()).await;
    assert_eq!(r.unwrap(), OK());
    let args = HookArgs::from_webhook(Hook::AuthOnRegister, &body, WebhookOptions::default()).unwrap();
    assert_eq!(e.call_hook_async(Hook::AuthOnRegister, &args).await, HookResult::Ok);
    // the sync API works (blocking) from inside a current-thread runtime
    assert_eq!(e.call_hook(Hook::AuthOnRegister, &args), HookResult::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_api_inside_a_multi_thread_runtime() {
    let e = engine("async-mt", &[("a.lua", ALLOW)]);
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    let e2 = e.clone();
    let r = tokio::spawn(async move { call(&e2, "auth_on_register", register("c", "u", "p")) }).await.unwrap();
    assert_eq!(r, OK());
}

fn holding_script(url: &str, states: u32) -> String {
    format!(
        r#"num_states = {states}
assert(http.ensure_pool({{ pool_id = "hold" }}))
hooks = {{ auth_on_register = function(r)
  if r.username == "slow" then
    local resp = http.get("hold", "{url}/hold")
    return resp.status == 200
  end
  return true
end }}"#
    )
}

/// Seven calls wait on a slow HTTP server (the engine's runtime has only as
/// many threads as cores): another state of the script still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_waiting_on_a_provider_holds_no_thread() {
    let srv = TestHttp::start();
    let e = engine_with("hold", &[("h.lua", &holding_script(&srv.url, 8))], opts_deadline(20_000));
    let mut slow = Vec::new();
    for i in 0..7 {
        let e = e.clone();
        slow.push(tokio::spawn(async move {
            e.call_webhook_async("auth_on_register", &register(&format!("s{i}"), "slow", "p"), WebhookOptions::default()).await
        }));
    }
    tokio::task::block_in_place(|| srv.wait_held(7, Duration::from_secs(20)));
    let fast = tokio::time::timeout(
        Duration::from_secs(20),
        e.call_webhook_async("auth_on_register", &register("f", "fast", "p"), WebhookOptions::default()),
    )
    .await
    .expect("the fast call did not hang");
    assert_eq!(fast.unwrap(), OK());
    assert_eq!(srv.held(), 7, "the slow calls were still waiting when the fast one answered");
    srv.release();
    for t in slow {
        assert_eq!(t.await.unwrap().unwrap(), OK());
    }
}

/// A provider call that outlives the deadline ends the call with a script
/// error (auth hooks fall through: `next`); the state serves again after.
#[test]
fn the_deadline_ends_a_call_stuck_in_a_provider() {
    let srv = TestHttp::start();
    let seen: Arc<Mutex<Vec<CallOutcome>>> = Arc::default();
    let s2 = seen.clone();
    let mut o = opts_deadline(300);
    o.observer = Some(Arc::new(move |r: &CallRecord| s2.lock().unwrap().push(r.outcome)));
    let e = engine_with("deadline", &[("h.lua", &holding_script(&srv.url, 1))], o);
    let t = Instant::now();
    assert_eq!(call(&e, "auth_on_register", register("c", "slow", "p")), NEXT());
    assert!(t.elapsed() < Duration::from_secs(10), "did not hang: {:?}", t.elapsed());
    // the only state is free again and usable
    assert_eq!(call(&e, "auth_on_register", register("c", "fast", "p")), OK());
    assert_eq!(*seen.lock().unwrap(), vec![CallOutcome::ScriptError, CallOutcome::Ok]);
}

#[test]
fn provider_errors_are_catchable_lua_errors() {
    let e = engine(
        "perr",
        &[(
            "a.lua",
            r#"hooks = { auth_on_register = function(r)
                 local ok, err = pcall(http.get, "no_such_pool", "http://127.0.0.1:1/")
                 assert(not ok, "an unknown pool is an error")
                 assert(string.find(err, "http.get: unknown_pool", 1, true), err)
                 local ok2, err2 = pcall(function() return redis.cmd(42, "ping") end)
                 assert(not ok2 and string.find(err2, "redis.cmd: execute_parse", 1, true), tostring(err2))
                 local ok3, err3 = pcall(redis.cmd, "p", print)
                 assert(not ok3 and string.find(err3, "redis.cmd: bad argument", 1, true), tostring(err3))
                 return true
               end }"#,
        )],
    );
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    // uncaught at load time: a load error naming file, line and function
    let paths = scripts("perr-load", &[("b.lua", "\n\nhttp.get('no_such_pool', 'http://x/')\n")]);
    let e = Engine::load(&paths, quick_opts());
    let errs = e.load_errors();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("b.lua:3: http.get: unknown_pool"), "{}", errs[0]);
}

#[test]
fn every_provider_function_is_a_global() {
    let mut checks = String::new();
    for (module, functions) in oxilua_vmq::providers::MODULES {
        for f in *functions {
            checks.push_str(&format!("assert(type({module}.{f}) == 'function', '{module}.{f}')\n"));
        }
    }
    let e = engine("globals", &[("a.lua", &format!("{checks}\nhooks = {{ auth_on_register = function() {checks} return true end }}"))]);
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
}

// ------------------------------------------------------------------ reload

fn write(p: &Path, src: &str) {
    std::fs::write(p, src).unwrap();
}

const DENY: &str = r#"hooks = { auth_on_register = function(r) return false end }"#;
const PASS: &str = r#"hooks = { auth_on_register = function(r) return nil end }"#;

#[test]
fn reload_is_atomic() {
    let p = scripts("reload", &[("a.lua", ALLOW)]);
    let e = engine_with("reload-unused", &[], quick_opts());
    e.load_script(&p[0]).unwrap();
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    // a syntax error: the old version keeps serving, the error names file and line
    write(&p[0], "hooks = {\n  auth_on_register = function(r) return false\n}\n");
    let err = e.reload_script(&p[0]).unwrap_err();
    assert!(err.to_string().contains("a.lua:"), "{err}");
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    // a second state that fails to load: still the old version
    write(&p[0], &format!("num_states = 2\nif __SCRIPT_INSTANCE_ID__ == 2 then error('state two fails') end\n{DENY}"));
    let err = e.reload_script(&p[0]).unwrap_err();
    assert!(err.message.contains("state two fails"), "{err}");
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    assert_eq!(e.scripts()[0].num_states, 1);
    // a good new version replaces it
    write(&p[0], DENY);
    e.reload_script(&p[0]).unwrap();
    let denied = call(&e, "auth_on_register", register("c", "u", "p"));
    assert!(denied["result"]["error"].is_string(), "{denied}");
    assert_eq!(e.scripts().len(), 1);
}

#[test]
fn reload_keeps_the_position_and_unload_removes_hooks() {
    let p = scripts("reload-order", &[("a.lua", PASS), ("b.lua", ALLOW), ("c.lua", DENY)]);
    let e = Engine::load(&p, quick_opts());
    assert!(e.load_errors().is_empty());
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    // a.lua now denies: it runs first, so it decides
    write(&p[0], DENY);
    e.reload_script(&p[0]).unwrap();
    let names: Vec<String> = e.scripts().iter().map(|s| file_name(&s.path)).collect();
    assert_eq!(names, ["a.lua", "b.lua", "c.lua"]);
    assert_ne!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    // unload a and b: c decides (deny); unload c: nobody declares the hook
    assert!(e.unload_script(&p[0]));
    assert!(!e.unload_script(&p[0]));
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    assert!(e.unload_script(&p[1]));
    assert_ne!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    assert!(e.unload_script(&p[2]));
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), NEXT());
    assert!(e.scripts().is_empty());
    // load_script adds at the end; reload_all reloads from disk
    e.load_script(&p[1]).unwrap();
    e.load_script(&p[0]).unwrap();
    let names: Vec<String> = e.scripts().iter().map(|s| file_name(&s.path)).collect();
    assert_eq!(names, ["b.lua", "a.lua"]);
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    write(&p[1], PASS);
    assert!(e.reload_all().is_empty());
    assert_ne!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
}

#[test]
fn a_failed_script_loads_on_reload_all() {
    let p = scripts("reload-failed", &[("a.lua", "this is not lua")]);
    let e = Engine::load(&p, quick_opts());
    assert_eq!(e.load_errors().len(), 1);
    let errs = e.reload_all();
    assert_eq!(errs.len(), 1, "still broken");
    write(&p[0], ALLOW);
    assert!(e.reload_all().is_empty());
    assert!(e.load_errors().is_empty());
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
}

/// A call running while its script is reloaded finishes on the version it
/// started with; calls after the reload use the new one at once.
#[test]
fn in_flight_calls_finish_on_their_version() {
    let srv = TestHttp::start();
    let p = scripts("reload-inflight", &[("h.lua", &holding_script(&srv.url, 1))]);
    let e = Engine::load(&p, opts_deadline(20_000));
    assert!(e.load_errors().is_empty(), "{:?}", e.load_errors());
    let e2 = e.clone();
    let slow = std::thread::spawn(move || call(&e2, "auth_on_register", register("c", "slow", "p")));
    srv.wait_held(1, Duration::from_secs(20));
    write(&p[0], DENY);
    e.reload_script(&p[0]).unwrap();
    assert_ne!(call(&e, "auth_on_register", register("c", "fast", "p")), OK());
    srv.release();
    assert_eq!(slow.join().unwrap(), OK());
}

// ------------------------------------------------------------------ keep_state

const COUNTER: &str = r#"
n = 0
t = { x = 0 }
hooks = { auth_on_register = function(r)
  n = n + 1
  t.x = t.x + 10
  return { max_inflight_messages = n, max_message_rate = t.x }
end }"#;

fn counts(e: &Engine) -> (u64, u64) {
    let r = call(e, "auth_on_register", register("c", "u", "p"));
    let m = &r["modifiers"];
    (m["max_inflight_messages"].as_u64().unwrap(), m["max_message_rate"].as_u64().unwrap())
}

#[test]
fn keep_state_false_gives_every_call_the_loaded_state() {
    let e = engine("keep-false", &[("a.lua", COUNTER)]);
    assert!(!e.scripts()[0].keep_state);
    assert_eq!(counts(&e), (1, 10));
    assert_eq!(counts(&e), (1, 10));
    let e = engine("keep-true", &[("a.lua", &format!("keep_state = true\n{COUNTER}"))]);
    assert_eq!(counts(&e), (1, 10));
    assert_eq!(counts(&e), (2, 20));
}

/// VerneMQ leaves the state unchanged after a failed call in both modes
/// (reference §2.2): a keep_state script whose hook writes and then fails
/// keeps the state from before that call.
#[test]
fn keep_state_true_drops_the_writes_of_a_failed_call() {
    let src = r#"keep_state = true
n = 0
t = { x = 0 }
hooks = { auth_on_register = function(r)
  n = n + 1
  t.x = t.x + 10
  if r.username == "fail" then error("refused after writing") end
  if r.username == "spin" then while true do end end
  return { max_inflight_messages = n, max_message_rate = t.x }
end }"#;
    let e = engine_with("keep-true-fail", &[("a.lua", src)], opts_deadline(300));
    assert_eq!(counts(&e), (1, 10));
    assert_eq!(call(&e, "auth_on_register", register("c", "fail", "p")), NEXT());
    assert_eq!(call(&e, "auth_on_register", register("c", "spin", "p")), NEXT());
    assert_eq!(counts(&e), (2, 20), "the failed calls' writes are gone");
}

/// `hooks[<name>]` is looked up at call time, as VerneMQ does: a keep_state
/// script can replace its own hook function; a hook entry that stops being
/// a function is a script error.
#[test]
fn hook_functions_are_looked_up_at_call_time() {
    let src = r#"keep_state = true
hooks = {}
function hooks.auth_on_register(r)
  if r.username == "switch" then
    hooks.auth_on_register = function() return false end
  elseif r.username == "break" then
    hooks.auth_on_register = 42
  end
  return true
end"#;
    let e = engine("lookup", &[("a.lua", src)]);
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
    assert_eq!(call(&e, "auth_on_register", register("c", "switch", "p")), OK());
    let denied = call(&e, "auth_on_register", register("c", "u", "p"));
    assert_eq!(denied["result"]["error"], "invalid_credentials", "{denied}");
    // keep_state = false: the replacement is undone with the rest
    let e = engine("lookup-false", &[("a.lua", &src.replace("keep_state = true", "keep_state = false"))]);
    assert_eq!(call(&e, "auth_on_register", register("c", "switch", "p")), OK());
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "p")), OK());
}

/// Async module functions called where Lua 5.2 cannot suspend (a
/// `table.sort` comparator, a `gsub` callback, a `require`d file's top
/// level, `__tostring`) wait in place instead of failing: Luerl has no
/// C-call boundary, so VerneMQ scripts may do this.
#[test]
fn async_functions_work_where_lua_cannot_suspend() {
    let mut o = quick_opts();
    o.bcrypt = Arc::new(oxilua_vmq::modules::bcrypt::Bcrypt::new(4).unwrap());
    let module = r#"local salt = bcrypt.gen_salt()
return { hashed = bcrypt.hashpw("x", salt), salt = salt }"#;
    let script = r#"local m = require "helper_mod"
hooks = { auth_on_register = function(r)
  local t = { "b", "c", "a" }
  table.sort(t, function(x, y) return bcrypt.hashpw(x, m.salt) < bcrypt.hashpw(y, m.salt) and x < y or x < y end)
  local g = (r.username):gsub("%w+", function(w) return #bcrypt.hashpw(w, m.salt) > 0 and w or "?" end)
  local s = tostring(setmetatable({}, { __tostring = function() return bcrypt.hashpw("x", m.salt) end }))
  return t[1] == "a" and g == r.username and s == m.hashed
end }"#;
    let e = engine_with("boundary", &[("a.lua", script), ("helper_mod.lua", module)], o);
    assert_eq!(call(&e, "auth_on_register", register("c", "user", "p")), OK());
}

/// `bcrypt.hashpw` runs on the blocking pool (an async function): from
/// load-time code, from hooks and under `pcall`.
#[test]
fn bcrypt_hashpw_runs_off_the_async_workers() {
    let mut o = quick_opts();
    o.bcrypt = Arc::new(oxilua_vmq::modules::bcrypt::Bcrypt::new(4).unwrap());
    let e = engine_with(
        "bcrypt",
        &[(
            "a.lua",
            r#"local stored = bcrypt.hashpw("secret", bcrypt.gen_salt())
hooks = { auth_on_register = function(r)
  local ok, h = pcall(bcrypt.hashpw, r.password, stored)
  assert(ok, h)
  local bad = pcall(bcrypt.hashpw, r.password)
  assert(not bad, "a missing salt is an error")
  return h == stored
end }"#,
        )],
        o,
    );
    assert_eq!(call(&e, "auth_on_register", register("c", "u", "secret")), OK());
    assert_ne!(call(&e, "auth_on_register", register("c", "u", "wrong")), OK());
}
