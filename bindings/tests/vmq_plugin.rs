//! Reference §8 `vmq_diversity_plugin_SUITE` (plugin_test.lua) at the
//! engine-neutral level: webhook bodies → the Lua argument tables, the
//! script return values plugin_test.lua gives → the hook results, and the
//! webhook responses. (The Lua-level versions come with the engine binding.)

use oxilua_vmq::hooks::*;
use oxilua_vmq::pvalue::PValue;
use serde_json::{json, Value};

fn s(v: &str) -> PValue {
    PValue::str(v)
}
fn n(v: f64) -> PValue {
    PValue::Num(v)
}
fn t<const N: usize>(pairs: [(&str, PValue); N]) -> PValue {
    PValue::map(pairs)
}
fn a<const N: usize>(items: [PValue; N]) -> PValue {
    PValue::array(items)
}

const B64: WebhookOptions = WebhookOptions { base64: true };

fn args(hook: Hook, body: Value) -> HookArgs {
    HookArgs::from_webhook(hook, &body, B64).expect("valid body")
}

/// One script returning `ret`, then the plugin chain's end.
fn run(hook: Hook, args: &HookArgs, ret: Vec<PValue>) -> HookResult {
    decide(hook, [script_result(hook, Ok(ret), args)]).end_of_plugin_chain()
}

fn register_body(client_id: &str) -> Value {
    json!({"peer_addr": "192.168.123.123", "peer_port": 12345, "mountpoint": "",
           "client_id": client_id, "username": "test-user", "password": "test-password",
           "clean_session": true})
}

fn publish_body(client_id: &str) -> Value {
    json!({"username": "test-user", "mountpoint": "", "client_id": client_id, "qos": 1,
           "topic": "test/topic", "payload": "aGVsbG8gd29ybGQ=", "retain": false})
}

#[test]
fn hook_table() {
    assert_eq!(Hook::ALL.len(), 22);
    let till_ok: Vec<_> = Hook::ALL.iter().filter(|h| h.dispatch() == Dispatch::AllTillOk).map(|h| h.name()).collect();
    assert_eq!(till_ok.len(), 11);
    for h in Hook::ALL {
        assert_eq!(Hook::from_name(h.name()), Some(h));
        assert_eq!(h.webhook_name(), h.name());
    }
    assert_eq!(Hook::from_name("on_message_drop"), None);
    assert_eq!(Hook::from_name("on_topic_unsubscribed"), None);
}

#[test]
fn auth_on_register_args_table() {
    let args = args(Hook::AuthOnRegister, register_body("allowed-subscriber-id"));
    let lua = args.to_lua(Hook::AuthOnRegister);
    assert_eq!(lua.get("addr"), Some(&s("192.168.123.123")));
    assert_eq!(lua.get("port"), Some(&n(12345.0)));
    assert_eq!(lua.get("mountpoint"), Some(&s("")));
    assert_eq!(lua.get("client_id"), Some(&s("allowed-subscriber-id")));
    assert_eq!(lua.get("username"), Some(&s("test-user")));
    assert_eq!(lua.get("password"), Some(&s("test-password")));
    assert_eq!(lua.get("clean_session"), Some(&PValue::Bool(true)));
    assert_eq!(lua.get("listener_addr"), None);
    assert_eq!(lua.get("properties"), None);
}

#[test]
fn auth_on_register_test() {
    let h = Hook::AuthOnRegister;
    let ar = args(h, register_body("allowed-subscriber-id"));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::InvalidCredentials));
    // "ignored": the script returns nothing
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    // changed-subscriber-id
    let r =
        run(h, &ar, vec![t([("subscriber_id", t([("mountpoint", s("override-mountpoint")), ("client_id", s("override-client-id"))]))])]);
    let HookResult::OkModifiers(m) = &r else { panic!("{r:?}") };
    assert_eq!(
        m.get("subscriber_id"),
        Some(&ModValue::SubscriberId { mountpoint: "override-mountpoint".into(), client_id: b"override-client-id".to_vec() })
    );
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "modifiers": {"mountpoint": "override-mountpoint", "client_id": "override-client-id"}})
    );
    // change-modifiers-id
    let r = run(h, &ar, vec![t([("max_connection_lifetime", n(4711.0)), ("max_message_size", n(1001.0))])]);
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "modifiers": {"max_message_size": 1001, "max_connection_lifetime": 4711}})
    );
    // changed-username
    let r = run(h, &ar, vec![t([("username", s("override-username"))])]);
    let HookResult::OkModifiers(m) = &r else { panic!() };
    assert_eq!(m.get("username"), Some(&ModValue::Str(b"override-username".to_vec())));
    // mountpoint alone is not a valid auth_on_register modifier
    assert_eq!(run(h, &ar, vec![t([("mountpoint", s("x"))])]), HookResult::Error(HookError::InvalidModifiers));
}

