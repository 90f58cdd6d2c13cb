#![cfg(feature = "serde")]

use oxilua::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(f64, f64),
    Poly { points: Vec<(i32, i32)>, closed: bool },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Meta {
    author: Option<String>,
    rev: u32,
    labels: BTreeMap<String, i64>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Id(u64);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Doc {
    id: Id,
    title: String,
    shapes: Vec<Shape>,
    meta: Meta,
    parent: Option<Box<Doc>>,
    scores: HashMap<String, f64>,
    grid: Vec<Vec<u8>>,
    maybe: Vec<Option<i16>>,
    pair: (String, bool),
    unit: (),
    marker: Unit,
    ch: char,
}

fn sample() -> Doc {
    let child = Doc {
        id: Id(7),
        title: "child".into(),
        shapes: vec![],
        meta: Meta { author: None, rev: 0, labels: BTreeMap::new() },
        parent: None,
        scores: HashMap::new(),
        grid: vec![vec![]],
        maybe: vec![None],
        pair: (String::new(), false),
        unit: (),
        marker: Unit,
        ch: 'é',
    };
    Doc {
        id: Id(1 << 52),
        title: "root \u{1F600}".into(),
        shapes: vec![Shape::Empty, Shape::Circle(1.5), Shape::Rect(2.0, -3.0), Shape::Poly { points: vec![(0, 0), (1, -1)], closed: true }],
        meta: Meta { author: Some("ada".into()), rev: 3, labels: [("a".to_string(), -1), ("b".to_string(), 2)].into_iter().collect() },
        parent: Some(Box::new(child)),
        scores: [("x".to_string(), 0.25), ("y".to_string(), f64::MAX)].into_iter().collect(),
        grid: vec![vec![1, 2], vec![], vec![255]],
        maybe: vec![Some(1), None, Some(-3), None],
        pair: ("p".into(), true),
        unit: (),
        marker: Unit,
        ch: 'x',
    }
}

#[test]
fn nested_round_trip() -> LuaResult<()> {
    let lua = Lua::new();
    let doc = sample();
    let v = lua.to_value(&doc)?;
    let back: Doc = lua.from_value(v.clone())?;
    assert_eq!(back, doc);
    // and through a script that only reads and copies it
    lua.globals().set("doc", v)?;
    let copied: LuaValue = lua
        .load(
            r#"
            local function copy(t)
                if type(t) ~= "table" then return t end
                local c = setmetatable({}, getmetatable(t))
                for k, v in pairs(t) do c[k] = copy(v) end
                return c
            end
            return copy(doc)
            "#,
        )
        .eval()?;
    assert_eq!(lua.from_value::<Doc>(copied)?, doc);
    Ok(())
}

#[test]
fn lua_view_of_serialized_values() -> LuaResult<()> {
    let lua = Lua::new();
    lua.globals().set("null", lua.null())?;
    lua.globals().set("doc", lua.to_value(&sample())?)?;
    let check = |expr: &str| -> LuaResult<()> {
        assert!(lua.load(expr).eval::<bool>()?, "{expr}");
        Ok(())
    };
    check("doc.title == 'root \u{1F600}'")?;
    check("doc.id == 2^52")?;
    check("#doc.shapes == 4")?;
    check("doc.shapes[1] == 'Empty'")?;
    check("doc.shapes[2].Circle == 1.5")?;
    check("doc.shapes[3].Rect[2] == -3")?;
    check("doc.shapes[4].Poly.closed and doc.shapes[4].Poly.points[2][2] == -1")?;
    check("doc.meta.author == 'ada' and doc.parent.meta.author == null")?;
    check("doc.maybe[2] == null and #doc.maybe == 4")?;
    check("doc.unit == null and doc.marker == null")?;
    check("doc.pair[1] == 'p' and doc.pair[2] == true")?;
    check("doc.ch == 'x'")?;
    // every sequence carries the array metatable, maps do not
    let amt = lua.array_metatable();
    lua.globals().set("amt", amt)?;
    check("getmetatable(doc.shapes) == amt and getmetatable(doc.grid[2]) == amt")?;
    check("getmetatable(doc.meta) == nil and getmetatable(doc.scores) == nil")?;
    Ok(())
}

#[test]
fn json_round_trip() -> LuaResult<()> {
    let lua = Lua::new();
    let j = json!({
        "null": null,
        "t": true,
        "f": false,
        "int": -42,
        "big": 9007199254740992u64,
        "float": 0.5,
        "s": "text",
        "empty_arr": [],
        "empty_obj": {},
        "arr": [1, "two", null, [3], {"k": []}],
        "obj": {"nested": {"deep": [{}]}},
        "numkeys": {"1": "a", "2": "b"}
    });
    let v = lua.to_value(&j)?;
    let back: serde_json::Value = lua.from_value(v.clone())?;
    // {"1": .., "2": ..} is a table with string keys, so it stays an object
    assert_eq!(back, j);
    // Value implements Serialize with the same rules
    assert_eq!(serde_json::to_value(&v).unwrap(), j);
    Ok(())
}

#[test]
fn empty_array_vs_empty_map() -> LuaResult<()> {
    let lua = Lua::new();
    let arr = lua.to_value(&Vec::<i32>::new())?;
    let map = lua.to_value(&HashMap::<String, i32>::new())?;
    assert_eq!(lua.from_value::<serde_json::Value>(arr.clone())?, json!([]));
    assert_eq!(lua.from_value::<serde_json::Value>(map.clone())?, json!({}));
    // a plain empty table is an empty map, but still reads as an empty Vec
    let plain: LuaValue = lua.load("{}").eval()?;
    assert_eq!(lua.from_value::<serde_json::Value>(plain.clone())?, json!({}));
    assert_eq!(lua.from_value::<Vec<String>>(plain.clone())?, Vec::<String>::new());
    assert_eq!(lua.from_value::<HashMap<String, i32>>(plain)?, HashMap::new());
    // a marked empty array reads as an empty map too when asked for one
    assert_eq!(lua.from_value::<HashMap<String, i32>>(arr)?, HashMap::new());
    // scripts can mark their own arrays
    let marked: LuaValue = lua.load("return setmetatable({}, ...)").call(lua.array_metatable())?;
    assert_eq!(lua.from_value::<serde_json::Value>(marked)?, json!([]));
    Ok(())
}

#[test]
fn array_map_rule_for_script_tables() -> LuaResult<()> {
    let lua = Lua::new();
    let j = |src: &str| -> LuaResult<serde_json::Value> { lua.from_value(lua.load(src).eval()?) };
    assert_eq!(j("{10, 20, 30}")?, json!([10, 20, 30]));
    assert_eq!(j("{[2] = 'b', [1] = 'a'}")?, json!(["a", "b"]));
    // keys not exactly 1..n: a map (number keys become strings)
    assert_eq!(j("{[1] = 'a', [3] = 'c'}")?, json!({"1": "a", "3": "c"}));
    assert_eq!(j("{1, 2, x = 3}")?, json!({"1": 1, "2": 2, "x": 3}));
    assert_eq!(j("{[0] = 'z', 'a'}")?, json!({"0": "z", "1": "a"}));
    assert_eq!(j("{[1.5] = true}")?, json!({"1.5": true}));
    // with the array metatable holes read as null
    let holes: LuaValue = lua.load("return setmetatable({1, nil, 3}, ...)").call(lua.array_metatable())?;
    assert_eq!(lua.from_value::<serde_json::Value>(holes.clone())?, json!([1, null, 3]));
    assert_eq!(lua.from_value::<Vec<Option<i32>>>(holes)?, vec![Some(1), None, Some(3)]);
    // integral floats become integers, others stay floats
    assert_eq!(j("{1.0, 2.5, -0.0, 2^53}")?, json!([1, 2.5, 0, 9007199254740992i64]));
    // a sequence-shaped table reads into an integer-keyed map
    let m: BTreeMap<u32, String> = lua.from_value(lua.load("{'a', 'b'}").eval()?)?;
    assert_eq!(m, [(1, "a".to_string()), (2, "b".to_string())].into_iter().collect());
    // and string-keyed numeric maps read into integer keys
    let m: HashMap<u8, bool> = lua.from_value(lua.load("{['7'] = true}").eval()?)?;
    assert!(m[&7]);
    // structs from tables written by scripts; missing Option fields are None
    let meta: Meta = lua.from_value(lua.load("{rev = 2, labels = {}}").eval()?)?;
    assert_eq!(meta, Meta { author: None, rev: 2, labels: BTreeMap::new() });
    let s: Shape = lua.from_value(lua.load("{Poly = {points = {{1, 2}}, closed = false}}").eval()?)?;
    assert_eq!(s, Shape::Poly { points: vec![(1, 2)], closed: false });
    Ok(())
}

#[test]
fn null_and_nil() -> LuaResult<()> {
    let lua = Lua::new();
    assert!(lua.to_value(&None::<i32>)?.is_null());
    assert!(lua.to_value(&())?.is_null());
    assert!(lua.null() == LuaValue::NULL);
    assert_eq!(lua.from_value::<Option<i32>>(LuaNil)?, None);
    assert_eq!(lua.from_value::<Option<i32>>(lua.null())?, None);
    assert_eq!(lua.from_value::<Option<i32>>(LuaValue::Number(4.0))?, Some(4));
    lua.from_value::<()>(lua.null())?;
    lua.from_value::<Unit>(LuaNil)?;
    assert_eq!(lua.from_value::<serde_json::Value>(LuaNil)?, json!(null));
    assert!(lua.from_value::<i32>(lua.null()).is_err());
    Ok(())
}

#[test]
fn numbers() -> LuaResult<()> {
    let lua = Lua::new();
    let n = |x: f64| LuaValue::Number(x);
    assert_eq!(lua.from_value::<u8>(n(255.0))?, 255);
    assert_eq!(lua.from_value::<i64>(n(-9007199254740992.0))?, -9007199254740992);
    assert_eq!(lua.from_value::<u64>(n(1e19))?, 10_000_000_000_000_000_000);
    assert_eq!(lua.from_value::<f32>(n(0.5))?, 0.5);
    assert_eq!(lua.from_value::<f64>(n(3.0))?, 3.0);
    assert!(lua.from_value::<f64>(n(f64::NAN))?.is_nan());
    // not integral / out of range
    assert!(matches!(lua.from_value::<i32>(n(1.5)), Err(LuaError::DeserializeError(_))));
    assert!(matches!(lua.from_value::<u8>(n(256.0)), Err(LuaError::DeserializeError(_))));
    assert!(matches!(lua.from_value::<u32>(n(-1.0)), Err(LuaError::DeserializeError(_))));
    assert!(matches!(lua.from_value::<i64>(n(f64::INFINITY)), Err(LuaError::DeserializeError(_))));
    assert!(matches!(lua.from_value::<u64>(n(1e20)), Err(LuaError::DeserializeError(_))));
    // strings are not coerced to numbers (outside map keys)
    let s = LuaValue::String(lua.create_string("12")?);
    assert!(lua.from_value::<i32>(s.clone()).is_err());
    assert_eq!(lua.from_value::<String>(s)?, "12");
    // integers must be exactly representable
    assert!(lua.to_value(&(1u64 << 53)).is_ok());
    assert!(matches!(lua.to_value(&((1u64 << 53) + 1)), Err(LuaError::SerializeError(_))));
    assert!(matches!(lua.to_value(&u64::MAX), Err(LuaError::SerializeError(_))));
    assert!(matches!(lua.to_value(&i64::MAX), Err(LuaError::SerializeError(_))));
    assert!(lua.to_value(&i64::MIN).is_ok());
    assert!(matches!(lua.to_value(&i128::MAX), Err(LuaError::SerializeError(_))));
    assert!(matches!(lua.to_value(&u128::MAX), Err(LuaError::SerializeError(_))));
    assert_eq!(lua.from_value::<i128>(lua.to_value(&(-5i128))?)?, -5);
    Ok(())
}

/// Bytes through `serialize_bytes`/`deserialize_byte_buf`.
#[derive(Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[test]
fn bytes_and_strings() -> LuaResult<()> {
    let lua = Lua::new();
    let raw = Bytes(vec![0, 0xff, b'a', 0x80]);
    let v = lua.to_value(&raw)?;
    match &v {
        LuaValue::String(s) => assert_eq!(s.as_bytes(), raw.0),
        other => panic!("{other:?}"),
    }
    assert_eq!(lua.from_value::<Bytes>(v.clone())?, raw);
    // a non-UTF-8 string is not a String
    assert!(matches!(lua.from_value::<String>(v), Err(LuaError::DeserializeError(_))));
    // Vec<u8> is a sequence of numbers (serde's own choice)
    let v = lua.to_value(&vec![1u8, 2])?;
    assert!(matches!(v, LuaValue::Table(_)));
    assert_eq!(lua.from_value::<Vec<u8>>(v)?, vec![1, 2]);
    Ok(())
}

#[test]
fn error_cases() -> LuaResult<()> {
    let lua = Lua::new();
    let de = |src: &str| -> LuaValue { lua.load(src).eval().unwrap() };
    // wrong types
    assert!(lua.from_value::<Meta>(de("42")).is_err());
    assert!(lua.from_value::<Vec<i32>>(de("'x'")).is_err());
    assert!(lua.from_value::<bool>(de("1")).is_err());
    // missing required field
    let e = lua.from_value::<Meta>(de("{labels = {}}")).unwrap_err();
    assert!(e.to_string().contains("rev"), "{e}");
    // a map where a sequence is required
    assert!(matches!(lua.from_value::<Vec<i32>>(de("{a = 1}")), Err(LuaError::DeserializeError(_))));
    // tuple length mismatch
    assert!(lua.from_value::<(i32, i32)>(de("{1, 2, 3}")).is_err());
    assert!(lua.from_value::<(i32, i32)>(de("{1}")).is_err());
    // enums
    assert!(lua.from_value::<Shape>(de("'Hexagon'")).is_err());
    assert!(lua.from_value::<Shape>(de("{Circle = 1, Rect = {1, 2}}")).is_err());
    assert!(lua.from_value::<Shape>(de("'Circle'")).is_err());
    assert!(lua.from_value::<Shape>(de("{Empty = 5}")).is_err());
    // functions and userdata do not deserialize
    let e = lua.from_value::<serde_json::Value>(de("{f = print}")).unwrap_err();
    assert!(e.to_string().contains("function"), "{e}");
    assert!(serde_json::to_string(&de("{co = coroutine.create(print)}")).is_err());
    // cycles stop at the depth limit instead of overflowing the stack
    let cyc = de("local t = {} t.self = t return t");
    assert!(matches!(lua.from_value::<serde_json::Value>(cyc.clone()), Err(LuaError::DeserializeError(_))));
    assert!(serde_json::to_string(&cyc).is_err());
    // a non-index key in a marked array
    let bad: LuaValue = lua.load("return setmetatable({1, x = 2}, ...)").call(lua.array_metatable())?;
    assert!(matches!(lua.from_value::<Vec<i32>>(bad), Err(LuaError::DeserializeError(_))));
    // the state is fine afterwards
    assert_eq!(lua.load("return 1 + 1").eval::<i32>()?, 2);
    Ok(())
}

#[test]
fn values_inside_callbacks() -> LuaResult<()> {
    // the common host pattern: a Rust function taking and returning documents
    let lua = Lua::new();
    let f = lua.create_function(|lua, v: LuaValue| {
        let mut meta: Meta = lua.from_value(v)?;
        meta.rev += 1;
        meta.labels.insert("seen".into(), 1);
        lua.to_value(&meta)
    })?;
    lua.globals().set("bump", f)?;
    let out: LuaValue = lua.load("local m = bump({rev = 1, labels = {}}) return bump(m)").eval()?;
    let meta: Meta = lua.from_value(out)?;
    assert_eq!(meta.rev, 3);
    assert_eq!(meta.labels["seen"], 1);
    // a deserialize error surfaces as a Lua error that pcall can catch
    let msg: String = lua.load("local ok, e = pcall(bump, {rev = 'x'}) return tostring(e)").eval()?;
    assert!(msg.contains("deserialize"), "{msg}");
    Ok(())
}

#[test]
fn into_deserializer() -> LuaResult<()> {
    use serde::de::IntoDeserializer;
    let lua = Lua::new();
    let v = lua.to_value(&json!({"rev": 5, "labels": {"a": 1}}))?;
    let meta = Meta::deserialize(v.into_deserializer())?;
    assert_eq!(meta.rev, 5);
    Ok(())
}

#[test]
fn mlua_style_trait() -> LuaResult<()> {
    // code written for mlua's LuaSerdeExt works through the trait as well
    fn via_trait<L: LuaSerdeExt>(lua: &L) -> LuaResult<Meta> {
        let v = lua.to_value(&json!({"rev": 1, "labels": {}, "author": null}))?;
        assert!(lua.null().is_null());
        assert!(lua.array_metatable().is_empty());
        lua.from_value(v)
    }
    let meta = via_trait(&Lua::new())?;
    assert_eq!(meta, Meta { author: None, rev: 1, labels: BTreeMap::new() });
    Ok(())
}
