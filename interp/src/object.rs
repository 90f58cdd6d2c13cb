//! Heap object types other than tables and strings: closures, upvalues,
//! runtime prototypes, userdata and threads (their stacks and call frames).

use crate::opcodes::Instruction;
use crate::proto::{LocVar, UpvalDesc};
use crate::value::{TableRef, ThreadRef, UpvalRef, Value};
use crate::vm::Vm;
use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;

/// A runtime prototype: a compiled function whose constants are heap values.
/// Shared (`Rc`) between all closures made from it; the collector marks its
/// constants through any live closure (`mark_epoch` avoids repeated visits).
#[derive(Debug)]
pub struct FuncProto {
    pub code: Box<[Instruction]>,
    pub k: Box<[Value]>,
    pub protos: Box<[Rc<FuncProto>]>,
    pub upvals: Box<[UpvalDesc]>,
    pub line_info: Box<[u32]>,
    pub loc_vars: Box<[LocVar]>,
    pub source: Rc<[u8]>,
    pub line_defined: u32,
    pub last_line_defined: u32,
    pub num_params: u8,
    pub is_vararg: bool,
    pub max_stack: u8,
    pub(crate) mark_epoch: Cell<u32>,
    /// Last closure made from this prototype (Lua 5.2 reuses it when the
    /// upvalues are the same). Validated on use: the slot may have been
    /// collected and reused.
    pub(crate) cache: Cell<Option<crate::value::FuncRef>>,
}

/// What a native function asks the executor to do when it returns.
pub enum Action {
    /// The top `n` values of the stack are the results.
    Return(usize),
    /// Call the value at stack slot `func` with the values above it as
    /// arguments; its results become this function's results (a tail call).
    TailCall { func: usize },
    /// `pcall`/`xpcall`: call the value at `func` in protected mode; results
    /// are prefixed with `true`, or become `false, err` on error. `handler`
    /// is the message handler slot for `xpcall`.
    Protected { func: usize, handler: Option<usize> },
    /// Yield the top `n` values from the running coroutine.
    Yield(usize),
    /// Resume coroutine `co` with the top `nargs` values; `wrap` propagates
    /// errors instead of returning `false, msg`.
    Resume { co: ThreadRef, nargs: usize, wrap: bool },
    /// Suspend the whole call until a host future completes (async host functions).
    Await(Box<dyn crate::vm::PendingCall>),
}

/// A native function: arguments are the values in the current frame
/// (`vm.arg(i)`, `vm.nargs()`); results are pushed and counted in the return.
pub type NativeFn = fn(&mut Vm) -> Result<Action, crate::vm::LuaError>;

/// Boxed native closure for host functions that capture Rust state.
pub type BoxedFn = Rc<dyn Fn(&mut Vm) -> Result<Action, crate::vm::LuaError> + Send>;

