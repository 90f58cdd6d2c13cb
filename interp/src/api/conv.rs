//! Conversions between Rust values and Lua values.

use super::value::Ref;
use super::{lua_error, AnyUserData, Error, Function, LuaString, MultiValue, Table, Thread, Value, Variadic};
use super::{Lua, Result};
use crate::value::Value as Raw;
use crate::vm::Vm;
use smallvec::SmallVec;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

/// Rust → one Lua value.
///
/// ```
/// use oxilua::prelude::*;
/// struct Celsius(f64);
/// impl IntoLua for Celsius {
///     fn into_lua(self, lua: &Lua) -> LuaResult<LuaValue> {
///         let t = lua.create_table()?;
///         t.set("celsius", self.0)?;
///         Ok(LuaValue::Table(t))
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("temp", Celsius(21.5))?;
/// assert_eq!(lua.load("temp.celsius").eval::<f64>()?, 21.5);
/// # Ok::<(), LuaError>(())
/// ```
pub trait IntoLua: Sized {
    fn into_lua(self, lua: &Lua) -> Result<Value>;

    /// The value without making a handle, when that is possible (the
    /// one-lock paths of calls and table accesses). Not a stable API.
    #[doc(hidden)]
    fn direct(&self) -> Option<Direct<'_>> {
        None
    }
}

/// One Lua value → Rust.
///
/// ```
/// use oxilua::prelude::*;
/// #[derive(Debug, PartialEq)]
/// struct Rgb(u8, u8, u8);
/// impl FromLua for Rgb {
///     fn from_lua(v: LuaValue, lua: &Lua) -> LuaResult<Self> {
///         let t = LuaTable::from_lua(v, lua)?;
///         Ok(Rgb(t.get("r")?, t.get("g")?, t.get("b")?))
///     }
/// }
/// let lua = Lua::new();
/// let c: Rgb = lua.load("{r = 1, g = 2, b = 3}").eval()?;
/// assert_eq!(c, Rgb(1, 2, 3));
/// # Ok::<(), LuaError>(())
/// ```
pub trait FromLua: Sized {
    fn from_lua(value: Value, lua: &Lua) -> Result<Self>;

    /// Convert a raw value inside the state's lock; `None` when this value
    /// needs the general path (which also reports conversion errors). Not a
    /// stable API.
    #[doc(hidden)]
    fn from_raw_direct(_v: Raw, _lua: &Lua, _vm: &mut Vm) -> Option<Result<Self>> {
        None
    }
}

/// Rust → several Lua values (arguments, results).
pub trait IntoLuaMulti: Sized {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue>;

    /// The values without making handles, when every one allows it (see
    /// [`IntoLua::direct`]). Not a stable API.
    #[doc(hidden)]
    fn direct_args(&self) -> Option<DirectArgs<'_>> {
        None
    }
}

/// Several Lua values → Rust.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// // tuples take several values; missing ones are nil
/// let (a, b, c): (i64, String, Option<bool>) = lua.load("1, 'two'").eval()?;
/// assert_eq!((a, b.as_str(), c), (1, "two", None));
/// // Variadic takes all the values
/// let f = lua.create_function(|_, xs: LuaVariadic<i64>| Ok(xs.len()))?;
/// assert_eq!(f.call::<usize>((1, 2, 3))?, 3);
/// # Ok::<(), LuaError>(())
/// ```
pub trait FromLuaMulti: Sized {
    fn from_lua_multi(values: MultiValue, lua: &Lua) -> Result<Self>;
    /// Convert raw results inside the state's lock; `None` for the general
    /// path (see [`FromLua::from_raw_direct`]). Not a stable API.
    #[doc(hidden)]
    fn from_raw_multi(_values: &[Raw], _lua: &Lua, _vm: &mut Vm) -> Option<Result<Self>> {
        None
    }
    /// Arguments of a callback: errors say which argument (starting at `pos`).
    fn from_lua_args(args: MultiValue, pos: usize, to: Option<&str>, lua: &Lua) -> Result<Self> {
        Self::from_lua_multi(args, lua).map_err(|e| bad_arg(to, pos, e))
    }
}

