//! `postgres` and `cockroachdb` (reference §5.3): the PostgreSQL protocol
//! through tokio-postgres with a deadpool pool per `pool_id`.
//!
//! `execute(pool_id, sql, args...)` binds `$1..$n` from `args` and returns:
//! - a statement whose command tag carries a row count (INSERT, UPDATE,
//!   DELETE, MOVE, FETCH, COPY; with or without RETURNING): `true` when the
//!   count is > 0, else `false` (RETURNING rows are discarded, as in epgsql);
//! - any other statement (SELECT, VALUES, SHOW, DDL...): an array of rows,
//!   each a map column name -> value; a statement without result columns
//!   (DDL) gives the empty table;
//! - an SQL error reported by the server: `false`;
//! - a broken or refused connection, a timeout, or a value that cannot be
//!   bound: an error (`postgres.execute: connection refused`).
//!
//! tokio-postgres does not expose the command tag, only the count parsed
//! from it, so the count-carrying statements are recognised by their main
//! keyword (after a leading `WITH ...` clause): see [`counted_statement`].
//!
//! Values: NULL -> `"null"`; bool -> boolean; integer, float and numeric
//! types -> number; text, varchar, char, name, json(b), xml, enums, uuid ->
//! string; bytea -> the raw bytes; date -> `YYYY-MM-DD`; time ->
//! `HH:MM:SS[.ffffff]` (timetz with `+HH:MM`); timestamp ->
//! `YYYY-MM-DDTHH:MM:SS[.ffffff]` and timestamptz the same in UTC with `Z`;
//! interval -> ISO-8601 duration `PnYnMnDTnHnMnS`; inet/cidr -> `addr/bits`;
//! arrays -> arrays (nested per dimension); other types -> their raw binary
//! form as a string.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime, TimeoutType};
use fallible_iterator::FallibleIterator;
use postgres_protocol::types as pgt;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, Kind, ToSql, Type};
use tokio_postgres::NoTls;

use super::{describe_error, no_such_function, with_timeout, Args, Cfg, ErrorKind, PResult, ProviderError, Registry, TlsDefaults};
use crate::pvalue::{lua_number_to_string, PValue};

type BoxErr = Box<dyn StdError + Sync + Send>;

/// Which module this instance serves; they differ in defaults, function
/// names and `hash_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Postgres,
    Cockroachdb,
}

impl Flavor {
    fn module(self) -> &'static str {
        match self {
            Flavor::Postgres => "postgres",
            Flavor::Cockroachdb => "cockroachdb",
        }
    }
    fn fname(self, f: &str) -> &'static str {
        match (self, f) {
            (Flavor::Postgres, "ensure_pool") => "postgres.ensure_pool",
            (Flavor::Postgres, "execute") => "postgres.execute",
            (Flavor::Postgres, _) => "postgres.hash_method",
            (Flavor::Cockroachdb, "ensure_pool") => "cockroachdb.ensure_pool",
            (Flavor::Cockroachdb, "execute") => "cockroachdb.execute",
            (Flavor::Cockroachdb, _) => "cockroachdb.hash_method",
        }
    }
}

/// Operator defaults (`vmq_diversity.postgres.*` / `vmq_diversity.cockroachdb.*`).
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
    pub size: usize,
    pub ssl: bool,
    pub tls: TlsDefaults,
    /// What `hash_method()` returns: postgres `crypt`|`bcrypt`, cockroachdb `bcrypt`|`sha256`.
    pub password_hash_method: String,
    /// Establishing one connection (TCP + TLS + auth).
    pub connect_timeout: Duration,
    /// Waiting for a free connection when all `size` are busy (poolboy: 5 s).
    pub checkout_timeout: Duration,
    /// One whole `execute` call.
    pub query_timeout: Duration,
}

