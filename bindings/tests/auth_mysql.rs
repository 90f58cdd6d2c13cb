//! `bindings/scripts/auth/mysql.lua` and `mysql2.lua` against the MariaDB
//! server of `.ci/services.sh`, seeded as README.md shows
//! (`schema/mysql.sql`, then one INSERT per entry hashing the password with
//! the provider's `hash_method()`: `PASSWORD(?)` for mysql, `SHA2(?, 256)`
//! for mysql2).
mod auth_common;
mod common;

use auth_common::*;
use oxilua_vmq::pvalue::PValue;

fn db() -> std::collections::HashMap<String, String> {
    common::service("MYSQL")
}

fn seed(mp: &str, hash_sql: &str) {
    let svc = db();
    let seeder = Seeder::new();
    let cfg = common::pool_config(
        "seed_mysql",
        &svc,
        &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")],
    );
    seeder.call("mysql2", "ensure_pool", &[cfg]);
    seeder.run_sql_file("mysql2", "seed_mysql", "schema/mysql.sql");
    seeder.call("mysql2", "execute", &[s("seed_mysql"), s("DELETE FROM vmq_auth_acl WHERE mountpoint = ?"), s(mp)]);
    let insert = format!(
        "INSERT INTO vmq_auth_acl (mountpoint, client_id, username, password, publish_acl, subscribe_acl) \
         VALUES (?, ?, ?, {hash_sql}, ?, ?)"
    );
    for e in entries(mp) {
        let r = seeder.call(
            "mysql2",
            "execute",
            &[s("seed_mysql"), s(&insert), s(mp), s(&e.client_id), s(&e.username), s(e.password), s(e.publish_acl), s(e.subscribe_acl)],
        );
        assert_eq!(r, PValue::Bool(true), "insert {}", e.client_id);
    }
}

#[test]
fn mysql_password_function() {
    let mp = "tmysql";
    seed(mp, "PASSWORD(?)");
    let e = auth_engine("mysql", &provider_conf("mysql", &db(), None), |_| {});
    check_scenario(&e, mp);
}

#[test]
fn mysql2_sha256() {
    let mp = "tmysql2";
    seed(mp, "SHA2(?, 256)");
    let e = auth_engine("mysql2", &provider_conf("mysql2", &db(), None), |_| {});
    check_scenario(&e, mp);
}

#[test]
fn mysql_md5_from_the_configuration() {
    let mp = "tmysqlmd5";
    seed(mp, "MD5(?)");
    let conf = format!("{}\nvmq_diversity.mysql.password_hash_method = md5", provider_conf("mysql", &db(), None));
    let e = auth_engine("mysql", &conf, |_| {});
    check_scenario(&e, mp);
}

#[test]
fn mysql2_outage_in_a_stream_of_registers() {
    let mp = "omysql2";
    seed(mp, "SHA2(?, 256)");
    outage_test("mysql2", &db(), mp);
}
