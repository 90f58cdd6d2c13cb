//! Table operations.

use super::conv::Direct;
use super::value::Ref;
use super::{lua_error, Error, FromLua, IntoLua, Lua, Result, Table, Value};
use crate::value::Value as Raw;
use std::marker::PhantomData;

impl Table {
    fn with<R>(&self, f: impl FnOnce(&Lua, &mut crate::vm::Vm, Raw) -> Result<R>) -> Result<R> {
        let lua = &self.0.lua;
        lua.shared.with_vm(|vm| {
            let t = self.0.raw(vm);
            f(lua, vm, t)
        })
    }

    /// A read with a key that needs no handle; the value is converted in
    /// place when `V` allows it.
    fn get_direct<V: FromLua>(
        &self,
        k: &Direct<'_>,
        read: impl FnOnce(&mut crate::vm::Vm, Raw, Raw) -> crate::vm::LResult<Raw>,
    ) -> Result<V> {
        let lua = &self.0.lua;
        let v = self.with(|lua, vm, t| {
            let k = k.to_raw(lua, vm)?;
            let v = read(vm, t, k).map_err(|e| lua_error(lua, vm, e))?;
            Ok(match V::from_raw_direct(v, lua, vm) {
                Some(r) => Ok(r?),
                None => Err(Value::from_raw(lua, vm, v)),
            })
        })?;
        match v {
            Ok(v) => Ok(v),
            Err(v) => V::from_lua(v, lua),
        }
    }

