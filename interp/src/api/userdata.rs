//! Userdata: Rust values with methods, fields and metamethods.

use super::state::{BorrowErr, Borrowed, CellSource, UdBox};
use super::value::Ref;
use super::{
    AnyUserData, CallbackOut, Error, FromLua, FromLuaMulti, Function, IntoLua, IntoLuaMulti, Lua, MultiValue, Result, Table, Value,
};
use crate::object::UserData as RawUd;
use crate::value::Value as Raw;
use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Metamethod names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetaMethod {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Concat,
    Len,
    Eq,
    Lt,
    Le,
    Index,
    NewIndex,
    Call,
    ToString,
    Pairs,
    IPairs,
    Close,
    Name,
}

impl MetaMethod {
    /// The metatable key (`"__add"`...).
    pub fn name(self) -> &'static str {
        match self {
            MetaMethod::Add => "__add",
            MetaMethod::Sub => "__sub",
            MetaMethod::Mul => "__mul",
            MetaMethod::Div => "__div",
            MetaMethod::Mod => "__mod",
            MetaMethod::Pow => "__pow",
            MetaMethod::Unm => "__unm",
            MetaMethod::Concat => "__concat",
            MetaMethod::Len => "__len",
            MetaMethod::Eq => "__eq",
            MetaMethod::Lt => "__lt",
            MetaMethod::Le => "__le",
            MetaMethod::Index => "__index",
            MetaMethod::NewIndex => "__newindex",
            MetaMethod::Call => "__call",
            MetaMethod::ToString => "__tostring",
            MetaMethod::Pairs => "__pairs",
            MetaMethod::IPairs => "__ipairs",
            MetaMethod::Close => "__close",
            MetaMethod::Name => "__name",
        }
    }
}

impl fmt::Display for MetaMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<MetaMethod> for String {
    fn from(m: MetaMethod) -> String {
        m.name().to_string()
    }
}

/// A Rust type usable as a Lua userdata.
///
/// ```
/// use oxilua::prelude::*;
/// struct Counter(i64);
/// impl LuaUserData for Counter {
///     fn add_fields<F: LuaUserDataFields<Self>>(f: &mut F) {
///         f.add_field_method_get("value", |_, c| Ok(c.0));
///     }
///     fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("incr", |_, c, by: i64| { c.0 += by; Ok(c.0) });
///         m.add_meta_method(LuaMetaMethod::ToString, |_, c, ()| Ok(format!("Counter({})", c.0)));
///     }
/// }
/// let lua = Lua::new();
/// lua.globals().set("c", Counter(1))?;
/// assert_eq!(lua.load("c:incr(2); return c.value").eval::<i64>()?, 3);
/// assert_eq!(lua.load("tostring(c)").eval::<String>()?, "Counter(3)");
/// # Ok::<(), LuaError>(())
/// ```
pub trait UserData: Sized {
    fn add_fields<F: UserDataFields<Self>>(_fields: &mut F) {}
    fn add_methods<M: UserDataMethods<Self>>(_methods: &mut M) {}
}

type Cb = Box<dyn Fn(&Lua, MultiValue) -> Result<MultiValue> + Send>;

/// Registration of methods (see [`UserData::add_methods`]).
pub trait UserDataMethods<T> {
    fn add_method<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_method_mut<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_function<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_function_mut<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_meta_method<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_meta_method_mut<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_meta_function<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
    fn add_meta_function_mut<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti;
}

/// Registration of fields (see [`UserData::add_fields`]).
pub trait UserDataFields<T> {
    fn add_field_method_get<M, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T) -> Result<R> + Send + 'static,
        R: IntoLua;
    fn add_field_method_set<M, A>(&mut self, name: impl ToString, method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<()> + Send + 'static,
        A: FromLua;
    fn add_field_function_get<F, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, AnyUserData) -> Result<R> + Send + 'static,
        R: IntoLua;
    fn add_field_function_set<F, A>(&mut self, name: impl ToString, function: F)
    where
        F: FnMut(&Lua, AnyUserData, A) -> Result<()> + Send + 'static,
        A: FromLua;
    /// A constant field.
    fn add_field<V: IntoLua>(&mut self, name: impl ToString, value: V);
    /// A constant metatable entry.
    fn add_meta_field<V: IntoLua>(&mut self, name: impl ToString, value: V);
}

