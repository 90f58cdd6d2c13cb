use oxilua::prelude::*;
use std::sync::Arc;

#[test]
fn callbacks_with_tuple_args() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.create_function(|_, (a, b): (String, i64)| Ok(format!("{a}{b}")))?;
    lua.globals().set("f", f)?;
    assert_eq!(lua.load("f('x', 3)").eval::<String>()?, "x3");
    let mut n = 0;
    let counter = lua.create_function_mut(move |_, ()| {
        n += 1;
        Ok(n)
    })?;
    counter.call::<()>(())?;
    assert_eq!(counter.call::<i32>(())?, 2);
    Ok(())
}

#[test]
fn lua_errors_are_runtime_errors() {
    let lua = Lua::new();
    match lua.load("error('boom')").set_name("chunk").exec() {
        Err(LuaError::RuntimeError(m)) => assert_eq!(m, "chunk:1: boom"),
        other => panic!("{other:?}"),
    }
    match lua.load("local x = nil; return x.y").exec() {
        Err(LuaError::RuntimeError(m)) => assert!(m.contains("attempt to index"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn syntax_errors_and_incomplete_input() {
    let lua = Lua::new();
    match lua.load("x = ").exec() {
        Err(LuaError::SyntaxError { incomplete_input, .. }) => assert!(incomplete_input),
        other => panic!("{other:?}"),
    }
    match lua.load("x = = 1").exec() {
        Err(LuaError::SyntaxError { incomplete_input, .. }) => assert!(!incomplete_input),
        other => panic!("{other:?}"),
    }
}

#[test]
fn callback_errors_cross_lua() -> LuaResult<()> {
    let lua = Lua::new();
    let fail = lua.create_function(|_, ()| -> LuaResult<()> { Err(LuaError::RuntimeError("nope".into())) })?;
    lua.globals().set("fail", fail.clone())?;
    // pcall catches it and sees a value whose tostring is the message
    let (ok, msg): (bool, String) = lua.load("local ok, e = pcall(fail) return ok, tostring(e)").eval()?;
    assert!(!ok);
    assert!(msg.starts_with("runtime error: nope"), "{msg}");
    // from Rust: a CallbackError whose cause is the original error
    match fail.call::<()>(()) {
        Err(LuaError::CallbackError { cause, .. }) => assert!(matches!(&*cause, LuaError::RuntimeError(m) if m == "nope")),
        other => panic!("{other:?}"),
    }
    // through a script too, and error objects rethrown by scripts keep their identity
    let e = lua.load("local ok, e = pcall(fail) error(e)").exec().unwrap_err();
    assert!(matches!(e.root_cause(), LuaError::RuntimeError(m) if m == "nope"));
    Ok(())
}

#[derive(Debug)]
struct MyErr;
impl std::fmt::Display for MyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "my error")
    }
}
impl std::error::Error for MyErr {}

#[test]
fn external_errors_and_context() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.create_function(|_, ()| -> LuaResult<()> { Err(MyErr.into_lua_err()).context("while testing") })?;
    let e = f.call::<()>(()).unwrap_err();
    assert!(e.downcast_ref::<MyErr>().is_some());
    let s = e.to_string();
    assert!(s.starts_with("my error"), "root cause first: {s}");
    assert!(s.contains("while testing"));
    let r: Result<(), std::io::Error> = Err(std::io::Error::other("io"));
    assert!(matches!(r.into_lua_err(), Err(LuaError::ExternalError(_))));
    Ok(())
}

