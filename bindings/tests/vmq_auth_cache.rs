//! Reference §8 `vmq_diversity_auth_cache_SUITE` + `cache_test.lua`, at the
//! engine-neutral level (a private `AuthCache` per test; the Lua-level
//! versions come with the engine binding).

use oxilua_vmq::hooks::*;
use oxilua_vmq::modules::auth_cache::AuthCache;
use oxilua_vmq::pvalue::PValue;
use serde_json::json;

fn s(v: &str) -> PValue {
    PValue::str(v)
}
fn n(v: f64) -> PValue {
    PValue::Num(v)
}
const B64: WebhookOptions = WebhookOptions { base64: true };

/// What cache_test.lua's auth_on_register inserts.
fn fill(cache: &AuthCache) {
    let pub_acls = PValue::array([
        PValue::map([("pattern", s("a/b/c"))]),
        PValue::map([("pattern", s("a/%m/%u/%c/hello/world"))]),
        PValue::map([
            ("pattern", s("modifiers")),
            (
                "modifiers",
                PValue::map([
                    ("topic", s("hello/world")),
                    ("payload", s("hello world")),
                    ("qos", n(1.0)),
                    ("retain", PValue::Bool(true)),
                    ("mountpoint", s("override-mountpoint2")),
                    (
                        "properties",
                        PValue::map([
                            ("p_content_type", s("cache-content-type")),
                            ("p_user_property", PValue::array([PValue::map([("k1", s("v3"))]), PValue::map([("k3", s("v3"))])])),
                        ]),
                    ),
                ]),
            ),
        ]),
    ]);
    let sub_acls = PValue::array([
        PValue::map([("pattern", s("a/b/c"))]),
        PValue::map([("pattern", s("a/%m/%u/%c/hello/world"))]),
        PValue::map([("pattern", s("modifiers")), ("modifiers", PValue::array([PValue::array([s("hello/world"), n(2.0)])]))]),
    ]);
    assert_eq!(cache.insert(&s(""), &s("allowed-subscriber-id"), &s("test-user"), &pub_acls, &sub_acls), Ok(PValue::Bool(true)));
}

fn publish(hook: Hook, cid: &str, topic: &str) -> HookArgs {
    let mut body = json!({"username": "test-user", "mountpoint": "", "client_id": cid, "qos": 0,
                          "topic": topic, "payload": "aGVsbG8gd29ybGQ=", "retain": false});
    if hook.is_m5() {
        body["properties"] = json!({
            "p_user_property": [{"key": "azE=", "val": "djE="}, {"key": "azE=", "val": "djI="},
                                {"key": "azI=", "val": "djI="}, {"key": "azQ=", "val": "djQ="}],
            "p_correlation_data": "correlation_data", "p_response_topic": "response/topic"});
    }
    HookArgs::from_webhook(hook, &body, B64).unwrap()
}

fn subscribe(hook: Hook, cid: &str, topics: &[&str]) -> HookArgs {
    let topics: Vec<_> = topics.iter().map(|t| json!({"topic": t, "qos": 1})).collect();
    let mut body = json!({"username": "test-user", "mountpoint": "", "client_id": cid, "topics": topics});
    if hook.is_m5() {
        body["properties"] = json!({});
    }
    HookArgs::from_webhook(hook, &body, B64).unwrap()
}

