//! Helpers for the auth script tests (`bindings/tests/auth_*.rs`): an
//! engine loading one of `bindings/scripts/auth/*.lua` the way an operator
//! enables it (`vmq_diversity.auth_<db>.enabled = on`, the pool settings
//! from `vmq_diversity.<db>.*`), webhook bodies, seeding through the
//! providers, and a TCP proxy the outage tests cut and restore.
//!
//! Every test uses its own mountpoint, so rows, documents and keys of
//! different tests (and of other test binaries running at the same time on
//! the same servers) never meet, and neither do their ACL cache entries.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxilua_vmq::config::Config;
use oxilua_vmq::engine::Engine;
use oxilua_vmq::hooks::WebhookOptions;
use oxilua_vmq::providers::{Providers, ProvidersConfig};
use oxilua_vmq::pvalue::PValue;
use serde_json::{json, Value};

/// `bindings/scripts`: the script directory holding `auth/`.
pub fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

/// The `vernemq.conf` lines pointing provider `db` at a test server.
/// `svc` is `common::service(...)`; `host_port` overrides its address (the
/// outage tests go through a proxy).
pub fn provider_conf(db: &str, svc: &HashMap<String, String>, host_port: Option<SocketAddr>) -> String {
    let (host, port) = match host_port {
        Some(a) => (a.ip().to_string(), a.port().to_string()),
        None => (svc["host"].clone(), svc["port"].clone()),
    };
    let mut lines = vec![format!("vmq_diversity.{db}.host = {host}"), format!("vmq_diversity.{db}.port = {port}")];
    let user_key = if db == "mongodb" { "login" } else { "user" };
    if let Some(u) = svc.get("user") {
        lines.push(format!("vmq_diversity.{db}.{user_key} = {u}"));
    }
    if let Some(p) = svc.get("password") {
        lines.push(format!("vmq_diversity.{db}.password = {p}"));
    }
    if let Some(d) = svc.get("dbname") {
        lines.push(format!("vmq_diversity.{db}.database = {d}"));
    }
    if let Some(a) = svc.get("auth_source") {
        lines.push(format!("vmq_diversity.{db}.auth_source = {a}"));
    }
    lines.join("\n")
}

/// An engine with the bundled auth script `script` (`postgres`, `mysql2`,
/// ...) enabled, `conf` holding the provider lines (and anything else).
/// `tweak` may adjust the parsed configuration (timeouts).
pub fn auth_engine(script: &str, conf: &str, tweak: impl FnOnce(&mut Config)) -> Engine {
    let text = format!(
        "vmq_diversity.script_dir = {dir}\n\
         vmq_diversity.auth_{script}.enabled = on\n\
         vmq_diversity.auth_{script}.file = {dir}/auth/{script}.lua\n\
         vmq_diversity.obf.secret = auth-tests-secret\n\
         {conf}\n",
        dir = scripts_dir().display()
    );
    let mut cfg = Config::from_conf(&text, "auth-test.conf").unwrap_or_else(|e| panic!("test configuration: {e}\n{text}"));
    tweak(&mut cfg);
    let engine = Engine::from_config(&cfg);
    assert!(engine.load_errors().is_empty(), "{script}.lua did not load: {:?}", engine.load_errors());
    let scripts = engine.scripts();
    assert_eq!(scripts.len(), 1, "{scripts:?}");
    assert!(scripts[0].path.ends_with(format!("auth/{script}.lua")), "{scripts:?}");
    engine
}

// ------------------------------------------------------------------ hooks

pub fn call(e: &Engine, hook: &str, body: Value) -> Value {
    e.call_webhook(hook, &body, WebhookOptions::default()).unwrap_or_else(|m| panic!("{hook}: {m}"))
}

pub fn register(mp: &str, client_id: &str, user: &str, password: &str) -> Value {
    json!({
        "peer_addr": "127.0.0.1", "peer_port": 41234, "mountpoint": mp,
        "client_id": client_id, "username": user, "password": password,
        "clean_session": true
    })
}

