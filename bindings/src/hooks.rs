//! The 22 `vmq_diversity` hooks (reference §3), engine-neutral.
//!
//! - [`Hook`]: name, dispatch kind (`all_till_ok` / `all`), webhook name.
//! - [`HookArgs`]: typed arguments; [`HookArgs::from_webhook`] reads a
//!   `vmq_webhooks` request body (§9.3) and [`HookArgs::to_lua`] builds the
//!   argument table a Lua hook sees (§3.2-3.5) as a [`PValue`].
//! - [`script_result`]: one script's return values → [`ScriptResult`]
//!   (§3.3, §3.6 conversion and validation per hook).
//! - [`decide`]: the chain over scripts in load order → [`HookResult`].
//! - [`HookResult::to_webhook_json`]: the `vmq_webhooks` response (§9.4).
//!
//! Deviations (for COMPATIBILITY.md):
//! - a hook returning 2+ values is a script error (VerneMQ hangs);
//! - return tables VerneMQ cannot convert (keys that are no existing atom,
//!   an `auth_on_subscribe` table that is not a list of pairs, functions in
//!   a table) are `invalid_modifiers` instead of crashing the session;
//! - `on_auth_m5` `reason_code` stays an integer (as the validators want);
//! - `auth_on_subscribe_m5`/`on_subscribe_m5` webhook topics without
//!   subscription options get the MQTT defaults (`no_local=false`,
//!   `rap=false`, `retain_handling="send_retain"`) instead of being skipped;
//!   rejected ones (qos 128) are skipped as in VerneMQ.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::pvalue::PValue;
use crate::topic;

/// How VerneMQ dispatches a hook across the scripts that declare it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// Stop at the first decisive result (`true`, `false`, a table).
    AllTillOk,
    /// Call every script; results ignored; the hook answers `next`.
    All,
}

macro_rules! hooks {
    ($($variant:ident = $name:literal, $dispatch:ident;)*) => {
        /// One of the 22 hooks of reference §3.1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Hook { $($variant,)* }

        impl Hook {
            /// Every hook, in the order of reference §3.1.
            pub const ALL: [Hook; 22] = [$(Hook::$variant,)*];

            /// The Lua hook name (also the webhook `vernemq-hook` header).
            pub fn name(self) -> &'static str {
                match self { $(Hook::$variant => $name,)* }
            }

            pub fn dispatch(self) -> Dispatch {
                match self { $(Hook::$variant => Dispatch::$dispatch,)* }
            }

            pub fn from_name(name: &str) -> Option<Hook> {
                match name { $($name => Some(Hook::$variant),)* _ => None }
            }
        }
    };
}

