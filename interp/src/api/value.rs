//! API values and `'static` handles to Lua objects.

use super::{Error, Lua, Result};
use crate::value::Value as Raw;
use crate::vm::Vm;
use std::fmt;

/// A rooted reference to a Lua object: keeps it alive while the handle lives.
pub(crate) struct Ref {
    pub(crate) lua: Lua,
    pub(crate) slot: u32,
}

impl Ref {
    /// Root `v` (called inside `with_vm`).
    pub(crate) fn new(lua: &Lua, vm: &mut Vm, v: Raw) -> Ref {
        Ref { lua: lua.clone(), slot: vm.api_roots.add(v) }
    }
    pub(crate) fn raw(&self, vm: &Vm) -> Raw {
        vm.api_roots.get(self.slot)
    }
    /// The raw value, checking it belongs to `lua`.
    pub(crate) fn raw_in(&self, lua: &Lua, vm: &Vm) -> Result<Raw> {
        if !lua.same(&self.lua) {
            return Err(Error::MismatchedState);
        }
        Ok(vm.api_roots.get(self.slot))
    }
}

impl Clone for Ref {
    fn clone(&self) -> Self {
        self.lua.shared.root_op(self.slot, true);
        Ref { lua: self.lua.clone(), slot: self.slot }
    }
}

impl Drop for Ref {
    fn drop(&mut self) {
        self.lua.shared.root_op(self.slot, false);
    }
}

impl fmt::Debug for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({})", self.slot)
    }
}

impl PartialEq for Ref {
    fn eq(&self, o: &Ref) -> bool {
        self.lua.same(&o.lua) && self.lua.shared.with_vm(|vm| self.raw(vm) == o.raw(vm))
    }
}

macro_rules! handle_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(pub(crate) Ref);
        impl $name {
            /// The state this handle belongs to.
            pub fn lua(&self) -> &Lua {
                &self.0.lua
            }
            /// Converts to a generic [`Value`].
            pub fn to_value(&self) -> Value {
                Value::from(self.clone())
            }
            /// An opaque identity (equal for handles to the same object while it lives).
            pub fn to_pointer(&self) -> usize {
                self.0.lua.shared.with_vm(|vm| match self.0.raw(vm) {
                    Raw::Table(t) => t.id() as usize,
                    Raw::Func(t) => t.id() as usize,
                    Raw::UserData(t) => t.id() as usize,
                    Raw::Thread(t) => t.id() as usize,
                    Raw::Str(t) => t.id() as usize,
                    _ => 0,
                })
            }
        }
    };
}

handle_type!(
    /// A Lua table. Methods honour metamethods unless named `raw_*`.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_table()?;
    /// t.set("answer", 42)?;
    /// assert_eq!(t.get::<i64>("answer")?, 42);
    /// # Ok::<(), LuaError>(())
    /// ```
    Table
);
handle_type!(
    /// A Lua function (Lua or Rust).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let f: LuaFunction = lua.load("function(a, b) return a + b end").eval()?;
    /// assert_eq!(f.call::<i64>((1, 2))?, 3);
    /// # Ok::<(), LuaError>(())
    /// ```
    Function
);
handle_type!(
    /// A coroutine.
    Thread
);
handle_type!(
    /// A full userdata (created by [`Lua::create_userdata`] or by scripts).
    AnyUserData
);
handle_type!(
    /// A Lua string: bytes, not necessarily UTF-8.
    LuaString
);

/// A light userdata: a plain pointer-sized value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LightUserData(pub *mut std::ffi::c_void);
// SAFETY: the pointer is never dereferenced by the engine; it is an opaque number.
unsafe impl Send for LightUserData {}
// SAFETY: as above.
unsafe impl Sync for LightUserData {}

/// A Lua value as seen by the host.
///
/// Lua 5.2 has one number type: there is no `Integer` variant; integers
/// convert to and from [`Value::Number`] with range checks.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let v: LuaValue = lua.load("{1, 2}").eval()?;
/// match &v {
///     LuaValue::Table(t) => assert_eq!(t.raw_len(), 2),
///     other => panic!("{}", other.type_name()),
/// }
/// assert_eq!(lua.load("2^10").eval::<LuaValue>()?.as_i64(), Some(1024));
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Boolean(bool),
    LightUserData(LightUserData),
    Number(f64),
    String(LuaString),
    Table(Table),
    Function(Function),
    Thread(Thread),
    UserData(AnyUserData),
    /// An error object (raised by a Rust callback, caught by `pcall`).
    Error(Box<Error>),
}

pub use Value::Nil;

