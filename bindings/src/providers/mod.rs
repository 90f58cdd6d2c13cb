//! Provider cores: the database, cache and HTTP modules that `vmq_diversity`
//! exposes to Lua (reference §5), implemented against the real servers and
//! independent of the Lua engine.
//!
//! Every provider function takes its Lua arguments as a slice of
//! [`PValue`]s, exactly as a script passed them (`postgres.execute(pool,
//! sql, a, b)` is `call("postgres", "execute", &[pool, sql, a, b])`), and
//! returns one `PValue` with the return shape of reference §5, or a
//! [`ProviderError`] that the engine raises as a catchable Lua error
//! (DECISIONS §1: a VerneMQ "hard failure" becomes a Lua error naming the
//! function and the cause, e.g. `redis.cmd: connection refused`).
//!
//! Common rules (DECISIONS §1-2):
//! - `ensure_pool(cfg)` takes a key/value table; missing keys come from the
//!   provider's `Defaults` (the operator's configuration, VerneMQ's defaults
//!   when the operator says nothing). A second `ensure_pool` with an id that
//!   already exists is a no-op returning `true` (the new config is ignored).
//! - Each provider has its own pool registry; pool ids are per provider.
//! - An unknown pool id is the error `unknown_pool`; a non-string pool id or
//!   statement is `execute_parse`.
//! - While a backend is down every call fails fast with an error (no
//!   waiting for a reconnect); pools reconnect by themselves afterwards.
//! - SQL parameters are always bound, never spliced into the statement.
//! - SQL date/time values come back as ISO-8601 strings.
//! - No C TLS: rustls with the `ring` provider ([`init_crypto`]).

pub mod http;
pub mod memcached;
pub mod mongodb;
pub mod mysql;
pub mod postgres;
pub mod redis;
pub(crate) mod tls;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Once, RwLock};
use std::time::Duration;

use crate::pvalue::PValue;

pub use tls::{TlsDefaults, Verify};

/// The modules and the functions each one exports to Lua.
pub const MODULES: &[(&str, &[&str])] = &[
    ("mysql", &["ensure_pool", "execute", "hash_method"]),
    ("mysql2", &["ensure_pool", "execute", "hash_method"]),
    ("postgres", &["ensure_pool", "execute", "hash_method"]),
    ("cockroachdb", &["ensure_pool", "execute", "hash_method"]),
    ("mongodb", &["ensure_pool", "insert", "update", "delete", "find", "find_one", "next", "take", "close"]),
    ("redis", &["ensure_pool", "cmd"]),
    ("memcached", &["ensure_pool", "flush_all", "get", "set", "add", "replace", "delete"]),
    ("http", &["ensure_pool", "get", "put", "post", "delete", "body"]),
];

// ------------------------------------------------------------------ errors

/// What went wrong, with the name VerneMQ uses for it where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No pool with that id (VerneMQ: `unknown_pool`).
    UnknownPool,
    /// Arguments of the wrong type or shape (VerneMQ: `execute_parse`, or a
    /// hard failure such as a number where a string is required).
    BadArgument,
    /// An `ensure_pool` configuration that cannot be used.
    Config,
    /// The backend cannot be reached or the connection broke.
    Connection,
    /// The backend did not answer in time.
    Timeout,
    /// Any other driver failure (VerneMQ: `execute_equery`, `execute_find`, ...).
    Driver,
}

impl ErrorKind {
    /// The VerneMQ error atom closest to this kind.
    pub fn vmq_name(self) -> &'static str {
        match self {
            ErrorKind::UnknownPool => "unknown_pool",
            ErrorKind::BadArgument => "execute_parse",
            ErrorKind::Config => "execute_parse",
            ErrorKind::Connection => "not_connected",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Driver => "execute_equery",
        }
    }
}

/// A provider call that failed; the engine raises it as a Lua error whose
/// message is the `Display` form: `<module>.<function>: <cause>`.
#[derive(Debug, Clone)]
pub struct ProviderError {
    /// `module.function`, e.g. `postgres.execute`.
    pub func: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl ProviderError {
    pub fn new(func: &str, kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError { func: func.to_string(), kind, message: message.into() }
    }
    pub fn bad_arg(func: &str, message: impl Into<String>) -> Self {
        Self::new(func, ErrorKind::BadArgument, message)
    }
    pub fn unknown_pool(func: &str, id: &[u8]) -> Self {
        Self::new(
            func,
            ErrorKind::UnknownPool,
            format!("unknown_pool: no pool named '{}' (call ensure_pool first)", String::from_utf8_lossy(id)),
        )
    }
    pub fn timeout(func: &str, after: Duration) -> Self {
        Self::new(func, ErrorKind::Timeout, format!("timeout: no answer within {} ms", after.as_millis()))
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.func, self.message)
    }
}