pub fn register_m5(mp: &str, client_id: &str, user: &str, password: &str) -> Value {
    json!({
        "peer_addr": "127.0.0.1", "peer_port": 41234, "mountpoint": mp,
        "client_id": client_id, "username": user, "password": password,
        "clean_start": true, "properties": {}
    })
}

pub fn publish(mp: &str, client_id: &str, user: &str, topic: &str, qos: u8) -> Value {
    json!({
        "mountpoint": mp, "client_id": client_id, "username": user,
        "qos": qos, "topic": topic, "payload": "aGVsbG8=", "retain": false
    })
}

pub fn subscribe(mp: &str, client_id: &str, user: &str, topics: &[(&str, u8)]) -> Value {
    let t: Vec<Value> = topics.iter().map(|(t, q)| json!({"topic": t, "qos": q})).collect();
    json!({"mountpoint": mp, "client_id": client_id, "username": user, "topics": t})
}

pub fn gone(mp: &str, client_id: &str) -> Value {
    json!({"mountpoint": mp, "client_id": client_id})
}

pub fn ok() -> Value {
    json!({"result": "ok"})
}

pub fn denied(reason: &str) -> Value {
    json!({"result": {"error": reason}})
}

/// The common scenario every auth script must pass, for a database seeded
/// with (see each test's `seed`):
/// - `(mp, "<mp>-c1", "<mp>-u1", "pw-one")`: publish `a/b/c`, `c/b/#`,
///   `users/%u/#` (max_qos 1); subscribe `a/b/c`, `sub/%c/+`;
/// - `(mp, "*", "<mp>-u2", "pw-two")`: publish `default/#`, no subscribe
///   ACLs.
/// - `(mp, "<mp>-c3", "<mp>-u2", "pw-three")`: publish `specific/#`,
///   subscribe `specific/#` (a named client preferred over `*`).
pub fn check_scenario(e: &Engine, mp: &str) {
    let c1 = format!("{mp}-c1");
    let u1 = format!("{mp}-u1");
    let u2 = format!("{mp}-u2");
    let c3 = format!("{mp}-c3");

    // before any register: the scripts deny publishes and subscribes
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, "a/b/c", 0)), denied("not_authorized"));
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &c1, &u1, &[("a/b/c", 0)])), denied("not_authorized"));

    // wrong password, unknown user, unknown client for a user without a
    // default row, missing password
    assert_eq!(call(e, "auth_on_register", register(mp, &c1, &u1, "pw-wrong")), denied("invalid_credentials"));
    assert_eq!(call(e, "auth_on_register", register(mp, &c1, &u1, "")), denied("invalid_credentials"));
    assert_eq!(call(e, "auth_on_register", register(mp, &c1, &format!("{mp}-nobody"), "pw-one")), denied("invalid_credentials"));
    assert_eq!(call(e, "auth_on_register", register(mp, &format!("{mp}-other"), &u1, "pw-one")), denied("invalid_credentials"));
    assert_eq!(call(e, "auth_on_register", register("otherm", &c1, &u1, "pw-one")), denied("invalid_credentials"));
    let mut no_pw = register(mp, &c1, &u1, "");
    no_pw.as_object_mut().unwrap().remove("password");
    assert_eq!(call(e, "auth_on_register", no_pw), denied("invalid_credentials"));
    // still nothing cached
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, "a/b/c", 0)), denied("not_authorized"));

    // the right password
    assert_eq!(call(e, "auth_on_register", register(mp, &c1, &u1, "pw-one")), ok());
    for topic in ["a/b/c", "c/b/x", "c/b/x/y"] {
        assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, topic, 2)), ok(), "{topic}");
    }
    let own = format!("users/{u1}/inbox");
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, &own, 1)), ok());
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, &own, 2)), denied("not_authorized"), "max_qos 1");
    for topic in ["x/y", "a/b", "a/b/c/d", "users/someone-else/inbox", "default/x"] {
        assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, topic, 0)), denied("not_authorized"), "{topic}");
    }
    let sub_own = format!("sub/{c1}/x");
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &c1, &u1, &[("a/b/c", 1), (&sub_own, 2)])), ok());
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &c1, &u1, &[("a/b/c", 1), ("c/b/x", 0)])), denied("not_authorized"));
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &c1, &u1, &[("sub/other-client/x", 0)])), denied("not_authorized"));

    // MQTT 5 register goes through the same function
    assert_eq!(call(e, "auth_on_register_m5", register_m5(mp, &c1, &u1, "pw-one")), ok());
    assert_eq!(call(e, "auth_on_register_m5", register_m5(mp, &c1, &u1, "pw-bad")), denied("invalid_credentials"));

    // offline: the cache entries go (one row per register), then the
    // scripts deny again
    for _ in 0..2 {
        assert_eq!(call(e, "on_client_offline", gone(mp, &c1)), json!({}));
    }
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c1, &u1, "a/b/c", 0)), denied("not_authorized"));

    // the default row (client_id '*') serves any client of user 2
    let any = format!("{mp}-any");
    assert_eq!(call(e, "auth_on_register", register(mp, &any, &u2, "pw-two")), ok());
    assert_eq!(call(e, "auth_on_publish", publish(mp, &any, &u2, "default/x", 0)), ok());
    assert_eq!(call(e, "auth_on_publish", publish(mp, &any, &u2, "specific/x", 0)), denied("not_authorized"));
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &any, &u2, &[("default/x", 0)])), denied("not_authorized"), "no subscribe ACLs");
    assert_eq!(call(e, "auth_on_register", register(mp, &any, &u2, "pw-three")), denied("invalid_credentials"));

    // a row naming client 3 wins over the default row
    assert_eq!(call(e, "auth_on_register", register(mp, &c3, &u2, "pw-three")), ok());
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c3, &u2, "specific/x", 0)), ok());
    assert_eq!(call(e, "auth_on_subscribe", subscribe(mp, &c3, &u2, &[("specific/y", 0)])), ok());
    assert_eq!(call(e, "auth_on_publish", publish(mp, &c3, &u2, "default/x", 0)), denied("not_authorized"));
    assert_eq!(call(e, "on_client_gone", gone(mp, &any)), json!({}));
    assert_eq!(call(e, "on_client_gone", gone(mp, &c3)), json!({}));
}