impl PartialEq for Value {
    fn eq(&self, o: &Value) -> bool {
        match (self, o) {
            (Value::Nil, Value::Nil) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => a == b,
            (Value::Function(a), Value::Function(b)) => a == b,
            (Value::Thread(a), Value::Thread(b)) => a == b,
            (Value::UserData(a), Value::UserData(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// The null sentinel of serde conversions (same as [`Lua::null`]): a
    /// light userdata holding a null pointer.
    pub const NULL: Value = Value::LightUserData(LightUserData(std::ptr::null_mut()));

    /// The Lua type name (`"nil"`, `"number"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Boolean(_) => "boolean",
            Value::LightUserData(_) => "lightuserdata",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
            Value::Thread(_) => "thread",
            Value::UserData(_) => "userdata",
            Value::Error(_) => "error",
        }
    }
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    /// Whether this is the [`Lua::null`] sentinel.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::LightUserData(p) if p.0.is_null())
    }
    pub fn as_boolean(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
    /// The number as an integer, when it is one and fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 && *n >= -9.223372036854776e18 && *n < 9.223372036854776e18 => Some(*n as i64),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<String> {
        match self {
            Value::String(s) => s.to_str().ok(),
            _ => None,
        }
    }
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }
    pub fn as_function(&self) -> Option<&Function> {
        match self {
            Value::Function(t) => Some(t),
            _ => None,
        }
    }
    pub fn as_userdata(&self) -> Option<&AnyUserData> {
        match self {
            Value::UserData(t) => Some(t),
            _ => None,
        }
    }
    /// `tostring` of the value (honours `__tostring`).
    pub fn to_string(&self) -> Result<String> {
        match self {
            Value::Nil => Ok("nil".into()),
            Value::Boolean(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(crate::numfmt::number_to_string(*n)),
            Value::String(s) => Ok(s.to_string_lossy()),
            Value::Error(e) => Ok(e.to_string()),
            Value::LightUserData(p) => Ok(format!("userdata: {:p}", p.0)),
            other => {
                let lua = other.lua().expect("handle").clone();
                lua.shared.with_vm(|vm| {
                    let raw = other.to_raw(&lua, vm)?;
                    match vm.tostring_value(raw) {
                        Ok(s) => Ok(String::from_utf8_lossy(vm.str_bytes(s)).into_owned()),
                        Err(e) => Err(super::lua_error(&lua, vm, e)),
                    }
                })
            }
        }
    }

    fn lua(&self) -> Option<&Lua> {
        match self {
            Value::String(h) => Some(h.lua()),
            Value::Table(h) => Some(h.lua()),
            Value::Function(h) => Some(h.lua()),
            Value::Thread(h) => Some(h.lua()),
            Value::UserData(h) => Some(h.lua()),
            _ => None,
        }
    }

    /// Convert to a raw VM value (inside `with_vm`).
    pub(crate) fn to_raw(&self, lua: &Lua, vm: &mut Vm) -> Result<Raw> {
        Ok(match self {
            Value::Nil => Raw::Nil,
            Value::Boolean(b) => Raw::Bool(*b),
            Value::LightUserData(p) => Raw::LightUserData(p.0 as usize),
            Value::Number(n) => Raw::Num(*n),
            Value::String(h) => h.0.raw_in(lua, vm)?,
            Value::Table(h) => h.0.raw_in(lua, vm)?,
            Value::Function(h) => h.0.raw_in(lua, vm)?,
            Value::Thread(h) => h.0.raw_in(lua, vm)?,
            Value::UserData(h) => h.0.raw_in(lua, vm)?,
            Value::Error(e) => super::error_object(lua, vm, (**e).clone()),
        })
    }

    /// Wrap a raw VM value (inside `with_vm`).
    pub(crate) fn from_raw(lua: &Lua, vm: &mut Vm, v: Raw) -> Value {
        match v {
            Raw::Nil => Value::Nil,
            Raw::Bool(b) => Value::Boolean(b),
            Raw::Num(n) => Value::Number(n),
            Raw::LightUserData(p) => Value::LightUserData(LightUserData(p as *mut _)),
            Raw::Str(_) => Value::String(LuaString(Ref::new(lua, vm, v))),
            Raw::Table(_) => Value::Table(Table(Ref::new(lua, vm, v))),
            Raw::Func(_) => Value::Function(Function(Ref::new(lua, vm, v))),
            Raw::Thread(_) => Value::Thread(Thread(Ref::new(lua, vm, v))),
            Raw::UserData(u) => {
                if let Some(e) = vm.heap.userdata.get(u.idx()).data.downcast_ref::<super::ErrorBox>() {
                    return Value::Error(Box::new(e.0.clone()));
                }
                Value::UserData(AnyUserData(Ref::new(lua, vm, v)))
            }
        }
    }
}

macro_rules! from_handle {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Value {
            fn from(h: $t) -> Value { Value::$v(h) }
        }
    )*};
}
from_handle!(Table => Table, Function => Function, Thread => Thread, AnyUserData => UserData, LuaString => String);

