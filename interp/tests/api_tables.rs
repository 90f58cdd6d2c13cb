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

/// `Table::set` with keys and values the host passes again and again (the
/// host string cache's hits): plain tables take the shortcut, tables with
/// a metatable still see `__newindex`, and the values are the right ones.
#[test]
fn repeated_host_keys_and_metatables() -> LuaResult<()> {
    let lua = Lua::new();
    let seen: LuaTable = lua.create_table()?;
    lua.globals().set("seen", seen.clone())?;
    let mt: LuaTable = lua.load("{__newindex = function(t, k, v) seen[#seen + 1] = k .. '=' .. tostring(v) end}").eval()?;
    for round in 0..3 {
        let plain = lua.create_table_with_capacity(0, 2)?;
        let hooked = lua.create_table()?;
        hooked.set_metatable(Some(mt.clone()));
        for t in [&plain, &hooked] {
            t.set("name", "ada")?;
            t.set("bytes", &b"\x00\x01"[..])?;
            t.set("n", round)?;
            t.set("flag", round % 2 == 0)?;
            t.set("", "")?;
        }
        // more keys than the capacity: the hash part grows on the way
        plain.set("extra", "x")?;
        assert_eq!(plain.get::<String>("name")?, "ada");
        assert_eq!(plain.get::<LuaString>("bytes")?.as_bytes(), b"\x00\x01");
        assert_eq!(plain.get::<i32>("n")?, round);
        assert_eq!(plain.get::<bool>("flag")?, round % 2 == 0);
        assert_eq!(plain.get::<String>("")?, "");
        assert_eq!(plain.get::<String>("extra")?, "x");
        assert_eq!(plain.pairs::<LuaValue, LuaValue>().count(), 6);
        // assigning nil removes a field
        plain.set("name", LuaNil)?;
        assert!(!plain.contains_key("name")?);
        assert_eq!(hooked.pairs::<LuaValue, LuaValue>().count(), 0, "every store went to __newindex");
    }
    let log: Vec<String> = seen.sequence_values::<String>().collect::<LuaResult<_>>()?;
    assert_eq!(log.len(), 15);
    assert_eq!(&log[..5], ["name=ada", "bytes=\u{0}\u{1}", "n=0", "flag=true", "="]);
    assert_eq!(log[12], "n=2");
    Ok(())
}

/// New host strings stored by `Table::set` are still charged against the
/// memory limit (only strings already interned skip the check).
#[test]
fn table_set_new_strings_hit_memory_limit() -> LuaResult<()> {
    let lua = Lua::new();
    let kib = lua.load("return collectgarbage('count')").eval::<f64>()?;
    lua.set_limits(LuaLimits { memory: Some((kib * 1024.0) as usize + 256 * 1024), ..Default::default() });
    let fill = lua.create_function(|lua, ()| {
        let t = lua.create_table()?;
        for i in 0..100_000 {
            // a fresh buffer each time: never a cache hit
            let v = format!("value number {i:08}");
            t.set("k", v.as_str())?;
        }
        Ok(())
    })?;
    let e = fill.call::<()>(()).unwrap_err();
    assert!(e.to_string().contains("not enough memory") || matches!(e, LuaError::MemoryError(_)), "{e:?}");
    Ok(())
}
