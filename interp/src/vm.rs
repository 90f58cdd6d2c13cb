//! The virtual machine: global state, call frames, the dispatch loop, error
//! unwinding and coroutine switching.
//!
//! Invariants:
//! - Lua-to-Lua calls, metamethod calls made by instructions, `pcall`,
//!   coroutine resume/yield and async host calls never recurse on the Rust
//!   stack: they push or pop [`Frame`]s and the loop in [`Vm::execute`]
//!   carries on with whatever frame is on top. Only native functions that call
//!   back into Lua (`table.sort` comparators, `gsub` callbacks, `__tostring`,
//!   hooks, finalisers) run a nested `execute`, bounded by `MAX_CCALLS`; a
//!   yield across such a call is "attempt to yield across a C-call boundary".
//! - The running thread's data is in `self.th`; its arena slot holds a
//!   placeholder until the next switch.
//! - Registers of a Lua frame are `stack[base .. base + max_stack]`; values
//!   above a frame's `top` are dead and cleared by the collector.
//! - Collections only happen at safepoints (see `gc.rs`).

use crate::gc::Heap;
use crate::object::{Action, Closure, CoStatus, Cont, Frame, FrameKind, FuncProto, Thread, UpVal};
use crate::value::{FuncRef, StrRef, TableRef, ThreadRef, UpvalRef, Value};
use std::rc::Rc;

/// Maximum number of stack slots per thread (PUC's `LUAI_MAXSTACK`).
pub const MAX_STACK: usize = 1_000_000;
/// Maximum nesting of native→Lua calls and coroutine resumes (`LUAI_MAXCCALLS`).
pub const MAX_CCALLS: u32 = 200;
/// Extra slots kept free above a frame for native functions (`LUA_MINSTACK`).
pub const MIN_STACK: usize = 20;
/// Maximum `__index`/`__newindex` chain length (`MAXTAGLOOP`).
pub const MAX_TAG_LOOP: usize = 100;

/// The kind of a Lua error, for hosts; scripts only see the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Runtime,
    Syntax,
    Memory,
    /// An error while running a message handler.
    ErrorHandler,
    /// Error in a `__gc` finaliser.
    Finalizer,
    InstructionLimit,
    Timeout,
    Interrupted,
    StackOverflow,
}

/// What a Lua error carries: the error value plus its kind.
#[derive(Debug, Clone)]
pub struct ErrorData {
    pub value: Value,
    pub kind: ErrorKind,
    /// The message handler (xpcall) has already transformed `value`.
    pub(crate) handled: bool,
    /// Traceback captured where the error was raised, when asked for.
    pub traceback: Option<String>,
}

/// A Lua error. Boxed so that `LResult<T>` stays small on the hot paths
/// (every call and instruction slow path returns one); fields are reached
/// through `Deref` (`e.value`, `e.kind`).
#[derive(Debug, Clone)]
pub struct LuaError(Box<ErrorData>);

impl std::ops::Deref for LuaError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for LuaError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl LuaError {
    pub fn new(value: Value, kind: ErrorKind) -> Self {
        LuaError(Box::new(ErrorData { value, kind, handled: false, traceback: None }))
    }
}

pub type LResult<T> = Result<T, LuaError>;

/// Values moved between coroutines on resume/yield (usually few: no heap allocation).
type Vals = smallvec::SmallVec<[Value; 4]>;

/// An async host call waiting for its future. The host driver polls it; when
/// ready it yields the results as values to push.
pub trait PendingCall {
    fn as_any(&mut self) -> &mut dyn std::any::Any;
}

macro_rules! names {
    ($($field:ident = $text:literal),* $(,)?) => {
        /// Strings the VM needs by handle: metamethod names and a few keys.
        #[derive(Clone, Copy)]
        pub struct Names { $(pub $field: StrRef,)* }
        impl Names {
            fn new(heap: &mut Heap) -> Self {
                Names { $($field: heap.intern($text.as_bytes()),)* }
            }
            /// Every handle, for the collector.
            pub fn all(&self) -> impl Iterator<Item = StrRef> {
                [$(self.$field,)*].into_iter()
            }
        }
    };
}

names! {
    index = "__index", newindex = "__newindex", gc = "__gc", mode = "__mode",
    len = "__len", eq = "__eq", add = "__add", sub = "__sub", mul = "__mul",
    div = "__div", mod_ = "__mod", pow = "__pow", unm = "__unm", lt = "__lt",
    le = "__le", concat = "__concat", call = "__call", tostring = "__tostring",
    metatable = "__metatable", pairs = "__pairs", ipairs = "__ipairs",
    n = "n", env = "_ENV", g = "_G", loaded = "_LOADED", preload = "_PRELOAD",
}

/// Metamethod events, in PUC's order (the first six are cached as absent in tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tm {
    Index,
    NewIndex,
    Gc,
    Mode,
    Len,
    Eq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Lt,
    Le,
    Concat,
    Call,
}

impl Tm {
    pub fn name(self, n: &Names) -> StrRef {
        match self {
            Tm::Index => n.index,
            Tm::NewIndex => n.newindex,
            Tm::Gc => n.gc,
            Tm::Mode => n.mode,
            Tm::Len => n.len,
            Tm::Eq => n.eq,
            Tm::Add => n.add,
            Tm::Sub => n.sub,
            Tm::Mul => n.mul,
            Tm::Div => n.div,
            Tm::Mod => n.mod_,
            Tm::Pow => n.pow,
            Tm::Unm => n.unm,
            Tm::Lt => n.lt,
            Tm::Le => n.le,
            Tm::Concat => n.concat,
            Tm::Call => n.call,
        }
    }
}

/// Resource limits in force (see the embedding API's `Limits`).
#[derive(Clone, Debug)]
pub struct LimitState {
    /// Remaining instruction fuel; `None` = unlimited.
    pub fuel: Option<u64>,
    pub deadline: Option<crate::clock::Instant>,
    pub max_depth: usize,
    pub max_string: usize,
    pub interrupted: bool,
    /// A limit error is sticky until the host resets limits.
    pub tripped: Option<ErrorKind>,
}

impl Default for LimitState {
    fn default() -> Self {
        LimitState { fuel: None, deadline: None, max_depth: 200_000, max_string: usize::MAX / 2, interrupted: false, tripped: None }
    }
}

/// How often (in instructions) the slow checks run when nothing else asks.
const CHECK_INTERVAL: i64 = 10_000;

/// Values held by host handles (`Table`, `Function`, registry keys...).
#[derive(Default)]
pub struct ApiRoots {
    slots: Vec<(Value, u32)>,
    free: Vec<u32>,
}

impl ApiRoots {
    pub fn add(&mut self, v: Value) -> u32 {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push((Value::Nil, 0));
                (self.slots.len() - 1) as u32
            }
        };
        // the handle reads the value back at once: one store (see `put`)
        let s = &mut self.slots[i as usize];
        crate::value::put(&mut s.0, v);
        s.1 = 1;
        i
    }
    pub fn get(&self, i: u32) -> Value {
        self.slots[i as usize].0
    }
    /// One more (`inc`) or one less reference to slot `i`.
    #[inline]
    pub fn adjust(&mut self, i: u32, inc: bool) {
        if inc {
            self.incref(i);
        } else {
            self.decref(i);
        }
    }
    pub fn incref(&mut self, i: u32) {
        self.slots[i as usize].1 += 1;
    }
    pub fn decref(&mut self, i: u32) {
        let s = &mut self.slots[i as usize];
        s.1 -= 1;
        if s.1 == 0 {
            s.0 = Value::Nil;
            self.free.push(i);
        }
    }
    /// Replace the value of a live slot.
    pub fn set(&mut self, i: u32, v: Value) {
        crate::value::put(&mut self.slots[i as usize].0, v);
    }
    pub fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.slots.iter().filter(|s| s.1 > 0).map(|s| s.0)
    }
}

