//! A guided tour of the oxilua embedding API.
//!
//! Run with `cargo run -p oxilua --example tour`. Each section prints what
//! it does; the assertions document the expected outcome.

use oxilua::prelude::*;
use std::time::{Duration, Instant};

fn section(title: &str) {
    println!("\n== {title} ==");
}

fn main() -> LuaResult<()> {
    // ------------------------------------------------------------------
    section("1. A state and some code");
    // `Lua::new()` opens the safe standard libraries (everything but `debug`).
    // For untrusted code use `Lua::new_with(LuaStdLib::SANDBOX, ...)` (below).
    let lua = Lua::new();
    lua.load("print('hello from Lua ' .. _VERSION)").set_name("hello").exec()?;
    // `eval` runs an expression (or a block) and converts its results.
    let (a, b): (i64, String) = lua.load("6 * 7, ('x'):rep(3)").eval()?;
    println!("eval -> {a}, {b}");

    // ------------------------------------------------------------------
    section("2. Values both ways");
    let globals = lua.globals();
    globals.set("name", "world")?;
    globals.set("primes", vec![2, 3, 5, 7])?;
    let config = lua.create_table()?;
    config.set("retries", 3)?;
    config.set("verbose", true)?;
    globals.set("config", config)?;
    lua.load(
        r#"
        greeting = "hello " .. name
        total = 0
        for _, p in ipairs(primes) do total = total + p end
        config.retries = config.retries + 1
        "#,
    )
    .exec()?;
    let greeting: String = globals.get("greeting")?;
    let total: u32 = globals.get("total")?;
    let config: LuaTable = globals.get("config")?;
    println!("greeting = {greeting:?}, total = {total}, retries = {}", config.get::<i32>("retries")?);
    assert_eq!(total, 17);
    // Tables iterate from Rust too.
    let scores: LuaTable = lua.load("{ ada = 3, bob = 5 }").eval()?;
    let mut pairs: Vec<(String, i64)> = scores.pairs::<String, i64>().collect::<LuaResult<_>>()?;
    pairs.sort();
    println!("pairs: {pairs:?}");

    // ------------------------------------------------------------------
    section("3. Rust functions called from Lua");
    // Arguments convert from Lua (tuples for several), results back to Lua.
    let hypot = lua.create_function(|_, (x, y): (f64, f64)| Ok((x * x + y * y).sqrt()))?;
    globals.set("hypot", hypot)?;
    // A closure with state: FnMut through create_function_mut.
    let mut calls = 0;
    let counter = lua.create_function_mut(move |_, ()| {
        calls += 1;
        Ok(calls)
    })?;
    globals.set("next_id", counter)?;
    let r: (f64, i32, i32) = lua.load("hypot(3, 4), next_id(), next_id()").eval()?;
    println!("hypot(3, 4) = {}, ids {} and {}", r.0, r.1, r.2);
    // Lua functions are called from Rust the same way.
    let join: LuaFunction = lua.load("function(sep, ...) return table.concat({...}, sep) end").eval()?;
    println!("join -> {}", join.call::<String>(("-", "a", "b", "c"))?);

    // ------------------------------------------------------------------
    section("4. Userdata: Rust values with methods");
    #[derive(Debug)]
    struct Account {
        owner: String,
        balance: i64,
    }
    impl LuaUserData for Account {
        fn add_fields<F: LuaUserDataFields<Self>>(f: &mut F) {
            f.add_field_method_get("owner", |_, a| Ok(a.owner.clone()));
            f.add_field_method_get("balance", |_, a| Ok(a.balance));
        }
        fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
            m.add_method_mut("deposit", |_, a, amount: i64| {
                a.balance += amount;
                Ok(a.balance)
            });
            m.add_method_mut("withdraw", |_, a, amount: i64| {
                if amount > a.balance {
                    return Err(LuaError::runtime(format!("insufficient funds: {} < {amount}", a.balance)));
                }
                a.balance -= amount;
                Ok(a.balance)
            });
            m.add_meta_method(LuaMetaMethod::ToString, |_, a, ()| Ok(format!("Account({}, {})", a.owner, a.balance)));
        }
    }
    globals.set("acct", Account { owner: "ada".into(), balance: 100 })?;
    let out: String = lua
        .load(
            r#"
            acct:deposit(50)
            local ok, err = pcall(acct.withdraw, acct, 1000)
            return tostring(acct) .. " / withdraw failed: " .. tostring(not ok)
            "#,
        )
        .eval()?;
    println!("{out}");
    // The host still owns the data: borrow it back.
    let ud: LuaAnyUserData = globals.get("acct")?;
    println!("balance seen from Rust: {}", ud.borrow::<Account>()?.balance);
    assert_eq!(ud.borrow::<Account>()?.balance, 150);

    // ------------------------------------------------------------------
    section("5. Errors");
    // A Lua error comes back as LuaError::RuntimeError with the message.
    match lua.load("error('boom')").set_name("script").exec() {
        Err(LuaError::RuntimeError(msg)) => println!("runtime error caught: {msg}"),
        other => panic!("expected a runtime error, got {other:?}"),
    }
    // A syntax error says whether more input could complete it.
    match lua.load("for i = 1, 3 do").exec() {
        Err(LuaError::SyntaxError { message, incomplete_input }) => {
            println!("syntax error (incomplete: {incomplete_input}): {message}")
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    // An error from a Rust callback keeps its cause across Lua.
    let fails = lua.create_function(|_, ()| -> LuaResult<()> { Err(LuaError::runtime("from Rust")) })?;
    let err = fails.call::<()>(()).unwrap_err();
    println!("callback error, root cause: {}", err.root_cause());
    // ...and scripts can catch it with pcall.
    globals.set("fails", fails)?;
    let caught: bool = lua.load("not pcall(fails)").eval()?;
    assert!(caught);

    // ------------------------------------------------------------------
    section("6. Sandboxing and limits");
    let sandbox = Lua::new_with(LuaStdLib::SANDBOX, LuaOptions::new())?;
    let has_files: bool = sandbox.load("io.open ~= nil or os.execute ~= nil").eval()?;
    println!("file/process access in the sandbox: {has_files}");
    sandbox.set_limits(LuaLimits {
        instructions: Some(1_000_000),
        memory: Some(4 << 20),
        deadline: Some(Duration::from_secs(2)),
        ..Default::default()
    });
    let started = Instant::now();
    let err = sandbox.load("while true do end").exec().unwrap_err();
    println!("runaway loop stopped after {:?}: {err}", started.elapsed());
    assert!(matches!(err, LuaError::InstructionLimit));
    let err = sandbox.load("local t = {} while true do t[#t + 1] = ('x'):rep(1000) .. #t end").exec().unwrap_err();
    println!("memory hog stopped: {err}");
    assert!(err.is_limit());
    // The state stays usable after a limit error.
    println!("afterwards: 1 + 1 = {}", sandbox.load("1 + 1").eval::<i32>()?);
    // An interrupt callback can stop a script from outside (e.g. on shutdown).
    let stop_at = Instant::now() + Duration::from_millis(50);
    sandbox.set_limits(LuaLimits::default());
    sandbox.set_interrupt(move || Instant::now() >= stop_at);
    let err = sandbox.load("while true do end").exec().unwrap_err();
    println!("interrupted: {err}");
    sandbox.remove_interrupt();

    // ------------------------------------------------------------------
    #[cfg(feature = "serde")]
    {
        section("7. Serde: any Rust data in, any Rust data out");
        #[derive(serde::Serialize, serde::Deserialize, Debug)]
        struct Job {
            id: u32,
            tags: Vec<String>,
            owner: Option<String>,
        }
        let job = Job { id: 9, tags: vec!["urgent".into()], owner: None };
        globals.set("job", lua.to_value(&job)?)?;
        globals.set("null", lua.null())?;
        lua.load("job.tags[#job.tags + 1] = 'reviewed'; if job.owner == null then job.owner = 'ada' end").exec()?;
        let job: Job = lua.from_value(globals.get("job")?)?;
        println!("{job:?}");
        assert_eq!(job.owner.as_deref(), Some("ada"));
    }

    println!("\ntour complete");
    Ok(())
}
