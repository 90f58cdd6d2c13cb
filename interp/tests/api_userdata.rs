use oxilua::prelude::*;

#[derive(Debug, Clone, PartialEq)]
struct Vec2 {
    x: f64,
    y: f64,
}

impl LuaUserData for Vec2 {
    fn add_fields<F: LuaUserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("x", |_, v| Ok(v.x));
        f.add_field_method_set("x", |_, v, x: f64| {
            v.x = x;
            Ok(())
        });
        f.add_field_method_get("y", |_, v| Ok(v.y));
        f.add_field("kind", "vec2");
    }
    fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
        m.add_method("len", |_, v, ()| Ok((v.x * v.x + v.y * v.y).sqrt()));
        m.add_method_mut("scale", |_, v, k: f64| {
            v.x *= k;
            v.y *= k;
            Ok(())
        });
        m.add_function("new", |_, (x, y): (f64, f64)| Ok(Vec2 { x, y }));
        m.add_meta_method(LuaMetaMethod::Add, |_, a, b: LuaUserDataRef<Vec2>| Ok(Vec2 { x: a.x + b.x, y: a.y + b.y }));
        m.add_meta_method(LuaMetaMethod::ToString, |_, v, ()| Ok(format!("({}, {})", v.x, v.y)));
        m.add_meta_method(LuaMetaMethod::Eq, |_, a, b: LuaUserDataRef<Vec2>| Ok(*a == *b));
    }
}

#[test]
fn methods_fields_meta() -> LuaResult<()> {
    let lua = Lua::new();
    lua.globals().set("v", Vec2 { x: 3.0, y: 4.0 })?;
    assert_eq!(lua.load("v:len()").eval::<f64>()?, 5.0);
    lua.load("v:scale(2); v.x = v.x + 1").exec()?;
    assert_eq!(lua.load("v.x, v.y").eval::<(f64, f64)>()?, (7.0, 8.0));
    assert_eq!(lua.load("v.kind").eval::<String>()?, "vec2");
    assert_eq!(lua.load("tostring(v + v)").eval::<String>()?, "(14, 16)");
    assert!(lua.load("v == v.new(7, 8)").eval::<bool>()?);
    assert!(lua.load("v.nope = 1").exec().is_err());
    let ud: LuaAnyUserData = lua.globals().get("v")?;
    assert!(ud.is::<Vec2>());
    assert!(!ud.is::<String>());
    assert_eq!(ud.borrow::<Vec2>()?.x, 7.0);
    ud.borrow_mut::<Vec2>()?.y = 0.0;
    assert_eq!(lua.load("v.y").eval::<f64>()?, 0.0);
    Ok(())
}

#[test]
fn borrow_flags() -> LuaResult<()> {
    let lua = Lua::new();
    let ud = lua.create_userdata(Vec2 { x: 1.0, y: 2.0 })?;
    {
        let _a = ud.borrow::<Vec2>()?;
        let _b = ud.borrow::<Vec2>()?;
        assert!(matches!(ud.borrow_mut::<Vec2>(), Err(LuaError::UserDataBorrowMutError)));
    }
    {
        let _m = ud.borrow_mut::<Vec2>()?;
        assert!(matches!(ud.borrow::<Vec2>(), Err(LuaError::UserDataBorrowError)));
    }
    assert!(matches!(ud.borrow::<String>(), Err(LuaError::UserDataTypeMismatch)));
    let v: Vec2 = ud.take()?;
    assert_eq!(v.x, 1.0);
    assert!(matches!(ud.borrow::<Vec2>(), Err(LuaError::UserDataDestructed)));
    lua.globals().set("u", ud)?;
    assert!(lua.load("u:len()").exec().is_err());
    Ok(())
}

struct Bag(Vec<i32>);
impl LuaUserData for Bag {
    fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("push", |_, b, v: i32| {
            b.0.push(v);
            Ok(b.0.len())
        });
        m.add_meta_method(LuaMetaMethod::Len, |_, b, ()| Ok(b.0.len()));
        m.add_meta_method(LuaMetaMethod::Index, |_, b, i: usize| Ok(b.0.get(i.wrapping_sub(1)).copied()));
    }
}

#[test]
fn user_index_metamethod() -> LuaResult<()> {
    let lua = Lua::new();
    lua.globals().set("bag", Bag(vec![]))?;
    lua.load("bag:push(10) bag:push(20)").exec()?;
    assert_eq!(lua.load("#bag, bag[2]").eval::<(i32, i32)>()?, (2, 20));
    let ud: LuaAnyUserData = lua.globals().get("bag")?;
    assert_eq!(ud.call_method::<usize>("push", 30)?, 3);
    ud.set_user_value("meta")?;
    assert_eq!(ud.user_value::<String>()?, "meta");
    Ok(())
}