    /// `t[key]` (honours `__index`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t: LuaTable = lua.load("setmetatable({a = 1}, {__index = function(_, k) return k .. '?' end})").eval()?;
    /// assert_eq!(t.get::<i64>("a")?, 1);
    /// assert_eq!(t.get::<String>("b")?, "b?");
    /// assert_eq!(t.raw_get::<Option<String>>("b")?, None);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn get<V: FromLua>(&self, key: impl IntoLua) -> Result<V> {
        let lua = &self.0.lua;
        if let Some(k) = key.direct() {
            return self.get_direct(&k, |vm, t, k| match t {
                Raw::Table(tr) if vm.heap.table(tr).meta.is_none() => Ok(vm.raw_get(tr, k)),
                _ => vm.index_value(t, k),
            });
        }
        let k = key.into_lua(lua)?;
        let v = self.with(|lua, vm, t| {
            let k = k.to_raw(lua, vm)?;
            match vm.index_value(t, k) {
                Ok(v) => Ok(Value::from_raw(lua, vm, v)),
                Err(e) => Err(lua_error(lua, vm, e)),
            }
        })?;
        V::from_lua(v, lua)
    }

    /// `t[key] = value` (honours `__newindex`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_table()?;
    /// t.set("name", "ada")?;
    /// t.set(1, vec![1, 2, 3])?;
    /// lua.globals().set("t", t)?;
    /// assert_eq!(lua.load("t.name .. #t[1]").eval::<String>()?, "ada3");
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set(&self, key: impl IntoLua, value: impl IntoLua) -> Result<()> {
        let lua = &self.0.lua;
        if let (Some(k), Some(v)) = (key.direct(), value.direct()) {
            return self.set_direct(&k, &v);
        }
        let k = key.into_lua(lua)?;
        let v = value.into_lua(lua)?;
        self.with(|lua, vm, t| {
            let k = k.to_raw(lua, vm)?;
            let v = v.to_raw(lua, vm)?;
            vm.set_index(t, k, v).map_err(|e| lua_error(lua, vm, e))
        })
    }

    /// `set` for a key and a value that need no handle.
    fn set_direct(&self, k: &Direct<'_>, v: &Direct<'_>) -> Result<()> {
        self.with(|lua, vm, t| {
            // The common case of a host filling a table: a string key it
            // passed before (so already interned) into a table without
            // metatable, a value that needs no allocation.
            let (kc, vc) = (k.to_raw_cached(&vm.heap), v.to_raw_cached(&vm.heap));
            if let (Raw::Table(tr), Some(Raw::Str(ks)), Some(val)) = (t, kc, vc) {
                if vm.heap.table(tr).meta.is_none() {
                    vm.raw_set_interned(tr, ks, val);
                    return Ok(());
                }
            }
            // what the cache answered is not looked up again
            let k = match kc {
                Some(r) => r,
                None => k.to_raw_uncached(lua, vm)?,
            };
            let v = match vc {
                Some(r) => r,
                None => v.to_raw_uncached(lua, vm)?,
            };
            let r = match t {
                // no metatable, no __newindex: what set_index would do
                Raw::Table(tr) if vm.heap.table(tr).meta.is_none() => vm.raw_set(tr, k, v),
                _ => vm.set_index(t, k, v),
            };
            r.map_err(|e| lua_error(lua, vm, e))
        })
    }

    /// Raw read (no metamethods).
    pub fn raw_get<V: FromLua>(&self, key: impl IntoLua) -> Result<V> {
        let lua = &self.0.lua;
        if let Some(k) = key.direct() {
            return self.get_direct(&k, |vm, t, k| Ok(vm.raw_get(t.as_table().expect("table"), k)));
        }
        let k = key.into_lua(lua)?;
        let v = self.with(|lua, vm, t| {
            let k = k.to_raw(lua, vm)?;
            let v = vm.raw_get(t.as_table().expect("table"), k);
            Ok(Value::from_raw(lua, vm, v))
        })?;
        V::from_lua(v, lua)
    }

    /// Raw write (no metamethods).
    pub fn raw_set(&self, key: impl IntoLua, value: impl IntoLua) -> Result<()> {
        let lua = &self.0.lua;
        if let (Some(k), Some(v)) = (key.direct(), value.direct()) {
            return self.with(|lua, vm, t| {
                let k = k.to_raw(lua, vm)?;
                let v = v.to_raw(lua, vm)?;
                Self::raw_set_in(lua, vm, t, k, v)
            });
        }
        let k = key.into_lua(lua)?;
        let v = value.into_lua(lua)?;
        self.with(|lua, vm, t| {
            let k = k.to_raw(lua, vm)?;
            let v = v.to_raw(lua, vm)?;
            Self::raw_set_in(lua, vm, t, k, v)
        })
    }

    fn raw_set_in(lua: &Lua, vm: &mut crate::vm::Vm, t: Raw, k: Raw, v: Raw) -> Result<()> {
        if let Raw::Num(n) = k {
            if n.is_nan() {
                return Err(Error::RuntimeError("table index is NaN".into()));
            }
        }
        if k.is_nil() {
            return Err(Error::RuntimeError("table index is nil".into()));
        }
        vm.check_alloc(32).map_err(|e| lua_error(lua, vm, e))?;
        vm.raw_set(t.as_table().expect("table"), k, v).map_err(|e| lua_error(lua, vm, e))
    }

    /// Append to the sequence part (`t[#t + 1] = v`, raw).
    pub fn raw_push(&self, value: impl IntoLua) -> Result<()> {
        let n = self.raw_len();
        self.raw_set(n as f64 + 1.0, value)
    }

    /// Append with `__len`/`__newindex` (`t[#t + 1] = v`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_sequence_from([10, 20])?;
    /// t.push(30)?;
    /// assert_eq!(t.len()?, 3);
    /// assert_eq!(t.get::<i64>(3)?, 30);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn push(&self, value: impl IntoLua) -> Result<()> {
        let n = self.len()?;
        self.set(n as f64 + 1.0, value)
    }

    /// Remove a key (sets it to nil, raw).
    pub fn raw_remove(&self, key: impl IntoLua) -> Result<()> {
        self.raw_set(key, Value::Nil)
    }

    /// `#t` (honours `__len`).
    pub fn len(&self) -> Result<i64> {
        let lua = &self.0.lua;
        let v = self.with(|lua, vm, t| match vm.len_value(t) {
            Ok(v) => Ok(Value::from_raw(lua, vm, v)),
            Err(e) => Err(lua_error(lua, vm, e)),
        })?;
        i64::from_lua(v, lua)
    }

    /// `#t` without metamethods.
    pub fn raw_len(&self) -> usize {
        self.with(|_, vm, t| Ok(vm.heap.table(t.as_table().expect("table")).length())).unwrap_or(0)
    }

    /// Whether the table is empty (raw).
    pub fn is_empty(&self) -> bool {
        self.with(|_, vm, t| Ok(vm.heap.table(t.as_table().expect("table")).next(Raw::Nil).ok().flatten().is_none())).unwrap_or(true)
    }

    /// Whether `t[key]` is not nil (honours `__index`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t: LuaTable = lua.load("{x = false}").eval()?;
    /// assert!(t.contains_key("x")?);
    /// assert!(!t.contains_key("y")?);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn contains_key(&self, key: impl IntoLua) -> Result<bool> {
        Ok(!self.get::<Value>(key)?.is_nil())
    }

    /// Lua equality with `__eq`.
    pub fn equals(&self, other: &Table) -> Result<bool> {
        let lua = &self.0.lua;
        lua.shared.with_vm(|vm| {
            let a = self.0.raw(vm);
            let b = other.0.raw_in(lua, vm)?;
            vm.equals(a, b).map_err(|e| lua_error(lua, vm, e))
        })
    }

    /// The metatable.
    pub fn metatable(&self) -> Option<Table> {
        self.with(|lua, vm, t| Ok(vm.heap.table(t.as_table().expect("table")).meta.map(|m| Table(Ref::new(lua, vm, Raw::Table(m))))))
            .ok()
            .flatten()
    }

    /// Alias of [`Table::metatable`] (mlua 0.9's name).
    pub fn get_metatable(&self) -> Option<Table> {
        self.metatable()
    }

    /// Set or clear the metatable.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_table()?;
    /// let mt: LuaTable = lua.load("{__index = function() return 0 end}").eval()?;
    /// t.set_metatable(Some(mt));
    /// assert_eq!(t.get::<i64>("anything")?, 0);
    /// t.set_metatable(None);
    /// assert!(t.get::<LuaValue>("anything")?.is_nil());
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set_metatable(&self, mt: Option<Table>) {
        let _ = self.with(|lua, vm, t| {
            let m = match &mt {
                Some(m) => m.0.raw_in(lua, vm)?.as_table(),
                None => None,
            };
            vm.set_metatable(t, m);
            Ok(())
        });
    }

    /// Remove every key (raw).
    pub fn clear(&self) -> Result<()> {
        let keys: Vec<Value> = self.pairs::<Value, Value>().map(|r| r.map(|(k, _)| k)).collect::<Result<_>>()?;
        for k in keys {
            self.raw_set(k, Value::Nil)?;
        }
        Ok(())
    }

    /// Iterate over all pairs (raw, like `next`), converting keys and values.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t: LuaTable = lua.load("{a = 1, b = 2}").eval()?;
    /// let mut sum = 0;
    /// for pair in t.pairs::<String, i64>() {
    ///     let (_k, v) = pair?;
    ///     sum += v;
    /// }
    /// assert_eq!(sum, 3);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn pairs<K: FromLua, V: FromLua>(&self) -> TablePairs<K, V> {
        TablePairs { table: self.clone(), key: Some(Value::Nil), _m: PhantomData }
    }

    /// Call `f` for each pair (raw).
    pub fn for_each<K: FromLua, V: FromLua>(&self, mut f: impl FnMut(K, V) -> Result<()>) -> Result<()> {
        for p in self.pairs::<K, V>() {
            let (k, v) = p?;
            f(k, v)?;
        }
        Ok(())
    }

    /// Iterate over `t[1], t[2], ...` up to the first nil (raw).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t: LuaTable = lua.load("{'a', 'b', nil, 'd'}").eval()?;
    /// let items: Vec<String> = t.sequence_values::<String>().collect::<LuaResult<_>>()?;
    /// assert_eq!(items, ["a", "b"]); // stops at the first nil
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn sequence_values<V: FromLua>(&self) -> TableSequence<V> {
        TableSequence { table: self.clone(), i: 1, done: false, _m: PhantomData }
    }
}