#[test]
fn auth_cache_test() {
    let c = AuthCache::new();
    fill(&c);
    let cid = "allowed-subscriber-id";
    for h in [Hook::AuthOnPublish, Hook::AuthOnPublishM5] {
        assert_eq!(c.before_hook(h, &publish(h, cid, "a/b/c")), Some(HookResult::Ok));
        // %m is substituted by the empty mountpoint word
        assert_eq!(c.before_hook(h, &publish(h, cid, "a//test-user/allowed-subscriber-id/hello/world")), Some(HookResult::Ok));
    }
    for h in [Hook::AuthOnSubscribe, Hook::AuthOnSubscribeM5] {
        let r = c.before_hook(h, &subscribe(h, cid, &["a/b/c", "a//test-user/allowed-subscriber-id/hello/world"]));
        assert_eq!(r, Some(HookResult::Ok));
    }
    // publish to "modifiers"
    let r = c.before_hook(Hook::AuthOnPublish, &publish(Hook::AuthOnPublish, cid, "modifiers")).unwrap();
    let HookResult::OkModifiers(m) = &r else { panic!("{r:?}") };
    assert_eq!(m.get("topic"), Some(&ModValue::Topic("hello/world".into())));
    assert_eq!(m.get("retain"), Some(&ModValue::Bool(true)));
    assert_eq!(m.get("qos"), Some(&ModValue::Int(1)));
    assert_eq!(m.get("payload"), Some(&ModValue::Str(b"hello world".to_vec())));
    assert_eq!(m.get("mountpoint"), Some(&ModValue::Str(b"override-mountpoint2".to_vec())));
    let Some(ModValue::Properties(p)) = m.get("properties") else { panic!() };
    assert_eq!(p.get("p_content_type"), Some(&PropValue::Str(b"cache-content-type".to_vec())));
    assert_eq!(
        p.get("p_user_property"),
        Some(&PropValue::UserProps(vec![(b"k1".to_vec(), b"v3".to_vec()), (b"k3".to_vec(), b"v3".to_vec())]))
    );
    // subscribe to "modifiers"
    let r = c.before_hook(Hook::AuthOnSubscribe, &subscribe(Hook::AuthOnSubscribe, cid, &["modifiers"]));
    let expected = vec![SubTopicMod { topic: "hello/world".into(), qos: SubQos::Qos(2), opts: None }];
    assert_eq!(r, Some(HookResult::OkModifiers(Modifiers::SubTopics(expected.clone()))));
    // m5 publish: merge with the incoming properties
    let r = c.before_hook(Hook::AuthOnPublishM5, &publish(Hook::AuthOnPublishM5, cid, "modifiers")).unwrap();
    let HookResult::OkModifiers(m) = &r else { panic!() };
    let Some(ModValue::Properties(p)) = m.get("properties") else { panic!() };
    assert_eq!(p.get("p_correlation_data"), Some(&PropValue::Str(b"correlation_data".to_vec())));
    assert_eq!(p.get("p_response_topic"), Some(&PropValue::Str(b"response/topic".to_vec())));
    assert_eq!(p.get("p_content_type"), Some(&PropValue::Str(b"cache-content-type".to_vec())));
    let up: Vec<(&[u8], &[u8])> = match p.get("p_user_property") {
        Some(PropValue::UserProps(v)) => v.iter().map(|(k, v)| (&k[..], &v[..])).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(up, vec![(&b"k2"[..], &b"v2"[..]), (b"k4", b"v4"), (b"k1", b"v3"), (b"k3", b"v3")]);
    // m5 subscribe
    let r = c.before_hook(Hook::AuthOnSubscribeM5, &subscribe(Hook::AuthOnSubscribeM5, cid, &["modifiers"]));
    let HookResult::OkModifiers(m) = r.unwrap() else { panic!() };
    assert_eq!(m.get("topics"), Some(&ModValue::SubTopics(expected)));
}

#[test]
fn auth_cache_reject_test() {
    let c = AuthCache::new();
    fill(&c);
    let cid = "allowed-subscriber-id";
    for h in [Hook::AuthOnPublish, Hook::AuthOnPublishM5] {
        assert_eq!(c.before_hook(h, &publish(h, cid, "c/b/a")), Some(HookResult::Error(HookError::NotAuthorized)));
        assert_eq!(
            c.before_hook(h, &publish(h, cid, "a//other-user/allowed-subscriber-id/hello/world")),
            Some(HookResult::Error(HookError::NotAuthorized))
        );
    }
    let r = c.before_hook(Hook::AuthOnSubscribe, &subscribe(Hook::AuthOnSubscribe, cid, &["a/b/c", "c/b/a"]));
    assert_eq!(r, Some(HookResult::Error(HookError::NotAuthorized)));
    assert_eq!(r.unwrap().to_webhook_json(Hook::AuthOnSubscribe, B64), json!({"result": {"error": "not_authorized"}}));
}

#[test]
fn auth_cache_pass_through_test() {
    let c = AuthCache::new();
    fill(&c);
    // a client without an entry goes to the scripts
    assert_eq!(c.before_hook(Hook::AuthOnPublish, &publish(Hook::AuthOnPublish, "ignored", "c/b/a")), None);
    assert_eq!(c.before_hook(Hook::AuthOnSubscribe, &subscribe(Hook::AuthOnSubscribe, "ignored", &["x"])), None);
    let unsub =
        HookArgs::from_webhook(Hook::OnUnsubscribe, &json!({"mountpoint": "", "client_id": "ignored", "topics": ["x"]}), B64).unwrap();
    assert_eq!(c.before_hook(Hook::OnUnsubscribe, &unsub), None);
}

#[test]
fn auth_cache_cleanup_test() {
    let c = AuthCache::new();
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (0, 0));
    fill(&c);
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (3, 3));
    let off = HookArgs::from_webhook(Hook::OnClientOffline, &json!({"mountpoint": "", "client_id": "allowed-subscriber-id"}), B64).unwrap();
    assert_eq!(c.before_hook(Hook::OnClientOffline, &off), None);
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (0, 0));
    // one row per call; the most recent row is the one matched
    fill(&c);
    c.insert(&s(""), &s("allowed-subscriber-id"), &s("test-user"), &PValue::Nil, &PValue::Nil).unwrap();
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (0, 0));
    assert_eq!(
        c.before_hook(Hook::AuthOnPublish, &publish(Hook::AuthOnPublish, "allowed-subscriber-id", "a/b/c")),
        Some(HookResult::Error(HookError::NotAuthorized))
    );
    c.before_hook(Hook::OnClientGone, &off);
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (0, 0));
    c.before_hook(Hook::OnSessionExpired, &off);
    assert_eq!(c.entries(b"", b"allowed-subscriber-id"), (0, 0));
    assert!(!c.has_entry(b"", b"allowed-subscriber-id"));
}