/// One entry of the scenario: who, the password in clear, the ACLs as JSON.
pub struct Entry {
    pub client_id: String,
    pub username: String,
    pub password: &'static str,
    pub publish_acl: &'static str,
    pub subscribe_acl: &'static str,
}

/// The entries [`check_scenario`] expects in the database for `mp`.
pub fn entries(mp: &str) -> Vec<Entry> {
    vec![
        Entry {
            client_id: format!("{mp}-c1"),
            username: format!("{mp}-u1"),
            password: "pw-one",
            publish_acl: r#"[{"pattern":"a/b/c"},{"pattern":"c/b/#"},{"pattern":"users/%u/#","max_qos":1}]"#,
            subscribe_acl: r#"[{"pattern":"a/b/c"},{"pattern":"sub/%c/+"}]"#,
        },
        Entry {
            client_id: "*".into(),
            username: format!("{mp}-u2"),
            password: "pw-two",
            publish_acl: r#"[{"pattern":"default/#"}]"#,
            subscribe_acl: r#"[]"#,
        },
        Entry {
            client_id: format!("{mp}-c3"),
            username: format!("{mp}-u2"),
            password: "pw-three",
            publish_acl: r#"[{"pattern":"specific/#"}]"#,
            subscribe_acl: r#"[{"pattern":"specific/#"}]"#,
        },
    ]
}

/// A bcrypt hash with the `$2a$` prefix VerneMQ's docs ask for (cost 4:
/// fast tests).
pub fn bcrypt_2a(password: &str) -> String {
    bcrypt::hash_with_result(password, 4).expect("bcrypt").format_for_version(bcrypt::Version::TwoA)
}

// ------------------------------------------------------------------ seeding

/// A Tokio runtime and the providers, to seed databases with the
/// statements README.md documents.
pub struct Seeder {
    pub rt: tokio::runtime::Runtime,
    pub providers: Providers,
}