impl Defaults {
    pub fn postgres() -> Self {
        Defaults {
            pool_id: "pool_postgres".into(),
            host: "localhost".into(),
            port: 5432,
            user: "root".into(),
            password: "password".into(),
            database: "vernemq_db".into(),
            size: 5,
            ssl: false,
            tls: TlsDefaults::default(),
            password_hash_method: "crypt".into(),
            connect_timeout: Duration::from_secs(2),
            checkout_timeout: Duration::from_secs(5),
            query_timeout: Duration::from_secs(5),
        }
    }
    pub fn cockroachdb() -> Self {
        Defaults { pool_id: "pool_cockroachdb".into(), ssl: true, password_hash_method: "bcrypt".into(), ..Defaults::postgres() }
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults::postgres()
    }
}

struct PgPool {
    pool: Pool,
}

/// The `postgres` or `cockroachdb` module.
pub struct Postgres {
    flavor: Flavor,
    defaults: Defaults,
    pools: Registry<PgPool>,
}

impl Postgres {
    pub fn new(flavor: Flavor, defaults: Defaults) -> Self {
        super::init_crypto();
        Postgres { flavor, defaults, pools: Registry::default() }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).map(PValue::Bool),
            "execute" => self.execute(args).await,
            "hash_method" => Ok(self.hash_method()),
            _ => Err(no_such_function(self.flavor.module(), function)),
        }
    }

    /// `hash_method()`: the configured password hash method.
    pub fn hash_method(&self) -> PValue {
        PValue::str(&self.defaults.password_hash_method)
    }

    /// `ensure_pool(cfg)`. Connections are made on first use, so this
    /// succeeds while the server is down (as VerneMQ's reconnecting workers do).
    pub fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        let func = self.flavor.fname("ensure_pool");
        let cfg = Cfg::new(func, args)?;
        let d = &self.defaults;
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        let host = cfg.string("host", &d.host)?;
        let port = cfg.port("port", d.port)?;
        let size = cfg.size("size", d.size)?;
        let ssl = cfg.bool("ssl", d.ssl)?;
        let mut pg = tokio_postgres::Config::new();
        pg.host(&host)
            .port(port)
            .user(&cfg.string("user", &d.user)?)
            .password(cfg.string("password", &d.password)?)
            .dbname(&cfg.string("database", &d.database)?)
            .application_name("oxilua-vmq")
            .connect_timeout(d.connect_timeout)
            .ssl_mode(if ssl { SslMode::Require } else { SslMode::Disable });
        let mgr_cfg = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = if ssl {
            let tls = super::tls::client_config(&cfg.tls(&d.tls)?)
                .map_err(|e| ProviderError::new(func, ErrorKind::Config, format!("ssl: {e}")))?;
            Manager::from_config(pg, tokio_postgres_rustls::MakeRustlsConnect::new(tls), mgr_cfg)
        } else {
            Manager::from_config(pg, NoTls, mgr_cfg)
        };
        let pool = Pool::builder(manager)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(d.checkout_timeout))
            .create_timeout(Some(d.connect_timeout))
            .recycle_timeout(Some(d.connect_timeout))
            .build()
            .map_err(|e| ProviderError::new(func, ErrorKind::Config, e.to_string()))?;
        self.pools.insert(id, PgPool { pool });
        Ok(true)
    }

    /// `execute(pool_id, sql, args...)`.
    pub async fn execute(&self, args: &[PValue]) -> PResult {
        let func = self.flavor.fname("execute");
        let a = Args::new(func, args);
        let id = a.pool_id()?;
        let sql = a.text(1, "statement")?;
        let params = a.rest(2);
        let pool = self.pools.get(func, id)?;
        with_timeout(func, self.defaults.query_timeout, run_statement(func, &pool.pool, sql, params)).await
    }
}