/// The whole interpreter state.
pub struct Vm {
    pub heap: Heap,
    /// The running thread's stack and frames.
    /// The running thread (boxed: a coroutine switch swaps two pointers).
    pub th: Box<Thread>,
    pub cur: ThreadRef,
    pub main_thread: ThreadRef,
    pub registry: TableRef,
    pub globals: TableRef,
    /// Metatables of the basic types, indexed by `Type as usize`.
    pub type_meta: [Option<TableRef>; 9],
    pub names: Names,
    pub api_roots: ApiRoots,
    /// Temporary roots for host code (cleared by their users).
    pub extra_roots: Vec<Value>,
    /// Instructions left before the next slow-path check.
    pub budget: i64,
    pub limits: LimitState,
    /// Current nesting of native→Lua calls and resumes.
    pub n_ccalls: u32,
    /// Host callback asked on every slow-path check; `true` stops the script.
    pub interrupt: Option<Box<dyn FnMut() -> bool + Send>>,
    /// Host data (typed app data of the embedding API).
    pub app_data: std::collections::HashMap<std::any::TypeId, Box<dyn std::any::Any + Send>>,
    /// A result/continuation passed from a finished async call.
    pub(crate) resume_values: Option<Vec<Value>>,
    /// Writer for `print`/`io.write` to standard output (replaceable by hosts).
    pub stdout: Box<dyn std::io::Write + Send>,
    /// Budget value at the last refill (fuel spent = base - budget).
    pub(crate) budget_base: i64,
    /// The async call that suspended the running execution.
    pub(crate) pending: Option<Box<dyn PendingCall>>,
    /// Values yielded by a host-resumed coroutine.
    pub(crate) yielded: Option<Vec<Value>>,
    /// Current stack size limit (raised while a message handler runs).
    pub(crate) stack_limit: usize,
    /// Extra frames allowed while a message handler runs.
    pub(crate) depth_extra: usize,
    /// Work accumulated by `collectgarbage("step")` since the last cycle.
    pub gc_step_work: usize,
    /// File and process access allowed to scripts (false in sandboxes).
    pub unsafe_os: bool,
    /// Last (frame, pc) seen by the line hook.
    pub(crate) hook_last: Option<((usize, usize), usize)>,
}

/// What the dispatch loop does after a call-related step.
pub(crate) enum Next {
    /// Keep running the current Lua frame (its `pc`/registers are intact).
    Continue,
    /// Reload the top frame of the (possibly different) running thread.
    Reload,
    /// The boundary frame of this `execute` returned.
    Exit,
    /// A coroutine resumed directly by the host yielded or ended.
    Suspend,
}

impl Vm {
    /// A new state with no libraries opened.
    pub fn new() -> Self {
        let mut heap = Heap::default();
        let names = Names::new(&mut heap);
        let registry = heap.alloc_table_with(0, 0);
        let globals = heap.alloc_table_with(0, 0);
        let main = heap.alloc_thread(Thread::empty());
        let mut th = Thread::new();
        th.status = CoStatus::Running;
        let mut vm = Vm {
            heap,
            th: Box::new(th),
            cur: main,
            main_thread: main,
            registry,
            globals,
            type_meta: [None; 9],
            names,
            api_roots: ApiRoots::default(),
            extra_roots: Vec::new(),
            budget: CHECK_INTERVAL,
            limits: LimitState::default(),
            n_ccalls: 0,
            interrupt: None,
            app_data: Default::default(),
            resume_values: None,
            stdout: Box::new(std::io::stdout()),
            budget_base: CHECK_INTERVAL,
            pending: None,
            yielded: None,
            hook_last: None,
            unsafe_os: true,
            gc_step_work: 0,
            stack_limit: MAX_STACK,
            depth_extra: 0,
        };
        // registry[1] = main thread, registry[2] = globals (LUA_RIDX_*)
        let r = vm.heap.table_mut(registry);
        r.set_int(1, Value::Thread(main));
        r.set_int(2, Value::Table(globals));
        vm
    }

    // ----- strings and small helpers -------------------------------------

    #[inline]
    pub fn intern(&mut self, b: &[u8]) -> StrRef {
        self.heap.intern(b)
    }

    pub fn str_value(&mut self, b: &[u8]) -> Value {
        Value::Str(self.heap.intern(b))
    }

    #[inline]
    pub fn str_bytes(&self, s: StrRef) -> &[u8] {
        self.heap.str(s)
    }

    pub fn new_table(&mut self) -> TableRef {
        self.heap.alloc_table_with(0, 0)
    }

    pub fn new_table_with(&mut self, narr: usize, nhash: usize) -> TableRef {
        self.heap.alloc_table_with(narr, nhash)
    }

    /// Create a native function value.
    pub fn native(&mut self, name: &'static str, f: crate::object::NativeFn) -> Value {
        Value::Func(self.heap.alloc_func(Closure::Native { f, upvals: Box::new([]), name }))
    }

    pub fn native_with_upvals(&mut self, name: &'static str, f: crate::object::NativeFn, upvals: Vec<Value>) -> Value {
        Value::Func(self.heap.alloc_func(Closure::Native { f, upvals: upvals.into(), name }))
    }

    /// Raw table read.
    #[inline]
    pub fn raw_get(&self, t: TableRef, k: Value) -> Value {
        self.heap.table(t).get(k)
    }

    /// Raw table write with memory accounting; errors for nil/NaN keys.
    pub fn raw_set(&mut self, t: TableRef, k: Value, v: Value) -> LResult<()> {
        self.heap.log_field(t, k);
        match self.heap.table_mut(t).set(k, v) {
            Ok(delta) => {
                if delta != 0 {
                    self.heap.adjust(delta);
                }
                Ok(())
            }
            Err(crate::table::KeyError::Nil) => Err(self.rt_error("table index is nil")),
            Err(crate::table::KeyError::NaN) => Err(self.rt_error("table index is NaN")),
        }
    }

    pub fn raw_set_str(&mut self, t: TableRef, k: &str, v: Value) {
        let k = self.heap.intern(k.as_bytes());
        self.raw_set_interned(t, k, v);
    }

    /// `raw_set` for a string key (never an invalid key): one probe. For
    /// values just built by the caller (see `Table::set_str_fresh`).
    #[inline]
    pub(crate) fn raw_set_interned(&mut self, t: TableRef, k: StrRef, v: Value) {
        self.heap.log_field(t, Value::Str(k));
        let delta = self.heap.table_mut(t).set_str_fresh(k, v);
        if delta != 0 {
            self.heap.adjust(delta);
        }
    }

    /// The metatable of any value.
    #[inline]
    pub fn metatable(&self, v: Value) -> Option<TableRef> {
        match v {
            Value::Table(t) => self.heap.table(t).meta,
            Value::UserData(u) => self.heap.userdata.get(u.idx()).meta,
            other => self.type_meta[other.type_of() as usize],
        }
    }

    /// A metamethod of `v`, or nil.
    #[inline]
    pub fn get_tm(&self, v: Value, tm: Tm) -> Value {
        match self.metatable(v) {
            None => Value::Nil,
            Some(mt) => self.heap.table(mt).get_str(tm.name(&self.names)),
        }
    }