/// Collects a type's methods and fields, then builds its metatable.
pub(crate) struct Registry<T> {
    lua: Lua,
    methods: Vec<(String, Cb)>,
    meta: Vec<(String, Cb)>,
    getters: Vec<(String, Cb)>,
    setters: Vec<(String, Cb)>,
    fields: Vec<(String, Result<Value>)>,
    meta_fields: Vec<(String, Result<Value>)>,
    _t: std::marker::PhantomData<fn(T)>,
}

fn this_arg(args: &mut MultiValue) -> Result<AnyUserData> {
    match args.pop_front() {
        Some(Value::UserData(u)) => Ok(u),
        Some(other) => Err(Error::BadArgument {
            to: None,
            pos: 1,
            name: Some("self".into()),
            cause: Arc::new(Error::from_conv(other.type_name(), "userdata", None)),
        }),
        None => Err(Error::BadArgument { to: None, pos: 1, name: Some("self".into()), cause: Arc::new(Error::UserDataTypeMismatch) }),
    }
}

/// A method's name and `Type.name`, the `to` of its [`Error::BadArgument`]
/// (as mlua).
fn method_path<T>(name: impl ToString) -> (String, String) {
    let name = name.to_string();
    let full = std::any::type_name::<T>();
    let short = full.split('<').next().unwrap_or(full).rsplit("::").next().unwrap_or(full);
    let to = format!("{short}.{name}");
    (name, to)
}

fn method_cb<T: 'static, M, A, R>(to: String, method: M) -> Cb
where
    M: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
{
    Box::new(move |lua, mut args| {
        let ud = this_arg(&mut args).map_err(|e| with_to(e, &to))?;
        let a = A::from_lua_args(args, 2, Some(&to), lua)?;
        let this = ud.borrow::<T>()?;
        method(lua, &this, a)?.into_lua_multi(lua)
    })
}

fn method_mut_cb<T: 'static, M, A, R>(to: String, method: M) -> Cb
where
    M: FnMut(&Lua, &mut T, A) -> Result<R> + Send + 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
{
    let method = std::sync::Mutex::new(method);
    Box::new(move |lua, mut args| {
        let ud = this_arg(&mut args).map_err(|e| with_to(e, &to))?;
        let a = A::from_lua_args(args, 2, Some(&to), lua)?;
        let mut this = ud.borrow_mut::<T>()?;
        let mut m = method.try_lock().map_err(|_| Error::RuntimeError("mutable method called recursively".into()))?;
        m(lua, &mut this, a)?.into_lua_multi(lua)
    })
}

fn function_cb<F, A, R>(to: String, f: F) -> Cb
where
    F: Fn(&Lua, A) -> Result<R> + Send + 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
{
    Box::new(move |lua, args| f(lua, A::from_lua_args(args, 1, Some(&to), lua)?)?.into_lua_multi(lua))
}

fn with_to(e: Error, to: &str) -> Error {
    match e {
        Error::BadArgument { to: None, pos, name, cause } => Error::BadArgument { to: Some(to.to_string()), pos, name, cause },
        e => e,
    }
}

fn function_mut_cb<F, A, R>(to: String, f: F) -> Cb
where
    F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
    A: FromLuaMulti,
    R: IntoLuaMulti,
{
    let f = std::sync::Mutex::new(f);
    Box::new(move |lua, args| {
        let a = A::from_lua_args(args, 1, Some(&to), lua)?;
        let mut f = f.try_lock().map_err(|_| Error::RuntimeError("mutable function called recursively".into()))?;
        f(lua, a)?.into_lua_multi(lua)
    })
}

