use oxilua::prelude::*;
use std::collections::{BTreeMap, HashMap};

#[test]
fn primitives_roundtrip() -> LuaResult<()> {
    let lua = Lua::new();
    let g = lua.globals();
    g.set("i", 42i64)?;
    g.set("f", 1.5f64)?;
    g.set("b", true)?;
    g.set("s", "hé")?;
    assert_eq!(g.get::<i64>("i")?, 42);
    assert_eq!(g.get::<u8>("i")?, 42);
    assert_eq!(g.get::<f32>("f")?, 1.5);
    assert!(g.get::<bool>("b")?);
    assert_eq!(g.get::<String>("s")?, "hé");
    assert_eq!(g.get::<Option<i32>>("nothing")?, None);
    // numbers convert to strings and numeric strings to numbers
    assert_eq!(g.get::<String>("i")?, "42");
    lua.load("n = '17'").exec()?;
    assert_eq!(g.get::<i32>("n")?, 17);
    Ok(())
}

#[test]
fn integer_range_checks() -> LuaResult<()> {
    let lua = Lua::new();
    assert!(matches!(lua.load("300").eval::<u8>(), Err(LuaError::FromLuaConversionError { .. })));
    assert!(matches!(lua.load("-1").eval::<u32>(), Err(LuaError::FromLuaConversionError { .. })));
    assert!(matches!(lua.load("1.5").eval::<i64>(), Err(LuaError::FromLuaConversionError { .. })));
    assert_eq!(lua.load("2^53").eval::<i64>()?, 1i64 << 53);
    assert!(lua.pack(u64::MAX).is_err());
    assert!(lua.pack(1u64 << 60).is_ok());
    Ok(())
}

#[test]
fn collections() -> LuaResult<()> {
    let lua = Lua::new();
    let v: Vec<i32> = lua.load("{1, 2, 3}").eval()?;
    assert_eq!(v, vec![1, 2, 3]);
    let m: HashMap<String, i32> = lua.load("{a = 1, b = 2}").eval()?;
    assert_eq!(m["a"] + m["b"], 3);
    let b: BTreeMap<i32, String> = lua.load("{'x', 'y'}").eval()?;
    assert_eq!(b[&2], "y");
    lua.globals().set("v", vec!["a", "b"])?;
    assert_eq!(lua.load("#v .. v[2]").eval::<String>()?, "2b");
    let mut hm = HashMap::new();
    hm.insert("k", 5);
    lua.globals().set("m", hm)?;
    assert_eq!(lua.load("m.k").eval::<i32>()?, 5);
    Ok(())
}

#[test]
fn multi_values_and_tuples() -> LuaResult<()> {
    let lua = Lua::new();
    let (a, b, c): (i32, String, Option<bool>) = lua.load("1, 'two'").eval()?;
    assert_eq!((a, b.as_str(), c), (1, "two", None));
    let v: LuaVariadic<i32> = lua.load("1, 2, 3").eval()?;
    assert_eq!(v.iter().sum::<i32>(), 6);
    let mv: LuaMultiValue = lua.load("return nil, 2").eval()?;
    assert_eq!(mv.len(), 2);
    let sum = lua.create_function(|_, v: LuaVariadic<f64>| Ok(v.iter().sum::<f64>()))?;
    assert_eq!(sum.call::<f64>((1, 2, 3, 4))?, 10.0);
    let t12: (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) = lua.load("1,2,3,4,5,6,7,8,9,10,11,12").eval()?;
    assert_eq!(t12.11, 12);
    Ok(())
}

#[test]
fn strings_are_bytes() -> LuaResult<()> {
    let lua = Lua::new();
    let s: LuaString = lua.load("'a\\0\\255'").eval()?;
    assert_eq!(s.as_bytes(), b"a\0\xff");
    assert!(s.to_str().is_err());
    let s2 = lua.create_string(b"xyz")?;
    assert_eq!(s2, "xyz");
    let b: oxilua::BString = lua.load("'\\1\\2'").eval()?;
    assert_eq!(&b[..], &[1, 2]);
    Ok(())
}

#[test]
fn value_enum() -> LuaResult<()> {
    let lua = Lua::new();
    let v: LuaValue = lua.load("{}").eval()?;
    assert_eq!(v.type_name(), "table");
    let n: LuaValue = lua.load("3").eval()?;
    assert_eq!(n, LuaValue::Number(3.0));
    assert_eq!(n.as_i64(), Some(3));
    assert_eq!(LuaValue::Nil, LuaNil);
    let t1: LuaTable = lua.load("t = {} return t").eval()?;
    let t2: LuaTable = lua.globals().get("t")?;
    assert_eq!(t1, t2);
    assert!(t1.to_value().to_string()?.starts_with("table:"));
    Ok(())
}
