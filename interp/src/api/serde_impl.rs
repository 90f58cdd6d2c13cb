//! Serde support: [`Lua::to_value`] turns any `Serialize` type into a Lua
//! value, [`Lua::from_value`] turns a Lua value into any `Deserialize` type,
//! and [`Value`] itself implements `Serialize` (so `serde_json::to_string(&v)`
//! works on script results).
//!
//! ```
//! use oxilua::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Point { x: i32, y: i32, tags: Vec<String> }
//!
//! let lua = Lua::new();
//! let p = Point { x: 1, y: 2, tags: vec![] };
//! lua.globals().set("p", lua.to_value(&p)?)?;
//! lua.load("p.x = p.x + 10; p.tags[#p.tags + 1] = 'moved'").exec()?;
//! let back: Point = lua.from_value(lua.globals().get("p")?)?;
//! assert_eq!(back, Point { x: 11, y: 2, tags: vec!["moved".into()] });
//! # Ok::<(), LuaError>(())
//! ```
//!
//! # Rust → Lua ([`Lua::to_value`])
//!
//! | Rust (serde data model)                | Lua                                             |
//! |----------------------------------------|-------------------------------------------------|
//! | `bool`                                 | boolean                                         |
//! | integers, floats                       | number (integers must be exactly representable as `f64`, else [`Error::SerializeError`]) |
//! | `char`, `str`, `String`                | string                                          |
//! | bytes (`serialize_bytes`, e.g. `serde_bytes`) | string (any bytes)                       |
//! | `None`, `()`, unit structs             | [`Lua::null`]                                   |
//! | `Some(v)`, newtype structs             | `v`                                             |
//! | sequences, tuples, tuple structs       | sequence table `{v1, v2, ...}` with [`Lua::array_metatable`] |
//! | maps, structs                          | table (struct fields become string keys)        |
//! | enums                                  | externally tagged like `serde_json`: unit variant → `"Name"`, other variants → `{Name = payload}` |
//!
//! `None` becomes the null sentinel rather than `nil` so that it survives
//! inside sequences and as a map value (a `nil` would be a hole, or no entry).
//!
//! # Lua → Rust ([`Lua::from_value`])
//!
//! **The null sentinel.** [`Lua::null`] (a light userdata holding a null
//! pointer, also [`Value::NULL`]) and `nil` both deserialize as `None`, `()`
//! or a unit struct, and as `null` for self-describing targets like
//! `serde_json::Value`. Scripts see it as a userdata; compare with a value
//! the host provides (e.g. `lua.globals().set("null", lua.null())`).
//!
//! **The array/map rule.** A table is a *sequence* when
//! 1. it has the array metatable ([`Lua::array_metatable`]): its elements are
//!    `t[1]..t[n]` with `n` its largest positive integer key (holes read as
//!    `nil`; any other key is an error), or
//! 2. its keys are exactly `1..=n` with `n >= 1`.
//!
//! Every other table is a *map*. Consequently an empty table without the
//! array metatable is an empty map (for `serde_json::Value`: `{}`), but it
//! also deserializes into a `Vec`, tuple-like or other sequence type as an
//! empty sequence; a table with the array metatable is always a sequence, so
//! [`Lua::to_value`] of an empty `Vec` comes back as `[]`. A map type
//! (`HashMap`, `BTreeMap`) accepts any table, sequence-shaped ones included
//! (its keys are then `1..=n`).
//!
//! **Numbers.** Lua 5.2 has one number type. Integer targets accept a
//! number only when it is integral and in range (strings are not coerced);
//! float targets accept any number. For self-describing targets an integral
//! number in the `i64`/`u64` range is reported as an integer (so `1.0`
//! becomes JSON `1`), any other number as a float.
//!
//! **Map keys.** Numbers deserialize into string keys (formatted like
//! `tostring`) and numeric strings into integer keys, so tables with number
//! keys convert to JSON objects and back.
//!
//! **Strings** deserialize as text when they are UTF-8, else as bytes.
//!
//! **Enums** come from a string (unit variant) or from a table with exactly
//! one string key (the variant name).
//!
//! Functions, userdata, threads, light userdata other than null and error
//! values cannot be deserialized (an [`Error::DeserializeError`]); so
//! cannot tables nested more than 128 deep (cycles included).

