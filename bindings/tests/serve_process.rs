//! The built `oxilua-vmq serve` binary as a child process: SIGHUP reload
//! (good and broken new versions), SIGTERM with a request in flight (the
//! request is answered, the process exits 0), configuration from a
//! `vernemq.conf`.
#![cfg(unix)]

mod serve_util;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::json;
use serve_util::*;

/// The child, killed if the test fails before it exits.
struct Serve {
    child: Child,
    lines: Receiver<String>,
    /// Every standard error line read so far (for failure messages).
    seen: Vec<String>,
    addr: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oxilua-vmq"))
            .arg("serve")
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start oxilua-vmq serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut s = Serve { child, lines, seen: Vec::new(), addr: "127.0.0.1:0".parse().expect("address") };
        let l = s.wait_for("listening on ");
        let addr = l.rsplit("listening on ").next().unwrap_or_default().trim();
        s.addr = addr.parse().unwrap_or_else(|e| panic!("address in {l:?}: {e}"));
        s
    }

    /// The next standard error line containing `what` (30 s bound).
    fn wait_for(&mut self, what: &str) -> String {
        let end = Instant::now() + BOUND;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(what) {
                        return l;
                    }
                }
                Err(_) => panic!("no log line with {what:?}; the server said:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status().expect("run kill").success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Wait for the exit (30 s bound).
    fn exit_code(&mut self) -> Option<i32> {
        let end = Instant::now() + BOUND;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st.code();
            }
            assert!(Instant::now() < end, "the server did not exit within {BOUND:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn versioned(n: u32) -> String {
    format!(
        "function auth_on_register(r) return {{ max_inflight_messages = {n} }} end\n\
         hooks = {{ auth_on_register = auth_on_register }}\n"
    )
}

fn register() -> serde_json::Value {
    json!({"peer_addr": "127.0.0.1", "peer_port": 1, "mountpoint": "", "client_id": "p1",
           "username": "u", "password": "p", "clean_session": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_broken_version_keeps_the_old_one() {
    let dir = temp_dir("hup");
    let script = write(&dir, "versioned.lua", &versioned(1));
    let other = write(&dir, "other.lua", &versioned(100).replace("auth_on_register", "on_register"));
    let mut s = Serve::start(&[
        "--script",
        script.to_str().expect("utf-8 path"),
        "--script",
        other.to_str().expect("utf-8 path"),
        "--listen",
        "127.0.0.1:0",
    ]);
    let inflight = |r: serde_json::Value| r["modifiers"]["max_inflight_messages"].clone();
    // one keep-alive connection across the reloads
    let mut c = connect(s.addr).await;
    let r = bounded("v1", c.webhook("auth_on_register", &register())).await.expect("request");
    assert_eq!(inflight(r.json()), json!(1));

    write(&dir, "versioned.lua", &versioned(2));
    s.signal("HUP");
    s.wait_for("reload: new versions serving");
    let r = bounded("v2", c.webhook("auth_on_register", &register())).await.expect("request");
    assert_eq!(inflight(r.json()), json!(2));

    write(&dir, "versioned.lua", "function auth_on_register(r)\n  return {\nend\n");
    s.signal("HUP");
    let e = s.wait_for("reload: ");
    assert!(e.contains("versioned.lua:3:"), "the error names file and line: {e}");
    s.wait_for("kept their previous version");
    let r = bounded("still v2", c.webhook("auth_on_register", &register())).await.expect("request");
    assert_eq!(inflight(r.json()), json!(2), "the old version keeps serving");
    let r = bounded("health", c.get("/health")).await.expect("request");
    assert_eq!(r.json()["scripts"].as_array().map(Vec::len), Some(2));

    s.signal("TERM");
    assert_eq!(s.exit_code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_the_request_in_flight_then_exits_0() {
    let dir = temp_dir("term");
    let script = write(
        &dir,
        "slow.lua",
        r#"
function auth_on_publish(p)
  log.info("slow call started")
  -- busy for a while (counted, not timed: a loaded machine only makes it longer)
  local n = 0
  for i = 1, 3000000 do n = n + i end
  return { topic = "done/" .. p.topic }
end
hooks = { auth_on_publish = auth_on_publish }
"#,
    );
    // a generous deadline: the call must not be cut short on a loaded machine
    let conf = write(&dir, "vernemq.conf", "vmq_diversity.limits.deadline = 25s\n");
    let mut s = Serve::start(&[
        "--config",
        conf.to_str().expect("utf-8 path"),
        "--script",
        script.to_str().expect("utf-8 path"),
        "--listen",
        "127.0.0.1:0",
    ]);
    let mut c = connect(s.addr).await;
    let body = json!({"username": "u", "mountpoint": "", "client_id": "p2", "qos": 0, "topic": "a/b",
                      "payload": "aGk=", "retain": false})
    .to_string();
    c.send("POST", "/", &[("vernemq-hook", "auth_on_publish")], body.as_bytes()).await.expect("send");
    s.wait_for("slow call started");
    s.signal("TERM");
    let r = bounded("in-flight answer", c.read_response()).await.expect("the request in flight is answered");
    assert_eq!(r.status, 200);
    let code = s.exit_code();
    while let Ok(l) = s.lines.recv_timeout(Duration::from_millis(200)) {
        s.seen.push(l);
    }
    let log = s.seen.join("\n");
    assert_eq!(r.json(), json!({"result": "ok", "modifiers": {"topic": "done/a/b"}}), "{log}");
    assert_eq!(code, Some(0), "graceful exit:\n{log}");
    assert!(oxilua_vmq::serve::loadgen::Client::connect(s.addr).await.is_err(), "nothing listens after the exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vernemq_conf_configures_scripts_listen_address_and_cache() {
    let dir = temp_dir("conf");
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).expect("mkdir");
    write(&scripts, "allow.lua", &versioned(3));
    // a free port: bind, note it, release it
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let conf = write(
        &dir,
        "vernemq.conf",
        &format!(
            "# broker settings are ignored\nlistener.tcp.default = 127.0.0.1:1883\n\
             vmq_diversity.script_dir = {}\n\
             vmq_diversity.webhooks.listen = 127.0.0.1:{port}\n\
             vmq_diversity.webhooks.cache_max_age = 60\n",
            scripts.display()
        ),
    );
    let mut s = Serve::start(&["--config", conf.to_str().expect("utf-8 path")]);
    assert_eq!(s.addr.port(), port);
    let r = hook(s.addr, "auth_on_register", register()).await;
    assert_eq!(r.json(), json!({"result": "ok", "modifiers": {"max_inflight_messages": 3}}));
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    s.signal("INT");
    assert_eq!(s.exit_code(), Some(0));
}

#[test]
fn bad_command_lines_fail_with_a_message() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_oxilua-vmq")).args(args).output().expect("run oxilua-vmq");
    let o = run(&["serve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no scripts"), "{o:?}");
    let o = run(&["serve", "--script", "x.lua", "--listen", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--listen \"nowhere\""), "{o:?}");
    let dir = temp_dir("badconf");
    let conf = write(&dir, "vernemq.conf", "vmq_diversity.webhooks.listen = not-an-address\n");
    let o = run(&["serve", "--config", conf.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("vernemq.conf:1"), "{err}");
    let _ = Path::new(&conf);
}
