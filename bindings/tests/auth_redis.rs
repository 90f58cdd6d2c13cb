//! `bindings/scripts/auth/redis.lua` against the Redis server of
//! `.ci/services.sh`, seeded as README.md shows: one `SET` per entry, key
//! `["<mountpoint>","<client_id>","<username>"]`, value
//! `{"passhash":"<bcrypt>","publish_acl":[...],"subscribe_acl":[...]}`.
mod auth_common;
mod common;

use auth_common::*;
use oxilua_vmq::pvalue::PValue;

fn db() -> std::collections::HashMap<String, String> {
    common::service("REDIS")
}

fn seed(mp: &str) {
    let svc = db();
    let seeder = Seeder::new();
    let cfg = common::pool_config("seed_redis", &svc, &[("host", "host"), ("port", "port"), ("user", "user"), ("password", "password")]);
    seeder.call("redis", "ensure_pool", &[cfg]);
    for e in entries(mp) {
        let key = serde_json::to_string(&[mp, e.client_id.as_str(), e.username.as_str()]).unwrap();
        let value =
            format!(r#"{{"passhash":"{}","publish_acl":{},"subscribe_acl":{}}}"#, bcrypt_2a(e.password), e.publish_acl, e.subscribe_acl);
        let r = seeder.call("redis", "cmd", &[s("seed_redis"), s("set"), s(&key), s(&value)]);
        assert_eq!(r, PValue::Bool(true), "set {key}");
    }
}

#[test]
fn redis_bcrypt() {
    let mp = "tredis";
    seed(mp);
    let e = auth_engine("redis", &provider_conf("redis", &db(), None), |_| {});
    check_scenario(&e, mp);
}

#[test]
fn redis_outage_in_a_stream_of_registers() {
    let mp = "oredis";
    seed(mp);
    outage_test("redis", &db(), mp);
}
