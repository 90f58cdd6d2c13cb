//! The embedding API, shaped like [mlua](https://docs.rs/mlua) with `'static`
//! handles.
//!
//! ```
//! use oxilua::prelude::*;
//!
//! let lua = Lua::new();
//! let add = lua.create_function(|_, (a, b): (i64, i64)| Ok(a + b))?;
//! lua.globals().set("add", add)?;
//! let n: i64 = lua.load("return add(40, 2)").eval()?;
//! assert_eq!(n, 42);
//! # Ok::<(), LuaError>(())
//! ```
//!
//! # Threads
//!
//! [`Lua`] and every handle are `Send + Sync`: the state sits behind a
//! reentrant lock (see `state.rs` for the design and the only `unsafe` code
//! of the API). Uses from several threads are serialised; a thread waits
//! while another one runs a script on the same state.
//!
//! # Limits
//!
//! [`Limits`] are re-armed at the start of every call from the host (not for
//! calls made by Rust callbacks while a script runs): fuel and the deadline
//! count per top-level call; the memory limit caps the whole heap. After a
//! limit error the state stays usable.

mod chunk;
mod conv;
mod error;
mod function;
mod isolation;
pub mod prelude;
#[cfg(feature = "serde")]
#[path = "serde_impl.rs"]
pub mod serde;
mod state;
mod table;
mod userdata;
mod value;

#[cfg(feature = "serde")]
pub use self::serde::{LuaSerdeExt, ValueDeserializer};
pub use chunk::{Chunk, ChunkMode};
pub use conv::{BString, FromLua, FromLuaMulti, IntoLua, IntoLuaMulti};
pub use error::{Error, ErrorContext, ExternalError, ExternalResult, Result};
pub use function::{block_on, BlockingExecutor, ThreadStatus};
pub use isolation::Isolation;

pub use table::{TablePairs, TableSequence};
pub use userdata::{AnyUserDataExt, MetaMethod, UserData, UserDataFields, UserDataMethods, UserDataRef, UserDataRefMut};
pub use value::{AnyUserData, Function, LightUserData, LuaString, MultiValue, Nil, RegistryKey, Table, Thread, Value, Variadic};

use crate::object::{Action, BoxedFn, Closure, UserData as RawUd};
use crate::value::Value as Raw;
use crate::vm::{ErrorKind, LResult, LuaError, Vm};
use state::Shared;
use std::any::TypeId;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use value::Ref;

/// Which standard libraries to open. Combine with `|`.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new_with(LuaStdLib::BASE | LuaStdLib::STRING, LuaOptions::new())?;
/// assert_eq!(lua.load("('ab'):upper()").eval::<String>()?, "AB");
/// assert!(lua.load("table").eval::<LuaValue>()?.is_nil());
/// assert!(LuaStdLib::SANDBOX.contains(LuaStdLib::IO) && !LuaStdLib::SANDBOX.contains(LuaStdLib::FILES));
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StdLib(u32);

impl StdLib {
    pub const BASE: StdLib = StdLib(1);
    pub const COROUTINE: StdLib = StdLib(1 << 1);
    pub const TABLE: StdLib = StdLib(1 << 2);
    pub const IO: StdLib = StdLib(1 << 3);
    pub const OS: StdLib = StdLib(1 << 4);
    pub const STRING: StdLib = StdLib(1 << 5);
    pub const BIT32: StdLib = StdLib(1 << 6);
    pub const MATH: StdLib = StdLib(1 << 7);
    pub const PACKAGE: StdLib = StdLib(1 << 8);
    pub const DEBUG: StdLib = StdLib(1 << 9);
    /// File and process access: `io.open`/`io.lines`/files, `os.exit`,
    /// `os.execute`, `os.remove`, `os.rename`, `os.tmpname`, `dofile`,
    /// `loadfile`, and `require` loading files.
    pub const FILES: StdLib = StdLib(1 << 10);
    /// Everything, `debug` included.
    pub const ALL: StdLib = StdLib((1 << 11) - 1);
    /// Everything but `debug` (files and processes allowed, like mlua's `ALL_SAFE`).
    pub const ALL_SAFE: StdLib = StdLib(Self::ALL.0 & !Self::DEBUG.0);
    /// For untrusted scripts: all libraries but `debug`, without file or
    /// process access (`io.write`/`io.read` on standard streams remain).
    pub const SANDBOX: StdLib = StdLib(Self::ALL_SAFE.0 & !Self::FILES.0);
    /// No libraries.
    pub const NONE: StdLib = StdLib(0);

