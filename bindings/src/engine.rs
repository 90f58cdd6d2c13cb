//! The hook engine: `vmq_diversity` scripts loaded into oxilua states and
//! called per hook (reference §2-4, DECISIONS.md §4), on the public
//! `oxilua` API only.
//!
//! ```no_run
//! use oxilua_vmq::engine::{Engine, EngineOptions};
//! use oxilua_vmq::hooks::{Hook, HookArgs, WebhookOptions};
//! let engine = Engine::load(&["plugin.lua".into()], EngineOptions::default());
//! for e in engine.load_errors() { eprintln!("{e}"); }
//! let body = serde_json::json!({"client_id": "c1", "username": "u", "password": "p"});
//! let args = HookArgs::from_webhook(Hook::AuthOnRegister, &body, WebhookOptions::default()).unwrap();
//! let result = engine.call_hook(Hook::AuthOnRegister, &args);
//! ```
//!
//! # Loading (per script, per state)
//! 1. a sandboxed state (no `debug`, no file/process access unless
//!    `unsafe_os`); `print`/`io.write` go to standard error so that a
//!    host speaking on standard output (the `call` command) is not disturbed;
//! 2. `package.path .. ";<script_dir>/?.lua;<dir of the script>/?.lua"`;
//!    sandboxed states get a searcher that loads Lua files from exactly these
//!    directories (so `require "auth/auth_commons"` works without file access);
//! 3. `__SCRIPT_INSTANCE_ID__ = 1..N`;
//! 4. the modules `json`, `log`, `bcrypt`, `crypto`, `obf`, `kv`,
//!    `auth_cache`, `vmq_api`, and the provider modules `mysql`, `mysql2`,
//!    `postgres`, `cockroachdb`, `mongodb`, `redis`, `memcached`, `http`
//!    ([`crate::lua_providers`], backed by the engine's one
//!    [`Providers`], shared by all scripts and states) as globals;
//! 5. the file runs asynchronously (so a top-level `ensure_pool` may wait on
//!    its server) under the per-call limits, then `hooks`, `num_states`
//!    and `keep_state` are read. The first state decides the number of
//!    states: `num_states` if the script sets it (> 0), else 1 if
//!    `keep_state` is true, else `nr_lua_states`.
//!
//! Load failures (missing file, syntax error, runtime error, bad
//! `num_states`/`keep_state`, any state of the script failing) are
//! collected as [`LoadError`]s naming file and line; the other scripts
//! still load.
//!
//! # Calls
//! [`Engine::call_hook`] / [`Engine::call_hook_async`] consult the ACL cache
//! first (publish, subscribe, unsubscribe; offline/gone/expired clear it),
//! then run every script that declares the hook in load order with
//! VerneMQ's dispatch ([`crate::hooks::decide`]). Each script call waits
//! for a state of the script's pool (a fair semaphore: FIFO; one call per
//! state at a time) and runs the hook function with `call_async`: a
//! provider call suspends the hook's coroutine, so a hook waiting on a
//! database holds no OS thread and the other states keep answering.
//!
//! Limits (fuel, memory, deadline; [`crate::config::Limits`]) apply to every
//! call. The deadline covers the whole script call, waiting for a state and
//! for providers included: a call that outlives it is cancelled (its state
//! goes back to the pool, its writes rolled back) and is a
//! script error, which continues the chain for auth hooks and so fails
//! closed unless a later script allows.
//!
//! [`EngineOptions::observer`] is told about every script call
//! ([`CallRecord`]: hook, script, time from queueing to answer, outcome).
//!
//! # Runtimes: which method where
//! Calls run as tasks of the engine's tokio runtime
//! ([`EngineOptions::runtime`], by default one process-wide multi-thread
//! runtime that is never dropped); the provider connections live there too.
//! - async code: the `*_async` methods (`call_hook_async`,
//!   `call_webhook_async`, `load_async`, `reload_script_async`...);
//! - synchronous code: the plain methods. From a plain thread they run the
//!   work on that thread through the runtime's handle (the runtime's
//!   workers drive its timers and I/O; no hand-over per call); otherwise
//!   they spawn it on the engine's runtime and wait: from a multi-thread
//!   runtime's worker in `block_in_place`, from a current-thread runtime by
//!   blocking it (correct, but stalls that runtime's other tasks). A
//!   runtime passed in `EngineOptions::runtime` must be multi-thread for
//!   this to be safe.
//!
//! # `keep_state` and failed calls
//! Every call runs inside an oxilua isolation ([`Lua::begin_isolation`]):
//! - `keep_state = false` (VerneMQ's default): rolled back when the call
//!   returns, so every call starts from the state as it was after loading;
//! - `keep_state = true`: committed when the call succeeds, so its writes
//!   persist in that state;
//! - a failed call (Lua error, limit, deadline, 2+ return values) is rolled
//!   back in both modes, as VerneMQ leaves the state unchanged after a
//!   failed call (reference §2.2).
//!
//! The cost is proportional to what the call writes, not to the heap.
//! Process-wide Rust data (`kv`, `auth_cache`, provider pools) is not
//! rolled back. As in VerneMQ the function is looked up as `hooks[<name>]`
//! at every call (the set of hooks a script declares is fixed at load).
//!
//! # Reload
//! [`Engine::reload_script`] loads every state of the new version first and
//! swaps it in (same position in load order) only if all succeed; otherwise
//! the old version keeps serving and the error is returned.
//! [`Engine::load_script`], [`Engine::unload_script`] and
//! [`Engine::reload_all`] complete the set. A call holds the version it
//! started with (`Arc<Script>`), so calls in flight finish on it.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};
use tokio::sync::Semaphore;

