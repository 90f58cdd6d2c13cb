//! Operator configuration: the `vmq_diversity.*` keys of a `vernemq.conf`
//! (reference §2.3, §5), or the same keys in TOML.
//!
//! ## `vernemq.conf`
//! `key = value` lines, `#` comments, blank lines. Keys outside
//! `vmq_diversity.*` / `vmq_bcrypt.*` are ignored (the rest of the broker's
//! configuration). Unknown or malformed `vmq_diversity.*` keys are errors
//! naming file and line. Flags take `on`/`off` (also `true`/`false`).
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `vmq_diversity.script_dir` | every `*.lua` directly inside is loaded, sorted by name | none (no directory scan) |
//! | `vmq_diversity.<name>.file` | a user script, loaded sorted by `<name>` | — |
//! | `vmq_diversity.auth_<db>.enabled` | load the bundled auth script for `<db>` ∈ postgres, cockroachdb, mysql, mysql2, mongodb, redis | off |
//! | `vmq_diversity.auth_<db>.file` | its path | `<script_dir>/auth/<db>.lua` |
//! | `vmq_diversity.nr_lua_states` | states per script (unless the script sets `num_states`) | 1 |
//! | `vmq_diversity.keep_state` | keep globals between calls | off |
//! | `vmq_diversity.<db>.<key>` | `ensure_pool` defaults: `host`, `port`, `user` (mongodb: `login`), `password`, `database`, `pool_size`, `password_hash_method`, `ssl`, `certfile`, `cacertfile`, `keyfile`, `verify` (`verify_peer`/`verify_none`), `depth`, `customize_hostname_check`, `use_system_cas`; mongodb also `auth_source`, `w_mode`, `r_mode`/`read_preference`, `max_overflow`; db ∈ mysql, mysql2, postgres, cockroachdb, mongodb, redis, memcached, http | VerneMQ's (`ProvidersConfig::vernemq_defaults`) |
//! | `vmq_bcrypt.default_log_rounds` | bcrypt cost of `gen_salt` (4..31) | 12 |
//!
//! Our own keys (not in VerneMQ):
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `vmq_diversity.limits.deadline` | wall-clock limit per hook call (`5s`, `500ms`, `1m`, or milliseconds) | 5 s (VerneMQ's webhook `response_timeout`) |
//! | `vmq_diversity.limits.fuel` | VM instructions per hook call | 200 000 000 (about a second or two of a tight loop; the deadline is the backstop) |
//! | `vmq_diversity.limits.memory` | heap bytes per Lua state (`64MB`, `1GB`, `65536KB`, or bytes) | 64 MiB |
//! | `vmq_diversity.unsafe_os` | keep `os.exit/execute/remove/rename/tmpname` and file `io` | off |
//! | `vmq_diversity.obf.secret` | `obf` secret | a random per-process secret |
//! | `vmq_diversity.obf.fallback_secret` | a second secret `obf.decrypt` accepts | none |
//! | `vmq_diversity.webhooks.listen` | `serve` address | `127.0.0.1:8888` |
//! | `vmq_diversity.webhooks.base64payload` | payloads base64 in requests/responses | on |
//! | `vmq_diversity.webhooks.cache_max_age` | seconds for `cache-control: max-age` on cacheable ok results (0: no header) | 0 |
//!
//! ## TOML
//! The same keys under a `[vmq_diversity]` table (and `[vmq_bcrypt]`),
//! dotted parts as nested tables: `[vmq_diversity.postgres] host = "db"`,
//! `[vmq_diversity.auth_redis] enabled = true`,
//! `[vmq_diversity.limits] deadline = "2s"`. Values may be strings,
//! integers or booleans. Other top-level tables are ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::providers::tls::{TlsDefaults, Verify};
use crate::providers::ProvidersConfig;

/// The databases with bundled auth scripts, in VerneMQ's order.
pub const AUTH_DBS: [&str; 6] = ["postgres", "cockroachdb", "mysql", "mysql2", "mongodb", "redis"];

/// Provider key prefixes.
pub const PROVIDER_DBS: [&str; 8] = ["mysql", "mysql2", "postgres", "cockroachdb", "mongodb", "redis", "memcached", "http"];

/// Per-call limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub deadline: Duration,
    pub fuel: u64,
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { deadline: Duration::from_secs(5), fuel: 200_000_000, memory: 64 << 20 }
    }
}