use super::{Error, Lua, Result, Table, Value};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use std::fmt::Display;

/// Deepest nesting of tables that [`Lua::from_value`] and `Value::serialize` follow.
const MAX_DEPTH: usize = 128;

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::SerializeError(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::DeserializeError(msg.to_string())
    }
}

impl Lua {
    /// Convert any `Serialize` value to a Lua value (see the
    /// [serde module docs](crate::api::serde) for the mapping: sequences get the array
    /// metatable, `None` becomes [`Lua::null`], enums are externally tagged).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let v = lua.to_value(&serde_json::json!({"name": "ada", "langs": ["lua", "rust"], "boss": null}))?;
    /// lua.globals().set("doc", v)?;
    /// lua.globals().set("null", lua.null())?;
    /// assert_eq!(lua.load("doc.name .. ' ' .. #doc.langs").eval::<String>()?, "ada 2");
    /// assert!(lua.load("doc.boss == null").eval::<bool>()?);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn to_value<T: Serialize + ?Sized>(&self, t: &T) -> Result<Value> {
        t.serialize(Serializer { lua: self })
    }

    /// Convert a Lua value to any `Deserialize` type (see the
    /// [serde module docs](crate::api::serde) for the array/map rule and the null sentinel).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// use std::collections::HashMap;
    /// let lua = Lua::new();
    /// let v = lua.load("{ {id = 1, tags = {'a'}}, {id = 2, tags = {}} }").eval()?;
    /// let rows: Vec<HashMap<String, serde_json::Value>> = lua.from_value(v)?;
    /// assert_eq!(rows[0]["tags"], serde_json::json!(["a"]));
    /// assert_eq!(rows[1]["id"], serde_json::json!(2));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn from_value<T: de::DeserializeOwned>(&self, value: Value) -> Result<T> {
        T::deserialize(Deserializer::new(value))
    }
}

/// mlua's trait for the serde methods, so code written against
/// `mlua::LuaSerdeExt` compiles unchanged. [`Lua`] has the same methods as
/// inherent methods; this trait forwards to them.
///
/// ```
/// use oxilua::prelude::*;
/// fn roundtrip<L: LuaSerdeExt>(l: &L, n: Vec<u8>) -> LuaResult<Vec<u8>> {
///     l.from_value(l.to_value(&n)?)
/// }
/// assert_eq!(roundtrip(&Lua::new(), vec![1, 2])?, vec![1, 2]);
/// # Ok::<(), LuaError>(())
/// ```
pub trait LuaSerdeExt {
    /// See [`Lua::null`].
    fn null(&self) -> Value;
    /// See [`Lua::array_metatable`].
    fn array_metatable(&self) -> Table;
    /// See [`Lua::to_value`].
    fn to_value<T: Serialize + ?Sized>(&self, t: &T) -> Result<Value>;
    /// See [`Lua::from_value`].
    #[allow(clippy::wrong_self_convention)] // mlua's name
    fn from_value<T: de::DeserializeOwned>(&self, value: Value) -> Result<T>;
}

impl LuaSerdeExt for Lua {
    fn null(&self) -> Value {
        Lua::null(self)
    }
    fn array_metatable(&self) -> Table {
        Lua::array_metatable(self)
    }
    fn to_value<T: Serialize + ?Sized>(&self, t: &T) -> Result<Value> {
        Lua::to_value(self, t)
    }
    fn from_value<T: de::DeserializeOwned>(&self, value: Value) -> Result<T> {
        Lua::from_value(self, value)
    }
}

