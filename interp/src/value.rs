//! Lua values and the handles that point into the heap.
//!
//! A `Value` is 16 bytes and `Copy`. Heap objects are addressed by typed
//! indices into the arenas of [`crate::gc::Heap`]. Every string is interned,
//! so two strings are equal exactly when their handles are equal, and the
//! derived `PartialEq` is Lua's raw equality (`NaN ~= NaN` included).
//!
//! Invariant: a handle stored anywhere the collector does not trace (a Rust
//! local across a safepoint) may dangle; values that must survive a call back
//! into Lua live on a thread's stack or in the registry.

macro_rules! handle {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub struct $name(pub(crate) u32);
        impl $name {
            #[inline]
            pub(crate) fn idx(self) -> usize { self.0 as usize }
            /// Raw slot number (stable while the object is alive).
            pub fn id(self) -> u32 { self.0 }
        }
    };
}

handle!(
    /// An interned string.
    StrRef
);
handle!(
    /// A table.
    TableRef
);
handle!(
    /// A Lua or native closure.
    FuncRef
);
handle!(
    /// A full userdata.
    UdRef
);
handle!(
    /// A coroutine (thread).
    ThreadRef
);
handle!(
    /// An upvalue cell.
    UpvalRef
);

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Num(f64),
    Str(StrRef),
    Table(TableRef),
    Func(FuncRef),
    UserData(UdRef),
    Thread(ThreadRef),
    LightUserData(usize),
}

/// The basic types, in PUC's numbering (`LUA_TNIL` = 0 ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Nil = 0,
    Bool = 1,
    LightUserData = 2,
    Number = 3,
    String = 4,
    Table = 5,
    Function = 6,
    UserData = 7,
    Thread = 8,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Nil => "nil",
            Type::Bool => "boolean",
            Type::LightUserData | Type::UserData => "userdata",
            Type::Number => "number",
            Type::String => "string",
            Type::Table => "table",
            Type::Function => "function",
            Type::Thread => "thread",
        }
    }
}

impl Value {
    #[inline]
    pub fn type_of(self) -> Type {
        match self {
            Value::Nil => Type::Nil,
            Value::Bool(_) => Type::Bool,
            Value::Num(_) => Type::Number,
            Value::Str(_) => Type::String,
            Value::Table(_) => Type::Table,
            Value::Func(_) => Type::Function,
            Value::UserData(_) => Type::UserData,
            Value::Thread(_) => Type::Thread,
            Value::LightUserData(_) => Type::LightUserData,
        }
    }

    #[inline]
    pub fn type_name(self) -> &'static str {
        self.type_of().name()
    }

    /// Lua truthiness: everything but `nil` and `false`.
    #[inline]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    #[inline]
    pub fn is_nil(self) -> bool {
        matches!(self, Value::Nil)
    }

    #[inline]
    pub fn as_num(self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(n),
            _ => None,
        }
    }

    #[inline]
    pub fn as_table(self) -> Option<TableRef> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    #[inline]
    pub fn as_str(self) -> Option<StrRef> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the value is a collectable heap object.
    #[inline]
    pub fn is_collectable(self) -> bool {
        matches!(self, Value::Str(_) | Value::Table(_) | Value::Func(_) | Value::UserData(_) | Value::Thread(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn raw_equality() {
        assert_ne!(Value::Num(f64::NAN), Value::Num(f64::NAN));
        assert_eq!(Value::Num(0.0), Value::Num(-0.0));
        assert_eq!(Value::Str(StrRef(3)), Value::Str(StrRef(3)));
        assert!(!Value::Nil.truthy() && !Value::Bool(false).truthy() && Value::Num(0.0).truthy());
    }
}