/// A bundled auth script entry.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthScript {
    pub enabled: bool,
    pub file: Option<PathBuf>,
}

/// The `serve` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    pub listen: SocketAddr,
    pub base64: bool,
    /// `Some(n)`: add `cache-control: max-age=n` to cacheable ok results.
    pub cache_max_age: Option<u32>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig { listen: "127.0.0.1:8888".parse().expect("valid address"), base64: true, cache_max_age: None }
    }
}

/// The typed configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub script_dir: Option<PathBuf>,
    /// `vmq_diversity.<name>.file`, by name.
    pub user_scripts: BTreeMap<String, PathBuf>,
    /// `vmq_diversity.auth_<db>.*`, by db.
    pub auth_scripts: BTreeMap<String, AuthScript>,
    pub nr_lua_states: u32,
    pub keep_state: bool,
    pub limits: Limits,
    pub unsafe_os: bool,
    pub obf_secret: Option<Vec<u8>>,
    pub obf_fallback_secret: Option<Vec<u8>>,
    pub bcrypt_log_rounds: u32,
    pub webhook: WebhookConfig,
    pub providers: ProvidersConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            script_dir: None,
            user_scripts: BTreeMap::new(),
            auth_scripts: BTreeMap::new(),
            nr_lua_states: 1,
            keep_state: false,
            limits: Limits::default(),
            unsafe_os: false,
            obf_secret: None,
            obf_fallback_secret: None,
            bcrypt_log_rounds: 12,
            webhook: WebhookConfig::default(),
            providers: ProvidersConfig::vernemq_defaults(),
        }
    }
}

/// A configuration error, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based; 0 when the error concerns the whole file.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// One `key = value` setting (value as text) and where it came from.
#[derive(Clone, Debug)]
struct Setting {
    key: String,
    value: String,
    line: usize,
}

