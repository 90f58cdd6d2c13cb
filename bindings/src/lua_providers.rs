//! The provider modules (`mysql`, `mysql2`, `postgres`, `cockroachdb`,
//! `mongodb`, `redis`, `memcached`, `http`) as Lua globals.
//!
//! Every function of [`providers::MODULES`](crate::providers::MODULES) is
//! an async Lua function: its arguments are converted to `PValue`s
//! ([`crate::luaconv`]), passed to the engine's shared
//! [`Providers::call`], and the result converted back. While the provider
//! waits on its server the calling coroutine is suspended and holds no OS
//! thread (the hook must run through `call_async`/`exec_async`, which the
//! engine does).
//!
//! A provider error is raised as a plain Lua string error at the caller's
//! position, catchable with `pcall`: `script.lua:12: postgres.execute:
//! connection refused`. An argument with no `PValue` form (a function, a
//! cyclic table) is the error `<module>.<function>: bad argument: ...`.

use std::sync::Arc;

use oxilua::prelude::*;

use crate::luaconv;
use crate::providers::{Providers, MODULES};

/// Turns `(ok, value_or_message)` from the raw host function into a return
/// value or an error raised at the caller's level.
const RAISE_SHIM: &str = r#"
local raw = ...
local error = error
return function(...)
  local ok, v = raw(...)
  if ok then return v end
  error(v, 2)
end
"#;

/// Set the provider globals of `lua`, all backed by `providers`.
pub fn install(lua: &Lua, providers: &Arc<Providers>) -> LuaResult<()> {
    let shim: LuaFunction = lua.load(RAISE_SHIM).set_name("=vmq_diversity").into_function()?;
    let g = lua.globals();
    for &(module, functions) in MODULES {
        let t = lua.create_table()?;
        for &function in functions {
            let p = providers.clone();
            let raw = lua.create_async_function(move |lua: Lua, args: LuaMultiValue| {
                let conv = luaconv::from_lua_multi(&args);
                let p = p.clone();
                async move {
                    let out = match conv {
                        Ok(a) => p.call(module, function, &a).await.map_err(|e| e.to_string()),
                        Err(e) => Err(format!("{module}.{function}: bad argument: {e}")),
                    };
                    Ok(match out {
                        Ok(v) => (true, luaconv::to_lua(&lua, &v)?),
                        Err(m) => (false, LuaValue::String(lua.create_string(m)?)),
                    })
                }
            })?;
            let wrapped: LuaFunction = shim.call(raw)?;
            t.raw_set(function, wrapped)?;
        }
        g.raw_set(module, t)?;
    }
    Ok(())
}
