//! Lua values and the handles that point into the heap.
//!
//! A `Value` is 16 bytes and `Copy`. Heap objects are addressed by typed
//! indices into the arenas of [`crate::gc::Heap`]. Every string is interned,
//! so two strings are equal exactly when their handles are equal, and the
//! derived `PartialEq` is Lua's raw equality (`NaN ~= NaN` included).
//!
//! # Unsafe
//! `put` writes a value as one 16-byte store (see there). It relies on the
//! `repr(C, u8)` layout of `Value`: the discriminant byte at offset 0 (in
//! declaration order, `Nil` = 0) and the payload at offset 8; the test
//! `put_matches_constructors` checks every variant against the compiler's own
//! construction.
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

// `repr(C, u8)`: a one-byte tag at offset 0 and the payload at offset 8,
// which `fast.rs` relies on to write a whole slot in one store.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[repr(C, u8)]
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

/// Write `v` into `slot` as a single 16-byte store.
///
/// Assigning an enum value writes its tag byte and its payload separately.
/// When the slot is then copied as a whole (register moves, table stores,
/// call arguments and results are 16-byte copies), the processor cannot
/// forward the copy's load from the two pending stores and waits for them
/// to retire, which costs more than the instruction itself. The interpreter
/// writes freshly built values through this function; where the variant is
/// known at compile time the `match` folds away.
#[inline(always)]
pub(crate) fn put(slot: &mut Value, v: Value) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let (tag, payload) = v.words();
        // SAFETY: `slot` is a valid, aligned, writable `Value`; the 16 bytes
        // written are a valid `Value` of the same variant as `v` under the
        // `repr(C, u8)` layout (module docs): the tag byte, zeroed padding,
        // the payload at offset 8 with zeroed high bytes (a `bool` payload
        // is 0 or 1). SSE2 is part of the x86_64 baseline.
        unsafe {
            let w = _mm_set_epi64x(payload as i64, tag as i64);
            _mm_storeu_si128(slot as *mut Value as *mut __m128i, w);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        *slot = v;
    }
}

/// Copy the value at `src` into `dst` as one 16-byte load and one 16-byte
/// store, for the same reason as [`put`]: when the value has just been
/// examined (its tag tested, its variant matched), the compiler otherwise
/// rebuilds it from the pieces it has in registers and stores those
/// separately.
///
/// # Safety
/// `src` must be valid for reading a `Value` and `dst` valid for writing
/// one (they may be the same slot).
#[inline(always)]
pub(crate) unsafe fn copy(dst: *mut Value, src: *const Value) {
    // An untyped 16-byte copy (padding included, never read as integers),
    // which the code generator emits as one vector load and one store;
    // `copy` rather than `copy_nonoverlapping`: `dst` may be `src`.
    // SAFETY: the caller guarantees both pointers.
    unsafe { std::ptr::copy(src, dst, 1) }
}

impl Value {
    /// The value as two words with every bit defined: its discriminant (in
    /// declaration order, `Nil` = 0) and its payload zero-extended.
    #[inline(always)]
    pub(crate) fn words(self) -> (u64, u64) {
        match self {
            Value::Nil => (0, 0),
            Value::Bool(b) => (1, b as u64),
            Value::Num(n) => (2, n.to_bits()),
            Value::Str(r) => (3, r.0 as u64),
            Value::Table(r) => (4, r.0 as u64),
            Value::Func(r) => (5, r.0 as u64),
            Value::UserData(r) => (6, r.0 as u64),
            Value::Thread(r) => (7, r.0 as u64),
            Value::LightUserData(p) => (8, p as u64),
        }
    }

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
    fn put_matches_constructors() {
        let all = [
            Value::Nil,
            Value::Bool(false),
            Value::Bool(true),
            Value::Num(-2.5),
            Value::Num(f64::INFINITY),
            Value::Str(StrRef(7)),
            Value::Table(TableRef(u32::MAX)),
            Value::Func(FuncRef(3)),
            Value::UserData(UdRef(4)),
            Value::Thread(ThreadRef(5)),
            Value::LightUserData(usize::MAX - 1),
        ];
        for v in all {
            let mut slot = Value::Num(1.0);
            put(&mut slot, v);
            assert_eq!(format!("{slot:?}"), format!("{v:?}"));
            assert_eq!(slot.type_of(), v.type_of());
            // and a whole copy of it, over every other kind of value
            for w in all {
                let mut dst = w;
                // SAFETY: two valid values
                unsafe { copy(&mut dst, &slot) };
                assert_eq!(format!("{dst:?}"), format!("{v:?}"));
            }
            let p: *mut Value = &mut slot;
            // SAFETY: the same slot both ways
            unsafe { copy(p, p) };
            assert_eq!(format!("{slot:?}"), format!("{v:?}"));
        }
    }

    #[test]
    fn raw_equality() {
        assert_ne!(Value::Num(f64::NAN), Value::Num(f64::NAN));
        assert_eq!(Value::Num(0.0), Value::Num(-0.0));
        assert_eq!(Value::Str(StrRef(3)), Value::Str(StrRef(3)));
        assert!(!Value::Nil.truthy() && !Value::Bool(false).truthy() && Value::Num(0.0).truthy());
    }
}
