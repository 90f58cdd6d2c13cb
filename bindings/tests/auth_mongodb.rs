//! `bindings/scripts/auth/mongodb.lua` against the MongoDB-protocol server
//! of `.ci/services.sh` (SecantusDB), seeded as README.md shows: one
//! document per entry in collection `vmq_acl_auth`, `passhash` a bcrypt
//! hash, the ACLs as arrays of documents.
mod auth_common;
mod common;

use auth_common::*;
use oxilua_vmq::modules::json;
use oxilua_vmq::pvalue::PValue;

fn db() -> std::collections::HashMap<String, String> {
    common::service("MONGODB")
}

fn seed(mp: &str) {
    let svc = db();
    let seeder = Seeder::new();
    let cfg = common::pool_config(
        "seed_mongo",
        &svc,
        &[
            ("host", "host"),
            ("port", "port"),
            ("login", "user"),
            ("password", "password"),
            ("database", "dbname"),
            ("auth_source", "auth_source"),
        ],
    );
    seeder.call("mongodb", "ensure_pool", &[cfg]);
    seeder.call("mongodb", "delete", &[s("seed_mongo"), s("vmq_acl_auth"), PValue::map([("mountpoint", s(mp))])]);
    for e in entries(mp) {
        let acl = |text: &str| json::decode_bytes(text.as_bytes()).expect("ACL JSON");
        let doc = PValue::map([
            ("mountpoint", s(mp)),
            ("client_id", s(&e.client_id)),
            ("username", s(&e.username)),
            ("passhash", s(&bcrypt_2a(e.password))),
            ("publish_acl", acl(e.publish_acl)),
            ("subscribe_acl", acl(e.subscribe_acl)),
        ]);
        seeder.call("mongodb", "insert", &[s("seed_mongo"), s("vmq_acl_auth"), doc]);
    }
}

#[test]
fn mongodb_bcrypt() {
    let mp = "tmongo";
    seed(mp);
    let e = auth_engine("mongodb", &provider_conf("mongodb", &db(), None), |_| {});
    check_scenario(&e, mp);
}

#[test]
fn mongodb_outage_in_a_stream_of_registers() {
    let mp = "omongo";
    seed(mp);
    outage_test("mongodb", &db(), mp);
}