    // ----- errors -----------------------------------------------------------

    /// A runtime error with message `msg`, prefixed with the position of the
    /// current Lua code (like `luaG_runerror` from an instruction, or
    /// `luaL_error` from a native function: the position of its Lua caller).
    pub fn rt_error(&mut self, msg: impl AsRef<str>) -> LuaError {
        let mut s = self.where_(1).into_bytes();
        s.extend_from_slice(msg.as_ref().as_bytes());
        let v = Value::Str(self.heap.intern_vec(s));
        LuaError::new(v, ErrorKind::Runtime)
    }

    /// Same as [`Vm::rt_error`] with a byte message.
    pub fn rt_error_bytes(&mut self, msg: &[u8]) -> LuaError {
        let mut s = self.where_(1).into_bytes();
        s.extend_from_slice(msg);
        let v = Value::Str(self.heap.intern_vec(s));
        LuaError::new(v, ErrorKind::Runtime)
    }

    /// An error with a value and no position.
    pub fn error_value(&mut self, v: Value) -> LuaError {
        LuaError::new(v, ErrorKind::Runtime)
    }

    pub fn error_plain(&mut self, msg: &str, kind: ErrorKind) -> LuaError {
        let v = self.str_value(msg.as_bytes());
        LuaError::new(v, kind)
    }

    fn mem_error(&mut self) -> LuaError {
        let v = self.str_value(b"not enough memory");
        LuaError::new(v, ErrorKind::Memory)
    }

    /// Fail when allocating `n` more bytes would exceed the memory limit.
    pub fn check_alloc(&mut self, n: usize) -> LResult<()> {
        if n > self.limits.max_string && n > 64 {
            return Err(self.rt_error("string length overflow"));
        }
        if self.heap.limit != usize::MAX && self.heap.bytes.saturating_add(n) > self.heap.limit {
            return Err(self.mem_error());
        }
        Ok(())
    }

    // ----- stack ------------------------------------------------------------

    #[inline]
    pub fn push(&mut self, v: Value) {
        let top = self.th.top;
        if top >= self.th.stack.len() {
            self.th.stack.resize(top + MIN_STACK + top / 2, Value::Nil);
        }
        crate::value::put(&mut self.th.stack[top], v);
        self.th.top = top + 1;
    }

    #[inline]
    pub fn pop(&mut self) -> Value {
        self.th.top -= 1;
        self.th.stack[self.th.top]
    }

    /// Make sure `n` more slots are available above `top`.
    pub fn ensure_stack(&mut self, n: usize) -> LResult<()> {
        let need = self.th.top + n;
        if need > self.th.stack.len() {
            if need > self.stack_limit {
                return Err(self.stack_overflow());
            }
            let new = (need + need / 2).clamp(need, self.stack_limit + 200);
            self.th.stack.resize(new, Value::Nil);
        }
        Ok(())
    }

    fn stack_overflow(&mut self) -> LuaError {
        if self.depth_extra > 0 {
            // overflowing again while a handler runs on the extra stack
            return self.error_plain("error in error handling", ErrorKind::ErrorHandler);
        }
        let mut e = self.rt_error("stack overflow");
        e.kind = ErrorKind::StackOverflow;
        e
    }

    // ----- upvalues ---------------------------------------------------------

    #[inline]
    pub fn upval_get(&self, u: UpvalRef) -> Value {
        match *self.heap.upvals.get(u.idx()) {
            UpVal::Closed(v) => v,
            UpVal::Open { thread, idx } => {
                if thread == self.cur {
                    self.th.stack[idx as usize]
                } else {
                    self.heap.other_thread_slot(thread, idx as usize).expect("open upvalue beyond its thread's stack")
                }
            }
        }
    }

    #[inline]
    pub fn upval_set(&mut self, u: UpvalRef, v: Value) {
        self.log_upval(u);
        match *self.heap.upvals.get(u.idx()) {
            UpVal::Closed(_) => *self.heap.upvals.get_mut(u.idx()) = UpVal::Closed(v),
            UpVal::Open { thread, idx } => {
                if thread == self.cur {
                    self.th.stack[idx as usize] = v;
                } else {
                    self.heap.threads.get_mut(thread.idx()).stack[idx as usize] = v;
                }
            }
        }
    }

    pub(crate) fn find_upval(&mut self, idx: usize) -> UpvalRef {
        let list = &self.th.open_upvals;
        match list.binary_search_by(|e| e.0.cmp(&idx)) {
            Ok(i) => list[i].1,
            Err(pos) => {
                let u = self.heap.alloc_upval(UpVal::Open { thread: self.cur, idx: idx as u32 });
                self.th.open_upvals.insert(pos, (idx, u));
                u
            }
        }
    }

    /// An existing open upvalue for stack slot `idx`, if any.
    pub(crate) fn open_upval_at(&self, idx: usize) -> Option<UpvalRef> {
        let list = &self.th.open_upvals;
        list.binary_search_by(|e| e.0.cmp(&idx)).ok().map(|i| list[i].1)
    }

    /// Close every open upvalue at or above stack slot `level`.
    pub fn close_upvals(&mut self, level: usize) {
        let th = &mut *self.th;
        let stack = &th.stack;
        close_open_upvals(&mut self.heap, &mut th.open_upvals, level, |i| stack[i]);
    }

    // ----- threads ----------------------------------------------------------

    /// Make `t` the running thread.
    pub(crate) fn switch_to(&mut self, t: ThreadRef) {
        if t == self.cur {
            return;
        }
        // two swaps, no placeholder built or dropped: the outgoing thread
        // takes the placeholder's slot, the placeholder the incoming one's
        std::mem::swap(&mut self.th, self.heap.threads.get_mut(self.cur.idx()));
        std::mem::swap(&mut self.th, self.heap.threads.get_mut(t.idx()));
        self.cur = t;
        // line/count hooks of the incoming thread need the per-instruction
        // check at once (keeping `budget_base - budget` = fuel spent)
        if self.th.hook_mask & (crate::ldebug::MASK_COUNT | crate::ldebug::MASK_LINE) != 0 && self.budget > 1 {
            self.budget_base -= self.budget - 1;
            self.budget = 1;
        }
    }

    /// Create a coroutine whose body is `f`.
    pub fn new_thread(&mut self, f: Value) -> ThreadRef {
        let mut th = Thread::new();
        th.stack[0] = f;
        th.top = 1;
        th.hook = self.th.hook;
        th.hook_mask = self.th.hook_mask;
        th.hook_count = self.th.hook_count;
        th.hook_counter = self.th.hook_count;
        self.heap.alloc_thread(th)
    }

    /// Run `f` with a thread's data borrowed (running or not).
    pub fn with_thread<R>(&mut self, t: ThreadRef, f: impl FnOnce(&mut Thread) -> R) -> R {
        if t == self.cur {
            f(&mut self.th)
        } else {
            f(self.heap.threads.get_mut(t.idx()))
        }
    }

    pub fn thread_status(&self, t: ThreadRef) -> CoStatus {
        if t == self.cur {
            self.th.status
        } else {
            self.heap.threads.get(t.idx()).status
        }
    }

    // ----- loading ----------------------------------------------------------

    /// Turn a compiled prototype into a runtime prototype (interning
    /// constants), after checking it with `dump::verify`: the dispatch loop's
    /// fast path relies on verified code.
    pub fn load_proto(&mut self, p: &crate::proto::Proto) -> Result<Rc<FuncProto>, String> {
        crate::dump::verify(p)?;
        Ok(self.load_verified(p))
    }

