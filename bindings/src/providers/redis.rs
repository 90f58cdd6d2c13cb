//! `redis` (reference §5.5): `ensure_pool` and `cmd`, on the `redis` crate.
//!
//! A pool is `size` lazily opened multiplexed connections used round-robin.
//! A slot whose connection broke is emptied and reopened by the next call
//! that lands on it, so the pool recovers from an outage by itself; while the
//! server is down every call fails at once (`redis.cmd: connection refused`).
//!
//! `cmd(pool_id, command, extra...)`: `command` is split on single spaces
//! (double spaces give empty arguments, as in VerneMQ); each string in
//! `extra` is one more argument; a table in `extra` becomes one argument
//! made of its values (array) or key,value pairs (map) concatenated, which
//! is what eredis sends for a nested list. Replies: `+OK` -> `true`, nil ->
//! `nil`, error reply -> `false`, arrays -> arrays (nil elements
//! `"undefined"`), every other reply, integers included, -> a string.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo, Value};
use tokio::sync::Mutex;

use super::{no_such_function, with_timeout, Args, Cfg, ErrorKind, PResult, ProviderError, Registry};
use crate::pvalue::PValue;

/// Operator defaults (`vmq_diversity.redis.*`).
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub host: String,
    pub port: u16,
    /// Empty: no AUTH.
    pub password: String,
    /// Redis 6 ACL user; empty: none.
    pub user: String,
    pub database: i64,
    pub size: usize,
    pub connect_timeout: Duration,
    /// One whole `cmd` call.
    pub command_timeout: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            pool_id: "pool_redis".into(),
            host: "localhost".into(),
            port: 6379,
            password: String::new(),
            user: String::new(),
            database: 0,
            size: 5,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(5),
        }
    }
}

struct RedisPool {
    client: redis::Client,
    config: AsyncConnectionConfig,
    slots: Vec<Mutex<Option<MultiplexedConnection>>>,
    next: AtomicUsize,
}

impl RedisPool {
    async fn connection(&self, func: &str) -> PResult<(usize, MultiplexedConnection)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[i].lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok((i, c.clone()));
        }
        let c = self.client.get_multiplexed_async_connection_with_config(&self.config).await.map_err(|e| conn_error(func, &e))?;
        *slot = Some(c.clone());
        Ok((i, c))
    }

    async fn drop_slot(&self, i: usize) {
        *self.slots[i].lock().await = None;
    }
}

/// The `redis` module.
pub struct Redis {
    defaults: Defaults,
    pools: Registry<RedisPool>,
}

const ENSURE: &str = "redis.ensure_pool";
const CMD: &str = "redis.cmd";

impl Redis {
    pub fn new(defaults: Defaults) -> Self {
        super::init_crypto();
        Redis { defaults, pools: Registry::default() }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).map(PValue::Bool),
            "cmd" => self.cmd(args).await,
            _ => Err(no_such_function("redis", function)),
        }
    }

    /// `ensure_pool(cfg)`; connects lazily.
    pub fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        let cfg = Cfg::new(ENSURE, args)?;
        let d = &self.defaults;
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        let host = cfg.string("host", &d.host)?;
        let port = cfg.port("port", d.port)?;
        let size = cfg.size("size", d.size)?;
        let mut settings = RedisConnectionInfo::default().set_db(cfg.int("database", d.database)?);
        if let Some(user) = cfg.opt_nonempty("user", Some(&d.user))? {
            settings = settings.set_username(user);
        }
        if let Some(pw) = cfg.opt_nonempty("password", Some(&d.password))? {
            settings = settings.set_password(pw);
        }
        let info = ConnectionAddr::Tcp(host, port)
            .into_connection_info()
            .map_err(|e| ProviderError::new(ENSURE, ErrorKind::Config, e.to_string()))?
            .set_redis_settings(settings);
        let client = redis::Client::open(info).map_err(|e| ProviderError::new(ENSURE, ErrorKind::Config, e.to_string()))?;
        let config =
            AsyncConnectionConfig::new().set_connection_timeout(Some(d.connect_timeout)).set_response_timeout(Some(d.command_timeout));
        let slots = (0..size).map(|_| Mutex::new(None)).collect();
        self.pools.insert(id, RedisPool { client, config, slots, next: AtomicUsize::new(0) });
        Ok(true)
    }

    /// `cmd(pool_id, command, extra...)`.
    pub async fn cmd(&self, args: &[PValue]) -> PResult {
        let a = Args::new(CMD, args);
        let id = a.pool_id()?;
        let command = a.string(1, "command")?;
        let mut cmd_args: Vec<Vec<u8>> = command.split(|b| *b == b' ').map(<[u8]>::to_vec).collect();
        for (i, extra) in a.rest(2).iter().enumerate() {
            cmd_args.push(extra_arg(extra).ok_or_else(|| {
                ProviderError::bad_arg(CMD, format!("extra argument #{} must be a string or a table, got {}", i + 3, extra.type_name()))
            })?);
        }
        let pool = self.pools.get(CMD, id)?;
        let mut cmd = redis::cmd(&String::from_utf8_lossy(&cmd_args[0]));
        for arg in &cmd_args[1..] {
            cmd.arg(arg.as_slice());
        }
        with_timeout(CMD, self.defaults.command_timeout, async {
            let (slot, mut conn) = pool.connection(CMD).await?;
            match cmd.query_async::<Value>(&mut conn).await {
                Ok(v) => Ok(reply(v, true)),
                Err(e) if is_connection_error(&e) => {
                    pool.drop_slot(slot).await;
                    Err(conn_error(CMD, &e))
                }
                Err(e) => {
                    log::warn!("{CMD}: {e}");
                    Ok(PValue::Bool(false))
                }
            }
        })
        .await
    }
}