/// Iterator of [`Table::pairs`].
pub struct TablePairs<K, V> {
    table: Table,
    key: Option<Value>,
    _m: PhantomData<fn() -> (K, V)>,
}

impl<K: FromLua, V: FromLua> Iterator for TablePairs<K, V> {
    type Item = Result<(K, V)>;
    fn next(&mut self) -> Option<Self::Item> {
        let key = self.key.take()?;
        let lua = self.table.0.lua.clone();
        let r = self.table.with(|lua, vm, t| {
            let k = key.to_raw(lua, vm)?;
            match vm.heap.table(t.as_table().expect("table")).next(k) {
                Ok(Some((k, v))) => Ok(Some((Value::from_raw(lua, vm, k), Value::from_raw(lua, vm, v)))),
                Ok(None) => Ok(None),
                Err(()) => Err(Error::RuntimeError("invalid key to 'next'".into())),
            }
        });
        match r {
            Ok(Some((k, v))) => {
                self.key = Some(k.clone());
                Some(K::from_lua(k, &lua).and_then(|k| Ok((k, V::from_lua(v, &lua)?))))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// Iterator of [`Table::sequence_values`].
pub struct TableSequence<V> {
    table: Table,
    i: usize,
    done: bool,
    _m: PhantomData<fn() -> V>,
}

impl<V: FromLua> Iterator for TableSequence<V> {
    type Item = Result<V>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let i = self.i;
        let v = self
            .table
            .with(|lua, vm, t| {
                let v = vm.heap.table(t.as_table().expect("table")).get_int(i);
                Ok(Value::from_raw(lua, vm, v))
            })
            .ok()?;
        if v.is_nil() {
            self.done = true;
            return None;
        }
        self.i += 1;
        Some(V::from_lua(v, &self.table.0.lua))
    }
}