    fn load_verified(&mut self, p: &crate::proto::Proto) -> Rc<FuncProto> {
        let k: Vec<Value> = p
            .constants
            .iter()
            .map(|c| match c {
                crate::proto::Constant::Nil => Value::Nil,
                crate::proto::Constant::Bool(b) => Value::Bool(*b),
                crate::proto::Constant::Number(n) => Value::Num(*n),
                crate::proto::Constant::String(s) => Value::Str(self.heap.intern(s)),
            })
            .collect();
        let protos: Vec<Rc<FuncProto>> = p.protos.iter().map(|c| self.load_verified(c)).collect();
        self.heap.bytes += p.code.len() * 4 + k.len() * 16 + p.line_info.len() * 4 + 128;
        Rc::new(FuncProto {
            code: p.code.clone().into(),
            k: k.into(),
            protos: protos.into(),
            upvals: p.upvalues.clone().into(),
            line_info: p.line_info.clone().into(),
            loc_vars: p.loc_vars.clone().into(),
            source: p.source.clone(),
            line_defined: p.line_defined,
            last_line_defined: p.last_line_defined,
            num_params: p.num_params,
            is_vararg: p.is_vararg,
            max_stack: p.max_stack_size.max(2),
            mark_epoch: std::cell::Cell::new(0),
            cache: std::cell::Cell::new(None),
        })
    }

    /// Make a closure of a main chunk with its first upvalue set to `env`
    /// (the globals table unless given).
    pub fn chunk_closure(&mut self, p: Rc<FuncProto>, env: Option<Value>) -> FuncRef {
        let n = p.upvals.len();
        let mut ups = crate::object::UpvalList::with_capacity(n);
        for i in 0..n {
            // Lua 5.2: an explicit env goes to the first upvalue; otherwise
            // the globals only when the chunk has exactly one upvalue.
            let v = match (i, env) {
                (0, Some(e)) => e,
                (0, None) if n == 1 => Value::Table(self.globals),
                _ => Value::Nil,
            };
            ups.push(self.heap.alloc_upval(UpVal::Closed(v)));
        }
        self.heap.alloc_func(Closure::Lua { proto: p, upvals: ups })
    }

    /// Compile `src` into a function value (text or binary according to `mode`).
    pub fn load_chunk(&mut self, src: &[u8], chunkname: &[u8], mode: &[u8], env: Option<Value>) -> LResult<FuncRef> {
        let is_binary = src.first() == Some(&0x1b);
        if is_binary && !mode.contains(&b'b') {
            let msg = format!("attempt to load a binary chunk (mode is '{}')", String::from_utf8_lossy(mode));
            return Err(self.error_plain(&msg, ErrorKind::Syntax));
        }
        if !is_binary && !mode.contains(&b't') {
            let msg = format!("attempt to load a text chunk (mode is '{}')", String::from_utf8_lossy(mode));
            return Err(self.error_plain(&msg, ErrorKind::Syntax));
        }
        let proto = if is_binary {
            match crate::dump::undump(src, chunkname) {
                Ok(p) => p,
                Err(m) => {
                    let m: String = m;
                    return Err(self.error_plain(&m, ErrorKind::Syntax));
                }
            }
        } else {
            self.charge(src.len() as u64 / 8)?;
            match crate::compile(src, chunkname) {
                Ok(p) => p,
                Err(e) => {
                    let v = self.str_value(e.message.as_bytes());
                    return Err(LuaError::new(v, ErrorKind::Syntax));
                }
            }
        };
        let rp = match self.load_proto(&proto) {
            Ok(rp) => rp,
            Err(m) => {
                let msg = format!("{}: invalid bytecode: {}", String::from_utf8_lossy(&crate::proto::chunk_id(chunkname)), m);
                return Err(self.error_plain(&msg, ErrorKind::Syntax));
            }
        };
        Ok(self.chunk_closure(rp, env))
    }

    // ----- limits -----------------------------------------------------------

    /// Charge `n` units of fuel (native functions doing work proportional to input).
    #[inline]
    pub fn charge(&mut self, n: u64) -> LResult<()> {
        self.budget -= n.min(i64::MAX as u64 / 2) as i64;
        if self.budget <= 0 {
            self.slow_check()?;
        }
        Ok(())
    }

    /// Runs when the instruction budget reaches zero: fuel, deadline,
    /// interrupt, count hooks. Refills the budget.
    #[cold]
    pub(crate) fn slow_check(&mut self) -> LResult<()> {
        if let Some(kind) = self.limits.tripped {
            self.budget = 1;
            return Err(self.limit_error(kind));
        }
        let spent = (self.budget_base - self.budget).max(0) as u64;
        if let Some(f) = self.limits.fuel.as_mut() {
            if *f <= spent {
                *f = 0;
                self.limits.tripped = Some(ErrorKind::InstructionLimit);
                self.budget = 1;
                return Err(self.limit_error(ErrorKind::InstructionLimit));
            }
            *f -= spent;
        }
        if let Some(d) = self.limits.deadline {
            if crate::clock::Instant::now() >= d {
                self.limits.tripped = Some(ErrorKind::Timeout);
                self.budget = 1;
                return Err(self.limit_error(ErrorKind::Timeout));
            }
        }
        if let Some(cb) = self.interrupt.as_mut() {
            if cb() {
                self.limits.tripped = Some(ErrorKind::Interrupted);
                self.budget = 1;
                return Err(self.limit_error(ErrorKind::Interrupted));
            }
        }
        self.refill_budget();
        Ok(())
    }

    /// A new budget until the next `slow_check`: the check interval, less
    /// when the fuel left is smaller, one instruction under line/count hooks.
    fn refill_budget(&mut self) {
        let mut next = CHECK_INTERVAL;
        if let Some(f) = self.limits.fuel {
            next = next.min(f.max(1) as i64);
        }
        if self.th.hook_mask & (crate::ldebug::MASK_COUNT | crate::ldebug::MASK_LINE) != 0 {
            next = 1;
        }
        self.budget = next;
        self.budget_base = next;
    }

    fn limit_error(&mut self, kind: ErrorKind) -> LuaError {
        let msg = match kind {
            ErrorKind::InstructionLimit => "instruction limit exceeded",
            ErrorKind::Timeout => "deadline exceeded",
            ErrorKind::Interrupted => "interrupted",
            _ => "limit exceeded",
        };
        let mut e = self.rt_error(msg);
        e.kind = kind;
        e
    }

    /// Re-arm the budget after limits changed.
    /// Budget for a call starting with fresh limits (the host's entry,
    /// `arm_limits`): nothing spent yet, so no check is needed before the
    /// first instruction, unless a collection is due. Then the first
    /// instruction takes the slow path, whose safepoint collects: the
    /// garbage a host makes through the API (argument tables, strings) is
    /// collected there, even when the script it calls allocates nothing.
    pub(crate) fn arm_budget(&mut self) {
        if self.heap.gc_due() {
            self.reset_budget();
        } else {
            self.refill_budget();
        }
    }

    pub fn reset_budget(&mut self) {
        self.budget = 1;
        self.budget_base = 1;
    }

    /// Safepoint: collect if due, then enforce the memory limit.
    #[inline]
    pub(crate) fn gc_safepoint(&mut self) -> LResult<()> {
        if self.heap.gc_due() {
            self.gc_slow()?;
        }
        Ok(())
    }