// ============================================================================
// Rust -> Lua
// ============================================================================

/// A serde `Serializer` producing Lua values of one state.
#[derive(Clone, Copy)]
struct Serializer<'a> {
    lua: &'a Lua,
}

fn not_exact(ty: &str) -> Error {
    Error::SerializeError(format!("{ty} value is not exactly representable as a Lua number"))
}

fn int_value(v: i128, ty: &str) -> Result<Value> {
    let f = v as f64;
    // |v| < 2^127: f's magnitude is at most 2^127, which only saturates at the top
    if f >= 1.7014118346046923e38 || f as i128 != v {
        return Err(not_exact(ty));
    }
    Ok(Value::Number(f))
}

impl<'a> Serializer<'a> {
    fn seq(self, len: Option<usize>) -> Result<SeqSer<'a>> {
        let table = self.lua.create_table_with_capacity(len.unwrap_or(0).min(1 << 16), 0)?;
        Ok(SeqSer { lua: self.lua, table, n: 0 })
    }
    fn map(self, len: Option<usize>) -> Result<MapSer<'a>> {
        let table = self.lua.create_table_with_capacity(0, len.unwrap_or(0).min(1 << 16))?;
        Ok(MapSer { lua: self.lua, table, key: None })
    }
    /// `{variant = payload}`.
    fn tagged(self, variant: &str, payload: Value) -> Result<Value> {
        let t = self.lua.create_table_with_capacity(0, 1)?;
        t.raw_set(variant, payload)?;
        Ok(Value::Table(t))
    }
}

impl<'a> ser::Serializer for Serializer<'a> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqSer<'a>;
    type SerializeTuple = SeqSer<'a>;
    type SerializeTupleStruct = SeqSer<'a>;
    type SerializeTupleVariant = VariantSer<'a, SeqSer<'a>>;
    type SerializeMap = MapSer<'a>;
    type SerializeStruct = MapSer<'a>;
    type SerializeStructVariant = VariantSer<'a, MapSer<'a>>;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Boolean(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value> {
        int_value(v.into(), "i64")
    }
    fn serialize_i128(self, v: i128) -> Result<Value> {
        int_value(v, "i128")
    }
    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value> {
        int_value(v.into(), "u64")
    }
    fn serialize_u128(self, v: u128) -> Result<Value> {
        let f = v as f64;
        if f >= 3.402823669209385e38 || f as u128 != v {
            return Err(not_exact("u128"));
        }
        Ok(Value::Number(f))
    }
    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Number(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        let mut buf = [0u8; 4];
        Ok(Value::String(self.lua.create_string(v.encode_utf8(&mut buf))?))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::String(self.lua.create_string(v)?))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::String(self.lua.create_string(v)?))
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(self.lua.null())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(self.lua.null())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(self.lua.null())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Value> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, v: &T) -> Result<Value> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value> {
        let payload = v.serialize(self)?;
        self.tagged(variant, payload)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer<'a>> {
        self.seq(len)
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer<'a>> {
        self.seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSer<'a>> {
        self.seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Ok(VariantSer { ser: self, variant, inner: self.seq(Some(len))? })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer<'a>> {
        self.map(len)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapSer<'a>> {
        self.map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Ok(VariantSer { ser: self, variant, inner: self.map(Some(len))? })
    }
}

/// Builds a sequence table; `end` marks it with the array metatable.
struct SeqSer<'a> {
    lua: &'a Lua,
    table: Table,
    n: usize,
}

impl SeqSer<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.n += 1;
        self.table.raw_set(self.n as f64, v)
    }
    fn finish(self) -> Result<Value> {
        self.table.set_metatable(Some(self.lua.array_metatable()));
        Ok(Value::Table(self.table))
    }
}