impl<T: 'static> UserDataMethods<T> for Registry<T> {
    fn add_method<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.methods.push((name, method_cb(to, method)));
    }
    fn add_method_mut<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.methods.push((name, method_mut_cb(to, method)));
    }
    fn add_function<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.methods.push((name, function_cb(to, function)));
    }
    fn add_function_mut<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.methods.push((name, function_mut_cb(to, function)));
    }
    fn add_meta_method<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.meta.push((name, method_cb(to, method)));
    }
    fn add_meta_method_mut<M, A, R>(&mut self, name: impl ToString, method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.meta.push((name, method_mut_cb(to, method)));
    }
    fn add_meta_function<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.meta.push((name, function_cb(to, function)));
    }
    fn add_meta_function_mut<F, A, R>(&mut self, name: impl ToString, function: F)
    where
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let (name, to) = method_path::<T>(name);
        self.meta.push((name, function_mut_cb(to, function)));
    }
}

impl<T: 'static> UserDataFields<T> for Registry<T> {
    fn add_field_method_get<M, R>(&mut self, name: impl ToString, method: M)
    where
        M: Fn(&Lua, &T) -> Result<R> + Send + 'static,
        R: IntoLua,
    {
        let (name, to) = method_path::<T>(name);
        self.getters.push((name, method_cb(to, move |lua, this: &T, ()| method(lua, this))));
    }
    fn add_field_method_set<M, A>(&mut self, name: impl ToString, mut method: M)
    where
        M: FnMut(&Lua, &mut T, A) -> Result<()> + Send + 'static,
        A: FromLua,
    {
        let (name, to) = method_path::<T>(name);
        self.setters.push((name, method_mut_cb(to, move |lua, this: &mut T, a: A| method(lua, this, a))));
    }
    fn add_field_function_get<F, R>(&mut self, name: impl ToString, function: F)
    where
        F: Fn(&Lua, AnyUserData) -> Result<R> + Send + 'static,
        R: IntoLua,
    {
        let (name, to) = method_path::<T>(name);
        self.getters.push((name, function_cb(to, function)));
    }
    fn add_field_function_set<F, A>(&mut self, name: impl ToString, mut function: F)
    where
        F: FnMut(&Lua, AnyUserData, A) -> Result<()> + Send + 'static,
        A: FromLua,
    {
        let (name, to) = method_path::<T>(name);
        self.setters.push((name, function_mut_cb(to, move |lua, (u, a): (AnyUserData, A)| function(lua, u, a))));
    }
    fn add_field<V: IntoLua>(&mut self, name: impl ToString, value: V) {
        let v = value.into_lua(&self.lua);
        self.fields.push((name.to_string(), v));
    }
    fn add_meta_field<V: IntoLua>(&mut self, name: impl ToString, value: V) {
        let v = value.into_lua(&self.lua);
        self.meta_fields.push((name.to_string(), v));
    }
}

fn to_fn(lua: &Lua, cb: Cb) -> Result<Function> {
    lua.make_function("method", Box::new(move |lua, args| Ok(CallbackOut::Values(cb(lua, args)?))))
}

