use oxilua::prelude::*;
use std::time::{Duration, Instant};

#[tokio::test]
async fn async_function_suspends_coroutine() -> LuaResult<()> {
    let lua = Lua::new();
    let sleep = lua.create_async_function(|_, ms: u64| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(ms * 2)
    })?;
    lua.globals().set("sleep", sleep)?;
    let f: LuaFunction = lua.load("function(a) local x = sleep(a) local y = sleep(1) return x + y end").eval()?;
    assert_eq!(f.call_async::<u64>(5).await?, 12);
    lua.load("r = sleep(1)").exec_async().await?;
    assert_eq!(lua.load("r").eval::<i32>()?, 2);
    // errors from the future are Lua errors, catchable by pcall
    let fail = lua.create_async_function(|_, ()| async move { Err::<(), _>(LuaError::RuntimeError("late".into())) })?;
    lua.globals().set("fail", fail)?;
    let msg: String = lua.load("local ok, e = pcall(fail) return tostring(e)").eval_async().await?;
    assert!(msg.contains("late"), "{msg}");
    Ok(())
}

#[tokio::test]
async fn async_from_sync_call_is_an_error() -> LuaResult<()> {
    let lua = Lua::new();
    let f = lua.create_async_function(|_, ()| async move { Ok(1) })?;
    lua.globals().set("f", f)?;
    let e = lua.load("f()").exec().unwrap_err();
    assert!(e.to_string().contains("async"), "{e}");
    assert_eq!(lua.load("1+1").eval::<i32>()?, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_calls() -> LuaResult<()> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    // 100 states x 10 interleaved coroutines each
    for _ in 0..100 {
        let lua = Lua::new();
        let sleep = lua.create_async_function(|_, ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        })?;
        lua.globals().set("sleep", sleep)?;
        let f: LuaFunction = lua.load("function(i) sleep(10) return i end").eval()?;
        for i in 0..10 {
            let f = f.clone();
            tasks.push(tokio::spawn(async move { f.call_async::<i32>(i).await }));
        }
    }
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap()?;
    }
    assert_eq!(sum, 100 * 45);
    // Run one after another, the 1,000 sleeps would take 10 s. Finishing in
    // a fraction of that proves the calls were suspended concurrently; the
    // bound is loose on purpose (CI machines are noisy: this is not a speed
    // target, the measured time is printed).
    let took = start.elapsed();
    println!("1000 concurrent async calls took {took:?}");
    assert!(took < Duration::from_secs(5), "calls did not overlap: {took:?}");
    Ok(())
}