impl ser::SerializeSeq for SeqSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.push(v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}
impl ser::SerializeTuple for SeqSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.push(v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}
impl ser::SerializeTupleStruct for SeqSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.push(v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

/// Builds a map or struct table.
struct MapSer<'a> {
    lua: &'a Lua,
    table: Table,
    key: Option<Value>,
}

impl MapSer<'_> {
    fn finish(self) -> Result<Value> {
        Ok(Value::Table(self.table))
    }
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.table.raw_set(key, v)
    }
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<()> {
        self.key = Some(k.serialize(Serializer { lua: self.lua })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let k = self.key.take().ok_or_else(|| Error::SerializeError("map value without a key".into()))?;
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.table.raw_set(k, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}
impl ser::SerializeStruct for MapSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        self.field(key, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

/// A tuple or struct variant: the payload wrapped in `{variant = payload}`.
struct VariantSer<'a, S> {
    ser: Serializer<'a>,
    variant: &'static str,
    inner: S,
}

impl<'a> ser::SerializeTupleVariant for VariantSer<'a, SeqSer<'a>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.inner.push(v)
    }
    fn end(self) -> Result<Value> {
        let payload = self.inner.finish()?;
        self.ser.tagged(self.variant, payload)
    }
}
impl<'a> ser::SerializeStructVariant for VariantSer<'a, MapSer<'a>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<()> {
        self.inner.field(key, v)
    }
    fn end(self) -> Result<Value> {
        let payload = self.inner.finish()?;
        self.ser.tagged(self.variant, payload)
    }
}

// ============================================================================
// Lua -> Rust
// ============================================================================

/// How a table reads under the array/map rule.
enum Shape {
    /// Elements in order (holes are `nil`).
    Seq(Vec<Value>),
    /// All pairs, in `next` order (possibly empty).
    Map(Vec<(Value, Value)>),
}

fn has_array_mt(t: &Table) -> bool {
    t.metatable().is_some_and(|m| m == t.lua().array_metatable())
}

fn pairs_of(t: &Table) -> Result<Vec<(Value, Value)>> {
    t.pairs::<Value, Value>().collect()
}

/// A positive integer key, as an index.
fn seq_index(k: &Value) -> Option<usize> {
    match k {
        Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= (1u64 << 53) as f64 => Some(*n as usize),
        _ => None,
    }
}

fn shape(t: &Table) -> Result<Shape> {
    let pairs = pairs_of(t)?;
    if has_array_mt(t) {
        let mut max = 0;
        for (k, _) in &pairs {
            match seq_index(k) {
                Some(i) => max = max.max(i),
                None => {
                    return Err(Error::DeserializeError(format!(
                        "array table has a non-index key ({})",
                        k.to_string().unwrap_or_else(|_| k.type_name().into())
                    )))
                }
            }
        }
        if max > 2 * pairs.len() + 16 {
            return Err(Error::DeserializeError(format!("array table too sparse ({} elements, index {max})", pairs.len())));
        }
        let mut items = vec![Value::Nil; max];
        for (k, v) in pairs {
            items[seq_index(&k).expect("checked") - 1] = v;
        }
        return Ok(Shape::Seq(items));
    }
    let n = pairs.len();
    if n >= 1 && pairs.iter().all(|(k, _)| seq_index(k).is_some_and(|i| i <= n)) {
        // n distinct keys, all in 1..=n: exactly 1..=n
        let mut items = vec![Value::Nil; n];
        for (k, v) in pairs {
            items[seq_index(&k).expect("checked") - 1] = v;
        }
        return Ok(Shape::Seq(items));
    }
    Ok(Shape::Map(pairs))
}

/// A serde `Deserializer` reading one Lua value.
struct Deserializer {
    value: Value,
    depth: usize,
    /// Reading a map key: numbers may become strings and numeric strings integers.
    key: bool,
}