pub enum Closure {
    Lua { proto: Rc<FuncProto>, upvals: UpvalList },
    Native { f: NativeFn, upvals: Box<[Value]>, name: &'static str },
    Host { f: BoxedFn, upvals: Box<[Value]>, name: &'static str },
}

/// The upvalues of a Lua closure: up to four inline, so that creating most
/// closures allocates nothing beyond the arena slot (the enum does not grow:
/// the native variants are larger).
pub type UpvalList = smallvec::SmallVec<[UpvalRef; 4]>;

const _: () = assert!(std::mem::size_of::<Closure>() <= 56);

impl Closure {
    pub fn byte_size(&self) -> usize {
        std::mem::size_of::<Closure>()
            + match self {
                Closure::Lua { upvals, .. } => upvals.len() * 4,
                Closure::Native { upvals, .. } | Closure::Host { upvals, .. } => upvals.len() * 16,
            }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum UpVal {
    /// Still on a thread's stack, at slot `idx`.
    Open {
        thread: ThreadRef,
        idx: u32,
    },
    Closed(Value),
}

/// A full userdata: an opaque Rust value plus a metatable and a user value.
pub struct UserData {
    pub data: Box<dyn Any + Send>,
    pub meta: Option<TableRef>,
    pub user_value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Lua,
    Native,
}

/// What to do with a frame's results when it returns into a Lua frame
/// (metamethod calls made by an instruction finish that instruction here).
///
/// Register numbers are below `MAXREGS` (250) and kept in bytes: the whole
/// value is 4 bytes and travels in a machine register, not through memory
/// (a call that builds one in memory, tag byte first, and a frame push that
/// copies it with a wider load stall the processor's store forwarding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cont {
    /// Ordinary call: results stay at the function slot, adjusted to `nresults`.
    Call,
    /// Store the first result in register `a` of the caller.
    Store(u8),
    /// Discard the results (`__newindex`).
    Discard,
    /// A comparison: `skip` the next instruction unless truthiness (xor
    /// `negate`) equals `expect`.
    Cond { expect: bool, negate: bool },
    /// Continue a `CONCAT`: the result replaces the top two values of the
    /// range that ends at register `last`; the concatenation goes on down to `b`, then into `a`.
    Concat { a: u8, b: u8, last: u8 },
    /// The frame was entered from Rust (a nested call): returning from it ends that `execute`.
    Boundary,
    /// `pcall`'s callee: prefix results with `true`.
    PCall,
    /// Results of a finished coroutine body go back to its resumer.
    CoroutineBody,
}

#[derive(Clone, Debug)]
pub struct Frame {
    /// Stack slot of the function being run.
    pub func: usize,
    /// First register (Lua) or first argument (native).
    pub base: usize,
    /// End of the frame's stack area: `base + max_stack` for Lua frames.
    pub top: usize,
    pub pc: usize,
    /// Expected number of results, -1 for all.
    pub nresults: i32,
    pub kind: FrameKind,
    pub cont: Cont,
    /// Tail call happened in this frame (for tracebacks).
    pub tail: bool,
    /// Message handler slot of an `xpcall` protecting this frame.
    pub handler: Option<usize>,
    /// Number of extra varargs below `base` (Lua vararg functions).
    pub nvarargs: usize,
    /// The running function's prototype (Lua frames; null for natives), so
    /// that returning into this frame reaches its code without going
    /// through the function slot and the closure arena. Valid while the
    /// frame exists: the closure in the frame's function slot owns the
    /// prototype, the stack roots it, and no Lua code can overwrite an
    /// active frame's function slot (it lies below the frame's registers,
    /// outside every local `debug.setlocal` can name). Read only by
    /// `fast.rs`.
    pub proto: ProtoPtr,
}

impl Cont {
    /// `Store` into register `a` (an instruction's A field).
    #[inline(always)]
    pub fn store(a: u32) -> Cont {
        Cont::Store(reg(a))
    }
    /// `Concat` over registers `b..=last` into `a`.
    #[inline(always)]
    pub fn concat(a: u32, b: u32, last: u32) -> Cont {
        Cont::Concat { a: reg(a), b: reg(b), last: reg(last) }
    }
}

#[inline(always)]
fn reg(r: u32) -> u8 {
    debug_assert!(r < crate::opcodes::MAXREGS, "register {r}");
    r as u8
}

const _: () = assert!(std::mem::size_of::<Cont>() == 4);

/// A raw pointer to a prototype kept in a frame (see `Frame::proto`).
#[derive(Clone, Copy, Debug)]
pub struct ProtoPtr(pub *const FuncProto);

// SAFETY: a `ProtoPtr` is only dereferenced by the thread running the VM
// that owns the frame (it moves between threads only together with the
// whole VM, like the `Rc`s it points into).
unsafe impl Send for ProtoPtr {}

impl ProtoPtr {
    pub const NULL: ProtoPtr = ProtoPtr(std::ptr::null());
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoStatus {
    /// Created or yielded: can be resumed.
    Suspended,
    Running,
    /// Resumed another coroutine and waits for it.
    Normal,
    Dead,
}

/// A Lua thread: a stack of values and a stack of call frames.
pub struct Thread {
    pub stack: Vec<Value>,
    /// First free slot.
    pub top: usize,
    pub frames: Vec<Frame>,
    /// Open upvalues, sorted by stack index (ascending).
    pub open_upvals: Vec<(usize, UpvalRef)>,
    pub status: CoStatus,
    /// Non-yieldable nesting (native calls running a nested executor).
    pub nny: u32,
    /// The thread that resumed this one, while it runs.
    pub resumer: Option<ThreadRef>,
    /// Whether `wrap` resumed it (errors propagate to the resumer).
    pub wrapped: bool,
    /// Debug hook (function value) and mask/count.
    pub hook: Value,
    pub hook_mask: u8,
    pub hook_count: u32,
    pub hook_counter: u32,
    pub in_hook: bool,
    /// Set when the coroutine died with an error (for status reporting).
    pub errored: bool,
}

impl Thread {
    pub fn new() -> Self {
        Thread {
            stack: vec![Value::Nil; 64],
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

    pub fn byte_size(&self) -> usize {
        std::mem::size_of::<Thread>() + self.stack.capacity() * 16 + self.frames.capacity() * std::mem::size_of::<Frame>()
    }
}

impl Default for Thread {
    fn default() -> Self {
        Self::new()
    }
}
