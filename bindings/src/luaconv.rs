//! `PValue` ↔ oxilua values (the mapping documented in `pvalue.rs`).
//!
//! - [`to_lua`]: `Array` → sequence table, `Map` → key/value table (a later
//!   duplicate key overwrites; `nil` values and `nil`/NaN keys are skipped).
//! - [`from_lua`]: a table whose keys are exactly `1..=n` (n ≥ 1) → `Array`,
//!   any other table (the empty one included) → `Map` in iteration order.
//!   Functions, userdata, threads and tables nested deeper than
//!   [`MAX_DEPTH`] (cycles) are [`ConvError`]s.

use std::fmt;

use oxilua::prelude::*;

use crate::pvalue::PValue;

/// Nesting limit of a converted table (cycles end here).
pub const MAX_DEPTH: usize = 64;

/// A Lua value with no `PValue` form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvError {
    /// A function, userdata or thread (the Lua type name).
    Unsupported(&'static str),
    /// Tables nested deeper than [`MAX_DEPTH`] (or a cycle).
    TooDeep,
    /// The engine failed (memory limit while building a table...).
    Lua(String),
}

impl fmt::Display for ConvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvError::Unsupported(t) => write!(f, "cannot convert a {t}"),
            ConvError::TooDeep => write!(f, "table nested too deeply (or cyclic)"),
            ConvError::Lua(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ConvError {}

impl From<LuaError> for ConvError {
    fn from(e: LuaError) -> Self {
        ConvError::Lua(e.to_string())
    }
}

/// A `PValue` as a Lua value of `lua`.
pub fn to_lua(lua: &Lua, v: &PValue) -> LuaResult<LuaValue> {
    Ok(match v {
        PValue::Nil => LuaValue::Nil,
        PValue::Bool(b) => LuaValue::Boolean(*b),
        PValue::Num(n) => LuaValue::Number(*n),
        PValue::Str(s) => LuaValue::String(lua.create_string(s)?),
        PValue::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                set_value(lua, &t, (i + 1) as f64, item)?;
            }
            LuaValue::Table(t)
        }
        PValue::Map(pairs) => {
            let t = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                match k {
                    PValue::Nil => continue,
                    PValue::Num(n) if n.is_nan() => continue,
                    PValue::Num(n) => set_value(lua, &t, *n, v)?,
                    PValue::Str(s) => set_value(lua, &t, &s[..], v)?,
                    PValue::Bool(b) => set_value(lua, &t, *b, v)?,
                    _ => set_value(lua, &t, to_lua(lua, k)?, v)?,
                }
            }
            LuaValue::Table(t)
        }
    })
}

/// `t[k] = v` (raw). Scalars go in as plain Rust values, which the API
/// stores without making a handle for each (a string handle costs a root
/// slot and two more trips through the state lock); tables recurse.
fn set_value(lua: &Lua, t: &LuaTable, k: impl IntoLua, v: &PValue) -> LuaResult<()> {
    match v {
        PValue::Nil => t.raw_set(k, LuaValue::Nil),
        PValue::Bool(b) => t.raw_set(k, *b),
        PValue::Num(n) => t.raw_set(k, *n),
        PValue::Str(s) => t.raw_set(k, &s[..]),
        PValue::Array(_) | PValue::Map(_) => t.raw_set(k, to_lua(lua, v)?),
    }
}

/// Several `PValue`s as Lua arguments.
pub fn to_lua_multi(lua: &Lua, vs: &[PValue]) -> LuaResult<LuaMultiValue> {
    vs.iter().map(|v| to_lua(lua, v)).collect()
}

/// A Lua value as a `PValue`.
pub fn from_lua(v: &LuaValue) -> Result<PValue, ConvError> {
    from_lua_depth(v, 0)
}

/// Several Lua values (arguments or results) as `PValue`s.
pub fn from_lua_multi(vs: &LuaMultiValue) -> Result<Vec<PValue>, ConvError> {
    vs.iter().map(from_lua).collect()
}

