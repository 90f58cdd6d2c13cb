//! http provider against a small HTTP/1.1 server run by the test itself on
//! 127.0.0.1 (no external server needed).
mod common;

use common::*;
use oxilua_vmq::providers::http::{Defaults, Http};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `count` requests; answers 201 with the request (method, path,
/// headers, body) echoed in the body.
async fn echo_server(count: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..count {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let nread = sock.read(&mut chunk).await.unwrap();
                assert!(nread > 0, "client closed early");
                buf.extend_from_slice(&chunk[..nread]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break p + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let clen = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                .unwrap_or(0);
            while buf.len() < head_end + clen {
                let nread = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..nread]);
            }
            let mut body = head.replace("\r\n", "\n");
            body.push_str(&String::from_utf8_lossy(&buf[head_end..head_end + clen]));
            let resp = format!(
                "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Dup: first\r\nX-Dup: last\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                body
            );
            sock.write_all(resp.as_bytes()).await.unwrap();
            sock.shutdown().await.ok();
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn vernemq_http_test_lua() {
    let base = echo_server(5).await;
    let h = Http::new(Defaults::default());
    assert_eq!(ok(h.call("ensure_pool", &[map(&[("pool_id", s("http_t"))])]).await), PValue::Bool(true));
    assert_eq!(ok(h.call("ensure_pool", &[map(&[("pool_id", s("http_t")), ("size", n(3.0))])]).await), PValue::Bool(true));
    let p = s("http_t");

    let ret = ok(h.call("get", &[p.clone(), s(&format!("{base}/get?x=1"))]).await);
    assert_eq!(field(&ret, "status"), &n(201.0));
    let body = field(&ret, "ref").as_str_lossy().unwrap().to_string();
    assert!(body.starts_with("GET /get?x=1 HTTP/1.1"), "{body}");
    let headers = field(&ret, "headers");
    assert_eq!(field(headers, "Content-Type"), &s("text/plain"));
    assert_eq!(field(headers, "X-Dup"), &s("last"), "a repeated header keeps the last value");
    assert_eq!(ok(h.call("body", &[field(&ret, "ref").clone()]).await), field(&ret, "ref").clone());

    // string body + headers (names verbatim)
    let ret = ok(h.call("post", &[p.clone(), s(&format!("{base}/post")), s("raw body"), map(&[("x_post_header", s("v1"))])]).await);
    let body = field(&ret, "ref").as_str_lossy().unwrap().to_string();
    assert!(body.starts_with("POST /post"), "{body}");
    assert!(body.contains("x_post_header: v1"), "{body}");
    assert!(body.ends_with("\nraw body"), "{body}");

    // table body: form encoded
    let ret =
        ok(h.call("put", &[p.clone(), s(&format!("{base}/put")), map(&[("a", s("1 2")), ("b", n(3.0))]), map(&[("x-h", s("y"))])]).await);
    let body = field(&ret, "ref").as_str_lossy().unwrap().to_string();
    assert!(body.starts_with("PUT /put"), "{body}");
    assert!(body.to_ascii_lowercase().contains("content-type: application/x-www-form-urlencoded"), "{body}");
    assert!(body.contains("x-h: y"), "{body}");
    assert!(body.ends_with("\na=1+2&b=3"), "{body}");

    // nil body: headers are ignored (VerneMQ quirk)
    let ret = ok(h.call("delete", &[p.clone(), s(&format!("{base}/del")), PValue::Nil, map(&[("x-ignored", s("1"))])]).await);
    let body = field(&ret, "ref").as_str_lossy().unwrap().to_string();
    assert!(body.starts_with("DELETE /del"), "{body}");
    assert!(!body.contains("x-ignored"), "{body}");
    let ret = ok(h.call("get", &[p.clone(), s(&format!("{base}/n")), n(5.0), map(&[("x-ignored", s("1"))])]).await);
    assert!(!field(&ret, "ref").as_str_lossy().unwrap().contains("x-ignored"));
}

#[tokio::test(flavor = "multi_thread")]
async fn transport_errors_are_false() {
    let h = Http::new(Defaults::default());
    ok(h.call("ensure_pool", &[map(&[("pool_id", s("http_e"))])]).await);
    let t = std::time::Instant::now();
    assert_eq!(ok(h.call("get", &[s("http_e"), s("http://127.0.0.1:1/")]).await), PValue::Bool(false));
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
    // TLS to a plain-text server fails the handshake (rustls is wired in)
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.write_all(b"HTTP/1.1 400 Not TLS\r\n\r\n").await.ok();
        sock.shutdown().await.ok();
    });
    let base = format!("https://{addr}/");
    assert_eq!(ok(h.call("get", &[s("http_e"), s(&base)]).await), PValue::Bool(false));
    let e = err(h.call("get", &[s("nope"), s("http://127.0.0.1:1/")]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    let e = err(h.call("get", &[s("http_e"), n(1.0)]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
}
