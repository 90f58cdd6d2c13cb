//! memcached provider against the memcached server from `.ci/services.sh`
//! (OXILUA_TEST_MEMCACHED).
mod common;

use common::*;
use oxilua_vmq::providers::memcached::{Defaults, Memcached};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;

/// flush_all in one test would wipe the keys of another running in parallel.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn mc(pool: &str) -> Memcached {
    let svc = service("MEMCACHED");
    let m = Memcached::new(Defaults::default());
    let cfg = pool_config(pool, &svc, &[("host", "host"), ("port", "port")]);
    assert_eq!(ok(m.call("ensure_pool", &[cfg]).await), PValue::Bool(true));
    m
}

async fn c(m: &Memcached, f: &str, args: &[PValue]) -> PValue {
    ok(m.call(f, args).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn vernemq_memcached_test_lua() {
    // The sequence of apps/vmq_diversity/test/memcached_test.lua (one test:
    // flush_all would disturb parallel tests).
    let _serial = SERIAL.lock().await;
    let m = mc("mc_vmq").await;
    let p = s("mc_vmq");
    assert_eq!(c(&m, "flush_all", &[p.clone()]).await, PValue::Bool(true));
    assert_eq!(c(&m, "get", &[p.clone(), s("k1")]).await, PValue::Bool(false));
    assert_eq!(c(&m, "set", &[p.clone(), s("k1"), s("v1")]).await, s("v1"));
    assert_eq!(c(&m, "get", &[p.clone(), s("k1")]).await, s("v1"));
    assert_eq!(c(&m, "add", &[p.clone(), s("k1"), s("v2")]).await, PValue::Bool(false), "add of an existing key");
    assert_eq!(c(&m, "add", &[p.clone(), s("k2"), s("v2")]).await, s("v2"));
    assert_eq!(c(&m, "replace", &[p.clone(), s("k2"), s("v3")]).await, s("v3"));
    assert_eq!(c(&m, "get", &[p.clone(), s("k2")]).await, s("v3"));
    assert_eq!(c(&m, "replace", &[p.clone(), s("missing"), s("v")]).await, PValue::Bool(false));
    assert_eq!(c(&m, "delete", &[p.clone(), s("k2")]).await, PValue::Bool(true));
    assert_eq!(c(&m, "delete", &[p.clone(), s("k2")]).await, PValue::Bool(false));
    assert_eq!(c(&m, "get", &[p.clone(), s("k2")]).await, PValue::Bool(false));
    // binary-safe values
    assert_eq!(c(&m, "set", &[p.clone(), s("bin"), PValue::Str(vec![0, 1, 255])]).await, PValue::Str(vec![0, 1, 255]));
    assert_eq!(c(&m, "get", &[p.clone(), s("bin")]).await, PValue::Str(vec![0, 1, 255]));
    // expiry (the Lua test sleeps 2 s after a 1 s expiration)
    assert_eq!(c(&m, "set", &[p.clone(), s("exp"), s("soon"), n(1.9)]).await, s("soon"));
    assert_eq!(c(&m, "add", &[p.clone(), s("exp2"), s("soon"), n(1.0)]).await, s("soon"));
    assert_eq!(c(&m, "get", &[p.clone(), s("exp")]).await, s("soon"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(c(&m, "get", &[p.clone(), s("exp")]).await, PValue::Bool(false));
    assert_eq!(c(&m, "get", &[p.clone(), s("exp2")]).await, PValue::Bool(false));
    assert_eq!(c(&m, "flush_all", &[p.clone()]).await, PValue::Bool(true));
    assert_eq!(c(&m, "get", &[p.clone(), s("k1")]).await, PValue::Bool(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_arguments_and_errors() {
    let _serial = SERIAL.lock().await;
    let m = mc("mc_args").await;
    let p = s("mc_args");
    // the stored flags are VerneMQ's 0xABBA (read back over the raw protocol)
    assert_eq!(c(&m, "set", &[p.clone(), s("flagged"), s("x")]).await, s("x"));
    let svc = service("MEMCACHED");
    let mut sock = std::net::TcpStream::connect(format!("{}:{}", svc["host"], svc["port"])).unwrap();
    use std::io::{Read, Write};
    sock.write_all(b"get flagged\r\n").unwrap();
    let mut buf = [0u8; 128];
    let nread = sock.read(&mut buf).unwrap();
    let line = String::from_utf8_lossy(&buf[..nread]).to_string();
    assert!(line.starts_with(&format!("VALUE flagged {} 1", 0xABBA)), "{line}");
    assert_eq!(c(&m, "delete", &[p.clone(), s("flagged")]).await, PValue::Bool(true));

    assert_eq!(ok(m.call("ensure_pool", &[map(&[("pool_id", s("mc_args")), ("port", n(1.0))])]).await), PValue::Bool(true));
    let e = err(m.call("get", &[s("nope"), s("k")]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    let e = err(m.call("set", &[p.clone(), s("k"), n(1.0)]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    let e = err(m.call("set", &[p.clone(), s("k"), s("v"), s("10")]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    let e = err(m.call("get", &[p.clone(), PValue::Nil]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    // nothing listening: ensure_pool fails within the 1 s connect wait
    let t = std::time::Instant::now();
    let e = err(m.call("ensure_pool", &[map(&[("pool_id", s("mc_dead")), ("host", s("127.0.0.1")), ("port", n(1.0))])]).await);
    assert!(t.elapsed() < std::time::Duration::from_millis(1500), "took {:?}", t.elapsed());
    assert!(e.to_string().starts_with("memcached.ensure_pool: connect_error"), "{e}");
}