impl std::error::Error for ProviderError {}

pub type PResult<T = PValue> = Result<T, ProviderError>;

/// A short, human description of a driver error: the well-known I/O causes
/// become `connection refused`, `connection reset`, ...; anything else is
/// the error's message followed by its sources.
pub(crate) fn describe_error(err: &(dyn std::error::Error + 'static)) -> (ErrorKind, String) {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            let text = match io.kind() {
                K::ConnectionRefused => Some("connection refused"),
                K::ConnectionReset => Some("connection reset"),
                K::ConnectionAborted => Some("connection aborted"),
                K::NotConnected => Some("not connected"),
                K::BrokenPipe => Some("connection closed (broken pipe)"),
                K::UnexpectedEof => Some("connection closed by the server"),
                K::TimedOut => Some("connection timed out"),
                K::AddrNotAvailable => Some("address not available"),
                _ => None,
            };
            if let Some(t) = text {
                let kind = if io.kind() == K::TimedOut { ErrorKind::Timeout } else { ErrorKind::Connection };
                return (kind, t.to_string());
            }
        }
        cur = e.source();
    }
    let mut msg = err.to_string();
    let mut src = err.source();
    while let Some(s) = src {
        let s_msg = s.to_string();
        if !msg.contains(&s_msg) {
            msg.push_str(": ");
            msg.push_str(&s_msg);
        }
        src = s.source();
    }
    (ErrorKind::Driver, msg)
}

// ------------------------------------------------------------------ crypto

static CRYPTO: Once = Once::new();

/// Install rustls' `ring` crypto provider as the process default, once.
/// Every provider constructor calls it; calling it again is harmless, and
/// a provider installed earlier by the host is kept.
pub fn init_crypto() {
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

// ------------------------------------------------------------------ args

/// Positional Lua arguments with typed accessors that produce the errors
/// of reference §5.
pub(crate) struct Args<'a> {
    pub func: &'static str,
    pub args: &'a [PValue],
}

impl<'a> Args<'a> {
    pub fn new(func: &'static str, args: &'a [PValue]) -> Self {
        Args { func, args }
    }
    /// Argument `i` (0-based); absent arguments are `nil`.
    pub fn get(&self, i: usize) -> &'a PValue {
        const NIL: &PValue = &PValue::Nil;
        self.args.get(i).unwrap_or(NIL)
    }
    /// Arguments from `i` on.
    pub fn rest(&self, i: usize) -> &'a [PValue] {
        self.args.get(i..).unwrap_or(&[])
    }
    /// A string argument (numbers are *not* coerced: VerneMQ's providers
    /// match on binaries); otherwise `execute_parse`.
    pub fn string(&self, i: usize, what: &str) -> PResult<&'a [u8]> {
        match self.get(i) {
            PValue::Str(s) => Ok(s),
            other => Err(ProviderError::bad_arg(
                self.func,
                format!("execute_parse: {what} (argument #{}) must be a string, got {}", i + 1, other.type_name()),
            )),
        }
    }
    /// A UTF-8 string argument.
    pub fn text(&self, i: usize, what: &str) -> PResult<&'a str> {
        let b = self.string(i, what)?;
        std::str::from_utf8(b).map_err(|_| ProviderError::bad_arg(self.func, format!("{what} (argument #{}) is not valid UTF-8", i + 1)))
    }
    pub fn pool_id(&self) -> PResult<&'a [u8]> {
        self.string(0, "pool id")
    }
}

// ------------------------------------------------------------------ config

/// Typed access to an `ensure_pool` configuration table.
pub(crate) struct Cfg<'a> {
    pub func: &'static str,
    table: &'a PValue,
}

