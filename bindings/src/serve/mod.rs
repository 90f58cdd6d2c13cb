//! `oxilua-vmq serve`: the hook engine behind an HTTP server speaking
//! VerneMQ's `vmq_webhooks` protocol (reference §9, DECISIONS.md §5), so an
//! existing VerneMQ cluster runs `vmq_diversity` scripts out of process.
//!
//! # Protocol
//! - `POST <any path>` with the header `vernemq-hook: <hook>` and the
//!   per-hook JSON body of §9.3 → `200` with the §9.4 body:
//!   `{"result":"ok"}`, `{"result":"ok","modifiers":{...}}`,
//!   `{"result":"ok","topics":[...]}` (`auth_on_subscribe`,
//!   `on_unsubscribe`), `{"result":"next"}`, `{"result":{"error":"..."}}`,
//!   `{}` for notification hooks.
//! - A request the engine cannot take (no or unknown `vernemq-hook`, body
//!   not JSON, a field of the wrong type, body over the size limit) →
//!   `400`/`413` with `{"error": "<what and where>"}`. VerneMQ counts any
//!   non-200 as an error of that hook (§9.4), which fails closed for auth
//!   hooks.
//! - `cache-control: max-age=N` on `ok` results (with or without modifiers)
//!   of the hooks VerneMQ caches (§9.5: `auth_on_register`,
//!   `auth_on_publish`, `auth_on_subscribe` and their `_m5` variants) when
//!   `vmq_diversity.webhooks.cache_max_age` is above 0; never on `next` or
//!   errors (VerneMQ would not cache them either).
//! - `GET /metrics`: Prometheus text ([`metrics`]); `GET /health`:
//!   `{"status":"ok","scripts":[...],"load_errors":[...]}`.
//!
//! # Lifecycle
//! - [`Sidecar::load`] loads the scripts (configuration order, then the
//!   `--script`s) once; every request shares the engine (its state pools
//!   queue calls FIFO, one call per state at a time).
//! - [`Sidecar::reload`] (SIGHUP) reloads every script through the
//!   engine's `reload_all`: each script is replaced atomically only if all
//!   its states load the new version; a script that fails keeps its old
//!   version serving, and the error is logged with file and line. Requests
//!   already running finish on the version they started with.
//!   Process-wide `kv` tables and the ACL cache survive reloads.
//! - Per-script metrics come from the engine's call observer
//!   ([`crate::engine::EngineOptions::observer`]).
//! - [`Server::shutdown`] (SIGTERM/SIGINT): stop accepting, let requests in
//!   flight finish (bounded by [`ServeOptions::shutdown_grace`]), close idle
//!   keep-alive connections.

pub mod cli;
pub mod loadgen;
pub mod metrics;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::{json, Value as Json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::engine::{CallOutcome, CallRecord, Engine, EngineOptions, LoadError};
use crate::hooks::{Hook, HookArgs, HookResult, WebhookOptions};
pub use metrics::{BadRequest, Metrics};

/// Default request body limit (payloads arrive base64-encoded inside).
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// How the sidecar answers.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Listen address (`vmq_diversity.webhooks.listen`, `--listen`).
    pub listen: SocketAddr,
    /// Payload encoding (`vmq_diversity.webhooks.base64payload`).
    pub webhook: WebhookOptions,
    /// `Some(n)`, n > 0: `cache-control: max-age=n` on cacheable ok results.
    pub cache_max_age: Option<u32>,
    /// Request bodies above this many bytes are refused with 413.
    pub max_body: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions::from_config(&Config::default())
    }
}

impl ServeOptions {
    pub fn from_config(cfg: &Config) -> ServeOptions {
        ServeOptions {
            listen: cfg.webhook.listen,
            webhook: WebhookOptions { base64: cfg.webhook.base64 },
            cache_max_age: cfg.webhook.cache_max_age.filter(|n| *n > 0),
            max_body: DEFAULT_MAX_BODY,
            // a hook call is bounded by the deadline; leave room for one
            // queued behind another on the same state
            shutdown_grace: cfg.limits.deadline * 2 + Duration::from_secs(1),
        }
    }
}

/// The hooks whose ok results VerneMQ caches on `cache-control: max-age` (§9.5).
pub fn is_cacheable(hook: Hook) -> bool {
    matches!(
        hook,
        Hook::AuthOnRegister
            | Hook::AuthOnRegisterM5
            | Hook::AuthOnPublish
            | Hook::AuthOnPublishM5
            | Hook::AuthOnSubscribe
            | Hook::AuthOnSubscribeM5
    )
}