    pub fn contains(self, o: StdLib) -> bool {
        self.0 & o.0 == o.0
    }
}

impl std::ops::BitOr for StdLib {
    type Output = StdLib;
    fn bitor(self, o: StdLib) -> StdLib {
        StdLib(self.0 | o.0)
    }
}
impl std::ops::BitAnd for StdLib {
    type Output = StdLib;
    fn bitand(self, o: StdLib) -> StdLib {
        StdLib(self.0 & o.0)
    }
}
impl std::ops::Not for StdLib {
    type Output = StdLib;
    fn not(self) -> StdLib {
        StdLib(!self.0 & Self::ALL.0)
    }
}
impl std::ops::BitOrAssign for StdLib {
    fn bitor_assign(&mut self, o: StdLib) {
        self.0 |= o.0
    }
}

/// Options for [`Lua::new_with`].
#[derive(Clone, Debug, Default)]
pub struct LuaOptions {
    /// Limits for the new state.
    pub limits: Limits,
}

impl LuaOptions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }
}

/// Resource limits (all `None` = unlimited).
///
/// ```
/// use oxilua::prelude::*;
/// use std::time::Duration;
/// let lua = Lua::new();
/// lua.set_limits(LuaLimits { instructions: Some(1_000_000), deadline: Some(Duration::from_secs(1)), ..Default::default() });
/// let err = lua.load("while true do end").exec().unwrap_err();
/// assert!(matches!(err, LuaError::InstructionLimit));
/// assert_eq!(lua.load("return 1 + 1").eval::<i32>()?, 2);
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// VM instructions (plus work charged by library functions) per call.
    pub instructions: Option<u64>,
    /// Bytes of Lua heap for the whole state.
    pub memory: Option<usize>,
    /// Nested call frames.
    pub call_depth: Option<usize>,
    /// Longest string a script may build.
    pub string_size: Option<usize>,
    /// Wall-clock time per call.
    pub deadline: Option<Duration>,
}

/// API-level settings of a state.
pub(crate) struct ApiState {
    pub(crate) limits: Limits,
    /// Root slots of the metatables of the error object and of `T: UserData`.
    err_mt: u32,
    array_mt: u32,
    ud_mt: HashMap<TypeId, u32>,
    named: HashMap<String, u32>,
    /// Where Lua cannot suspend, async host functions wait through this.
    pub(crate) blocking: Option<function::BlockingExecutor>,
}

/// The payload of an error object (a userdata raised by a Rust callback).
pub(crate) struct ErrorBox(pub(crate) Error);

/// A Lua state.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// lua.globals().set("x", 20)?;
/// assert_eq!(lua.load("x * 2 + 2").eval::<f64>()?, 42.0);
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Clone)]
pub struct Lua {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Lua {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lua({:p})", Arc::as_ptr(&self.shared))
    }
}

impl Default for Lua {
    fn default() -> Self {
        Lua::new()
    }
}

fn error_tostring(vm: &mut Vm) -> LResult<Action> {
    let s = match vm.arg(1) {
        Raw::UserData(u) => match vm.heap.userdata.get(u.idx()).data.downcast_ref::<ErrorBox>() {
            Some(e) => e.0.to_string(),
            None => "error".into(),
        },
        _ => "error".into(),
    };
    let v = vm.str_value(s.as_bytes());
    vm.push(v);
    Ok(Action::Return(1))
}

/// Arm `l` for a call from the host (inside `with_vm`).
pub(crate) fn arm_limits(vm: &mut Vm, l: &Limits) {
    vm.limits.fuel = l.instructions;
    vm.limits.deadline = l.deadline.map(|d| crate::clock::Instant::now() + d);
    vm.limits.max_depth = l.call_depth.unwrap_or(200_000);
    vm.limits.max_string = l.string_size.unwrap_or(usize::MAX / 2);
    vm.limits.interrupted = false;
    vm.limits.tripped = None;
    vm.heap.limit = l.memory.unwrap_or(usize::MAX);
    vm.arm_budget();
}

