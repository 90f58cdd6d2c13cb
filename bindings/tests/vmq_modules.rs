//! Reference §8 provider-suite cases for the provider-free modules (json,
//! kv, bcrypt, log, crypto, obf, vmq_api) at the engine-neutral level.

use oxilua_vmq::modules::bcrypt::Bcrypt;
use oxilua_vmq::modules::kv::KvStore;
use oxilua_vmq::modules::obf::Obfuscator;
use oxilua_vmq::modules::{crypto, json, log, vmq_api};
use oxilua_vmq::pvalue::PValue;

fn s(v: &str) -> PValue {
    PValue::str(v)
}
fn n(v: f64) -> PValue {
    PValue::Num(v)
}
fn enc(v: &PValue) -> String {
    json::encode(v).unwrap().expect("encodable")
}
fn dec(v: &str) -> PValue {
    json::decode(&s(v)).unwrap()
}

/// Lua-level table equality (Array/Map, key order irrelevant).
fn same(a: &PValue, b: &PValue) -> bool {
    match (a.is_table(), b.is_table()) {
        (true, true) => {
            let ea = a.entries();
            let eb = b.entries();
            ea.len() == eb.len()
                && ea.iter().all(|(k, v)| {
                    eb.iter().any(|(k2, v2)| {
                        let kn = |k: &PValue| k.as_num().map(|n| PValue::Num(n)).unwrap_or(k.clone());
                        kn(k) == kn(k2) && same(v, v2)
                    })
                })
        }
        _ => a == b,
    }
}