impl Seeder {
    pub fn new() -> Seeder {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        Seeder { rt, providers: Providers::new(ProvidersConfig::vernemq_defaults()) }
    }

    pub fn call(&self, module: &str, function: &str, args: &[PValue]) -> PValue {
        self.rt.block_on(self.providers.call(module, function, args)).unwrap_or_else(|e| panic!("seeding: {module}.{function}: {e}"))
    }

    /// Run every `;`-terminated statement of a schema file (no `;` inside
    /// statements; `--` comment lines skipped). A statement may fail only
    /// when `tolerate` says so (e.g. a concurrent CREATE ... IF NOT EXISTS).
    pub fn run_sql_file(&self, module: &str, pool: &str, file: &str) {
        let text = std::fs::read_to_string(scripts_dir().join("auth").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let body: String = text.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
        for stmt in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            // two test binaries may create the table at the same moment;
            // retry once if the first attempt lost that race
            let args = [PValue::str(pool), PValue::str(stmt)];
            let first = self.rt.block_on(self.providers.call(module, "execute", &args));
            if !matches!(first, Ok(PValue::Bool(false)) | Err(_)) {
                continue;
            }
            std::thread::sleep(Duration::from_millis(200));
            let again = self.call(module, "execute", &args);
            assert!(!matches!(again, PValue::Bool(false)), "{file}: statement failed: {stmt}");
        }
    }
}

pub fn s(v: &str) -> PValue {
    PValue::str(v)
}

// ------------------------------------------------------------------ proxy

/// A TCP proxy on 127.0.0.1 in front of a test server. `cut` closes the
/// listening socket (new connections are refused, as by a stopped server)
/// and drops every proxied connection; `restore` listens again on the same
/// port. Runs on its own runtime, independent of the engine's.
pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    rt: tokio::runtime::Runtime,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    up: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(target: SocketAddr) -> Proxy {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("proxy bind");
        let addr = listener.local_addr().unwrap();
        let p = Proxy { addr, target, rt, tasks: Arc::new(Mutex::new(Vec::new())), up: Arc::new(AtomicBool::new(true)) };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let target = self.target;
        let tasks = self.tasks.clone();
        let tasks2 = self.tasks.clone();
        let h = self.rt.spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks2.lock().unwrap().push(conn.abort_handle());
            }
        });
        tasks.lock().unwrap().push(h.abort_handle());
    }

    /// Stop accepting (connection refused) and drop the open connections.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        // the aborted tasks drop their sockets on the proxy's runtime;
        // wait until the port really refuses
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
            assert!(Instant::now() < deadline, "proxy port still accepting after cut");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Listen again on the same port.
    pub fn restore(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match self.rt.block_on(tokio::net::TcpListener::bind(self.addr)) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(Instant::now() < deadline, "proxy rebind {}: {e}", self.addr);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        self.serve(listener);
        self.up.store(true, Ordering::SeqCst);
    }
}

// ------------------------------------------------------------------ outage

/// One hook call of the outage stream.
#[derive(Debug, Clone)]
pub struct Sample {
    pub started: Instant,
    pub took: Duration,
    pub result: Value,
}

/// Phases of [`outage_stream`], as instants.
#[derive(Debug)]
pub struct Phases {
    pub cut_at: Instant,
    pub cut_done: Instant,
    pub restored_at: Instant,
}

/// The outage test of one auth script: its provider pool goes through a
/// [`Proxy`] to the server `svc`, the deadline is 3 s, and
/// [`outage_stream`] cuts and restores the proxy under a stream of registers
/// by the second seeded entry of mountpoint `mp` (the `*` row: any client).
pub fn outage_test(script: &str, svc: &HashMap<String, String>, mp: &str) -> Vec<Sample> {
    let target = format!("{}:{}", svc["host"], svc["port"]).parse().unwrap();
    let proxy = Proxy::start(target);
    let conf = format!("{}\nvmq_diversity.limits.deadline = 3s", provider_conf(script, svc, Some(proxy.addr)));
    let e = auth_engine(script, &conf, |_| {});
    let entry = &entries(mp)[1];
    outage_stream(&e, &proxy, mp, &entry.username, entry.password, Duration::from_secs(5))
}

