//! `oxilua-vmq serve` in process, on an ephemeral loopback port, answering
//! real HTTP requests: every hook family's request and response
//! (reference §9.3-9.4), cache-control (§9.5), bad requests, metrics,
//! health, reload and graceful shutdown.

mod serve_util;

use std::time::Duration;

use oxilua_vmq::engine::EngineOptions;
use serde_json::json;
use serve_util::*;

const HOOKS_SCRIPT: &str = r#"
function auth_on_register(r)
  if r.username == "allow" then return true end
  if r.username == "modify" then return { max_inflight_messages = 7 } end
  if r.username == "deny" then return false end
  if r.username == "echo" then
    return r.password == "pw" and r.addr == "10.0.0.9" and r.port == 4242
       and r.client_id == "echo-client" and r.clean_session == true
  end
  return nil
end

function auth_on_register_m5(r)
  return r.clean_start == false and r.username == nil
end

function auth_on_publish(p)
  if p.topic == "a/b" and p.payload == "hello" and p.qos == 1 and p.retain == false then
    return true
  end
  if p.topic == "rewrite/me" then
    return { topic = "rewritten/" .. p.client_id, payload = "new " .. p.payload }
  end
  return false
end

function auth_on_publish_m5(p) return p.properties ~= nil end

function auth_on_subscribe(s)
  return { { s.topics[1][1], 1 }, { "forbidden/topic", 128 } }
end

function auth_on_subscribe_m5(s) return false end

function on_unsubscribe(u)
  return { "rewritten/" .. u.topics[1], "another" }
end

function on_deliver(d)
  return { payload = "delivered " .. d.payload }
end

local function note(hook)
  return function(a) log.info(hook .. " " .. (a.client_id or "?")) end
end

hooks = {
  auth_on_register = auth_on_register,
  auth_on_register_m5 = auth_on_register_m5,
  auth_on_publish = auth_on_publish,
  auth_on_publish_m5 = auth_on_publish_m5,
  auth_on_subscribe = auth_on_subscribe,
  auth_on_subscribe_m5 = auth_on_subscribe_m5,
  on_unsubscribe = on_unsubscribe,
  on_deliver = on_deliver,
  on_register = note("on_register"),
  on_publish = note("on_publish"),
  on_subscribe = note("on_subscribe"),
  on_offline_message = note("on_offline_message"),
  on_client_wakeup = note("on_client_wakeup"),
  on_client_offline = note("on_client_offline"),
  on_client_gone = note("on_client_gone"),
  on_session_expired = note("on_session_expired"),
}
"#;

fn register(client: &str, user: Option<&str>, password: &str) -> serde_json::Value {
    json!({"peer_addr": "10.0.0.9", "peer_port": 4242, "mountpoint": "", "client_id": client,
           "username": user, "password": password, "clean_session": true})
}

fn publish(client: &str, topic: &str, payload_b64: &str) -> serde_json::Value {
    json!({"username": "u", "mountpoint": "", "client_id": client, "qos": 1, "topic": topic,
           "payload": payload_b64, "retain": false})
}