/// Create the error object for `e` (inside `with_vm`).
pub(crate) fn error_object(lua: &Lua, vm: &mut Vm, e: Error) -> Raw {
    let mt = vm.api_roots.get(lua.st().err_mt).as_table();
    let u = vm.heap.alloc_userdata(RawUd { data: Box::new(ErrorBox(e)), meta: mt, user_value: Raw::Nil }, 64);
    Raw::UserData(u)
}

fn raw_to_string(vm: &mut Vm, v: Raw) -> String {
    let s = vm.tostring_raw(v);
    String::from_utf8_lossy(vm.str_bytes(s)).into_owned()
}

/// Map a VM error to an API error (inside `with_vm`).
pub(crate) fn lua_error(_lua: &Lua, vm: &mut Vm, e: LuaError) -> Error {
    match e.kind {
        ErrorKind::Syntax => {
            let message = raw_to_string(vm, e.value);
            let incomplete_input = message.ends_with("<eof>") || message.contains("near <eof>");
            Error::SyntaxError { message, incomplete_input }
        }
        ErrorKind::Memory => Error::MemoryError(raw_to_string(vm, e.value)),
        ErrorKind::InstructionLimit => Error::InstructionLimit,
        ErrorKind::Timeout => Error::Timeout,
        ErrorKind::Interrupted => Error::Interrupted,
        ErrorKind::StackOverflow => Error::StackOverflow,
        _ => {
            if let Raw::UserData(u) = e.value {
                if let Some(b) = vm.heap.userdata.get(u.idx()).data.downcast_ref::<ErrorBox>() {
                    return b.0.clone();
                }
            }
            let msg = raw_to_string(vm, e.value);
            if msg.ends_with("stack overflow") || msg.contains("stack overflow (") {
                return Error::StackOverflow;
            }
            Error::RuntimeError(msg)
        }
    }
}

/// The VM error for an error returned by a Rust callback (inside the callback's VM).
fn callback_error(lua: &Lua, vm: &mut Vm, e: Error) -> LuaError {
    let kind = match e.root_cause() {
        Error::InstructionLimit => ErrorKind::InstructionLimit,
        Error::Timeout => ErrorKind::Timeout,
        Error::Interrupted => ErrorKind::Interrupted,
        Error::StackOverflow => ErrorKind::StackOverflow,
        Error::MemoryError(_) => ErrorKind::Memory,
        _ => ErrorKind::Runtime,
    };
    let e = match e {
        e @ Error::CallbackError { .. } => e,
        e => {
            let tb = String::from_utf8_lossy(&vm.traceback(None, None, 1)).into_owned();
            Error::CallbackError { traceback: tb, cause: Arc::new(e) }
        }
    };
    let v = error_object(lua, vm, e);
    LuaError::new(v, kind)
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".into()
    }
}

type DynCallback = dyn Fn(&Lua, MultiValue) -> Result<CallbackOut> + Send;

/// What a Rust callback produced.
pub(crate) enum CallbackOut {
    Values(MultiValue),
    Await(Box<dyn crate::vm::PendingCall>),
}

impl Lua {
    /// A state with the safe standard libraries ([`StdLib::ALL_SAFE`]).
    pub fn new() -> Lua {
        Lua::new_with(StdLib::ALL_SAFE, LuaOptions::default()).expect("oxilua: new state")
    }

    /// A state with the given libraries and options.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new_with(LuaStdLib::SANDBOX, LuaOptions::new())?;
    /// assert!(lua.load("io.open").eval::<LuaValue>()?.is_nil());
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn new_with(libs: StdLib, options: LuaOptions) -> Result<Lua> {
        let mut vm = Vm::new();
        let set = crate::stdlib::LibSet {
            base: libs.contains(StdLib::BASE),
            package: libs.contains(StdLib::PACKAGE),
            coroutine: libs.contains(StdLib::COROUTINE),
            table: libs.contains(StdLib::TABLE),
            io: libs.contains(StdLib::IO),
            os: libs.contains(StdLib::OS),
            string: libs.contains(StdLib::STRING),
            bit32: libs.contains(StdLib::BIT32),
            math: libs.contains(StdLib::MATH),
            debug: libs.contains(StdLib::DEBUG),
            unsafe_os: libs.contains(StdLib::FILES),
        };
        crate::stdlib::open_libs(&mut vm, set);
        // the error object's metatable
        let mt = vm.new_table();
        let ts = vm.native("__tostring", error_tostring);
        vm.raw_set_str(mt, "__tostring", ts);
        vm.raw_set_str(mt, "__name", Raw::Nil);
        let err_mt = vm.api_roots.add(Raw::Table(mt));
        let amt = vm.new_table();
        let array_mt = vm.api_roots.add(Raw::Table(amt));
        let st = ApiState { limits: options.limits, err_mt, array_mt, ud_mt: HashMap::new(), named: HashMap::new(), blocking: None };
        Ok(Lua { shared: Arc::new(Shared::new(vm, st)) })
    }

