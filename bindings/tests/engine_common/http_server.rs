//! A small HTTP/1.1 server on 127.0.0.1 for the engine tests (a thread per
//! connection, one request per connection). Paths starting with `/hold`
//! are answered only after [`TestHttp::release`]; every answer is
//! `200 OK` with `METHOD PATH\n<request headers>\n<body>` as its body.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct TestHttp {
    pub url: String,
    gate: Arc<(Mutex<bool>, Condvar)>,
    held: Arc<AtomicUsize>,
}

impl TestHttp {
    pub fn start() -> TestHttp {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind the test HTTP server");
        let url = format!("http://{}", l.local_addr().unwrap());
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let held = Arc::new(AtomicUsize::new(0));
        let (g, h) = (gate.clone(), held.clone());
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let (g, h) = (g.clone(), h.clone());
                std::thread::spawn(move || handle(s, &g, &h));
            }
        });
        TestHttp { url, gate, held }
    }

    /// Answer the held requests (and every later `/hold` at once).
    pub fn release(&self) {
        *self.gate.0.lock().unwrap() = true;
        self.gate.1.notify_all();
    }

    /// Requests waiting for [`TestHttp::release`].
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Wait until `n` requests are held; panics after `limit` (a "did not
    /// hang" bound, not a timing assertion).
    pub fn wait_held(&self, n: usize, limit: Duration) {
        let t = Instant::now();
        while self.held() < n {
            assert!(t.elapsed() < limit, "only {} of {n} requests arrived within {limit:?}", self.held());
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TestHttp {
    fn drop(&mut self) {
        self.release();
    }
}

fn handle(mut s: TcpStream, gate: &(Mutex<bool>, Condvar), held: &AtomicUsize) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = s.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let clen = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok()))
        .unwrap_or(0);
    while buf.len() < head_end + clen {
        let Ok(n) = s.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    if path.starts_with("/hold") {
        held.fetch_add(1, Ordering::SeqCst);
        let mut open = gate.0.lock().unwrap();
        while !*open {
            open = gate.1.wait(open).unwrap();
        }
        drop(open);
        held.fetch_sub(1, Ordering::SeqCst);
    }
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let body = format!(
        "{method} {path}\n{}\n{}",
        headers.join("\n").to_ascii_lowercase(),
        String::from_utf8_lossy(&buf[head_end..head_end + clen])
    );
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Test: yes\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(resp.as_bytes());
}