    #[cold]
    fn gc_slow(&mut self) -> LResult<()> {
        if self.heap.running {
            self.full_gc();
            if !self.heap.tobefnz.is_empty() {
                self.run_finalizers(true)?;
            }
        } else if self.heap.limit == usize::MAX {
            // stopped: just move the threshold
            self.heap.threshold = self.heap.bytes * 2;
        }
        if self.heap.bytes > self.heap.limit {
            if !self.heap.running {
                self.full_gc();
            }
            if self.heap.bytes > self.heap.limit {
                return Err(self.mem_error());
            }
        }
        Ok(())
    }

    /// Call pending `__gc` finalisers. With `propagate`, an error in one is
    /// raised as "error in __gc metamethod (msg)".
    pub fn run_finalizers(&mut self, propagate: bool) -> LResult<()> {
        while !self.heap.tobefnz.is_empty() {
            let o = self.heap.tobefnz.remove(0);
            let gcf = self.get_tm(o, Tm::Gc);
            if !matches!(gcf, Value::Func(_)) {
                continue;
            }
            let was_running = self.heap.running;
            self.heap.running = false; // no collection inside a finaliser
            let r = self.call_value(gcf, &[o], 0);
            self.heap.running = was_running;
            if let Err(e) = r {
                if propagate {
                    if matches!(e.kind, ErrorKind::InstructionLimit | ErrorKind::Timeout | ErrorKind::Interrupted | ErrorKind::Memory) {
                        return Err(e);
                    }
                    let msg = match e.value {
                        Value::Str(s) => self.heap.str(s).to_vec(),
                        Value::Num(n) => crate::numfmt::number_to_string(n).into_bytes(),
                        _ => b"no message".to_vec(),
                    };
                    let mut m = b"error in __gc metamethod (".to_vec();
                    m.extend_from_slice(&msg);
                    m.push(b')');
                    let v = Value::Str(self.heap.intern_vec(m));
                    return Err(LuaError::new(v, ErrorKind::Finalizer));
                }
            }
        }
        Ok(())
    }

    /// Run every finaliser (state close).
    pub fn close(&mut self) {
        let mut all = std::mem::take(&mut self.heap.finobj);
        self.heap.finset.clear();
        all.reverse();
        self.heap.tobefnz.extend(all);
        let _ = self.run_finalizers(false);
    }
}

impl Thread {
    /// An empty placeholder (no allocation).
    pub fn empty() -> Thread {
        Thread {
            stack: Vec::new(),
            top: 0,
            frames: Vec::new(),
            open_upvals: Vec::new(),
            status: CoStatus::Suspended,
            nny: 0,
            resumer: None,
            wrapped: false,
            hook: Value::Nil,
            hook_mask: 0,
            hook_count: 0,
            hook_counter: 0,
            in_hook: false,
            errored: false,
        }
    }
}

impl Default for Vm {
    fn default() -> Self {
        Self::new()
    }
}

// ===========================================================================
// Calls
// ===========================================================================

/// Outcome of running a host-driven execution.
pub enum ExecOutcome {
    /// The entry function returned (results on the stack from `base`).
    Returned,
    /// A coroutine resumed by the host yielded.
    Yielded,
    /// An async host function is waiting.
    Pending(Box<dyn PendingCall>),
}

impl Vm {
    /// Call `f` with `args` from Rust (a nested execution, C-call boundary).
    /// Returns the results (`nresults < 0` for all).
    pub fn call_value(&mut self, f: Value, args: &[Value], nresults: i32) -> LResult<Vec<Value>> {
        let func = self.th.top;
        self.ensure_stack(args.len() + 1 + MIN_STACK)?;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        self.call_at(func, nresults)?;
        let res = self.th.stack[func..self.th.top].to_vec();
        self.th.top = func;
        Ok(res)
    }

    /// Call the function at stack slot `func` with the values above it; on
    /// return the results are at `func..top`. A C-call boundary.
    pub fn call_at(&mut self, func: usize, nresults: i32) -> LResult<()> {
        if self.n_ccalls >= MAX_CCALLS {
            if self.n_ccalls >= MAX_CCALLS + MAX_CCALLS / 8 {
                return Err(self.error_plain("error in error handling", ErrorKind::ErrorHandler));
            }
            return Err(self.rt_error("C stack overflow"));
        }
        self.n_ccalls += 1;
        self.th.nny += 1;
        let nframes = self.th.frames.len();
        let cur = self.cur;
        let r = self.call_at_inner(func, nresults);
        // Restore bookkeeping even on error (the frames above are gone).
        if self.cur != cur {
            // an error escaped from a coroutine switch: cannot happen, since
            // errors in coroutines end at their resume; keep consistent anyway
            self.switch_to(cur);
        }
        self.th.nny -= 1;
        self.n_ccalls -= 1;
        if r.is_err() {
            if self.th.frames.len() > nframes {
                self.th.frames.truncate(nframes);
            }
            self.close_upvals(func);
            self.th.top = func;
        }
        r
    }

    fn call_at_inner(&mut self, func: usize, nresults: i32) -> LResult<()> {
        match self.precall(func, nresults, Cont::Boundary)? {
            Next::Continue | Next::Exit => Ok(()),
            Next::Reload => self.execute().map(|_| ()),
            Next::Suspend => Ok(()),
        }
    }

    /// Resolve `__call`: make sure `stack[func]` is a function.
    fn try_func_tm(&mut self, func: usize) -> LResult<()> {
        let f = self.th.stack[func];
        let tm = self.get_tm(f, Tm::Call);
        if !matches!(tm, Value::Func(_)) {
            return Err(self.call_error(func, f));
        }
        // insert tm below the arguments
        self.ensure_stack(1)?;
        let top = self.th.top;
        self.th.stack.copy_within(func..top, func + 1);
        self.th.stack[func] = tm;
        self.th.top = top + 1;
        Ok(())
    }

    /// Start a call of the value at `func` (arguments up to `top`). Lua
    /// functions get a new frame (`Reload`); native functions run now.
    pub(crate) fn precall(&mut self, func: usize, nresults: i32, cont: Cont) -> LResult<Next> {
        let fref = match self.th.stack[func] {
            Value::Func(f) => f,
            _ => {
                self.try_func_tm(func)?;
                match self.th.stack[func] {
                    Value::Func(f) => f,
                    _ => unreachable!(),
                }
            }
        };
        if self.th.frames.len() >= self.limits.max_depth + self.depth_extra {
            return Err(self.stack_overflow());
        }
        match self.heap.func(fref) {
            Closure::Lua { proto, .. } => {
                let (np, is_va, ms) = (proto.num_params as usize, proto.is_vararg, proto.max_stack as usize);
                let proto_ptr = crate::object::ProtoPtr(std::rc::Rc::as_ptr(proto));
                let nargs = self.th.top - func - 1;
                // room for the frame, varargs and native calls from it
                let need = func + 1 + nargs + np + ms + MIN_STACK;
                if need > self.th.stack.len() {
                    if need > self.stack_limit {
                        return Err(self.stack_overflow());
                    }
                    self.th.stack.resize((need + need / 2).min(self.stack_limit + 200), Value::Nil);
                }
                let base;
                let mut nvar = 0;
                if is_va {
                    // move fixed params above the varargs
                    base = func + 1 + nargs;
                    for i in 0..np {
                        let v = if i < nargs { self.th.stack[func + 1 + i] } else { Value::Nil };
                        crate::value::put(&mut self.th.stack[base + i], v);
                        if i < nargs {
                            crate::value::put(&mut self.th.stack[func + 1 + i], Value::Nil);
                        }
                    }
                    nvar = nargs.saturating_sub(np);
                } else {
                    base = func + 1;
                    for i in nargs..np {
                        crate::value::put(&mut self.th.stack[base + i], Value::Nil);
                    }
                }
                // Registers above the parameters are not cleared: the
                // compiler writes every register before reading it, and the
                // collector clears the stack above the highest frame top,
                // so stale slots never hold collected objects.
                let top = base + ms;
                self.th.top = top;
                self.th.frames.push(Frame {
                    func,
                    base,
                    top,
                    pc: 0,
                    nresults,
                    kind: FrameKind::Lua,
                    cont,
                    tail: false,
                    handler: None,
                    nvarargs: nvar,
                    proto: proto_ptr,
                });
                if self.th.hook_mask & crate::ldebug::MASK_CALL != 0 {
                    self.call_hook(false)?;
                }
                Ok(Next::Reload)
            }
            _ => self.call_native(func, fref, nresults, cont),
        }
    }