/// An extra argument: a string, or a table flattened into one argument
/// (array: its values; map: key, value, key, value...).
fn extra_arg(v: &PValue) -> Option<Vec<u8>> {
    match v {
        PValue::Str(s) => Some(s.clone()),
        PValue::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend_from_slice(&scalar_bytes(item)?);
            }
            Some(out)
        }
        PValue::Map(pairs) => {
            let mut out = Vec::new();
            for (k, val) in pairs {
                out.extend_from_slice(&scalar_bytes(k)?);
                out.extend_from_slice(&scalar_bytes(val)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn scalar_bytes(v: &PValue) -> Option<Vec<u8>> {
    v.coerce_to_bytes().map(|c| c.into_owned())
}

fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_unrecoverable_error()
}

fn conn_error(func: &str, e: &redis::RedisError) -> ProviderError {
    if e.is_connection_refusal() {
        return ProviderError::new(func, ErrorKind::Connection, "connection refused");
    }
    if e.is_timeout() {
        return ProviderError::new(func, ErrorKind::Timeout, "timeout: no answer from the server");
    }
    if e.is_connection_dropped() {
        return ProviderError::new(func, ErrorKind::Connection, "connection closed");
    }
    let (kind, msg) = super::describe_error(e);
    let kind = if kind == ErrorKind::Driver { ErrorKind::Connection } else { kind };
    ProviderError::new(func, kind, msg)
}

/// eredis' reply shapes: everything is a binary except nil, `OK` at top
/// level, and lists.
fn reply(v: Value, top: bool) -> PValue {
    match v {
        Value::Nil => {
            if top {
                PValue::Nil
            } else {
                PValue::str("undefined")
            }
        }
        Value::Okay => {
            if top {
                PValue::Bool(true)
            } else {
                PValue::str("OK")
            }
        }
        Value::Int(i) => PValue::from(i.to_string()),
        Value::BulkString(b) => PValue::Str(b),
        Value::SimpleString(s) => PValue::from(s),
        Value::Array(items) | Value::Set(items) => PValue::Array(items.into_iter().map(|i| reply(i, false)).collect()),
        Value::Map(pairs) => PValue::Array(pairs.into_iter().flat_map(|(k, v)| [reply(k, false), reply(v, false)]).collect()),
        Value::Double(d) => PValue::from(crate::pvalue::lua_number_to_string(d)),
        Value::Boolean(b) => PValue::str(if b { "1" } else { "0" }),
        Value::ServerError(e) => {
            if top {
                PValue::Bool(false)
            } else {
                PValue::from(format!("{e:?}"))
            }
        }
        other => PValue::from(format!("{other:?}")),
    }
}
