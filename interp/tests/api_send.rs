use oxilua::prelude::*;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn types_are_send_and_sync() {
    assert_send_sync::<Lua>();
    assert_send_sync::<LuaTable>();
    assert_send_sync::<LuaFunction>();
    assert_send_sync::<LuaValue>();
    assert_send_sync::<LuaError>();
    assert_send_sync::<LuaRegistryKey>();
}

#[test]
fn move_state_to_another_thread() -> LuaResult<()> {
    let lua = Lua::new();
    lua.load("counter = 0 function bump() counter = counter + 1 return counter end").exec()?;
    let bump: LuaFunction = lua.globals().get("bump")?;
    let h = std::thread::spawn(move || {
        let f = lua.create_function(|_, x: i32| Ok(x * 3))?;
        lua.globals().set("triple", f)?;
        let n: i32 = lua.load("triple(bump())").eval()?;
        Ok::<_, LuaError>((lua, n))
    });
    let (lua, n) = h.join().unwrap()?;
    assert_eq!(n, 3);
    assert_eq!(bump.call::<i32>(())?, 2);
    assert_eq!(lua.load("counter").eval::<i32>()?, 2);
    Ok(())
}

#[test]
fn shared_between_threads_serialises() -> LuaResult<()> {
    let lua = Lua::new();
    lua.load("n = 0").exec()?;
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let lua = lua.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    lua.load("n = n + 1").exec().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(lua.load("n").eval::<i32>()?, 1600);
    Ok(())
}

/// Many short API calls from several threads: the lock is taken and
/// released tens of thousands of times under contention (the release path
/// is a plain store, waiters recover from a missed wake-up by themselves).
#[test]
fn contended_short_calls_stay_exclusive() -> LuaResult<()> {
    let lua = Lua::new();
    let inc = lua.load("n = 0 return function() n = n + 1 end").eval::<LuaFunction>()?;
    let t = lua.create_table()?;
    let handles: Vec<_> = (0..4u32)
        .map(|id| {
            let (inc, t) = (inc.clone(), t.clone());
            std::thread::spawn(move || {
                for i in 0..20_000u32 {
                    inc.call::<()>(()).unwrap();
                    t.set(id * 100_000 + i, i).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(lua.globals().get::<u32>("n")?, 80_000);
    assert_eq!(lua.load("local c = 0 for _ in pairs(...) do c = c + 1 end return c").call::<u32>(t)?, 80_000);
    Ok(())
}

#[test]
fn pool_of_states_across_threads() {
    let states: Vec<Lua> = (0..4).map(|_| Lua::new()).collect();
    let hs: Vec<_> = states
        .into_iter()
        .enumerate()
        .map(|(i, lua)| std::thread::spawn(move || lua.load(format!("return {i} * 10")).eval::<i32>().unwrap()))
        .collect();
    let r: Vec<i32> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(r, vec![0, 10, 20, 30]);
}