#[test]
fn auth_on_register_opts_test() {
    let mut body = register_body("listener-info");
    body["listener_addr"] = json!("127.0.0.1");
    body["listener_port"] = json!(1883);
    body["listener_type"] = json!("mqtt");
    let lua = args(Hook::AuthOnRegister, body.clone()).to_lua(Hook::AuthOnRegister);
    assert_eq!(lua.get("listener_addr"), Some(&s("127.0.0.1")));
    assert_eq!(lua.get("listener_port"), Some(&n(1883.0)));
    assert_eq!(lua.get("listener_type"), Some(&s("mqtt")));
    assert_eq!(lua.get("client_cert"), None);
    // a TLS listener without a client certificate leaks the atom
    body["client_cert"] = Value::Null;
    let lua = args(Hook::AuthOnRegister, body.clone()).to_lua(Hook::AuthOnRegister);
    assert_eq!(lua.get("client_cert"), Some(&s("undefined")));
    body["client_cert"] = json!("Y2xpZW50IGNlcnQ=");
    let lua = args(Hook::AuthOnRegister, body.clone()).to_lua(Hook::AuthOnRegister);
    assert_eq!(lua.get("client_cert"), Some(&s("client cert")));
    let no_b64 = HookArgs::from_webhook(
        Hook::AuthOnRegister,
        &json!({"client_id": "c", "client_cert": "client cert", "listener_addr": "local", "listener_port": 0}),
        WebhookOptions { base64: false },
    )
    .unwrap()
    .to_lua(Hook::AuthOnRegister);
    assert_eq!(no_b64.get("client_cert"), Some(&s("client cert")));
    assert_eq!(no_b64.get("listener_addr"), Some(&s("local")));
    assert_eq!(no_b64.get("listener_port"), Some(&n(0.0)));
}

#[test]
fn auth_on_register_undefined_creds_and_peer() {
    let body = json!({"peer_addr": null, "peer_port": null, "mountpoint": "", "client_id": "undefined-creds",
                      "username": null, "password": null, "clean_session": true});
    let lua = args(Hook::AuthOnRegister, body).to_lua(Hook::AuthOnRegister);
    assert_eq!(lua.get("username"), None);
    assert_eq!(lua.get("password"), None);
    // unformattable peer: both become the string "undefined"
    assert_eq!(lua.get("addr"), Some(&s("undefined")));
    assert_eq!(lua.get("port"), Some(&s("undefined")));
}

#[test]
fn auth_on_publish_test() {
    let h = Hook::AuthOnPublish;
    let ar = args(h, publish_body("allowed-subscriber-id"));
    let lua = ar.to_lua(h);
    assert_eq!(lua.get("payload"), Some(&s("hello world")));
    assert_eq!(lua.get("topic"), Some(&s("test/topic")));
    assert_eq!(lua.get("qos"), Some(&n(1.0)));
    assert_eq!(lua.get("retain"), Some(&PValue::Bool(false)));
    assert_eq!(lua.get("properties"), None);
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::NotAuthorized));
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    let r = run(h, &ar, vec![t([("topic", s("hello/world"))])]);
    let HookResult::OkModifiers(m) = &r else { panic!() };
    assert_eq!(m.get("topic"), Some(&ModValue::Topic("hello/world".into())));
    // payload modifiers go back base64-encoded
    let r = run(h, &ar, vec![t([("payload", s("hello world"))])]);
    assert_eq!(r.to_webhook_json(h, B64), json!({"result": "ok", "modifiers": {"payload": "aGVsbG8gd29ybGQ="}}));
    assert_eq!(r.to_webhook_json(h, WebhookOptions { base64: false }), json!({"result": "ok", "modifiers": {"payload": "hello world"}}));
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]).to_webhook_json(h, B64), json!({"result": {"error": "not_authorized"}}));
    // a publish topic with wildcards is not a valid modifier
    assert_eq!(run(h, &ar, vec![t([("topic", s("a/+"))])]), HookResult::Error(HookError::InvalidModifiers));
}