impl<'a> Cfg<'a> {
    /// `ensure_pool`'s argument: must be a table (VerneMQ: `execute_parse`).
    pub fn new(func: &'static str, args: &'a [PValue]) -> PResult<Cfg<'a>> {
        match args.first() {
            Some(t @ (PValue::Map(_) | PValue::Array(_))) => Ok(Cfg { func, table: t }),
            Some(other) => {
                Err(ProviderError::bad_arg(func, format!("execute_parse: the configuration must be a table, got {}", other.type_name())))
            }
            None => Err(ProviderError::bad_arg(func, "execute_parse: the configuration table is missing")),
        }
    }

    fn raw(&self, key: &str) -> Option<&'a PValue> {
        match self.table.get(key) {
            None | Some(PValue::Nil) => None,
            Some(v) => Some(v),
        }
    }

    fn bad(&self, key: &str, expected: &str, got: &PValue) -> ProviderError {
        ProviderError::new(self.func, ErrorKind::Config, format!("bad value for '{key}': expected {expected}, got {}", got.type_name()))
    }

    pub fn string(&self, key: &str, default: &str) -> PResult<String> {
        Ok(self.opt_string(key)?.unwrap_or_else(|| default.to_string()))
    }

    pub fn opt_string(&self, key: &str) -> PResult<Option<String>> {
        match self.raw(key) {
            None => Ok(None),
            Some(PValue::Str(s)) => Ok(Some(String::from_utf8_lossy(s).into_owned())),
            Some(other) => Err(self.bad(key, "a string", other)),
        }
    }

    /// A string that, when absent or empty, means "not set".
    pub fn opt_nonempty(&self, key: &str, default: Option<&str>) -> PResult<Option<String>> {
        let v = match self.opt_string(key)? {
            Some(s) => Some(s),
            None => default.map(str::to_string),
        };
        Ok(v.filter(|s| !s.is_empty()))
    }

    /// A number, rounded (VerneMQ rounds `size` and `port`).
    pub fn int(&self, key: &str, default: i64) -> PResult<i64> {
        match self.raw(key) {
            None => Ok(default),
            Some(PValue::Num(n)) if n.is_finite() => Ok(n.round() as i64),
            Some(other) => Err(self.bad(key, "a number", other)),
        }
    }

    pub fn port(&self, key: &str, default: u16) -> PResult<u16> {
        let n = self.int(key, default as i64)?;
        u16::try_from(n).map_err(|_| ProviderError::new(self.func, ErrorKind::Config, format!("bad value for '{key}': {n} is not a port")))
    }

    pub fn size(&self, key: &str, default: usize) -> PResult<usize> {
        let n = self.int(key, default as i64)?;
        if n < 1 {
            return Err(ProviderError::new(self.func, ErrorKind::Config, format!("bad value for '{key}': {n} (must be >= 1)")));
        }
        Ok(n as usize)
    }

    /// A boolean, or the strings "true"/"false" (VerneMQ's `ssl` key).
    pub fn bool(&self, key: &str, default: bool) -> PResult<bool> {
        match self.raw(key) {
            None => Ok(default),
            Some(PValue::Bool(b)) => Ok(*b),
            Some(PValue::Str(s)) if s.as_slice() == b"true" => Ok(true),
            Some(PValue::Str(s)) if s.as_slice() == b"false" => Ok(false),
            Some(other) => Err(self.bad(key, "a boolean or \"true\"/\"false\"", other)),
        }
    }

    /// The pool id: a string, default `default`.
    pub fn pool_id(&self, default: &str) -> PResult<Vec<u8>> {
        match self.raw("pool_id") {
            None => Ok(default.as_bytes().to_vec()),
            Some(PValue::Str(s)) => Ok(s.clone()),
            Some(other) => Err(self.bad("pool_id", "a string", other)),
        }
    }

    /// The TLS keys shared by the SQL and mongo providers.
    pub fn tls(&self, d: &TlsDefaults) -> PResult<tls::TlsOptions> {
        let verify = match self.opt_string("verify")? {
            None => d.verify,
            Some(s) => match s.as_str() {
                "verify_peer" => Verify::Peer,
                "verify_none" => Verify::None,
                other => {
                    return Err(ProviderError::new(
                        self.func,
                        ErrorKind::Config,
                        format!("bad value for 'verify': '{other}' (expected verify_peer or verify_none)"),
                    ))
                }
            },
        };
        Ok(tls::TlsOptions {
            certfile: self.opt_nonempty("certfile", d.certfile.as_deref())?,
            cacertfile: self.opt_nonempty("cacertfile", d.cacertfile.as_deref())?,
            keyfile: self.opt_nonempty("keyfile", d.keyfile.as_deref())?,
            verify,
            depth: self.int("depth", d.depth as i64)?.max(0) as u32,
            customize_hostname_check: self.opt_nonempty("customize_hostname_check", d.customize_hostname_check.as_deref())?,
            use_system_cas: self.bool("use_system_cas", d.use_system_cas)?,
            sni: self.opt_nonempty("sni", None)?,
        })
    }
}