pub(crate) fn bad_arg(to: Option<&str>, pos: usize, e: Error) -> Error {
    match e {
        e @ Error::BadArgument { .. } => e,
        e => Error::BadArgument { to: to.map(str::to_string), pos, name: None, cause: Arc::new(e) },
    }
}

/// A value borrowed from a Rust value, converted to a raw value inside the
/// state's lock without making a handle (see [`IntoLua::direct`]).
#[doc(hidden)]
pub struct Direct<'a>(DirectKind<'a>);

enum DirectKind<'a> {
    Nil,
    Bool(bool),
    Num(f64),
    Light(usize),
    Bytes(&'a [u8]),
    Value(&'a Value),
    Ref(&'a Ref),
}

/// Arguments converted by [`IntoLuaMulti::direct_args`].
#[doc(hidden)]
pub type DirectArgs<'a> = SmallVec<[Direct<'a>; 8]>;

impl Direct<'_> {
    fn nil() -> Direct<'static> {
        Direct(DirectKind::Nil)
    }
    /// The raw value (inside `with_vm`). Always inlined: a `Result` returned
    /// through memory is copied piecewise by the caller (a store-forwarding
    /// stall on every argument of a host call).
    #[inline(always)]
    pub(crate) fn to_raw(&self, lua: &Lua, vm: &mut Vm) -> Result<Raw> {
        match self.to_raw_cached(&vm.heap) {
            Some(r) => Ok(r),
            None => self.to_raw_uncached(lua, vm),
        }
    }

    /// `to_raw` for a value `to_raw_cached` did not convert.
    #[inline]
    pub(crate) fn to_raw_uncached(&self, lua: &Lua, vm: &mut Vm) -> Result<Raw> {
        match self.0 {
            // a handle of this state (a table built for the call)
            DirectKind::Ref(r) if lua.same(&r.lua) => Ok(r.raw(vm)),
            _ => self.to_raw_slow(lua, vm),
        }
    }

    /// The raw value when it needs neither an allocation nor a check: an
    /// immediate value or a string found in the host string cache. `None`
    /// means "use `to_raw_uncached`", never an error.
    #[inline(always)]
    pub(crate) fn to_raw_cached(&self, heap: &crate::gc::Heap) -> Option<Raw> {
        match self.0 {
            DirectKind::Nil => Some(Raw::Nil),
            DirectKind::Bool(b) => Some(Raw::Bool(b)),
            DirectKind::Num(n) => Some(Raw::Num(n)),
            DirectKind::Light(p) => Some(Raw::LightUserData(p)),
            // A short string the host passed before: no allocation, so
            // neither limit applies (`check_alloc` only refuses lengths
            // above 64 bytes, and memory for new strings).
            DirectKind::Bytes(b) if b.len() <= 64 => heap.host_cached(b).map(Raw::Str),
            _ => None,
        }
    }

    #[inline(never)]
    fn to_raw_slow(&self, lua: &Lua, vm: &mut Vm) -> Result<Raw> {
        Ok(match self.0 {
            DirectKind::Nil => Raw::Nil,
            DirectKind::Bool(b) => Raw::Bool(b),
            DirectKind::Num(n) => Raw::Num(n),
            DirectKind::Light(p) => Raw::LightUserData(p),
            DirectKind::Bytes(b) => {
                vm.check_alloc(b.len()).map_err(|e| lua_error(lua, vm, e))?;
                Raw::Str(vm.heap.intern_host(b))
            }
            DirectKind::Value(v) => v.to_raw(lua, vm)?,
            DirectKind::Ref(r) => r.raw_in(lua, vm)?,
        })
    }
}

impl<T: IntoLua> IntoLuaMulti for T {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        let mut m = MultiValue::new();
        m.push_back(self.into_lua(lua)?);
        Ok(m)
    }
    fn direct_args(&self) -> Option<DirectArgs<'_>> {
        let mut a = DirectArgs::new();
        a.push(self.direct()?);
        Some(a)
    }
}

