//! The ACL cache (reference §4): the `auth_cache` Lua module and the check
//! that runs before the scripts for publish/subscribe/unsubscribe.
//!
//! - `insert(mountpoint, client_id, username, publish_acls, subscribe_acls)`
//!   adds a new row for `{mountpoint, client_id}` (older rows are kept);
//!   matching uses the most recent row; `on_client_offline/gone` and
//!   `on_session_expired` delete the oldest row.
//! - ACL keys: `pattern` (subscribe filter; whole levels `%u`, `%c`, `%m`
//!   replaced by username, client id, mountpoint; invalid → never matches),
//!   `max_qos` (0..2, default 2), publish only `max_payload_size`
//!   (0..268435456, default 268435456) and `allowed_retain` (default true),
//!   `modifiers` (publish: auth_on_publish(_m5) modifiers; subscribe: a
//!   list of `{topic, qos}`; invalid → logged, the ACL grants without
//!   modifiers). Unknown keys and invalid values are logged and ignored.
//! - First matching ACL wins; no match → `false`.
//!
//! Deviations: a non-table ACL element is a Lua error (VerneMQ: hard
//! failure); a subscribe request mixing plain and modifier matches is
//! decided in request order like VerneMQ, except that a modifier match
//! after a plain one (a crash in VerneMQ) is `not_authorized`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, RwLock};

use super::ModuleError;
use crate::hooks::{
    convert_modifiers, convert_sub_topics, merge_properties, modifiers_to_lua, Hook, HookArgs, HookError, HookResult, ModValue, Modifiers,
};
use crate::pvalue::PValue;
use crate::topic;

/// The Lua functions of `auth_cache`.
pub const FUNCTIONS: [&str; 3] = ["insert", "match_publish", "match_subscribe"];

const MAX_PAYLOAD: i64 = 268_435_456;

/// A publish ACL.
#[derive(Clone, Debug, PartialEq)]
pub struct PubAcl {
    /// `None`: invalid pattern, never matches.
    pub pattern: Option<String>,
    pub max_qos: u8,
    pub max_payload_size: i64,
    pub allowed_retain: bool,
    pub modifiers: Option<Modifiers>,
}

/// A subscribe ACL.
#[derive(Clone, Debug, PartialEq)]
pub struct SubAcl {
    pub pattern: Option<String>,
    pub max_qos: u8,
    pub modifiers: Option<Modifiers>,
}

/// One `insert`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheRow {
    pub publish: Vec<PubAcl>,
    pub subscribe: Vec<SubAcl>,
}

/// The result of matching one request.
#[derive(Clone, Debug, PartialEq)]
pub enum AclMatch {
    Denied,
    Allowed,
    Modifiers(Modifiers),
}

impl AclMatch {
    /// The Lua value `match_*` returns: `false`, `true` or a table.
    pub fn to_lua(&self) -> PValue {
        match self {
            AclMatch::Denied => PValue::Bool(false),
            AclMatch::Allowed => PValue::Bool(true),
            AclMatch::Modifiers(m) => modifiers_to_lua(m),
        }
    }
}

type Key = (Vec<u8>, Vec<u8>);

/// The cache. `Send + Sync`; [`AuthCache::global`] is the process-wide one.
#[derive(Debug, Default)]
pub struct AuthCache {
    rows: RwLock<HashMap<Key, VecDeque<Arc<CacheRow>>>>,
}

static GLOBAL: LazyLock<AuthCache> = LazyLock::new(AuthCache::default);