hooks! {
    AuthOnRegister = "auth_on_register", AllTillOk;
    AuthOnRegisterM5 = "auth_on_register_m5", AllTillOk;
    AuthOnPublish = "auth_on_publish", AllTillOk;
    AuthOnPublishM5 = "auth_on_publish_m5", AllTillOk;
    AuthOnSubscribe = "auth_on_subscribe", AllTillOk;
    AuthOnSubscribeM5 = "auth_on_subscribe_m5", AllTillOk;
    OnUnsubscribe = "on_unsubscribe", AllTillOk;
    OnUnsubscribeM5 = "on_unsubscribe_m5", AllTillOk;
    OnDeliver = "on_deliver", AllTillOk;
    OnDeliverM5 = "on_deliver_m5", AllTillOk;
    OnAuthM5 = "on_auth_m5", AllTillOk;
    OnRegister = "on_register", All;
    OnRegisterM5 = "on_register_m5", All;
    OnPublish = "on_publish", All;
    OnPublishM5 = "on_publish_m5", All;
    OnSubscribe = "on_subscribe", All;
    OnSubscribeM5 = "on_subscribe_m5", All;
    OnOfflineMessage = "on_offline_message", All;
    OnClientWakeup = "on_client_wakeup", All;
    OnClientOffline = "on_client_offline", All;
    OnClientGone = "on_client_gone", All;
    OnSessionExpired = "on_session_expired", All;
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Hook {
    /// The webhook name (`vernemq-hook` header); identical to the Lua name.
    pub fn webhook_name(self) -> &'static str {
        self.name()
    }

    /// MQTT 5 variant (results are maps; properties in the arguments).
    pub fn is_m5(self) -> bool {
        self.name().ends_with("_m5")
    }

    /// Auth hooks continue the script chain when a script errors (#2502).
    pub fn continues_on_error(self) -> bool {
        matches!(
            self,
            Hook::AuthOnRegister
                | Hook::AuthOnRegisterM5
                | Hook::AuthOnPublish
                | Hook::AuthOnPublishM5
                | Hook::AuthOnSubscribe
                | Hook::AuthOnSubscribeM5
                | Hook::OnAuthM5
        )
    }

    /// Notification hooks (dispatch `all`): the webhook reply is `{}`.
    pub fn is_notification(self) -> bool {
        self.dispatch() == Dispatch::All
    }

    /// The error a script's `false` becomes (`conv_res`).
    pub fn false_error(self) -> HookError {
        match self {
            Hook::AuthOnRegister | Hook::AuthOnRegisterM5 => HookError::InvalidCredentials,
            Hook::AuthOnPublish | Hook::AuthOnPublishM5 | Hook::AuthOnSubscribe | Hook::AuthOnSubscribeM5 => HookError::NotAuthorized,
            _ => HookError::LuaScriptReturnedFalse,
        }
    }

    /// Which argument shape this hook takes.
    pub fn args_kind(self) -> ArgsKind {
        use Hook::*;
        match self {
            AuthOnRegister | AuthOnRegisterM5 | OnRegister | OnRegisterM5 => ArgsKind::Register,
            AuthOnPublish | AuthOnPublishM5 | OnPublish | OnPublishM5 | OnDeliver | OnDeliverM5 | OnOfflineMessage => ArgsKind::Publish,
            AuthOnSubscribe | AuthOnSubscribeM5 | OnSubscribe | OnSubscribeM5 => ArgsKind::Subscribe,
            OnUnsubscribe | OnUnsubscribeM5 => ArgsKind::Unsubscribe,
            OnAuthM5 => ArgsKind::Auth,
            OnClientWakeup | OnClientOffline | OnClientGone | OnSessionExpired => ArgsKind::Client,
        }
    }

    /// Does the Lua argument table carry `properties`?
    fn has_properties(self) -> bool {
        self.is_m5() || matches!(self, Hook::OnDeliver)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgsKind {
    Register,
    Publish,
    Subscribe,
    Unsubscribe,
    Auth,
    Client,
}

// ---------------------------------------------------------------------------
// Properties (§3.5)
// ---------------------------------------------------------------------------

/// Every MQTT 5 property name VerneMQ knows (vernemq_dev.hrl).
pub const PROPERTY_NAMES: [&str; 27] = [
    "p_payload_format_indicator",
    "p_message_expiry_interval",
    "p_content_type",
    "p_response_topic",
    "p_correlation_data",
    "p_subscription_id",
    "p_session_expiry_interval",
    "p_assigned_client_id",
    "p_server_keep_alive",
    "p_authentication_method",
    "p_authentication_data",
    "p_request_problem_info",
    "p_will_delay_interval",
    "p_request_response_info",
    "p_response_info",
    "p_server_ref",
    "p_reason_string",
    "p_receive_max",
    "p_topic_alias_max",
    "p_topic_alias",
    "p_max_qos",
    "p_retain_available",
    "p_user_property",
    "p_max_packet_size",
    "p_wildcard_subs_available",
    "p_sub_ids_available",
    "p_shared_subs_available",
];

/// One property value.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue {
    Int(i64),
    Bool(bool),
    /// Strings and binaries; `p_payload_format_indicator` is `"utf8"`,
    /// `"unspecified"` or `"undefined"`; `p_response_topic` is `/`-joined.
    Str(Vec<u8>),
    /// `p_subscription_id`.
    IntList(Vec<i64>),
    /// `p_user_property`: ordered pairs, duplicates kept.
    UserProps(Vec<(Vec<u8>, Vec<u8>)>),
}

/// An MQTT 5 properties map, in insertion order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Properties(pub Vec<(String, PropValue)>);

impl Properties {
    pub fn get(&self, name: &str) -> Option<&PropValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Set (replace in place, or append).
    pub fn set(&mut self, name: &str, value: PropValue) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The Lua table (§3.5): `p_user_property` as an array of single-pair
    /// tables, `p_subscription_id` as an array of numbers.
    pub fn to_lua(&self) -> PValue {
        PValue::map(self.0.iter().map(|(k, v)| (k.as_str(), prop_to_lua(v))))
    }

    /// Read the `properties` object of a webhook request (§9.3):
    /// `p_user_property` is `[{"key": b64, "val": b64}]` (always base64),
    /// `p_authentication_data` is base64, everything else raw.
    pub fn from_webhook(v: &Json) -> Result<Properties, ArgError> {
        let obj = v.as_object().ok_or_else(|| ArgError::new("properties: expected an object"))?;
        let mut props = Properties::default();
        for (k, v) in obj {
            if !PROPERTY_NAMES.contains(&k.as_str()) {
                return Err(ArgError::new(format!("properties: unknown property {k:?}")));
            }
            let pv = match (k.as_str(), v) {
                ("p_user_property", Json::Array(items)) => {
                    let mut pairs = Vec::with_capacity(items.len());
                    for item in items {
                        let key = item.get("key").and_then(Json::as_str);
                        let val = item.get("val").and_then(Json::as_str);
                        match (key, val) {
                            (Some(k), Some(v)) => pairs.push((b64_decode(k)?, b64_decode(v)?)),
                            _ => return Err(ArgError::new("p_user_property: expected [{\"key\": b64, \"val\": b64}]")),
                        }
                    }
                    PropValue::UserProps(pairs)
                }
                ("p_authentication_data", Json::String(s)) => PropValue::Str(b64_decode(s)?),
                ("p_subscription_id", Json::Array(items)) => PropValue::IntList(
                    items
                        .iter()
                        .map(|i| i.as_i64().ok_or_else(|| ArgError::new("p_subscription_id: integers")))
                        .collect::<Result<_, _>>()?,
                ),
                (_, Json::Bool(b)) => PropValue::Bool(*b),
                (_, Json::String(s)) => PropValue::Str(s.as_bytes().to_vec()),
                (_, Json::Number(n)) => PropValue::Int(n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)).unwrap_or(0)),
                (k, _) => return Err(ArgError::new(format!("properties: bad value for {k}"))),
            };
            props.0.push((k.clone(), pv));
        }
        Ok(props)
    }

    /// The webhook JSON form (the inverse of [`Properties::from_webhook`]).
    pub fn to_webhook(&self) -> Json {
        let mut obj = JsonMap::new();
        for (k, v) in &self.0 {
            let j = match (k.as_str(), v) {
                (_, PropValue::UserProps(pairs)) => {
                    Json::Array(pairs.iter().map(|(k, v)| json!({"key": B64.encode(k), "val": B64.encode(v)})).collect())
                }
                ("p_authentication_data", PropValue::Str(s)) => Json::String(B64.encode(s)),
                (_, PropValue::Str(s)) => Json::String(String::from_utf8_lossy(s).into_owned()),
                (_, PropValue::Int(i)) => json!(i),
                (_, PropValue::Bool(b)) => json!(b),
                (_, PropValue::IntList(l)) => json!(l),
            };
            obj.insert(k.clone(), j);
        }
        Json::Object(obj)
    }
}

fn prop_to_lua(v: &PropValue) -> PValue {
    match v {
        PropValue::Int(i) => PValue::Num(*i as f64),
        PropValue::Bool(b) => PValue::Bool(*b),
        PropValue::Str(s) => PValue::Str(s.clone()),
        PropValue::IntList(l) => PValue::array(l.iter().map(|i| PValue::Num(*i as f64))),
        PropValue::UserProps(pairs) => {
            PValue::array(pairs.iter().map(|(k, v)| PValue::Map(vec![(PValue::Str(k.clone()), PValue::Str(v.clone()))])))
        }
    }
}

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

/// A malformed hook request (bad webhook body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError(pub String);

impl ArgError {
    fn new(m: impl Into<String>) -> Self {
        ArgError(m.into())
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

/// Listener metadata forwarded to `auth_on_register`/`_m5` (`forward_connection_opts`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConnOpts {
    pub listener_addr: Option<String>,
    pub listener_port: Option<u16>,
    pub listener_type: Option<String>,
    /// `None`: not forwarded; `Some(None)`: TLS gave no certificate (Lua
    /// sees the string `"undefined"`); `Some(Some(der))`: the certificate.
    pub client_cert: Option<Option<Vec<u8>>>,
}

/// `auth_on_register(_m5)`, `on_register(_m5)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RegisterArgs {
    /// Peer IP as text; `None` when unformattable (Lua: `"undefined"`).
    pub peer_addr: Option<String>,
    pub peer_port: Option<u16>,
    pub mountpoint: String,
    pub client_id: String,
    pub username: Option<Vec<u8>>,
    pub password: Option<Vec<u8>>,
    /// `clean_session` (v4) / `clean_start` (m5); absent for `on_register*`.
    pub clean: Option<bool>,
    pub properties: Option<Properties>,
    pub conn_opts: Option<ConnOpts>,
}