impl<T: FromLua> FromLuaMulti for T {
    fn from_lua_multi(mut values: MultiValue, lua: &Lua) -> Result<Self> {
        T::from_lua(values.pop_front().unwrap_or(Value::Nil), lua)
    }
    fn from_raw_multi(values: &[Raw], lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        T::from_raw_direct(values.first().copied().unwrap_or(Raw::Nil), lua, vm)
    }
}

impl IntoLuaMulti for MultiValue {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(self)
    }
    fn direct_args(&self) -> Option<DirectArgs<'_>> {
        Some(self.iter().map(|v| Direct(DirectKind::Value(v))).collect())
    }
}
impl FromLuaMulti for MultiValue {
    fn from_lua_multi(values: MultiValue, _: &Lua) -> Result<Self> {
        Ok(values)
    }
    fn from_raw_multi(values: &[Raw], lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        Some(Ok(values.iter().map(|&v| Value::from_raw(lua, vm, v)).collect()))
    }
}
impl IntoLuaMulti for () {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(MultiValue::new())
    }
    fn direct_args(&self) -> Option<DirectArgs<'_>> {
        Some(DirectArgs::new())
    }
}
impl FromLuaMulti for () {
    fn from_lua_multi(_: MultiValue, _: &Lua) -> Result<Self> {
        Ok(())
    }
    fn from_raw_multi(_: &[Raw], _: &Lua, _: &mut Vm) -> Option<Result<Self>> {
        Some(Ok(()))
    }
}
impl<T: IntoLua> IntoLuaMulti for Variadic<T> {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        self.into_iter().map(|v| v.into_lua(lua)).collect()
    }
    fn direct_args(&self) -> Option<DirectArgs<'_>> {
        self.iter().map(|v| v.direct()).collect()
    }
}
impl<T: FromLua> FromLuaMulti for Variadic<T> {
    fn from_lua_multi(values: MultiValue, lua: &Lua) -> Result<Self> {
        values.into_iter().map(|v| T::from_lua(v, lua)).collect()
    }
    fn from_lua_args(args: MultiValue, pos: usize, to: Option<&str>, lua: &Lua) -> Result<Self> {
        args.into_iter().enumerate().map(|(i, v)| T::from_lua(v, lua).map_err(|e| bad_arg(to, pos + i, e))).collect()
    }
}
impl<T: IntoLua, E: Into<Error>> IntoLuaMulti for std::result::Result<T, E> {
    /// `Ok(v)` → `v`; `Err(e)` → `nil, message` (Lua's convention).
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        match self {
            Ok(v) => v.into_lua_multi(lua),
            Err(e) => {
                let e: Error = e.into();
                let mut m = MultiValue::new();
                m.push_back(Value::Nil);
                m.push_back(lua.create_string(e.to_string())?.into());
                Ok(m)
            }
        }
    }
}