impl<T: UserData + 'static> Registry<T> {
    fn build(lua: &Lua) -> Result<Table> {
        let mut r = Registry::<T> {
            lua: lua.clone(),
            methods: Vec::new(),
            meta: Vec::new(),
            getters: Vec::new(),
            setters: Vec::new(),
            fields: Vec::new(),
            meta_fields: Vec::new(),
            _t: std::marker::PhantomData,
        };
        T::add_fields(&mut r);
        T::add_methods(&mut r);
        let mt = lua.create_table()?;
        let mut user_index = Value::Nil;
        let mut user_newindex = Value::Nil;
        for (name, v) in r.meta_fields {
            let v = v?;
            match name.as_str() {
                "__index" => user_index = v,
                "__newindex" => user_newindex = v,
                _ => mt.raw_set(name, v)?,
            }
        }
        for (name, cb) in r.meta {
            let f = Value::Function(to_fn(lua, cb)?);
            match name.as_str() {
                "__index" => user_index = f,
                "__newindex" => user_newindex = f,
                _ => mt.raw_set(name, f)?,
            }
        }
        if mt.raw_get::<Value>("__name")?.is_nil() {
            let full = std::any::type_name::<T>();
            mt.raw_set("__name", full.rsplit("::").next().unwrap_or(full))?;
        }
        let methods = lua.create_table()?;
        for (name, cb) in r.methods {
            methods.raw_set(name, to_fn(lua, cb)?)?;
        }
        for (name, v) in r.fields {
            methods.raw_set(name, v?)?;
        }
        if r.getters.is_empty() && user_index.is_nil() {
            mt.raw_set("__index", methods)?;
        } else {
            mt.raw_set("__oxi_methods", methods)?;
            mt.raw_set("__oxi_index", user_index)?;
            let getters: HashMap<String, Cb> = r.getters.into_iter().collect();
            let index = lua.create_function(move |lua, (ud, key): (AnyUserData, Value)| {
                if let Value::String(s) = &key {
                    if let Some(g) = getters.get(&s.to_string_lossy()) {
                        let mut a = MultiValue::new();
                        a.push_back(Value::UserData(ud));
                        return Ok(g(lua, a)?.pop_front().unwrap_or(Value::Nil));
                    }
                }
                let mt = ud.metatable()?.ok_or(Error::UserDataTypeMismatch)?;
                let methods: Table = mt.raw_get("__oxi_methods")?;
                let v: Value = methods.raw_get(key.clone())?;
                if !v.is_nil() {
                    return Ok(v);
                }
                match mt.raw_get::<Value>("__oxi_index")? {
                    Value::Function(f) => f.call((ud, key)),
                    Value::Table(t) => t.get(key),
                    _ => Ok(Value::Nil),
                }
            })?;
            mt.raw_set("__index", index)?;
        }
        if !r.setters.is_empty() || !user_newindex.is_nil() {
            mt.raw_set("__oxi_newindex", user_newindex)?;
            let setters: HashMap<String, Cb> = r.setters.into_iter().collect();
            let newindex = lua.create_function(move |lua, (ud, key, v): (AnyUserData, Value, Value)| {
                if let Value::String(s) = &key {
                    let k = s.to_string_lossy();
                    if let Some(st) = setters.get(&k) {
                        let mut a = MultiValue::new();
                        a.push_back(Value::UserData(ud));
                        a.push_back(v);
                        st(lua, a)?;
                        return Ok(());
                    }
                }
                let mt = ud.metatable()?.ok_or(Error::UserDataTypeMismatch)?;
                match mt.raw_get::<Value>("__oxi_newindex")? {
                    Value::Function(f) => f.call((ud, key, v)),
                    Value::Table(t) => t.set(key, v),
                    _ => Err(Error::RuntimeError(format!("attempt to set an unknown field '{}'", key.to_string().unwrap_or_default()))),
                }
            })?;
            mt.raw_set("__newindex", newindex)?;
        }
        Ok(mt)
    }
}