/// `auth_on_publish(_m5)`, `on_publish(_m5)`, `on_deliver(_m5)`, `on_offline_message`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PublishArgs {
    pub username: Option<Vec<u8>>,
    pub mountpoint: String,
    pub client_id: String,
    pub qos: u8,
    pub topic: String,
    /// `None` when the webhook was registered with `no_payload`.
    pub payload: Option<Vec<u8>>,
    pub retain: bool,
    pub properties: Option<Properties>,
}

/// MQTT 5 subscription options.
#[derive(Clone, Debug, PartialEq)]
pub struct SubOpts {
    pub no_local: bool,
    pub rap: bool,
    /// `"send_retain"`, `"send_if_new_sub"` or `"dont_send"`.
    pub retain_handling: String,
    pub sub_id: Option<i64>,
}

impl Default for SubOpts {
    fn default() -> Self {
        SubOpts { no_local: false, rap: false, retain_handling: "send_retain".into(), sub_id: None }
    }
}

/// One requested subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct SubTopic {
    pub topic: String,
    /// 0..2, or 128 for a rejected subscription (`on_subscribe*`).
    pub qos: i64,
    pub opts: Option<SubOpts>,
}

/// `auth_on_subscribe(_m5)`, `on_subscribe(_m5)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SubscribeArgs {
    pub username: Option<Vec<u8>>,
    pub mountpoint: String,
    pub client_id: String,
    pub topics: Vec<SubTopic>,
    pub properties: Option<Properties>,
}

/// `on_unsubscribe(_m5)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct UnsubscribeArgs {
    pub username: Option<Vec<u8>>,
    pub mountpoint: String,
    pub client_id: String,
    pub topics: Vec<String>,
    pub properties: Option<Properties>,
}

/// `on_auth_m5`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AuthArgs {
    pub username: Option<Vec<u8>>,
    pub mountpoint: String,
    pub client_id: String,
    pub properties: Properties,
}

/// `on_client_wakeup/offline/gone`, `on_session_expired`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClientArgs {
    pub mountpoint: String,
    pub client_id: String,
}

/// Typed hook arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum HookArgs {
    Register(RegisterArgs),
    Publish(PublishArgs),
    Subscribe(SubscribeArgs),
    Unsubscribe(UnsubscribeArgs),
    Auth(AuthArgs),
    Client(ClientArgs),
}

/// Options of the webhook format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Payloads (and `client_cert`) are base64 (VerneMQ's `base64encode`,
    /// default on; `--no-base64` turns it off).
    pub base64: bool,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions { base64: true }
    }
}

fn b64_decode(s: &str) -> Result<Vec<u8>, ArgError> {
    B64.decode(s.trim()).map_err(|e| ArgError::new(format!("invalid base64: {e}")))
}

struct Body<'a>(&'a JsonMap<String, Json>);

impl Body<'_> {
    fn opt_str(&self, k: &str) -> Result<Option<String>, ArgError> {
        match self.0.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ArgError::new(format!("{k}: expected a string"))),
        }
    }
    fn str_or_empty(&self, k: &str) -> Result<String, ArgError> {
        Ok(self.opt_str(k)?.unwrap_or_default())
    }
    fn req_str(&self, k: &str) -> Result<String, ArgError> {
        self.opt_str(k)?.ok_or_else(|| ArgError::new(format!("missing field {k:?}")))
    }
    fn opt_bytes(&self, k: &str) -> Result<Option<Vec<u8>>, ArgError> {
        Ok(self.opt_str(k)?.map(String::into_bytes))
    }
    fn opt_int(&self, k: &str) -> Result<Option<i64>, ArgError> {
        match self.0.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| ArgError::new(format!("{k}: expected an integer"))),
            // The VerneMQ docs show qos as a string ("1"); accept it.
            Some(Json::String(s)) => s.parse().map(Some).map_err(|_| ArgError::new(format!("{k}: expected an integer"))),
            Some(_) => Err(ArgError::new(format!("{k}: expected an integer"))),
        }
    }
    fn opt_bool(&self, k: &str) -> Result<Option<bool>, ArgError> {
        match self.0.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ArgError::new(format!("{k}: expected a boolean"))),
        }
    }
    fn properties(&self) -> Result<Option<Properties>, ArgError> {
        match self.0.get("properties") {
            None | Some(Json::Null) => Ok(None),
            Some(v) => Properties::from_webhook(v).map(Some),
        }
    }
    fn payload(&self, k: &str, opts: WebhookOptions) -> Result<Option<Vec<u8>>, ArgError> {
        match self.opt_str(k)? {
            None => Ok(None),
            Some(s) if opts.base64 => b64_decode(&s).map(Some),
            Some(s) => Ok(Some(s.into_bytes())),
        }
    }
}

fn port(v: Option<i64>, k: &str) -> Result<Option<u16>, ArgError> {
    v.map(|p| u16::try_from(p).map_err(|_| ArgError::new(format!("{k}: not a port number")))).transpose()
}