// Tuples: every element but the last takes one value; the last takes the
// rest (one value for a plain type, all of them for `Variadic` or
// `MultiValue`), as in mlua, so `(String, Variadic<i64>)` works as callback
// arguments and `(bool, MultiValue)` as results.
macro_rules! tuple_impls {
    ($($name:ident)* ; $last:ident) => {
        impl<$($name: IntoLua,)* $last: IntoLuaMulti> IntoLuaMulti for ($($name,)* $last,) {
            #[allow(non_snake_case)]
            fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
                let ($($name,)* $last,) = self;
                let mut m = MultiValue::new();
                $(m.push_back($name.into_lua(lua)?);)*
                for v in $last.into_lua_multi(lua)? {
                    m.push_back(v);
                }
                Ok(m)
            }
        }
        impl<$($name: FromLua,)* $last: FromLuaMulti> FromLuaMulti for ($($name,)* $last,) {
            #[allow(non_snake_case, unused_mut)]
            fn from_lua_multi(mut values: MultiValue, lua: &Lua) -> Result<Self> {
                $(let $name = $name::from_lua(values.pop_front().unwrap_or(Value::Nil), lua)?;)*
                let $last = $last::from_lua_multi(values, lua)?;
                Ok(($($name,)* $last,))
            }
            #[allow(non_snake_case, unused_assignments, unused_mut)]
            fn from_lua_args(mut values: MultiValue, pos: usize, to: Option<&str>, lua: &Lua) -> Result<Self> {
                let mut i = pos;
                $(
                    let $name = $name::from_lua(values.pop_front().unwrap_or(Value::Nil), lua).map_err(|e| bad_arg(to, i, e))?;
                    i += 1;
                )*
                let $last = $last::from_lua_args(values, i, to, lua)?;
                Ok(($($name,)* $last,))
            }
        }
    };
}
tuple_impls!(; A);
tuple_impls!(A; B);
tuple_impls!(A B; C);
tuple_impls!(A B C; D);
tuple_impls!(A B C D; E);
tuple_impls!(A B C D E; F);
tuple_impls!(A B C D E F; G);
tuple_impls!(A B C D E F G; H);
tuple_impls!(A B C D E F G H; I);
tuple_impls!(A B C D E F G H I; J);
tuple_impls!(A B C D E F G H I J; K);
tuple_impls!(A B C D E F G H I J K; L);

// ----- single values --------------------------------------------------------

fn type_err<T>(v: &Value, to: &str) -> Result<T> {
    Err(Error::from_conv(v.type_name(), to, None))
}

impl IntoLua for Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self)
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Value(self)))
    }
}
impl FromLua for Value {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        Ok(v)
    }
    fn from_raw_direct(v: Raw, lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        Some(Ok(Value::from_raw(lua, vm, v)))
    }
}
impl IntoLua for &Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self.clone())
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Value(self)))
    }
}

macro_rules! handle_conv {
    ($($t:ident => $v:ident, $raw:ident, $name:literal);*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> { Ok(Value::$v(self)) }
            fn direct(&self) -> Option<Direct<'_>> { Some(Direct(DirectKind::Ref(&self.0))) }
        }
        impl IntoLua for &$t {
            fn into_lua(self, _: &Lua) -> Result<Value> { Ok(Value::$v(self.clone())) }
            fn direct(&self) -> Option<Direct<'_>> { Some(Direct(DirectKind::Ref(&self.0))) }
        }
        impl FromLua for $t {
            fn from_lua(v: Value, _: &Lua) -> Result<Self> {
                match v { Value::$v(h) => Ok(h), other => type_err(&other, $name) }
            }
            fn from_raw_direct(v: Raw, lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
                match v { Raw::$raw(_) => Some(Ok($t(Ref::new(lua, vm, v)))), _ => None }
            }
        }
    )*};
}
handle_conv!(Table => Table, Table, "table"; Function => Function, Func, "function"; Thread => Thread, Thread, "thread");
// Userdata: the error object is a userdata that converts to `Value::Error`.
impl IntoLua for AnyUserData {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::UserData(self))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Ref(&self.0)))
    }
}
impl IntoLua for &AnyUserData {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::UserData(self.clone()))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Ref(&self.0)))
    }
}
impl FromLua for AnyUserData {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::UserData(h) => Ok(h),
            other => type_err(&other, "userdata"),
        }
    }
}

impl IntoLua for LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Ref(&self.0)))
    }
}
impl IntoLua for &LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self.clone()))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Ref(&self.0)))
    }
}
impl FromLua for LuaString {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => lua.create_string(crate::numfmt::number_to_string(n)),
            other => type_err(&other, "string"),
        }
    }
    fn from_raw_direct(v: Raw, lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        match v {
            Raw::Str(_) => Some(Ok(LuaString(Ref::new(lua, vm, v)))),
            _ => None,
        }
    }
}

impl IntoLua for bool {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Boolean(self))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Bool(*self)))
    }
}
/// Truthiness, like Lua (`nil` and `false` are false).
impl FromLua for bool {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        Ok(!matches!(v, Value::Nil | Value::Boolean(false)))
    }
    fn from_raw_direct(v: Raw, _: &Lua, _: &mut Vm) -> Option<Result<Self>> {
        Some(Ok(!matches!(v, Raw::Nil | Raw::Bool(false))))
    }
}

