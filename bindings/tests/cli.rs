//! The `oxilua-vmq call` command, run as a process.

mod engine_common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use engine_common::scripts;
use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oxilua-vmq"))
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = bin();
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn oxilua-vmq");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn one_shot_call_prints_the_webhook_response() {
    let plugin = example("plugin.lua");
    let o = run(
        &[
            "call",
            "--script",
            plugin.to_str().unwrap(),
            "auth_on_register",
            r#"{"peer_addr":"127.0.0.1","peer_port":1,"mountpoint":"","client_id":"sensor-1","username":"device","password":"sensor-pw","clean_session":true}"#,
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines(&o), vec![json!({"result": "ok", "modifiers": {"max_inflight_messages": 10}})]);
}

#[test]
fn one_shot_errors_exit_non_zero_with_a_clear_message() {
    let plugin = example("plugin.lua");
    let p = plugin.to_str().unwrap();
    let o = run(&["call", "--script", p, "auth_on_register", "{not json"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("invalid JSON"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = run(&["call", "--script", p, "auth_on_nothing", "{}"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown hook \"auth_on_nothing\""), "{}", stderr(&o));

    // a body the hook cannot take
    let o = run(&["call", "--script", p, "auth_on_publish", r#"{"topic": 5}"#], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("auth_on_publish"), "{}", stderr(&o));

    let o = run(&["call", "auth_on_register", "{}"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no scripts"), "{}", stderr(&o));
}

#[test]
fn stdin_answers_the_example_requests() {
    let plugin = example("plugin.lua");
    let reqs = std::fs::read_to_string(example("requests.jsonl")).unwrap();
    let o = run(&["call", "--script", plugin.to_str().unwrap(), "-"], Some(&reqs));
    assert!(o.status.success(), "{}", stderr(&o));
    let deny = json!({"result": {"error": "not_authorized"}});
    assert_eq!(
        lines(&o),
        vec![
            json!({"result": {"error": "invalid_credentials"}}),
            json!({"result": "ok"}),
            json!({"result": "ok"}), // ACL cache: alice/#
            json!({"result": "ok"}), // ACL cache: shared/%u/+ at qos 1
            deny.clone(),            // ACL cache: no match
            json!({"result": "ok"}), // ACL cache: subscribe
            json!({"result": "ok", "modifiers": {"max_inflight_messages": 10}}),
            json!({"result": "ok", "modifiers": {"topic": "devices/sensor-7/temperature"}}),
            deny.clone(),
            json!({"result": "ok"}),
            json!({}),
            json!({}),
            json!({}),
            deny, // cache cleared by on_client_offline: the script denies alice
        ]
    );
    let err = stderr(&o);
    assert!(err.contains("message 2 on devices/sensor-7/temperature"), "{err}");
}

#[test]
fn stdin_bad_lines_get_an_error_answer() {
    let plugin = example("plugin.lua");
    let input = [
        r#"{"hook": "auth_on_register", "body": {"client_id": "sensor-1", "username": "device", "password": "sensor-pw"}}"#,
        "{broken",
        "",
        r#"{"hook": "no_such_hook", "body": {}}"#,
        r#"{"body": {}}"#,
        r#"{"hook": "auth_on_register", "body": {"client_id": "sensor-1", "username": "device", "password": "nope"}}"#,
    ]
    .join("\n");
    let o = run(&["call", "--script", plugin.to_str().unwrap(), "-"], Some(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let l = lines(&o);
    assert_eq!(l.len(), 5, "{l:?}");
    assert_eq!(l[0]["result"], json!("ok"));
    let e1 = l[1]["error"].as_str().unwrap();
    assert!(e1.starts_with("line 2: invalid JSON"), "{e1}");
    let e2 = l[2]["error"].as_str().unwrap();
    assert!(e2.starts_with("line 4: unknown hook"), "{e2}");
    let e3 = l[3]["error"].as_str().unwrap();
    assert!(e3.starts_with("line 5:") && e3.contains("hook"), "{e3}");
    assert_eq!(l[4], json!({"result": {"error": "invalid_credentials"}}));
}

const COUNTER: &str = r##"
kv.ensure_table({ name = "cli_counts" })
calls = 0
hooks = {
  auth_on_register = function(r)
    calls = calls + 1
    local n = (kv.lookup("cli_counts", r.client_id)[1] or 0) + 1
    kv.insert("cli_counts", { [r.client_id] = n })
    return { max_inflight_messages = n, max_message_rate = calls }
  end,
  auth_on_publish = function(p)
    auth_cache.insert(p.mountpoint, p.client_id, p.username,
      { { pattern = "allowed/+" } }, { { pattern = "#" } })
    return true
  end,
}
"##;

#[test]
fn stdin_keeps_state_kv_and_auth_cache_between_lines() {
    let p = scripts("cli-state", &[("c.lua", COUNTER)]);
    let reg = r#"{"hook": "auth_on_register", "body": {"client_id": "k1", "username": "u", "password": "p"}}"#;
    let publ = |t: &str| {
        format!(
            r#"{{"hook": "auth_on_publish", "body": {{"client_id": "k1", "username": "u", "qos": 0, "topic": "{t}", "payload": "", "retain": false}}}}"#
        )
    };
    let input = [reg.to_string(), reg.to_string(), publ("first/x"), publ("allowed/y"), publ("other/z"), reg.to_string()].join("\n");
    let o = run(&["call", "--script", p[0].to_str().unwrap(), "-"], Some(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let l = lines(&o);
    let m = |n: u32, c: u32| json!({"result": "ok", "modifiers": {"max_inflight_messages": n, "max_message_rate": c}});
    // kv persists; the global `calls` is undone after each call (keep_state = false)
    assert_eq!(l[0], m(1, 1));
    assert_eq!(l[1], m(2, 1));
    // the first publish runs the script, which fills the ACL cache;
    // later publishes are decided by the cache
    assert_eq!(l[2], json!({"result": "ok"}));
    assert_eq!(l[3], json!({"result": "ok"}));
    assert_eq!(l[4], json!({"result": {"error": "not_authorized"}}));
    assert_eq!(l[5], m(3, 1));
}

#[test]
fn no_base64_and_config_limits() {
    let p = scripts(
        "cli-cfg",
        &[
            (
                "echo.lua",
                r#"hooks = { auth_on_publish = function(p) return { payload = p.payload .. "!" } end,
                               auth_on_register = function(r) while true do end end }"#,
            ),
            ("oxilua.toml", "[vmq_diversity.limits]\ndeadline = \"300ms\"\nfuel = 100000000000\n"),
        ],
    );
    let script = p[0].to_str().unwrap();
    let o = run(
        &[
            "call",
            "--script",
            script,
            "--no-base64",
            "auth_on_publish",
            r#"{"client_id": "b1", "username": "u", "qos": 0, "topic": "t", "payload": "raw", "retain": false}"#,
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines(&o), vec![json!({"result": "ok", "modifiers": {"payload": "raw!"}})]);

    let t0 = Instant::now();
    let o = run(
        &[
            "call",
            "--config",
            p[1].to_str().unwrap(),
            "--script",
            script,
            "auth_on_register",
            r#"{"client_id": "b1", "username": "u", "password": "p"}"#,
        ],
        None,
    );
    let took = t0.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines(&o), vec![json!({"result": "next"})]);
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(stderr(&o).contains("deadline exceeded"), "{}", stderr(&o));
}

#[test]
fn load_errors_are_reported_and_other_scripts_serve() {
    let p = scripts(
        "cli-loaderr",
        &[("bad.lua", "hooks = {\n  x = = 1\n}\n"), ("good.lua", "hooks = { auth_on_register = function() return true end }")],
    );
    let o = run(
        &[
            "call",
            "--script",
            p[0].to_str().unwrap(),
            "--script",
            p[1].to_str().unwrap(),
            "auth_on_register",
            r#"{"client_id": "g1", "username": "u", "password": "p"}"#,
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.lua:2:"), "{}", stderr(&o));
    assert_eq!(lines(&o), vec![json!({"result": "ok"})]);
}