impl HookArgs {
    /// Read a `vmq_webhooks` request body (§9.3) for `hook`.
    pub fn from_webhook(hook: Hook, body: &Json, opts: WebhookOptions) -> Result<HookArgs, ArgError> {
        let obj = body.as_object().ok_or_else(|| ArgError::new("request body: expected a JSON object"))?;
        let b = Body(obj);
        let mountpoint = b.str_or_empty("mountpoint")?;
        let client_id = b.req_str("client_id")?;
        let props = if hook.has_properties() { b.properties()? } else { None };
        Ok(match hook.args_kind() {
            ArgsKind::Register => {
                let clean_key = if hook.is_m5() { "clean_start" } else { "clean_session" };
                let clean = match hook {
                    Hook::AuthOnRegister | Hook::AuthOnRegisterM5 => Some(b.opt_bool(clean_key)?.unwrap_or(true)),
                    _ => None,
                };
                let has_opts = ["listener_addr", "listener_port", "listener_type", "client_cert"].iter().any(|k| obj.contains_key(*k));
                let conn_opts = if has_opts && clean.is_some() {
                    Some(ConnOpts {
                        listener_addr: b.opt_str("listener_addr")?,
                        listener_port: port(b.opt_int("listener_port")?, "listener_port")?,
                        listener_type: b.opt_str("listener_type")?,
                        client_cert: if obj.contains_key("client_cert") { Some(b.payload("client_cert", opts)?) } else { None },
                    })
                } else {
                    None
                };
                HookArgs::Register(RegisterArgs {
                    peer_addr: b.opt_str("peer_addr")?,
                    peer_port: port(b.opt_int("peer_port")?, "peer_port")?,
                    mountpoint,
                    client_id,
                    username: b.opt_bytes("username")?,
                    password: b.opt_bytes("password")?,
                    clean,
                    properties: props,
                    conn_opts,
                })
            }
            ArgsKind::Publish => {
                let qos = b.opt_int("qos")?.unwrap_or(0);
                if !(0..=2).contains(&qos) {
                    return Err(ArgError::new("qos: expected 0, 1 or 2"));
                }
                HookArgs::Publish(PublishArgs {
                    username: b.opt_bytes("username")?,
                    mountpoint,
                    client_id,
                    qos: qos as u8,
                    topic: b.req_str("topic")?,
                    payload: b.payload("payload", opts)?,
                    retain: b.opt_bool("retain")?.unwrap_or(false),
                    properties: props,
                })
            }
            ArgsKind::Subscribe => {
                let list = obj.get("topics").and_then(Json::as_array).ok_or_else(|| ArgError::new("topics: expected an array"))?;
                let mut topics = Vec::with_capacity(list.len());
                for t in list {
                    let o = t.as_object().ok_or_else(|| ArgError::new("topics: expected objects"))?;
                    let tb = Body(o);
                    let qos = tb.opt_int("qos")?.ok_or_else(|| ArgError::new("topics: missing qos"))?;
                    let opts = if hook.is_m5() && (0..=2).contains(&qos) {
                        let d = SubOpts::default();
                        Some(SubOpts {
                            no_local: tb.opt_bool("no_local")?.unwrap_or(d.no_local),
                            rap: tb.opt_bool("rap")?.unwrap_or(d.rap),
                            retain_handling: tb.opt_str("retain_handling")?.unwrap_or(d.retain_handling),
                            sub_id: tb.opt_int("sub_id")?,
                        })
                    } else {
                        None
                    };
                    topics.push(SubTopic { topic: tb.req_str("topic")?, qos, opts });
                }
                HookArgs::Subscribe(SubscribeArgs { username: b.opt_bytes("username")?, mountpoint, client_id, topics, properties: props })
            }
            ArgsKind::Unsubscribe => {
                let list = obj.get("topics").and_then(Json::as_array).ok_or_else(|| ArgError::new("topics: expected an array"))?;
                let topics = list
                    .iter()
                    .map(|t| t.as_str().map(str::to_string).ok_or_else(|| ArgError::new("topics: expected strings")))
                    .collect::<Result<_, _>>()?;
                HookArgs::Unsubscribe(UnsubscribeArgs {
                    username: b.opt_bytes("username")?,
                    mountpoint,
                    client_id,
                    topics,
                    properties: props,
                })
            }
            ArgsKind::Auth => HookArgs::Auth(AuthArgs {
                username: b.opt_bytes("username")?,
                mountpoint,
                client_id,
                properties: props.unwrap_or_default(),
            }),
            ArgsKind::Client => HookArgs::Client(ClientArgs { mountpoint, client_id }),
        })
    }

    pub fn mountpoint(&self) -> &str {
        match self {
            HookArgs::Register(a) => &a.mountpoint,
            HookArgs::Publish(a) => &a.mountpoint,
            HookArgs::Subscribe(a) => &a.mountpoint,
            HookArgs::Unsubscribe(a) => &a.mountpoint,
            HookArgs::Auth(a) => &a.mountpoint,
            HookArgs::Client(a) => &a.mountpoint,
        }
    }

    pub fn client_id(&self) -> &str {
        match self {
            HookArgs::Register(a) => &a.client_id,
            HookArgs::Publish(a) => &a.client_id,
            HookArgs::Subscribe(a) => &a.client_id,
            HookArgs::Unsubscribe(a) => &a.client_id,
            HookArgs::Auth(a) => &a.client_id,
            HookArgs::Client(a) => &a.client_id,
        }
    }

    /// The incoming MQTT 5 properties, if any.
    pub fn properties(&self) -> Option<&Properties> {
        match self {
            HookArgs::Register(a) => a.properties.as_ref(),
            HookArgs::Publish(a) => a.properties.as_ref(),
            HookArgs::Subscribe(a) => a.properties.as_ref(),
            HookArgs::Unsubscribe(a) => a.properties.as_ref(),
            HookArgs::Auth(a) => Some(&a.properties),
            HookArgs::Client(_) => None,
        }
    }

