//! redis provider against the Redis server from `.ci/services.sh` (OXILUA_TEST_REDIS).
mod common;

use common::*;
use oxilua_vmq::providers::redis::{Defaults, Redis};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;

async fn redis(pool: &str, with_user: bool) -> Redis {
    let svc = service("REDIS");
    let r = Redis::new(Defaults::default());
    let mut keys = vec![("host", "host"), ("port", "port"), ("password", "password"), ("database", "db")];
    if with_user {
        keys.push(("user", "user"));
    }
    assert_eq!(ok(r.call("ensure_pool", &[pool_config(pool, &svc, &keys)]).await), PValue::Bool(true));
    r
}

async fn cmd(r: &Redis, pool: &str, c: &str, extra: &[PValue]) -> PValue {
    let mut a = vec![s(pool), s(c)];
    a.extend_from_slice(extra);
    ok(r.call("cmd", &a).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn vernemq_redis_test_lua() {
    // The sequence of apps/vmq_diversity/test/redis_test.lua (keys prefixed
    // so the tests of this file can run in parallel).
    let r = redis("redis_vmq", false).await;
    let p = "redis_vmq";
    cmd(&r, p, "del t1:mykey t1:counter t1:a t1:b t1:c t1:key t1:mylist t1:empty", &[]).await;
    assert_eq!(cmd(&r, p, "set t1:mykey somevalue", &[]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "get t1:mykey", &[]).await, s("somevalue"));
    assert_eq!(cmd(&r, p, "set t1:mykey newval nx", &[]).await, PValue::Nil);
    assert_eq!(cmd(&r, p, "set t1:mykey newval xx", &[]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "set t1:counter 100", &[]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "incr t1:counter", &[]).await, s("101"), "integer replies are strings");
    assert_eq!(cmd(&r, p, "incrby t1:counter 50", &[]).await, s("151"));
    assert_eq!(cmd(&r, p, "mset t1:a 10 t1:b 20 t1:c 30", &[]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "mget t1:a t1:b t1:c", &[]).await, PValue::Array(vec![s("10"), s("20"), s("30")]));
    assert_eq!(
        cmd(&r, p, "mget t1:a t1:nokey t1:c", &[]).await,
        PValue::Array(vec![s("10"), s("undefined"), s("30")]),
        "nil inside a multi-bulk is \"undefined\""
    );
    assert_eq!(cmd(&r, p, "type t1:mykey", &[]).await, s("string"));
    assert_eq!(cmd(&r, p, "exists t1:mykey", &[]).await, s("1"));
    assert_eq!(cmd(&r, p, "del t1:mykey", &[]).await, s("1"));
    assert_eq!(cmd(&r, p, "get t1:mykey", &[]).await, PValue::Nil);
    assert_eq!(cmd(&r, p, "set t1:key some-value", &[]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "expire t1:key 5", &[]).await, s("1"));
    assert_eq!(cmd(&r, p, "ttl t1:key", &[]).await, s("5"));
    assert_eq!(cmd(&r, p, "rpush t1:mylist A", &[]).await, s("1"));
    assert_eq!(cmd(&r, p, "rpush t1:mylist B", &[]).await, s("2"));
    assert_eq!(cmd(&r, p, "lpush t1:mylist first", &[]).await, s("3"));
    assert_eq!(cmd(&r, p, "lrange t1:mylist 0 -1", &[]).await, PValue::Array(vec![s("first"), s("A"), s("B")]));
    // extra args are single arguments even with spaces
    assert_eq!(cmd(&r, p, "rpush t1:mylist 1 2 3 4 5", &[s("foo bar")]).await, s("9"));
    assert_eq!(cmd(&r, p, "rpop t1:mylist", &[]).await, s("foo bar"));
    assert_eq!(cmd(&r, p, "rpop t1:empty", &[]).await, PValue::Nil);
    // error replies are false
    assert_eq!(cmd(&r, p, "incr t1:mylist", &[]).await, PValue::Bool(false));
    assert_eq!(cmd(&r, p, "nosuchcommand", &[]).await, PValue::Bool(false));
    // double spaces produce an empty argument: "get  x" is GET with 2 args -> error
    assert_eq!(cmd(&r, p, "get  t1:a", &[]).await, PValue::Bool(false));
    cmd(&r, p, "del t1:a t1:b t1:c t1:counter t1:key t1:mylist", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn acl_user_tables_and_errors() {
    let r = redis("redis_acl", true).await;
    let p = "redis_acl";
    assert_eq!(cmd(&r, p, "acl whoami", &[]).await, s("vmq_test_user"));
    // a table extra argument is sent as one concatenated argument (eredis)
    assert_eq!(cmd(&r, p, "set t2:k", &[PValue::Array(vec![s("a"), s("b"), n(1.0)])]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "get t2:k", &[]).await, s("ab1"));
    assert_eq!(cmd(&r, p, "set t2:k", &[map(&[("x", s("y"))])]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, "get t2:k", &[]).await, s("xy"));
    // a JSON key like the bundled auth script's, and a JSON value
    let key = r#"["","test-client","test-user"]"#;
    assert_eq!(cmd(&r, p, &format!("set {key}"), &[s(r#"{"passhash":"x"}"#)]).await, PValue::Bool(true));
    assert_eq!(cmd(&r, p, &format!("get {key}"), &[]).await, s(r#"{"passhash":"x"}"#));
    cmd(&r, p, &format!("del {key} t2:k"), &[]).await;
    // numbers as extra args: VerneMQ has no clause for them -> an error here
    let e = err(r.call("cmd", &[s(p), s("set t2:k"), n(1.0)]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    let e = err(r.call("cmd", &[s("nope"), s("ping")]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    let e = err(r.call("cmd", &[s(p), n(1.0)]).await);
    assert!(e.to_string().contains("execute_parse"), "{e}");
    // database selection
    let svc = service("REDIS");
    ok(r.call(
        "ensure_pool",
        &[map(&[
            ("pool_id", s("redis_db3")),
            ("host", s(&svc["host"])),
            ("port", n(svc["port"].parse().unwrap())),
            ("password", s(&svc["password"])),
            ("database", n(3.0)),
        ])],
    )
    .await);
    assert!(cmd(&r, "redis_db3", "client info", &[]).await.as_str_lossy().unwrap().contains(" db=3 "));
    // wrong password: an error, not false
    ok(r.call(
        "ensure_pool",
        &[map(&[
            ("pool_id", s("redis_badpw")),
            ("host", s(&svc["host"])),
            ("port", n(svc["port"].parse().unwrap())),
            ("password", s("wrong")),
        ])],
    )
    .await);
    let e = err(r.call("cmd", &[s("redis_badpw"), s("ping")]).await);
    assert!(e.to_string().starts_with("redis.cmd: "), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_port_fails_fast() {
    let r = Redis::new(Defaults::default());
    ok(r.call("ensure_pool", &[map(&[("pool_id", s("redis_dead")), ("host", s("127.0.0.1")), ("port", n(1.0))])]).await);
    let t = std::time::Instant::now();
    let e = err(r.call("cmd", &[s("redis_dead"), s("ping")]).await);
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "took {:?}", t.elapsed());
    assert_eq!(e.to_string(), "redis.cmd: connection refused");
}
