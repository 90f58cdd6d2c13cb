//! `http` (reference §5.7) on reqwest with rustls (`ring`), no native TLS.
//!
//! - `ensure_pool({pool_id, size})`: a client keeping up to `size` idle
//!   connections per host (default 10).
//! - `get|put|post|delete(pool_id, url [, body [, headers]])`:
//!   `body` a string -> raw body; a table -> form-encoded
//!   (`application/x-www-form-urlencoded`) key/value pairs; anything else ->
//!   no body, and then (as in VerneMQ) `headers` is ignored. `headers` is a
//!   key/value table of header names and values.
//!   Success -> `{status = <int>, headers = {<Name> = <value>}, ref = <body>}`;
//!   header names are given in canonical Title-Case (`Content-Type`), the
//!   form most servers send, since hyper does not keep the case it received;
//!   for a repeated header the last value wins. A transport error (refused,
//!   timeout, TLS) -> `false`, logged. Redirects are not followed (hackney's
//!   default).
//! - `body(ref)` returns its argument (the body is read eagerly).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;

use super::{no_such_function, Args, Cfg, ErrorKind, PResult, ProviderError, Registry};
use crate::pvalue::PValue;

/// Operator defaults.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub pool_id: String,
    pub size: usize,
    pub connect_timeout: Duration,
    /// One whole request, body included (hackney's recv_timeout is 5 s).
    pub request_timeout: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults { pool_id: "pool_http".into(), size: 10, connect_timeout: Duration::from_secs(5), request_timeout: Duration::from_secs(5) }
    }
}

/// The `http` module.
pub struct Http {
    defaults: Defaults,
    pools: Registry<reqwest::Client>,
}

impl Http {
    pub fn new(defaults: Defaults) -> Self {
        super::init_crypto();
        Http { defaults, pools: Registry::default() }
    }

    pub async fn call(&self, function: &str, args: &[PValue]) -> PResult {
        match function {
            "ensure_pool" => self.ensure_pool(args).map(PValue::Bool),
            "get" => self.request("http.get", Method::GET, args).await,
            "put" => self.request("http.put", Method::PUT, args).await,
            "post" => self.request("http.post", Method::POST, args).await,
            "delete" => self.request("http.delete", Method::DELETE, args).await,
            "body" => Ok(args.first().cloned().unwrap_or(PValue::Nil)),
            _ => Err(no_such_function("http", function)),
        }
    }

    pub fn ensure_pool(&self, args: &[PValue]) -> PResult<bool> {
        const F: &str = "http.ensure_pool";
        let cfg = Cfg::new(F, args)?;
        let d = &self.defaults;
        let id = cfg.pool_id(&d.pool_id)?;
        if self.pools.contains(&id) {
            return Ok(true);
        }
        let size = cfg.size("size", d.size)?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(size)
            .connect_timeout(d.connect_timeout)
            .timeout(d.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oxilua-vmq/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::new(F, ErrorKind::Config, e.to_string()))?;
        self.pools.insert(id, client);
        Ok(true)
    }

    async fn request(&self, func: &'static str, method: Method, args: &[PValue]) -> PResult {
        let a = Args::new(func, args);
        let id = a.pool_id()?;
        let url = a.text(1, "url")?;
        let client = self.pools.get(func, id)?;
        let mut req = client.request(method, url);
        let body = a.get(2);
        let headers_allowed = match body {
            PValue::Str(s) => {
                req = req.body(s.clone());
                true
            }
            PValue::Map(_) | PValue::Array(_) => {
                let mut form = Vec::new();
                for (k, v) in body.entries() {
                    let k = k.coerce_to_bytes().map(|c| String::from_utf8_lossy(&c).into_owned());
                    let v = v.coerce_to_bytes().map(|c| String::from_utf8_lossy(&c).into_owned());
                    match (k, v) {
                        (Some(k), Some(v)) => form.push((k, v)),
                        _ => return Err(ProviderError::bad_arg(func, "form body: keys and values must be strings or numbers")),
                    }
                }
                req = req.form(&form);
                true
            }
            _ => false,
        };
        if headers_allowed {
            if let h @ (PValue::Map(_) | PValue::Array(_)) = a.get(3) {
                let mut map = HeaderMap::new();
                for (k, v) in h.entries() {
                    let (Some(k), Some(v)) = (k.coerce_to_bytes(), v.coerce_to_bytes()) else {
                        return Err(ProviderError::bad_arg(func, "headers: names and values must be strings"));
                    };
                    let name = HeaderName::from_bytes(&k)
                        .map_err(|_| ProviderError::bad_arg(func, format!("bad header name {:?}", String::from_utf8_lossy(&k))))?;
                    let value =
                        HeaderValue::from_bytes(&v).map_err(|_| ProviderError::bad_arg(func, format!("bad value for header {name}")))?;
                    map.append(name, value);
                }
                req = req.headers(map);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                log::warn!("{func} {url}: {}", transport_text(&e));
                return Ok(PValue::Bool(false));
            }
        };
        let status = resp.status().as_u16();
        let mut headers: Vec<(PValue, PValue)> = Vec::new();
        for (name, value) in resp.headers() {
            let key = PValue::from(title_case(name.as_str()));
            let val = PValue::str(value.as_bytes());
            match headers.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = val,
                None => headers.push((key, val)),
            }
        }
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                log::warn!("{func} {url}: reading the body: {}", transport_text(&e));
                return Ok(PValue::Bool(false));
            }
        };
        Ok(PValue::map([("status", PValue::Num(status as f64)), ("headers", PValue::Map(headers)), ("ref", PValue::Str(body))]))
    }
}

fn transport_text(e: &reqwest::Error) -> String {
    super::describe_error(e).1
}

/// `content-type` -> `Content-Type`.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = true;
    for c in name.chars() {
        if up {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        up = c == '-';
    }
    out
}