/// What a reload did.
#[derive(Debug)]
pub struct ReloadReport {
    /// Scripts whose new version failed to load: their old version (if
    /// they had one) keeps serving.
    pub errors: Vec<LoadError>,
    /// Scripts serving after the reload.
    pub scripts: usize,
}

/// The engine and the metrics: everything a request needs.
pub struct Sidecar {
    engine: Engine,
    opts: ServeOptions,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Sidecar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sidecar").field("engine", &self.engine).field("opts", &self.opts).finish()
    }
}

fn outcome_name(o: CallOutcome) -> &'static str {
    match o {
        CallOutcome::Ok => "ok",
        CallOutcome::Next => "next",
        CallOutcome::Error => "error",
        CallOutcome::ScriptError => "script_error",
    }
}

impl Sidecar {
    /// Load the scripts; the engine runs on the current runtime and reports
    /// every script call to the metrics. Load failures are logged and kept
    /// in `engine().load_errors()`; the other scripts serve.
    pub async fn load(paths: Vec<PathBuf>, mut engine_opts: EngineOptions, opts: ServeOptions) -> Arc<Sidecar> {
        let metrics = Arc::new(Metrics::new());
        let m = metrics.clone();
        let user_observer = engine_opts.observer.take();
        engine_opts.observer = Some(Arc::new(move |r: &CallRecord| {
            m.record_script(&r.script.display().to_string(), r.hook, outcome_name(r.outcome), r.elapsed);
            if let Some(o) = &user_observer {
                o(r);
            }
        }));
        if engine_opts.runtime.is_none() {
            engine_opts.runtime = Some(tokio::runtime::Handle::current());
        }
        let engine = Engine::load_async(&paths, engine_opts).await;
        metrics.set_scripts(engine.scripts().len(), engine.load_errors().len());
        Arc::new(Sidecar { engine, opts, metrics })
    }