async fn run_statement(func: &'static str, pool: &Pool, sql: &str, params: &[PValue]) -> PResult {
    let client = pool.get().await.map_err(|e| pool_error(func, e))?;
    let stmt = match client.prepare_cached(sql).await {
        Ok(s) => s,
        Err(e) => return sql_failure(func, e),
    };
    if stmt.params().len() != params.len() {
        log::warn!("{func}: statement has {} parameters, {} given: {sql}", stmt.params().len(), params.len());
        return Ok(PValue::Bool(false));
    }
    let binds: Vec<Param<'_>> = params.iter().map(|v| Param { v }).collect();
    let stream = match client.query_raw(&stmt, binds.iter().map(|p| p as &(dyn ToSql + Sync))).await {
        Ok(s) => s,
        Err(e) => return sql_failure(func, e),
    };
    futures_util::pin_mut!(stream);
    let mut rows = Vec::new();
    loop {
        match futures_util::TryStreamExt::try_next(&mut stream).await {
            Ok(Some(r)) => rows.push(r),
            Ok(None) => break,
            Err(e) => return sql_failure(func, e),
        }
    }
    let count = stream.rows_affected().unwrap_or(0);
    if counted_statement(sql) {
        return Ok(PValue::Bool(count > 0));
    }
    let columns = stmt.columns();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut map = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter().enumerate() {
            let raw: Raw = row.try_get(i).map_err(|e| ProviderError::new(func, ErrorKind::Driver, e.to_string()))?;
            let v = match raw.0 {
                None => PValue::str("null"),
                Some(bytes) => decode(col.type_(), bytes)
                    .map_err(|e| ProviderError::new(func, ErrorKind::Driver, format!("column {}: {e}", col.name())))?,
            };
            map.push((PValue::str(col.name()), v));
        }
        out.push(PValue::Map(map));
    }
    Ok(PValue::Array(out))
}

fn pool_error(func: &str, e: PoolError) -> ProviderError {
    match e {
        PoolError::Backend(e) => {
            let (kind, msg) = describe_error(&e);
            let kind = if kind == ErrorKind::Driver { ErrorKind::Connection } else { kind };
            ProviderError::new(func, kind, msg)
        }
        PoolError::Timeout(TimeoutType::Wait) => ProviderError::new(func, ErrorKind::Timeout, "timeout: no free connection in the pool"),
        PoolError::Timeout(_) => ProviderError::new(func, ErrorKind::Timeout, "connection timed out"),
        other => ProviderError::new(func, ErrorKind::Connection, other.to_string()),
    }
}

/// An error from prepare/query: SQL errors reported by the server are
/// `false` (logged); a lost connection or a bind failure is an error.
fn sql_failure(func: &str, e: tokio_postgres::Error) -> PResult {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        // Class 08 (connection exception) and 57 (operator intervention,
        // e.g. the server shutting down) mean the backend is going away.
        if !(code.starts_with("08") || code.starts_with("57")) {
            log::warn!("{func}: {} ({})", db.message(), code);
            return Ok(PValue::Bool(false));
        }
        return Err(ProviderError::new(func, ErrorKind::Connection, format!("{} ({code})", db.message())));
    }
    if e.is_closed() {
        return Err(ProviderError::new(func, ErrorKind::Connection, "connection closed"));
    }
    let (kind, msg) = describe_error(&e);
    Err(ProviderError::new(func, kind, msg))
}

// ------------------------------------------------------------------ statement kind

