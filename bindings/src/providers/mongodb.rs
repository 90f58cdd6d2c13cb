//! `mongodb` (reference §5.4) on the official `mongodb` crate (rustls with
//! `ring`; [`super::init_crypto`] installs the provider).
//!
//! - `ensure_pool(cfg)`: `pool_id`, `size`, `max_overflow` (the pool holds
//!   up to size + max_overflow connections), `login`, `password`,
//!   `auth_source` (default `admin`), `host`, `port`, `database` (default
//!   `test`), `w_mode` (`safe`: acknowledged writes, `unsafe`: w=0),
//!   `ssl` plus the TLS keys, `sni`. `srv` is refused (no DNS resolver is
//!   built in). Connects lazily, directly to the one server.
//! - `insert(pool, coll, doc | {doc, ...})` -> the document(s) with `_id`
//!   (generated when missing); `update(pool, coll, selector, doc)` ->
//!   `true`, `$set`s `doc` in the **first** match (as VerneMQ's multi=false);
//!   `delete(pool, coll, selector)` -> `true`, removes every match;
//!   `find(pool, coll, selector [, args])` -> a cursor string;
//!   `find_one(pool, coll, selector [, args])` -> the document or `false`;
//!   `next(cursor)` -> a document or `false` once exhausted/closed;
//!   `take(cursor, n)` -> up to n documents, or `false` once exhausted;
//!   `close(cursor)` -> `true`. `args` keys: `projector` (projection),
//!   `skip`, `batchsize`, `readopts = {mode = "primary"|...}`.
//! - Documents: key/value tables become BSON documents, arrays become BSON
//!   arrays (VerneMQ cannot store arrays; we can), a top-level `_id` string
//!   `"vmq-objid" .. <12 bytes>` is an ObjectId. Back to Lua: ObjectIds are
//!   `"vmq-objid" .. <12 raw bytes>` (at any depth), datetimes are Unix
//!   milliseconds, BSON null is `"null"`, binaries are strings.
//! - Every driver failure, including the server being down, is an error
//!   (`mongodb.insert: connection refused`); VerneMQ fails hard there, and
//!   its `find_one` answered `false` when not connected. A `find` without
//!   matches gives an exhausted cursor (VerneMQ fails hard); `take` on a
//!   live cursor that has nothing left gives `false` (VerneMQ fails hard).
//! - Cursors left open are dropped after `cursor_idle_timeout`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::{
    Acknowledgment, ClientOptions, Credential, ReadPreference, SelectionCriteria, ServerAddress, Tls, TlsOptions, WriteConcern,
};
use mongodb::{Client, Cursor};
use tokio::sync::Mutex as AsyncMutex;

use super::{no_such_function, with_timeout, Args, Cfg, ErrorKind, PResult, ProviderError, Registry, TlsDefaults, Verify};
use crate::pvalue::PValue;

/// Prefix of an ObjectId in Lua (followed by the 12 raw bytes).
pub const OBJID_PREFIX: &[u8] = b"vmq-objid";
/// Prefix of a cursor handle.
pub const CURSOR_PREFIX: &str = "mongo-cursor-";

/// Operator defaults (`vmq_diversity.mongodb.*`).
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub host: String,
    pub port: u16,
    pub login: Option<String>,
    pub password: Option<String>,
    pub auth_source: String,
    pub database: Option<String>,
    pub size: u32,
    pub max_overflow: u32,
    /// `safe` or `unsafe`.
    pub w_mode: String,
    /// `find_one`'s read preference when `readopts` has none.
    pub read_preference: String,
    pub ssl: bool,
    pub tls: TlsDefaults,
    pub connect_timeout: Duration,
    /// How long to wait for a usable server: a down server fails after this.
    pub server_selection_timeout: Duration,
    /// One whole call.
    pub op_timeout: Duration,
    pub cursor_idle_timeout: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            pool_id: "pool_mongodb".into(),
            host: "localhost".into(),
            port: 27017,
            login: None,
            password: None,
            auth_source: "admin".into(),
            database: None,
            size: 5,
            max_overflow: 20,
            w_mode: "safe".into(),
            read_preference: "primary".into(),
            ssl: false,
            tls: TlsDefaults::default(),
            connect_timeout: Duration::from_secs(2),
            server_selection_timeout: Duration::from_secs(1),
            op_timeout: Duration::from_secs(5),
            cursor_idle_timeout: Duration::from_secs(600),
        }
    }
}