use oxilua::prelude::*;
use serde_json::Value as Json;

use crate::config::{self, Config};
use crate::hooks::{decide, script_result, Dispatch, Hook, HookArgs, HookError, HookResult, ScriptResult, WebhookOptions};
use crate::lua_providers;
use crate::luaconv;
use crate::modules::auth_cache::AuthCache;
use crate::modules::bcrypt::Bcrypt;
use crate::modules::kv::KvStore;
use crate::modules::obf::Obfuscator;
use crate::modules::vmq_api::{NoBroker, VmqApi};
use crate::modules::{crypto, json, log, vmq_api, ModuleError};
use crate::providers::{Providers, ProvidersConfig};
use crate::pvalue::PValue;

/// Upper bound for a script's `num_states`.
pub const MAX_STATES: usize = 1024;

/// How scripts are loaded and called.
#[derive(Clone)]
pub struct EngineOptions {
    /// States per script when the script sets neither `num_states` nor
    /// `keep_state = true` (`vmq_diversity.nr_lua_states`).
    pub nr_lua_states: u32,
    /// Default of the script global `keep_state` (see the module docs).
    pub keep_state: bool,
    /// Per-call limits (also applied while a script loads).
    pub limits: config::Limits,
    /// Keep `os.exit/execute/remove/rename/tmpname` and file `io`.
    pub unsafe_os: bool,
    /// `vmq_diversity.script_dir`, appended to `package.path`.
    pub script_dir: Option<PathBuf>,
    pub obf: Arc<Obfuscator>,
    pub bcrypt: Arc<Bcrypt>,
    pub vmq_api: Arc<dyn VmqApi>,
    /// Called once per script call (after it returned), e.g. for metrics.
    pub observer: Option<Observer>,
    /// Defaults of the provider modules' `ensure_pool` (one
    /// [`Providers`] per engine, shared by all its scripts and states).
    pub providers: ProvidersConfig,
    /// The runtime the calls (and the provider connections) run on; by
    /// default a process-wide multi-thread runtime of the engine. A host
    /// may pass its own (multi-thread) runtime's handle.
    pub runtime: Option<Handle>,
}

/// See [`EngineOptions::observer`].
pub type Observer = Arc<dyn Fn(&CallRecord) + Send + Sync>;

/// One script's answer to one hook call, as seen by the observer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The script decided: `true` or a modifier table (all_till_ok hooks).
    Ok,
    /// The script let the chain continue (`nil`, nothing, or any value of
    /// an "all" hook).
    Next,
    /// The script decided a refusal: `false` or an invalid modifier table.
    Error,
    /// The call failed: Lua error, limit exceeded (fuel, memory, deadline),
    /// 2+ return values, no state free before the deadline.
    ScriptError,
}

/// What [`EngineOptions::observer`] is told about each script call.
#[derive(Clone, Copy, Debug)]
pub struct CallRecord<'a> {
    pub hook: Hook,
    pub script: &'a Path,
    /// From the request for a state of the script's pool to the answer
    /// (queueing included, as VerneMQ measures it).
    pub elapsed: Duration,
    pub outcome: CallOutcome,
}

impl CallOutcome {
    fn of(r: &ScriptResult) -> CallOutcome {
        match r {
            ScriptResult::Decided(HookResult::Error(_)) => CallOutcome::Error,
            ScriptResult::Decided(HookResult::Next) | ScriptResult::Continue => CallOutcome::Next,
            ScriptResult::Decided(_) => CallOutcome::Ok,
            ScriptResult::ScriptError(_) => CallOutcome::ScriptError,
        }
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        let secret: [u8; 32] = rand::random();
        EngineOptions {
            nr_lua_states: 1,
            keep_state: false,
            limits: config::Limits::default(),
            unsafe_os: false,
            script_dir: None,
            obf: Arc::new(Obfuscator::new(&secret)),
            bcrypt: Arc::new(Bcrypt::default()),
            vmq_api: Arc::new(NoBroker),
            observer: None,
            providers: ProvidersConfig::vernemq_defaults(),
            runtime: None,
        }
    }
}

impl fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineOptions")
            .field("nr_lua_states", &self.nr_lua_states)
            .field("keep_state", &self.keep_state)
            .field("limits", &self.limits)
            .field("unsafe_os", &self.unsafe_os)
            .field("script_dir", &self.script_dir)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl EngineOptions {
    /// The options an operator's configuration asks for.
    pub fn from_config(cfg: &Config) -> EngineOptions {
        let mut o = EngineOptions {
            nr_lua_states: cfg.nr_lua_states.max(1),
            keep_state: cfg.keep_state,
            limits: cfg.limits,
            unsafe_os: cfg.unsafe_os,
            script_dir: cfg.script_dir.clone(),
            providers: cfg.providers.clone(),
            ..EngineOptions::default()
        };
        if let Some(secret) = &cfg.obf_secret {
            let mut obf = Obfuscator::new(secret);
            if let Some(fb) = &cfg.obf_fallback_secret {
                obf = obf.with_fallback(fb);
            }
            o.obf = Arc::new(obf);
        }
        if let Some(b) = Bcrypt::new(cfg.bcrypt_log_rounds) {
            o.bcrypt = Arc::new(b);
        }
        o
    }

    fn lua_limits(&self) -> LuaLimits {
        LuaLimits {
            instructions: Some(self.limits.fuel),
            memory: Some(self.limits.memory),
            deadline: Some(self.limits.deadline),
            ..LuaLimits::default()
        }
    }
}