impl LuaString {
    /// The string as UTF-8 (an error when it is not valid UTF-8).
    pub fn to_str(&self) -> Result<String> {
        String::from_utf8(self.as_bytes()).map_err(|e| Error::FromLuaConversionError {
            from: "string",
            to: "&str".into(),
            message: Some(e.to_string()),
        })
    }
    /// The string with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.as_bytes()).into_owned()
    }
    /// The bytes (copied out of the state).
    pub fn as_bytes(&self) -> Vec<u8> {
        self.0.lua.shared.with_vm(|vm| match self.0.raw(vm) {
            Raw::Str(s) => vm.str_bytes(s).to_vec(),
            _ => Vec::new(),
        })
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.lua.shared.with_vm(|vm| match self.0.raw(vm) {
            Raw::Str(s) => vm.str_bytes(s).len(),
            _ => 0,
        })
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq<str> for LuaString {
    fn eq(&self, o: &str) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}
impl PartialEq<&str> for LuaString {
    fn eq(&self, o: &&str) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}

/// Several values: arguments or results.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let vals: LuaMultiValue = lua.load("return 1, 'a', nil").eval()?;
/// assert_eq!(vals.len(), 3);
/// assert_eq!(vals[1].as_str().as_deref(), Some("a"));
/// let f: LuaFunction = lua.load("function(...) return select('#', ...) end").eval()?;
/// assert_eq!(f.call::<i64>(vals)?, 3);
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MultiValue(pub(crate) std::collections::VecDeque<Value>);

impl MultiValue {
    pub fn new() -> Self {
        MultiValue(Default::default())
    }
    pub fn from_vec(v: Vec<Value>) -> Self {
        MultiValue(v.into())
    }
    pub fn into_vec(self) -> Vec<Value> {
        self.0.into()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push_back(&mut self, v: Value) {
        self.0.push_back(v)
    }
    pub fn push_front(&mut self, v: Value) {
        self.0.push_front(v)
    }
    pub fn pop_front(&mut self) -> Option<Value> {
        self.0.pop_front()
    }
    pub fn pop_back(&mut self) -> Option<Value> {
        self.0.pop_back()
    }
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.0.get(i)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Value> {
        self.0.iter()
    }
}

impl IntoIterator for MultiValue {
    type Item = Value;
    type IntoIter = std::collections::vec_deque::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
impl FromIterator<Value> for MultiValue {
    fn from_iter<I: IntoIterator<Item = Value>>(i: I) -> Self {
        MultiValue(i.into_iter().collect())
    }
}
impl std::ops::Deref for MultiValue {
    type Target = std::collections::VecDeque<Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl std::ops::DerefMut for MultiValue {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Any number of values of one type, as arguments or results.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let sum = lua.create_function(|_, xs: LuaVariadic<f64>| Ok(xs.iter().sum::<f64>()))?;
/// assert_eq!(sum.call::<f64>((1, 2, 3.5))?, 6.5);
/// let many: LuaVariadic<i64> = lua.load("return 1, 2, 3").eval()?;
/// assert_eq!(many.len(), 3);
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variadic<T>(Vec<T>);

impl<T> Variadic<T> {
    pub fn new() -> Self {
        Variadic(Vec::new())
    }
}
impl<T> From<Vec<T>> for Variadic<T> {
    fn from(v: Vec<T>) -> Self {
        Variadic(v)
    }
}
impl<T> From<Variadic<T>> for Vec<T> {
    fn from(v: Variadic<T>) -> Self {
        v.0
    }
}
impl<T> FromIterator<T> for Variadic<T> {
    fn from_iter<I: IntoIterator<Item = T>>(i: I) -> Self {
        Variadic(i.into_iter().collect())
    }
}
impl<T> IntoIterator for Variadic<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
impl<T> std::ops::Deref for Variadic<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}
impl<T> std::ops::DerefMut for Variadic<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

/// A value stored in the registry, owned by the host (see [`Lua::create_registry_value`]).
#[derive(Debug)]
pub struct RegistryKey(pub(crate) Ref);

impl RegistryKey {
    /// The registry slot id (unique while the key lives).
    pub fn id(&self) -> u32 {
        self.0.slot
    }
}