    /// The engine (a cheap handle).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn options(&self) -> &ServeOptions {
        &self.opts
    }

    /// Reload every script, each atomically: a script whose new version
    /// fails to load keeps its old version serving (see the module docs).
    pub async fn reload(&self) -> ReloadReport {
        let errors = self.engine.reload_all_async().await;
        let scripts = self.engine.scripts().len();
        for e in &errors {
            tracing::error!(target: "oxilua_vmq::serve", "reload: {e} (its previous version, if any, keeps serving)");
        }
        self.metrics.set_scripts(scripts, self.engine.load_errors().len());
        self.metrics.record_reload(errors.is_empty());
        if errors.is_empty() {
            tracing::info!(target: "oxilua_vmq::serve", scripts, "reload: new versions serving");
        } else {
            tracing::warn!(target: "oxilua_vmq::serve", scripts, failed = errors.len(), "reload: some scripts kept their previous version");
        }
        ReloadReport { errors, scripts }
    }

    /// Answer one HTTP request.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        match (req.method(), path) {
            (&Method::GET, "/metrics") => {
                let mut r = Response::new(Full::new(Bytes::from(self.metrics.render())));
                r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
                r
            }
            (&Method::GET, "/health") => {
                let engine = &self.engine;
                let scripts: Vec<Json> = engine
                    .scripts()
                    .iter()
                    .map(|s| {
                        json!({
                            "path": s.path.display().to_string(),
                            "hooks": s.hooks.iter().map(|h| h.name()).collect::<Vec<_>>(),
                            "num_states": s.num_states,
                        })
                    })
                    .collect();
                let errors: Vec<String> = engine.load_errors().iter().map(|e| e.to_string()).collect();
                json_response(StatusCode::OK, &json!({"status": "ok", "scripts": scripts, "load_errors": errors}))
            }
            (_, "/metrics" | "/health") => {
                self.metrics.record_bad_request(BadRequest::WrongMethod);
                let mut r = error_response(StatusCode::METHOD_NOT_ALLOWED, format!("{path}: only GET"));
                r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
                r
            }
            (&Method::POST, _) => self.webhook(req).await,
            _ => {
                self.metrics.record_bad_request(BadRequest::WrongMethod);
                let mut r = error_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("{} {path}: webhooks are POST requests with a vernemq-hook header; GET /metrics, GET /health", req.method()),
                );
                r.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
                r
            }
        }
    }

    fn bad(&self, why: BadRequest, status: StatusCode, message: String) -> Response<Full<Bytes>> {
        self.metrics.record_bad_request(why);
        tracing::warn!(target: "oxilua_vmq::serve", "bad request: {message}");
        error_response(status, message)
    }

    async fn webhook(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let hook = match req.headers().get("vernemq-hook") {
            None => {
                return self.bad(
                    BadRequest::MissingHookHeader,
                    StatusCode::BAD_REQUEST,
                    "missing header vernemq-hook (the hook name)".into(),
                )
            }
            Some(v) => match v.to_str().ok().and_then(|s| Hook::from_name(s.trim())) {
                Some(h) => h,
                None => {
                    let shown = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    return self.bad(
                        BadRequest::UnknownHook,
                        StatusCode::BAD_REQUEST,
                        format!("header vernemq-hook: unknown hook {shown:?}"),
                    );
                }
            },
        };
        let body = match Limited::new(req.into_body(), self.opts.max_body).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return self.bad(
                    BadRequest::TooLarge,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("{hook}: request body larger than {} bytes", self.opts.max_body),
                )
            }
            Err(e) => return self.bad(BadRequest::InvalidBody, StatusCode::BAD_REQUEST, format!("{hook}: reading the request body: {e}")),
        };
        let start = Instant::now();
        let json: Json = match serde_json::from_slice(&body) {
            Ok(j) => j,
            Err(e) => return self.bad(BadRequest::InvalidJson, StatusCode::BAD_REQUEST, format!("{hook}: request body is not JSON: {e}")),
        };
        let opts = self.opts.webhook;
        let args = match HookArgs::from_webhook(hook, &json, opts) {
            Ok(a) => a,
            Err(e) => return self.bad(BadRequest::InvalidBody, StatusCode::BAD_REQUEST, format!("{hook}: request body: {e}")),
        };
        let in_flight = self.metrics.in_flight();
        let result = self.engine.call_hook_async(hook, &args).await;
        drop(in_flight);
        let elapsed = start.elapsed();
        self.metrics.record_hook(hook, &result, elapsed);
        let body = result.to_webhook_json(hook, opts);
        tracing::debug!(target: "oxilua_vmq::serve", hook = hook.name(), elapsed_us = elapsed.as_micros() as u64, "{body}");
        let mut resp = json_response(StatusCode::OK, &body);
        if let Some(n) = self.opts.cache_max_age {
            if is_cacheable(hook) && matches!(result, HookResult::Ok | HookResult::OkModifiers(_)) {
                if let Ok(v) = HeaderValue::from_str(&format!("max-age={n}")) {
                    resp.headers_mut().insert(CACHE_CONTROL, v);
                }
            }
        }
        resp
    }
}

fn json_response(status: StatusCode, body: &Json) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error_response(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": message }))
}

/// A running HTTP server.
pub struct Server {
    addr: SocketAddr,
    sidecar: Arc<Sidecar>,
    stop: watch::Sender<bool>,
    task: JoinHandle<bool>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Listen on `sidecar.options().listen` (port 0: an ephemeral port,
    /// see [`Server::local_addr`]) and serve until [`Server::shutdown`].
    pub async fn bind(sidecar: Arc<Sidecar>) -> io::Result<Server> {
        let listener = TcpListener::bind(sidecar.opts.listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, sidecar.clone(), stopped));
        Ok(Server { addr, sidecar, stop, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn sidecar(&self) -> &Arc<Sidecar> {
        &self.sidecar
    }

    /// Stop accepting, finish the requests in flight, close the
    /// connections. `true` if everything finished within the grace period.
    pub async fn shutdown(self) -> bool {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(false)
    }
}

async fn accept_loop(listener: TcpListener, sidecar: Arc<Sidecar>, mut stopped: watch::Receiver<bool>) -> bool {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // out of file descriptors and the like: wait, retry
                        tracing::warn!(target: "oxilua_vmq::serve", "accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let sc = sidecar.clone();
                let service = hyper::service::service_fn(move |req| {
                    let sc = sc.clone();
                    async move { Ok::<_, Infallible>(sc.handle(req).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(target: "oxilua_vmq::serve", %peer, "connection: {e}");
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(target: "oxilua_vmq::serve", connections = open, "stopped accepting; finishing requests in flight");
    let grace = sidecar.opts.shutdown_grace;
    match tokio::time::timeout(grace, graceful.shutdown()).await {
        Ok(()) => true,
        Err(_) => {
            tracing::warn!(target: "oxilua_vmq::serve", "requests still in flight after {grace:?}; closing anyway");
            false
        }
    }
}
