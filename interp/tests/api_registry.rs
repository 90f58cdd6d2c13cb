use oxilua::prelude::*;

#[test]
fn registry_values() -> LuaResult<()> {
    let lua = Lua::new();
    let f: LuaFunction = lua.load("function() return 5 end").eval()?;
    let key = lua.create_registry_value(f)?;
    lua.gc_collect()?;
    let f2: LuaFunction = lua.registry_value(&key)?;
    assert_eq!(f2.call::<i32>(())?, 5);
    lua.replace_registry_value(&key, "s")?;
    assert_eq!(lua.registry_value::<String>(&key)?, "s");
    let other = Lua::new();
    assert!(matches!(other.registry_value::<LuaValue>(&key), Err(LuaError::MismatchedRegistryKey)));
    lua.remove_registry_value(key)?;

    lua.set_named_registry_value("cfg", 42)?;
    assert_eq!(lua.named_registry_value::<i32>("cfg")?, 42);
    lua.unset_named_registry_value("cfg")?;
    assert_eq!(lua.named_registry_value::<Option<i32>>("cfg")?, None);
    Ok(())
}

#[derive(Debug, PartialEq)]
struct Config {
    name: String,
}

#[test]
fn app_data() -> LuaResult<()> {
    let lua = Lua::new();
    assert!(lua.app_data_ref::<Config>().is_none());
    lua.set_app_data(Config { name: "a".into() });
    lua.app_data_mut::<Config>().unwrap().name.push('b');
    assert_eq!(lua.app_data_ref::<Config>().unwrap().name, "ab");
    // visible from callbacks
    let f = lua.create_function(|lua, ()| Ok(lua.app_data_ref::<Config>().unwrap().name.clone()))?;
    assert_eq!(f.call::<String>(())?, "ab");
    let old = lua.set_app_data(Config { name: "c".into() });
    assert_eq!(old.unwrap().name, "ab");
    assert_eq!(lua.remove_app_data::<Config>().unwrap().name, "c");
    assert!(lua.app_data_ref::<Config>().is_none());
    Ok(())
}