    /// Push the frame of a native function at slot `func` (its arguments
    /// above it, up to `top`), with room for `MIN_STACK` values.
    #[inline(always)]
    fn push_native_frame(&mut self, func: usize, nresults: i32, cont: Cont) -> LResult<()> {
        let top = self.th.top;
        if top + MIN_STACK > self.th.stack.len() {
            self.ensure_stack(MIN_STACK)?;
        }
        self.th.frames.push(Frame {
            func,
            base: func + 1,
            top: top + MIN_STACK,
            pc: 0,
            nresults,
            kind: FrameKind::Native,
            cont,
            tail: false,
            handler: None,
            nvarargs: 0,
            proto: crate::object::ProtoPtr::NULL,
        });
        Ok(())
    }

    fn call_native(&mut self, func: usize, fref: FuncRef, nresults: i32, cont: Cont) -> LResult<Next> {
        self.push_native_frame(func, nresults, cont)?;
        if self.th.hook_mask & crate::ldebug::MASK_CALL != 0 {
            self.call_hook(false)?;
        }
        let mut r = match self.heap.func(fref) {
            Closure::Native { f, .. } => {
                let f = *f;
                f(self)
            }
            Closure::Host { f, .. } => {
                let f = f.clone();
                f(self)
            }
            Closure::Lua { .. } => unreachable!(),
        };
        self.handle_action(&mut r)
    }

    /// `precall` of a plain native function (a `fn` pointer) with no hook
    /// active: what the fast loop's calls of library functions need, in a
    /// function small enough to be cheap to enter.
    #[inline(never)]
    pub(crate) fn call_native_direct(&mut self, func: usize, f: crate::object::NativeFn, nresults: i32) -> LResult<Next> {
        debug_assert_eq!(self.th.hook_mask, 0);
        if self.th.frames.len() >= self.limits.max_depth + self.depth_extra {
            return Err(self.stack_overflow());
        }
        self.push_native_frame(func, nresults, Cont::Call)?;
        let mut r = f(self);
        if let Ok(Action::Return(n)) = &r {
            let n = *n;
            let first = self.th.top - n;
            return self.poscall(first, n);
        }
        self.handle_action(&mut r)
    }

    /// Carry out what a native function asked for; its frame is on top.
    ///
    /// `r` is read in place, field by field: moving the returned value would
    /// copy it whole, reading back bytes the function has just written
    /// piecewise (a store-forwarding stall on every native call).
    fn handle_action(&mut self, r: &mut LResult<Action>) -> LResult<Next> {
        let action = match r {
            Ok(a) => a,
            Err(_) => return std::mem::replace(r, Ok(Action::Return(0))).map(|_| unreachable!()),
        };
        match *action {
            Action::Return(n) => {
                let first = self.th.top - n;
                self.poscall(first, n)
            }
            Action::TailCall { func } => {
                // The native frame is replaced by the call of stack[func..top].
                let fr = self.th.frames.pop().expect("frame");
                let n = self.th.top - func;
                self.th.stack.copy_within(func..func + n, fr.func);
                self.th.top = fr.func + n;
                let next = self.precall(fr.func, fr.nresults, fr.cont)?;
                Ok(next)
            }
            Action::Protected { func, handler } => {
                // keep the pcall frame; call the function with cont PCall
                let depth = self.th.frames.len();
                if let (Some(h), Some(pf)) = (handler, self.th.frames.last_mut()) {
                    pf.handler = Some(h);
                }
                let next = match self.precall(func, -1, Cont::PCall) {
                    Ok(n) => n,
                    // an error inside the callee is unwound by `execute`
                    Err(e) if self.th.frames.len() > depth => return Err(e),
                    Err(e) => {
                        if matches!(e.kind, ErrorKind::InstructionLimit | ErrorKind::Timeout | ErrorKind::Interrupted) {
                            return Err(e);
                        }
                        // the call itself failed (not callable, stack overflow):
                        // pcall returns false, msg
                        let mut v = e.value;
                        if let Some(h) = handler {
                            let hf = self.th.stack[h];
                            if let Ok(r) = self.call_value(hf, &[v], 1) {
                                v = r.first().copied().unwrap_or(Value::Nil);
                            }
                        }
                        self.th.top = func;
                        let first = self.th.top;
                        self.push(Value::Bool(false));
                        self.push(v);
                        return self.poscall(first, 2);
                    }
                };
                if let Some(h) = handler {
                    // record the handler on the callee frame (or the pcall
                    // frame if the callee already returned)
                    if let Some(f) = self.th.frames.iter_mut().rev().find(|f| f.func == func) {
                        f.handler = Some(h);
                    }
                }
                Ok(next)
            }
            Action::Yield(n) => self.do_yield(n),
            Action::Resume { co, nargs, wrap } => self.do_resume(co, nargs, wrap),
            Action::Await(_) => {
                if self.th.nny > 0 {
                    return Err(self.rt_error("attempt to yield across a C-call boundary"));
                }
                let Ok(Action::Await(p)) = std::mem::replace(r, Ok(Action::Return(0))) else { unreachable!() };
                self.pending = Some(p);
                Ok(Next::Suspend)
            }
        }
    }

    /// Finish the top frame: its `n` results start at stack slot `first`.
    /// The common case (an ordinary call returning into a Lua frame, no
    /// hook) is done inline; the rest in `poscall_general`.
    #[inline(always)]
    pub(crate) fn poscall(&mut self, first: usize, n: usize) -> LResult<Next> {
        let fi = self.th.frames.len() - 1;
        if self.th.hook_mask & crate::ldebug::MASK_RET == 0 && fi > 0 && matches!(self.th.frames[fi].cont, Cont::Call) {
            let (res, wanted) = (self.th.frames[fi].func, self.th.frames[fi].nresults);
            self.th.frames.truncate(fi);
            if n == 1 && wanted == 1 {
                // the most common shape, without the general copy
                self.th.stack[res] = self.th.stack[first];
                self.th.top = res + 1;
            } else {
                self.move_results(first, n, res, wanted);
            }
            if wanted >= 0 {
                let c = &self.th.frames[fi - 1];
                if c.kind == FrameKind::Lua {
                    self.th.top = c.top;
                }
            }
            return Ok(Next::Continue);
        }
        self.poscall_general(first, n)
    }

