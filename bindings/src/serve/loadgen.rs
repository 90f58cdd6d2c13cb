//! A load generator for `oxilua-vmq serve` (`oxilua-vmq bench-serve`) and
//! the minimal HTTP/1.1 client it (and the serve tests) use.
//!
//! N keep-alive connections on loopback each send one request at a time,
//! cycling through four webhook calls against the bundled example plugin
//! (`bindings/examples/plugin.lua`): a device registering (ok with
//! `max_inflight_messages`), a device publishing under `sensors/` (ok with
//! the rewritten topic), a device publishing elsewhere (`not_authorized`)
//! and a wrong password (`invalid_credentials`). Every response body is
//! compared with the expected one; the report counts wrong answers apart
//! from transport failures, and gives requests/s and latency percentiles
//! as seen by the client.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Json::Null` if it is not JSON).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or(Json::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A keep-alive HTTP/1.1 connection sending one request at a time.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Client { stream, buf: Vec::with_capacity(4096) })
    }

    /// Send a webhook: `POST /` with `vernemq-hook: hook` and a JSON body.
    pub async fn webhook(&mut self, hook: &str, body: &Json) -> std::io::Result<HttpResponse> {
        let body = body.to_string();
        self.request("POST", "/", &[("vernemq-hook", hook), ("content-type", "application/json")], body.as_bytes()).await
    }

    pub async fn get(&mut self, path: &str) -> std::io::Result<HttpResponse> {
        self.request("GET", path, &[], b"").await
    }

    /// Write the whole request (it may be used to leave a request in
    /// flight: call [`Client::read_response`] later).
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n", body.len());
        for (n, v) in headers {
            req.push_str(n);
            req.push_str(": ");
            req.push_str(v);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await
    }

    pub async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<HttpResponse> {
        self.send(method, path, headers, body).await?;
        self.read_response().await
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by the server"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Read one response (`content-length` bodies only, as the server sends).
    pub async fn read_response(&mut self) -> std::io::Result<HttpResponse> {
        let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        let head_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 =
            status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        let mut len = 0usize;
        for l in lines {
            if let Some((n, v)) = l.split_once(':') {
                let n = n.trim().to_ascii_lowercase();
                let v = v.trim().to_string();
                if n == "content-length" {
                    len = v.parse().map_err(|_| bad(format!("bad content-length {v:?}")))?;
                }
                if n == "transfer-encoding" {
                    return Err(bad("chunked responses are not supported".into()));
                }
                headers.push((n, v));
            }
        }
        let total = head_end + 4 + len;
        while self.buf.len() < total {
            self.fill().await?;
        }
        let body = self.buf[head_end + 4..total].to_vec();
        self.buf.drain(..total);
        Ok(HttpResponse { status, headers, body })
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub connections: usize,
    /// Total requests (all connections), unless `duration` is set.
    pub requests: u64,
    /// Run for this long instead of a request count.
    pub duration: Option<Duration>,
    /// Payloads base64-encoded (the server's setting).
    pub base64: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { connections: 32, requests: 100_000, duration: None, base64: true }
    }
}

/// Request `i` of the mix: hook, body, the expected response body.
pub fn mix(i: u64, base64: bool) -> (&'static str, Json, Json) {
    let client = format!("sensor-{}", i % 997);
    let payload = |s: &str| {
        if base64 {
            base64::engine::general_purpose::STANDARD.encode(s)
        } else {
            s.to_string()
        }
    };
    match i % 4 {
        0 => (
            "auth_on_register",
            json!({"peer_addr": "127.0.0.1", "peer_port": 40000 + (i % 20000), "mountpoint": "",
                   "client_id": client, "username": "device", "password": "sensor-pw", "clean_session": true}),
            json!({"result": "ok", "modifiers": {"max_inflight_messages": 10}}),
        ),
        1 => (
            "auth_on_publish",
            json!({"username": "device", "mountpoint": "", "client_id": client, "qos": 1,
                   "topic": "sensors/temp", "payload": payload("21.5"), "retain": false}),
            json!({"result": "ok", "modifiers": {"topic": format!("devices/{client}/temp")}}),
        ),
        2 => (
            "auth_on_publish",
            json!({"username": "device", "mountpoint": "", "client_id": client, "qos": 0,
                   "topic": "other/place", "payload": payload("x"), "retain": false}),
            json!({"result": {"error": "not_authorized"}}),
        ),
        _ => (
            "auth_on_register",
            json!({"peer_addr": "127.0.0.1", "peer_port": 40000 + (i % 20000), "mountpoint": "",
                   "client_id": client, "username": "device", "password": "wrong", "clean_session": true}),
            json!({"result": {"error": "invalid_credentials"}}),
        ),
    }
}