impl Config {
    /// Read a file: TOML if it ends in `.toml`, `vernemq.conf` syntax otherwise.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError { file: file.clone(), line: 0, message: format!("cannot read: {e}") })?;
        if path.extension().is_some_and(|e| e == "toml") {
            Config::from_toml(&text, &file)
        } else {
            Config::from_conf(&text, &file)
        }
    }

    /// Parse `vernemq.conf` text; `file` names it in errors.
    pub fn from_conf(text: &str, file: &str) -> Result<Config, ConfigError> {
        let mut settings = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let Some((k, v)) = l.split_once('=') else {
                if l.starts_with("vmq_diversity.") || l.starts_with("vmq_bcrypt.") {
                    return Err(err(file, line, format!("expected `key = value`, got {l:?}")));
                }
                continue;
            };
            let key = k.trim();
            if !(key.starts_with("vmq_diversity.") || key.starts_with("vmq_bcrypt.")) {
                continue;
            }
            // cuttlefish has no inline comments, but a trailing ` # ...` is
            // never part of a value we accept; strip it.
            let mut value = v.trim();
            if let Some(p) = value.find(" #") {
                value = value[..p].trim_end();
            }
            settings.push(Setting { key: key.to_string(), value: value.to_string(), line });
        }
        Config::from_settings(settings, file)
    }

    /// Parse the TOML equivalent; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Config, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(0);
            err(file, line, format!("invalid TOML: {}", e.message()))
        })?;
        let mut settings = Vec::new();
        for root in ["vmq_diversity", "vmq_bcrypt"] {
            match table.get(root) {
                None => {}
                Some(toml::Value::Table(t)) => flatten(root, t, text, &mut settings, file)?,
                Some(_) => return Err(err(file, find_line(text, root), format!("{root} must be a table"))),
            }
        }
        Config::from_settings(settings, file)
    }

    fn from_settings(settings: Vec<Setting>, file: &str) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        for s in &settings {
            c.apply(s).map_err(|m| err(file, s.line, format!("{}: {m}", s.key)))?;
        }
        Ok(c)
    }

    fn apply(&mut self, s: &Setting) -> Result<(), String> {
        let v = s.value.as_str();
        if let Some(rest) = s.key.strip_prefix("vmq_bcrypt.") {
            return match rest {
                "default_log_rounds" => {
                    let n: u32 = v.parse().map_err(|_| "expected an integer".to_string())?;
                    if !(4..=31).contains(&n) {
                        return Err("must be 4..31".into());
                    }
                    self.bcrypt_log_rounds = n;
                    Ok(())
                }
                "pool_size" | "nif_pool_size" => {
                    if v == "auto" || v.parse::<u32>().is_ok_and(|n| n > 0) {
                        Ok(())
                    } else {
                        Err("expected a positive integer or auto".into())
                    }
                }
                "nif_pool_max_overflow" => v.parse::<u32>().map(drop).map_err(|_| "expected an integer".into()),
                "mechanism" => match v {
                    "port" | "nif" => Ok(()),
                    _ => Err("expected port or nif".into()),
                },
                _ => Err("unknown key".into()),
            };
        }
        let rest = s.key.strip_prefix("vmq_diversity.").ok_or("unknown key")?;
        let parts: Vec<&str> = rest.split('.').collect();
        match parts.as_slice() {
            ["script_dir"] => self.script_dir = Some(PathBuf::from(non_empty(v)?)),
            ["nr_lua_states"] => self.nr_lua_states = v.parse().ok().filter(|n| *n > 0).ok_or("expected a positive integer")?,
            ["keep_state"] => self.keep_state = flag(v)?,
            ["unsafe_os"] => self.unsafe_os = flag(v)?,
            ["limits", "deadline"] => self.limits.deadline = duration(v)?,
            ["limits", "fuel"] => self.limits.fuel = v.parse().ok().filter(|n| *n > 0).ok_or("expected a positive integer")?,
            ["limits", "memory"] => self.limits.memory = bytes(v)?,
            ["obf", "secret"] => self.obf_secret = Some(non_empty(v)?.as_bytes().to_vec()),
            ["obf", "fallback_secret"] => self.obf_fallback_secret = Some(non_empty(v)?.as_bytes().to_vec()),
            ["webhooks", "listen"] => self.webhook.listen = v.parse().map_err(|_| "expected an address like 127.0.0.1:8888")?,
            ["webhooks", "base64payload"] => self.webhook.base64 = flag(v)?,
            ["webhooks", "cache_max_age"] => {
                let n: u32 = v.parse().map_err(|_| "expected seconds")?;
                self.webhook.cache_max_age = (n > 0).then_some(n);
            }
            [auth, key] if auth.starts_with("auth_") && AUTH_DBS.contains(&&auth[5..]) => {
                let e = self.auth_scripts.entry(auth[5..].to_string()).or_default();
                match *key {
                    "enabled" => e.enabled = flag(v)?,
                    "file" => e.file = Some(PathBuf::from(non_empty(v)?)),
                    _ => return Err("unknown key".into()),
                }
            }
            [db, key] if PROVIDER_DBS.contains(db) => self.apply_provider(db, key, v)?,
            [name, "file"] if is_script_name(name) => {
                self.user_scripts.insert(name.to_string(), PathBuf::from(non_empty(v)?));
            }
            _ => return Err("unknown key".into()),
        }
        Ok(())
    }

    fn apply_provider(&mut self, db: &str, key: &str, v: &str) -> Result<(), String> {
        let p = &mut self.providers;
        let port = || v.parse::<u16>().map_err(|_| "expected a port number".to_string());
        let size = || v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| "expected a positive integer".to_string());
        let opt = || (!v.is_empty()).then(|| v.to_string());
        match db {
            "mysql" | "mysql2" => {
                let d = if db == "mysql" { &mut p.mysql } else { &mut p.mysql2 };
                match key {
                    "host" => d.host = v.into(),
                    "port" => d.port = port()?,
                    "user" => d.user = v.into(),
                    "password" => d.password = v.into(),
                    "database" => d.database = opt(),
                    "pool_size" => d.size = size()?,
                    "password_hash_method" => match v {
                        "password" | "md5" | "sha1" | "sha256" => d.password_hash_method = v.into(),
                        _ => return Err("expected password, md5, sha1 or sha256".into()),
                    },
                    "ssl" if db == "mysql2" => d.ssl = flag(v)?,
                    k if db == "mysql2" => tls_key(&mut d.tls, k, v)?,
                    _ => return Err("unknown key".into()),
                }
            }
            "postgres" | "cockroachdb" => {
                let d = if db == "postgres" { &mut p.postgres } else { &mut p.cockroachdb };
                match key {
                    "host" => d.host = v.into(),
                    "port" => d.port = port()?,
                    "user" => d.user = v.into(),
                    "password" => d.password = v.into(),
                    "database" => d.database = v.into(),
                    "pool_size" => d.size = size()?,
                    "ssl" => d.ssl = flag(v)?,
                    "password_hash_method" => {
                        let ok = if db == "postgres" { ["crypt", "bcrypt"].contains(&v) } else { ["bcrypt", "sha256"].contains(&v) };
                        if !ok {
                            return Err("unsupported password_hash_method".into());
                        }
                        d.password_hash_method = v.into();
                    }
                    k => tls_key(&mut d.tls, k, v)?,
                }
            }
            "mongodb" => {
                let d = &mut p.mongodb;
                match key {
                    "host" => d.host = v.into(),
                    "port" => d.port = port()?,
                    "login" => d.login = opt(),
                    "password" => d.password = opt(),
                    "database" => d.database = opt(),
                    "auth_source" => d.auth_source = v.into(),
                    "pool_size" => d.size = size()? as u32,
                    "max_overflow" => d.max_overflow = v.parse().map_err(|_| "expected an integer")?,
                    "w_mode" => d.w_mode = non_empty(v)?.into(),
                    "r_mode" | "read_preference" => d.read_preference = non_empty(v)?.into(),
                    "ssl" => d.ssl = flag(v)?,
                    k => tls_key(&mut d.tls, k, v)?,
                }
            }
            "redis" => {
                let d = &mut p.redis;
                match key {
                    "host" => d.host = v.into(),
                    "port" => d.port = port()?,
                    "user" => d.user = v.into(),
                    "password" => d.password = v.into(),
                    "database" => d.database = v.parse().map_err(|_| "expected an integer")?,
                    "pool_size" => d.size = size()?,
                    _ => return Err("unknown key".into()),
                }
            }
            "memcached" => {
                let d = &mut p.memcached;
                match key {
                    "host" => d.host = v.into(),
                    "port" => d.port = port()?,
                    "pool_size" => d.size = size()? as u32,
                    _ => return Err("unknown key".into()),
                }
            }
            "http" => match key {
                "pool_size" => p.http.size = size()?,
                _ => return Err("unknown key".into()),
            },
            _ => return Err("unknown key".into()),
        }
        Ok(())
    }

    /// The scripts to load, in VerneMQ's order: `script_dir/*.lua` sorted
    /// by file name, user scripts sorted by name, enabled auth scripts in
    /// [`AUTH_DBS`] order (default file `<script_dir>/auth/<db>.lua`). A
    /// missing script directory yields no entries (VerneMQ logs a warning).
    pub fn script_paths(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Some(dir) = &self.script_dir {
            if let Ok(rd) = std::fs::read_dir(dir) {
                let mut files: Vec<PathBuf> = rd
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "lua"))
                    .collect();
                files.sort();
                out.extend(files);
            } else {
                tracing::warn!(dir = %dir.display(), "script_dir does not exist");
            }
        }
        out.extend(self.user_scripts.values().cloned());
        for db in AUTH_DBS {
            if let Some(a) = self.auth_scripts.get(db).filter(|a| a.enabled) {
                let file =
                    a.file.clone().unwrap_or_else(|| self.script_dir.clone().unwrap_or_default().join("auth").join(format!("{db}.lua")));
                out.push(file);
            }
        }
        out
    }
}