    /// The argument table the Lua hook function receives (§3.2-3.5).
    pub fn to_lua(&self, hook: Hook) -> PValue {
        let s = |v: &str| PValue::str(v);
        let opt = |v: &Option<Vec<u8>>| v.clone().map(PValue::Str).unwrap_or(PValue::Nil);
        let props = |p: &Option<Properties>| {
            if hook.has_properties() {
                p.as_ref().map(Properties::to_lua).unwrap_or_else(PValue::empty_table)
            } else {
                PValue::Nil
            }
        };
        match self {
            HookArgs::Register(a) => {
                let (addr, port) = match (&a.peer_addr, a.peer_port) {
                    (Some(addr), Some(p)) => (s(addr), PValue::Num(p as f64)),
                    _ => (s("undefined"), s("undefined")),
                };
                let clean_key = if hook.is_m5() { "clean_start" } else { "clean_session" };
                let mut fields = vec![
                    ("addr", addr),
                    ("port", port),
                    ("mountpoint", s(&a.mountpoint)),
                    ("client_id", s(&a.client_id)),
                    ("username", opt(&a.username)),
                    ("password", opt(&a.password)),
                    (clean_key, a.clean.map(PValue::Bool).unwrap_or(PValue::Nil)),
                    ("properties", props(&a.properties)),
                ];
                if let Some(o) = &a.conn_opts {
                    fields.push(("listener_addr", o.listener_addr.as_deref().map(s).unwrap_or(PValue::Nil)));
                    fields.push(("listener_port", o.listener_port.map(|p| PValue::Num(p as f64)).unwrap_or(PValue::Nil)));
                    fields.push(("listener_type", o.listener_type.as_deref().map(s).unwrap_or(PValue::Nil)));
                    let cert = match &o.client_cert {
                        None => PValue::Nil,
                        Some(None) => s("undefined"),
                        Some(Some(der)) => PValue::Str(der.clone()),
                    };
                    fields.push(("client_cert", cert));
                }
                PValue::map_opt(fields)
            }
            HookArgs::Publish(a) => {
                let username = if hook == Hook::OnOfflineMessage { PValue::Nil } else { opt(&a.username) };
                PValue::map_opt([
                    ("username", username),
                    ("mountpoint", s(&a.mountpoint)),
                    ("client_id", s(&a.client_id)),
                    ("qos", PValue::Num(a.qos as f64)),
                    ("topic", s(&a.topic)),
                    ("payload", opt(&a.payload)),
                    ("retain", PValue::Bool(a.retain)),
                    ("properties", props(&a.properties)),
                ])
            }
            HookArgs::Subscribe(a) => {
                let topics = if hook.is_m5() {
                    PValue::array(a.topics.iter().filter_map(|t| {
                        let o = t.opts.as_ref()?;
                        if !(0..=2).contains(&t.qos) {
                            return None;
                        }
                        let subopts = PValue::map_opt([
                            ("no_local", PValue::Bool(o.no_local)),
                            ("rap", PValue::Bool(o.rap)),
                            ("retain_handling", s(&o.retain_handling)),
                            ("sub_id", o.sub_id.map(|i| PValue::Num(i as f64)).unwrap_or(PValue::Nil)),
                        ]);
                        Some(PValue::array([s(&t.topic), PValue::array([PValue::Num(t.qos as f64), subopts])]))
                    }))
                } else {
                    PValue::array(a.topics.iter().map(|t| {
                        let qos = if t.qos == 128 { s("not_allowed") } else { PValue::Num(t.qos as f64) };
                        PValue::array([s(&t.topic), qos])
                    }))
                };
                PValue::map_opt([
                    ("username", opt(&a.username)),
                    ("mountpoint", s(&a.mountpoint)),
                    ("client_id", s(&a.client_id)),
                    ("topics", topics),
                    ("properties", props(&a.properties)),
                ])
            }
            HookArgs::Unsubscribe(a) => PValue::map_opt([
                ("username", opt(&a.username)),
                ("mountpoint", s(&a.mountpoint)),
                ("client_id", s(&a.client_id)),
                ("topics", PValue::array(a.topics.iter().map(|t| s(t)))),
                ("properties", props(&a.properties)),
            ]),
            HookArgs::Auth(a) => PValue::map_opt([
                ("username", opt(&a.username)),
                ("mountpoint", s(&a.mountpoint)),
                ("client_id", s(&a.client_id)),
                ("properties", a.properties.to_lua()),
            ]),
            HookArgs::Client(a) => PValue::map_opt([("mountpoint", s(&a.mountpoint)), ("client_id", s(&a.client_id))]),
        }
    }
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/// The error reasons a hook can end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookError {
    InvalidCredentials,
    NotAuthorized,
    LuaScriptReturnedFalse,
    InvalidModifiers,
    PluginChainExhausted,
    LuaScriptError,
    /// Any other reason, by name (e.g. `error` from the ACL cache on unsubscribe).
    Other(String),
}