    pub(crate) fn st(&self) -> std::sync::MutexGuard<'_, ApiState> {
        self.shared.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn same(&self, o: &Lua) -> bool {
        Arc::ptr_eq(&self.shared, &o.shared)
    }

    /// Run `f` with the VM (advanced use: the raw engine). `f` must not call
    /// back into this API.
    pub fn with_raw_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> R {
        self.shared.with_vm(f)
    }

    /// Arm the limits for a call from the host (not inside callbacks).
    pub(crate) fn begin_call(&self, vm: &mut Vm, per_call: Option<&Limits>) {
        match per_call {
            Some(l) => arm_limits(vm, l),
            None => self.shared.arm_state_limits(vm),
        }
    }

    /// Set the async flag, returning the old value.
    pub(crate) fn set_async_ok(&self, v: bool) -> bool {
        let old = self.shared.async_ok.load(Ordering::Relaxed);
        self.shared.async_ok.store(v, Ordering::Relaxed);
        old
    }

    /// Call a raw function with API arguments: the common path of
    /// `Function::call`, `Chunk::exec`...
    pub(crate) fn call_ref(&self, f: &Ref, args: MultiValue, limits: Option<&Limits>) -> Result<MultiValue> {
        let top = !self.shared.in_callback();
        let saved = self.set_async_ok(false);
        let r = self.shared.with_vm(|vm| {
            let fv = f.raw_in(self, vm)?;
            let mut raw = Vec::with_capacity(args.len());
            for a in args.iter() {
                raw.push(a.to_raw(self, vm)?);
            }
            if top {
                self.begin_call(vm, limits);
            }
            match vm.call_value(fv, &raw, -1) {
                Ok(vals) => Ok(vals.into_iter().map(|v| Value::from_raw(self, vm, v)).collect()),
                Err(e) => Err(lua_error(self, vm, e)),
            }
        });
        self.set_async_ok(saved);
        r
    }

    // ----- globals, tables, strings ------------------------------------------

    /// The global table.
    pub fn globals(&self) -> Table {
        self.shared.with_vm(|vm| Table(Ref::new(self, vm, Raw::Table(vm.globals))))
    }

    /// Replace the global table (for new chunks loaded without an environment).
    pub fn set_globals(&self, t: Table) -> Result<()> {
        self.shared.with_vm(|vm| {
            let r = t.0.raw_in(self, vm)?;
            if let Raw::Table(t) = r {
                vm.globals = t;
                let reg = vm.registry;
                vm.heap.log_field(reg, Raw::Num(2.0));
                vm.heap.table_mut(reg).set_int(2, r);
            }
            Ok(())
        })
    }

    /// A new empty table.
    pub fn create_table(&self) -> Result<Table> {
        self.create_table_with_capacity(0, 0)
    }

    /// A new table with preallocated space.
    pub fn create_table_with_capacity(&self, narr: usize, nrec: usize) -> Result<Table> {
        self.shared.with_vm(|vm| {
            // a host that only builds values through the API, without
            // calling Lua, has its garbage collected here
            vm.gc_safepoint().map_err(|e| lua_error(self, vm, e))?;
            let t = vm.new_table_with(narr, nrec);
            Ok(Table(Ref::new(self, vm, Raw::Table(t))))
        })
    }