// ------------------------------------------------------------------ registry

/// Pools of one provider, by id.
pub(crate) struct Registry<P> {
    pools: RwLock<HashMap<Vec<u8>, Arc<P>>>,
}

impl<P> Default for Registry<P> {
    fn default() -> Self {
        Registry { pools: RwLock::new(HashMap::new()) }
    }
}

impl<P> Registry<P> {
    pub fn contains(&self, id: &[u8]) -> bool {
        self.pools.read().unwrap_or_else(|e| e.into_inner()).contains_key(id)
    }
    /// Insert unless present; either way the pool now exists.
    pub fn insert(&self, id: Vec<u8>, pool: P) {
        self.pools.write().unwrap_or_else(|e| e.into_inner()).entry(id).or_insert_with(|| Arc::new(pool));
    }
    pub fn get(&self, func: &str, id: &[u8]) -> PResult<Arc<P>> {
        self.pools.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned().ok_or_else(|| ProviderError::unknown_pool(func, id))
    }
}

// ------------------------------------------------------------------ all providers

/// The operator's defaults for every provider.
#[derive(Clone, Debug, Default)]
pub struct ProvidersConfig {
    pub mysql: mysql::Defaults,
    pub mysql2: mysql::Defaults,
    pub postgres: postgres::Defaults,
    pub cockroachdb: postgres::Defaults,
    pub mongodb: mongodb::Defaults,
    pub redis: redis::Defaults,
    pub memcached: memcached::Defaults,
    pub http: http::Defaults,
}

impl ProvidersConfig {
    /// VerneMQ's defaults (`vmq_diversity.schema`).
    pub fn vernemq_defaults() -> Self {
        ProvidersConfig {
            mysql: mysql::Defaults::mysql(),
            mysql2: mysql::Defaults::mysql2(),
            postgres: postgres::Defaults::postgres(),
            cockroachdb: postgres::Defaults::cockroachdb(),
            mongodb: mongodb::Defaults::default(),
            redis: redis::Defaults::default(),
            memcached: memcached::Defaults::default(),
            http: http::Defaults::default(),
        }
    }
}

/// All provider modules, shareable across Lua states (`Arc<Providers>`).
pub struct Providers {
    pub mysql: mysql::MySql,
    pub mysql2: mysql::MySql,
    pub postgres: postgres::Postgres,
    pub cockroachdb: postgres::Postgres,
    pub mongodb: mongodb::MongoDb,
    pub redis: redis::Redis,
    pub memcached: memcached::Memcached,
    pub http: http::Http,
}

impl Providers {
    pub fn new(cfg: ProvidersConfig) -> Self {
        init_crypto();
        Providers {
            mysql: mysql::MySql::new(mysql::Flavor::Mysql, cfg.mysql),
            mysql2: mysql::MySql::new(mysql::Flavor::Mysql2, cfg.mysql2),
            postgres: postgres::Postgres::new(postgres::Flavor::Postgres, cfg.postgres),
            cockroachdb: postgres::Postgres::new(postgres::Flavor::Cockroachdb, cfg.cockroachdb),
            mongodb: mongodb::MongoDb::new(cfg.mongodb),
            redis: redis::Redis::new(cfg.redis),
            memcached: memcached::Memcached::new(cfg.memcached),
            http: http::Http::new(cfg.http),
        }
    }

    /// Call `module.function(args...)`. Must run inside a Tokio runtime.
    pub async fn call(&self, module: &str, function: &str, args: &[PValue]) -> PResult {
        match module {
            "mysql" => self.mysql.call(function, args).await,
            "mysql2" => self.mysql2.call(function, args).await,
            "postgres" => self.postgres.call(function, args).await,
            "cockroachdb" => self.cockroachdb.call(function, args).await,
            "mongodb" => self.mongodb.call(function, args).await,
            "redis" => self.redis.call(function, args).await,
            "memcached" => self.memcached.call(function, args).await,
            "http" => self.http.call(function, args).await,
            _ => Err(ProviderError::new(module, ErrorKind::BadArgument, "no such module")),
        }
    }
}

pub(crate) fn no_such_function(module: &str, function: &str) -> ProviderError {
    ProviderError::new(&format!("{module}.{function}"), ErrorKind::BadArgument, "no such function")
}

/// Run `fut` under `limit`; a timeout becomes `func: timeout ...`.
pub(crate) async fn with_timeout<T>(func: &str, limit: Duration, fut: impl std::future::Future<Output = PResult<T>>) -> PResult<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::timeout(func, limit)),
    }
}