impl Lua {
    /// Wrap a Rust value as a userdata with `T`'s methods.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// struct Buf(Vec<u8>);
    /// impl LuaUserData for Buf {
    ///     fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("push", |_, b, x: u8| { b.0.push(x); Ok(()) });
    ///         m.add_meta_method(LuaMetaMethod::Len, |_, b, ()| Ok(b.0.len()));
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud = lua.create_userdata(Buf(vec![]))?;
    /// lua.globals().set("buf", &ud)?;
    /// lua.load("buf:push(1) buf:push(2)").exec()?;
    /// assert_eq!(lua.load("#buf").eval::<usize>()?, 2);
    /// assert_eq!(ud.borrow::<Buf>()?.0, [1, 2]);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_userdata<T: UserData + Send + 'static>(&self, data: T) -> Result<AnyUserData> {
        let id = TypeId::of::<T>();
        let cached = self.st().ud_mt.get(&id).copied();
        let slot = match cached {
            Some(s) => s,
            None => {
                let mt = Registry::<T>::build(self)?;
                let slot = self.shared.with_vm(|vm| {
                    let r = mt.0.raw(vm);
                    vm.api_roots.add(r)
                });
                self.st().ud_mt.insert(id, slot);
                slot
            }
        };
        self.shared.with_vm(|vm| {
            let mt = vm.api_roots.get(slot).as_table();
            vm.check_alloc(std::mem::size_of::<T>()).map_err(|e| super::lua_error(self, vm, e))?;
            let u = vm
                .heap
                .alloc_userdata(RawUd { data: Box::new(UdBox::new(data)), meta: mt, user_value: Raw::Nil }, std::mem::size_of::<T>());
            Ok(AnyUserData(Ref::new(self, vm, Raw::UserData(u))))
        })
    }

    /// A userdata without methods (for opaque host values).
    pub fn create_any_userdata<T: Send + 'static>(&self, data: T) -> Result<AnyUserData> {
        self.shared.with_vm(|vm| {
            let u = vm
                .heap
                .alloc_userdata(RawUd { data: Box::new(UdBox::new(data)), meta: None, user_value: Raw::Nil }, std::mem::size_of::<T>());
            Ok(AnyUserData(Ref::new(self, vm, Raw::UserData(u))))
        })
    }
}

impl<T: UserData + Send + 'static> IntoLua for T {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::UserData(lua.create_userdata(self)?))
    }
}

fn ud_err(e: BorrowErr, mutable: bool) -> Error {
    match e {
        BorrowErr::Borrowed if mutable => Error::UserDataBorrowMutError,
        BorrowErr::Borrowed => Error::UserDataBorrowError,
        BorrowErr::Taken => Error::UserDataDestructed,
        BorrowErr::Mismatch => Error::UserDataTypeMismatch,
    }
}

impl AnyUserData {
    /// Whether the userdata holds a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.0.lua.shared.cell_is::<T>(CellSource::Root(self.0.slot))
    }

    /// Borrow the value (fails while it is mutably borrowed).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// struct Buf(Vec<u8>);
    /// impl LuaUserData for Buf {
    ///     fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("push", |_, b, x: u8| { b.0.push(x); Ok(()) });
    ///         m.add_meta_method(LuaMetaMethod::Len, |_, b, ()| Ok(b.0.len()));
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud = lua.create_userdata(Buf(vec![7]))?;
    /// assert_eq!(ud.borrow::<Buf>()?.0[0], 7);
    /// ud.borrow_mut::<Buf>()?.0.push(8);
    /// assert!(matches!(ud.borrow::<String>(), Err(LuaError::UserDataTypeMismatch)));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn borrow<T: 'static>(&self) -> Result<UserDataRef<T>> {
        self.0.lua.shared.borrow_cell(CellSource::Root(self.0.slot), false).map(UserDataRef).map_err(|e| ud_err(e, false))
    }

    /// Borrow the value mutably (fails while it is borrowed).
    pub fn borrow_mut<T: 'static>(&self) -> Result<UserDataRefMut<T>> {
        self.0.lua.shared.borrow_cell(CellSource::Root(self.0.slot), true).map(UserDataRefMut).map_err(|e| ud_err(e, true))
    }

    /// Move the value out; the userdata is unusable afterwards.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// struct Buf(Vec<u8>);
    /// impl LuaUserData for Buf {
    ///     fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
    ///         m.add_method_mut("push", |_, b, x: u8| { b.0.push(x); Ok(()) });
    ///         m.add_meta_method(LuaMetaMethod::Len, |_, b, ()| Ok(b.0.len()));
    ///     }
    /// }
    /// let lua = Lua::new();
    /// let ud = lua.create_userdata(Buf(vec![1]))?;
    /// lua.globals().set("buf", &ud)?;
    /// let buf: Buf = ud.take()?;
    /// assert_eq!(buf.0, [1]);
    /// // the script's handle is now unusable
    /// assert!(lua.load("buf:push(2)").exec().is_err());
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn take<T: 'static>(&self) -> Result<T> {
        self.0.lua.shared.take_cell(CellSource::Root(self.0.slot)).map_err(|e| ud_err(e, true))
    }

    /// The metatable.
    pub fn metatable(&self) -> Result<Option<Table>> {
        let lua = &self.0.lua;
        Ok(lua.shared.with_vm(|vm| {
            let m = vm.metatable(self.0.raw(vm));
            m.map(|m| Table(Ref::new(lua, vm, Raw::Table(m))))
        }))
    }

    /// Alias of [`AnyUserData::metatable`].
    pub fn get_metatable(&self) -> Result<Option<Table>> {
        self.metatable()
    }

    /// The associated user value (`debug.getuservalue`).
    pub fn user_value<V: FromLua>(&self) -> Result<V> {
        let lua = &self.0.lua;
        let v = lua.shared.with_vm(|vm| match self.0.raw(vm) {
            Raw::UserData(u) => {
                let v = vm.heap.userdata.get(u.idx()).user_value;
                Value::from_raw(lua, vm, v)
            }
            _ => Value::Nil,
        });
        V::from_lua(v, lua)
    }

    /// Set the user value.
    pub fn set_user_value(&self, v: impl IntoLua) -> Result<()> {
        let lua = &self.0.lua;
        let v = v.into_lua(lua)?;
        lua.shared.with_vm(|vm| {
            let r = v.to_raw(lua, vm)?;
            if let Raw::UserData(u) = self.0.raw(vm) {
                vm.heap.log_user_value(u);
                vm.heap.userdata.get_mut(u.idx()).user_value = r;
            }
            Ok(())
        })
    }
}

