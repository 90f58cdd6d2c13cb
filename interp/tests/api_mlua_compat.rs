//! A host program written the way one writes it for mlua 0.10; only the
//! `use` line differs (`mlua::prelude` → `oxilua::prelude`). It exercises
//! tables, functions with tuple arguments (with a variadic tail), userdata
//! with methods, fields and `__index`, the registry, app data and errors, and
//! checks that everything behaves as it does under mlua.

use oxilua::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Vec2 {
    x: f64,
    y: f64,
}

impl LuaUserData for Vec2 {
    fn add_fields<F: LuaUserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("x", |_, this| Ok(this.x));
        fields.add_field_method_set("x", |_, this, v: f64| {
            this.x = v;
            Ok(())
        });
    }

    fn add_methods<M: LuaUserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("length", |_, this, ()| Ok((this.x * this.x + this.y * this.y).sqrt()));
        methods.add_method_mut("scale", |_, this, k: f64| {
            this.x *= k;
            this.y *= k;
            Ok(())
        });
        methods.add_meta_method(LuaMetaMethod::Add, |_, a, b: LuaUserDataRef<Vec2>| Ok(Vec2 { x: a.x + b.x, y: a.y + b.y }));
        methods.add_meta_method(LuaMetaMethod::ToString, |_, this, ()| Ok(format!("({}, {})", this.x, this.y)));
        methods.add_meta_method(LuaMetaMethod::Index, |_, this, key: String| match key.as_str() {
            "y" => Ok(Some(this.y)),
            _ => Ok(None),
        });
    }
}

struct Config {
    greeting: String,
}

fn run() -> LuaResult<()> {
    let lua = Lua::new();
    let globals = lua.globals();

    // functions with tuple arguments, a variadic tail, several results
    let add = lua.create_function(|_, (a, b): (i64, i64)| Ok(a + b))?;
    globals.set("add", add)?;
    let join = lua.create_function(|_, (sep, parts): (String, LuaVariadic<String>)| Ok(parts.join(&sep)))?;
    globals.set("join", join)?;
    let divmod = lua.create_function(|_, (a, b): (i64, i64)| {
        if b == 0 {
            return Err(LuaError::RuntimeError("division by zero".into()));
        }
        Ok((a / b, a % b))
    })?;
    globals.set("divmod", divmod)?;

    // app data
    lua.set_app_data(Config { greeting: "hello".into() });
    let greet = lua.create_function(|lua, name: String| {
        let cfg = lua.app_data_ref::<Config>().expect("config");
        Ok(format!("{}, {name}", cfg.greeting))
    })?;
    globals.set("greet", greet)?;

    // userdata
    globals.set("v", Vec2 { x: 3.0, y: 4.0 })?;
    let vec2_new = lua.create_function(|_, (x, y): (f64, f64)| Ok(Vec2 { x, y }))?;
    globals.set("vec2", vec2_new)?;

    lua.load(
        r#"
        assert(add(2, 3) == 5)
        assert(join("-", "a", "b", "c") == "a-b-c")
        assert(join(",") == "")
        local q, r = divmod(17, 5)
        assert(q == 3 and r == 2)
        local ok, err = pcall(divmod, 1, 0)
        assert(not ok and tostring(err):find("division by zero"))
        assert(greet("world") == "hello, world")
        assert(v:length() == 5)
        assert(v.x == 3 and v.y == 4 and v.z == nil)
        v:scale(2)
        v.x = 10
        local w = v + vec2(1, 1)
        assert(tostring(w) == "(11, 9)")
        result = { sum = add(40, 2), names = { "a", "b" } }
        "#,
    )
    .set_name("compat")
    .exec()?;

    // tables back in Rust
    let result: LuaTable = globals.get("result")?;
    assert_eq!(result.get::<i64>("sum")?, 42);
    let names: Vec<String> = result.get::<LuaTable>("names")?.sequence_values::<String>().collect::<LuaResult<_>>()?;
    assert_eq!(names, ["a", "b"]);
    let mut keys: Vec<String> = result.pairs::<String, LuaValue>().map(|kv| kv.map(|(k, _)| k)).collect::<LuaResult<_>>()?;
    keys.sort();
    assert_eq!(keys, ["names", "sum"]);

    // userdata borrowed from Rust
    let v: LuaAnyUserData = globals.get("v")?;
    assert_eq!(*v.borrow::<Vec2>()?, Vec2 { x: 10.0, y: 8.0 });

    // registry
    let key = lua.create_registry_value(lua.create_table_from([("k", 1)])?)?;
    let t: LuaTable = lua.registry_value(&key)?;
    assert_eq!(t.get::<i64>("k")?, 1);
    lua.set_named_registry_value("name", "value")?;
    assert_eq!(lua.named_registry_value::<String>("name")?, "value");

    // errors: syntax, runtime with position, conversions, bad arguments
    match lua.load("x = = 1").exec() {
        Err(LuaError::SyntaxError { message, incomplete_input }) => {
            assert!(message.contains("unexpected symbol"), "{message}");
            assert!(!incomplete_input);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let e = lua.load("error('boom')").set_name("chunk").exec().unwrap_err();
    assert!(e.to_string().contains("boom"), "{e}");
    assert!(lua.load("return {}").eval::<i64>().is_err());
    let e = lua.load("return v:scale('big')").exec().unwrap_err();
    let bad = find_bad_argument(&e).expect("a BadArgument error");
    assert_eq!(bad, (Some("Vec2.scale".to_string()), 2));
    Ok(())
}

fn find_bad_argument(e: &LuaError) -> Option<(Option<String>, usize)> {
    match e {
        LuaError::BadArgument { to, pos, .. } => Some((to.clone(), *pos)),
        LuaError::CallbackError { cause, .. } | LuaError::WithContext { cause, .. } => find_bad_argument(cause),
        _ => None,
    }
}

#[test]
fn an_mlua_host_program_runs_unchanged() {
    run().unwrap();
}

#[test]
fn tuples_take_the_rest_in_their_last_element() {
    let lua = Lua::new();
    let f = lua.create_function(|_, (n, rest): (i64, LuaMultiValue)| Ok((n, rest.len() as i64))).unwrap();
    assert_eq!(f.call::<(i64, i64)>((1, 2, 3, 4)).unwrap(), (1, 3));
    // results: a tuple whose last element is variadic
    let g = lua.create_function(|_, ()| Ok((true, LuaVariadic::from_iter([1, 2, 3])))).unwrap();
    let n: i64 = lua.load("local f = ... return select('#', f())").call(g).unwrap();
    assert_eq!(n, 4);
    // a wrong element in the variadic tail names its position
    let h = lua.create_function(|_, (_s, _xs): (String, LuaVariadic<i64>)| Ok(())).unwrap();
    let e = h.call::<()>(("a", 1, "x")).unwrap_err();
    assert_eq!(find_bad_argument(&e).map(|b| b.1), Some(3), "{e}");
}