    #[inline(never)]
    fn poscall_general(&mut self, first: usize, n: usize) -> LResult<Next> {
        if self.th.hook_mask & crate::ldebug::MASK_RET != 0 {
            self.ret_hook()?;
        }
        // the fields needed are read one by one: copying the whole frame out
        // would wait on the separate stores that pushed it
        let fi = self.th.frames.len() - 1;
        let (cont, func, wanted) = {
            let f = &self.th.frames[fi];
            (f.cont, f.func, f.nresults)
        };
        self.th.frames.truncate(fi);
        match cont {
            Cont::Call | Cont::Boundary => {
                let res = func;
                self.move_results(first, n, res, wanted);
                if cont == Cont::Boundary {
                    return Ok(Next::Exit);
                }
                if wanted >= 0 {
                    if let Some(c) = self.th.frames.last() {
                        if c.kind == FrameKind::Lua {
                            self.th.top = c.top;
                        }
                    }
                }
                Ok(Next::Continue)
            }
            Cont::PCall => {
                // results of the protected function become the pcall frame's
                // results, prefixed with true
                let v0 = Value::Bool(true);
                let dst = func;
                self.th.stack.copy_within(first..first + n, dst + 1);
                crate::value::put(&mut self.th.stack[dst], v0);
                self.th.top = dst + 1 + n;
                // the pcall native frame is now on top: finish it too
                let first = dst;
                self.poscall(first, n + 1)
            }
            Cont::CoroutineBody => {
                let vals = Vals::from_slice(&self.th.stack[first..first + n]);
                self.th.top = 0;
                self.finish_coroutine(Ok(vals))
            }
            Cont::Store(a) => {
                let v = if n > 0 { self.th.stack[first] } else { Value::Nil };
                let caller = self.th.frames.last().expect("caller");
                let (base, top) = (caller.base, caller.top);
                crate::value::put(&mut self.th.stack[base + a as usize], v);
                self.th.top = top;
                Ok(Next::Reload)
            }
            Cont::Discard => {
                let top = self.th.frames.last().expect("caller").top;
                self.th.top = top;
                Ok(Next::Reload)
            }
            Cont::Cond { expect, negate } => {
                let v = if n > 0 { self.th.stack[first] } else { Value::Nil };
                let res = v.truthy() != negate;
                let caller = self.th.frames.last_mut().expect("caller");
                if res != expect {
                    caller.pc += 1;
                }
                let top = caller.top;
                self.th.top = top;
                Ok(Next::Reload)
            }
            Cont::Concat { a, b, last } => {
                let v = if n > 0 { self.th.stack[first] } else { Value::Nil };
                let caller = self.th.frames.last().expect("caller");
                let (base, top) = (caller.base, caller.top);
                // the pair (last-1, last) was replaced by v at last-1
                crate::value::put(&mut self.th.stack[base + last as usize - 1], v);
                self.th.top = top;
                if last - 1 > b {
                    self.concat_range(base, a.into(), b.into(), (last - 1).into())?;
                    // concat_range may have pushed another metamethod frame
                    return Ok(Next::Reload);
                }
                self.th.stack[base + a as usize] = self.th.stack[base + b as usize];
                Ok(Next::Reload)
            }
        }
    }

    /// Copy `n` results from `first` to `res`, adjusted to `wanted` (-1 = all).
    #[inline]
    fn move_results(&mut self, first: usize, n: usize, res: usize, wanted: i32) {
        let w = if wanted < 0 { n } else { wanted as usize };
        let k = n.min(w);
        let stack = &mut self.th.stack[..];
        // usually one or two values: a loop, not a `memmove` call
        if res < first {
            for j in 0..k {
                stack[res + j] = stack[first + j];
            }
        } else if res > first {
            for j in (0..k).rev() {
                stack[res + j] = stack[first + j];
            }
        }
        for slot in &mut stack[res + k..res + w] {
            crate::value::put(slot, Value::Nil);
        }
        self.th.top = res + w;
    }

    // ----- coroutines -------------------------------------------------------

    fn do_resume(&mut self, co: ThreadRef, nargs: usize, wrap: bool) -> LResult<Next> {
        if self.n_ccalls >= MAX_CCALLS {
            return Err(self.rt_error("C stack overflow"));
        }
        self.n_ccalls += 1;
        // the arguments stay in the resumer's slots above its new top until
        // they are copied into the coroutine, right after the switch
        let src = self.th.top - nargs;
        self.th.top = src;
        let from = self.cur;
        self.th.status = CoStatus::Normal;
        self.switch_to(co);
        self.th.status = CoStatus::Running;
        self.th.resumer = Some(from);
        self.th.wrapped = wrap;
        self.start_or_continue(from, src, nargs)
    }

    /// Push `n` values from slot `src` of the suspended thread `from` onto
    /// the running thread's stack (room must have been made).
    fn push_from_thread(&mut self, from: ThreadRef, src: usize, n: usize) {
        let top = self.th.top;
        let other = &self.heap.threads.get(from.idx()).stack[src..src + n];
        self.th.stack[top..top + n].copy_from_slice(other);
        self.th.top = top + n;
    }

    /// In the coroutine just switched to: start its body or complete its
    /// pending yield with the `n` values at slot `src` of thread `from` as
    /// results.
    fn start_or_continue(&mut self, from: ThreadRef, src: usize, n: usize) -> LResult<Next> {
        if self.th.frames.is_empty() {
            self.th.top = 1;
            self.ensure_stack(n + MIN_STACK)?;
            self.push_from_thread(from, src, n);
            match self.precall(0, -1, Cont::CoroutineBody) {
                Ok(n) => Ok(n),
                Err(e) => self.coroutine_error(e),
            }
        } else {
            self.ensure_stack(n + MIN_STACK)?;
            let first = self.th.top;
            self.push_from_thread(from, src, n);
            match self.poscall(first, n) {
                Ok(n) => Ok(n),
                Err(e) => self.coroutine_error(e),
            }
        }
    }

    /// An error escaped the body of the running coroutine (no handler inside it).
    fn coroutine_error(&mut self, e: LuaError) -> LResult<Next> {
        self.finish_coroutine(Err(e))
    }

    /// The running coroutine ended (returned or failed): go back to its resumer.
    fn finish_coroutine(&mut self, r: Result<Vals, LuaError>) -> LResult<Next> {
        self.th.status = CoStatus::Dead;
        if r.is_err() {
            self.th.errored = true;
            self.close_upvals(0);
        }
        let wrap = self.th.wrapped;
        let Some(back) = self.th.resumer.take() else {
            // resumed by the host
            return match r {
                Ok(vals) => {
                    self.th.top = 0;
                    for v in vals {
                        self.push(v);
                    }
                    Ok(Next::Suspend)
                }
                Err(e) => Err(e),
            };
        };
        self.n_ccalls = self.n_ccalls.saturating_sub(1);
        self.switch_to(back);
        self.th.status = CoStatus::Running;
        match r {
            Ok(vals) if self.th.top + vals.len() + MIN_STACK >= MAX_STACK => {
                let first = self.th.top;
                let m = self.str_value(b"too many results to resume");
                self.push(Value::Bool(false));
                self.push(m);
                self.poscall(first, 2)
            }
            Ok(vals) => {
                let first = self.th.top;
                self.ensure_stack(vals.len() + 1)?;
                let mut n = 0;
                if !wrap {
                    self.push(Value::Bool(true));
                    n += 1;
                }
                for v in vals {
                    self.push(v);
                    n += 1;
                }
                self.poscall(first, n)
            }
            Err(mut e) => {
                if wrap {
                    // propagate in the resumer, with position like luaL_where(1)
                    if let Value::Str(s) = e.value {
                        if e.kind == ErrorKind::Runtime {
                            let mut m = self.where_(1).into_bytes();
                            m.extend_from_slice(self.heap.str(s));
                            e.value = Value::Str(self.heap.intern_vec(m));
                        }
                    }
                    Err(e)
                } else {
                    if matches!(e.kind, ErrorKind::InstructionLimit | ErrorKind::Timeout | ErrorKind::Interrupted) {
                        return Err(e);
                    }
                    let first = self.th.top;
                    self.push(Value::Bool(false));
                    self.push(e.value);
                    self.poscall(first, 2)
                }
            }
        }
    }

