//! Outage behaviour: while a server is stopped, calls on an existing pool
//! fail fast (< 1 s) with a clear error; after the server is back, the same
//! pool works again without being re-created.
//!
//! The servers are stopped and started with `.ci/services.sh stop|start
//! NAME` (path from OXILUA_SERVICES_SH, default `<repo>/.ci/services.sh`),
//! so this test needs root like the script. A guard restarts the server
//! even when an assertion fails, so the machine is left with everything
//! running. Each test stops a different server; other test binaries do not
//! run at the same time (cargo runs test binaries one after another).
mod common;

use std::time::{Duration, Instant};

use common::*;
use oxilua_vmq::providers::{ErrorKind, PResult, ProviderError, Providers, ProvidersConfig};
use oxilua_vmq::pvalue::PValue;

/// Starts the service again when dropped (also on panic).
struct Restart(&'static str);
impl Drop for Restart {
    fn drop(&mut self) {
        services_sh(&["start", self.0]);
    }
}

async fn timed(fut: impl std::future::Future<Output = PResult>) -> (PResult, Duration) {
    let t = Instant::now();
    let r = fut.await;
    (r, t.elapsed())
}

fn assert_fast_failure(r: PResult, took: Duration, prefix: &str) -> ProviderError {
    let e = match r {
        Ok(v) => panic!("{prefix}: expected an error while the server is down, got {v:?}"),
        Err(e) => e,
    };
    assert!(took < Duration::from_secs(1), "{prefix}: failing took {took:?}: {e}");
    assert!(e.to_string().starts_with(prefix), "{e}");
    assert!(matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout), "{e:?}");
    e
}

/// Run `call` several times concurrently so the pool holds several
/// connections, all of which the outage breaks.
async fn warm(providers: &Providers, module: &str, func: &str, args: Vec<PValue>) {
    let calls = (0..4).map(|_| providers.call(module, func, &args));
    for r in futures_util::future::join_all(calls).await {
        ok(r);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_outage_and_recovery() {
    let svc = service("PG");
    let providers = Providers::new(ProvidersConfig::vernemq_defaults());
    let cfg = pool_config(
        "outage_pg",
        &svc,
        &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")],
    );
    ok(providers.call("postgres", "ensure_pool", &[cfg]).await);
    let q = vec![s("outage_pg"), s("SELECT 1 AS one")];
    warm(&providers, "postgres", "execute", q.clone()).await;
    {
        let _restart = Restart("postgres");
        services_sh(&["stop", "postgres"]);
        for _ in 0..3 {
            let (r, took) = timed(providers.call("postgres", "execute", &q)).await;
            let e = assert_fast_failure(r, took, "postgres.execute: ");
            eprintln!("while down: {e}");
        }
    }
    // restarted by the guard: the same pool answers again
    let rows = ok(providers.call("postgres", "execute", &q).await);
    assert_eq!(field(idx(&rows, 0), "one"), &n(1.0));
    warm(&providers, "postgres", "execute", q.clone()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_outage_and_recovery() {
    let svc = service("REDIS");
    let providers = Providers::new(ProvidersConfig::vernemq_defaults());
    let cfg = pool_config("outage_redis", &svc, &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password")]);
    ok(providers.call("redis", "ensure_pool", &[cfg]).await);
    let q = vec![s("outage_redis"), s("ping")];
    warm(&providers, "redis", "cmd", q.clone()).await;
    {
        let _restart = Restart("redis");
        services_sh(&["stop", "redis"]);
        for _ in 0..6 {
            let (r, took) = timed(providers.call("redis", "cmd", &q)).await;
            let e = assert_fast_failure(r, took, "redis.cmd: ");
            eprintln!("while down: {e}");
        }
    }
    for _ in 0..6 {
        assert_eq!(ok(providers.call("redis", "cmd", &q).await), s("PONG"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_outage_and_recovery() {
    let svc = service("MYSQL");
    let providers = Providers::new(ProvidersConfig::vernemq_defaults());
    let cfg = pool_config(
        "outage_mysql",
        &svc,
        &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")],
    );
    ok(providers.call("mysql2", "ensure_pool", &[cfg]).await);
    let q = vec![s("outage_mysql"), s("SELECT 1 AS one")];
    warm(&providers, "mysql2", "execute", q.clone()).await;
    {
        let _restart = Restart("mysql");
        services_sh(&["stop", "mysql"]);
        for _ in 0..3 {
            let (r, took) = timed(providers.call("mysql2", "execute", &q)).await;
            let e = assert_fast_failure(r, took, "mysql2.execute: ");
            eprintln!("while down: {e}");
        }
    }
    for _ in 0..6 {
        let rows = ok(providers.call("mysql2", "execute", &q).await);
        assert_eq!(field(idx(&rows, 0), "one"), &n(1.0));
    }
}