impl IntoLua for super::LightUserData {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::LightUserData(self))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Light(self.0 as usize)))
    }
}
impl FromLua for super::LightUserData {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::LightUserData(p) => Ok(p),
            other => type_err(&other, "lightuserdata"),
        }
    }
}

impl IntoLua for Error {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Error(Box::new(self)))
    }
}

/// A number, coercing numeric strings like Lua does.
fn to_number(v: &Value, to: &str) -> Result<f64> {
    match v {
        Value::Number(n) => Ok(*n),
        Value::String(s) => {
            let b = s.as_bytes();
            crate::numfmt::str2number(&b).ok_or_else(|| Error::from_conv("string", to, Some("expected number".into())))
        }
        other => type_err(other, to),
    }
}

macro_rules! float_conv {
    ($($t:ty),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> { Ok(Value::Number(self as f64)) }
            fn direct(&self) -> Option<Direct<'_>> { Some(Direct(DirectKind::Num(*self as f64))) }
        }
        impl FromLua for $t {
            fn from_lua(v: Value, _: &Lua) -> Result<Self> { Ok(to_number(&v, stringify!($t))? as $t) }
            fn from_raw_direct(v: Raw, _: &Lua, _: &mut Vm) -> Option<Result<Self>> {
                match v { Raw::Num(n) => Some(Ok(n as $t)), _ => None }
            }
        }
    )*};
}
float_conv!(f32, f64);

macro_rules! int_conv {
    ($($t:ty),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                let f = self as f64;
                // 64-bit values above 2^53 may not be representable
                if f as $t != self || (f >= 18446744073709551616.0) {
                    return Err(Error::ToLuaConversionError {
                        from: stringify!($t).into(),
                        to: "number",
                        message: Some("integer not exactly representable as a Lua number".into()),
                    });
                }
                Ok(Value::Number(f))
            }
            fn direct(&self) -> Option<Direct<'_>> {
                let f = *self as f64;
                // not representable: the general path reports the error
                (f as $t == *self && f < 18446744073709551616.0).then_some(Direct(DirectKind::Num(f)))
            }
        }
        impl FromLua for $t {
            fn from_raw_direct(v: Raw, _: &Lua, _: &mut Vm) -> Option<Result<Self>> {
                match v {
                    Raw::Num(n) if n.fract() == 0.0 && n >= <$t>::MIN as f64 && n < (<$t>::MAX as f64) + 1.0 => Some(Ok(n as $t)),
                    _ => None,
                }
            }
            fn from_lua(v: Value, _: &Lua) -> Result<Self> {
                let n = to_number(&v, stringify!($t))?;
                let from = v.type_name();
                if n.fract() != 0.0 || n.is_nan() {
                    return Err(Error::from_conv(from, stringify!($t), Some("number has no integer representation".into())));
                }
                if n < <$t>::MIN as f64 || n >= (<$t>::MAX as f64) + 1.0 {
                    return Err(Error::from_conv(from, stringify!($t), Some("out of range".into())));
                }
                Ok(n as $t)
            }
        }
    )*};
}
int_conv!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! bytes_conv {
    ($($t:ty),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, lua: &Lua) -> Result<Value> {
                let b: &[u8] = self.as_ref();
                Ok(Value::String(lua.create_string(b)?))
            }
            fn direct(&self) -> Option<Direct<'_>> {
                let b: &[u8] = self.as_ref();
                Some(Direct(DirectKind::Bytes(b)))
            }
        }
    )*};
}
bytes_conv!(String, &String, &str, &[u8]);
impl IntoLua for std::borrow::Cow<'_, str> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self.as_bytes())?))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Bytes(self.as_bytes())))
    }
}
impl IntoLua for char {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self.to_string())?))
    }
}
/// Strings (UTF-8 required) and numbers (formatted like `tostring`).
impl FromLua for String {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::String(s) => s.to_str(),
            Value::Number(n) => Ok(crate::numfmt::number_to_string(n)),
            other => type_err(&other, "String"),
        }
    }
    fn from_raw_direct(v: Raw, _: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        match v {
            Raw::Str(s) => std::str::from_utf8(vm.str_bytes(s)).ok().map(|s| Ok(s.to_owned())),
            Raw::Num(n) => Some(Ok(crate::numfmt::number_to_string(n))),
            _ => None,
        }
    }
}

