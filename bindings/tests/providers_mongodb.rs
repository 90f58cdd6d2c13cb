//! mongodb provider against the MongoDB-protocol server (SecantusDB) from
//! `.ci/services.sh` (OXILUA_TEST_MONGODB), with SCRAM authentication.
mod common;

use common::*;
use oxilua_vmq::providers::mongodb::{Defaults, MongoDb};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;

const KEYS: &[(&str, &str)] = &[
    ("host", "host"),
    ("port", "port"),
    ("login", "user"),
    ("password", "password"),
    ("database", "dbname"),
    ("auth_source", "auth_source"),
];

async fn mongo(pool: &str) -> MongoDb {
    let svc = service("MONGODB");
    let m = MongoDb::new(Defaults::default());
    assert_eq!(ok(m.call("ensure_pool", &[pool_config(pool, &svc, KEYS)]).await), PValue::Bool(true));
    m
}

async fn c(m: &MongoDb, f: &str, args: &[PValue]) -> PValue {
    ok(m.call(f, args).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn vernemq_mongodb_test_lua() {
    // The sequence of apps/vmq_diversity/test/mongodb_test.lua.
    let m = mongo("mongo_vmq").await;
    let (p, coll) = (s("mongo_vmq"), s("t_vmq"));
    c(&m, "delete", &[p.clone(), coll.clone(), PValue::empty_table()]).await;
    let doc = map(&[("_id", s("test-id")), ("client_id", s("test-client")), ("mountpoint", s("")), ("n", n(42.0))]);
    let ret = c(&m, "insert", &[p.clone(), coll.clone(), doc]).await;
    assert_eq!(field(&ret, "_id"), &s("test-id"));
    assert_eq!(field(&ret, "n"), &n(42.0));
    let docs =
        PValue::Array(vec![map(&[("client_id", s("c1")), ("kind", s("many"))]), map(&[("client_id", s("c2")), ("kind", s("many"))])]);
    let ret = c(&m, "insert", &[p.clone(), coll.clone(), docs]).await;
    assert_eq!(len(&ret), 2);
    let id2 = field(idx(&ret, 1), "_id").clone();
    let raw = id2.as_bytes().unwrap();
    assert!(raw.starts_with(b"vmq-objid") && raw.len() == 9 + 12, "generated ids are vmq-objid..12 bytes: {id2:?}");
    // find + next until false
    let cursor = c(&m, "find", &[p.clone(), coll.clone(), map(&[("kind", s("many"))])]).await;
    assert!(cursor.as_str_lossy().unwrap().starts_with("mongo-cursor-"));
    let mut seen = Vec::new();
    loop {
        let d = c(&m, "next", &[cursor.clone()]).await;
        if d == PValue::Bool(false) {
            break;
        }
        seen.push(field(&d, "client_id").clone());
    }
    seen.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(seen, vec![s("c1"), s("c2")]);
    assert_eq!(c(&m, "next", &[cursor.clone()]).await, PValue::Bool(false));
    // take
    let cursor = c(&m, "find", &[p.clone(), coll.clone(), PValue::empty_table()]).await;
    let batch = c(&m, "take", &[cursor.clone(), n(2.0)]).await;
    assert_eq!(len(&batch), 2);
    let batch = c(&m, "take", &[cursor.clone(), n(2.0)]).await;
    assert_eq!(len(&batch), 1);
    assert_eq!(c(&m, "take", &[cursor.clone(), n(2.0)]).await, PValue::Bool(false));
    assert_eq!(c(&m, "close", &[cursor.clone()]).await, PValue::Bool(true));
    // close an open cursor, then next is false
    let cursor = c(&m, "find", &[p.clone(), coll.clone(), PValue::empty_table(), map(&[("batchsize", n(1.0))])]).await;
    assert!(c(&m, "next", &[cursor.clone()]).await.is_table());
    assert_eq!(c(&m, "close", &[cursor.clone()]).await, PValue::Bool(true));
    assert_eq!(c(&m, "next", &[cursor.clone()]).await, PValue::Bool(false));
    assert_eq!(m.open_cursors(), 0);
    // find without matches: an exhausted cursor
    let cursor = c(&m, "find", &[p.clone(), coll.clone(), map(&[("client_id", s("nobody"))])]).await;
    assert_eq!(c(&m, "next", &[cursor]).await, PValue::Bool(false));
    // find_one with projector; the ObjectId string finds the document again
    let one = c(
        &m,
        "find_one",
        &[p.clone(), coll.clone(), map(&[("_id", id2.clone())]), map(&[("projector", map(&[("kind", PValue::Bool(false))]))])],
    )
    .await;
    assert_eq!(field(&one, "client_id"), &s("c2"));
    assert_eq!(one.get("kind"), None, "projected away");
    assert_eq!(field(&one, "_id"), &id2);
    assert_eq!(c(&m, "find_one", &[p.clone(), coll.clone(), map(&[("client_id", s("nobody"))])]).await, PValue::Bool(false));
    // update touches only the first match
    assert_eq!(
        c(&m, "update", &[p.clone(), coll.clone(), map(&[("kind", s("many"))]), map(&[("flag", PValue::Bool(true))])]).await,
        PValue::Bool(true)
    );
    let cursor = c(&m, "find", &[p.clone(), coll.clone(), map(&[("flag", PValue::Bool(true))])]).await;
    assert_eq!(len(&c(&m, "take", &[cursor, n(10.0)]).await), 1);
    // delete removes every match
    assert_eq!(c(&m, "delete", &[p.clone(), coll.clone(), map(&[("kind", s("many"))])]).await, PValue::Bool(true));
    assert_eq!(c(&m, "find_one", &[p.clone(), coll.clone(), map(&[("kind", s("many"))])]).await, PValue::Bool(false));
    assert_eq!(c(&m, "delete", &[p.clone(), coll.clone(), PValue::empty_table()]).await, PValue::Bool(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_documents_and_values() {
    // A document as the bundled mongodb auth script reads it, with nested
    // ACL arrays and tables.
    let m = mongo("mongo_auth").await;
    let (p, coll) = (s("mongo_auth"), s("vmq_acl_auth_t"));
    c(&m, "delete", &[p.clone(), coll.clone(), PValue::empty_table()]).await;
    let acl = PValue::Array(vec![
        map(&[("pattern", s("a/b/c")), ("max_qos", n(1.0))]),
        map(&[("pattern", s("c/b/#")), ("modifiers", map(&[("retain", PValue::Bool(true))]))]),
    ]);
    let doc = map(&[
        ("mountpoint", s("")),
        ("client_id", s("test-client")),
        ("username", s("test-user")),
        ("passhash", s("$2a$12$97PlnSsouvCV7HaxDPV80.EXfsKM4Fg7DAwWhSbGJ6O5CpNep20n2")),
        ("publish_acl", acl.clone()),
        ("subscribe_acl", acl.clone()),
        ("ratio", n(0.25)),
        ("big", n(1e12)),
        ("nothing", PValue::Nil),
    ]);
    c(&m, "insert", &[p.clone(), coll.clone(), doc]).await;
    let found = c(
        &m,
        "find_one",
        &[p.clone(), coll.clone(), map(&[("mountpoint", s("")), ("client_id", s("test-client")), ("username", s("test-user"))])],
    )
    .await;
    assert_eq!(field(&found, "publish_acl"), &acl);
    assert_eq!(field(&found, "subscribe_acl"), &acl);
    assert_eq!(field(&found, "ratio"), &n(0.25));
    assert_eq!(field(&found, "big"), &n(1e12));
    assert_eq!(field(&found, "nothing"), &s("null"), "BSON null is \"null\"");
    assert!(field(&found, "_id").as_bytes().unwrap().starts_with(b"vmq-objid"));
    c(&m, "delete", &[p.clone(), coll.clone(), PValue::empty_table()]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_source_pools_and_errors() {
    let svc = service("MONGODB");
    let m = MongoDb::new(Defaults::default());
    // the same user authenticates against the test database as auth_source
    let mut cfg = pool_config("mongo_src", &svc, KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("auth_source"), s(&svc["dbname"])));
    }
    ok(m.call("ensure_pool", &[cfg]).await);
    assert_eq!(c(&m, "find_one", &[s("mongo_src"), s("t_src"), PValue::empty_table()]).await, PValue::Bool(false));
    // ensure_pool again: no-op
    assert_eq!(c(&m, "ensure_pool", &[map(&[("pool_id", s("mongo_src")), ("port", n(1.0))])]).await, PValue::Bool(true));
    // without credentials the server refuses: an error, not false
    ok(m.call(
        "ensure_pool",
        &[map(&[
            ("pool_id", s("mongo_noauth")),
            ("host", s(&svc["host"])),
            ("port", n(svc["port"].parse().unwrap())),
            ("database", s(&svc["dbname"])),
        ])],
    )
    .await);
    let e = err(m.call("find_one", &[s("mongo_noauth"), s("t"), PValue::empty_table()]).await);
    assert!(e.to_string().starts_with("mongodb.find_one: "), "{e}");
    // wrong password
    let mut cfg = pool_config("mongo_badpw", &svc, KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("password"), s("wrong")));
    }
    ok(m.call("ensure_pool", &[cfg]).await);
    let e = err(m.call("insert", &[s("mongo_badpw"), s("t"), map(&[("a", n(1.0))])]).await);
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
    // arguments
    let e = err(m.call("insert", &[s("nope"), s("t"), map(&[("a", n(1.0))])]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    let e = err(m.call("update", &[s("mongo_src"), s("t"), PValue::empty_table(), map(&[("a", n(1.0))])]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    let e = err(m.call("next", &[s("not-a-cursor")]).await);
    assert!(e.to_string().contains("execute_parse"), "{e}");
    assert_eq!(c(&m, "next", &[s("mongo-cursor-999999")]).await, PValue::Bool(false));
    let e = err(m.call("ensure_pool", &[map(&[("pool_id", s("mongo_srv")), ("srv", s("example.org"))])]).await);
    assert_eq!(e.kind, ErrorKind::Config);
    // nothing listening: fails within the server selection timeout
    ok(m.call("ensure_pool", &[map(&[("pool_id", s("mongo_dead")), ("host", s("127.0.0.1")), ("port", n(1.0))])]).await);
    let t = std::time::Instant::now();
    let e = err(m.call("find_one", &[s("mongo_dead"), s("t"), PValue::empty_table()]).await);
    assert!(t.elapsed() < std::time::Duration::from_millis(1500), "took {:?}", t.elapsed());
    assert_eq!(e.to_string(), "mongodb.find_one: connection refused");
}