impl HookError {
    /// VerneMQ's atom for the reason.
    pub fn name(&self) -> &str {
        match self {
            HookError::InvalidCredentials => "invalid_credentials",
            HookError::NotAuthorized => "not_authorized",
            HookError::LuaScriptReturnedFalse => "lua_script_returned_false",
            HookError::InvalidModifiers => "invalid_modifiers",
            HookError::PluginChainExhausted => "plugin_chain_exhausted",
            HookError::LuaScriptError => "lua_script_error",
            HookError::Other(s) => s,
        }
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A subscription's granted QoS in a rewritten subscription list.
#[derive(Clone, Debug, PartialEq)]
pub enum SubQos {
    Qos(u8),
    /// 128: the subscription is rejected.
    NotAllowed,
}

impl SubQos {
    pub fn to_int(&self) -> i64 {
        match self {
            SubQos::Qos(q) => *q as i64,
            SubQos::NotAllowed => 128,
        }
    }
}

/// One entry of a rewritten subscription list.
#[derive(Clone, Debug, PartialEq)]
pub struct SubTopicMod {
    pub topic: String,
    pub qos: SubQos,
    /// MQTT 5 subscription options (`{topic, {qos, {rap=true,...}}}`); the
    /// values keep their Lua types.
    pub opts: Option<Vec<(String, PValue)>>,
}

/// A validated modifier value.
#[derive(Clone, Debug, PartialEq)]
pub enum ModValue {
    Bool(bool),
    Int(i64),
    Str(Vec<u8>),
    /// A string VerneMQ turns into an atom (`shared_subscription_policy`,
    /// `queue_type`).
    Atom(String),
    /// A validated topic (`/`-joined; VerneMQ holds it as words).
    Topic(String),
    SubscriberId {
        mountpoint: String,
        client_id: Vec<u8>,
    },
    Properties(Properties),
    SubTopics(Vec<SubTopicMod>),
    UnsubTopics(Vec<String>),
}

/// Validated modifiers.
#[derive(Clone, Debug, PartialEq)]
pub enum Modifiers {
    /// Key → value (sorted by key).
    Map(BTreeMap<String, ModValue>),
    /// `auth_on_subscribe`: the rewritten subscription list.
    SubTopics(Vec<SubTopicMod>),
    /// `on_unsubscribe`: the rewritten topic list.
    UnsubTopics(Vec<String>),
}

impl Modifiers {
    pub fn get(&self, key: &str) -> Option<&ModValue> {
        match self {
            Modifiers::Map(m) => m.get(key),
            _ => None,
        }
    }
}

/// The final outcome of a hook.
#[derive(Clone, Debug, PartialEq)]
pub enum HookResult {
    Ok,
    OkModifiers(Modifiers),
    Next,
    Error(HookError),
}

impl HookResult {
    /// What the broker's plugin chain makes of it when no other plugin
    /// follows: `next` becomes `{error, plugin_chain_exhausted}`.
    pub fn end_of_plugin_chain(self) -> HookResult {
        match self {
            HookResult::Next => HookResult::Error(HookError::PluginChainExhausted),
            r => r,
        }
    }

    /// The `vmq_webhooks` response body (§9.4).
    pub fn to_webhook_json(&self, hook: Hook, opts: WebhookOptions) -> Json {
        if hook.is_notification() {
            return json!({});
        }
        match self {
            HookResult::Ok => json!({"result": "ok"}),
            HookResult::Next => json!({"result": "next"}),
            HookResult::Error(e) => json!({"result": {"error": e.name()}}),
            HookResult::OkModifiers(m) => match (hook, m) {
                (_, Modifiers::SubTopics(t)) if hook == Hook::AuthOnSubscribe => {
                    json!({"result": "ok", "topics": sub_topics_json(t)})
                }
                (_, Modifiers::UnsubTopics(t)) if hook == Hook::OnUnsubscribe => {
                    json!({"result": "ok", "topics": t})
                }
                (_, Modifiers::SubTopics(t)) => {
                    json!({"result": "ok", "modifiers": {"topics": sub_topics_json(t)}})
                }
                (_, Modifiers::UnsubTopics(t)) => {
                    json!({"result": "ok", "modifiers": {"topics": t}})
                }
                (_, Modifiers::Map(map)) => {
                    let mut obj = JsonMap::new();
                    for (k, v) in map {
                        match v {
                            ModValue::SubscriberId { mountpoint, client_id } => {
                                obj.insert("mountpoint".into(), json!(mountpoint));
                                obj.insert("client_id".into(), lossy(client_id));
                            }
                            ModValue::Str(s) if k == "payload" && opts.base64 => {
                                obj.insert(k.clone(), json!(B64.encode(s)));
                            }
                            v => {
                                obj.insert(k.clone(), mod_value_json(v));
                            }
                        }
                    }
                    json!({"result": "ok", "modifiers": Json::Object(obj)})
                }
            },
        }
    }
}

fn lossy(b: &[u8]) -> Json {
    Json::String(String::from_utf8_lossy(b).into_owned())
}

fn sub_topics_json(t: &[SubTopicMod]) -> Json {
    Json::Array(
        t.iter()
            .map(|s| {
                let mut o = JsonMap::new();
                o.insert("topic".into(), json!(s.topic));
                o.insert("qos".into(), json!(s.qos.to_int()));
                if let Some(opts) = &s.opts {
                    for (k, v) in opts {
                        let j = match v {
                            PValue::Bool(b) => json!(b),
                            PValue::Num(n) if n.fract() == 0.0 => json!(*n as i64),
                            PValue::Num(n) => json!(n),
                            PValue::Str(s) => lossy(s),
                            _ => continue,
                        };
                        o.insert(k.clone(), j);
                    }
                }
                Json::Object(o)
            })
            .collect(),
    )
}

fn mod_value_json(v: &ModValue) -> Json {
    match v {
        ModValue::Bool(b) => json!(b),
        ModValue::Int(i) => json!(i),
        ModValue::Str(s) => lossy(s),
        ModValue::Atom(a) | ModValue::Topic(a) => json!(a),
        ModValue::SubscriberId { mountpoint, client_id } => json!({"mountpoint": mountpoint, "client_id": lossy(client_id)}),
        ModValue::Properties(p) => p.to_webhook(),
        ModValue::SubTopics(t) => sub_topics_json(t),
        ModValue::UnsubTopics(t) => json!(t),
    }
}

/// What one script's call amounted to.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptResult {
    /// `true`, `false` or a modifier table: the chain stops here.
    Decided(HookResult),
    /// `nil`, nothing, a string, a number...: try the next script.
    Continue,
    /// The call failed (Lua error, limit exceeded, 2+ return values).
    ScriptError(String),
}

/// Turn one script's call outcome into a [`ScriptResult`] (§3.3): `rets`
/// are the hook function's return values, or the error message if the call
/// failed. `args` gives the incoming properties for the user-property merge.
pub fn script_result(hook: Hook, rets: Result<Vec<PValue>, String>, args: &HookArgs) -> ScriptResult {
    let rets = match rets {
        Ok(r) => r,
        Err(e) => return ScriptResult::ScriptError(e),
    };
    if rets.len() > 1 {
        return ScriptResult::ScriptError(format!("hook {hook} returned {} values (at most one is allowed)", rets.len()));
    }
    match rets.into_iter().next().unwrap_or(PValue::Nil) {
        PValue::Bool(true) => ScriptResult::Decided(HookResult::Ok),
        PValue::Bool(false) => ScriptResult::Decided(HookResult::Error(hook.false_error())),
        t @ (PValue::Array(_) | PValue::Map(_)) => ScriptResult::Decided(match convert_modifiers(hook, &t, args.properties()) {
            Ok(m) => HookResult::OkModifiers(m),
            Err(()) => HookResult::Error(HookError::InvalidModifiers),
        }),
        _ => ScriptResult::Continue,
    }
}

/// The chain over scripts in load order (`all_till_ok` / `all`). The
/// iterator is consumed lazily: for `all_till_ok` hooks it is not advanced
/// past the deciding script, so callers can run scripts on demand.
/// Script errors continue the chain for auth hooks and stop it with
/// `lua_script_error` for the other `all_till_ok` hooks; `all` hooks run
/// every script and answer `next`.
pub fn decide(hook: Hook, results: impl IntoIterator<Item = ScriptResult>) -> HookResult {
    match hook.dispatch() {
        Dispatch::All => {
            results.into_iter().for_each(drop);
            HookResult::Next
        }
        Dispatch::AllTillOk => {
            for r in results {
                match r {
                    ScriptResult::Decided(d) => return d,
                    ScriptResult::Continue => {}
                    ScriptResult::ScriptError(_) if hook.continues_on_error() => {}
                    ScriptResult::ScriptError(_) => return HookResult::Error(HookError::LuaScriptError),
                }
            }
            HookResult::Next
        }
    }
}

// ---------------------------------------------------------------------------
// Modifier conversion and validation (§3.4, §3.6)
// ---------------------------------------------------------------------------

fn round_int(v: &PValue) -> Option<i64> {
    let n = v.as_num()?;
    if !n.is_finite() {
        return None;
    }
    Some(n.round() as i64)
}

fn as_string(v: &PValue) -> Option<&[u8]> {
    v.as_bytes()
}

fn pub_topic(v: &PValue) -> Option<String> {
    let b = as_string(v)?;
    if topic::is_valid_publish_topic(b) {
        String::from_utf8(b.to_vec()).ok()
    } else {
        None
    }
}

fn sub_filter(v: &PValue) -> Option<String> {
    let b = as_string(v)?;
    if topic::is_valid_subscribe_topic(b) {
        String::from_utf8(b.to_vec()).ok()
    } else {
        None
    }
}

/// The key/value pairs of a modifier table with string keys; `None` when a
/// key is not a string (VerneMQ: not an existing atom).
fn string_keyed(t: &PValue) -> Option<Vec<(String, &PValue)>> {
    match t {
        PValue::Map(pairs) => {
            let mut out: Vec<(String, &PValue)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let k = String::from_utf8(k.as_bytes()?.to_vec()).ok()?;
                if v.is_nil() {
                    continue;
                }
                out.retain(|(e, _)| *e != k);
                out.push((k, v));
            }
            Some(out)
        }
        PValue::Array(a) if a.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

const REGISTER_BOOLS: [&str; 6] =
    ["allow_register", "allow_publish", "allow_subscribe", "allow_unsubscribe", "clean_session", "upgrade_qos"];
const REGISTER_INTS: [&str; 9] = [
    "max_message_size",
    "max_connection_lifetime",
    "max_message_rate",
    "max_inflight_messages",
    "retry_interval",
    "max_online_messages",
    "max_offline_messages",
    "max_drain_time",
    "max_msgs_per_drain_step",
];
const SHARED_SUB_POLICIES: [&str; 4] = ["prefer_local", "local_only", "random", "prefer_online_before_local"];
const QUEUE_TYPES: [&str; 2] = ["fifo", "lifo"];

/// Convert and validate a script's return table for `hook` (§3.6).
/// `incoming` are the request's properties (for the user-property merge of
/// `auth_on_publish_m5` / `on_deliver_m5`). `Err(())`: `invalid_modifiers`.
pub fn convert_modifiers(hook: Hook, t: &PValue, incoming: Option<&Properties>) -> Result<Modifiers, ()> {
    match hook {
        Hook::AuthOnSubscribe => return convert_sub_topics(t).map(Modifiers::SubTopics),
        Hook::OnUnsubscribe => return convert_unsub_topics(t).map(Modifiers::UnsubTopics),
        _ => {}
    }
    let pairs = string_keyed(t).ok_or(())?;
    if pairs.is_empty() {
        return Err(());
    }
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        let mv = convert_one(hook, &k, v, incoming).ok_or(())?;
        out.insert(k, mv);
    }
    Ok(Modifiers::Map(out))
}

fn convert_one(hook: Hook, k: &str, v: &PValue, incoming: Option<&Properties>) -> Option<ModValue> {
    use Hook::*;
    match hook {
        AuthOnRegister | AuthOnRegisterM5 => {
            if REGISTER_BOOLS.contains(&k) {
                return v.as_bool().map(ModValue::Bool);
            }
            if REGISTER_INTS.contains(&k) {
                return round_int(v).map(ModValue::Int);
            }
            match k {
                "shared_subscription_policy" => atom(v, &SHARED_SUB_POLICIES),
                "queue_type" => atom(v, &QUEUE_TYPES),
                "username" => as_string(v).map(|s| ModValue::Str(s.to_vec())),
                "subscriber_id" => {
                    // val_subscriber_id: both keys present and strings;
                    // other (string) keys are ignored
                    string_keyed(v)?;
                    let mp = as_string(v.get("mountpoint")?)?;
                    let cid = as_string(v.get("client_id")?)?;
                    Some(ModValue::SubscriberId { mountpoint: String::from_utf8(mp.to_vec()).ok()?, client_id: cid.to_vec() })
                }
                "properties" if hook == AuthOnRegisterM5 => {
                    convert_props(v, &["p_user_property", "p_session_expiry_interval"]).map(ModValue::Properties)
                }
                _ => None,
            }
        }
        AuthOnPublish | AuthOnPublishM5 => match k {
            "topic" => pub_topic(v).map(ModValue::Topic),
            "payload" => as_string(v).map(|s| ModValue::Str(s.to_vec())),
            // val_qos: a number in 0..2 (checked before rounding: 2.4 and
            // -0.4 are invalid, 1.6 becomes 2)
            "qos" => v.as_num().filter(|q| (0.0..=2.0).contains(q)).and_then(|_| round_int(v)).map(ModValue::Int),
            "retain" => v.as_bool().map(ModValue::Bool),
            "mountpoint" => as_string(v).map(|s| ModValue::Str(s.to_vec())),
            "throttle" => round_int(v).map(ModValue::Int),
            "properties" if hook == AuthOnPublishM5 => convert_props(
                v,
                &[
                    "p_user_property",
                    "p_message_expiry_interval",
                    "p_content_type",
                    "p_payload_format_indicator",
                    "p_response_topic",
                    "p_correlation_data",
                    "p_will_delay_interval",
                ],
            )
            .map(|p| ModValue::Properties(merge_properties(incoming, p))),
            _ => None,
        },
        OnDeliver | OnDeliverM5 => match k {
            "topic" => pub_topic(v).map(ModValue::Topic),
            "payload" => as_string(v).map(|s| ModValue::Str(s.to_vec())),
            "properties" if hook == OnDeliverM5 => convert_props(
                v,
                &["p_content_type", "p_payload_format_indicator", "p_user_property", "p_response_topic", "p_correlation_data"],
            )
            .map(|p| ModValue::Properties(merge_properties(incoming, p))),
            _ => None,
        },
        AuthOnSubscribeM5 => match k {
            "topics" => convert_sub_topics(v).ok().map(ModValue::SubTopics),
            _ => None,
        },
        OnUnsubscribeM5 => match k {
            "topics" => convert_unsub_topics(v).ok().map(ModValue::UnsubTopics),
            _ => None,
        },
        OnAuthM5 => match k {
            "properties" => convert_props(v, &["p_authentication_method", "p_authentication_data"]).map(ModValue::Properties),
            "reason_code" => round_int(v).map(ModValue::Int),
            _ => None,
        },
        _ => None,
    }
}

fn atom(v: &PValue, allowed: &[&str]) -> Option<ModValue> {
    let s = std::str::from_utf8(as_string(v)?).ok()?;
    allowed.contains(&s).then(|| ModValue::Atom(s.to_string()))
}

/// `convert_properties` + the properties validator, restricted to `allowed`.
pub fn convert_props(v: &PValue, allowed: &[&str]) -> Option<Properties> {
    let pairs = string_keyed(v)?;
    let mut props = Properties::default();
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return None;
        }
        let pv = match k.as_str() {
            "p_user_property" => {
                let items = luerl_list(v)?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let kv = string_keyed(item)?;
                    if kv.len() != 1 {
                        return None;
                    }
                    let (key, val) = &kv[0];
                    out.push((key.as_bytes().to_vec(), as_string(val)?.to_vec()));
                }
                PropValue::UserProps(out)
            }
            "p_payload_format_indicator" => match as_string(v)? {
                b"utf8" => PropValue::Str(b"utf8".to_vec()),
                b"undefined" => PropValue::Str(b"undefined".to_vec()),
                _ => return None,
            },
            "p_response_topic" => PropValue::Str(pub_topic(v)?.into_bytes()),
            "p_content_type" | "p_correlation_data" | "p_authentication_method" | "p_authentication_data" => {
                PropValue::Str(as_string(v)?.to_vec())
            }
            _ => PropValue::Int(round_int(v)?),
        };
        props.0.push((k, pv));
    }
    Some(props)
}