/// Does the statement's command tag carry a row count, which epgsql turns
/// into `{ok, Count}` / `{ok, Count, Cols, Rows}`? True for INSERT, UPDATE,
/// DELETE, MOVE, FETCH and COPY, also as the main statement after `WITH`.
pub fn counted_statement(sql: &str) -> bool {
    let words = top_level_words(sql);
    let mut it = words.iter();
    let first = match it.next() {
        Some(w) => w.to_ascii_uppercase(),
        None => return false,
    };
    let main = if first == "WITH" {
        match it
            .map(|w| w.to_ascii_uppercase())
            .find(|w| matches!(w.as_str(), "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "VALUES" | "TABLE" | "MERGE"))
        {
            Some(w) => w,
            None => return false,
        }
    } else {
        first
    };
    matches!(main.as_str(), "INSERT" | "UPDATE" | "DELETE" | "MOVE" | "FETCH" | "COPY")
}

/// The words outside parentheses, comments and quoted text.
fn top_level_words(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut words = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() {
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                // $tag$ ... $tag$ (a bare $n parameter just moves on)
                let start = i;
                let is_param = b.get(i + 1).is_none_or(|c| c.is_ascii_digit());
                let mut j = i + 1;
                while !is_param && j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if !is_param && j < b.len() && b[j] == b'$' {
                    let tag = &sql[start..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if depth == 0 {
                    words.push(&sql[start..i]);
                }
            }
            _ => i += 1,
        }
    }
    words
}

// ------------------------------------------------------------------ binding

/// A Lua value bound to a parameter; encoded for the type the server
/// inferred for that parameter.
struct Param<'a> {
    v: &'a PValue,
}

impl std::fmt::Debug for Param<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.v)
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxErr> {
        encode(self.v, ty, out)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

fn as_text(v: &PValue) -> Result<Cow<'_, [u8]>, BoxErr> {
    match v {
        PValue::Str(s) => Ok(Cow::Borrowed(s)),
        PValue::Num(n) => Ok(Cow::Owned(lua_number_to_string(*n).into_bytes())),
        PValue::Bool(b) => Ok(Cow::Borrowed(if *b { b"true" } else { b"false" })),
        other => Err(format!("cannot bind a {} as text", other.type_name()).into()),
    }
}

fn as_str(v: &PValue) -> Result<String, BoxErr> {
    let t = as_text(v)?;
    Ok(std::str::from_utf8(&t).map_err(|_| "not valid UTF-8")?.trim().to_string())
}

fn as_i64(v: &PValue) -> Result<i64, BoxErr> {
    match v {
        PValue::Num(n) if n.fract() == 0.0 && n.is_finite() && n.abs() < 9.3e18 => Ok(*n as i64),
        PValue::Num(n) => Err(format!("{} is not an integer", lua_number_to_string(*n)).into()),
        PValue::Str(_) => as_str(v)?.parse::<i64>().map_err(|_| format!("{:?} is not an integer", v).into()),
        other => Err(format!("cannot bind a {} as an integer", other.type_name()).into()),
    }
}

fn as_f64(v: &PValue) -> Result<f64, BoxErr> {
    match v {
        PValue::Num(n) => Ok(*n),
        PValue::Str(_) => as_str(v)?.parse::<f64>().map_err(|_| format!("{:?} is not a number", v).into()),
        other => Err(format!("cannot bind a {} as a number", other.type_name()).into()),
    }
}