/// Bytes as a Lua string (`Vec<u8>` converts as a sequence of numbers, like mlua).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BString(pub Vec<u8>);
impl std::ops::Deref for BString {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}
impl From<Vec<u8>> for BString {
    fn from(v: Vec<u8>) -> Self {
        BString(v)
    }
}
impl From<&[u8]> for BString {
    fn from(v: &[u8]) -> Self {
        BString(v.to_vec())
    }
}
impl IntoLua for BString {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(&self.0)?))
    }
    fn direct(&self) -> Option<Direct<'_>> {
        Some(Direct(DirectKind::Bytes(&self.0)))
    }
}
impl FromLua for BString {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        Ok(BString(LuaString::from_lua(v, lua)?.as_bytes()))
    }
    fn from_raw_direct(v: Raw, _: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        match v {
            Raw::Str(s) => Some(Ok(BString(vm.str_bytes(s).to_vec()))),
            _ => None,
        }
    }
}

impl<T: IntoLua> IntoLua for Option<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        match self {
            Some(v) => v.into_lua(lua),
            None => Ok(Value::Nil),
        }
    }
    fn direct(&self) -> Option<Direct<'_>> {
        match self {
            Some(v) => v.direct(),
            None => Some(Direct::nil()),
        }
    }
}
impl<T: FromLua> FromLua for Option<T> {
    fn from_lua(v: Value, lua: &Lua) -> Result<Self> {
        match v {
            Value::Nil => Ok(None),
            v => T::from_lua(v, lua).map(Some),
        }
    }
    fn from_raw_direct(v: Raw, lua: &Lua, vm: &mut Vm) -> Option<Result<Self>> {
        match v {
            Raw::Nil => Some(Ok(None)),
            v => T::from_raw_direct(v, lua, vm).map(|r| r.map(Some)),
        }
    }
}

impl<T: IntoLua> IntoLua for Vec<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_sequence_from(self)?))
    }
}
impl<T: IntoLua, const N: usize> IntoLua for [T; N] {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_sequence_from(self)?))
    }
}
impl<T: FromLua> FromLua for Vec<T> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.sequence_values::<T>().collect(),
            other => type_err(&other, "Vec"),
        }
    }
}

impl<K: IntoLua + Eq + Hash, V: IntoLua, S> IntoLua for HashMap<K, V, S> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_table_from(self)?))
    }
}
impl<K: FromLua + Eq + Hash, V: FromLua, S: std::hash::BuildHasher + Default> FromLua for HashMap<K, V, S> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.pairs::<K, V>().collect(),
            other => type_err(&other, "HashMap"),
        }
    }
}
impl<K: IntoLua + Ord, V: IntoLua> IntoLua for BTreeMap<K, V> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_table_from(self)?))
    }
}
impl<K: FromLua + Ord, V: FromLua> FromLua for BTreeMap<K, V> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.pairs::<K, V>().collect(),
            other => type_err(&other, "BTreeMap"),
        }
    }
}
/// A set is a table whose keys map to `true`.
impl<K: IntoLua + Eq + Hash, S> IntoLua for std::collections::HashSet<K, S> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_table_from(self.into_iter().map(|k| (k, true)))?))
    }
}
impl<K: FromLua + Eq + Hash, S: std::hash::BuildHasher + Default> FromLua for std::collections::HashSet<K, S> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::Table(t) => t.pairs::<K, Value>().map(|r| r.map(|(k, _)| k)).collect(),
            other => type_err(&other, "HashSet"),
        }
    }
}
