//! `memcached` (reference §5.6) on the blocking `memcache` crate, run on
//! `tokio::task::spawn_blocking` so no async worker thread ever blocks.
//!
//! - `ensure_pool(cfg)`: `pool_id`, `host`, `port`; `size` is ignored (VerneMQ
//!   always uses 5). It connects at once and waits up to `connect_timeout`
//!   (1 s, as VerneMQ); failure is an error (`connect_error`).
//! - `flush_all(pool)` -> `true`; `get(pool, key)` -> value or `false`;
//!   `set(pool, key, value [, exp])` -> value; `add` -> value or `false`
//!   when the key exists; `replace` -> value or `false` when missing;
//!   `delete(pool, key)` -> `true` or `false` when missing.
//! - Keys and values must be strings, `exp` a number of seconds
//!   (truncated, default 0); stored items carry flags 0xABBA like VerneMQ's.
//! - Protocol-level refusals are `false`; a lost or refused connection is
//!   an error (`memcached.get: connection refused`), where VerneMQ answered
//!   `false` (DECISIONS §2: an outage is an error).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use memcache::{MemcacheError, ToMemcacheValue};

use super::{describe_error, no_such_function, with_timeout, Args, Cfg, ErrorKind, PResult, ProviderError, Registry};
use crate::pvalue::PValue;

/// The item flags VerneMQ's mcd client stores.
pub const FLAGS: u32 = 0xABBA;

/// Operator defaults (`vmq_diversity.memcached.*`).
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub host: String,
    pub port: u16,
    /// Connections per pool (VerneMQ: always 5).
    pub size: u32,
    pub connect_timeout: Duration,
    /// Socket read/write timeout and the bound of one whole call.
    pub io_timeout: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            pool_id: "pool_memcached".into(),
            host: "127.0.0.1".into(),
            port: 11211,
            size: 5,
            connect_timeout: Duration::from_secs(1),
            io_timeout: Duration::from_secs(5),
        }
    }
}

/// The `memcached` module.
pub struct Memcached {
    defaults: Defaults,
    pools: Registry<Arc<memcache::Client>>,
}

/// A value stored with VerneMQ's flags.
struct Flagged<'a>(&'a [u8]);

impl<W: Write> ToMemcacheValue<W> for Flagged<'_> {
    fn get_flags(&self) -> u32 {
        FLAGS
    }
    fn get_length(&self) -> usize {
        self.0.len()
    }
    fn write_to(&self, stream: &mut W) -> std::io::Result<()> {
        stream.write_all(self.0)
    }
}

#[derive(Clone, Copy)]
enum Store {
    Set,
    Add,
    Replace,
}