/// A script that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    /// The cause; Lua errors carry `file:line:` themselves.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display().to_string();
        if self.message.starts_with(&p) {
            write!(f, "could not load script {p}: {}", self.message)
        } else {
            write!(f, "could not load script {p}: {p}: {}", self.message)
        }
    }
}

impl std::error::Error for LoadError {}

/// One Lua state of a script (the hook functions are looked up in it at
/// call time, as VerneMQ does).
struct State {
    lua: Lua,
}

/// A loaded script (one version of it): its states and the hooks it
/// declares. Calls hold an `Arc<Script>`, so a call finishes on the version
/// it started with even if the script is reloaded or unloaded meanwhile.
struct Script {
    path: PathBuf,
    hooks: BTreeSet<Hook>,
    keep_state: bool,
    states: Vec<State>,
    /// Indices of idle states, oldest first.
    idle: Mutex<VecDeque<usize>>,
    /// One permit per idle state; tokio's semaphore is fair, so waiting
    /// calls get a state in FIFO order.
    free: Semaphore,
}

/// What the host can know about a loaded script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptInfo {
    pub path: PathBuf,
    pub hooks: Vec<Hook>,
    pub num_states: usize,
    pub keep_state: bool,
}

/// A state checked out of a script's pool; back in the pool on drop (also
/// when the call is cancelled by the deadline).
struct Lease {
    script: Arc<Script>,
    idx: usize,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.script.idle.lock().unwrap_or_else(|e| e.into_inner()).push_back(self.idx);
        self.script.free.add_permits(1);
    }
}

impl Script {
    async fn acquire(self: &Arc<Self>) -> Result<Lease, String> {
        let permit = self.free.acquire().await.map_err(|_| "the script's state pool is closed".to_string())?;
        permit.forget();
        let idx = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        match idx {
            Some(idx) => Ok(Lease { script: self.clone(), idx }),
            None => {
                self.free.add_permits(1);
                Err("no idle state although one was signalled (engine bug)".to_string())
            }
        }
    }

    fn info(&self) -> ScriptInfo {
        ScriptInfo {
            path: self.path.clone(),
            hooks: self.hooks.iter().copied().collect(),
            num_states: self.states.len(),
            keep_state: self.keep_state,
        }
    }
}

/// The process-wide runtime of engines that were given none: multi-thread,
/// created on first use, never dropped (so that engines can be dropped
/// anywhere, inside async code included).
fn internal_runtime() -> Handle {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("oxilua-vmq-engine")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("oxilua-vmq: cannot start the engine's tokio runtime: {e}"))
    })
    .handle()
    .clone()
}

/// Run `fut` on `rt` and wait for it from synchronous code: from a plain
/// thread (on that thread, through `rt`'s handle, when `rt` is a
/// multi-thread runtime), from a multi-thread runtime's worker (spawned,
/// waited for through `block_in_place`) or from a current-thread runtime
/// (blocking it; the work itself runs on `rt`). `None` if the work
/// panicked.
fn drive<F>(rt: &Handle, fut: F) -> Option<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // From a plain thread, a multi-thread runtime's handle runs the future
    // on this thread (its timers and I/O are driven by the runtime's
    // workers): no hand-over to a worker and back for every call.
    if Handle::try_current().is_err() && rt.runtime_flavor() == RuntimeFlavor::MultiThread {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(fut))).ok();
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = move || rx.recv().ok();
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(wait),
        _ => wait(),
    }
}

/// Scripts loaded and ready to answer hooks.
///
/// A cheap handle (`Clone` shares the same engine), `Send + Sync`. Calls on
/// different states run in parallel; a call waiting on a provider holds
/// no OS thread. Use the `*_async` methods from async code and the plain
/// ones from synchronous code (they run the call on the engine's runtime
/// and wait for it; they also work, blocking, from inside a runtime).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    /// The current versions, in load order; replaced as a whole on
    /// reload/unload.
    scripts: RwLock<Arc<Vec<Arc<Script>>>>,
    errors: Mutex<Vec<LoadError>>,
    opts: EngineOptions,
    providers: Arc<Providers>,
    rt: Handle,
    /// Serialises load/reload/unload.
    admin: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("scripts", &self.scripts()).field("errors", &self.load_errors()).finish()
    }
}

/// The outcome of one script's hook function.
enum Outcome {
    Returned(Vec<PValue>),
    Failed(String),
    /// One return value that has no `PValue` (a function, or a table
    /// holding one): `invalid_modifiers` when it is a table.
    Unconvertible {
        table: bool,
    },
}