#[test]
fn auth_on_subscribe_test() {
    let h = Hook::AuthOnSubscribe;
    let ar = args(
        h,
        json!({"username": "test-user", "mountpoint": "", "client_id": "allowed-subscriber-id",
               "topics": [{"topic": "test/topic", "qos": 1}]}),
    );
    let lua = ar.to_lua(h);
    let topics = lua.get("topics").unwrap();
    assert_eq!(topics.index(1).unwrap().index(1), Some(&s("test/topic")));
    assert_eq!(topics.index(1).unwrap().index(2), Some(&n(1.0)));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::NotAuthorized));
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    let r = run(h, &ar, vec![a([a([s("hello/world"), n(2.0)])])]);
    assert_eq!(
        r,
        HookResult::OkModifiers(Modifiers::SubTopics(vec![SubTopicMod { topic: "hello/world".into(), qos: SubQos::Qos(2), opts: None }]))
    );
    assert_eq!(r.to_webhook_json(h, B64), json!({"result": "ok", "topics": [{"topic": "hello/world", "qos": 2}]}));
    // qos 128 = not allowed
    let r = run(h, &ar, vec![a([a([s("rewritten/topic"), n(2.0)]), a([s("forbidden/topic"), n(128.0)])])]);
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "topics": [{"topic": "rewritten/topic", "qos": 2}, {"topic": "forbidden/topic", "qos": 128}]})
    );
    // a table that is not a list of pairs
    assert_eq!(run(h, &ar, vec![t([("topics", a([s("x")]))])]), HookResult::Error(HookError::InvalidModifiers));
}

#[test]
fn notification_hooks_answer_next_and_empty_json() {
    for (h, body) in [
        (Hook::OnRegister, json!({"peer_addr": "1.2.3.4", "peer_port": 1, "mountpoint": "", "client_id": "c", "username": "u"})),
        (Hook::OnPublish, publish_body("c")),
        (
            Hook::OnSubscribe,
            json!({"mountpoint": "", "client_id": "c", "topics": [{"topic": "a/b", "qos": 1}, {"topic": "x", "qos": 128}]}),
        ),
        (Hook::OnOfflineMessage, json!({"mountpoint": "", "client_id": "c", "qos": 2, "topic": "a", "payload": "", "retain": false})),
        (Hook::OnClientWakeup, json!({"mountpoint": "", "client_id": "c"})),
        (Hook::OnClientOffline, json!({"mountpoint": "", "client_id": "c"})),
        (Hook::OnClientGone, json!({"mountpoint": "", "client_id": "c"})),
        (Hook::OnSessionExpired, json!({"mountpoint": "", "client_id": "c"})),
    ] {
        let ar = args(h, body);
        let r = decide(h, [script_result(h, Ok(vec![PValue::Bool(false)]), &ar), script_result(h, Err("boom".into()), &ar)]);
        assert_eq!(r, HookResult::Next, "{h}");
        assert_eq!(r.to_webhook_json(h, B64), json!({}));
    }
    // on_subscribe: a rejected subscription's qos is the string "not_allowed"
    let ar = args(Hook::OnSubscribe, json!({"mountpoint": "", "client_id": "c", "topics": [{"topic": "x", "qos": 128}]}));
    let lua = ar.to_lua(Hook::OnSubscribe);
    assert_eq!(lua.get("topics").unwrap().index(1).unwrap().index(2), Some(&s("not_allowed")));
    // on_offline_message has no username
    let ar = args(Hook::OnOfflineMessage, publish_body("c"));
    assert_eq!(ar.to_lua(Hook::OnOfflineMessage).get("username"), None);
    // client hooks: mountpoint and client_id only
    let lua = args(Hook::OnClientGone, json!({"mountpoint": "m", "client_id": "c"})).to_lua(Hook::OnClientGone);
    assert_eq!(lua, t([("mountpoint", s("m")), ("client_id", s("c"))]));
}

#[test]
fn on_unsubscribe_test() {
    let h = Hook::OnUnsubscribe;
    let ar = args(h, json!({"username": "test-user", "mountpoint": "", "client_id": "allowed-subscriber-id", "topics": ["test/topic"]}));
    assert_eq!(ar.to_lua(h).get("topics"), Some(&a([s("test/topic")])));
    // plugin_test.lua returns nothing for allowed
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    let r = run(h, &ar, vec![a([s("hello/world")])]);
    assert_eq!(r, HookResult::OkModifiers(Modifiers::UnsubTopics(vec!["hello/world".into()])));
    assert_eq!(r.to_webhook_json(h, B64), json!({"result": "ok", "topics": ["hello/world"]}));
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::LuaScriptReturnedFalse));
}