/// Field access and method calls on userdata through its metatable.
///
/// ```
/// use oxilua::prelude::*;
/// struct Buf(Vec<u8>);
/// impl LuaUserData for Buf {
///     fn add_methods<M: LuaUserDataMethods<Self>>(m: &mut M) {
///         m.add_method_mut("push", |_, b, x: u8| { b.0.push(x); Ok(()) });
///         m.add_meta_method(LuaMetaMethod::Len, |_, b, ()| Ok(b.0.len()));
///     }
/// }
/// let lua = Lua::new();
/// let ud = lua.create_userdata(Buf(vec![]))?;
/// ud.call_method::<()>("push", 5)?;
/// assert_eq!(ud.borrow::<Buf>()?.0, [5]);
/// # Ok::<(), LuaError>(())
/// ```
pub trait AnyUserDataExt {
    /// `ud[key]`.
    fn get<V: FromLua>(&self, key: impl IntoLua) -> Result<V>;
    /// `ud[key] = value`.
    fn set(&self, key: impl IntoLua, value: impl IntoLua) -> Result<()>;
    /// `ud:name(args...)`.
    fn call_method<R: FromLuaMulti>(&self, name: &str, args: impl IntoLuaMulti) -> Result<R>;
}

impl AnyUserDataExt for AnyUserData {
    fn get<V: FromLua>(&self, key: impl IntoLua) -> Result<V> {
        let lua = &self.0.lua;
        let k = key.into_lua(lua)?;
        let v = lua.shared.with_vm(|vm| {
            let k = k.to_raw(lua, vm)?;
            match vm.index_value(self.0.raw(vm), k) {
                Ok(v) => Ok(Value::from_raw(lua, vm, v)),
                Err(e) => Err(super::lua_error(lua, vm, e)),
            }
        })?;
        V::from_lua(v, lua)
    }
    fn set(&self, key: impl IntoLua, value: impl IntoLua) -> Result<()> {
        let lua = &self.0.lua;
        let k = key.into_lua(lua)?;
        let v = value.into_lua(lua)?;
        lua.shared.with_vm(|vm| {
            let k = k.to_raw(lua, vm)?;
            let v = v.to_raw(lua, vm)?;
            vm.set_index(self.0.raw(vm), k, v).map_err(|e| super::lua_error(lua, vm, e))
        })
    }
    fn call_method<R: FromLuaMulti>(&self, name: &str, args: impl IntoLuaMulti) -> Result<R> {
        let f: Function = self.get(name)?;
        let mut a = args.into_lua_multi(&self.0.lua)?;
        a.push_front(Value::UserData(self.clone()));
        f.call(a)
    }
}