/// `merge_user_property_modifier`: the returned properties over the
/// incoming ones; user properties: incoming pairs whose key is among the
/// returned keys are dropped, kept incoming pairs first, then the returned.
pub fn merge_properties(incoming: Option<&Properties>, returned: Properties) -> Properties {
    let Some(incoming) = incoming else {
        return returned;
    };
    let mut merged = incoming.clone();
    for (k, v) in returned.0 {
        match (merged.get(&k), v) {
            (Some(PropValue::UserProps(old)), PropValue::UserProps(new)) => {
                let mut out: Vec<_> = old.iter().filter(|(ok, _)| !new.iter().any(|(nk, _)| nk == ok)).cloned().collect();
                out.extend(new);
                merged.set(&k, PropValue::UserProps(out));
            }
            (_, v) => merged.set(&k, v),
        }
    }
    merged
}

/// A table as Luerl's decoding + `convert` make it a list: every key an
/// integer (the sequence `1..n` first, then the other integer keys in
/// ascending order), values in that order. A sparse array such as
/// `{[1] = a, [3] = b}` is the list `[a, b]`, as in VerneMQ.
fn luerl_list(t: &PValue) -> Option<Vec<&PValue>> {
    if let Some(seq) = t.as_sequence() {
        return Some(seq);
    }
    let PValue::Map(pairs) = t else {
        return None;
    };
    let mut keyed: Vec<(i64, &PValue)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let n = k.as_num().filter(|n| n.fract() == 0.0 && n.is_finite())?;
        if !v.is_nil() {
            keyed.push((n as i64, v));
        }
    }
    keyed.sort_by_key(|(n, _)| *n);
    keyed.dedup_by_key(|(n, _)| *n);
    let prefix = keyed.iter().enumerate().take_while(|(i, (n, _))| *n == *i as i64 + 1).count();
    let (seq, rest) = keyed.split_at(prefix);
    Some(seq.iter().chain(rest).map(|(_, v)| *v).collect())
}