#[test]
fn on_deliver_test() {
    let h = Hook::OnDeliver;
    let mut body = publish_body("allowed-subscriber-id");
    body["properties"] = json!({});
    let ar = args(h, body);
    // v3/v4 on_deliver gets a properties table
    assert_eq!(ar.to_lua(h).get("properties"), Some(&PValue::empty_table()));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    let r = run(h, &ar, vec![t([("topic", s("a/b")), ("payload", s("x"))])]);
    assert!(matches!(r, HookResult::OkModifiers(_)));
    // properties are not an on_deliver (v4) modifier
    assert_eq!(run(h, &ar, vec![t([("properties", t([("p_content_type", s("x"))]))])]), HookResult::Error(HookError::InvalidModifiers));
}

#[test]
fn script_errors_continue_auth_hooks_and_stop_others() {
    // auth_hooks_continue_on_script_error_test
    for h in [
        Hook::AuthOnRegister,
        Hook::AuthOnPublish,
        Hook::AuthOnSubscribe,
        Hook::AuthOnRegisterM5,
        Hook::AuthOnPublishM5,
        Hook::AuthOnSubscribeM5,
        Hook::OnAuthM5,
    ] {
        let r = decide(h, [ScriptResult::ScriptError("connection refused".into()), ScriptResult::Continue]);
        assert_eq!(r, HookResult::Next, "{h}");
        assert_eq!(r.to_webhook_json(h, B64), json!({"result": "next"}));
        let r = decide(h, [ScriptResult::ScriptError("x".into()), ScriptResult::Decided(HookResult::Ok)]);
        assert_eq!(r, HookResult::Ok);
    }
    for h in [Hook::OnDeliver, Hook::OnDeliverM5, Hook::OnUnsubscribe, Hook::OnUnsubscribeM5] {
        let r = decide(h, [ScriptResult::ScriptError("x".into()), ScriptResult::Decided(HookResult::Ok)]);
        assert_eq!(r, HookResult::Error(HookError::LuaScriptError), "{h}");
    }
}

#[test]
fn chain_stops_at_first_decision_in_load_order() {
    let h = Hook::AuthOnPublish;
    let mut ran = Vec::new();
    let results = (0..3).map(|i| {
        ran.push(i);
        match i {
            0 => ScriptResult::Continue,
            1 => ScriptResult::Decided(HookResult::Error(HookError::NotAuthorized)),
            _ => ScriptResult::Decided(HookResult::Ok),
        }
    });
    assert_eq!(decide(h, results), HookResult::Error(HookError::NotAuthorized));
    assert_eq!(ran, vec![0, 1]);
    // "all" hooks run every script
    let mut count = 0;
    let results = (0..3).map(|_| {
        count += 1;
        ScriptResult::Decided(HookResult::Ok)
    });
    assert_eq!(decide(Hook::OnPublish, results), HookResult::Next);
    assert_eq!(count, 3);
}

#[test]
fn return_values_that_continue_and_multi_values() {
    let h = Hook::AuthOnRegister;
    let ar = args(h, register_body("x"));
    for v in [PValue::Nil, s("next"), n(1.0)] {
        assert_eq!(script_result(h, Ok(vec![v]), &ar), ScriptResult::Continue);
    }
    assert_eq!(script_result(h, Ok(vec![]), &ar), ScriptResult::Continue);
    // 2+ values: a script error (VerneMQ hangs)
    assert!(matches!(script_result(h, Ok(vec![PValue::Bool(true), PValue::Bool(true)]), &ar), ScriptResult::ScriptError(_)));
}