fn err(file: &str, line: usize, message: impl Into<String>) -> ConfigError {
    ConfigError { file: file.to_string(), line, message: message.into() }
}

fn is_script_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !PROVIDER_DBS.contains(&n)
        && !["limits", "obf", "webhooks"].contains(&n)
}

fn non_empty(v: &str) -> Result<&str, String> {
    if v.is_empty() {
        Err("empty value".into())
    } else {
        Ok(v)
    }
}

/// `on`/`off`, `true`/`false`.
pub fn flag(v: &str) -> Result<bool, String> {
    match v {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("expected on or off, got {v:?}")),
    }
}

/// `5s`, `500ms`, `2m`, `1h`, or plain milliseconds.
pub fn duration(v: &str) -> Result<Duration, String> {
    let bad = || format!("expected a duration like 5s or 500ms, got {v:?}");
    let (num, unit) = split_unit(v);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let d = match unit {
        "" | "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(bad()),
    };
    if d.is_zero() {
        return Err("must be positive".into());
    }
    Ok(d)
}

/// `64MB`, `1GB`, `512KB`, or plain bytes.
pub fn bytes(v: &str) -> Result<usize, String> {
    let bad = || format!("expected a size like 64MB, got {v:?}");
    let (num, unit) = split_unit(v);
    let n: usize = num.parse().map_err(|_| bad())?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" | "K" => 1 << 10,
        "MB" | "M" => 1 << 20,
        "GB" | "G" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).filter(|n| *n > 0).ok_or_else(bad)
}