fn substitute(pattern: &str, user: &[u8], cid: &[u8], mp: &[u8]) -> String {
    pattern
        .split('/')
        .map(|w| match w {
            "%u" => String::from_utf8_lossy(user).into_owned(),
            "%c" => String::from_utf8_lossy(cid).into_owned(),
            "%m" => String::from_utf8_lossy(mp).into_owned(),
            w => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct AclFields {
    pattern: Option<String>,
    max_qos: u8,
    max_payload_size: i64,
    allowed_retain: bool,
    modifiers: Option<Modifiers>,
}

fn parse_acl(acl: &PValue, publish: bool, user: &[u8], cid: &[u8], mp: &[u8]) -> Result<AclFields, ModuleError> {
    let f = "auth_cache.insert";
    if !acl.is_table() {
        return Err(ModuleError::new(f, "execute_parse: ACL must be a table"));
    }
    let mut out = AclFields { pattern: None, max_qos: 2, max_payload_size: MAX_PAYLOAD, allowed_retain: true, modifiers: None };
    for (k, v) in acl.entries() {
        let key = k.as_str_lossy().map(|s| s.into_owned()).unwrap_or_default();
        let ok = match key.as_str() {
            "pattern" => match v.as_bytes() {
                Some(p) if topic::is_valid_subscribe_topic(p) => {
                    out.pattern = Some(substitute(&String::from_utf8_lossy(p), user, cid, mp));
                    true
                }
                _ => false,
            },
            "max_qos" => match v.as_num().map(f64::round) {
                Some(q) if (0.0..=2.0).contains(&q) => {
                    out.max_qos = q as u8;
                    true
                }
                _ => false,
            },
            "max_payload_size" if publish => match v.as_num().map(f64::round) {
                Some(n) if (0.0..=MAX_PAYLOAD as f64).contains(&n) => {
                    out.max_payload_size = n as i64;
                    true
                }
                _ => false,
            },
            "allowed_retain" if publish => match v.as_bool() {
                Some(b) => {
                    out.allowed_retain = b;
                    true
                }
                None => false,
            },
            "modifiers" => {
                let m = if publish {
                    let hook = if v.get("properties").is_some() { Hook::AuthOnPublishM5 } else { Hook::AuthOnPublish };
                    convert_modifiers(hook, v, None).ok()
                } else {
                    convert_sub_topics(v).ok().map(Modifiers::SubTopics)
                };
                out.modifiers = m;
                out.modifiers.is_some()
            }
            _ => false,
        };
        if !ok {
            tracing::warn!(target: "vmq_diversity::auth_cache", key = %key, value = ?v, "ignored invalid ACL entry");
        }
    }
    Ok(out)
}

fn acl_list<'a>(v: &'a PValue, f: &'static str) -> Result<Vec<&'a PValue>, ModuleError> {
    match v {
        PValue::Nil => Ok(Vec::new()),
        t if t.is_table() => t.as_sequence().ok_or_else(|| ModuleError::new(f, "execute_parse: ACLs must be an array")),
        _ => Err(ModuleError::new(f, "execute_parse")),
    }
}

impl AuthCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide cache (what Lua's `auth_cache` and the hooks use).
    pub fn global() -> &'static AuthCache {
        &GLOBAL
    }

    /// Add a row.
    pub fn insert_row(&self, mountpoint: &[u8], client_id: &[u8], row: CacheRow) {
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        rows.entry((mountpoint.to_vec(), client_id.to_vec())).or_default().push_back(Arc::new(row));
    }

    /// `auth_cache.insert(mp, client_id, username, pub_acls, sub_acls)` → `true`.
    pub fn insert(
        &self,
        mountpoint: &PValue,
        client_id: &PValue,
        username: &PValue,
        pub_acls: &PValue,
        sub_acls: &PValue,
    ) -> Result<PValue, ModuleError> {
        const F: &str = "auth_cache.insert";
        let (Some(mp), Some(cid), Some(user)) = (mountpoint.as_bytes(), client_id.as_bytes(), username.as_bytes()) else {
            return Err(ModuleError::new(F, "execute_parse"));
        };
        let mut publish = Vec::new();
        for acl in acl_list(pub_acls, F)? {
            let a = parse_acl(acl, true, user, cid, mp)?;
            publish.push(PubAcl {
                pattern: a.pattern,
                max_qos: a.max_qos,
                max_payload_size: a.max_payload_size,
                allowed_retain: a.allowed_retain,
                modifiers: a.modifiers,
            });
        }
        let mut subscribe = Vec::new();
        for acl in acl_list(sub_acls, F)? {
            let a = parse_acl(acl, false, user, cid, mp)?;
            subscribe.push(SubAcl { pattern: a.pattern, max_qos: a.max_qos, modifiers: a.modifiers });
        }
        self.insert_row(mp, cid, CacheRow { publish, subscribe });
        Ok(PValue::Bool(true))
    }

    fn latest(&self, mp: &[u8], cid: &[u8]) -> Option<Arc<CacheRow>> {
        let rows = self.rows.read().unwrap_or_else(|e| e.into_inner());
        rows.get(&(mp.to_vec(), cid.to_vec()))?.back().cloned()
    }

    /// Is there an entry for the client?
    pub fn has_entry(&self, mp: &[u8], cid: &[u8]) -> bool {
        self.latest(mp, cid).is_some()
    }

    /// Match a publish; `None` when the client has no entry.
    pub fn match_publish(&self, mp: &[u8], cid: &[u8], topic_name: &str, qos: u8, payload_len: usize, retain: bool) -> Option<AclMatch> {
        let row = self.latest(mp, cid)?;
        for acl in &row.publish {
            let Some(p) = &acl.pattern else { continue };
            if qos <= acl.max_qos
                && payload_len as i64 <= acl.max_payload_size
                && (!retain || acl.allowed_retain)
                && topic::matches(p, topic_name)
            {
                return Some(match &acl.modifiers {
                    Some(m) => AclMatch::Modifiers(m.clone()),
                    None => AclMatch::Allowed,
                });
            }
        }
        Some(AclMatch::Denied)
    }

    /// Match a subscription; `None` when the client has no entry.
    pub fn match_subscribe(&self, mp: &[u8], cid: &[u8], filter: &str, qos: u8) -> Option<AclMatch> {
        let row = self.latest(mp, cid)?;
        for acl in &row.subscribe {
            let Some(p) = &acl.pattern else { continue };
            if qos <= acl.max_qos && topic::matches(p, filter) {
                return Some(match &acl.modifiers {
                    Some(m) => AclMatch::Modifiers(m.clone()),
                    None => AclMatch::Allowed,
                });
            }
        }
        Some(AclMatch::Denied)
    }

    /// `auth_cache.match_publish(mp, client_id, topic, qos, payload, retain)`.
    pub fn lua_match_publish(&self, args: &[PValue]) -> Result<PValue, ModuleError> {
        const F: &str = "auth_cache.match_publish";
        let a = |i: usize| args.get(i).unwrap_or(&PValue::Nil);
        let (Some(mp), Some(cid), Some(t), Some(qos), Some(payload), Some(retain)) =
            (a(0).as_bytes(), a(1).as_bytes(), a(2).as_bytes(), a(3).as_num(), a(4).as_bytes(), a(5).as_bool())
        else {
            return Err(ModuleError::new(F, "execute_parse"));
        };
        if !topic::is_valid_publish_topic(t) {
            return Err(ModuleError::new(F, "execute_parse: invalid topic"));
        }
        let t = String::from_utf8_lossy(t);
        let qos = qos.trunc().clamp(0.0, 255.0) as u8;
        Ok(self.match_publish(mp, cid, &t, qos, payload.len(), retain).unwrap_or(AclMatch::Denied).to_lua())
    }

    /// `auth_cache.match_subscribe(mp, client_id, topic, qos)`.
    pub fn lua_match_subscribe(&self, args: &[PValue]) -> Result<PValue, ModuleError> {
        const F: &str = "auth_cache.match_subscribe";
        let a = |i: usize| args.get(i).unwrap_or(&PValue::Nil);
        let (Some(mp), Some(cid), Some(t), Some(qos)) = (a(0).as_bytes(), a(1).as_bytes(), a(2).as_bytes(), a(3).as_num()) else {
            return Err(ModuleError::new(F, "execute_parse"));
        };
        if !topic::is_valid_subscribe_topic(t) {
            return Err(ModuleError::new(F, "execute_parse: invalid topic"));
        }
        let t = String::from_utf8_lossy(t);
        let qos = qos.trunc().clamp(0.0, 255.0) as u8;
        Ok(self.match_subscribe(mp, cid, &t, qos).unwrap_or(AclMatch::Denied).to_lua())
    }

    /// Dispatch `auth_cache.<function>(args...)`.
    pub fn call(&self, function: &str, args: &[PValue]) -> Result<PValue, ModuleError> {
        let a = |i: usize| args.get(i).unwrap_or(&PValue::Nil);
        match function {
            "insert" => self.insert(a(0), a(1), a(2), a(3), a(4)),
            "match_publish" => self.lua_match_publish(args),
            "match_subscribe" => self.lua_match_subscribe(args),
            _ => Err(ModuleError::new("auth_cache", format!("no function {function}"))),
        }
    }

    /// Delete the oldest row of the client (one row per call).
    pub fn clear_oldest(&self, mp: &[u8], cid: &[u8]) {
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let key = (mp.to_vec(), cid.to_vec());
        if let Some(q) = rows.get_mut(&key) {
            q.pop_front();
            if q.is_empty() {
                rows.remove(&key);
            }
        }
    }

    /// Drop everything (tests).
    pub fn clear(&self) {
        self.rows.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// `(publish ACLs, subscribe ACLs)` of the client's latest row
    /// (`vmq_diversity_cache:entries/2`); `(0, 0)` when none.
    pub fn entries(&self, mp: &[u8], cid: &[u8]) -> (usize, usize) {
        self.latest(mp, cid).map(|r| (r.publish.len(), r.subscribe.len())).unwrap_or((0, 0))
    }

    /// What runs before the scripts (§4): for publish/subscribe/unsubscribe
    /// hooks, the cached decision (`Some`) or `None` when the client has no
    /// entry (run the scripts); for offline/gone/expired, delete the oldest
    /// row and return `None` (the scripts still run).
    pub fn before_hook(&self, hook: Hook, args: &HookArgs) -> Option<HookResult> {
        let mp = args.mountpoint().as_bytes();
        let cid = args.client_id().as_bytes();
        match (hook, args) {
            (Hook::AuthOnPublish | Hook::AuthOnPublishM5, HookArgs::Publish(a)) => {
                let len = a.payload.as_ref().map_or(0, Vec::len);
                Some(match self.match_publish(mp, cid, &a.topic, a.qos, len, a.retain)? {
                    AclMatch::Allowed => HookResult::Ok,
                    AclMatch::Denied => HookResult::Error(HookError::NotAuthorized),
                    AclMatch::Modifiers(Modifiers::Map(mut m)) => {
                        if hook == Hook::AuthOnPublishM5 {
                            if let Some(ModValue::Properties(p)) = m.remove("properties") {
                                m.insert("properties".into(), ModValue::Properties(merge_properties(a.properties.as_ref(), p)));
                            }
                        }
                        HookResult::OkModifiers(Modifiers::Map(m))
                    }
                    AclMatch::Modifiers(other) => HookResult::OkModifiers(other),
                })
            }
            (Hook::AuthOnSubscribe | Hook::AuthOnSubscribeM5, HookArgs::Subscribe(a)) => {
                if !self.has_entry(mp, cid) {
                    return None;
                }
                // None: nothing yet; Some(None): all plain; Some(Some(l)): modifiers.
                let mut acc: Option<Option<Vec<_>>> = None;
                for t in &a.topics {
                    let qos = t.qos.clamp(0, 255) as u8;
                    match self.match_subscribe(mp, cid, &t.topic, qos)? {
                        AclMatch::Denied => return Some(HookResult::Error(HookError::NotAuthorized)),
                        AclMatch::Allowed => acc = Some(None),
                        AclMatch::Modifiers(Modifiers::SubTopics(l)) => match &mut acc {
                            Some(None) => return Some(HookResult::Error(HookError::NotAuthorized)),
                            Some(Some(all)) => all.extend(l),
                            None => acc = Some(Some(l)),
                        },
                        AclMatch::Modifiers(_) => acc = Some(None),
                    }
                }
                Some(match acc.flatten() {
                    None => HookResult::Ok,
                    Some(l) if hook == Hook::AuthOnSubscribe => HookResult::OkModifiers(Modifiers::SubTopics(l)),
                    Some(l) => {
                        HookResult::OkModifiers(Modifiers::Map([("topics".to_string(), ModValue::SubTopics(l))].into_iter().collect()))
                    }
                })
            }
            (Hook::OnUnsubscribe | Hook::OnUnsubscribeM5, HookArgs::Unsubscribe(a)) => {
                if !self.has_entry(mp, cid) {
                    return None;
                }
                // VerneMQ's fold: a plain match replaces what came before
                // (`true`), modifier topics are appended to a list; a list
                // after `true` crashes VerneMQ's session (`true ++ List`),
                // here it is the same `error` as a non-match. Every
                // rewritten topic counts, whatever its qos.
                let mut acc: Option<Vec<String>> = Some(Vec::new());
                for t in &a.topics {
                    match self.match_subscribe(mp, cid, t, 0)? {
                        AclMatch::Denied => return Some(HookResult::Error(HookError::Other("error".into()))),
                        AclMatch::Modifiers(Modifiers::SubTopics(l)) => match &mut acc {
                            Some(list) => list.extend(l.into_iter().map(|s| s.topic)),
                            None => return Some(HookResult::Error(HookError::Other("error".into()))),
                        },
                        AclMatch::Allowed | AclMatch::Modifiers(_) => acc = None,
                    }
                }
                Some(match acc {
                    Some(list) if !list.is_empty() => HookResult::OkModifiers(Modifiers::UnsubTopics(list)),
                    _ => HookResult::Ok,
                })
            }
            (Hook::OnClientOffline | Hook::OnClientGone | Hook::OnSessionExpired, _) => {
                self.clear_oldest(mp, cid);
                None
            }
            _ => None,
        }
    }
}
