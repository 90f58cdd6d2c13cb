//! postgres / cockroachdb providers against the PostgreSQL server from
//! `.ci/services.sh` (OXILUA_TEST_PG).
mod common;

use common::*;
use oxilua_vmq::providers::postgres::{Defaults, Flavor, Postgres};
use oxilua_vmq::providers::ErrorKind;
use oxilua_vmq::pvalue::PValue;

const PG_KEYS: &[(&str, &str)] = &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")];

fn pg(pool: &str) -> (Postgres, String) {
    let svc = service("PG");
    let p = Postgres::new(Flavor::Postgres, Defaults::postgres());
    assert_eq!(p.ensure_pool(&[pool_config(pool, &svc, PG_KEYS)]).map(PValue::Bool).unwrap(), PValue::Bool(true));
    (p, pool.to_string())
}

async fn exec(p: &Postgres, pool: &str, sql: &str, args: &[PValue]) -> PValue {
    let mut a = vec![s(pool), s(sql)];
    a.extend_from_slice(args);
    ok(p.call("execute", &a).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn vernemq_postgres_test_lua() {
    // The sequence of apps/vmq_diversity/test/postgres_test.lua.
    let (p, pool) = pg("pg_vmq_test");
    assert!(exec(&p, &pool, "DROP TABLE IF EXISTS vmq_auth_acl_t1", &[]).await.is_truthy());
    let created = exec(
        &p,
        &pool,
        "CREATE TABLE vmq_auth_acl_t1 (mountpoint varchar(10) NOT NULL, client_id varchar(128) NOT NULL, \
         username varchar(128) NOT NULL, password varchar(128), publish_acl json, subscribe_acl json, \
         CONSTRAINT vmq_auth_acl_t1_pk PRIMARY KEY (mountpoint, client_id, username))",
        &[],
    )
    .await;
    assert_eq!(created, PValue::Array(vec![]), "DDL gives the empty table");
    for i in 1..=4 {
        let r = exec(
            &p,
            &pool,
            "INSERT INTO vmq_auth_acl_t1 (mountpoint, client_id, username, password) VALUES ($1, $2, $3, $4)",
            &[s(""), s(&format!("client{i}")), s(&format!("user{i}")), s(&format!("pw{i}"))],
        )
        .await;
        assert_eq!(r, PValue::Bool(true));
    }
    let rows = exec(&p, &pool, "SELECT * FROM vmq_auth_acl_t1 ORDER BY client_id", &[]).await;
    assert_eq!(len(&rows), 4);
    let r0 = idx(&rows, 0);
    assert_eq!(field(r0, "client_id"), &s("client1"));
    assert_eq!(field(r0, "mountpoint"), &s(""));
    assert_eq!(field(r0, "username"), &s("user1"));
    assert_eq!(field(r0, "password"), &s("pw1"));
    assert_eq!(field(r0, "publish_acl"), &s("null"), "SQL NULL is the string \"null\"");
    let one = exec(
        &p,
        &pool,
        "SELECT * FROM vmq_auth_acl_t1 WHERE mountpoint=$1 AND client_id=$2 AND username=$3",
        &[s(""), s("client2"), s("user2")],
    )
    .await;
    assert_eq!(len(&one), 1);
    // counts: UPDATE 0 rows -> false, >0 -> true; RETURNING rows are discarded
    assert_eq!(exec(&p, &pool, "UPDATE vmq_auth_acl_t1 SET password='x' WHERE client_id='nope'", &[]).await, PValue::Bool(false));
    assert_eq!(exec(&p, &pool, "UPDATE vmq_auth_acl_t1 SET password='x' WHERE client_id='client1'", &[]).await, PValue::Bool(true));
    assert_eq!(exec(&p, &pool, "DELETE FROM vmq_auth_acl_t1 WHERE client_id=$1 RETURNING *", &[s("client4")]).await, PValue::Bool(true));
    assert_eq!(exec(&p, &pool, "DELETE FROM vmq_auth_acl_t1 WHERE client_id=$1 RETURNING *", &[s("client4")]).await, PValue::Bool(false));
    assert_eq!(
        exec(&p, &pool, "WITH d AS (DELETE FROM vmq_auth_acl_t1 WHERE client_id='client3' RETURNING client_id) SELECT * FROM d", &[]).await,
        PValue::Array(vec![map(&[("client_id", s("client3"))])])
    );
    // SQL errors are false, not errors
    assert_eq!(exec(&p, &pool, "SELECT * FROM no_such_table_xyz", &[]).await, PValue::Bool(false));
    assert_eq!(exec(&p, &pool, "SELEC 1", &[]).await, PValue::Bool(false));
    assert_eq!(
        exec(&p, &pool, "INSERT INTO vmq_auth_acl_t1 (mountpoint, client_id, username) VALUES ('', 'client1', 'user1')", &[]).await,
        PValue::Bool(false)
    );
    assert!(exec(&p, &pool, "DROP TABLE vmq_auth_acl_t1", &[]).await.is_truthy());
}

#[tokio::test(flavor = "multi_thread")]
async fn value_mapping() {
    let (p, pool) = pg("pg_values");
    let rows = exec(
        &p,
        &pool,
        "SELECT 1::int2 AS i2, 2::int4 AS i4, 3000000000::int8 AS i8, 1.5::float4 AS f4, 2.25::float8 AS f8, \
         12345.678::numeric AS num, true AS t, false AS f, NULL::text AS nul, 'héllo'::text AS txt, \
         'ab'::varchar AS vc, 'x'::char(3) AS ch, '\\x00ff'::bytea AS bin, '{\"a\": [1, 2]}'::jsonb AS jb, \
         '{\"a\":1}'::json AS js, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id, \
         '2024-02-29'::date AS d, '13:14:15.25'::time AS tm, '2024-02-29 13:14:15.123456'::timestamp AS ts, \
         '2024-02-29 13:14:15+02'::timestamptz AS tstz, '1 year 2 mons 3 days 04:05:06'::interval AS iv, \
         '192.168.1.5'::inet AS ip, '10.0.0.0/8'::cidr AS net, ARRAY[1,2,NULL]::int[] AS arr, \
         ARRAY[['a','b'],['c','d']] AS arr2, 'infinity'::timestamp AS tsinf",
        &[],
    )
    .await;
    let r = idx(&rows, 0);
    assert_eq!(field(r, "i2"), &n(1.0));
    assert_eq!(field(r, "i4"), &n(2.0));
    assert_eq!(field(r, "i8"), &n(3000000000.0));
    assert_eq!(field(r, "f4"), &n(1.5));
    assert_eq!(field(r, "f8"), &n(2.25));
    assert_eq!(field(r, "num"), &n(12345.678));
    assert_eq!(field(r, "t"), &PValue::Bool(true));
    assert_eq!(field(r, "f"), &PValue::Bool(false));
    assert_eq!(field(r, "nul"), &s("null"));
    assert_eq!(field(r, "txt"), &s("héllo"));
    assert_eq!(field(r, "vc"), &s("ab"));
    assert_eq!(field(r, "ch"), &s("x  "));
    assert_eq!(field(r, "bin"), &PValue::Str(vec![0, 255]));
    assert_eq!(field(r, "jb"), &s("{\"a\": [1, 2]}"));
    assert_eq!(field(r, "js"), &s("{\"a\":1}"));
    assert_eq!(field(r, "id"), &s("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    assert_eq!(field(r, "d"), &s("2024-02-29"));
    assert_eq!(field(r, "tm"), &s("13:14:15.25"));
    assert_eq!(field(r, "ts"), &s("2024-02-29T13:14:15.123456"));
    assert_eq!(field(r, "tstz"), &s("2024-02-29T11:14:15Z"));
    assert_eq!(field(r, "iv"), &s("P1Y2M3DT4H5M6S"));
    assert_eq!(field(r, "ip"), &s("192.168.1.5"));
    assert_eq!(field(r, "net"), &s("10.0.0.0/8"));
    assert_eq!(field(r, "arr"), &PValue::Array(vec![n(1.0), n(2.0), s("null")]));
    assert_eq!(field(r, "arr2"), &PValue::Array(vec![PValue::Array(vec![s("a"), s("b")]), PValue::Array(vec![s("c"), s("d")])]));
    assert_eq!(field(r, "tsinf"), &s("infinity"));
}

#[tokio::test(flavor = "multi_thread")]
async fn parameters_are_bound_not_spliced() {
    let (p, pool) = pg("pg_params");
    // typed parameters from Lua values
    let rows = exec(
        &p,
        &pool,
        "SELECT $1::int4 + 1 AS a, $2::float8 * 2 AS b, $3::numeric AS c, $4::bool AS d, $5::text AS e, \
         $6::timestamptz AS f, $7::date AS g, $8::uuid AS h, $9::jsonb AS i, $10::int[] AS j, $11::text IS NULL AS k",
        &[
            n(41.0),
            n(1.25),
            s("10.5"),
            PValue::Bool(true),
            n(3.0),
            s("2024-01-02T03:04:05Z"),
            s("2024-01-02"),
            s("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            s("{\"k\": 1}"),
            PValue::Array(vec![n(1.0), n(2.0)]),
            PValue::Nil,
        ],
    )
    .await;
    let r = idx(&rows, 0);
    assert_eq!(field(r, "a"), &n(42.0));
    assert_eq!(field(r, "b"), &n(2.5));
    assert_eq!(field(r, "c"), &n(10.5));
    assert_eq!(field(r, "d"), &PValue::Bool(true));
    assert_eq!(field(r, "e"), &s("3"), "a Lua number bound to text is formatted like tostring");
    assert_eq!(field(r, "f"), &s("2024-01-02T03:04:05Z"));
    assert_eq!(field(r, "g"), &s("2024-01-02"));
    assert_eq!(field(r, "h"), &s("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    assert_eq!(field(r, "i"), &s("{\"k\": 1}"));
    assert_eq!(field(r, "j"), &PValue::Array(vec![n(1.0), n(2.0)]));
    assert_eq!(field(r, "k"), &PValue::Bool(true));

    // an injection attempt stays a value
    let evil = "x' OR '1'='1";
    let rows = exec(&p, &pool, "SELECT $1::text AS v, $1::text = 'x' AS same", &[s(evil)]).await;
    assert_eq!(field(idx(&rows, 0), "v"), &s(evil));
    assert_eq!(field(idx(&rows, 0), "same"), &PValue::Bool(false));

    // a value that cannot be bound is an error naming the function
    let e = err(p.call("execute", &[s(&pool), s("SELECT $1::int4"), s("abc")]).await);
    assert!(e.to_string().starts_with("postgres.execute: "), "{e}");
    let e = err(p.call("execute", &[s(&pool), s("SELECT $1::int4"), n(1.5)]).await);
    assert!(e.to_string().contains("not an integer"), "{e}");
    // wrong parameter count: the server would refuse it -> false
    assert_eq!(exec(&p, &pool, "SELECT $1::int4", &[]).await, PValue::Bool(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn pools_and_arguments() {
    let svc = service("PG");
    let p = Postgres::new(Flavor::Postgres, Defaults::postgres());
    assert_eq!(p.call("hash_method", &[]).await.unwrap(), s("crypt"));
    // a second ensure_pool with the same id is a no-op returning true, even with a bad config
    assert_eq!(ok(p.call("ensure_pool", &[pool_config("pg_args", &svc, PG_KEYS)]).await), PValue::Bool(true));
    assert_eq!(ok(p.call("ensure_pool", &[map(&[("pool_id", s("pg_args")), ("port", n(1.0))])]).await), PValue::Bool(true));
    assert!(exec(&p, "pg_args", "SELECT 1 AS one", &[]).await.is_truthy());
    let e = err(p.call("execute", &[s("nope"), s("SELECT 1")]).await);
    assert_eq!(e.kind, ErrorKind::UnknownPool);
    assert!(e.to_string().contains("unknown_pool"), "{e}");
    let e = err(p.call("execute", &[n(1.0), s("SELECT 1")]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    assert!(e.to_string().contains("execute_parse"), "{e}");
    let e = err(p.call("execute", &[s("pg_args"), PValue::Nil]).await);
    assert_eq!(e.kind, ErrorKind::BadArgument);
    let e = err(p.call("ensure_pool", &[s("not a table")]).await);
    assert!(e.to_string().contains("execute_parse"), "{e}");
    let e = err(p.call("ensure_pool", &[map(&[("pool_id", s("pg_bad")), ("port", s("5432"))])]).await);
    assert_eq!(e.kind, ErrorKind::Config);
    // a wrong password fails fast with an error
    let mut cfg = pool_config("pg_wrongpw", &svc, PG_KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("password"), s("wrong")));
    }
    ok(p.call("ensure_pool", &[cfg]).await);
    let e = err(p.call("execute", &[s("pg_wrongpw"), s("SELECT 1")]).await);
    assert!(e.to_string().contains("password authentication failed"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_port_fails_fast() {
    let p = Postgres::new(Flavor::Postgres, Defaults::postgres());
    ok(p.call("ensure_pool", &[map(&[("pool_id", s("pg_dead")), ("host", s("127.0.0.1")), ("port", n(1.0))])]).await);
    let t = std::time::Instant::now();
    let e = err(p.call("execute", &[s("pg_dead"), s("SELECT 1")]).await);
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "took {:?}", t.elapsed());
    assert_eq!(e.to_string(), "postgres.execute: connection refused");
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[tokio::test(flavor = "multi_thread")]
async fn cockroachdb_flavor_and_tls() {
    let svc = service("PG");
    let c = Postgres::new(Flavor::Cockroachdb, Defaults::cockroachdb());
    assert_eq!(c.call("hash_method", &[]).await.unwrap(), s("bcrypt"));
    // cockroachdb defaults to ssl = true: Debian's PostgreSQL has TLS on with a
    // self-signed (snakeoil) certificate, so verify_none connects over TLS ...
    let mut cfg = pool_config("crdb_tls", &svc, PG_KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("verify"), s("verify_none")));
    }
    ok(c.call("ensure_pool", &[cfg]).await);
    let rows = ok(c.call("execute", &[s("crdb_tls"), s("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")]).await);
    assert_eq!(field(idx(&rows, 0), "ssl"), &PValue::Bool(true));
    // ... while verify_peer against the system CAs rejects that certificate
    ok(c.call("ensure_pool", &[pool_config("crdb_verify", &svc, PG_KEYS)]).await);
    let e = err(c.call("execute", &[s("crdb_verify"), s("SELECT 1")]).await);
    assert!(e.to_string().starts_with("cockroachdb.execute: "), "{e}");
    // and ssl = "false" (string form) talks plain TCP
    let mut cfg = pool_config("crdb_plain", &svc, PG_KEYS);
    if let PValue::Map(pairs) = &mut cfg {
        pairs.push((s("ssl"), s("false")));
    }
    ok(c.call("ensure_pool", &[cfg]).await);
    let rows = ok(c.call("execute", &[s("crdb_plain"), s("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")]).await);
    assert_eq!(field(idx(&rows, 0), "ssl"), &PValue::Bool(false));
}

/// The bundled auth script's flow (reference §7.4): `ensure_pool({pool_id =
/// pool})` with everything else from the operator defaults, then the
/// server-side `crypt` query.
#[tokio::test(flavor = "multi_thread")]
async fn auth_script_flow_with_operator_defaults() {
    let svc = service("PG");
    let d = Defaults {
        host: svc["host"].clone(),
        port: svc["port"].parse().unwrap(),
        user: svc["user"].clone(),
        password: svc["password"].clone(),
        database: svc["dbname"].clone(),
        ..Defaults::postgres()
    };
    let p = Postgres::new(Flavor::Postgres, d);
    assert_eq!(ok(p.call("ensure_pool", &[map(&[("pool_id", s("auth_postgres"))])]).await), PValue::Bool(true));
    let pool = "auth_postgres";
    exec(&p, pool, "DROP TABLE IF EXISTS vmq_auth_acl_t2", &[]).await;
    exec(
        &p,
        pool,
        "CREATE TABLE vmq_auth_acl_t2 (mountpoint varchar(10) NOT NULL, client_id varchar(128) NOT NULL, \
         username varchar(128) NOT NULL, password varchar(128), publish_acl json, subscribe_acl json, \
         CONSTRAINT vmq_auth_acl_t2_pk PRIMARY KEY (mountpoint, client_id, username))",
        &[],
    )
    .await;
    let acl = r#"[{"pattern":"a/b/c"},{"pattern":"c/b/#"}]"#;
    assert_eq!(
        exec(
            &p,
            pool,
            "INSERT INTO vmq_auth_acl_t2 (mountpoint, client_id, username, password, publish_acl, subscribe_acl) \
             VALUES ('', 'test-client', 'test-user', crypt('123', gen_salt('bf')), $1, $1)",
            &[s(acl)],
        )
        .await,
        PValue::Bool(true)
    );
    let query = "SELECT publish_acl::TEXT, subscribe_acl::TEXT, client_id FROM vmq_auth_acl_t2 \
                 WHERE mountpoint=$1 AND (client_id=$2 OR client_id='*') AND username=$3 AND password=crypt($4, password)";
    let good = exec(&p, pool, query, &[s(""), s("test-client"), s("test-user"), s("123")]).await;
    assert_eq!(len(&good), 1);
    assert_eq!(field(idx(&good, 0), "publish_acl"), &s(acl));
    assert_eq!(field(idx(&good, 0), "client_id"), &s("test-client"));
    let bad = exec(&p, pool, query, &[s(""), s("test-client"), s("test-user"), s("124")]).await;
    assert_eq!(bad, PValue::Array(vec![]));
    exec(&p, pool, "DROP TABLE vmq_auth_acl_t2", &[]).await;
}