#[test]
fn invalid_modifiers_test() {
    let h = Hook::AuthOnPublishM5;
    let ar = args(h, publish_body("invalid-modifiers"));
    assert_eq!(run(h, &ar, vec![t([("topic", n(5.0))])]), HookResult::Error(HookError::InvalidModifiers));
    assert_eq!(run(h, &ar, vec![t([("unknown", n(5.0))])]), HookResult::Error(HookError::InvalidModifiers));
    assert_eq!(run(h, &ar, vec![t([("topic", n(5.0))])]).to_webhook_json(h, B64), json!({"result": {"error": "invalid_modifiers"}}));
    // an empty table is invalid for every hook but auth_on_subscribe/on_unsubscribe
    for h in [Hook::AuthOnRegister, Hook::AuthOnPublish, Hook::AuthOnRegisterM5, Hook::OnDeliver] {
        assert_eq!(
            script_result(h, Ok(vec![PValue::empty_table()]), &ar),
            ScriptResult::Decided(HookResult::Error(HookError::InvalidModifiers)),
            "{h}"
        );
    }
    assert_eq!(
        script_result(Hook::AuthOnSubscribe, Ok(vec![PValue::empty_table()]), &ar),
        ScriptResult::Decided(HookResult::OkModifiers(Modifiers::SubTopics(vec![])))
    );
}

fn m5_props() -> Value {
    json!({"p_session_expiry_interval": 5, "p_receive_max": 10, "p_topic_alias_max": 15,
           "p_request_response_info": true, "p_request_problem_info": true,
           "p_user_property": [{"key": "azE=", "val": "djE="}, {"key": "azE=", "val": "djI="}, {"key": "azI=", "val": "djI="}]})
}

#[test]
fn auth_on_register_m5_test() {
    let h = Hook::AuthOnRegisterM5;
    let mut body = register_body("allowed-subscriber-id");
    body.as_object_mut().unwrap().remove("clean_session");
    body["clean_start"] = json!(true);
    body["properties"] = json!({"p_user_property": [{"key": "a2V5MQ==", "val": "dmFsMQ=="}]});
    let ar = args(h, body);
    let lua = ar.to_lua(h);
    assert_eq!(lua.get("clean_start"), Some(&PValue::Bool(true)));
    assert_eq!(lua.get("clean_session"), None);
    let up = lua.get("properties").unwrap().get("p_user_property").unwrap();
    assert_eq!(up.index(1).unwrap().get("key1"), Some(&s("val1")));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::InvalidCredentials));
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    // no clean_start modifier exists; clean_session is accepted
    assert_eq!(run(h, &ar, vec![t([("clean_start", PValue::Bool(true))])]), HookResult::Error(HookError::InvalidModifiers));
    assert!(matches!(run(h, &ar, vec![t([("clean_session", PValue::Bool(true))])]), HookResult::OkModifiers(_)));
}

#[test]
fn auth_on_register_m5_modify_props_test() {
    let h = Hook::AuthOnRegisterM5;
    let mut body = register_body("modify-props");
    body["properties"] = m5_props();
    let ar = args(h, body);
    let lua = ar.to_lua(h);
    let p = lua.get("properties").unwrap();
    assert_eq!(p.get("p_session_expiry_interval"), Some(&n(5.0)));
    assert_eq!(p.get("p_receive_max"), Some(&n(10.0)));
    assert_eq!(p.get("p_topic_alias_max"), Some(&n(15.0)));
    assert_eq!(p.get("p_request_response_info"), Some(&PValue::Bool(true)));
    let up = p.get("p_user_property").unwrap();
    assert_eq!(up.index(1).unwrap().get("k1"), Some(&s("v1")));
    assert_eq!(up.index(2).unwrap().get("k1"), Some(&s("v2")));
    assert_eq!(up.index(3).unwrap().get("k2"), Some(&s("v2")));
    let r =
        run(h, &ar, vec![t([("properties", t([("p_user_property", a([t([("k3", s("v3"))])])), ("p_session_expiry_interval", n(10.0))]))])]);
    let HookResult::OkModifiers(m) = &r else { panic!("{r:?}") };
    // no merge for auth_on_register_m5
    let Some(ModValue::Properties(p)) = m.get("properties") else { panic!() };
    assert_eq!(p.get("p_user_property"), Some(&PropValue::UserProps(vec![(b"k3".to_vec(), b"v3".to_vec())])));
    assert_eq!(p.get("p_session_expiry_interval"), Some(&PropValue::Int(10)));
    assert_eq!(p.0.len(), 2);
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "modifiers": {"properties": {
            "p_user_property": [{"key": "azM=", "val": "djM="}], "p_session_expiry_interval": 10}}})
    );
}