#[test]
fn bad_argument_names_position() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.create_function(|_, (_a, _b): (i32, i32)| Ok(()))?;
    match f.call::<()>((1, "x")) {
        Err(LuaError::CallbackError { cause, .. }) => match &*cause {
            LuaError::BadArgument { pos, .. } => assert_eq!(*pos, 2),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[test]
fn nested_calls_from_callbacks() -> LuaResult<()> {
    let lua = Lua::new();
    lua.load("function twice(x) return x * 2 end").exec()?;
    let f = lua.create_function(|lua, x: i64| {
        let twice: LuaFunction = lua.globals().get("twice")?;
        let t = lua.create_table()?;
        t.set("v", twice.call::<i64>(x)?)?;
        t.get::<i64>("v")
    })?;
    lua.globals().set("f", f)?;
    assert_eq!(lua.load("f(f(1))").eval::<i64>()?, 4);
    Ok(())
}

#[test]
fn eval_call_into_function_env() -> LuaResult<()> {
    let lua = Lua::new();
    assert_eq!(lua.load("1 + 2").eval::<i32>()?, 3);
    assert_eq!(lua.load("local a = 5 return a").eval::<i32>()?, 5);
    assert_eq!(lua.load("return ... + 1").call::<i32>(41)?, 42);
    let f = lua.load("return 7").into_function()?;
    assert_eq!(f.call::<i32>(())?, 7);
    let env = lua.create_table()?;
    lua.load("z = 3").set_environment(env.clone()).exec()?;
    assert_eq!(env.get::<i32>("z")?, 3);
    assert!(lua.globals().get::<Option<i32>>("z")?.is_none());
    let b = f.bind(1)?;
    assert_eq!(b.call::<i32>(())?, 7);
    Ok(())
}

#[test]
fn threads_resume_and_status() -> LuaResult<()> {
    let lua = Lua::new();
    let f: LuaFunction = lua.load("function() for i = 1, 3 do coroutine.yield(i) end return 'done' end").eval()?;
    let co = lua.create_thread(f)?;
    for i in 1..=3 {
        assert_eq!(co.resume::<i32>(())?, i);
        assert_eq!(co.status(), LuaThreadStatus::Resumable);
    }
    assert_eq!(co.resume::<String>(())?, "done");
    assert_eq!(co.status(), LuaThreadStatus::Finished);
    assert!(matches!(co.resume::<()>(()), Err(LuaError::CoroutineUnresumable)));
    let bad: LuaFunction = lua.load("function() error('x') end").eval()?;
    let co2 = lua.create_thread(bad)?;
    assert!(co2.resume::<()>(()).is_err());
    assert_eq!(co2.status(), LuaThreadStatus::Error);
    // the main state is fine afterwards
    assert_eq!(lua.load("1+1").eval::<i32>()?, 2);
    Ok(())
}

#[test]
fn panics_become_errors() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.create_function(|_, ()| -> LuaResult<()> { panic!("oops") })?;
    let e = f.call::<()>(()).unwrap_err();
    assert!(e.to_string().contains("oops"));
    let _ = Arc::new(());
    assert_eq!(lua.load("1+1").eval::<i32>()?, 2);
    Ok(())
}

/// Garbage made through the API (argument tables built by the host) is
/// collected even when the called function allocates nothing: host calls
/// check for a due collection on entry.
#[test]
fn host_calls_collect_the_garbage_of_their_arguments() {
    let lua = Lua::new();
    let f: LuaFunction = lua.load("return function(t) return t.a == 1 end").eval().unwrap();
    let mut peak = 0;
    for i in 0..60_000 {
        let t = lua.create_table().unwrap();
        t.set("a", 1).unwrap();
        t.set("payload", format!("message number {i} with some padding to make it longer")).unwrap();
        assert!(f.call::<bool>(t).unwrap());
        peak = peak.max(lua.used_memory());
    }
    // without collections this is tens of MiB
    assert!(peak < 8 << 20, "heap grew to {peak} bytes");
}

/// A host that builds values through the API without ever calling Lua has
/// its garbage collected too (table and string creation are safepoints).
#[test]
fn api_only_allocation_is_collected() {
    let lua = Lua::new();
    let mut peak = 0;
    for i in 0..100_000 {
        let t = lua.create_table().unwrap();
        t.set("payload", format!("message number {i} with some padding to make it longer")).unwrap();
        let s = lua.create_string(format!("string {i} with padding, padding, padding")).unwrap();
        t.set("s", s).unwrap();
        peak = peak.max(lua.used_memory());
    }
    // without collections this is tens of MiB
    assert!(peak < 8 << 20, "heap grew to {peak} bytes");
}

/// A handle passed as an argument is checked against the called state
/// (also on the one-lock path of `call`).
#[test]
fn handles_of_another_state_are_refused() -> LuaResult<()> {
    let a = Lua::new();
    let b = Lua::new();
    let t = a.create_table()?;
    t.set("x", 1)?;
    let f: LuaFunction = b.load("function(t) return type(t) end").eval()?;
    let e = f.call::<String>(t.clone()).unwrap_err();
    assert!(matches!(e, LuaError::MismatchedState), "{e:?}");
    let g: LuaFunction = a.load("function(t) return t.x end").eval()?;
    assert_eq!(g.call::<i64>(t)?, 1);
    Ok(())
}

/// A call made by a callback runs under the limits of the running call:
/// it does not re-arm the state's instruction budget.
#[test]
fn calls_from_callbacks_keep_the_running_limits() -> LuaResult<()> {
    let lua = Lua::new();
    let spin: LuaFunction = lua.load("function(n) for i = 1, n do end end").eval()?;
    let call_spin = lua.create_function(move |_, n: i64| spin.call::<()>(n))?;
    lua.globals().set("call_spin", call_spin)?;
    lua.set_limits(LuaLimits { instructions: Some(200_000), ..Default::default() });
    // each inner call alone is well under the budget, all of them are not
    let e = lua.load("for i = 1, 100 do call_spin(10000) end").exec().unwrap_err();
    assert!(matches!(e, LuaError::InstructionLimit) || e.to_string().contains("instruction"), "{e:?}");
    lua.load("call_spin(10000)").exec()?;
    Ok(())
}