#[test]
fn json_test_vectors() {
    // a1..f3 of json_test.lua
    let a = PValue::map([("awesome", PValue::Bool(true)), ("format", s("json"))]);
    assert_eq!(enc(&a), r#"{"awesome":true,"format":"json"}"#);
    assert!(same(&dec(r#"{"awesome":true,"format":"json"}"#), &a));

    let b = PValue::array([s("a"), s("list"), s("of"), s("words")]);
    assert_eq!(enc(&b), r#"["a","list","of","words"]"#);
    assert!(same(&dec(r#"["a","list","of","words"]"#), &b));

    let c = PValue::map([(
        "a",
        PValue::map([("b", PValue::map([("c", s("hello")), ("d", PValue::array([n(1.0), n(2.0), n(3.0), n(4.0), n(5.0)]))]))]),
    )]);
    assert_eq!(enc(&c), r#"{"a":{"b":{"c":"hello","d":[1,2,3,4,5]}}}"#);
    assert!(same(&dec(r#"{"a":{"b":{"c":"hello","d":[1,2,3,4,5]}}}"#), &c));

    assert_eq!(enc(&PValue::empty_table()), "{}");
    assert!(same(&dec("{}"), &PValue::empty_table()));

    let e = PValue::map([("a", PValue::array([PValue::map([("b", PValue::empty_table())])]))]);
    assert_eq!(enc(&e), r#"{"a":[{"b":{}}]}"#);
    assert!(same(&dec(r#"{"a":[{"b":{}}]}"#), &e));

    let f = PValue::map([("a", PValue::empty_table())]);
    assert!(same(&dec(r#"{"a":[]}"#), &f));
    assert!(same(&dec(r#"{"a":{}}"#), &f));
    assert_eq!(enc(&f), r#"{"a":{}}"#);
}

#[test]
fn json_details() {
    // null ↔ "null" (one way: the string encodes as a string)
    assert_eq!(dec("null"), s("null"));
    assert!(same(&dec(r#"[1,null]"#), &PValue::array([n(1.0), s("null")])));
    assert_eq!(enc(&PValue::array([s("null")])), r#"["null"]"#);
    // invalid input → nil
    for bad in ["", "{", "[1,]", "{'a':1}", "tru", "01", "1.", "[1] x", "/*c*/1"] {
        assert_eq!(dec(bad), PValue::Nil, "{bad:?}");
    }
    // scalars decode
    assert_eq!(dec(" 1.5 "), n(1.5));
    assert_eq!(dec("-2e3"), n(-2000.0));
    assert_eq!(dec(r#""a\u00e9\ud83d\ude00\n""#), s("aé😀\n"));
    // sorted keys, numbers, escaping
    let t = PValue::map([("b", n(0.5)), ("a", n(-3.0)), ("c", s("q\"\\\u{1}"))]);
    assert_eq!(enc(&t), r#"{"a":-3,"b":0.5,"c":"q\"\\\u0001"}"#);
    assert_eq!(enc(&PValue::array([n(1.0e-5), n(123.456)])), "[1.0e-5,123.456]");
    // integer keys (also non-contiguous) → array in key order
    let sparse = PValue::Map(vec![(n(3.0), s("c")), (n(1.0), s("a"))]);
    assert_eq!(enc(&sparse), r#"["a","c"]"#);
    // mixed keys / float keys / inf → nil
    let mixed = PValue::Map(vec![(n(1.0), s("a")), (s("k"), s("b"))]);
    assert_eq!(json::encode(&mixed).unwrap(), None);
    let float_key = PValue::Map(vec![(n(1.5), s("a"))]);
    assert_eq!(json::encode(&float_key).unwrap(), None);
    assert_eq!(json::encode(&PValue::array([n(f64::INFINITY)])).unwrap(), None);
    // non-table / non-string arguments are Lua errors
    assert!(json::encode(&s("x")).is_err());
    assert!(json::decode(&n(1.0)).is_err());
    // the redis auth key shape
    assert_eq!(enc(&PValue::array([s(""), s("test-client"), s("test-user")])), r#"["","test-client","test-user"]"#);
}

#[test]
fn kv_ets_test() {
    let kv = KvStore::new();
    let tbl = s("mytable");
    assert_eq!(kv.call("ensure_table", &[PValue::map([("name", tbl.clone())])]), Ok(PValue::Bool(true)));
    assert_eq!(kv.insert(&tbl, &PValue::map([("hello", s("world"))])), Ok(PValue::Bool(true)));
    assert_eq!(kv.insert_new(&tbl, &PValue::map([("hello", s("world2"))])), Ok(PValue::Bool(false)));
    assert_eq!(kv.lookup(&tbl, &s("hello")).unwrap().index(1), Some(&s("world")));
    assert_eq!(kv.insert(&tbl, &PValue::map([("hello", s("earth"))])), Ok(PValue::Bool(true)));
    assert_eq!(kv.lookup(&tbl, &s("hello")).unwrap().index(1), Some(&s("earth")));
    let nested = PValue::map([("b", PValue::map([("c", PValue::map([("d", s("deep"))]))]))]);
    kv.insert(&tbl, &PValue::map([("a", nested)])).unwrap();
    let got = kv.lookup(&tbl, &s("a")).unwrap();
    let d = got.index(1).unwrap().get("b").unwrap().get("c").unwrap().get("d");
    assert_eq!(d, Some(&s("deep")));
    assert_eq!(kv.delete(&tbl, &s("hello")), Ok(PValue::Bool(true)));
    assert_eq!(kv.lookup(&tbl, &s("hello")), Ok(PValue::empty_table()));
    assert_eq!(kv.delete_all(&tbl), Ok(PValue::Bool(true)));
    assert_eq!(kv.lookup(&tbl, &s("a")), Ok(PValue::empty_table()));
    // default table
    kv.ensure_table(&PValue::empty_table()).unwrap();
    assert!(kv.get(b"simple_kv").is_some());
    // errors
    assert_eq!(kv.insert(&s("nope"), &PValue::empty_table()).unwrap_err().cause, "unknown_pool");
    assert!(kv.ensure_table(&s("x")).unwrap_err().cause.starts_with("execute_parse"));
    assert!(kv.insert(&tbl, &PValue::array([s("x")])).is_err());
}

#[test]
fn kv_bag_types() {
    let kv = KvStore::new();
    for (name, ty) in [("b", "bag"), ("d", "duplicate_bag"), ("o", "ordered_set")] {
        kv.ensure_table(&PValue::map([("name", s(name)), ("type", s(ty))])).unwrap();
        for v in ["x", "x", "y"] {
            kv.insert(&s(name), &PValue::map([("k", s(v))])).unwrap();
        }
    }
    assert_eq!(kv.lookup(&s("b"), &s("k")).unwrap(), PValue::array([s("x"), s("y")]));
    assert_eq!(kv.lookup(&s("d"), &s("k")).unwrap(), PValue::array([s("x"), s("x"), s("y")]));
    assert_eq!(kv.lookup(&s("o"), &s("k")).unwrap(), PValue::array([s("y")]));
    assert!(kv.ensure_table(&PValue::map([("name", s("z")), ("type", s("heap"))])).is_err());
    // insert_new on a bag: refused when the key exists
    assert_eq!(kv.insert_new(&s("b"), &PValue::map([("k", s("z"))])), Ok(PValue::Bool(false)));
}

#[test]
fn kv_global_is_shared_across_threads() {
    let store = KvStore::global();
    store.ensure_table(&PValue::map([("name", s("threads"))])).unwrap();
    let hs: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                KvStore::global().insert(&s("threads"), &PValue::map([(format!("k{i}"), n(i as f64))])).unwrap();
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    for i in 0..8 {
        assert_eq!(store.lookup(&s("threads"), &s(&format!("k{i}"))).unwrap(), PValue::array([n(i as f64)]));
    }
}

#[test]
fn bcrypt_test() {
    let b = Bcrypt::new(4).unwrap();
    let salt = b.gen_salt();
    assert!(salt.starts_with("$2a$04$") && salt.len() == 29, "{salt}");
    let hash = b.hashpw(b"my-password", salt.as_bytes()).unwrap();
    assert_eq!(hash.len(), 60);
    assert!(hash.starts_with(&salt));
    // verification idiom: stored == hashpw(pwd, stored)
    assert_eq!(b.hashpw(b"my-password", hash.as_bytes()).unwrap(), hash);
    assert_ne!(b.hashpw(b"other", hash.as_bytes()).unwrap(), hash);
    assert!(b.verify(b"my-password", hash.as_bytes()));
    // default cost 12
    assert!(Bcrypt::default().gen_salt().starts_with("$2a$12$"));
    // $2b$ hashes (e.g. from Python/OpenBSD) verify too; known vector
    let known = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
    assert_eq!(b.hashpw(b"Kk4DQuMMfZL9o", known.as_bytes()).unwrap(), known);
    let known_a = "$2a$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
    assert_eq!(b.hashpw(b"Kk4DQuMMfZL9o", known_a.as_bytes()).unwrap(), known_a);
    // invalid salt → error
    assert!(b.call("hashpw", &[s("x"), s("nonsense")]).is_err());
    assert!(b.call("hashpw", &[PValue::Nil, s(&salt)]).is_err());
    assert_eq!(b.call("hashpw", &[s("my-password"), s(&hash)]).unwrap(), s(&hash));
    assert!(Bcrypt::new(50).is_none());
}

#[test]
fn crypto_test() {
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    let h = |a: &str| hex(&crypto::hash(a, b"hello").unwrap());
    assert_eq!(h("md5"), "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(h("sha"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    assert_eq!(h("sha256"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_eq!(
        h("sha512"),
        "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
    );
    assert_eq!(h("sha3_256"), "3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392");
    assert_eq!(
        h("sha3_512"),
        "75d527c368f2efe848ecf6b073a36767800805e9eef2b1857d5f984f036eb6df891d75f72d9b154518c1cd58835286d1da9a38deba3de98b5a53e5ed78a84976"
    );
    for a in crypto::ALGORITHMS {
        assert!(crypto::hash(a, b"x").is_some(), "{a}");
    }
    assert_eq!(crypto::lua_hash(&s("nope"), &s("x")).unwrap_err().to_string(), "crypto.hash: hash");
    assert!(crypto::lua_hash(&n(1.0), &s("x")).is_err());
    assert_eq!(crypto::lua_hash(&s("md5"), &s("hello")).unwrap().as_bytes().unwrap().len(), 16);
}

#[test]
fn obf_test() {
    let o = Obfuscator::new(b"Testing");
    let blob = o.encrypt(b"test-password");
    assert_ne!(blob, b"test-password");
    assert_ne!(o.encrypt(b"test-password"), blob); // fresh nonce each time
    assert_eq!(o.decrypt(&blob), b"test-password");
    // plain passwords pass through
    assert_eq!(o.decrypt(b"test-password"), b"test-password");
    assert_eq!(o.decrypt(b"obf1:garbage"), b"obf1:garbage");
    // another secret cannot read it; a fallback secret can
    let other = Obfuscator::new(b"other");
    assert_eq!(other.decrypt(&blob), blob);
    let rotated = Obfuscator::new(b"new").with_fallback(b"Testing");
    assert_eq!(rotated.decrypt(&blob), b"test-password");
    // Lua-level
    let enc = o.call("encrypt", &[s("test-password")]).unwrap();
    assert_ne!(enc, s("test-password"));
    assert_eq!(o.call("decrypt", &[enc]).unwrap(), s("test-password"));
    assert!(o.call("decrypt", &[n(1.0)]).is_err());
}

#[test]
fn log_test() {
    // log_test.lua: 4 levels with `~` characters
    for f in log::FUNCTIONS {
        log::call(f, "log_test.lua", &[s("a ~ message ~p ~s")]).unwrap();
    }
    assert!(log::call("warn", "x", &[s("m")]).is_err());
    assert!(log::call("info", "x", &[PValue::empty_table()]).is_err());
    assert!(log::call("info", "x", &[]).is_err());
}

#[test]
fn vmq_api_test() {
    let api = vmq_api::NoBroker;
    let sid = PValue::map([("mountpoint", s("")), ("client_id", s("unknown"))]);
    let opts = PValue::map([("do_cleanup", PValue::Bool(true))]);
    assert_eq!(vmq_api::call(&api, "disconnect_by_subscriber_id", &[sid.clone(), opts.clone()]).unwrap(), s("not_found"));
    assert_eq!(vmq_api::call(&api, "reauthorize_subscriptions", &[s("user"), sid, opts.clone()]).unwrap(), s("ok"));
    assert!(vmq_api::call(&api, "disconnect_by_subscriber_id", &[PValue::map([("client_id", s("x"))]), opts]).is_err());
}