#[test]
fn on_publish_m5_args() {
    let h = Hook::OnPublishM5;
    let mut body = publish_body("c");
    body["properties"] = json!({"p_correlation_data": "correlation_data", "p_response_topic": "response/topic",
                                "p_payload_format_indicator": "utf8", "p_content_type": "content_type",
                                "p_user_property": [{"key": "azE=", "val": "djE="}]});
    let lua = args(h, body).to_lua(h);
    let p = lua.get("properties").unwrap();
    assert_eq!(p.get("p_response_topic"), Some(&s("response/topic")));
    assert_eq!(p.get("p_payload_format_indicator"), Some(&s("utf8")));
    assert_eq!(p.get("p_correlation_data"), Some(&s("correlation_data")));
    assert_eq!(p.get("p_content_type"), Some(&s("content_type")));
}

#[test]
fn auth_on_subscribe_m5_test() {
    let h = Hook::AuthOnSubscribeM5;
    let ar = args(
        h,
        json!({"username": "test-user", "mountpoint": "", "client_id": "allowed-subscriber-id",
               "topics": [{"topic": "test/topic", "qos": 1, "no_local": false, "rap": true, "retain_handling": "send_retain"}],
               "properties": {"p_user_property": [{"key": "azE=", "val": "djE="}], "p_subscription_id": [1, 2, 3]}}),
    );
    let lua = ar.to_lua(h);
    let first = lua.get("topics").unwrap().index(1).unwrap();
    assert_eq!(first.index(1), Some(&s("test/topic")));
    let qo = first.index(2).unwrap();
    assert_eq!(qo.index(1), Some(&n(1.0)));
    assert_eq!(qo.index(2).unwrap().get("rap"), Some(&PValue::Bool(true)));
    assert_eq!(qo.index(2).unwrap().get("retain_handling"), Some(&s("send_retain")));
    assert_eq!(lua.get("properties").unwrap().get("p_subscription_id"), Some(&a([n(1.0), n(2.0), n(3.0)])));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::NotAuthorized));
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    let r = run(h, &ar, vec![t([("topics", a([a([s("hello/world"), a([n(2.0), t([("rap", PValue::Bool(true))])])])]))])]);
    let HookResult::OkModifiers(m) = &r else { panic!("{r:?}") };
    assert_eq!(
        m.get("topics"),
        Some(&ModValue::SubTopics(vec![SubTopicMod {
            topic: "hello/world".into(),
            qos: SubQos::Qos(2),
            opts: Some(vec![("rap".into(), PValue::Bool(true))])
        }]))
    );
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "modifiers": {"topics": [{"topic": "hello/world", "qos": 2, "rap": true}]}})
    );
    // properties are not an auth_on_subscribe_m5 modifier
    assert_eq!(run(h, &ar, vec![t([("properties", PValue::empty_table())])]), HookResult::Error(HookError::InvalidModifiers));
}

#[test]
fn on_subscribe_m5_skips_rejected() {
    let h = Hook::OnSubscribeM5;
    let lua = args(
        h,
        json!({"mountpoint": "", "client_id": "c", "topics": [{"topic": "a", "qos": 1}, {"topic": "b", "qos": 128}], "properties": {}}),
    )
    .to_lua(h);
    let topics = lua.get("topics").unwrap();
    assert_eq!(topics.as_sequence().unwrap().len(), 1);
    // defaults for missing subscription options
    assert_eq!(topics.index(1).unwrap().index(2).unwrap().index(2).unwrap().get("no_local"), Some(&PValue::Bool(false)));
}

#[test]
fn on_unsubscribe_m5_test() {
    let h = Hook::OnUnsubscribeM5;
    let ar = args(h, json!({"username": "u", "mountpoint": "", "client_id": "c", "topics": ["test/topic"], "properties": {}}));
    let r = run(h, &ar, vec![t([("topics", a([s("hello/world")]))])]);
    assert_eq!(r.to_webhook_json(h, B64), json!({"result": "ok", "modifiers": {"topics": ["hello/world"]}}));
}

#[test]
fn auth_on_publish_m5_test() {
    let h = Hook::AuthOnPublishM5;
    let mut body = publish_body("allowed-subscriber-id");
    body["properties"] = json!({});
    let ar = args(h, body);
    assert_eq!(ar.to_lua(h).get("properties"), Some(&PValue::empty_table()));
    assert_eq!(run(h, &ar, vec![PValue::Bool(true)]), HookResult::Ok);
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::NotAuthorized));
    assert_eq!(run(h, &ar, vec![]), HookResult::Error(HookError::PluginChainExhausted));
    let r = run(h, &ar, vec![t([("topic", s("hello/world"))])]);
    let HookResult::OkModifiers(m) = &r else { panic!() };
    assert_eq!(m.get("topic"), Some(&ModValue::Topic("hello/world".into())));
}