impl Deserializer {
    fn new(value: Value) -> Self {
        Deserializer { value, depth: 0, key: false }
    }
    fn child(&self, value: Value) -> Result<Self> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::DeserializeError(format!("tables nested more than {MAX_DEPTH} deep (a cycle?)")));
        }
        Ok(Deserializer { value, depth: self.depth + 1, key: false })
    }
    fn unexpected(&self) -> de::Unexpected<'_> {
        match &self.value {
            Value::Nil => de::Unexpected::Unit,
            Value::Boolean(b) => de::Unexpected::Bool(*b),
            Value::Number(n) => de::Unexpected::Float(*n),
            Value::String(_) => de::Unexpected::Other("string"),
            Value::Table(_) => de::Unexpected::Other("table"),
            Value::LightUserData(p) if p.0.is_null() => de::Unexpected::Other("null"),
            other => de::Unexpected::Other(other.type_name()),
        }
    }
    fn invalid<T>(&self, exp: &dyn de::Expected) -> Result<T> {
        Err(de::Error::invalid_type(self.unexpected(), exp))
    }
    fn visit_seq<'de, V: Visitor<'de>>(&self, items: Vec<Value>, visitor: V) -> Result<V::Value> {
        let len = items.len();
        let mut access = SeqAccess { items: items.into_iter(), parent: self };
        let out = visitor.visit_seq(&mut access)?;
        let left = access.items.len();
        if left != 0 {
            return Err(de::Error::invalid_length(len, &format!("{} elements", len - left).as_str()));
        }
        Ok(out)
    }
    fn visit_map<'de, V: Visitor<'de>>(&self, pairs: Vec<(Value, Value)>, visitor: V) -> Result<V::Value> {
        let mut access = MapAccess { pairs: pairs.into_iter(), value: None, parent: self };
        visitor.visit_map(&mut access)
    }
    /// An integer target: the number must be integral and fit 64 bits (the
    /// visitor checks the narrower range).
    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let n = match &self.value {
            Value::Number(n) => *n,
            Value::String(s) if self.key => match crate::numfmt::str2number(&s.as_bytes()) {
                Some(n) => n,
                None => return self.invalid(&visitor),
            },
            _ => return self.invalid(&visitor),
        };
        if n.fract() != 0.0 || !n.is_finite() {
            return Err(Error::DeserializeError(format!("number {} has no integer representation", crate::numfmt::number_to_string(n))));
        }
        if (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
            visitor.visit_i64(n as i64)
        } else if (0.0..1.8446744073709552e19).contains(&n) {
            visitor.visit_u64(n as u64)
        } else {
            Err(Error::DeserializeError(format!("number {} is out of range", crate::numfmt::number_to_string(n))))
        }
    }
}

