use oxilua::prelude::*;

#[test]
fn get_set_raw_and_meta() -> LuaResult<()> {
    let lua = Lua::new();
    let t = lua.create_table()?;
    t.set(1, "a")?;
    t.set("k", 2)?;
    assert_eq!(t.len()?, 1);
    assert_eq!(t.raw_len(), 1);
    assert!(t.contains_key("k")?);
    assert!(!t.contains_key("nope")?);
    let mt: LuaTable = lua.load("{__index = function(_, k) return k .. '!' end, __len = function() return 99 end}").eval()?;
    t.set_metatable(Some(mt.clone()));
    assert_eq!(t.get::<String>("x")?, "x!");
    assert_eq!(t.raw_get::<Option<String>>("x")?, None);
    assert_eq!(t.len()?, 99);
    assert_eq!(t.raw_len(), 1);
    assert_eq!(t.metatable().unwrap(), mt);
    t.set_metatable(None);
    assert!(t.metatable().is_none());
    Ok(())
}

#[test]
fn pairs_and_sequences() -> LuaResult<()> {
    let lua = Lua::new();
    let t = lua.create_table_from([("a", 1), ("b", 2), ("c", 3)])?;
    let mut keys: Vec<String> = t.pairs::<String, i32>().map(|p| p.unwrap().0).collect();
    keys.sort();
    assert_eq!(keys, ["a", "b", "c"]);
    let s = lua.create_sequence_from(10..15)?;
    let v: Vec<i32> = s.sequence_values::<i32>().collect::<LuaResult<_>>()?;
    assert_eq!(v, vec![10, 11, 12, 13, 14]);
    s.raw_push(15)?;
    assert_eq!(s.raw_len(), 6);
    Ok(())
}

#[test]
fn raw_set_errors() {
    let lua = Lua::new();
    let t = lua.create_table().unwrap();
    assert!(t.raw_set(LuaNil, 1).is_err());
    assert!(t.raw_set(f64::NAN, 1).is_err());
}

#[test]
fn handles_keep_objects_alive() -> LuaResult<()> {
    let lua = Lua::new();
    let t: LuaTable = lua.load("local t = {x = 1} return t").eval()?;
    lua.load("collectgarbage() collectgarbage()").exec()?;
    lua.gc_collect()?;
    assert_eq!(t.get::<i32>("x")?, 1);
    let clones: Vec<LuaTable> = (0..100).map(|_| t.clone()).collect();
    drop(clones);
    lua.gc_collect()?;
    assert_eq!(t.get::<i32>("x")?, 1);
    Ok(())
}