async fn call(c: &mut oxilua_vmq::serve::loadgen::Client, hook: &str, body: serde_json::Value) -> serde_json::Value {
    let r = bounded(hook, c.webhook(hook, &body)).await.expect("request");
    assert_eq!(r.status, 200, "{hook}: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"), "{hook}");
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hook_family_answers_in_the_webhook_format() {
    let dir = temp_dir("families");
    let script = write(&dir, "hooks.lua", HOOKS_SCRIPT);
    let server = start(std::slice::from_ref(&script), |_| {}).await;
    let addr = server.local_addr();
    // one keep-alive connection for all of them
    let mut c = connect(addr).await;
    // register: ok, ok + modifiers, error, next; the body fields reach the script
    assert_eq!(call(&mut c, "auth_on_register", register("c1", Some("allow"), "x")).await, json!({"result": "ok"}));
    assert_eq!(
        call(&mut c, "auth_on_register", register("c1", Some("modify"), "x")).await,
        json!({"result": "ok", "modifiers": {"max_inflight_messages": 7}})
    );
    assert_eq!(
        call(&mut c, "auth_on_register", register("c1", Some("deny"), "x")).await,
        json!({"result": {"error": "invalid_credentials"}})
    );
    assert_eq!(call(&mut c, "auth_on_register", register("c1", Some("nobody"), "x")).await, json!({"result": "next"}));
    assert_eq!(call(&mut c, "auth_on_register", register("echo-client", Some("echo"), "pw")).await, json!({"result": "ok"}));
    assert_eq!(
        call(
            &mut c,
            "auth_on_register_m5",
            json!({"peer_addr": "10.0.0.9", "peer_port": 1, "mountpoint": "",
            "client_id": "c5", "username": null, "password": null, "clean_start": false, "properties": {}})
        )
        .await,
        json!({"result": "ok"})
    );

    // publish: base64 payload decoded for the script, payload modifier encoded back
    assert_eq!(call(&mut c, "auth_on_publish", publish("c1", "a/b", "aGVsbG8=")).await, json!({"result": "ok"}));
    assert_eq!(
        call(&mut c, "auth_on_publish", publish("c1", "rewrite/me", "aGVsbG8=")).await,
        json!({"result": "ok", "modifiers": {"topic": "rewritten/c1", "payload": "bmV3IGhlbGxv"}})
    );
    assert_eq!(call(&mut c, "auth_on_publish", publish("c1", "x/y", "aGVsbG8=")).await, json!({"result": {"error": "not_authorized"}}));
    let mut p5 = publish("c1", "a/b", "aGVsbG8=");
    p5["properties"] = json!({"p_user_property": [{"key": "aw==", "val": "dg=="}]});
    assert_eq!(call(&mut c, "auth_on_publish_m5", p5).await, json!({"result": "ok"}));

    // subscribe: the rewritten list with qos 128 for a refused topic
    assert_eq!(
        call(
            &mut c,
            "auth_on_subscribe",
            json!({"username": "u", "mountpoint": "", "client_id": "c1",
            "topics": [{"topic": "x/y", "qos": 2}]})
        )
        .await,
        json!({"result": "ok", "topics": [{"topic": "x/y", "qos": 1}, {"topic": "forbidden/topic", "qos": 128}]})
    );
    assert_eq!(
        call(
            &mut c,
            "auth_on_subscribe_m5",
            json!({"username": "u", "mountpoint": "", "client_id": "c1",
            "topics": [{"topic": "x/y", "qos": 1, "no_local": false, "rap": false, "retain_handling": "send_retain"}],
            "properties": {}})
        )
        .await,
        json!({"result": {"error": "not_authorized"}})
    );

    // unsubscribe: top-level topics
    assert_eq!(
        call(&mut c, "on_unsubscribe", json!({"username": "u", "mountpoint": "", "client_id": "c1", "topics": ["t/1"]})).await,
        json!({"result": "ok", "topics": ["rewritten/t/1", "another"]})
    );

    // deliver: payload modifier base64
    let mut d = publish("c1", "a/b", "aGk=");
    d["properties"] = json!({});
    assert_eq!(call(&mut c, "on_deliver", d).await, json!({"result": "ok", "modifiers": {"payload": "ZGVsaXZlcmVkIGhp"}}));

    // a hook no script declares: next
    assert_eq!(
        call(&mut c, "on_auth_m5", json!({"username": "u", "mountpoint": "", "client_id": "c1", "properties": {}})).await,
        json!({"result": "next"})
    );

    // notification hooks: {} and the script ran
    let notes = [
        ("on_register", json!({"peer_addr": "10.0.0.9", "peer_port": 1, "mountpoint": "", "client_id": "n1", "username": "u"})),
        ("on_publish", publish("n1", "a/b", "aGk=")),
        ("on_subscribe", json!({"username": "u", "mountpoint": "", "client_id": "n1", "topics": [{"topic": "a/b", "qos": 128}]})),
        ("on_offline_message", json!({"mountpoint": "", "client_id": "n1", "qos": 1, "topic": "a/b", "payload": "aGk=", "retain": false})),
        ("on_client_wakeup", json!({"mountpoint": "", "client_id": "n1"})),
        ("on_client_offline", json!({"mountpoint": "", "client_id": "n1"})),
        ("on_client_gone", json!({"mountpoint": "", "client_id": "n1"})),
        ("on_session_expired", json!({"mountpoint": "", "client_id": "n1"})),
    ];
    for (hook, body) in notes {
        assert_eq!(call(&mut c, hook, body).await, json!({}), "{hook}");
    }
    let m = metrics(addr).await;
    let script_label = script.display().to_string();
    for hook in [
        "on_register",
        "on_publish",
        "on_subscribe",
        "on_offline_message",
        "on_client_wakeup",
        "on_client_offline",
        "on_client_gone",
        "on_session_expired",
    ] {
        assert_eq!(
            sample(&m, &format!("oxilua_vmq_script_calls_total{{script=\"{script_label}\",hook=\"{hook}\",outcome=\"next\"}}")),
            Some(1.0),
            "{hook} ran once:\n{m}"
        );
        assert_eq!(sample(&m, &format!("oxilua_vmq_webhook_requests_total{{hook=\"{hook}\",result=\"ok\"}}")), Some(1.0), "{hook}");
    }
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_base64_option_passes_payloads_as_they_are() {
    let dir = temp_dir("nob64");
    let script = write(&dir, "hooks.lua", HOOKS_SCRIPT);
    let server = start(&[script], |o| o.webhook.base64 = false).await;
    let r = hook(server.local_addr(), "auth_on_publish", publish("c2", "rewrite/me", "plain")).await;
    assert_eq!(r.json(), json!({"result": "ok", "modifiers": {"topic": "rewritten/c2", "payload": "new plain"}}));
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_control_only_on_cacheable_ok_results() {
    let dir = temp_dir("cache");
    let script = write(&dir, "hooks.lua", HOOKS_SCRIPT);
    let server = start(std::slice::from_ref(&script), |o| o.cache_max_age = Some(30)).await;
    let addr = server.local_addr();
    let cc = |r: &oxilua_vmq::serve::loadgen::HttpResponse| r.header("cache-control").map(str::to_string);

    let max_age = Some("max-age=30".to_string());
    assert_eq!(cc(&hook(addr, "auth_on_register", register("c3", Some("allow"), "x")).await), max_age);
    assert_eq!(cc(&hook(addr, "auth_on_register", register("c3", Some("modify"), "x")).await), max_age);
    assert_eq!(cc(&hook(addr, "auth_on_publish", publish("c3", "a/b", "aGVsbG8=")).await), max_age);
    let sub = json!({"username": "u", "mountpoint": "", "client_id": "c3", "topics": [{"topic": "x/y", "qos": 2}]});
    assert_eq!(cc(&hook(addr, "auth_on_subscribe", sub).await), max_age);
    // errors and next are never cached
    assert_eq!(cc(&hook(addr, "auth_on_register", register("c3", Some("deny"), "x")).await), None);
    assert_eq!(cc(&hook(addr, "auth_on_register", register("c3", Some("nobody"), "x")).await), None);
    assert_eq!(cc(&hook(addr, "auth_on_publish", publish("c3", "x/y", "aGVsbG8=")).await), None);
    // ok results of hooks VerneMQ does not cache
    let unsub = json!({"username": "u", "mountpoint": "", "client_id": "c3", "topics": ["t/1"]});
    assert_eq!(cc(&hook(addr, "on_unsubscribe", unsub).await), None);
    let mut d = publish("c3", "a/b", "aGk=");
    d["properties"] = json!({});
    assert_eq!(cc(&hook(addr, "on_deliver", d).await), None);
    assert!(server.shutdown().await);

    // not configured: no header
    let server = start(&[script], |_| {}).await;
    let r = hook(server.local_addr(), "auth_on_register", register("c3", Some("allow"), "x")).await;
    assert_eq!(r.json(), json!({"result": "ok"}));
    assert_eq!(cc(&r), None);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_4xx_with_a_clear_json_error() {
    let dir = temp_dir("bad");
    let script = write(&dir, "hooks.lua", HOOKS_SCRIPT);
    let server = start(&[script], |o| o.max_body = 4096).await;
    let addr = server.local_addr();
    let mut c = connect(addr).await;
    let error_of = |r: &oxilua_vmq::serve::loadgen::HttpResponse| {
        r.json().get("error").and_then(|e| e.as_str()).map(str::to_string).unwrap_or_else(|| panic!("no JSON error in {}", r.text()))
    };

    let r = c.request("POST", "/", &[], b"{}").await.expect("request");
    assert_eq!(r.status, 400);
    assert!(error_of(&r).contains("vernemq-hook"), "{}", r.text());

    let r = c.request("POST", "/", &[("vernemq-hook", "on_message_drop")], b"{}").await.expect("request");
    assert_eq!(r.status, 400);
    assert!(error_of(&r).contains("unknown hook \"on_message_drop\""), "{}", r.text());

    let r = c.request("POST", "/", &[("vernemq-hook", "auth_on_publish")], b"{\"topic\": ").await.expect("request");
    assert_eq!(r.status, 400);
    let e = error_of(&r);
    assert!(e.starts_with("auth_on_publish: request body is not JSON"), "{e}");

    let mut body = publish("c4", "a/b", "aGVsbG8=");
    body["qos"] = json!("high");
    let r = c.webhook("auth_on_publish", &body).await.expect("request");
    assert_eq!(r.status, 400);
    let e = error_of(&r);
    assert!(e.starts_with("auth_on_publish: ") && e.contains("qos"), "{e}");

    let r = c.webhook("auth_on_publish", &publish("c4", "a/b", "not base64!")).await.expect("request");
    assert_eq!(r.status, 400);
    assert!(error_of(&r).contains("base64"), "{}", r.text());

    let big = publish("c4", "a/b", &"QUFB".repeat(2000));
    let r = c.webhook("auth_on_publish", &big).await.expect("request");
    assert_eq!(r.status, 413);
    assert!(error_of(&r).contains("larger than 4096 bytes"), "{}", r.text());

    let mut c = connect(addr).await;
    let r = c.get("/").await.expect("request");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = c.request("POST", "/metrics", &[], b"").await.expect("request");
    assert_eq!(r.status, 405);

    // the same connection still answers webhooks
    let r = c.webhook("auth_on_publish", &publish("c4", "a/b", "aGVsbG8=")).await.expect("request");
    assert_eq!(r.json(), json!({"result": "ok"}));

    let m = metrics(addr).await;
    for (reason, n) in [
        ("missing_hook_header", 1.0),
        ("unknown_hook", 1.0),
        ("invalid_json", 1.0),
        ("invalid_body", 2.0),
        ("too_large", 1.0),
        ("wrong_method", 2.0),
    ] {
        assert_eq!(sample(&m, &format!("oxilua_vmq_webhook_bad_requests_total{{reason=\"{reason}\"}}")), Some(n), "{reason}:\n{m}");
    }
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_calls_errors_and_latency_per_hook_and_script() {
    let dir = temp_dir("metrics");
    let first = write(
        &dir,
        "first.lua",
        r#"
        function auth_on_publish(p)
          if p.topic == "boom" then error("exploded") end
          return nil
        end
        hooks = { auth_on_publish = auth_on_publish }
    "#,
    );
    let second = write(&dir, "second.lua", HOOKS_SCRIPT);
    let server = start(&[first.clone(), second.clone()], |_| {}).await;
    let addr = server.local_addr();
    let mut c = connect(addr).await;
    for _ in 0..3 {
        let r = c.webhook("auth_on_publish", &publish("c5", "a/b", "aGVsbG8=")).await.expect("request");
        assert_eq!(r.json(), json!({"result": "ok"}));
    }
    for _ in 0..2 {
        let r = c.webhook("auth_on_publish", &publish("c5", "x/y", "aGVsbG8=")).await.expect("request");
        assert_eq!(r.json(), json!({"result": {"error": "not_authorized"}}));
    }
    // a script error continues the chain for auth hooks: the second script decides
    let r = c.webhook("auth_on_publish", &publish("c5", "boom", "aGVsbG8=")).await.expect("request");
    assert_eq!(r.json(), json!({"result": {"error": "not_authorized"}}));

    let r = c.get("/metrics").await.expect("metrics");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap_or_default().starts_with("text/plain; version=0.0.4"));
    let m = r.text();
    let f = first.display().to_string();
    let s = second.display().to_string();
    let expect = [
        ("oxilua_vmq_webhook_requests_total{hook=\"auth_on_publish\",result=\"ok\"}".to_string(), 3.0),
        ("oxilua_vmq_webhook_requests_total{hook=\"auth_on_publish\",result=\"error\"}".to_string(), 3.0),
        ("oxilua_vmq_webhook_errors_total{hook=\"auth_on_publish\",reason=\"not_authorized\"}".to_string(), 3.0),
        ("oxilua_vmq_webhook_duration_seconds_count{hook=\"auth_on_publish\"}".to_string(), 6.0),
        ("oxilua_vmq_webhook_duration_seconds_bucket{hook=\"auth_on_publish\",le=\"+Inf\"}".to_string(), 6.0),
        (format!("oxilua_vmq_script_calls_total{{script=\"{f}\",hook=\"auth_on_publish\",outcome=\"next\"}}"), 5.0),
        (format!("oxilua_vmq_script_calls_total{{script=\"{f}\",hook=\"auth_on_publish\",outcome=\"script_error\"}}"), 1.0),
        (format!("oxilua_vmq_script_calls_total{{script=\"{s}\",hook=\"auth_on_publish\",outcome=\"ok\"}}"), 3.0),
        (format!("oxilua_vmq_script_calls_total{{script=\"{s}\",hook=\"auth_on_publish\",outcome=\"error\"}}"), 3.0),
        (format!("oxilua_vmq_script_duration_seconds_count{{script=\"{s}\",hook=\"auth_on_publish\"}}"), 6.0),
        ("oxilua_vmq_scripts_loaded".to_string(), 2.0),
        ("oxilua_vmq_webhook_in_flight".to_string(), 0.0),
    ];
    for (line, n) in expect {
        assert_eq!(sample(&m, &line), Some(n), "{line}:\n{m}");
    }
    // every sample line is `name{labels} number` or `name number`
    for l in m.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad sample line {l:?}"));
        assert!(v.parse::<f64>().is_ok(), "bad sample value in {l:?}");
    }
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_lists_scripts_and_load_errors() {
    let dir = temp_dir("health");
    let good = write(&dir, "good.lua", HOOKS_SCRIPT);
    let broken = write(&dir, "broken.lua", "hooks = {\n  auth_on_publish = function( end\n}\n");
    let server = start(&[good.clone(), broken.clone()], |_| {}).await;
    let r = connect(server.local_addr()).await.get("/health").await.expect("health");
    assert_eq!(r.status, 200);
    let h = r.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["scripts"].as_array().map(Vec::len), Some(1), "{h}");
    assert_eq!(h["scripts"][0]["path"], json!(good.display().to_string()));
    let errors = h["load_errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{h}");
    let e = errors[0].as_str().unwrap_or_default();
    assert!(e.contains("broken.lua") && e.contains(":2:"), "load error names file and line: {e}");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_good_versions_and_keeps_old_ones_on_failure() {
    let dir = temp_dir("reload");
    let v = |n: u32| {
        format!("function auth_on_register(r) return {{ max_inflight_messages = {n} }} end\nhooks = {{ auth_on_register = auth_on_register }}\n")
    };
    let script = write(&dir, "versioned.lua", &v(1));
    let server = start(std::slice::from_ref(&script), |_| {}).await;
    let addr = server.local_addr();
    let inflight = |r: serde_json::Value| r["modifiers"]["max_inflight_messages"].clone();
    let ask = || hook(addr, "auth_on_register", register("r1", Some("u"), "p"));
    assert_eq!(inflight(ask().await.json()), json!(1));

    write(&dir, "versioned.lua", &v(2));
    let report = server.sidecar().reload().await;
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(inflight(ask().await.json()), json!(2));

    write(&dir, "versioned.lua", "function auth_on_register(r)\n  return (\nend\n");
    let report = server.sidecar().reload().await;
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert!(report.errors[0].to_string().contains("versioned.lua:"), "{}", report.errors[0]);
    assert_eq!(report.scripts, 1);
    assert_eq!(inflight(ask().await.json()), json!(2), "the old version keeps serving");

    let m = metrics(addr).await;
    assert_eq!(sample(&m, "oxilua_vmq_reloads_total{result=\"ok\"}"), Some(1.0), "{m}");
    assert_eq!(sample(&m, "oxilua_vmq_reloads_total{result=\"kept_old\"}"), Some(1.0), "{m}");
    assert!(server.shutdown().await);
}

const SLOW_SCRIPT: &str = r#"
function auth_on_publish(p)
  -- busy for a while (counted, not timed: a loaded machine only makes it longer)
  local n = 0
  for i = 1, 2000000 do n = n + i end
  return true
end
hooks = { auth_on_publish = auth_on_publish }
"#;

/// A server running [`SLOW_SCRIPT`] with a deadline long enough for it.
async fn start_slow(dir: &std::path::Path) -> oxilua_vmq::serve::Server {
    let script = write(dir, "slow.lua", SLOW_SCRIPT);
    let limits = oxilua_vmq::config::Limits { deadline: Duration::from_secs(25), ..Default::default() };
    let opts = EngineOptions { limits, ..EngineOptions::default() };
    start_with(&[script], opts, |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_request_in_flight_and_stops_accepting() {
    let dir = temp_dir("shutdown");
    let server = start_slow(&dir).await;
    let addr = server.local_addr();
    let mut idle = connect(addr).await;
    let r = bounded("warm-up", idle.get("/health")).await.expect("health");
    assert_eq!(r.status, 200);

    let mut busy = connect(addr).await;
    let body = publish("c6", "a/b", "aGk=").to_string();
    busy.send("POST", "/", &[("vernemq-hook", "auth_on_publish")], body.as_bytes()).await.expect("send");
    // wait until the request is being answered
    bounded("request in flight", async {
        loop {
            let m = metrics(addr).await;
            if sample(&m, "oxilua_vmq_webhook_in_flight") == Some(1.0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let stopping = tokio::spawn(server.shutdown());
    let r = bounded("in-flight answer", busy.read_response()).await.expect("the in-flight request is answered");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"result": "ok"}));
    assert!(bounded("shutdown", stopping).await.expect("shutdown task"), "finished within the grace period");
    // idle keep-alive connections are closed, new ones refused
    assert!(idle.get("/health").await.is_err(), "idle connection closed");
    assert!(oxilua_vmq::serve::loadgen::Client::connect(addr).await.is_err(), "no longer accepting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_load_is_answered_correctly() {
    let plugin = serve_util::repo_plugin();
    let server = start(&[plugin], |_| {}).await;
    let opts = oxilua_vmq::serve::loadgen::LoadOptions { connections: 8, requests: 400, ..Default::default() };
    let report = bounded("load", oxilua_vmq::serve::loadgen::run(server.local_addr(), &opts)).await.expect("load run");
    println!("{report}");
    assert_eq!(report.requests, 400, "{report}");
    assert_eq!(report.wrong, 0, "{report}");
    assert_eq!(report.failed, 0, "{report}");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_mid_request_does_not_disturb_the_server() {
    let dir = temp_dir("vanish");
    let server = start_slow(&dir).await;
    let addr = server.local_addr();
    let mut leaving = connect(addr).await;
    let body = publish("c7", "a/b", "aGk=").to_string();
    leaving.send("POST", "/", &[("vernemq-hook", "auth_on_publish")], body.as_bytes()).await.expect("send");
    let in_flight = |want: f64| async move {
        loop {
            let m = metrics(addr).await;
            if sample(&m, "oxilua_vmq_webhook_in_flight") == Some(want) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    bounded("request in flight", in_flight(1.0)).await;
    drop(leaving);
    bounded("in-flight gauge back to 0", in_flight(0.0)).await;
    let r = bounded("next request", hook(addr, "auth_on_publish", publish("c7", "a/b", "aGk="))).await;
    assert_eq!(r.json(), json!({"result": "ok"}));
    assert!(server.shutdown().await);
}