impl Engine {
    /// An engine with no scripts (add them with [`Engine::load_script`]).
    pub fn new(opts: EngineOptions) -> Engine {
        let rt = opts.runtime.clone().unwrap_or_else(internal_runtime);
        let providers = {
            let _enter = rt.enter();
            Arc::new(Providers::new(opts.providers.clone()))
        };
        Engine {
            inner: Arc::new(Inner {
                scripts: RwLock::new(Arc::new(Vec::new())),
                errors: Mutex::new(Vec::new()),
                opts,
                providers,
                rt,
                admin: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Load `paths` in order (see the module docs). Failures are kept in
    /// [`Engine::load_errors`] (and logged); the other scripts load.
    pub fn load(paths: &[PathBuf], opts: EngineOptions) -> Engine {
        let e = Engine::new(opts);
        let e2 = e.clone();
        let paths = paths.to_vec();
        if drive(&e.inner.rt, async move { e2.load_all_async(&paths).await }).is_none() {
            tracing::error!(target: "vmq_diversity", "loading the scripts failed (task panicked)");
        }
        e
    }

    /// [`Engine::load`] for async hosts.
    pub async fn load_async(paths: &[PathBuf], opts: EngineOptions) -> Engine {
        let e = Engine::new(opts);
        let e2 = e.clone();
        let paths = paths.to_vec();
        let _ = e.inner.rt.spawn(async move { e2.load_all_async(&paths).await }).await;
        e
    }

    async fn load_all_async(&self, paths: &[PathBuf]) {
        let _g = self.inner.admin.lock().await;
        let mut loaded = Vec::new();
        for path in paths {
            match load_script(path, &self.inner).await {
                Ok(s) => loaded.push(Arc::new(s)),
                Err(e) => self.record_error(e),
            }
        }
        self.swap(|v| v.extend(loaded));
    }

    /// The scripts of a configuration (`script_paths()` order) with its options.
    pub fn from_config(cfg: &Config) -> Engine {
        Engine::load(&cfg.script_paths(), EngineOptions::from_config(cfg))
    }

    /// Scripts that failed to load (and have not loaded since).
    pub fn load_errors(&self) -> Vec<LoadError> {
        self.inner.errors.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The loaded scripts, in load order.
    pub fn scripts(&self) -> Vec<ScriptInfo> {
        self.snapshot().iter().map(|s| s.info()).collect()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.inner.opts
    }

    /// The provider modules shared by every script and state of this engine.
    pub fn providers(&self) -> &Arc<Providers> {
        &self.inner.providers
    }

    /// The runtime the engine's calls run on.
    pub fn runtime(&self) -> &Handle {
        &self.inner.rt
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Script>>> {
        self.inner.scripts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn swap(&self, f: impl FnOnce(&mut Vec<Arc<Script>>)) {
        let mut w = self.inner.scripts.write().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<Arc<Script>> = (**w).clone();
        f(&mut v);
        *w = Arc::new(v);
    }

    fn record_error(&self, e: LoadError) {
        tracing::error!(target: "vmq_diversity", "{e}");
        let mut errs = self.inner.errors.lock().unwrap_or_else(|e| e.into_inner());
        errs.retain(|x| !same_path(&x.path, &e.path));
        errs.push(e);
    }

    fn clear_error(&self, path: &Path) {
        self.inner.errors.lock().unwrap_or_else(|e| e.into_inner()).retain(|x| !same_path(&x.path, path));
    }

    // ------------------------------------------------------------ reload

    /// Load a new version of `path` (every state of it); only if all of them
    /// load, put it in place of the old version (same position in load
    /// order; at the end if the script was not loaded). Otherwise the old
    /// version keeps serving and the error is returned. Calls already
    /// running finish on the version they started with.
    pub fn reload_script(&self, path: &Path) -> Result<(), LoadError> {
        let e = self.clone();
        let p = path.to_path_buf();
        drive(&self.inner.rt, async move { e.reload_script_async(&p).await }).unwrap_or_else(|| Err(panicked(path)))
    }

    /// [`Engine::reload_script`] for async hosts.
    pub async fn reload_script_async(&self, path: &Path) -> Result<(), LoadError> {
        let _g = self.inner.admin.lock().await;
        self.replace(path).await
    }

    async fn replace(&self, path: &Path) -> Result<(), LoadError> {
        let new = match load_script(path, &self.inner).await {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(target: "vmq_diversity", "{e} (the loaded version, if any, keeps serving)");
                return Err(e);
            }
        };
        self.swap(|v| match v.iter().position(|s| same_path(&s.path, path)) {
            Some(i) => v[i] = new,
            None => v.push(new),
        });
        self.clear_error(path);
        tracing::info!(target: "vmq_diversity", script = %path.display(), "script loaded");
        Ok(())
    }

    /// Load `path` and add it at the end of the load order (a script that
    /// is already loaded is reloaded in place, as [`Engine::reload_script`]).
    pub fn load_script(&self, path: &Path) -> Result<(), LoadError> {
        self.reload_script(path)
    }

    /// [`Engine::load_script`] for async hosts.
    pub async fn load_script_async(&self, path: &Path) -> Result<(), LoadError> {
        self.reload_script_async(path).await
    }

    /// Reload every loaded script (each one atomically, as
    /// [`Engine::reload_script`]) and retry the ones that failed to load.
    /// Returns the failures; the scripts concerned keep their old version.
    pub fn reload_all(&self) -> Vec<LoadError> {
        let e = self.clone();
        drive(&self.inner.rt, async move { e.reload_all_async().await }).unwrap_or_else(|| vec![panicked(Path::new("(all scripts)"))])
    }

    /// [`Engine::reload_all`] for async hosts.
    pub async fn reload_all_async(&self) -> Vec<LoadError> {
        let _g = self.inner.admin.lock().await;
        let mut paths: Vec<PathBuf> = self.snapshot().iter().map(|s| s.path.clone()).collect();
        for e in self.load_errors() {
            if !paths.iter().any(|p| same_path(p, &e.path)) {
                paths.push(e.path);
            }
        }
        let mut failed = Vec::new();
        for p in paths {
            if let Err(e) = self.replace(&p).await {
                self.inner
                    .errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter_mut()
                    .filter(|x| same_path(&x.path, &p))
                    .for_each(|x| *x = e.clone());
                failed.push(e);
            }
        }
        failed
    }

    /// Remove `path` from the engine (its hooks stop being called; calls
    /// running on it finish). `false` if it was not loaded.
    pub fn unload_script(&self, path: &Path) -> bool {
        let mut found = false;
        self.swap(|v| {
            let before = v.len();
            v.retain(|s| !same_path(&s.path, path));
            found = v.len() != before;
        });
        self.clear_error(path);
        if found {
            tracing::info!(target: "vmq_diversity", script = %path.display(), "script unloaded");
        }
        found
    }

    // ------------------------------------------------------------ calls

    /// Run `hook`: the ACL cache, then the scripts' chain. Synchronous: runs
    /// on the engine's runtime and waits (see the type docs).
    pub fn call_hook(&self, hook: Hook, args: &HookArgs) -> HookResult {
        let e = self.clone();
        let args = args.clone();
        drive(&self.inner.rt, async move { e.chain(hook, args).await }).unwrap_or_else(|| chain_failed(hook))
    }

    /// [`Engine::call_hook`] for async hosts: the call runs as a task of
    /// the engine's runtime (so it completes, and returns its state to the
    /// pool, even if this future is dropped).
    pub async fn call_hook_async(&self, hook: Hook, args: &HookArgs) -> HookResult {
        let e = self.clone();
        let args = args.clone();
        match self.inner.rt.spawn(async move { e.chain(hook, args).await }).await {
            Ok(r) => r,
            Err(_) => chain_failed(hook),
        }
    }

    /// A `vmq_webhooks` request body in, the response body out (§9.3-9.4).
    pub fn call_webhook(&self, hook: &str, body: &Json, opts: WebhookOptions) -> Result<Json, String> {
        let (h, args) = webhook_args(hook, body, opts)?;
        Ok(self.call_hook(h, &args).to_webhook_json(h, opts))
    }

    /// [`Engine::call_webhook`] for async hosts.
    pub async fn call_webhook_async(&self, hook: &str, body: &Json, opts: WebhookOptions) -> Result<Json, String> {
        let (h, args) = webhook_args(hook, body, opts)?;
        Ok(self.call_hook_async(h, &args).await.to_webhook_json(h, opts))
    }

    async fn chain(&self, hook: Hook, args: HookArgs) -> HookResult {
        if let Some(r) = AuthCache::global().before_hook(hook, &args) {
            return r;
        }
        let scripts = self.snapshot();
        let largs = args.to_lua(hook);
        let mut results = Vec::new();
        for s in scripts.iter().filter(|s| s.hooks.contains(&hook)) {
            let r = self.script_result(s, hook, &largs, &args).await;
            let stop = hook.dispatch() == Dispatch::AllTillOk
                && match &r {
                    ScriptResult::Decided(_) => true,
                    ScriptResult::ScriptError(_) => !hook.continues_on_error(),
                    ScriptResult::Continue => false,
                };
            results.push(r);
            if stop {
                break;
            }
        }
        decide(hook, results)
    }

    async fn script_result(&self, s: &Arc<Script>, hook: Hook, largs: &PValue, args: &HookArgs) -> ScriptResult {
        let t0 = Instant::now();
        let limit = self.inner.opts.limits.deadline;
        let started = AtomicBool::new(false);
        let outcome = match tokio::time::timeout(limit, run_hook(s, hook, largs, &started, t0 + limit)).await {
            Ok(o) => o,
            Err(_) if started.load(Ordering::Relaxed) => {
                Outcome::Failed(format!("deadline exceeded: hook {hook} did not finish within {} ms", limit.as_millis()))
            }
            Err(_) => Outcome::Failed(format!("deadline exceeded: no state of the script was free within {} ms", limit.as_millis())),
        };
        let r = match outcome {
            Outcome::Returned(v) => {
                let r = script_result(hook, Ok(v), args);
                if let ScriptResult::ScriptError(m) = &r {
                    tracing::warn!(target: "vmq_diversity", script = %s.path.display(), "{hook}: {m}");
                }
                r
            }
            Outcome::Failed(m) => {
                tracing::warn!(target: "vmq_diversity", script = %s.path.display(), "{hook}: script error: {m}");
                ScriptResult::ScriptError(m)
            }
            Outcome::Unconvertible { table } => {
                if table && hook.dispatch() == Dispatch::AllTillOk {
                    ScriptResult::Decided(HookResult::Error(HookError::InvalidModifiers))
                } else {
                    ScriptResult::Continue
                }
            }
        };
        if let Some(obs) = &self.inner.opts.observer {
            obs(&CallRecord { hook, script: &s.path, elapsed: t0.elapsed(), outcome: CallOutcome::of(&r) });
        }
        r
    }
}

fn webhook_args(hook: &str, body: &Json, opts: WebhookOptions) -> Result<(Hook, HookArgs), String> {
    let h = Hook::from_name(hook).ok_or_else(|| format!("unknown hook {hook:?}"))?;
    let args = HookArgs::from_webhook(h, body, opts).map_err(|e| format!("{h}: {e}"))?;
    Ok((h, args))
}

/// The answer when the call task itself failed (a panic in the engine):
/// what a script error would give, so auth hooks fail closed.
fn chain_failed(hook: Hook) -> HookResult {
    tracing::error!(target: "vmq_diversity", "{hook}: the call task failed");
    decide(hook, [ScriptResult::ScriptError("the call task failed".into())])
}

fn panicked(path: &Path) -> LoadError {
    LoadError { path: path.to_path_buf(), message: "the loading task failed".into() }
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || absolute(a) == absolute(b)
}

async fn run_hook(s: &Arc<Script>, hook: Hook, largs: &PValue, started: &AtomicBool, deadline: Instant) -> Outcome {
    let lease = match s.acquire().await {
        Ok(l) => l,
        Err(m) => return Outcome::Failed(m),
    };
    started.store(true, Ordering::Relaxed);
    let state = &s.states[lease.idx];
    state.lua.set_app_data(CallDeadline(deadline));
    // Every call runs in an isolation: VerneMQ leaves the state unchanged
    // after a failed call in both modes, and discards a successful call's
    // changes unless keep_state is true. The guard rolls back when dropped,
    // also when the deadline cancels this future.
    let iso = state.lua.begin_isolation();
    // VerneMQ looks the function up at call time (`hooks[<name>]`), so a
    // keep_state script that replaces a hook function is followed.
    let f = match current_hook(&state.lua, hook) {
        Ok(f) => f,
        Err(m) => return Outcome::Failed(m),
    };
    let arg = match luaconv::to_lua(&state.lua, largs) {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(format!("building the arguments: {}", error_message(&e))),
    };
    let out = match f.call_async::<LuaMultiValue>(arg).await {
        Ok(rets) => match luaconv::from_lua_multi(&rets) {
            Ok(v) => Outcome::Returned(v),
            Err(_) if rets.len() > 1 => Outcome::Failed(format!("hook {hook} returned {} values (at most one is allowed)", rets.len())),
            Err(_) => Outcome::Unconvertible { table: matches!(rets.get(0), Some(LuaValue::Table(_))) },
        },
        Err(e) => Outcome::Failed(error_message(&e)),
    };
    if s.keep_state && !matches!(out, Outcome::Failed(_)) {
        iso.commit();
    } else {
        iso.rollback();
    }
    drop(lease);
    out
}

/// When the running call must have answered (read by [`wait_in_place`]).
struct CallDeadline(Instant);

/// The blocking executor of every state: a provider (or `bcrypt.hashpw`)
/// called where Lua cannot suspend (a `table.sort` comparator, a `gsub`
/// callback, the top level of a `require`d file, `__tostring`...) waits on
/// the engine's multi-thread runtime with `block_in_place`, bounded by the
/// call's deadline, instead of failing with "attempt to yield across a
/// C-call boundary" (Luerl has no such boundary, so scripts may do it).
fn wait_in_place(lua: &Lua, fut: std::pin::Pin<Box<dyn Future<Output = LuaResult<LuaMultiValue>> + Send>>) -> LuaResult<LuaMultiValue> {
    let handle = match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => h,
        _ => return Err(LuaError::RuntimeError("a provider call where Lua cannot suspend needs the engine's multi-thread runtime".into())),
    };
    let remaining =
        lua.app_data_ref::<CallDeadline>().map(|d| d.0.saturating_duration_since(Instant::now())).unwrap_or(Duration::from_secs(5));
    tokio::task::block_in_place(|| handle.block_on(tokio::time::timeout(remaining, fut))).unwrap_or_else(|_| Err(LuaError::Timeout))
}

/// Replace `io` by a table holding only `write` and `flush`.
fn restrict_io(lua: &Lua) -> LuaResult<()> {
    let g = lua.globals();
    if let LuaValue::Table(io) = g.raw_get::<LuaValue>("io")? {
        let small = lua.create_table()?;
        for name in ["write", "flush"] {
            small.raw_set(name, io.raw_get::<LuaValue>(name)?)?;
        }
        g.raw_set("io", small.clone())?;
        if let LuaValue::Table(package) = g.raw_get::<LuaValue>("package")? {
            if let LuaValue::Table(loaded) = package.raw_get::<LuaValue>("loaded")? {
                loaded.raw_set("io", small)?;
            }
        }
    }
    Ok(())
}

/// `hooks[<name>]` in the state that serves the call.
fn current_hook(lua: &Lua, hook: Hook) -> Result<LuaFunction, String> {
    let hooks = match lua.globals().get::<LuaValue>("hooks") {
        Ok(LuaValue::Table(t)) => t,
        Ok(other) => return Err(format!("hooks is a {}, not a table", other.type_name())),
        Err(e) => return Err(error_message(&e)),
    };
    match hooks.get::<LuaValue>(hook.name()) {
        Ok(LuaValue::Function(f)) => Ok(f),
        Ok(other) => Err(format!("hooks.{} is a {}, not a function", hook.name(), other.type_name())),
        Err(e) => Err(error_message(&e)),
    }
}

/// A Lua error as one readable message (Lua's own text for runtime and
/// syntax errors, which start with `file:line:`).
pub fn error_message(e: &LuaError) -> String {
    match e {
        LuaError::RuntimeError(m) => m.clone(),
        LuaError::SyntaxError { message, .. } => message.clone(),
        LuaError::MemoryError(m) => format!("memory limit exceeded ({m})"),
        LuaError::CallbackError { cause, .. } => error_message(cause),
        LuaError::WithContext { cause, .. } => error_message(cause),
        LuaError::InstructionLimit => "instruction limit (fuel) exceeded".into(),
        LuaError::Timeout => "deadline exceeded".into(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

async fn load_script(path: &Path, inner: &Inner) -> Result<Script, LoadError> {
    let err = |message: String| LoadError { path: path.to_path_buf(), message };
    let opts = &inner.opts;
    let source = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let first = load_state_timed(path, &source, 1, inner).await.map_err(err)?;
    let g = first.lua.globals();
    let keep_state = match g.raw_get::<LuaValue>("keep_state").map_err(|e| err(error_message(&e)))? {
        LuaValue::Nil => opts.keep_state,
        LuaValue::Boolean(b) => b,
        other => return Err(err(format!("keep_state must be a boolean, not a {}", other.type_name()))),
    };
    let n = match g.raw_get::<LuaValue>("num_states").map_err(|e| err(error_message(&e)))? {
        LuaValue::Nil if keep_state => 1,
        LuaValue::Nil => opts.nr_lua_states.max(1) as usize,
        LuaValue::Number(n) => {
            let n = n.round();
            if !(1.0..=MAX_STATES as f64).contains(&n) {
                return Err(err(format!("num_states must be between 1 and {MAX_STATES}, not {n}")));
            }
            n as usize
        }
        other => return Err(err(format!("num_states must be a number, not a {}", other.type_name()))),
    };
    // as VerneMQ, the hooks a script declares are read from its first state
    let hooks = declared_hooks(&first.lua, path).map_err(|e| err(error_message(&e)))?;
    let mut states = vec![first];
    for id in 2..=n {
        states.push(load_state_timed(path, &source, id, inner).await.map_err(err)?);
    }
    Ok(Script {
        path: path.to_path_buf(),
        hooks,
        keep_state,
        idle: Mutex::new((0..states.len()).collect()),
        free: Semaphore::new(states.len()),
        states,
    })
}

/// One state, its file run under the deadline (a provider call at load
/// time, e.g. `ensure_pool`, included).
async fn load_state_timed(path: &Path, source: &[u8], id: usize, inner: &Inner) -> Result<State, String> {
    let limit = inner.opts.limits.deadline;
    match tokio::time::timeout(limit, load_state(path, source, id, inner)).await {
        Ok(r) => r,
        Err(_) => Err(format!("deadline exceeded: loading state {id} took more than {} ms", limit.as_millis())),
    }
}

async fn load_state(path: &Path, source: &[u8], id: usize, inner: &Inner) -> Result<State, String> {
    let opts = &inner.opts;
    let libs = if opts.unsafe_os { LuaStdLib::ALL_SAFE } else { LuaStdLib::SANDBOX };
    let lua = Lua::new_with(libs, LuaOptions::new()).map_err(|e| error_message(&e))?;
    lua.set_limits(opts.lua_limits());
    lua.set_stdout(std::io::stderr());
    lua.set_blocking_executor(Some(Arc::new(wait_in_place)));
    if !opts.unsafe_os {
        // VerneMQ's io has only write and flush: no reading (io.read would
        // wait on the host's standard input), no files, no popen
        restrict_io(&lua).map_err(|e| error_message(&e))?;
    }
    let le = |e: LuaError| error_message(&e);

    // package.path and the sandboxed searcher
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = &opts.script_dir {
        dirs.push(absolute(d));
    }
    let own = absolute(path.parent().unwrap_or(Path::new(".")));
    if !dirs.contains(&own) {
        dirs.push(own);
    }
    let templates: Vec<String> = dirs.iter().map(|d| format!("{}/?.lua", d.display())).collect();
    let g = lua.globals();
    if let Ok(LuaValue::Table(package)) = g.raw_get::<LuaValue>("package") {
        let old: String = package.raw_get::<Option<String>>("path").map_err(le)?.unwrap_or_default();
        let mut new = old;
        for t in &templates {
            new.push(';');
            new.push_str(t);
        }
        package.raw_set("path", new).map_err(le)?;
        if !opts.unsafe_os {
            if let Ok(LuaValue::Table(searchers)) = package.raw_get::<LuaValue>("searchers") {
                searchers.raw_push(dir_searcher(&lua, templates.clone()).map_err(le)?).map_err(le)?;
            }
        }
    }
    g.raw_set("__SCRIPT_INSTANCE_ID__", id as f64).map_err(le)?;
    install_modules(&lua, path, opts).map_err(le)?;
    lua_providers::install(&lua, &inner.providers).map_err(le)?;

    lua.load(source).set_name(format!("@{}", path.display())).exec_async().await.map_err(le)?;

    Ok(State { lua })
}

/// The hooks `hooks` declares: entries whose key names a hook and whose
/// value is a function (others are skipped, unknown names with a warning).
fn declared_hooks(lua: &Lua, path: &Path) -> LuaResult<BTreeSet<Hook>> {
    let mut hooks = BTreeSet::new();
    if let LuaValue::Table(t) = lua.globals().raw_get::<LuaValue>("hooks")? {
        for p in t.pairs::<LuaValue, LuaValue>() {
            let (k, v) = p?;
            let (LuaValue::String(name), LuaValue::Function(_)) = (k, v) else {
                continue;
            };
            match Hook::from_name(&name.to_string_lossy()) {
                Some(h) => {
                    hooks.insert(h);
                }
                None => tracing::warn!(
                    target: "vmq_diversity",
                    script = %path.display(),
                    "hooks.{}: not a vmq_diversity hook (ignored)",
                    name.to_string_lossy()
                ),
            }
        }
    }
    Ok(hooks)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A `package.searchers` entry for sandboxed states: Lua files from the
/// script directories only (the templates fixed at load time).
fn dir_searcher(lua: &Lua, templates: Vec<String>) -> LuaResult<LuaFunction> {
    lua.create_function(move |lua, name: LuaString| {
        let name = name.to_string_lossy().replace('.', "/");
        let mut tried = String::new();
        for t in &templates {
            let file = t.replace('?', &name);
            match std::fs::read(&file) {
                Ok(src) => {
                    let f = lua.load(src).set_name(format!("@{file}")).into_function().map_err(|e| {
                        LuaError::RuntimeError(format!("error loading module '{name}' from file '{file}':\n\t{}", error_message(&e)))
                    })?;
                    return Ok((LuaValue::Function(f), LuaValue::String(lua.create_string(&file)?)));
                }
                Err(_) => tried.push_str(&format!("\n\tno file '{file}'")),
            }
        }
        Ok((LuaValue::String(lua.create_string(&tried)?), LuaValue::Nil))
    })
}

// ---------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------

type ModFn = Arc<dyn Fn(&[PValue]) -> Result<PValue, ModuleError> + Send + Sync>;

/// Raises the error of a module function as a plain Lua string error at
/// the caller's position (`script.lua:12: kv.insert: cause`).
const RAISE_SHIM: &str = r#"
local raw = ...
local error = error
return function(...)
  local ok, v = raw(...)
  if ok then return v end
  error(v, 2)
end
"#;

fn install_modules(lua: &Lua, path: &Path, opts: &EngineOptions) -> LuaResult<()> {
    let script = path.display().to_string();
    let mut mods: Vec<(&str, Vec<(&str, ModFn)>)> = Vec::new();

    mods.push((
        "json",
        vec![
            ("decode", Arc::new(|a: &[PValue]| json::decode(arg(a, 0)))),
            ("encode", Arc::new(|a: &[PValue]| Ok(json::encode(arg(a, 0))?.map_or(PValue::Nil, PValue::from)))),
        ],
    ));
    mods.push((
        "log",
        log::FUNCTIONS
            .iter()
            .map(|&f| {
                let script = script.clone();
                let m: ModFn = Arc::new(move |a: &[PValue]| log::call(f, &script, a).map(|()| PValue::Nil));
                (f, m)
            })
            .collect(),
    ));
    let bc = opts.bcrypt.clone();
    mods.push((
        "bcrypt",
        crate::modules::bcrypt::FUNCTIONS
            .iter()
            .map(|&f| {
                let bc = bc.clone();
                let m: ModFn = Arc::new(move |a: &[PValue]| bc.call(f, a));
                (f, m)
            })
            .collect(),
    ));
    mods.push(("crypto", vec![("hash", Arc::new(|a: &[PValue]| crypto::lua_hash(arg(a, 0), arg(a, 1))))]));
    let obf = opts.obf.clone();
    mods.push((
        "obf",
        crate::modules::obf::FUNCTIONS
            .iter()
            .map(|&f| {
                let obf = obf.clone();
                let m: ModFn = Arc::new(move |a: &[PValue]| obf.call(f, a));
                (f, m)
            })
            .collect(),
    ));
    mods.push((
        "kv",
        crate::modules::kv::FUNCTIONS
            .iter()
            .map(|&f| {
                let m: ModFn = Arc::new(move |a: &[PValue]| KvStore::global().call(f, a));
                (f, m)
            })
            .collect(),
    ));
    mods.push((
        "auth_cache",
        crate::modules::auth_cache::FUNCTIONS
            .iter()
            .map(|&f| {
                let m: ModFn = Arc::new(move |a: &[PValue]| AuthCache::global().call(f, a));
                (f, m)
            })
            .collect(),
    ));
    let api = opts.vmq_api.clone();
    mods.push((
        "vmq_api",
        vmq_api::FUNCTIONS
            .iter()
            .map(|&f| {
                let api = api.clone();
                let m: ModFn = Arc::new(move |a: &[PValue]| vmq_api::call(&*api, f, a));
                (f, m)
            })
            .collect(),
    ));

    let shim: LuaFunction = lua.load(RAISE_SHIM).set_name("=vmq_diversity").into_function()?;
    let g = lua.globals();
    for (module, funcs) in mods {
        let t = lua.create_table()?;
        for (name, f) in funcs {
            let qualified = format!("{module}.{name}");
            if BLOCKING.contains(&(module, name)) {
                let raw = blocking_function(lua, qualified, f)?;
                let wrapped: LuaFunction = shim.call(raw)?;
                t.raw_set(name, wrapped)?;
                continue;
            }
            let nil_on_bad_args = NIL_ON_BAD_ARGUMENTS.contains(&(module, name));
            let raw = lua.create_function(move |lua, args: LuaMultiValue| {
                let out = match luaconv::from_lua_multi(&args) {
                    Ok(a) => f(&a).map_err(|e| e.to_string()),
                    Err(_) if nil_on_bad_args => Ok(PValue::Nil),
                    Err(e) => Err(format!("{qualified}: bad argument: {e}")),
                };
                Ok(match out {
                    Ok(v) => (true, luaconv::to_lua(lua, &v)?),
                    Err(m) => (false, LuaValue::String(lua.create_string(m)?)),
                })
            })?;
            let wrapped: LuaFunction = shim.call(raw)?;
            t.raw_set(name, wrapped)?;
        }
        g.raw_set(module, t)?;
    }
    Ok(())
}

/// Module functions that answer `nil` when an argument holds something
/// that is not data (a function, a coroutine...) instead of raising:
/// VerneMQ's `json.encode` returns nil for anything jsx cannot encode.
const NIL_ON_BAD_ARGUMENTS: &[(&str, &str)] = &[("json", "encode")];

/// Module functions that take long enough to stall an async worker
/// (`bcrypt.hashpw`: tens to hundreds of milliseconds): they run on tokio's
/// blocking pool while the calling coroutine is suspended.
const BLOCKING: &[(&str, &str)] = &[("bcrypt", "hashpw")];

fn blocking_function(lua: &Lua, qualified: String, f: ModFn) -> LuaResult<LuaFunction> {
    lua.create_async_function(move |lua: Lua, args: LuaMultiValue| {
        let conv = luaconv::from_lua_multi(&args);
        let (f, qualified) = (f.clone(), qualified.clone());
        async move {
            let out = match conv {
                Ok(a) => match tokio::task::spawn_blocking(move || f(&a)).await {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(_) => Err(format!("{qualified}: the computation failed")),
                },
                Err(e) => Err(format!("{qualified}: bad argument: {e}")),
            };
            Ok(match out {
                Ok(v) => (true, luaconv::to_lua(&lua, &v)?),
                Err(m) => (false, LuaValue::String(lua.create_string(m)?)),
            })
        }
    })
}

fn arg(a: &[PValue], i: usize) -> &PValue {
    a.get(i).unwrap_or(&PValue::Nil)
}