/// `normalize_subscribe_topics(convert(Ret))` + validation: an array of
/// `{topic, qos}` or `{topic, {qos, {subopts}}}`; qos 128 = not allowed.
pub fn convert_sub_topics(t: &PValue) -> Result<Vec<SubTopicMod>, ()> {
    let items = luerl_list(t).ok_or(())?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let pair = item.as_sequence().ok_or(())?;
        if pair.len() != 2 {
            return Err(());
        }
        let topic = sub_filter(pair[0]).ok_or(())?;
        let (qos_v, opts) = match pair[1] {
            PValue::Num(_) => (pair[1], None),
            q @ (PValue::Array(_) | PValue::Map(_)) => {
                let qo = q.as_sequence().ok_or(())?;
                if qo.len() != 2 {
                    return Err(());
                }
                let opts = string_keyed(qo[1]).ok_or(())?;
                let opts = opts.into_iter().map(|(k, v)| (k, v.clone())).collect();
                (qo[0], Some(opts))
            }
            _ => return Err(()),
        };
        let qos = match round_int(qos_v).ok_or(())? {
            q @ 0..=2 => SubQos::Qos(q as u8),
            128 => SubQos::NotAllowed,
            _ => return Err(()),
        };
        out.push(SubTopicMod { topic, qos, opts });
    }
    Ok(out)
}

/// `on_unsubscribe` modifiers: an array of valid subscribe filters.
pub fn convert_unsub_topics(t: &PValue) -> Result<Vec<String>, ()> {
    let items = luerl_list(t).ok_or(())?;
    items.into_iter().map(|v| sub_filter(v).ok_or(())).collect()
}

/// Modifiers as the Lua value `auth_cache.match_*` returns (§4): topics and
/// mountpoints as strings, `p_user_property` as a key→value table.
pub fn modifiers_to_lua(m: &Modifiers) -> PValue {
    fn sub(t: &[SubTopicMod]) -> PValue {
        PValue::array(t.iter().map(|s| {
            let qos = match &s.qos {
                SubQos::Qos(q) => PValue::Num(*q as f64),
                SubQos::NotAllowed => PValue::str("not_allowed"),
            };
            let q = match &s.opts {
                None => qos,
                Some(o) => PValue::array([qos, PValue::Map(o.iter().map(|(k, v)| (PValue::str(k), v.clone())).collect())]),
            };
            PValue::array([PValue::str(&s.topic), q])
        }))
    }
    fn val(v: &ModValue) -> PValue {
        match v {
            ModValue::Bool(b) => PValue::Bool(*b),
            ModValue::Int(i) => PValue::Num(*i as f64),
            ModValue::Str(s) => PValue::Str(s.clone()),
            ModValue::Atom(s) | ModValue::Topic(s) => PValue::str(s),
            ModValue::SubscriberId { mountpoint, client_id } => {
                PValue::map([("mountpoint", PValue::str(mountpoint)), ("client_id", PValue::Str(client_id.clone()))])
            }
            ModValue::Properties(p) => PValue::map(p.0.iter().map(|(k, v)| {
                let lv = match v {
                    PropValue::UserProps(pairs) => {
                        PValue::Map(pairs.iter().map(|(k, v)| (PValue::Str(k.clone()), PValue::Str(v.clone()))).collect())
                    }
                    other => prop_to_lua(other),
                };
                (k.as_str(), lv)
            })),
            ModValue::SubTopics(t) => sub(t),
            ModValue::UnsubTopics(t) => PValue::array(t.iter().map(PValue::str)),
        }
    }
    match m {
        Modifiers::Map(map) => PValue::map(map.iter().map(|(k, v)| (k.as_str(), val(v)))),
        Modifiers::SubTopics(t) => sub(t),
        Modifiers::UnsubTopics(t) => PValue::array(t.iter().map(PValue::str)),
    }
}