    fn do_yield(&mut self, n: usize) -> LResult<Next> {
        if self.cur == self.main_thread && self.th.resumer.is_none() {
            return Err(self.rt_error("attempt to yield from outside a coroutine"));
        }
        if self.th.nny > 0 {
            // raised from `yield` itself (a C function): no position
            return Err(self.error_plain("attempt to yield across a C-call boundary", ErrorKind::Runtime));
        }
        // the values stay in the coroutine's slots above its new top until
        // they are copied into the resumer, right after the switch
        let src = self.th.top - n;
        self.th.top = src;
        self.th.status = CoStatus::Suspended;
        let wrap = self.th.wrapped;
        let Some(back) = self.th.resumer.take() else {
            // host-resumed coroutine: leave the values on its stack
            self.yielded = Some(self.th.stack[src..src + n].to_vec());
            return Ok(Next::Suspend);
        };
        let me = self.cur;
        self.n_ccalls = self.n_ccalls.saturating_sub(1);
        self.switch_to(back);
        self.th.status = CoStatus::Running;
        let first = self.th.top;
        self.ensure_stack(n + 1)?;
        let mut k = n;
        if !wrap {
            self.push(Value::Bool(true));
            k += 1;
        }
        self.push_from_thread(me, src, n);
        self.poscall(first, k)
    }

    // ----- error unwinding --------------------------------------------------

    /// Find where an error is caught. Returns the index of the `PCall`
    /// callee frame, or `None` when the error must leave this `execute`
    /// (a `Boundary` frame or the bottom of the thread comes first).
    fn find_handler(&self) -> Option<usize> {
        for i in (0..self.th.frames.len()).rev() {
            match self.th.frames[i].cont {
                Cont::PCall => return Some(i),
                Cont::Boundary | Cont::CoroutineBody => return None,
                _ => {}
            }
        }
        None
    }

    /// The message handler that will see this error, if any (the nearest
    /// protected call in this thread, across boundaries).
    fn pending_handler(&self) -> Option<usize> {
        for i in (0..self.th.frames.len()).rev() {
            let f = &self.th.frames[i];
            if f.cont == Cont::PCall {
                // an xpcall records its handler on its own frame before the
                // call (a native callee may fail before it has a frame)
                return f.handler.or_else(|| i.checked_sub(1).and_then(|j| self.th.frames[j].handler));
            }
            if f.cont == Cont::CoroutineBody {
                return None;
            }
        }
        None
    }

    /// Apply an `xpcall` message handler at the error point (before unwinding).
    fn apply_handler(&mut self, mut e: LuaError) -> LuaError {
        if e.handled {
            return e;
        }
        e.handled = true;
        if let Some(h) = self.pending_handler() {
            if matches!(e.kind, ErrorKind::InstructionLimit | ErrorKind::Timeout | ErrorKind::Interrupted) {
                return e;
            }
            let hf = self.th.stack[h];
            // Like PUC's error stack: the handler may run a little beyond
            // the limits that caused a stack overflow.
            let (sl, de) = (self.stack_limit, self.depth_extra);
            if e.kind == ErrorKind::StackOverflow {
                self.stack_limit = MAX_STACK + 20_000;
                self.depth_extra = 2_000;
            }
            let r = self.call_value(hf, &[e.value], 1);
            self.stack_limit = sl;
            self.depth_extra = de;
            match r {
                Ok(v) => e.value = v.first().copied().unwrap_or(Value::Nil),
                Err(e2) => {
                    let _ = e2;
                    e.value = self.str_value(b"error in error handling");
                    e.kind = ErrorKind::ErrorHandler;
                }
            }
        }
        e
    }

    /// Unwind to the protected call at frame `i`: the `pcall` frame below it
    /// returns `false, err`.
    fn unwind_to(&mut self, i: usize, e: LuaError) -> LResult<Next> {
        let callee = self.th.frames[i].func;
        self.close_upvals(callee);
        self.th.frames.truncate(i);
        // frames[i-1] is the pcall native frame
        let pf = self.th.frames.last().expect("pcall frame").func;
        let _ = pf;
        self.th.top = callee;
        self.ensure_stack(2).ok();
        let first = self.th.top;
        self.push(Value::Bool(false));
        self.push(e.value);
        self.poscall(first, 2)
    }

    // ----- the dispatch loop ------------------------------------------------

    /// Run from the top frame until the boundary frame returns (`Returned`),
    /// a host-resumed coroutine yields or ends (`Yielded`/`Returned`), or an
    /// async host function waits (`Pending`).
    pub(crate) fn execute(&mut self) -> LResult<ExecOutcome> {
        loop {
            let r = self.run();
            match r {
                Ok(Next::Exit) => return Ok(ExecOutcome::Returned),
                Ok(Next::Suspend) => {
                    if let Some(p) = self.pending.take() {
                        return Ok(ExecOutcome::Pending(p));
                    }
                    if self.th.status == CoStatus::Dead {
                        return Ok(ExecOutcome::Returned);
                    }
                    return Ok(ExecOutcome::Yielded);
                }
                Ok(_) => continue,
                Err(e) => {
                    let mut e = e;
                    loop {
                        e = self.apply_handler(e);
                        match self.find_handler() {
                            Some(i) => match self.unwind_to(i, e) {
                                Ok(Next::Exit) => return Ok(ExecOutcome::Returned),
                                Ok(Next::Suspend) => return Ok(ExecOutcome::Yielded),
                                Ok(_) => break,
                                Err(e2) => {
                                    e = e2;
                                    continue;
                                }
                            },
                            None => {
                                // is this the body of a coroutine (no boundary above)?
                                let body = self
                                    .th
                                    .frames
                                    .iter()
                                    .rev()
                                    .find(|f| matches!(f.cont, Cont::Boundary | Cont::CoroutineBody))
                                    .map(|f| f.cont);
                                if body == Some(Cont::CoroutineBody) && self.th.nny == 0 && self.th.status != CoStatus::Dead {
                                    // the dead coroutine keeps its frames for
                                    // debug.traceback/getinfo, as in lua5.2
                                    match self.finish_coroutine(Err(e)) {
                                        Ok(Next::Exit) => return Ok(ExecOutcome::Returned),
                                        Ok(Next::Suspend) => return Ok(ExecOutcome::Yielded),
                                        Ok(_) => break,
                                        Err(e2) => {
                                            e = e2;
                                            continue;
                                        }
                                    }
                                }
                                return Err(e);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Close the open upvalues in `open` (sorted by slot) at stack slots
/// `level` and above, reading each slot's value with `slot`: shared by
/// `Vm::close_upvals` and the fast path, which reads the stack through a
/// raw pointer.
#[inline]
pub(crate) fn close_open_upvals(heap: &mut Heap, open: &mut Vec<(usize, UpvalRef)>, level: usize, slot: impl Fn(usize) -> Value) {
    while let Some(&(idx, u)) = open.last() {
        if idx < level {
            break;
        }
        open.pop();
        *heap.upvals.get_mut(u.idx()) = UpVal::Closed(slot(idx));
    }
}