fn encode(v: &PValue, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxErr> {
    if v.is_nil() {
        return Ok(IsNull::Yes);
    }
    match ty.kind() {
        Kind::Domain(inner) => return encode(v, inner, out),
        Kind::Enum(_) => {
            out.put_slice(&as_text(v)?);
            return Ok(IsNull::No);
        }
        Kind::Array(elem) => {
            let items: Vec<&PValue> = match v {
                PValue::Array(items) => items.iter().collect(),
                PValue::Map(pairs) if pairs.is_empty() => Vec::new(),
                other => return Err(format!("cannot bind a {} to an array parameter", other.type_name()).into()),
            };
            let dims = [pgt::ArrayDimension { len: items.len() as i32, lower_bound: 1 }];
            pgt::array_to_sql(
                dims,
                elem.oid(),
                items,
                |item, buf| match encode(item, elem, buf)? {
                    IsNull::Yes => Ok(postgres_protocol::IsNull::Yes),
                    IsNull::No => Ok(postgres_protocol::IsNull::No),
                },
                out,
            )?;
            return Ok(IsNull::No);
        }
        _ => {}
    }
    match *ty {
        Type::BOOL => {
            let b = match v {
                PValue::Bool(b) => *b,
                PValue::Num(n) => *n != 0.0,
                _ => match as_str(v)?.to_ascii_lowercase().as_str() {
                    "t" | "true" | "1" | "y" | "yes" | "on" => true,
                    "f" | "false" | "0" | "n" | "no" | "off" => false,
                    s => return Err(format!("{s:?} is not a boolean").into()),
                },
            };
            pgt::bool_to_sql(b, out);
        }
        Type::INT2 => pgt::int2_to_sql(i16::try_from(as_i64(v)?).map_err(|_| "out of range for smallint")?, out),
        Type::INT4 => pgt::int4_to_sql(i32::try_from(as_i64(v)?).map_err(|_| "out of range for integer")?, out),
        Type::INT8 => pgt::int8_to_sql(as_i64(v)?, out),
        Type::OID => pgt::oid_to_sql(u32::try_from(as_i64(v)?).map_err(|_| "out of range for oid")?, out),
        Type::FLOAT4 => pgt::float4_to_sql(as_f64(v)? as f32, out),
        Type::FLOAT8 => pgt::float8_to_sql(as_f64(v)?, out),
        Type::NUMERIC => out.put_slice(&numeric_from_text(&as_str(v)?)?),
        Type::JSONB => {
            out.put_u8(1);
            out.put_slice(&as_text(v)?);
        }
        Type::BYTEA | Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON | Type::XML => {
            out.put_slice(&as_text(v)?)
        }
        Type::CHAR => {
            let t = as_text(v)?;
            out.put_u8(t.first().copied().unwrap_or(0));
        }
        Type::UUID => out.put_slice(&parse_uuid(&as_str(v)?)?),
        Type::DATE => {
            let d = NaiveDate::parse_from_str(&as_str(v)?, "%Y-%m-%d")?;
            pgt::date_to_sql((d - pg_epoch().date()).num_days() as i32, out);
        }
        Type::TIME => {
            let s = as_str(v)?;
            let t = NaiveTime::parse_from_str(&s, "%H:%M:%S%.f").or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M"))?;
            let us = (t - NaiveTime::MIN).num_microseconds().ok_or("time out of range")?;
            pgt::time_to_sql(us, out);
        }
        Type::TIMESTAMP => {
            let ts = parse_timestamp(&as_str(v)?)?;
            let us = (ts - pg_epoch()).num_microseconds().ok_or("timestamp out of range")?;
            pgt::timestamp_to_sql(us, out);
        }
        Type::TIMESTAMPTZ => {
            let s = as_str(v)?;
            let utc = match DateTime::parse_from_rfc3339(&s).or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f%#z")) {
                Ok(dt) => dt.naive_utc(),
                Err(_) => parse_timestamp(&s)?, // no offset: UTC
            };
            let us = (utc - pg_epoch()).num_microseconds().ok_or("timestamp out of range")?;
            pgt::timestamp_to_sql(us, out);
        }
        _ if ty.name() == "citext" => out.put_slice(&as_text(v)?),
        _ => {
            return Err(
                format!("cannot bind a {} to a parameter of type {} (cast the parameter, e.g. $1::text)", v.type_name(), ty.name()).into()
            )
        }
    }
    Ok(IsNull::No)
}

fn parse_timestamp(s: &str) -> Result<NaiveDateTime, BoxErr> {
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(t);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN));
    }
    Err(format!("{s:?} is not an ISO-8601 timestamp").into())
}

fn parse_uuid(s: &str) -> Result<[u8; 16], BoxErr> {
    let hex: Vec<u8> = s.bytes().filter(|c| *c != b'-').collect();
    let hex = hex.strip_prefix(b"{").unwrap_or(&hex);
    let hex = hex.strip_suffix(b"}").unwrap_or(hex);
    if hex.len() != 32 {
        return Err(format!("{s:?} is not a UUID").into());
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let t = std::str::from_utf8(pair).map_err(|_| "bad UUID")?;
        out[i] = u8::from_str_radix(t, 16).map_err(|_| format!("{s:?} is not a UUID"))?;
    }
    Ok(out)
}