impl<'de> de::Deserializer<'de> for Deserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Nil => visitor.visit_unit(),
            Value::LightUserData(p) if p.0.is_null() => visitor.visit_unit(),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                let n = *n;
                if n.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
                    visitor.visit_i64(n as i64)
                } else if n.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&n) {
                    visitor.visit_u64(n as u64)
                } else {
                    visitor.visit_f64(n)
                }
            }
            Value::String(s) => {
                let b = s.as_bytes();
                match String::from_utf8(b) {
                    Ok(s) => visitor.visit_string(s),
                    Err(e) => visitor.visit_byte_buf(e.into_bytes()),
                }
            }
            Value::Table(t) => match shape(t)? {
                Shape::Seq(items) => self.visit_seq(items, visitor),
                Shape::Map(pairs) => self.visit_map(pairs, visitor),
            },
            other => Err(Error::DeserializeError(format!("cannot deserialize a Lua {}", other.type_name()))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.value.is_nil() || self.value.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.value.is_nil() || self.value.is_null() {
            visitor.visit_unit()
        } else {
            self.invalid(&visitor)
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Boolean(b) => visitor.visit_bool(b),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.value {
            Value::Number(n) => visitor.visit_f64(n),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::String(s) => visitor.visit_string(
                s.to_str().map_err(|_| Error::DeserializeError("string is not valid UTF-8 (deserialize it as bytes)".into()))?,
            ),
            Value::Number(n) if self.key => visitor.visit_string(crate::numfmt::number_to_string(*n)),
            _ => self.invalid(&visitor),
        }
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_byte_buf(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::String(s) => visitor.visit_byte_buf(s.as_bytes()),
            Value::Table(_) => self.deserialize_seq(visitor),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => match shape(t)? {
                Shape::Seq(items) => self.visit_seq(items, visitor),
                Shape::Map(pairs) if pairs.is_empty() => self.visit_seq(Vec::new(), visitor),
                Shape::Map(_) => Err(Error::DeserializeError("expected a sequence, got a table whose keys are not 1..n".into())),
            },
            _ => self.invalid(&visitor),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => {
                if has_array_mt(t) {
                    // a marked array is a sequence; as a map its keys are 1..n
                    return match shape(t)? {
                        Shape::Seq(items) => {
                            let pairs = items
                                .into_iter()
                                .enumerate()
                                .filter(|(_, v)| !v.is_nil())
                                .map(|(i, v)| (Value::Number(i as f64 + 1.0), v))
                                .collect();
                            self.visit_map(pairs, visitor)
                        }
                        Shape::Map(pairs) => self.visit_map(pairs, visitor),
                    };
                }
                let pairs = pairs_of(t)?;
                self.visit_map(pairs, visitor)
            }
            _ => self.invalid(&visitor),
        }
    }
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => {
                let pairs = pairs_of(t)?;
                self.visit_map(pairs, visitor)
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value> {
        match &self.value {
            Value::String(_) => {
                let variant = Deserializer { value: self.value.clone(), depth: self.depth, key: true };
                visitor.visit_enum(EnumAccess { variant, payload: None, parent: &self })
            }
            Value::Table(t) => {
                let mut pairs = pairs_of(t)?;
                if pairs.len() != 1 {
                    return Err(Error::DeserializeError(format!(
                        "an enum is a string or a table with exactly one key (the variant), got a table with {} keys",
                        pairs.len()
                    )));
                }
                let (k, v) = pairs.pop().expect("one pair");
                if !matches!(k, Value::String(_)) {
                    return Err(Error::DeserializeError(format!("enum variant name must be a string, got a {}", k.type_name())));
                }
                let variant = Deserializer { value: k, depth: self.depth, key: true };
                visitor.visit_enum(EnumAccess { variant, payload: Some(v), parent: &self })
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

struct SeqAccess<'p> {
    items: std::vec::IntoIter<Value>,
    parent: &'p Deserializer,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(v) => seed.deserialize(self.parent.child(v)?).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'p> {
    pairs: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
    parent: &'p Deserializer,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.pairs.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let mut d = self.parent.child(k)?;
                d.key = true;
                seed.deserialize(d).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let v = self.value.take().ok_or_else(|| Error::DeserializeError("map value without a key".into()))?;
        seed.deserialize(self.parent.child(v)?)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

struct EnumAccess<'p> {
    variant: Deserializer,
    payload: Option<Value>,
    parent: &'p Deserializer,
}

impl<'de, 'p> de::EnumAccess<'de> for EnumAccess<'p> {
    type Error = Error;
    type Variant = VariantAccess<'p>;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantAccess<'p>)> {
        let v = seed.deserialize(self.variant)?;
        Ok((v, VariantAccess { payload: self.payload, parent: self.parent }))
    }
}

struct VariantAccess<'p> {
    payload: Option<Value>,
    parent: &'p Deserializer,
}

impl VariantAccess<'_> {
    fn payload(self, what: &str) -> Result<Deserializer> {
        match self.payload {
            Some(v) => self.parent.child(v),
            None => Err(Error::DeserializeError(format!("expected a {what} variant, got a unit variant (a string)"))),
        }
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_> {
    type Error = Error;
    fn unit_variant(self) -> Result<()> {
        match &self.payload {
            None => Ok(()),
            Some(v) if v.is_nil() || v.is_null() => Ok(()),
            Some(v) => Err(Error::DeserializeError(format!("expected a unit variant, got a {} payload", v.type_name()))),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self.payload("newtype")?)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(self.payload("tuple")?, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(self.payload("struct")?, "", fields, visitor)
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = ValueDeserializer;
    fn into_deserializer(self) -> ValueDeserializer {
        ValueDeserializer(Deserializer::new(self))
    }
}

/// A serde `Deserializer` over a [`Value`] (from `value.into_deserializer()`),
/// for `T::deserialize` and serde adapters; same rules as [`Lua::from_value`].
pub struct ValueDeserializer(Deserializer);

macro_rules! forward_to_inner {
    ($($m:ident),*) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.0.$m(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = Error;
    forward_to_inner!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        self.0.deserialize_unit_struct(name, visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        self.0.deserialize_newtype_struct(name, visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.0.deserialize_tuple(len, visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(self, name: &'static str, len: usize, visitor: V) -> Result<V::Value> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }
    fn deserialize_struct<V: Visitor<'de>>(self, name: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.0.deserialize_struct(name, fields, visitor)
    }
    fn deserialize_enum<V: Visitor<'de>>(self, name: &'static str, variants: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.0.deserialize_enum(name, variants, visitor)
    }
}

// ============================================================================
// Value: Serialize
// ============================================================================

/// Serializes with the same rules as [`Lua::from_value`] reads: `nil` and
/// null as unit, integral numbers as integers, tables as sequences or maps
/// by the array/map rule (module docs). Functions, userdata, threads and
/// tables nested more than 128 deep are errors.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let v: LuaValue = lua.load("return { name = 'x', list = {1, 2.5}, empty = setmetatable({}, ...) }")
///     .call(lua.array_metatable())?;
/// let json = serde_json::to_value(&v).unwrap();
/// assert_eq!(json, serde_json::json!({"name": "x", "list": [1, 2.5], "empty": []}));
/// # Ok::<(), LuaError>(())
/// ```
impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        SerValue { v: self, depth: 0 }.serialize(s)
    }
}

struct SerValue<'a> {
    v: &'a Value,
    depth: usize,
}

impl Serialize for SerValue<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use ser::{Error as _, SerializeMap, SerializeSeq};
        match self.v {
            Value::Nil => s.serialize_unit(),
            Value::LightUserData(p) if p.0.is_null() => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Number(n) => {
                let n = *n;
                if n.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
                    s.serialize_i64(n as i64)
                } else {
                    s.serialize_f64(n)
                }
            }
            Value::String(st) => {
                let b = st.as_bytes();
                match std::str::from_utf8(&b) {
                    Ok(t) => s.serialize_str(t),
                    Err(_) => s.serialize_bytes(&b),
                }
            }
            Value::Table(t) => {
                if self.depth >= MAX_DEPTH {
                    return Err(S::Error::custom(format!("tables nested more than {MAX_DEPTH} deep (a cycle?)")));
                }
                let child = |v| SerValue { v, depth: self.depth + 1 };
                match shape(t).map_err(S::Error::custom)? {
                    Shape::Seq(items) => {
                        let mut seq = s.serialize_seq(Some(items.len()))?;
                        for v in &items {
                            seq.serialize_element(&child(v))?;
                        }
                        seq.end()
                    }
                    Shape::Map(pairs) => {
                        let mut map = s.serialize_map(Some(pairs.len()))?;
                        for (k, v) in &pairs {
                            map.serialize_entry(&child(k), &child(v))?;
                        }
                        map.end()
                    }
                }
            }
            other => Err(S::Error::custom(format!("cannot serialize a Lua {}", other.type_name()))),
        }
    }
}
