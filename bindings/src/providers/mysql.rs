//! `mysql` (Emysql in VerneMQ, reference §5.1) and `mysql2` (mysql-otp,
//! §5.2) on mysql_async, for MySQL and MariaDB.
//!
//! `execute(pool_id, sql, args...)` binds `?` placeholders (prepared
//! statement, binary protocol) and returns:
//! - a statement with a result set: an array of rows, each a map column
//!   name -> value;
//! - an OK packet (INSERT/UPDATE/DDL...): `true`;
//! - an error reported by the server (SQL error, constraint, wrong number
//!   of parameters): `false`;
//! - a refused or broken connection, a timeout: an error (`mysql.execute:
//!   connection refused`). (VerneMQ's `mysql2` answers `false` when not
//!   connected; DECISIONS §2 makes every backend outage an error.)
//!
//! The flavours differ in defaults, `hash_method` and NULL: `mysql` gives
//! `"undefined"` (Emysql's atom), `mysql2` gives `"null"`.
//!
//! Values: integers and floats -> number, DECIMAL -> number, strings/BLOBs/
//! JSON -> string, DATE -> `YYYY-MM-DD`, DATETIME/TIMESTAMP ->
//! `YYYY-MM-DDTHH:MM:SS[.ffffff]`, TIME -> `[-]HH:MM:SS[.ffffff]` (hours
//! may exceed 24). Lua values bind as: nil -> NULL, boolean -> 1/0,
//! integral number -> integer, other number -> double, string -> bytes.
//!
//! Before each statement the checked-out connection is pinged, so
//! connections broken by a server restart are replaced instead of failing
//! the call (one extra round trip).

use std::time::Duration;

use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{ClientIdentity, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, SslOpts, Value};

use super::{describe_error, no_such_function, with_timeout, Args, Cfg, ErrorKind, PResult, ProviderError, Registry, TlsDefaults, Verify};
use crate::pvalue::PValue;

/// Which module this instance serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `mysql` (Emysql): NULL is `"undefined"`, no `ssl` key.
    Mysql,
    /// `mysql2` (mysql-otp): NULL is `"null"`, TLS keys supported.
    Mysql2,
}

impl Flavor {
    fn module(self) -> &'static str {
        match self {
            Flavor::Mysql => "mysql",
            Flavor::Mysql2 => "mysql2",
        }
    }
    fn fname(self, f: &str) -> &'static str {
        match (self, f) {
            (Flavor::Mysql, "ensure_pool") => "mysql.ensure_pool",
            (Flavor::Mysql, "execute") => "mysql.execute",
            (Flavor::Mysql, _) => "mysql.hash_method",
            (Flavor::Mysql2, "ensure_pool") => "mysql2.ensure_pool",
            (Flavor::Mysql2, "execute") => "mysql2.execute",
            (Flavor::Mysql2, _) => "mysql2.hash_method",
        }
    }
    fn null(self) -> PValue {
        match self {
            Flavor::Mysql => PValue::str("undefined"),
            Flavor::Mysql2 => PValue::str("null"),
        }
    }
}

/// Operator defaults (`vmq_diversity.mysql.*` / `vmq_diversity.mysql2.*`).
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// `None`: no default database.
    pub database: Option<String>,
    pub size: usize,
    /// mysql2 only.
    pub ssl: bool,
    pub tls: TlsDefaults,
    /// `password` | `md5` | `sha1` | `sha256`: what `hash_method()` maps to SQL.
    pub password_hash_method: String,
    pub connect_timeout: Duration,
    /// One whole `execute` call.
    pub query_timeout: Duration,
}

impl Defaults {
    pub fn mysql() -> Self {
        Defaults {
            pool_id: "pool_mysql".into(),
            host: "localhost".into(),
            port: 3306,
            user: "root".into(),
            password: "password".into(),
            database: Some("vernemq_db".into()),
            size: 5,
            ssl: false,
            tls: TlsDefaults::default(),
            password_hash_method: "password".into(),
            connect_timeout: Duration::from_secs(2),
            query_timeout: Duration::from_secs(5),
        }
    }
    pub fn mysql2() -> Self {
        Defaults { pool_id: "pool_mysql2".into(), password_hash_method: "sha256".into(), ..Defaults::mysql() }
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults::mysql()
    }
}

struct MyPool {
    pool: Pool,
    size: usize,
}

/// The `mysql` or `mysql2` module.
pub struct MySql {
    flavor: Flavor,
    defaults: Defaults,
    pools: Registry<MyPool>,
}