/// NUMERIC's binary form from decimal text (`-12.345`, `1e+15`, `NaN`).
pub(crate) fn numeric_from_text(s: &str) -> Result<Vec<u8>, BoxErr> {
    let s = s.trim();
    let mut out = Vec::new();
    let header = |out: &mut Vec<u8>, ndigits: i16, weight: i16, sign: u16, dscale: u16| {
        out.extend_from_slice(&ndigits.to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
    };
    match s.to_ascii_lowercase().as_str() {
        "nan" => {
            header(&mut out, 0, 0, 0xC000, 0);
            return Ok(out);
        }
        "infinity" | "inf" | "+infinity" | "+inf" => {
            header(&mut out, 0, 0, 0xD000, 0);
            return Ok(out);
        }
        "-infinity" | "-inf" => {
            header(&mut out, 0, 0, 0xF000, 0);
            return Ok(out);
        }
        _ => {}
    }
    let expanded;
    let s = if s.contains(['e', 'E']) {
        let f: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
        expanded = format!("{f}");
        expanded.as_str()
    } else {
        s
    };
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()) {
        return Err(format!("{s:?} is not a number").into());
    }
    let int = int.trim_start_matches('0');
    let dscale = frac.len() as u16;
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let int_digits: String = "0".repeat(int_pad) + int;
    let frac_digits: String = frac.to_string() + &"0".repeat(frac_pad);
    let group = |t: &str| -> Vec<i16> { t.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap().parse::<i16>().unwrap()).collect() };
    let mut digits = group(&int_digits);
    let mut weight = digits.len() as i32 - 1;
    digits.extend(group(&frac_digits));
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let sign = if neg && !digits.is_empty() { 0x4000 } else { 0 };
    header(&mut out, digits.len() as i16, weight as i16, sign, dscale);
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    Ok(out)
}

// ------------------------------------------------------------------ decoding

/// Any column value, as its raw binary form.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxErr> {
        Ok(Raw(Some(raw)))
    }
    fn from_sql_null(_: &Type) -> Result<Self, BoxErr> {
        Ok(Raw(None))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn pg_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date").and_time(NaiveTime::MIN)
}