/// The figures of one run.
#[derive(Clone, Debug)]
pub struct LoadReport {
    pub connections: usize,
    pub requests: u64,
    /// Responses that were not the expected ones (status or body).
    pub wrong: u64,
    /// Transport failures (connection refused or closed, bad HTTP).
    pub failed: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// The first wrong answer, for the report.
    pub first_wrong: Option<String>,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests on {} connections in {:.2} s: {:.0} requests/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {} wrong, {} failed",
            self.requests,
            self.connections,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3,
            self.wrong,
            self.failed
        )?;
        if let Some(w) = &self.first_wrong {
            write!(f, "\nfirst wrong answer: {w}")?;
        }
        Ok(())
    }
}

struct ConnResult {
    latencies: Vec<u32>,
    wrong: u64,
    failed: u64,
    first_wrong: Option<String>,
}

/// Run the load against `addr`.
pub async fn run(addr: SocketAddr, o: &LoadOptions) -> Result<LoadReport, String> {
    // requests pre-built (bodies serialised once) so the client measures the server
    let distinct = 4 * 997;
    let reqs: Arc<Vec<(&'static str, Vec<u8>, Json)>> = Arc::new(
        (0..distinct)
            .map(|i| {
                let (h, b, e) = mix(i, o.base64);
                (h, b.to_string().into_bytes(), e)
            })
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let limit = if o.duration.is_some() { u64::MAX } else { o.requests };
    let start = Instant::now();
    let until = o.duration.map(|d| start + d);
    let mut tasks = Vec::new();
    for _ in 0..o.connections {
        let reqs = reqs.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = ConnResult { latencies: Vec::new(), wrong: 0, failed: 0, first_wrong: None };
            let mut client = match Client::connect(addr).await {
                Ok(c) => c,
                Err(_) => {
                    r.failed += 1;
                    return r;
                }
            };
            loop {
                if until.is_some_and(|u| Instant::now() >= u) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limit {
                    break;
                }
                let (hook, body, expected) = &reqs[(i % distinct) as usize];
                let t = Instant::now();
                let resp = client.request("POST", "/", &[("vernemq-hook", hook), ("content-type", "application/json")], body).await;
                let dt = t.elapsed();
                match resp {
                    Ok(resp) => {
                        r.latencies.push(u32::try_from(dt.as_micros()).unwrap_or(u32::MAX));
                        if resp.status != 200 || resp.json() != *expected {
                            r.wrong += 1;
                            if r.first_wrong.is_none() {
                                r.first_wrong = Some(format!("{hook}: status {} body {} (expected {expected})", resp.status, resp.text()));
                            }
                        }
                    }
                    Err(_) => {
                        r.failed += 1;
                        match Client::connect(addr).await {
                            Ok(c) => client = c,
                            Err(_) => return r,
                        }
                    }
                }
            }
            r
        }));
    }
    let mut lat = Vec::new();
    let (mut wrong, mut failed, mut first_wrong) = (0, 0, None);
    for t in tasks {
        let r = t.await.map_err(|e| format!("client task: {e}"))?;
        lat.extend(r.latencies);
        wrong += r.wrong;
        failed += r.failed;
        if first_wrong.is_none() {
            first_wrong = r.first_wrong;
        }
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();
    let pct = |p: f64| -> Duration {
        if lat.is_empty() {
            return Duration::ZERO;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        Duration::from_micros(lat[i] as u64)
    };
    Ok(LoadReport {
        connections: o.connections,
        requests: lat.len() as u64,
        wrong,
        failed,
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        max: lat.last().map_or(Duration::ZERO, |m| Duration::from_micros(*m as u64)),
        first_wrong,
    })
}
