//! mysql / mysql2 providers against the MariaDB server from `.ci/services.sh`
//! (OXILUA_TEST_MYSQL).
mod common;

use common::*;
use oxilua_vmq::providers::mysql::{Defaults, Flavor, MySql};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;

const KEYS: &[(&str, &str)] = &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")];

async fn my(flavor: Flavor, pool: &str) -> MySql {
    let svc = service("MYSQL");
    let d = match flavor {
        Flavor::Mysql => Defaults::mysql(),
        Flavor::Mysql2 => Defaults::mysql2(),
    };
    let m = MySql::new(flavor, d);
    assert_eq!(ok(m.call("ensure_pool", &[pool_config(pool, &svc, KEYS)]).await), PValue::Bool(true));
    m
}

async fn exec(m: &MySql, pool: &str, sql: &str, args: &[PValue]) -> PValue {
    let mut a = vec![s(pool), s(sql)];
    a.extend_from_slice(args);
    ok(m.call("execute", &a).await)
}

async fn auth_table_sequence(flavor: Flavor, table: &str) {
    // The shape of apps/vmq_diversity/test/mysql_test.lua and the bundled
    // auth script's query.
    let pool = format!("{table}_pool");
    let m = my(flavor, &pool).await;
    let p = pool.as_str();
    assert_eq!(exec(&m, p, &format!("DROP TABLE IF EXISTS {table}"), &[]).await, PValue::Bool(true));
    assert_eq!(
        exec(
            &m,
            p,
            &format!(
                "CREATE TABLE {table} (mountpoint VARCHAR(10) NOT NULL, client_id VARCHAR(128) NOT NULL, \
                 username VARCHAR(128) NOT NULL, password VARCHAR(128), publish_acl TEXT, subscribe_acl TEXT, \
                 PRIMARY KEY (mountpoint, client_id, username))"
            ),
            &[]
        )
        .await,
        PValue::Bool(true)
    );
    let hash = m.hash_method();
    let hash = hash.as_str_lossy().unwrap().to_string();
    let insert = format!(
        "INSERT INTO {table} (mountpoint, client_id, username, password, publish_acl, subscribe_acl) \
         VALUES (?, ?, ?, {hash}, ?, ?)"
    );
    let acl = r#"[{"pattern":"a/b/c"},{"pattern":"c/b/#"}]"#;
    assert_eq!(exec(&m, p, &insert, &[s(""), s("test-client"), s("test-user"), s("123"), s(acl), s(acl)]).await, PValue::Bool(true));
    assert_eq!(exec(&m, p, &insert, &[s(""), s("*"), s("test-user"), s("123"), PValue::Nil, PValue::Nil]).await, PValue::Bool(true));
    let query = format!(
        "SELECT publish_acl, subscribe_acl, client_id FROM {table} WHERE mountpoint=? AND \
         (client_id=? OR client_id='*') AND username=? AND password={hash} ORDER BY client_id DESC"
    );
    let rows = exec(&m, p, &query, &[s(""), s("test-client"), s("test-user"), s("123")]).await;
    assert_eq!(len(&rows), 2);
    assert_eq!(field(idx(&rows, 0), "client_id"), &s("test-client"));
    assert_eq!(field(idx(&rows, 0), "publish_acl"), &s(acl));
    let null = match flavor {
        Flavor::Mysql => s("undefined"),
        Flavor::Mysql2 => s("null"),
    };
    assert_eq!(field(idx(&rows, 1), "publish_acl"), &null, "NULL spelling of {flavor:?}");
    let wrong = exec(&m, p, &query, &[s(""), s("test-client"), s("test-user"), s("bad")]).await;
    assert_eq!(wrong, PValue::Array(vec![]));
    // SQL errors and duplicate keys are false
    assert_eq!(exec(&m, p, &insert, &[s(""), s("*"), s("test-user"), s("1"), PValue::Nil, PValue::Nil]).await, PValue::Bool(false));
    assert_eq!(exec(&m, p, "SELEC 1", &[]).await, PValue::Bool(false));
    assert_eq!(exec(&m, p, "SELECT ? AS a", &[]).await, PValue::Bool(false), "parameter count mismatch");
    assert_eq!(exec(&m, p, &format!("UPDATE {table} SET password='x' WHERE client_id='none'"), &[]).await, PValue::Bool(true), "OK packet");
    assert_eq!(exec(&m, p, &format!("DROP TABLE {table}"), &[]).await, PValue::Bool(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_auth_table() {
    auth_table_sequence(Flavor::Mysql, "vmq_auth_acl_my1").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql2_auth_table() {
    auth_table_sequence(Flavor::Mysql2, "vmq_auth_acl_my2").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn values_and_binding() {
    let m = my(Flavor::Mysql2, "my_values").await;
    let rows = exec(
        &m,
        "my_values",
        "SELECT 1 AS i, -5 AS neg, 18446744073709551615 AS big, 1.5e0 AS dbl, CAST(12.34 AS DECIMAL(10,2)) AS dec_, \
         'héllo' AS txt, CAST('2024-02-29' AS DATE) AS d, CAST('2024-02-29 13:14:15.25' AS DATETIME(6)) AS dt, \
         CAST('-30:01:02' AS TIME) AS tm, NULL AS nul, X'00FF' AS bin, \
         ? + 1 AS p1, ? AS p2, ? AS p3, ? IS NULL AS p4, ? * 2 AS p5",
        &[n(41.0), s("x' OR '1'='1"), PValue::Bool(true), PValue::Nil, n(1.25)],
    )
    .await;
    let r = idx(&rows, 0);
    assert_eq!(field(r, "i"), &n(1.0));
    assert_eq!(field(r, "neg"), &n(-5.0));
    assert_eq!(field(r, "big"), &n(18446744073709551615.0));
    assert_eq!(field(r, "dbl"), &n(1.5));
    assert_eq!(field(r, "dec_"), &n(12.34));
    assert_eq!(field(r, "txt"), &s("héllo"));
    assert_eq!(field(r, "d"), &s("2024-02-29"));
    assert_eq!(field(r, "dt"), &s("2024-02-29T13:14:15.25"));
    assert_eq!(field(r, "tm"), &s("-30:01:02"));
    assert_eq!(field(r, "nul"), &s("null"));
    assert_eq!(field(r, "bin"), &PValue::Str(vec![0, 255]));
    assert_eq!(field(r, "p1"), &n(42.0));
    assert_eq!(field(r, "p2"), &s("x' OR '1'='1"), "parameters are bound, not spliced");
    assert_eq!(field(r, "p3"), &n(1.0));
    assert_eq!(field(r, "p4"), &n(1.0));
    assert_eq!(field(r, "p5"), &n(2.5));
}

#[tokio::test(flavor = "multi_thread")]
async fn hash_methods_pools_and_errors() {
    let svc = service("MYSQL");
    assert_eq!(MySql::new(Flavor::Mysql, Defaults::mysql()).hash_method(), s("PASSWORD(?)"));
    assert_eq!(MySql::new(Flavor::Mysql2, Defaults::mysql2()).hash_method(), s("SHA2(?, 256)"));
    for (method, sql) in [("md5", "MD5(?)"), ("sha1", "SHA1(?)"), ("sha256", "SHA2(?, 256)"), ("password", "PASSWORD(?)")] {
        let d = Defaults { password_hash_method: method.into(), ..Defaults::mysql() };
        assert_eq!(ok(MySql::new(Flavor::Mysql, d).call("hash_method", &[]).await), s(sql));
    }
    let m = MySql::new(Flavor::Mysql, Defaults::mysql());
    ok(m.call("ensure_pool", &[pool_config("my_args", &svc, KEYS)]).await);
    assert_eq!(ok(m.call("ensure_pool", &[map(&[("pool_id", s("my_args")), ("port", n(1.0))])]).await), PValue::Bool(true));
    assert!(exec(&m, "my_args", "SELECT 1 AS one", &[]).await.is_truthy());
    let e = err(m.call("execute", &[s("nope"), s("SELECT 1")]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    let e = err(m.call("execute", &[s("my_args"), n(1.0)]).await);
    assert!(e.to_string().starts_with("mysql.execute: execute_parse"), "{e}");
    let e = err(m.call("execute", &[s("my_args"), s("SELECT ?"), map(&[("a", n(1.0))])]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    // wrong password: an error
    let mut cfg = pool_config("my_badpw", &svc, KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("password"), s("wrong")));
    }
    ok(m.call("ensure_pool", &[cfg]).await);
    let e = err(m.call("execute", &[s("my_badpw"), s("SELECT 1")]).await);
    assert!(e.to_string().contains("Access denied"), "{e}");
    // nothing listening: fails fast
    ok(m.call("ensure_pool", &[map(&[("pool_id", s("my_dead")), ("host", s("127.0.0.1")), ("port", n(1.0))])]).await);
    let t = std::time::Instant::now();
    let e = err(m.call("execute", &[s("my_dead"), s("SELECT 1")]).await);
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "took {:?}", t.elapsed());
    assert_eq!(e.to_string(), "mysql.execute: connection refused");
}