fn fmt_timestamp(us: i64) -> Result<String, BoxErr> {
    match us {
        i64::MAX => Ok("infinity".into()),
        i64::MIN => Ok("-infinity".into()),
        _ => {
            let t = pg_epoch().checked_add_signed(TimeDelta::microseconds(us)).ok_or("timestamp out of range")?;
            Ok(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
        }
    }
}

fn fmt_time(us: i64) -> Result<String, BoxErr> {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = format!("{h:02}:{m:02}:{s:02}");
    if frac != 0 {
        out.push_str(format!(".{frac:06}").trim_end_matches('0'));
    }
    Ok(out)
}

fn decode(ty: &Type, raw: &[u8]) -> Result<PValue, BoxErr> {
    match ty.kind() {
        Kind::Domain(inner) => return decode(inner, raw),
        Kind::Enum(_) => return Ok(PValue::str(raw)),
        Kind::Array(elem) => return decode_array(elem, raw),
        _ => {}
    }
    Ok(match *ty {
        Type::BOOL => PValue::Bool(pgt::bool_from_sql(raw)?),
        Type::INT2 => PValue::Num(pgt::int2_from_sql(raw)? as f64),
        Type::INT4 => PValue::Num(pgt::int4_from_sql(raw)? as f64),
        Type::INT8 => PValue::Num(pgt::int8_from_sql(raw)? as f64),
        Type::OID | Type::REGCLASS | Type::REGPROC | Type::REGTYPE | Type::XID | Type::CID => PValue::Num(pgt::oid_from_sql(raw)? as f64),
        Type::FLOAT4 => PValue::Num(pgt::float4_from_sql(raw)? as f64),
        Type::FLOAT8 => PValue::Num(pgt::float8_from_sql(raw)?),
        Type::NUMERIC => PValue::Num(numeric_to_text(raw)?.parse::<f64>().unwrap_or(f64::NAN)),
        Type::MONEY => PValue::Num(pgt::int8_from_sql(raw)? as f64 / 100.0),
        Type::JSONB => PValue::str(raw.strip_prefix(&[1u8]).unwrap_or(raw)),
        Type::UUID => {
            let u = pgt::uuid_from_sql(raw)?;
            let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
            PValue::from(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
        }
        Type::DATE => {
            let days = pgt::date_from_sql(raw)?;
            match days {
                i32::MAX => PValue::str("infinity"),
                i32::MIN => PValue::str("-infinity"),
                _ => {
                    let d = pg_epoch().date().checked_add_signed(TimeDelta::days(days as i64)).ok_or("date out of range")?;
                    PValue::from(d.format("%Y-%m-%d").to_string())
                }
            }
        }
        Type::TIME => PValue::from(fmt_time(pgt::time_from_sql(raw)?)?),
        Type::TIMETZ => {
            if raw.len() != 12 {
                return Err("bad timetz".into());
            }
            let us = i64::from_be_bytes(raw[0..8].try_into().expect("8 bytes"));
            let west = i32::from_be_bytes(raw[8..12].try_into().expect("4 bytes"));
            let east = -west;
            let sign = if east < 0 { '-' } else { '+' };
            let e = east.abs();
            PValue::from(format!("{}{sign}{:02}:{:02}", fmt_time(us)?, e / 3600, (e / 60) % 60))
        }
        Type::TIMESTAMP => PValue::from(fmt_timestamp(pgt::timestamp_from_sql(raw)?)?),
        Type::TIMESTAMPTZ => {
            let us = pgt::timestamp_from_sql(raw)?;
            let mut s = fmt_timestamp(us)?;
            if us != i64::MAX && us != i64::MIN {
                s.push('Z');
            }
            PValue::from(s)
        }
        Type::INTERVAL => {
            if raw.len() != 16 {
                return Err("bad interval".into());
            }
            let us = i64::from_be_bytes(raw[0..8].try_into().expect("8 bytes"));
            let days = i32::from_be_bytes(raw[8..12].try_into().expect("4 bytes"));
            let months = i32::from_be_bytes(raw[12..16].try_into().expect("4 bytes"));
            PValue::from(fmt_interval(months, days, us))
        }
        Type::INET | Type::CIDR => {
            let inet = pgt::inet_from_sql(raw)?;
            let full = if inet.addr().is_ipv4() { 32 } else { 128 };
            if inet.netmask() == full && *ty == Type::INET {
                PValue::from(inet.addr().to_string())
            } else {
                PValue::from(format!("{}/{}", inet.addr(), inet.netmask()))
            }
        }
        _ => PValue::str(raw),
    })
}

fn fmt_interval(months: i32, days: i32, us: i64) -> String {
    let mut s = String::from("P");
    let (y, mo) = (months / 12, months % 12);
    if y != 0 {
        s.push_str(&format!("{y}Y"));
    }
    if mo != 0 {
        s.push_str(&format!("{mo}M"));
    }
    if days != 0 {
        s.push_str(&format!("{days}D"));
    }
    if us != 0 {
        s.push('T');
        let neg = us < 0;
        let a = us.unsigned_abs();
        let (h, m, sec, frac) = (a / 3_600_000_000, (a / 60_000_000) % 60, (a / 1_000_000) % 60, a % 1_000_000);
        let sign = if neg { "-" } else { "" };
        if h != 0 {
            s.push_str(&format!("{sign}{h}H"));
        }
        if m != 0 {
            s.push_str(&format!("{sign}{m}M"));
        }
        if sec != 0 || frac != 0 {
            if frac != 0 {
                let f = format!("{frac:06}");
                s.push_str(&format!("{sign}{sec}.{}S", f.trim_end_matches('0')));
            } else {
                s.push_str(&format!("{sign}{sec}S"));
            }
        }
    }
    if s == "P" {
        s.push_str("T0S");
    }
    s
}

fn decode_array(elem: &Type, raw: &[u8]) -> Result<PValue, BoxErr> {
    let arr = pgt::array_from_sql(raw)?;
    let dims: Vec<usize> = arr.dimensions().map(|d| Ok(d.len.max(0) as usize)).collect()?;
    let values: Vec<PValue> = arr
        .values()
        .map(|v| match v {
            None => Ok(PValue::str("null")),
            Some(bytes) => decode(elem, bytes),
        })
        .collect()?;
    if dims.is_empty() {
        return Ok(PValue::Array(Vec::new()));
    }
    fn nest(values: &mut std::vec::IntoIter<PValue>, dims: &[usize]) -> PValue {
        if dims.len() == 1 {
            return PValue::Array(values.take(dims[0]).collect());
        }
        PValue::Array((0..dims[0]).map(|_| nest(values, &dims[1..])).collect())
    }
    Ok(nest(&mut values.into_iter(), &dims))
}

/// NUMERIC's binary form as decimal text.
pub(crate) fn numeric_to_text(raw: &[u8]) -> Result<String, BoxErr> {
    if raw.len() < 8 {
        return Err("bad numeric".into());
    }
    let rd = |i: usize| i16::from_be_bytes([raw[i], raw[i + 1]]);
    let ndigits = rd(0).max(0) as usize;
    let weight = rd(2) as i32;
    let sign = u16::from_be_bytes([raw[4], raw[5]]);
    let dscale = u16::from_be_bytes([raw[6], raw[7]]) as i32;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    if raw.len() < 8 + 2 * ndigits {
        return Err("bad numeric".into());
    }
    let digit = |i: i32| -> i16 {
        if i < 0 || i as usize >= ndigits {
            0
        } else {
            rd(8 + 2 * i as usize)
        }
    };
    let mut s = String::new();
    if sign == 0x4000 {
        s.push('-');
    }
    if weight < 0 {
        s.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                s.push_str(&digit(i).to_string());
            } else {
                s.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut i = weight + 1;
        while (frac.len() as i32) < dscale {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(dscale as usize);
        s.push('.');
        s.push_str(&frac);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_kinds() {
        assert!(counted_statement("INSERT INTO t VALUES (1)"));
        assert!(counted_statement("  update t set a = 1"));
        assert!(counted_statement("-- c\n/* x */ DELETE FROM t RETURNING *"));
        assert!(counted_statement("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"));
        assert!(counted_statement("WITH RECURSIVE x(a) AS (SELECT 1 UNION SELECT a FROM x) DELETE FROM t"));
        assert!(!counted_statement("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"));
        assert!(!counted_statement("SELECT 'INSERT' FROM t"));
        assert!(!counted_statement("CREATE TABLE t (a int)"));
        assert!(!counted_statement("(SELECT 1)"));
        assert!(!counted_statement("SELECT $q$ DELETE $q$, $1"));
        assert!(counted_statement("copy t from stdin"));
    }

    #[test]
    fn numeric_roundtrip() {
        for s in ["0", "1", "-1", "12345.678", "0.0001", "10000", "-0.5", "123456789.000001", "0.00"] {
            let bin = numeric_from_text(s).unwrap();
            let back = numeric_to_text(&bin).unwrap();
            assert_eq!(back.parse::<f64>().unwrap(), s.parse::<f64>().unwrap(), "{s} -> {back}");
        }
        assert_eq!(numeric_to_text(&numeric_from_text("12345.678").unwrap()).unwrap(), "12345.678");
        assert_eq!(numeric_to_text(&numeric_from_text("0.0001").unwrap()).unwrap(), "0.0001");
        assert_eq!(numeric_to_text(&numeric_from_text("1e+15").unwrap()).unwrap(), "1000000000000000");
    }

    #[test]
    fn intervals() {
        assert_eq!(fmt_interval(14, 3, 3_723_500_000), "P1Y2M3DT1H2M3.5S");
        assert_eq!(fmt_interval(0, 0, 0), "PT0S");
    }
}
