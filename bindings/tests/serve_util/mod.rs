//! Helpers of the `serve_*` tests: Lua scripts in a fresh temporary
//! directory, an in-process server on an ephemeral port, and requests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oxilua_vmq::engine::EngineOptions;
use oxilua_vmq::serve::loadgen::{Client, HttpResponse};
use oxilua_vmq::serve::{ServeOptions, Server, Sidecar};
use serde_json::Value as Json;

/// A fresh directory under the system temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!("oxilua-serve-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a temporary directory");
    d
}

pub fn write(dir: &Path, name: &str, src: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, src).expect("write a script");
    p
}

/// Start a server on 127.0.0.1:0 with `scripts` (loaded in order).
pub async fn start(scripts: &[PathBuf], tweak: impl FnOnce(&mut ServeOptions)) -> Server {
    start_with(scripts, EngineOptions::default(), tweak).await
}

/// [`start`] with engine options.
pub async fn start_with(scripts: &[PathBuf], engine: EngineOptions, tweak: impl FnOnce(&mut ServeOptions)) -> Server {
    let mut opts = ServeOptions { listen: "127.0.0.1:0".parse().expect("address"), ..ServeOptions::default() };
    tweak(&mut opts);
    let sidecar: Arc<Sidecar> = Sidecar::load(scripts.to_vec(), engine, opts).await;
    Server::bind(sidecar).await.expect("bind 127.0.0.1:0")
}

pub async fn connect(addr: SocketAddr) -> Client {
    Client::connect(addr).await.expect("connect to the server")
}

/// One webhook on a new connection.
pub async fn hook(addr: SocketAddr, hook: &str, body: Json) -> HttpResponse {
    connect(addr).await.webhook(hook, &body).await.expect("webhook request")
}

/// `GET /metrics` as text.
pub async fn metrics(addr: SocketAddr) -> String {
    let r = connect(addr).await.get("/metrics").await.expect("GET /metrics");
    assert_eq!(r.status, 200);
    r.text()
}

/// The value of the sample `line_start` (`name{labels}`) in a metrics text.
pub fn sample(metrics: &str, line_start: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.trim().parse().ok())
}

/// "Did not hang" bound for one request.
pub const BOUND: Duration = Duration::from_secs(30);

pub async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, f).await.unwrap_or_else(|_| panic!("{what}: no answer within {BOUND:?}"))
}

/// `bindings/examples/plugin.lua`.
pub fn repo_plugin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugin.lua")
}
