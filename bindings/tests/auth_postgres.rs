//! `bindings/scripts/auth/postgres.lua` and `cockroachdb.lua` against the
//! PostgreSQL server of `.ci/services.sh`, seeded as README.md shows
//! (`schema/postgres.sql`, then one INSERT per entry).
//!
//! CockroachDB speaks the PostgreSQL protocol and its script differs from
//! postgres.lua only in the pool, the provider and the hash methods, so
//! `cockroachdb.lua` runs here against PostgreSQL with its default
//! `bcrypt` method (checked in the script). Its `sha256` method needs
//! CockroachDB's `sha256(text)` and `:::` syntax and is not tested.
mod auth_common;
mod common;

use auth_common::*;
use oxilua_vmq::pvalue::PValue;

fn pg() -> std::collections::HashMap<String, String> {
    common::service("PG")
}

/// Seed `mp`'s entries: schema file, delete the mountpoint's rows, insert
/// with `password` computed by `hash_sql` from `$4`, which is
/// `param(clear password)`.
fn seed(mp: &str, schema: &str, hash_sql: &str, param: fn(&str) -> String) {
    let svc = pg();
    let seeder = Seeder::new();
    let cfg = common::pool_config(
        "seed_pg",
        &svc,
        &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("database", "dbname")],
    );
    seeder.call("postgres", "ensure_pool", &[cfg]);
    seeder.run_sql_file("postgres", "seed_pg", schema);
    seeder.call("postgres", "execute", &[s("seed_pg"), s("DELETE FROM vmq_auth_acl WHERE mountpoint = $1"), s(mp)]);
    let insert = format!(
        "INSERT INTO vmq_auth_acl (mountpoint, client_id, username, password, publish_acl, subscribe_acl) \
         VALUES ($1, $2, $3, {hash_sql}, $5, $6)"
    );
    for e in entries(mp) {
        let r = seeder.call(
            "postgres",
            "execute",
            &[
                s("seed_pg"),
                s(&insert),
                s(mp),
                s(&e.client_id),
                s(&e.username),
                s(&param(e.password)),
                s(e.publish_acl),
                s(e.subscribe_acl),
            ],
        );
        assert_eq!(r, PValue::Bool(true), "insert {}", e.client_id);
    }
}

#[test]
fn postgres_crypt_in_the_server() {
    let mp = "tpgcrypt";
    seed(mp, "schema/postgres.sql", "crypt($4, gen_salt('bf'))", str::to_string);
    let e = auth_engine("postgres", &provider_conf("postgres", &pg(), None), |_| {});
    check_scenario(&e, mp);
}

#[test]
fn postgres_bcrypt_in_the_script() {
    let mp = "tpgbcrypt";
    // pgcrypto's bf hashes are $2a$ bcrypt hashes: the script checks them
    seed(mp, "schema/postgres.sql", "crypt($4, gen_salt('bf', 4))", str::to_string);
    let conf = format!("{}\nvmq_diversity.postgres.password_hash_method = bcrypt", provider_conf("postgres", &pg(), None));
    let e = auth_engine("postgres", &conf, |_| {});
    check_scenario(&e, mp);
}

#[test]
fn cockroachdb_script_bcrypt_on_postgres() {
    let mp = "tcockroach";
    // bcrypt hashes computed here, as an operator would with any bcrypt tool
    seed(mp, "schema/cockroachdb.sql", "$4", bcrypt_2a);
    let svc = pg();
    let conf = format!("{}\nvmq_diversity.cockroachdb.ssl = off", provider_conf("cockroachdb", &svc, None));
    let e = auth_engine("cockroachdb", &conf, |_| {});
    check_scenario(&e, mp);
}

#[test]
fn postgres_outage_in_a_stream_of_registers() {
    let mp = "opg";
    seed(mp, "schema/postgres.sql", "crypt($4, gen_salt('bf', 4))", str::to_string);
    outage_test("postgres", &pg(), mp);
}