fn split_unit(v: &str) -> (&str, &str) {
    let i = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    (&v[..i], v[i..].trim())
}

fn tls_key(t: &mut TlsDefaults, key: &str, v: &str) -> Result<(), String> {
    let opt = || (!v.is_empty()).then(|| v.to_string());
    match key {
        "certfile" => t.certfile = opt(),
        "cacertfile" => t.cacertfile = opt(),
        "keyfile" => t.keyfile = opt(),
        "verify" => {
            t.verify = match v {
                "verify_peer" => Verify::Peer,
                "verify_none" => Verify::None,
                _ => return Err("expected verify_peer or verify_none".into()),
            }
        }
        "depth" => t.depth = v.parse().map_err(|_| "expected an integer")?,
        "customize_hostname_check" => t.customize_hostname_check = opt(),
        "use_system_cas" => t.use_system_cas = flag(v)?,
        _ => return Err("unknown key".into()),
    }
    Ok(())
}

fn find_line(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or(0)
}

/// Best-effort line of `leaf` inside section `section` of a TOML text.
fn toml_line(text: &str, section: &str, leaf: &str) -> usize {
    let header = format!("[{section}]");
    let mut in_section = false;
    let mut first_any = 0;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_section = t == header;
            continue;
        }
        let is_key = t.strip_prefix(leaf).is_some_and(|r| r.trim_start().starts_with('='));
        if is_key {
            if in_section {
                return i + 1;
            }
            if first_any == 0 {
                first_any = i + 1;
            }
        }
    }
    first_any
}

fn flatten(prefix: &str, t: &toml::Table, text: &str, out: &mut Vec<Setting>, file: &str) -> Result<(), ConfigError> {
    for (k, v) in t {
        let key = format!("{prefix}.{k}");
        let line = toml_line(text, prefix, k);
        let value = match v {
            toml::Value::Table(sub) => {
                flatten(&key, sub, text, out, file)?;
                continue;
            }
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => (if *b { "on" } else { "off" }).to_string(),
            _ => return Err(err(file, line, format!("{key}: expected a string, integer or boolean"))),
        };
        out.push(Setting { key, value, line });
    }
    Ok(())
}