fn from_lua_depth(v: &LuaValue, depth: usize) -> Result<PValue, ConvError> {
    Ok(match v {
        LuaValue::Nil => PValue::Nil,
        LuaValue::Boolean(b) => PValue::Bool(*b),
        LuaValue::Number(n) => PValue::Num(*n),
        LuaValue::String(s) => PValue::Str(s.as_bytes()),
        LuaValue::Table(t) => {
            if depth >= MAX_DEPTH {
                return Err(ConvError::TooDeep);
            }
            let mut pairs = Vec::new();
            for p in t.pairs::<LuaValue, LuaValue>() {
                let (k, v) = p?;
                pairs.push((from_lua_depth(&k, depth + 1)?, from_lua_depth(&v, depth + 1)?));
            }
            if is_sequence(&pairs) {
                let mut items: Vec<(usize, PValue)> = pairs.into_iter().map(|(k, v)| (k.as_num().unwrap_or(0.0) as usize, v)).collect();
                items.sort_by_key(|(i, _)| *i);
                PValue::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                PValue::Map(pairs)
            }
        }
        other => return Err(ConvError::Unsupported(other.type_name())),
    })
}

/// Keys exactly `1..=n`, n ≥ 1 (raw keys are unique).
fn is_sequence(pairs: &[(PValue, PValue)]) -> bool {
    let n = pairs.len();
    n > 0 && pairs.iter().all(|(k, _)| k.as_num().is_some_and(|x| x.fract() == 0.0 && x >= 1.0 && x <= n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let lua = Lua::new();
        let v = PValue::map([
            ("a", PValue::Num(1.5)),
            ("b", PValue::array([PValue::str("x"), PValue::Bool(true)])),
            ("c", PValue::empty_table()),
            ("d", PValue::Str(vec![0, 255])),
        ]);
        let l = to_lua(&lua, &v).unwrap();
        let back = from_lua(&l).unwrap();
        assert_eq!(back.get("a"), Some(&PValue::Num(1.5)));
        assert_eq!(back.get("b"), Some(&PValue::array([PValue::str("x"), PValue::Bool(true)])));
        assert_eq!(back.get("c"), Some(&PValue::empty_table()));
        assert_eq!(back.get("d"), Some(&PValue::Str(vec![0, 255])));
    }

    #[test]
    fn every_key_and_value_kind_reaches_lua() {
        let lua = Lua::new();
        let v = PValue::Map(vec![
            (PValue::str("s"), PValue::str("text")),
            (PValue::str("n"), PValue::Num(2.5)),
            (PValue::str("b"), PValue::Bool(false)),
            (PValue::str("nil"), PValue::Nil),
            (PValue::str("bytes"), PValue::Str(vec![0, 1, 255])),
            (PValue::Num(7.0), PValue::str("seven")),
            (PValue::Bool(true), PValue::Num(1.0)),
            (PValue::Nil, PValue::str("skipped")),
            (PValue::Num(f64::NAN), PValue::str("skipped too")),
            (PValue::array([PValue::Num(1.0)]), PValue::str("table key")),
            (PValue::str("nested"), PValue::map([("k", PValue::array([PValue::str("x"), PValue::Nil, PValue::Num(3.0)]))])),
        ]);
        lua.globals().set("v", to_lua(&lua, &v).unwrap()).unwrap();
        let check: String = lua
            .load(
                r#"
                local n, tkey = 0, nil
                for k, val in pairs(v) do
                  n = n + 1
                  if type(k) == "table" then tkey = k end
                end
                assert(v.s == "text", v.s) assert(v.n == 2.5) assert(v.b == false)
                assert(v.bytes == "\0\1\255")
                assert(v[7] == "seven" and v[true] == 1 and rawget(v, "nil") == nil)
                assert(tkey and tkey[1] == 1 and v[tkey] == "table key")
                assert(v.nested.k[1] == "x" and v.nested.k[2] == nil and v.nested.k[3] == 3)
                return tostring(n)
                "#,
            )
            .eval()
            .unwrap();
        // s, n, b, bytes, 7, true, the table key, nested
        assert_eq!(check, "8");
    }

    #[test]
    fn functions_and_cycles_are_errors() {
        let lua = Lua::new();
        let f: LuaValue = lua.load("return {f = print}").eval().unwrap();
        assert_eq!(from_lua(&f), Err(ConvError::Unsupported("function")));
        let c: LuaValue = lua.load("local t = {} t.t = t return t").eval().unwrap();
        assert_eq!(from_lua(&c), Err(ConvError::TooDeep));
        let s: LuaValue = lua.load("return {[2] = 'b', [1] = 'a'}").eval().unwrap();
        assert_eq!(from_lua(&s).unwrap(), PValue::array([PValue::str("a"), PValue::str("b")]));
        let m: LuaValue = lua.load("return {[1] = 'a', [3] = 'c'}").eval().unwrap();
        assert!(matches!(from_lua(&m).unwrap(), PValue::Map(_)));
    }
}