#[test]
fn auth_on_publish_m5_modify_props_test() {
    let h = Hook::AuthOnPublishM5;
    let mut body = publish_body("modify-props");
    body["properties"] = json!({
        "p_user_property": [{"key": "azE=", "val": "djE="}, {"key": "azE=", "val": "djI="},
                            {"key": "azI=", "val": "djI="}, {"key": "azQ=", "val": "djQ="}],
        "p_correlation_data": "correlation_data", "p_response_topic": "response/topic",
        "p_payload_format_indicator": "utf8", "p_content_type": "content_type"});
    let ar = args(h, body);
    let r = run(
        h,
        &ar,
        vec![t([(
            "properties",
            t([
                ("p_user_property", a([t([("k1", s("v3"))]), t([("k3", s("v3"))])])),
                ("p_correlation_data", s("modified_correlation_data")),
                ("p_response_topic", s("modified/response/topic")),
                ("p_payload_format_indicator", s("undefined")),
                ("p_content_type", s("modified_content_type")),
            ]),
        )])],
    );
    let HookResult::OkModifiers(m) = &r else { panic!("{r:?}") };
    let Some(ModValue::Properties(p)) = m.get("properties") else { panic!() };
    let pairs = |v: &[(&str, &str)]| PropValue::UserProps(v.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect());
    assert_eq!(p.get("p_user_property"), Some(&pairs(&[("k2", "v2"), ("k4", "v4"), ("k1", "v3"), ("k3", "v3")])));
    assert_eq!(p.get("p_response_topic"), Some(&PropValue::Str(b"modified/response/topic".to_vec())));
    assert_eq!(p.get("p_payload_format_indicator"), Some(&PropValue::Str(b"undefined".to_vec())));
    assert_eq!(p.get("p_content_type"), Some(&PropValue::Str(b"modified_content_type".to_vec())));
    // "unspecified" is not accepted
    assert_eq!(
        run(h, &ar, vec![t([("properties", t([("p_payload_format_indicator", s("unspecified"))]))])]),
        HookResult::Error(HookError::InvalidModifiers)
    );
}

#[test]
fn on_auth_m5_test() {
    let h = Hook::OnAuthM5;
    let ar = args(
        h,
        json!({"username": "test-user", "mountpoint": "", "client_id": "allowed-subscriber-id",
               "properties": {"p_authentication_method": "AUTH_METHOD", "p_authentication_data": "QVVUSF9EQVRBMA=="}}),
    );
    let p = ar.to_lua(h).get("properties").cloned().unwrap();
    assert_eq!(p.get("p_authentication_method"), Some(&s("AUTH_METHOD")));
    assert_eq!(p.get("p_authentication_data"), Some(&s("AUTH_DATA0")));
    let r = run(
        h,
        &ar,
        vec![t([
            ("properties", t([("p_authentication_method", s("AUTH_METHOD")), ("p_authentication_data", s("AUTH_DATA1"))])),
            ("reason_code", n(0.0)),
        ])],
    );
    assert_eq!(
        r.to_webhook_json(h, B64),
        json!({"result": "ok", "modifiers": {"reason_code": 0, "properties": {
            "p_authentication_method": "AUTH_METHOD", "p_authentication_data": "QVVUSF9EQVRBMQ=="}}})
    );
    assert_eq!(run(h, &ar, vec![PValue::Bool(false)]), HookResult::Error(HookError::LuaScriptReturnedFalse));
}

#[test]
fn bad_webhook_bodies_are_errors() {
    assert!(HookArgs::from_webhook(Hook::AuthOnPublish, &json!([]), B64).is_err());
    assert!(HookArgs::from_webhook(Hook::AuthOnPublish, &json!({"client_id": "c"}), B64).is_err());
    assert!(HookArgs::from_webhook(Hook::AuthOnPublish, &json!({"client_id": "c", "topic": "a", "payload": "***"}), B64).is_err());
    assert!(HookArgs::from_webhook(Hook::AuthOnSubscribe, &json!({"client_id": "c", "topics": "a"}), B64).is_err());
}