#[test]
fn unsubscribe_through_cache() {
    let c = AuthCache::new();
    fill(&c);
    let unsub = |topics: serde_json::Value| {
        HookArgs::from_webhook(Hook::OnUnsubscribe, &json!({"mountpoint": "", "client_id": "allowed-subscriber-id", "topics": topics}), B64)
            .unwrap()
    };
    assert_eq!(c.before_hook(Hook::OnUnsubscribe, &unsub(json!(["a/b/c"]))), Some(HookResult::Ok));
    assert_eq!(
        c.before_hook(Hook::OnUnsubscribe, &unsub(json!(["modifiers"]))),
        Some(HookResult::OkModifiers(Modifiers::UnsubTopics(vec!["hello/world".into()])))
    );
    assert_eq!(c.before_hook(Hook::OnUnsubscribe, &unsub(json!(["x/y"]))), Some(HookResult::Error(HookError::Other("error".into()))));
}

/// cache_test.lua's direct `auth_cache.match_*` checks.
#[test]
fn cache_test_lua_level() {
    let c = AuthCache::new();
    let (mp, cid, user) = (s(""), s("c"), s("u"));
    let pub_acls = PValue::array([
        PValue::map([("pattern", s("a/+/c")), ("max_qos", n(1.0))]),
        PValue::map([("pattern", s("size")), ("max_payload_size", n(5.0))]),
        PValue::map([("pattern", s("retain")), ("allowed_retain", PValue::Bool(false))]),
        PValue::map([
            ("pattern", s("modifiers")),
            (
                "modifiers",
                PValue::map([
                    ("topic", s("hello/world")),
                    ("payload", s("hello world")),
                    ("qos", n(1.0)),
                    ("retain", PValue::Bool(true)),
                    ("mountpoint", s("override-mountpoint2")),
                    (
                        "properties",
                        PValue::map([
                            ("p_content_type", s("cache-content-type")),
                            ("p_user_property", PValue::array([PValue::map([("k1", s("v1"))]), PValue::map([("k1", s("v3"))])])),
                        ]),
                    ),
                ]),
            ),
        ]),
        PValue::map([("pattern", s("bad")), ("modifiers", PValue::map([("topic", n(5.0))]))]),
    ]);
    let sub_acls = PValue::array([
        PValue::map([("pattern", s("a/+/c")), ("max_qos", n(1.0))]),
        PValue::map([("pattern", s("modifiers")), ("modifiers", PValue::array([PValue::array([s("hello/world"), n(2.0)])]))]),
    ]);
    c.insert(&mp, &cid, &user, &pub_acls, &sub_acls).unwrap();
    let ms = |t: &str, q: f64| c.call("match_subscribe", &[mp.clone(), cid.clone(), s(t), n(q)]).unwrap();
    let mp_ =
        |t: &str, q: f64, p: &str, r: bool| c.call("match_publish", &[mp.clone(), cid.clone(), s(t), n(q), s(p), PValue::Bool(r)]).unwrap();
    assert_eq!(ms("a/+/c", 1.0), PValue::Bool(true));
    assert_eq!(ms("a/b/c", 1.0), PValue::Bool(true));
    assert_eq!(ms("a/b/d", 1.0), PValue::Bool(false));
    assert_eq!(ms("a/b/c", 2.0), PValue::Bool(false)); // max_qos = 1
    assert_eq!(ms("a/b/c", 1.9), PValue::Bool(true)); // qos truncated
    assert_eq!(mp_("a/b/c", 1.0, "x", false), PValue::Bool(true));
    assert_eq!(mp_("a/b/c", 2.0, "x", false), PValue::Bool(false));
    assert_eq!(mp_("size", 0.0, "hello world", false), PValue::Bool(false));
    assert_eq!(mp_("size", 0.0, "hello", false), PValue::Bool(true));
    assert_eq!(mp_("retain", 0.0, "x", true), PValue::Bool(false));
    assert_eq!(mp_("retain", 0.0, "x", false), PValue::Bool(true));
    // invalid modifiers: the ACL grants without modifiers
    assert_eq!(mp_("bad", 0.0, "x", false), PValue::Bool(true));
    let ret = ms("modifiers", 1.0);
    assert_eq!(ret.index(1).unwrap().index(1), Some(&s("hello/world")));
    assert_eq!(ret.index(1).unwrap().index(2), Some(&n(2.0)));
    let ret = mp_("modifiers", 1.0, "x", false);
    assert_eq!(ret.get("topic"), Some(&s("hello/world")));
    assert_eq!(ret.get("payload"), Some(&s("hello world")));
    assert_eq!(ret.get("qos"), Some(&n(1.0)));
    assert_eq!(ret.get("retain"), Some(&PValue::Bool(true)));
    assert_eq!(ret.get("mountpoint"), Some(&s("override-mountpoint2")));
    let props = ret.get("properties").unwrap();
    assert_eq!(props.get("p_content_type"), Some(&s("cache-content-type")));
    // p_user_property comes back as a key->value table (duplicates collapse)
    assert_eq!(props.get("p_user_property").unwrap().get("k1"), Some(&s("v3")));
    // no entry → false; wrong arguments → execute_parse
    assert_eq!(c.call("match_subscribe", &[mp.clone(), s("other"), s("a/b/c"), n(0.0)]).unwrap(), PValue::Bool(false));
    let e = c.call("match_subscribe", &[mp.clone(), cid.clone(), n(1.0), n(0.0)]).unwrap_err();
    assert!(e.to_string().contains("execute_parse"), "{e}");
    let e = c.call("match_publish", &[mp.clone(), cid.clone(), s("a/+"), n(0.0), s(""), PValue::Bool(false)]);
    assert!(e.is_err());
    let e = c.call("insert", &[n(1.0), cid.clone(), user.clone(), PValue::Nil, PValue::Nil]).unwrap_err();
    assert_eq!(e.to_string(), "auth_cache.insert: execute_parse");
    // a non-table ACL element is an error
    assert!(c.call("insert", &[mp.clone(), cid.clone(), user.clone(), PValue::array([s("x")]), PValue::Nil]).is_err());
}

#[test]
fn global_cache_is_shared_and_send_sync() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    assert_send_sync(AuthCache::global());
    let h = std::thread::spawn(|| {
        AuthCache::global()
            .insert(&s("mp-global"), &s("cid"), &s("u"), &PValue::array([PValue::map([("pattern", s("#"))])]), &PValue::Nil)
            .unwrap();
    });
    h.join().unwrap();
    assert_eq!(AuthCache::global().entries(b"mp-global", b"cid"), (1, 0));
}