impl MySql {
    pub fn new(flavor: Flavor, defaults: Defaults) -> Self {
        super::init_crypto();
        MySql { flavor, defaults, pools: Registry::default() }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).map(PValue::Bool),
            "execute" => self.execute(args).await,
            "hash_method" => Ok(self.hash_method()),
            _ => Err(no_such_function(self.flavor.module(), function)),
        }
    }

    /// `hash_method()`: the SQL fragment for the configured method.
    pub fn hash_method(&self) -> PValue {
        PValue::str(match self.defaults.password_hash_method.as_str() {
            "md5" => "MD5(?)",
            "sha1" => "SHA1(?)",
            "sha256" => "SHA2(?, 256)",
            _ => "PASSWORD(?)",
        })
    }

    /// `ensure_pool(cfg)`; connects lazily. `encoding` is accepted and
    /// ignored (connections always use utf8mb4).
    pub fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        let func = self.flavor.fname("ensure_pool");
        let cfg = Cfg::new(func, args)?;
        let d = &self.defaults;
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        let host = cfg.string("host", &d.host)?;
        let size = cfg.size("size", d.size)?;
        let _encoding = cfg.opt_string("encoding")?;
        let constraints = PoolConstraints::new(0, size).ok_or_else(|| ProviderError::new(func, ErrorKind::Config, "bad pool size"))?;
        let mut opts = OptsBuilder::default()
            .ip_or_hostname(host.clone())
            .tcp_port(cfg.port("port", d.port)?)
            .user(Some(cfg.string("user", &d.user)?))
            .pass(Some(cfg.string("password", &d.password)?))
            .db_name(cfg.opt_nonempty("database", d.database.as_deref())?)
            .prefer_socket(false)
            .tcp_nodelay(true)
            .pool_opts(PoolOpts::default().with_constraints(constraints));
        if self.flavor == Flavor::Mysql2 && cfg.bool("ssl", d.ssl)? {
            let t = cfg.tls(&d.tls)?;
            let mut ssl = SslOpts::default();
            if let Some(ca) = &t.cacertfile {
                ssl = ssl.with_root_certs(vec![std::path::PathBuf::from(ca).into()]);
            }
            if !t.use_system_cas {
                ssl = ssl.with_disable_built_in_roots(true);
            }
            match (&t.certfile, &t.keyfile) {
                (Some(c), Some(k)) => {
                    ssl = ssl.with_client_identity(Some(ClientIdentity::new(
                        std::path::PathBuf::from(c).into(),
                        std::path::PathBuf::from(k).into(),
                    )))
                }
                (None, None) => {}
                _ => return Err(ProviderError::new(func, ErrorKind::Config, "ssl: certfile and keyfile must be given together")),
            }
            if t.verify == Verify::None {
                ssl = ssl.with_danger_accept_invalid_certs(true).with_danger_skip_domain_validation(true);
            }
            if let Some(sni) = t.sni {
                ssl = ssl.with_danger_tls_hostname_override(Some(sni));
            }
            opts = opts.ssl_opts(Some(ssl));
        }
        let pool = Pool::new(opts);
        self.pools.insert(id, MyPool { pool, size });
        Ok(true)
    }

    /// `execute(pool_id, sql, args...)`.
    pub async fn execute(&self, args: &[PValue]) -> PResult {
        let func = self.flavor.fname("execute");
        let a = Args::new(func, args);
        let id = a.pool_id()?;
        let sql = a.text(1, "statement")?;
        let mut params = Vec::with_capacity(args.len().saturating_sub(2));
        for (i, v) in a.rest(2).iter().enumerate() {
            params.push(
                to_mysql(v)
                    .ok_or_else(|| ProviderError::bad_arg(func, format!("cannot bind a {} (argument #{})", v.type_name(), i + 3)))?,
            );
        }
        let pool = self.pools.get(func, id)?;
        let flavor = self.flavor;
        let connect_timeout = self.defaults.connect_timeout;
        with_timeout(func, self.defaults.query_timeout, async move {
            let mut conn = checkout(func, &pool, connect_timeout).await?;
            let params = if params.is_empty() { Params::Empty } else { Params::Positional(params) };
            let mut result = match conn.exec_iter(sql, params).await {
                Ok(r) => r,
                Err(e) => return failure(func, e),
            };
            let columns = result.columns();
            let rows: Vec<mysql_async::Row> = match result.collect().await {
                Ok(r) => r,
                Err(e) => return failure(func, e),
            };
            drop(result);
            let columns = match columns {
                Some(c) if !c.is_empty() => c,
                _ => return Ok(PValue::Bool(true)),
            };
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let values = row.unwrap();
                let mut map = Vec::with_capacity(values.len());
                for (col, v) in columns.iter().zip(values) {
                    map.push((PValue::from(col.name_str().into_owned()), from_mysql(flavor, col.column_type(), v)));
                }
                out.push(PValue::Map(map));
            }
            Ok(PValue::Array(out))
        })
        .await
    }
}