struct MongoPool {
    db: mongodb::Database,
    read_preference: String,
}

type CursorHandle = Arc<AsyncMutex<Cursor<Document>>>;

struct OpenCursor {
    cursor: CursorHandle,
    last_used: Instant,
}

/// The `mongodb` module.
pub struct MongoDb {
    defaults: Defaults,
    pools: Registry<MongoPool>,
    cursors: std::sync::Mutex<HashMap<u64, OpenCursor>>,
    next_cursor: AtomicU64,
}

impl MongoDb {
    pub fn new(defaults: Defaults) -> Self {
        super::init_crypto();
        MongoDb { defaults, pools: Registry::default(), cursors: std::sync::Mutex::new(HashMap::new()), next_cursor: AtomicU64::new(1) }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).map(PValue::Bool),
            "insert" => self.insert(args).await,
            "update" => self.update(args).await,
            "delete" => self.delete(args).await,
            "find" => self.find(args).await,
            "find_one" => self.find_one(args).await,
            "next" => self.next(args).await,
            "take" => self.take(args).await,
            "close" => self.close(args),
            _ => Err(no_such_function("mongodb", function)),
        }
    }

    pub fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        const F: &str = "mongodb.ensure_pool";
        let cfg = Cfg::new(F, args)?;
        let d = &self.defaults;
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        if cfg.opt_nonempty("srv", None)?.is_some() {
            return Err(ProviderError::new(F, ErrorKind::Config, "srv is not supported: give host and port"));
        }
        let host = cfg.string("host", &d.host)?;
        let port = cfg.port("port", d.port)?;
        let size = cfg.size("size", d.size as usize)? as u32;
        let overflow = cfg.int("max_overflow", d.max_overflow as i64)?.max(0) as u32;
        let mut opts = ClientOptions::default();
        opts.hosts = vec![ServerAddress::Tcp { host: host.clone(), port: Some(port) }];
        opts.direct_connection = Some(true);
        opts.app_name = Some("oxilua-vmq".into());
        opts.max_pool_size = Some(size + overflow);
        opts.connect_timeout = Some(d.connect_timeout);
        opts.server_selection_timeout = Some(d.server_selection_timeout);
        let login = cfg.opt_nonempty("login", d.login.as_deref())?;
        let password = cfg.opt_nonempty("password", d.password.as_deref())?;
        if let Some(user) = login {
            let mut cred = Credential::default();
            cred.username = Some(user);
            cred.password = password;
            cred.source = Some(cfg.string("auth_source", &d.auth_source)?);
            opts.credential = Some(cred);
        }
        let mut wc = WriteConcern::default();
        wc.w = Some(match cfg.string("w_mode", &d.w_mode)?.as_str() {
            "unsafe" => Acknowledgment::Nodes(0),
            _ => Acknowledgment::Nodes(1),
        });
        opts.write_concern = Some(wc);
        if cfg.bool("ssl", d.ssl)? {
            let t = cfg.tls(&d.tls)?;
            let mut tls = TlsOptions::default();
            tls.ca_file_path = t.cacertfile.clone().map(Into::into);
            if t.verify == Verify::None {
                tls.allow_invalid_certificates = Some(true);
            }
            match (&t.certfile, &t.keyfile) {
                (Some(c), Some(k)) => {
                    // The driver wants certificate and key in one PEM file.
                    let mut pem =
                        std::fs::read(c).map_err(|e| ProviderError::new(F, ErrorKind::Config, format!("ssl: cannot read {c}: {e}")))?;
                    pem.push(b'\n');
                    pem.extend(
                        std::fs::read(k).map_err(|e| ProviderError::new(F, ErrorKind::Config, format!("ssl: cannot read {k}: {e}")))?,
                    );
                    let path = std::env::temp_dir().join(format!(
                        "oxilua-vmq-mongo-{}-{}.pem",
                        std::process::id(),
                        String::from_utf8_lossy(&id).replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                    ));
                    std::fs::write(&path, pem).map_err(|e| ProviderError::new(F, ErrorKind::Config, format!("ssl: {e}")))?;
                    tls.cert_key_file_path = Some(path);
                }
                (None, None) => {}
                _ => return Err(ProviderError::new(F, ErrorKind::Config, "ssl: certfile and keyfile must be given together")),
            }
            opts.tls = Some(Tls::Enabled(tls));
        }
        let client = Client::with_options(opts).map_err(|e| ProviderError::new(F, ErrorKind::Config, e.to_string()))?;
        let database = cfg.opt_nonempty("database", d.database.as_deref())?.unwrap_or_else(|| "test".into());
        let db = client.database(&database);
        self.pools.insert(id, MongoPool { db, read_preference: d.read_preference.clone() });
        Ok(true)
    }

    fn collection(&self, a: &Args<'_>) -> PResult<(Arc<MongoPool>, mongodb::Collection<Document>)> {
        let id = a.pool_id()?;
        let coll = a.text(1, "collection")?;
        let pool = self.pools.get(a.func, id)?;
        let c = pool.db.collection::<Document>(coll);
        Ok((pool, c))
    }

    pub async fn insert(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.insert";
        let a = Args::new(F, args);
        let (_pool, coll) = self.collection(&a)?;
        let (docs, single) = match a.get(2) {
            PValue::Map(_) => (vec![a.get(2)], true),
            PValue::Array(items) => (items.iter().collect::<Vec<_>>(), false),
            other => return Err(ProviderError::bad_arg(F, format!("documents (argument #3) must be a table, got {}", other.type_name()))),
        };
        let mut bson_docs = Vec::with_capacity(docs.len());
        for d in docs {
            let mut doc = to_document(F, d)?;
            if !doc.contains_key("_id") {
                let mut with_id = doc! { "_id": ObjectId::new() };
                with_id.extend(doc);
                doc = with_id;
            }
            bson_docs.push(doc);
        }
        with_timeout(F, self.defaults.op_timeout, async {
            if single {
                coll.insert_one(&bson_docs[0]).await.map_err(|e| driver_error(F, e))?;
            } else if !bson_docs.is_empty() {
                coll.insert_many(&bson_docs).await.map_err(|e| driver_error(F, e))?;
            }
            Ok(())
        })
        .await?;
        let mut out: Vec<PValue> = bson_docs.into_iter().map(from_document).collect();
        Ok(if single { out.remove(0) } else { PValue::Array(out) })
    }

    pub async fn update(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.update";
        let a = Args::new(F, args);
        let (_pool, coll) = self.collection(&a)?;
        let selector = to_document(F, a.get(2))?;
        let update = to_document(F, a.get(3))?;
        if selector.is_empty() || update.is_empty() {
            return Err(ProviderError::bad_arg(F, "selector and document must be non-empty tables"));
        }
        with_timeout(F, self.defaults.op_timeout, async {
            coll.update_one(selector, doc! { "$set": update }).await.map_err(|e| driver_error(F, e))
        })
        .await?;
        Ok(PValue::Bool(true))
    }

    pub async fn delete(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.delete";
        let a = Args::new(F, args);
        let (_pool, coll) = self.collection(&a)?;
        let selector = to_document(F, a.get(2))?;
        with_timeout(F, self.defaults.op_timeout, async { coll.delete_many(selector).await.map_err(|e| driver_error(F, e)) }).await?;
        Ok(PValue::Bool(true))
    }

    pub async fn find(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.find";
        let a = Args::new(F, args);
        let (pool, coll) = self.collection(&a)?;
        let selector = to_document(F, a.get(2))?;
        let opts = FindArgs::parse(F, a.get(3), &pool.read_preference)?;
        let cursor = with_timeout(F, self.defaults.op_timeout, async {
            let mut f = coll.find(selector);
            if let Some(p) = opts.projection {
                f = f.projection(p);
            }
            if let Some(s) = opts.skip {
                f = f.skip(s);
            }
            if let Some(b) = opts.batch_size {
                f = f.batch_size(b);
            }
            if let Some(rp) = opts.read_preference {
                f = f.selection_criteria(SelectionCriteria::ReadPreference(rp));
            }
            f.await.map_err(|e| driver_error(F, e))
        })
        .await?;
        let id = self.next_cursor.fetch_add(1, Ordering::Relaxed);
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        let idle = self.defaults.cursor_idle_timeout;
        cursors.retain(|_, c| c.last_used.elapsed() < idle);
        cursors.insert(id, OpenCursor { cursor: Arc::new(AsyncMutex::new(cursor)), last_used: Instant::now() });
        Ok(PValue::from(format!("{CURSOR_PREFIX}{id}")))
    }

    pub async fn find_one(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.find_one";
        let a = Args::new(F, args);
        let (pool, coll) = self.collection(&a)?;
        let selector = to_document(F, a.get(2))?;
        let opts = FindArgs::parse(F, a.get(3), &pool.read_preference)?;
        let found = with_timeout(F, self.defaults.op_timeout, async {
            let mut f = coll.find_one(selector);
            if let Some(p) = opts.projection {
                f = f.projection(p);
            }
            if let Some(s) = opts.skip {
                f = f.skip(s);
            }
            let rp = opts.read_preference.or_else(|| read_preference(&pool.read_preference));
            if let Some(rp) = rp {
                f = f.selection_criteria(SelectionCriteria::ReadPreference(rp));
            }
            f.await.map_err(|e| driver_error(F, e))
        })
        .await?;
        Ok(found.map(from_document).unwrap_or(PValue::Bool(false)))
    }

    fn cursor(&self, func: &str, v: &PValue) -> PResult<(u64, Option<CursorHandle>)> {
        let id = v
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix(CURSOR_PREFIX))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| ProviderError::bad_arg(func, format!("execute_parse: {v:?} is not a cursor")))?;
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        Ok((
            id,
            cursors.get_mut(&id).map(|c| {
                c.last_used = Instant::now();
                Arc::clone(&c.cursor)
            }),
        ))
    }

    fn forget(&self, id: u64) {
        self.cursors.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    pub async fn next(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.next";
        let (id, cursor) = self.cursor(F, args.first().unwrap_or(&PValue::Nil))?;
        let Some(cursor) = cursor else {
            return Ok(PValue::Bool(false));
        };
        let mut c = cursor.lock().await;
        let r = with_timeout(F, self.defaults.op_timeout, async { c.advance().await.map_err(|e| driver_error(F, e)) }).await;
        match r {
            Ok(true) => {
                let doc = c.deserialize_current().map_err(|e| driver_error(F, e))?;
                Ok(from_document(doc))
            }
            Ok(false) => {
                self.forget(id);
                Ok(PValue::Bool(false))
            }
            Err(e) => {
                self.forget(id);
                Err(e)
            }
        }
    }

    pub async fn take(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.take";
        let a = Args::new(F, args);
        let n = match a.get(1) {
            PValue::Num(n) if *n >= 0.0 => n.trunc() as usize,
            other => return Err(ProviderError::bad_arg(F, format!("count (argument #2) must be a number, got {}", other.type_name()))),
        };
        let (id, cursor) = self.cursor(F, a.get(0))?;
        let Some(cursor) = cursor else {
            return Ok(PValue::Bool(false));
        };
        let mut c = cursor.lock().await;
        let mut out = Vec::new();
        let mut exhausted = false;
        let r: PResult<()> = with_timeout(F, self.defaults.op_timeout, async {
            while out.len() < n {
                if !c.advance().await.map_err(|e| driver_error(F, e))? {
                    exhausted = true;
                    break;
                }
                out.push(from_document(c.deserialize_current().map_err(|e| driver_error(F, e))?));
            }
            Ok(())
        })
        .await;
        if let Err(e) = r {
            self.forget(id);
            return Err(e);
        }
        if exhausted {
            self.forget(id);
            if out.is_empty() {
                return Ok(PValue::Bool(false));
            }
        }
        Ok(PValue::Array(out))
    }

    pub fn close(&self, args: &[PValue]) -> PResult {
        const F: &str = "mongodb.close";
        let (id, _) = self.cursor(F, args.first().unwrap_or(&PValue::Nil))?;
        self.forget(id);
        Ok(PValue::Bool(true))
    }

    /// Number of open cursors (for tests and metrics).
    pub fn open_cursors(&self) -> usize {
        self.cursors.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

struct FindArgs {
    projection: Option<Document>,
    skip: Option<u64>,
    batch_size: Option<u32>,
    read_preference: Option<ReadPreference>,
}

impl FindArgs {
    fn parse(func: &str, v: &PValue, _default_rp: &str) -> PResult<FindArgs> {
        let mut out = FindArgs { projection: None, skip: None, batch_size: None, read_preference: None };
        let table = match v {
            PValue::Nil => return Ok(out),
            PValue::Map(_) | PValue::Array(_) => v,
            other => return Err(ProviderError::bad_arg(func, format!("args (argument #4) must be a table, got {}", other.type_name()))),
        };
        if let Some(p) = table.get("projector") {
            out.projection = Some(to_document(func, p)?);
        }
        if let Some(PValue::Num(s)) = table.get("skip") {
            out.skip = Some(s.max(0.0) as u64);
        }
        if let Some(PValue::Num(b)) = table.get("batchsize") {
            out.batch_size = Some(b.max(0.0) as u32);
        }
        if let Some(mode) = table.get("readopts").and_then(|r| r.get("mode")).and_then(|m| m.as_str_lossy()) {
            out.read_preference = read_preference(&mode);
        }
        Ok(out)
    }
}

fn read_preference(mode: &str) -> Option<ReadPreference> {
    Some(match mode {
        "primary" => ReadPreference::Primary,
        "primaryPreferred" | "primary_preferred" => ReadPreference::PrimaryPreferred { options: None },
        "secondary" => ReadPreference::Secondary { options: None },
        "secondaryPreferred" | "secondary_preferred" => ReadPreference::SecondaryPreferred { options: None },
        "nearest" => ReadPreference::Nearest { options: None },
        _ => return None,
    })
}

fn driver_error(func: &str, e: mongodb::error::Error) -> ProviderError {
    use mongodb::error::ErrorKind as K;
    let text = e.to_string();
    match e.kind.as_ref() {
        K::ServerSelection { .. } | K::Io(_) | K::ConnectionPoolCleared { .. } => {
            let msg = if text.contains("onnection refused") { "connection refused".to_string() } else { text };
            ProviderError::new(func, ErrorKind::Connection, msg)
        }
        K::Authentication { message, .. } => ProviderError::new(func, ErrorKind::Connection, format!("authentication failed: {message}")),
        _ => ProviderError::new(func, ErrorKind::Driver, text),
    }
}

// ------------------------------------------------------------------ conversions

fn key_string(k: &PValue) -> Option<String> {
    match k {
        PValue::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
        PValue::Num(n) => Some(crate::pvalue::lua_number_to_string(*n)),
        PValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A Lua key/value table as a BSON document; a top-level `_id`
/// `"vmq-objid"..bytes` becomes an ObjectId.
fn to_document(func: &str, v: &PValue) -> PResult<Document> {
    let pairs = match v {
        PValue::Map(pairs) => pairs,
        other => {
            return Err(ProviderError::bad_arg(
                func,
                format!("expected a key/value table, got {}", if other.is_table() { "an array" } else { other.type_name() }),
            ))
        }
    };
    let mut doc = Document::new();
    for (k, val) in pairs {
        let key = key_string(k).ok_or_else(|| ProviderError::bad_arg(func, "document keys must be strings"))?;
        let b = if key == "_id" {
            match val.as_bytes().and_then(objid) {
                Some(oid) => Bson::ObjectId(oid),
                None => to_bson(func, val)?,
            }
        } else {
            to_bson(func, val)?
        };
        doc.insert(key, b);
    }
    Ok(doc)
}

fn objid(b: &[u8]) -> Option<ObjectId> {
    let raw = b.strip_prefix(OBJID_PREFIX)?;
    let bytes: [u8; 12] = raw.try_into().ok()?;
    Some(ObjectId::from_bytes(bytes))
}

fn to_bson(func: &str, v: &PValue) -> PResult<Bson> {
    Ok(match v {
        PValue::Nil => Bson::Null,
        PValue::Bool(b) => Bson::Boolean(*b),
        PValue::Num(n) if n.fract() == 0.0 && *n >= i32::MIN as f64 && *n <= i32::MAX as f64 => Bson::Int32(*n as i32),
        PValue::Num(n) if n.fract() == 0.0 && n.abs() < 9.2e18 => Bson::Int64(*n as i64),
        PValue::Num(n) => Bson::Double(*n),
        PValue::Str(s) => match String::from_utf8(s.clone()) {
            Ok(t) => Bson::String(t),
            Err(_) => Bson::Binary(mongodb::bson::Binary { subtype: mongodb::bson::spec::BinarySubtype::Generic, bytes: s.clone() }),
        },
        PValue::Array(items) => Bson::Array(items.iter().map(|i| to_bson(func, i)).collect::<PResult<_>>()?),
        PValue::Map(_) => Bson::Document(to_document(func, v)?),
    })
}

fn from_document(d: Document) -> PValue {
    PValue::Map(d.into_iter().map(|(k, v)| (PValue::from(k), from_bson(v))).collect())
}

fn from_bson(b: Bson) -> PValue {
    match b {
        Bson::Double(d) => PValue::Num(d),
        Bson::String(s) => PValue::from(s),
        Bson::Array(items) => PValue::Array(items.into_iter().map(from_bson).collect()),
        Bson::Document(d) => from_document(d),
        Bson::Boolean(b) => PValue::Bool(b),
        Bson::Null => PValue::str("null"),
        Bson::Undefined => PValue::str("undefined"),
        Bson::Int32(i) => PValue::Num(i as f64),
        Bson::Int64(i) => PValue::Num(i as f64),
        Bson::ObjectId(oid) => {
            let mut s = OBJID_PREFIX.to_vec();
            s.extend_from_slice(&oid.bytes());
            PValue::Str(s)
        }
        Bson::DateTime(dt) => PValue::Num(dt.timestamp_millis() as f64),
        Bson::Timestamp(ts) => PValue::Num(ts.time as f64 * 1000.0),
        Bson::Binary(bin) => PValue::Str(bin.bytes),
        Bson::Decimal128(d) => PValue::from(d.to_string()),
        Bson::RegularExpression(r) => PValue::from(r.pattern),
        Bson::JavaScriptCode(c) => PValue::from(c),
        Bson::JavaScriptCodeWithScope(c) => PValue::from(c.code),
        Bson::Symbol(s) => PValue::from(s),
        Bson::MaxKey => PValue::str("maxkey"),
        Bson::MinKey => PValue::str("minkey"),
        Bson::DbPointer(_) => PValue::str("dbpointer"),
    }
}
