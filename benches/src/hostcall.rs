//! The host→Lua call shapes measured by the `hooks` bench (and checked by
//! `tests/hostcall.rs`), kept here so that the bench and its test build the
//! very same calls.
//!
//! The shapes follow what a broker does for every MQTT event: build the
//! hook's argument table on the host, call the script's hook function, and
//! convert what it returns.

use oxilua::prelude::*;

/// A small `auth_on_publish` hook: reads three fields, returns `true`.
pub const PUBLISH_ACCEPT: &str = r#"
return function(pub)
  if pub.username == "device" and pub.qos < 2 and not pub.retain then
    return true
  end
  return false
end
"#;

/// A hook returning a modifiers table (a rewritten topic).
pub const PUBLISH_MODIFIERS: &str = r#"
return function(pub)
  return { topic = "devices/" .. pub.client_id .. "/" .. pub.topic }
end
"#;

/// The values of one `auth_on_publish` call, as the broker has them.
#[derive(Clone, Debug)]
pub struct Publish {
    pub username: &'static str,
    pub client_id: &'static str,
    pub mountpoint: &'static str,
    pub topic: &'static str,
    pub payload: &'static [u8],
    pub qos: u8,
    pub retain: bool,
}

/// The sample publish used by every bench.
pub const SAMPLE: Publish = Publish {
    username: "device",
    client_id: "sensor-17",
    mountpoint: "",
    topic: "sensors/temperature",
    payload: b"21.5",
    qos: 1,
    retain: false,
};

/// Build the 7-field argument table the way an embedder would.
pub fn publish_table(lua: &Lua, p: &Publish) -> LuaResult<LuaTable> {
    let t = lua.create_table_with_capacity(0, 7)?;
    t.set("username", p.username)?;
    t.set("client_id", p.client_id)?;
    t.set("mountpoint", p.mountpoint)?;
    t.set("topic", p.topic)?;
    t.set("payload", p.payload)?;
    t.set("qos", p.qos)?;
    t.set("retain", p.retain)?;
    Ok(t)
}

/// A state holding the hook functions of this module.
pub struct Hooks {
    pub lua: Lua,
    pub accept: LuaFunction,
    pub modifiers: LuaFunction,
    pub empty: LuaFunction,
}

impl Hooks {
    pub fn new() -> LuaResult<Hooks> {
        let lua = Lua::new();
        let accept = lua.load(PUBLISH_ACCEPT).set_name("=accept").call::<LuaFunction>(())?;
        let modifiers = lua.load(PUBLISH_MODIFIERS).set_name("=modifiers").call::<LuaFunction>(())?;
        let empty = lua.load("return function() end").set_name("=empty").call::<LuaFunction>(())?;
        Ok(Hooks { lua, accept, modifiers, empty })
    }

    /// `hook [auth_on_publish]`: table built on the host, `true` back.
    pub fn publish_accept(&self, p: &Publish) -> LuaResult<bool> {
        let t = publish_table(&self.lua, p)?;
        self.accept.call::<bool>(t)
    }

    /// `hook [auth_on_publish] modifiers`: a table back, one field read out.
    pub fn publish_modifiers(&self, p: &Publish) -> LuaResult<String> {
        let t = publish_table(&self.lua, p)?;
        let m = self.modifiers.call::<LuaTable>(t)?;
        m.get::<String>("topic")
    }

    /// `call [bare]`: `f:call::<()>(())` on an empty Lua function.
    pub fn bare(&self) -> LuaResult<()> {
        self.empty.call::<()>(())
    }
}

/// A new state with the standard library and its `collectgarbage("count")`
/// in KiB.
pub fn new_state_kib() -> LuaResult<(Lua, f64)> {
    let lua = Lua::new();
    let kib = lua.load("return collectgarbage('count')").eval::<f64>()?;
    Ok((lua, kib))
}

/// Scripts timed phase by phase: (name, source, set-up run before executing).
/// The set-up defines what the script needs from its host: `arg` for the
/// benchmark programs (small sizes), a stub `kv` for the VerneMQ plugin, and
/// a silent `print`.
pub fn phase_scripts(workspace: &std::path::Path) -> std::io::Result<Vec<(&'static str, Vec<u8>, &'static str)>> {
    let read = |p: &str| std::fs::read(workspace.join(p));
    Ok(vec![
        ("plugin.lua", read("bindings/examples/plugin.lua")?, "print = function() end kv = { ensure_table = function() end }"),
        ("fib.lua", read("benches/lua/fib.lua")?, "print = function() end arg = { 15 }"),
        ("json.lua", read("benches/lua/json.lua")?, "print = function() end arg = { 1 }"),
    ])
}