/// A shared borrow of a userdata's value. Holds the state lock (other
/// threads using the same state wait) and is `!Send`.
pub struct UserDataRef<T: 'static>(Borrowed<T>);

impl<T> std::ops::Deref for UserDataRef<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An exclusive borrow of a userdata's value (see [`UserDataRef`]).
pub struct UserDataRefMut<T: 'static>(Borrowed<T>);

impl<T> std::ops::Deref for UserDataRefMut<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
impl<T> std::ops::DerefMut for UserDataRefMut<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: 'static> FromLua for UserDataRef<T> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::UserData(u) => u.borrow::<T>(),
            other => Err(Error::from_conv(other.type_name(), "userdata", None)),
        }
    }
}
impl<T: 'static> FromLua for UserDataRefMut<T> {
    fn from_lua(v: Value, _: &Lua) -> Result<Self> {
        match v {
            Value::UserData(u) => u.borrow_mut::<T>(),
            other => Err(Error::from_conv(other.type_name(), "userdata", None)),
        }
    }
}

// ----- app data -----------------------------------------------------------------

/// A shared borrow of app data (see [`Lua::app_data_ref`]).
pub struct AppDataRef<'a, T: 'static>(Borrowed<T>, std::marker::PhantomData<&'a Lua>);

impl<T> std::ops::Deref for AppDataRef<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// An exclusive borrow of app data (see [`Lua::app_data_mut`]).
pub struct AppDataRefMut<'a, T: 'static>(Borrowed<T>, std::marker::PhantomData<&'a Lua>);

impl<T> std::ops::Deref for AppDataRefMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
impl<T> std::ops::DerefMut for AppDataRefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl Lua {
    /// Store typed host data in the state (one value per type). Returns the old value.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// lua.set_app_data::<u32>(7);
    /// *lua.app_data_mut::<u32>().unwrap() += 1;
    /// assert_eq!(*lua.app_data_ref::<u32>().unwrap(), 8);
    /// ```
    pub fn set_app_data<T: Send + 'static>(&self, data: T) -> Option<T> {
        let old = self.remove_app_data::<T>();
        self.shared.with_vm(|vm| {
            vm.app_data.insert(TypeId::of::<T>(), Box::new(UdBox::new(data)));
        });
        old
    }

    /// Borrow app data of type `T` (panics if it is mutably borrowed).
    pub fn app_data_ref<T: Send + 'static>(&self) -> Option<AppDataRef<'_, T>> {
        match self.shared.borrow_cell(CellSource::App(TypeId::of::<T>()), false) {
            Ok(b) => Some(AppDataRef(b, std::marker::PhantomData)),
            Err(BorrowErr::Borrowed) => panic!("app data of this type is mutably borrowed"),
            Err(_) => None,
        }
    }

    /// Borrow app data of type `T` mutably (panics if it is borrowed).
    pub fn app_data_mut<T: Send + 'static>(&self) -> Option<AppDataRefMut<'_, T>> {
        match self.shared.borrow_cell(CellSource::App(TypeId::of::<T>()), true) {
            Ok(b) => Some(AppDataRefMut(b, std::marker::PhantomData)),
            Err(BorrowErr::Borrowed) => panic!("app data of this type is already borrowed"),
            Err(_) => None,
        }
    }

    /// Remove app data of type `T` (panics if it is borrowed).
    pub fn remove_app_data<T: Send + 'static>(&self) -> Option<T> {
        match self.shared.take_cell(CellSource::App(TypeId::of::<T>())) {
            Ok(v) => Some(v),
            Err(BorrowErr::Borrowed) => panic!("app data of this type is borrowed"),
            Err(_) => None,
        }
    }
}