impl Memcached {
    pub fn new(defaults: Defaults) -> Self {
        Memcached { defaults, pools: Registry::default() }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).await.map(PValue::Bool),
            "flush_all" => self.flush_all(args).await,
            "get" => self.get(args).await,
            "set" => self.store("memcached.set", Store::Set, args).await,
            "add" => self.store("memcached.add", Store::Add, args).await,
            "replace" => self.store("memcached.replace", Store::Replace, args).await,
            "delete" => self.delete(args).await,
            _ => Err(no_such_function("memcached", function)),
        }
    }

    pub async fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        const F: &str = "memcached.ensure_pool";
        let cfg = Cfg::new(F, args)?;
        let d = self.defaults.clone();
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        let host = cfg.string("host", &d.host)?;
        let port = cfg.port("port", d.port)?;
        let _size = cfg.int("size", d.size as i64)?;
        // The binary protocol: the crate's ASCII `add`/`replace` drop NOT_STORED.
        let url = format!("memcache://{host}:{port}?tcp_nodelay=true");
        let client = tokio::task::spawn_blocking(move || {
            memcache::Client::builder()
                .add_server(url.as_str())?
                .with_max_pool_size(d.size)
                .with_min_idle_conns(1)
                .with_connection_timeout(d.connect_timeout)
                .with_read_timeout(d.io_timeout)
                .with_write_timeout(d.io_timeout)
                .build()
        })
        .await
        .map_err(|e| ProviderError::new(F, ErrorKind::Driver, e.to_string()))?
        .map_err(|e| {
            let (kind, msg) = error_text(&e);
            ProviderError::new(F, kind, format!("connect_error: {msg}"))
        })?;
        self.pools.insert(id, Arc::new(client));
        Ok(true)
    }

    /// Run `op` with the pool's client on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        func: &'static str,
        id: &[u8],
        op: impl FnOnce(&memcache::Client) -> Result<T, MemcacheError> + Send + 'static,
    ) -> PResult<Result<T, MemcacheError>> {
        let client = self.pools.get(func, id)?;
        let client = Arc::clone(&client);
        with_timeout(func, self.defaults.io_timeout + self.defaults.connect_timeout, async move {
            tokio::task::spawn_blocking(move || op(&client)).await.map_err(|e| ProviderError::new(func, ErrorKind::Driver, e.to_string()))
        })
        .await
    }

    pub async fn flush_all(&self, args: &[PValue]) -> PResult {
        const F: &str = "memcached.flush_all";
        let a = Args::new(F, args);
        let id = a.pool_id()?;
        let r = self.run(F, id, |c| c.flush()).await?;
        outcome(F, r.map(|()| PValue::Bool(true)))
    }

    pub async fn get(&self, args: &[PValue]) -> PResult {
        const F: &str = "memcached.get";
        let a = Args::new(F, args);
        let id = a.pool_id()?;
        let key = a.text(1, "key")?.to_string();
        let r = self.run(F, id, move |c| c.get::<Vec<u8>>(&key)).await?;
        outcome(F, r.map(|v| v.map(PValue::Str).unwrap_or(PValue::Bool(false))))
    }

    async fn store(&self, func: &'static str, how: Store, args: &[PValue]) -> PResult {
        let a = Args::new(func, args);
        let id = a.pool_id()?;
        let key = a.text(1, "key")?.to_string();
        let value = a.string(2, "value")?.to_vec();
        let exp = match a.get(3) {
            PValue::Nil => 0,
            PValue::Num(n) if *n >= 0.0 => n.trunc().min(u32::MAX as f64) as u32,
            other => {
                return Err(ProviderError::bad_arg(
                    func,
                    format!("expiration (argument #4) must be a non-negative number, got {}", other.type_name()),
                ))
            }
        };
        let stored = value.clone();
        let r = self
            .run(func, id, move |c| {
                let v = Flagged(&stored);
                match how {
                    Store::Set => c.set(&key, v, exp),
                    Store::Add => c.add(&key, v, exp),
                    Store::Replace => c.replace(&key, v, exp),
                }
            })
            .await?;
        outcome(func, r.map(|()| PValue::Str(value)))
    }

    pub async fn delete(&self, args: &[PValue]) -> PResult {
        const F: &str = "memcached.delete";
        let a = Args::new(F, args);
        let id = a.pool_id()?;
        let key = a.text(1, "key")?.to_string();
        let r = self.run(F, id, move |c| c.delete(&key)).await?;
        outcome(F, r.map(PValue::Bool))
    }
}

/// Connection-level failures are errors; everything the server refused is `false`.
fn outcome(func: &str, r: Result<PValue, MemcacheError>) -> PResult {
    match r {
        Ok(v) => Ok(v),
        Err(e @ (MemcacheError::IOError(_) | MemcacheError::PoolError(_))) => {
            let (kind, msg) = error_text(&e);
            Err(ProviderError::new(func, kind, msg))
        }
        Err(e) => {
            log::debug!("{func}: {e}");
            Ok(PValue::Bool(false))
        }
    }
}

fn error_text(e: &MemcacheError) -> (ErrorKind, String) {
    match e {
        MemcacheError::IOError(io) => {
            let (k, m) = describe_error(io);
            (if k == ErrorKind::Driver { ErrorKind::Connection } else { k }, m)
        }
        MemcacheError::PoolError(p) => {
            // r2d2 reports the last connect error only as text.
            let text = p.to_string();
            if text.contains("onnection refused") {
                (ErrorKind::Connection, "connection refused".into())
            } else if text.contains("timed out") {
                (ErrorKind::Timeout, "connection timed out".into())
            } else {
                (ErrorKind::Connection, text)
            }
        }
        other => (ErrorKind::Driver, other.to_string()),
    }
}