/// Drive `callers` threads calling `auth_on_register` with the right
/// password in a loop; cut the proxy once calls succeed, restore it after
/// at least 1.5 s and 4 calls answered while cut, keep going until the
/// calls succeed again (at most 30 s) plus a few more rounds. Then
/// check: no call took longer than `bound` (the deadline plus slack); calls
/// made while the database was cut were answered with a deny or `next`;
/// calls succeed after the restore, without a new engine.
pub fn outage_stream(e: &Engine, proxy: &Proxy, mp: &str, user: &str, password: &str, bound: Duration) -> Vec<Sample> {
    let callers = 4;
    let stop = AtomicBool::new(false);
    let samples: Mutex<Vec<Sample>> = Mutex::new(Vec::new());
    let phases = std::thread::scope(|scope| {
        for i in 0..callers {
            let (stop, samples) = (&stop, &samples);
            let client = format!("{mp}-stream{i}");
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let result = call(e, "auth_on_register", register(mp, &client, user, password));
                    let took = started.elapsed();
                    samples.lock().unwrap().push(Sample { started, took, result });
                    // keep the cache from growing a row per call
                    call(e, "on_client_offline", gone(mp, &client));
                }
            });
        }
        let ok_since = |t: Instant| samples.lock().unwrap().iter().filter(|s| s.started >= t && s.result == ok()).count();
        let t0 = Instant::now();
        // healthy: a few successes first
        while ok_since(t0) < 8 {
            assert!(t0.elapsed() < Duration::from_secs(20), "no successful call before the outage");
            std::thread::sleep(Duration::from_millis(20));
        }
        let cut_at = Instant::now();
        proxy.cut();
        let cut_done = Instant::now();
        // down for at least 1.5 s and until a few calls have been made
        // entirely while down (a backend that fails slowly, like mongodb's
        // server selection, answers about once a second per caller)
        let answered_while_down = || samples.lock().unwrap().iter().filter(|s| s.started >= cut_done).count();
        std::thread::sleep(Duration::from_millis(1500));
        while answered_while_down() < 4 {
            assert!(cut_done.elapsed() < Duration::from_secs(20), "calls stopped answering while the database was cut");
            std::thread::sleep(Duration::from_millis(20));
        }
        let restored_at = Instant::now();
        proxy.restore();
        // recovered: successes again, then a few more rounds
        while ok_since(restored_at) < 8 {
            assert!(
                restored_at.elapsed() < Duration::from_secs(30),
                "calls did not succeed again within 30 s after the database came back"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = Instant::now();
        while ok_since(after) < 8 {
            assert!(after.elapsed() < Duration::from_secs(30), "successes stopped after the recovery");
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::SeqCst);
        Phases { cut_at, cut_done, restored_at }
    });
    let samples = samples.into_inner().unwrap();
    let slowest = samples.iter().map(|s| s.took).max().unwrap_or_default();
    eprintln!(
        "{mp}: {} calls, slowest {slowest:?}, cut {:?} .. restore {:?}",
        samples.len(),
        phases.cut_done - phases.cut_at,
        phases.restored_at - phases.cut_at
    );
    for s in &samples {
        assert!(s.took < bound, "a call took {:?} (bound {bound:?}): {}", s.took, s.result);
        let allowed = [ok(), denied("invalid_credentials"), denied("plugin_chain_exhausted"), json!({"result": "next"})];
        assert!(allowed.contains(&s.result), "unexpected answer {}", s.result);
    }
    // calls that started after the cut and ended before the restore
    let during: Vec<&Sample> =
        samples.iter().filter(|s| s.started >= phases.cut_done && s.started + s.took <= phases.restored_at).collect();
    assert!(!during.is_empty(), "no call ran while the database was cut");
    for s in &during {
        assert_ne!(s.result, ok(), "a call was accepted while the database was cut");
    }
    eprintln!("{mp}: {} calls answered while cut, e.g. {}", during.len(), during[0].result);
    samples
}
