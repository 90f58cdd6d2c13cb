use oxilua::prelude::*;
use std::time::{Duration, Instant};

fn sandbox(limits: LuaLimits) -> Lua {
    let lua = Lua::new_with(LuaStdLib::SANDBOX, LuaOptions::new()).unwrap();
    lua.set_limits(limits);
    lua
}

fn still_works(lua: &Lua) {
    assert_eq!(lua.load("return 1+1").eval::<i32>().unwrap(), 2);
}

#[test]
fn infinite_loop_hits_fuel() {
    let lua = sandbox(LuaLimits { instructions: Some(10_000_000), ..Default::default() });
    let t = Instant::now();
    assert!(matches!(lua.load("while true do end").exec(), Err(LuaError::InstructionLimit)));
    assert!(t.elapsed() < Duration::from_secs(10));
    still_works(&lua);
    // pcall does not swallow the limit
    assert!(matches!(lua.load("pcall(function() while true do end end) return 1").exec(), Err(LuaError::InstructionLimit)));
    still_works(&lua);
}

#[test]
fn deadline() {
    let lua = sandbox(LuaLimits { deadline: Some(Duration::from_millis(100)), ..Default::default() });
    let t = Instant::now();
    assert!(matches!(lua.load("while true do end").exec(), Err(LuaError::Timeout)));
    assert!(t.elapsed() < Duration::from_secs(5));
    still_works(&lua);
}

#[test]
fn huge_string_rep_under_memory_limit() {
    let lua = sandbox(LuaLimits { memory: Some(64 << 20), instructions: Some(100_000_000), ..Default::default() });
    let e = lua.load("return string.rep('x', 2^30)").exec().unwrap_err();
    assert!(e.is_limit() || matches!(e, LuaError::RuntimeError(_)), "{e:?}");
    // 2^40 converts to a C int like PUC's luaL_checkint: an error or a short result, never an abort
    let _ = lua.load("return string.rep('x', 2^40)").exec();
    still_works(&lua);
}

#[test]
fn table_growth_hits_memory_cap() {
    let lua = sandbox(LuaLimits { memory: Some(32 << 20), instructions: Some(500_000_000), ..Default::default() });
    let e = lua.load("local t = {} while true do t[#t+1] = {} end").exec().unwrap_err();
    assert!(matches!(e, LuaError::MemoryError(_)), "{e:?}");
    lua.gc_collect().unwrap();
    still_works(&lua);
}

#[test]
fn unbounded_recursion() {
    let lua = sandbox(LuaLimits { instructions: Some(100_000_000), ..Default::default() });
    let e = lua.load("local function f() return 1 + f() end return f()").exec().unwrap_err();
    assert!(matches!(e, LuaError::StackOverflow), "{e:?}");
    still_works(&lua);
    let lua = sandbox(LuaLimits { call_depth: Some(100), ..Default::default() });
    let e = lua.load("local function f(n) return 1 + f(n + 1) end return f(1)").exec().unwrap_err();
    assert!(matches!(e, LuaError::StackOverflow), "{e:?}");
    still_works(&lua);
}

#[test]
fn pathological_pattern_hits_fuel() {
    let lua = sandbox(LuaLimits { instructions: Some(10_000_000), ..Default::default() });
    let t = Instant::now();
    let e = lua.load("return string.find(('a'):rep(1e5), ('a*'):rep(1e3)..'b')").exec().unwrap_err();
    // either the fuel runs out or the matcher's own complexity guard fires
    assert!(matches!(&e, LuaError::InstructionLimit) || e.to_string().contains("pattern too complex"), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(20));
    still_works(&lua);
}

#[test]
fn sandbox_has_no_files_or_exit() {
    let lua = sandbox(LuaLimits::default());
    assert!(lua.load("os.exit()").exec().is_err());
    assert!(lua.load("return io.open('/etc/passwd')").exec().is_err());
    assert!(lua.load("os.remove('x')").exec().is_err());
    assert!(lua.load("return debug").eval::<LuaValue>().unwrap().is_nil());
    still_works(&lua);
}

#[test]
fn per_call_limits_and_interrupt() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.load("local n = 0 while true do n = n + 1 end").into_function()?;
    assert!(matches!(
        f.call_with_limits::<()>((), LuaLimits { instructions: Some(1000), ..Default::default() }),
        Err(LuaError::InstructionLimit)
    ));
    assert!(matches!(
        lua.load("while true do end").exec_with_limits(LuaLimits { instructions: Some(1000), ..Default::default() }),
        Err(LuaError::InstructionLimit)
    ));
    let mut calls = 0;
    lua.set_interrupt(move || {
        calls += 1;
        calls > 3
    });
    assert!(matches!(lua.load("while true do end").exec(), Err(LuaError::Interrupted)));
    lua.remove_interrupt();
    still_works(&lua);
    Ok(())
}