/// A pooled connection that answers a ping; broken ones are dropped (the
/// pool discards them) and replaced.
async fn checkout(func: &str, pool: &MyPool, connect_timeout: Duration) -> PResult<mysql_async::Conn> {
    let mut last_err = None;
    for _ in 0..=pool.size {
        let conn = match tokio::time::timeout(connect_timeout, pool.pool.get_conn()).await {
            Err(_) => return Err(ProviderError::new(func, ErrorKind::Timeout, "connection timed out")),
            Ok(Err(e)) => return Err(conn_error(func, e)),
            Ok(Ok(c)) => c,
        };
        let mut conn = conn;
        match tokio::time::timeout(connect_timeout, conn.ping()).await {
            Ok(Ok(())) => return Ok(conn),
            Ok(Err(e)) => last_err = Some(conn_error(func, e)),
            Err(_) => last_err = Some(ProviderError::new(func, ErrorKind::Timeout, "ping timed out")),
        }
        // `conn` is dropped here; the pool does not keep a broken connection.
    }
    Err(last_err.unwrap_or_else(|| ProviderError::new(func, ErrorKind::Connection, "no usable connection")))
}

fn conn_error(func: &str, e: mysql_async::Error) -> ProviderError {
    match &e {
        mysql_async::Error::Server(s) => ProviderError::new(func, ErrorKind::Connection, format!("{} ({})", s.message, s.code)),
        _ => {
            let (kind, msg) = describe_error(&e);
            let kind = if kind == ErrorKind::Driver { ErrorKind::Connection } else { kind };
            ProviderError::new(func, kind, msg)
        }
    }
}

fn failure(func: &str, e: mysql_async::Error) -> PResult {
    match &e {
        mysql_async::Error::Server(s) => {
            log::warn!("{func}: {} ({})", s.message, s.code);
            Ok(PValue::Bool(false))
        }
        mysql_async::Error::Driver(mysql_async::DriverError::StmtParamsMismatch { required, supplied }) => {
            log::warn!("{func}: statement needs {required} parameters, {supplied} given");
            Ok(PValue::Bool(false))
        }
        _ => Err(conn_error(func, e)),
    }
}

fn to_mysql(v: &PValue) -> Option<Value> {
    Some(match v {
        PValue::Nil => Value::NULL,
        PValue::Bool(b) => Value::Int(*b as i64),
        PValue::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e18 => Value::Int(*n as i64),
        PValue::Num(n) => Value::Double(*n),
        PValue::Str(s) => Value::Bytes(s.clone()),
        PValue::Array(_) | PValue::Map(_) => return None,
    })
}

fn frac(us: u32) -> String {
    if us == 0 {
        String::new()
    } else {
        format!(".{us:06}").trim_end_matches('0').to_string()
    }
}

fn from_mysql(flavor: Flavor, ty: ColumnType, v: Value) -> PValue {
    match v {
        Value::NULL => flavor.null(),
        Value::Int(i) => PValue::Num(i as f64),
        Value::UInt(u) => PValue::Num(u as f64),
        Value::Float(f) => PValue::Num(f as f64),
        Value::Double(d) => PValue::Num(d),
        Value::Bytes(b) => match ty {
            ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL => {
                std::str::from_utf8(&b).ok().and_then(|s| s.parse::<f64>().ok()).map(PValue::Num).unwrap_or(PValue::Str(b))
            }
            _ => PValue::Str(b),
        },
        Value::Date(y, mo, d, h, mi, s, us) => {
            if ty == ColumnType::MYSQL_TYPE_DATE || ty == ColumnType::MYSQL_TYPE_NEWDATE {
                PValue::from(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                PValue::from(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{}", frac(us)))
            }
        }
        Value::Time(neg, days, h, mi, s, us) => {
            let hours = days * 24 + h as u32;
            PValue::from(format!("{}{hours:02}:{mi:02}:{s:02}{}", if neg { "-" } else { "" }, frac(us)))
        }
    }
}