    /// A table from key/value pairs.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_table_from([("a", 1), ("b", 2)])?;
    /// assert_eq!(t.get::<i64>("b")?, 2);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_table_from<K: IntoLua, V: IntoLua, I: IntoIterator<Item = (K, V)>>(&self, iter: I) -> Result<Table> {
        let t = self.create_table()?;
        for (k, v) in iter {
            t.raw_set(k, v)?;
        }
        Ok(t)
    }

    /// A sequence (`{v1, v2, ...}`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let t = lua.create_sequence_from(["x", "y", "z"])?;
    /// assert_eq!(t.raw_len(), 3);
    /// lua.globals().set("t", t)?;
    /// assert_eq!(lua.load("table.concat(t, ',')").eval::<String>()?, "x,y,z");
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_sequence_from<V: IntoLua, I: IntoIterator<Item = V>>(&self, iter: I) -> Result<Table> {
        let t = self.create_table()?;
        for (i, v) in iter.into_iter().enumerate() {
            t.raw_set(i as f64 + 1.0, v)?;
        }
        Ok(t)
    }

    /// A Lua string from bytes or text.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let s = lua.create_string(b"bytes \xff ok")?;
    /// assert_eq!(s.as_bytes(), b"bytes \xff ok");
    /// assert!(s.to_str().is_err()); // not UTF-8
    /// assert_eq!(s.to_string_lossy(), "bytes \u{FFFD} ok");
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_string(&self, s: impl AsRef<[u8]>) -> Result<LuaString> {
        let b = s.as_ref();
        self.shared.with_vm(|vm| {
            vm.gc_safepoint().map_err(|e| lua_error(self, vm, e))?;
            vm.check_alloc(b.len()).map_err(|e| lua_error(self, vm, e))?;
            let v = vm.str_value(b);
            Ok(LuaString(Ref::new(self, vm, v)))
        })
    }

    /// The `null` sentinel (a light userdata holding a null pointer) used by
    /// serde conversions for `None`, `()` and JSON `null`.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// lua.globals().set("null", lua.null())?;
    /// let f: LuaFunction = lua.load("function(v) return v == null end").eval()?;
    /// assert!(f.call::<bool>(lua.null())?);
    /// assert!(lua.null().is_null());
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn null(&self) -> Value {
        Value::NULL
    }

    /// A metatable marking empty tables as arrays for serialization.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let empty: LuaTable = lua.load("return setmetatable({}, ...)").call(lua.array_metatable())?;
    /// let json: serde_json::Value = lua.from_value(LuaValue::Table(empty))?;
    /// assert_eq!(json, serde_json::json!([]));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn array_metatable(&self) -> Table {
        let slot = self.st().array_mt;
        self.shared.with_vm(|vm| {
            let v = vm.api_roots.get(slot);
            Table(Ref::new(self, vm, v))
        })
    }

    // ----- functions ---------------------------------------------------------

    pub(crate) fn make_function(&self, name: &'static str, cb: Box<DynCallback>) -> Result<Function> {
        let weak = Arc::downgrade(&self.shared);
        let f: BoxedFn = Rc::new(move |vm: &mut Vm| -> LResult<Action> {
            let Some(shared) = weak.upgrade() else {
                return Err(vm.rt_error("Lua state is being closed"));
            };
            let lua = Lua { shared };
            let base = vm.th.frames.last().expect("frame").base;
            let raw_args: Vec<Raw> = vm.th.stack[base..vm.th.top].to_vec();
            let out: std::result::Result<Vec<Raw>, LuaError> = lua.shared.clone().enter_callback(vm, || {
                let args: MultiValue = lua.shared.with_vm(|vm| raw_args.iter().map(|&v| Value::from_raw(&lua, vm, v)).collect());
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&lua, args)));
                let r = r.unwrap_or_else(|p| Err(Error::RuntimeError(format!("panic in Rust callback: {}", panic_message(p)))));
                match r {
                    Ok(CallbackOut::Values(vals)) => lua.shared.with_vm(|vm| {
                        let mut out = Vec::with_capacity(vals.len());
                        for v in vals.iter() {
                            match v.to_raw(&lua, vm) {
                                Ok(x) => out.push(x),
                                Err(e) => return Err(callback_error(&lua, vm, e)),
                            }
                        }
                        Ok(out)
                    }),
                    Ok(CallbackOut::Await(p)) => {
                        // handled below: smuggle through the VM's pending slot
                        lua.shared.with_vm(|vm| vm.pending = Some(p));
                        Ok(Vec::new())
                    }
                    Err(e) => Err(lua.shared.with_vm(|vm| callback_error(&lua, vm, e))),
                }
            });
            let vals = out?;
            if let Some(p) = vm.pending.take() {
                return Ok(Action::Await(p));
            }
            vm.ensure_stack(vals.len())?;
            let n = vals.len();
            for v in vals {
                vm.push(v);
            }
            Ok(Action::Return(n))
        });
        self.shared.with_vm(|vm| {
            let fr = vm.heap.alloc_func(Closure::Host { f, upvals: Box::new([]), name });
            Ok(Function(Ref::new(self, vm, Raw::Func(fr))))
        })
    }

    /// A Lua function calling a Rust closure. Arguments convert with
    /// [`FromLuaMulti`] (errors name the argument), results with [`IntoLuaMulti`];
    /// an `Err` is raised as a Lua error (catchable with `pcall`).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let greet = lua.create_function(|_, name: String| Ok(format!("hello {name}")))?;
    /// assert_eq!(greet.call::<String>("lua")?, "hello lua");
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_function<F, A, R>(&self, func: F) -> Result<Function>
    where
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        self.make_function(
            "?",
            Box::new(move |lua, args| {
                let a = A::from_lua_args(args, 1, None, lua)?;
                Ok(CallbackOut::Values(func(lua, a)?.into_lua_multi(lua)?))
            }),
        )
    }

    /// Like [`Lua::create_function`] for `FnMut` closures (a recursive call is an error).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let mut total = 0;
    /// let add = lua.create_function_mut(move |_, n: i64| { total += n; Ok(total) })?;
    /// add.call::<i64>(2)?;
    /// assert_eq!(add.call::<i64>(3)?, 5);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_function_mut<F, A, R>(&self, func: F) -> Result<Function>
    where
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
        A: FromLuaMulti,
        R: IntoLuaMulti,
    {
        let func = std::sync::Mutex::new(func);
        self.create_function(move |lua, a: A| {
            let mut f = func.try_lock().map_err(|_| Error::RuntimeError("mutable callback called recursively".into()))?;
            f(lua, a)
        })
    }

    /// A coroutine running `func`.
    pub fn create_thread(&self, func: Function) -> Result<Thread> {
        self.shared.with_vm(|vm| {
            let f = func.0.raw_in(self, vm)?;
            let t = vm.new_thread(f);
            Ok(Thread(Ref::new(self, vm, Raw::Thread(t))))
        })
    }

    /// Load a chunk (source or binary). Nothing runs until `exec`/`eval`/`call`.
    pub fn load(&self, source: impl AsRef<[u8]>) -> Chunk {
        Chunk::new(self.clone(), source.as_ref().to_vec())
    }

    /// Convert a Rust value to a Lua value.
    pub fn pack<T: IntoLua>(&self, t: T) -> Result<Value> {
        t.into_lua(self)
    }
    /// Convert a Lua value to a Rust value.
    pub fn unpack<T: FromLua>(&self, v: Value) -> Result<T> {
        T::from_lua(v, self)
    }
    /// Convert a Rust value to Lua (alias of `pack`, mlua's name).
    pub fn convert<T: IntoLua>(&self, t: T) -> Result<Value> {
        t.into_lua(self)
    }

    // ----- limits --------------------------------------------------------------

    /// Set the limits of this state (applied from the next call on).
    pub fn set_limits(&self, limits: Limits) {
        self.update_limits(|l| *l = limits);
    }

    /// Change the state's limits; calls arm the new ones from the next call
    /// on (the generation tells `Shared::arm_state_limits` to copy them).
    fn update_limits<R>(&self, f: impl FnOnce(&mut Limits) -> R) -> R {
        let mut st = self.st();
        let r = f(&mut st.limits);
        self.shared.limits_gen.fetch_add(1, Ordering::Release);
        r
    }

    /// The limits of this state.
    pub fn limits(&self) -> Limits {
        self.st().limits.clone()
    }

    /// Set the memory limit alone (mlua's name). Returns the previous limit (0 = none).
    pub fn set_memory_limit(&self, bytes: usize) -> Result<usize> {
        Ok(self.update_limits(|l| std::mem::replace(&mut l.memory, if bytes == 0 { None } else { Some(bytes) }).unwrap_or(0)))
    }

    /// Bytes of Lua heap in use.
    pub fn used_memory(&self) -> usize {
        self.shared.with_vm(|vm| vm.heap.bytes)
    }

    /// A callback asked periodically while scripts run; returning `true`
    /// stops the running script with [`Error::Interrupted`].
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// let lua = Lua::new();
    /// let stop = Arc::new(AtomicBool::new(true));
    /// let s = stop.clone();
    /// lua.set_interrupt(move || s.load(Ordering::Relaxed));
    /// assert!(matches!(lua.load("while true do end").exec(), Err(LuaError::Interrupted)));
    /// stop.store(false, Ordering::Relaxed);
    /// assert_eq!(lua.load("return 2").eval::<i32>()?, 2);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set_interrupt<F: FnMut() -> bool + Send + 'static>(&self, f: F) {
        self.shared.with_vm(|vm| vm.interrupt = Some(Box::new(f)));
    }

    /// Remove the interrupt callback.
    pub fn remove_interrupt(&self) {
        self.shared.with_vm(|vm| vm.interrupt = None);
    }

    /// Run a full garbage collection.
    pub fn gc_collect(&self) -> Result<()> {
        self.shared.with_vm(|vm| vm.full_gc());
        Ok(())
    }

    /// Replace the writer of `print` and `io.write` to standard output.
    pub fn set_stdout<W: std::io::Write + Send + 'static>(&self, w: W) {
        self.shared.with_vm(|vm| vm.stdout = Box::new(w));
    }

    // ----- registry ----------------------------------------------------------

    /// Keep a value alive in the registry; get it back with [`Lua::registry_value`].
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let key = lua.create_registry_value("kept")?;
    /// assert_eq!(lua.registry_value::<String>(&key)?, "kept");
    /// lua.remove_registry_value(key)?;
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_registry_value<T: IntoLua>(&self, t: T) -> Result<RegistryKey> {
        let v = t.into_lua(self)?;
        self.shared.with_vm(|vm| {
            let r = v.to_raw(self, vm)?;
            Ok(RegistryKey(Ref::new(self, vm, r)))
        })
    }

    /// The value stored under `key`.
    pub fn registry_value<T: FromLua>(&self, key: &RegistryKey) -> Result<T> {
        if !self.same(&key.0.lua) {
            return Err(Error::MismatchedRegistryKey);
        }
        let v = self.shared.with_vm(|vm| {
            let r = key.0.raw(vm);
            Value::from_raw(self, vm, r)
        });
        T::from_lua(v, self)
    }

    /// Replace the value stored under `key`.
    pub fn replace_registry_value<T: IntoLua>(&self, key: &RegistryKey, t: T) -> Result<()> {
        if !self.same(&key.0.lua) {
            return Err(Error::MismatchedRegistryKey);
        }
        let v = t.into_lua(self)?;
        self.shared.with_vm(|vm| {
            let r = v.to_raw(self, vm)?;
            vm.api_roots.set(key.0.slot, r);
            Ok(())
        })
    }

    /// Drop a registry value.
    pub fn remove_registry_value(&self, key: RegistryKey) -> Result<()> {
        if !self.same(&key.0.lua) {
            return Err(Error::MismatchedRegistryKey);
        }
        drop(key);
        Ok(())
    }

    /// Whether `key` belongs to this state.
    pub fn owns_registry_value(&self, key: &RegistryKey) -> bool {
        self.same(&key.0.lua)
    }

    /// Drop registry values whose keys were dropped (a no-op: keys release their slot on drop).
    pub fn expire_registry_values(&self) {}

    /// Store a value in the registry under a name.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// lua.set_named_registry_value("config.version", 3)?;
    /// assert_eq!(lua.named_registry_value::<i32>("config.version")?, 3);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set_named_registry_value<T: IntoLua>(&self, name: &str, t: T) -> Result<()> {
        let v = t.into_lua(self)?;
        let old = self.st().named.get(name).copied();
        self.shared.with_vm(|vm| {
            let r = v.to_raw(self, vm)?;
            let reg = vm.registry;
            let k = vm.str_value(name.as_bytes());
            vm.raw_set(reg, k, r).map_err(|e| lua_error(self, vm, e))?;
            Ok::<_, Error>(())
        })?;
        let _ = old;
        Ok(())
    }

    /// A value stored with [`Lua::set_named_registry_value`] (`nil` when absent).
    pub fn named_registry_value<T: FromLua>(&self, name: &str) -> Result<T> {
        let v = self.shared.with_vm(|vm| {
            let reg = vm.registry;
            let k = vm.str_value(name.as_bytes());
            let r = vm.raw_get(reg, k);
            Value::from_raw(self, vm, r)
        });
        T::from_lua(v, self)
    }

    /// Remove a named registry value.
    pub fn unset_named_registry_value(&self, name: &str) -> Result<()> {
        self.set_named_registry_value(name, Value::Nil)
    }
}
