//! Calling functions (sync and async) and resuming coroutines.

use super::conv::Direct;
use super::value::Ref;
use super::{lua_error, CallbackOut, Error, FromLuaMulti, Function, IntoLuaMulti, Limits, Lua, MultiValue, Result, Thread, Value};
use crate::object::{CoStatus, Cont};
use crate::value::{ThreadRef, Value as Raw};
use crate::vm::{ExecOutcome, LResult, Next, PendingCall, Vm, MIN_STACK};
use smallvec::SmallVec;
use std::future::Future;
use std::pin::Pin;

type BoxFuture = Pin<Box<dyn Future<Output = Result<MultiValue>> + Send>>;

/// The pending future of an async host function, handed to the driver via
/// `Action::Await`.
struct AsyncPending(Option<BoxFuture>);

impl PendingCall for AsyncPending {
    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

impl Function {
    /// Call the function. Runs to completion; async host functions called
    /// from here fail (use [`Function::call_async`]).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let f: LuaFunction = lua.load("function(a, b) return a .. b, #a end").eval()?;
    /// let (s, n): (String, usize) = f.call(("ab", "cd"))?;
    /// assert_eq!((s.as_str(), n), ("abcd", 2));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn call<R: FromLuaMulti>(&self, args: impl IntoLuaMulti) -> Result<R> {
        let lua = &self.0.lua;
        if let Some(d) = args.direct_args() {
            return self.call_direct(&d, None);
        }
        let args = args.into_lua_multi(lua)?;
        let res = lua.call_ref(&self.0, args, None)?;
        R::from_lua_multi(res, lua)
    }

    /// The one-lock path of `call`: arguments converted straight onto the
    /// stack, results converted in place when `R` allows it.
    fn call_direct<R: FromLuaMulti>(&self, args: &[Direct<'_>], limits: Option<&Limits>) -> Result<R> {
        let lua = &self.0.lua;
        // results `R` cannot take in place are converted after the lock
        let mut slow: Option<MultiValue> = None;
        let out = lua.shared.with_vm(|vm| {
            let base = vm.th.top;
            vm.ensure_stack(args.len() + 1 + MIN_STACK).map_err(|e| lua_error(lua, vm, e))?;
            let f = self.0.raw(vm);
            vm.push(f);
            for a in args {
                match a.to_raw(lua, vm) {
                    Ok(v) => vm.push(v),
                    Err(e) => {
                        vm.th.top = base;
                        return Err(e);
                    }
                }
            }
            let saved = lua.enter_host_call(vm, limits);
            let r = vm.call_at(base, -1);
            lua.leave_host_call(saved);
            if let Err(e) = r {
                return Err(lua_error(lua, vm, e));
            }
            // the results stay on the stack (rooted) while they are converted
            let vals: SmallVec<[Raw; 4]> = SmallVec::from_slice(&vm.th.stack[base..vm.th.top]);
            // (`Option<R>`, not a `Result` holding the `MultiValue`: the
            // common answer is then a few bytes, not a union copied whole)
            let r = match R::from_raw_multi(&vals, lua, vm) {
                Some(r) => r.map(Some),
                None => {
                    slow = Some(vals.iter().map(|&v| Value::from_raw(lua, vm, v)).collect::<MultiValue>());
                    Ok(None)
                }
            };
            vm.th.top = base;
            r
        })?;
        match out {
            Some(r) => Ok(r),
            None => R::from_lua_multi(slow.expect("values set aside"), lua),
        }
    }

    /// Call under the given limits instead of the state's (when called from
    /// the host; inside a callback the running call's limits stay in force).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let spin: LuaFunction = lua.load("function() while true do end end").eval()?;
    /// let limits = LuaLimits { instructions: Some(50_000), ..Default::default() };
    /// assert!(matches!(spin.call_with_limits::<()>((), limits), Err(LuaError::InstructionLimit)));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn call_with_limits<R: FromLuaMulti>(&self, args: impl IntoLuaMulti, limits: Limits) -> Result<R> {
        let lua = &self.0.lua;
        if let Some(d) = args.direct_args() {
            return self.call_direct(&d, Some(&limits));
        }
        let args = args.into_lua_multi(lua)?;
        let res = lua.call_ref(&self.0, args, Some(&limits))?;
        R::from_lua_multi(res, lua)
    }

    /// A function with the first arguments fixed.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let add: LuaFunction = lua.load("function(a, b) return a + b end").eval()?;
    /// let add10 = add.bind(10)?;
    /// assert_eq!(add10.call::<i64>(5)?, 15);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn bind(&self, args: impl IntoLuaMulti) -> Result<Function> {
        let lua = self.0.lua.clone();
        let bound = args.into_lua_multi(&lua)?;
        let f = self.clone();
        lua.create_function(move |_, rest: MultiValue| {
            let mut all = bound.clone();
            all.extend(rest);
            f.call::<MultiValue>(all)
        })
    }

    /// Call in a new coroutine so that async host functions can suspend it:
    /// the returned future completes when the function returns.
    ///
    /// ```
    /// # #[cfg(feature = "tokio-doc")] {}
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let double = lua.create_async_function(|_, n: i64| async move { Ok(n * 2) })?;
    /// lua.globals().set("double", double)?;
    /// let f: LuaFunction = lua.load("function(n) return double(n) + 1 end").eval()?;
    /// // any executor works; a trivial one:
    /// let r: i64 = oxilua::api_block_on(f.call_async(20))?;
    /// assert_eq!(r, 41);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub async fn call_async<R: FromLuaMulti>(&self, args: impl IntoLuaMulti) -> Result<R> {
        let lua = self.0.lua.clone();
        let args = args.into_lua_multi(&lua)?;
        let top = !lua.shared.in_callback();
        let (co_key, co) = lua.shared.with_vm(|vm| {
            let f = self.0.raw_in(&lua, vm)?;
            let co = vm.new_thread(f);
            if top {
                lua.begin_call(vm, None);
            }
            Ok::<_, Error>((Ref::new(&lua, vm, Raw::Thread(co)), co))
        })?;
        let mut at = co;
        let mut input = args;
        let mut resuming = false;
        loop {
            // `async_ok` is set and restored while holding the state's lock:
            // other tasks may drive coroutines of the same state meanwhile.
            let step = lua.shared.with_vm(|vm| {
                let saved = lua.set_async_ok(true);
                let r = (|| {
                    let mut raw = Vec::with_capacity(input.len());
                    for v in input.iter() {
                        raw.push(v.to_raw(&lua, vm)?);
                    }
                    match host_resume(vm, at, raw, resuming) {
                        Ok(Step::Returned(vals)) => Ok(Ok(vals.into_iter().map(|v| Value::from_raw(&lua, vm, v)).collect())),
                        Ok(Step::Yielded(_)) => Err(Error::RuntimeError("attempt to yield from a function run by call_async".into())),
                        Ok(Step::Pending(mut p, th)) => {
                            let fut = p.as_any().downcast_mut::<AsyncPending>().and_then(|a| a.0.take());
                            match fut {
                                Some(f) => Ok(Err((f, th))),
                                None => Err(Error::RuntimeError("unknown pending call".into())),
                            }
                        }
                        Err(e) => Err(lua_error(&lua, vm, e)),
                    }
                })();
                lua.set_async_ok(saved);
                r
            });
            match step? {
                Ok(vals) => {
                    drop(co_key);
                    return R::from_lua_multi(vals, &lua);
                }
                Err((fut, th)) => {
                    at = th;
                    resuming = true;
                    input = match fut.await {
                        Ok(mut vals) => {
                            vals.push_front(Value::Boolean(true));
                            vals
                        }
                        Err(e) => MultiValue::from_vec(vec![Value::Boolean(false), Value::Error(Box::new(e))]),
                    };
                }
            }
        }
    }
}

/// What a host resume of a coroutine ended with.
pub(crate) enum Step {
    Returned(Vec<Raw>),
    Yielded(Vec<Raw>),
    /// An async host function waits; resume thread `.1` with its results.
    Pending(Box<dyn PendingCall>, ThreadRef),
}

fn after_suspend(vm: &mut Vm) -> ExecOutcome {
    if let Some(p) = vm.pending.take() {
        return ExecOutcome::Pending(p);
    }
    if vm.th.status == CoStatus::Dead {
        ExecOutcome::Returned
    } else {
        ExecOutcome::Yielded
    }
}

fn continue_with(vm: &mut Vm, n: LResult<Next>) -> LResult<ExecOutcome> {
    match n? {
        Next::Continue | Next::Reload => vm.execute(),
        Next::Suspend => Ok(after_suspend(vm)),
        Next::Exit => Ok(ExecOutcome::Returned),
    }
}

/// Resume coroutine `co` from the host: start it, continue after a yield,
/// or (with `pending`) complete an awaited host call with `args`.
pub(crate) fn host_resume(vm: &mut Vm, co: ThreadRef, args: Vec<Raw>, pending: bool) -> LResult<Step> {
    let prev = vm.cur;
    let prev_status = vm.th.status;
    vm.th.status = CoStatus::Normal;
    vm.switch_to(co);
    vm.th.status = CoStatus::Running;
    let r = if pending {
        vm.resume_values = Some(args);
        vm.execute()
    } else if vm.th.frames.is_empty() {
        vm.th.resumer = None;
        vm.th.top = 1;
        let n = args.len();
        match vm.ensure_stack(n + crate::vm::MIN_STACK) {
            Err(e) => Err(e),
            Ok(()) => {
                for a in args {
                    vm.push(a);
                }
                let n = vm.precall(0, -1, Cont::CoroutineBody);
                continue_with(vm, n)
            }
        }
    } else {
        vm.th.resumer = None;
        let first = vm.th.top;
        let n = args.len();
        match vm.ensure_stack(n + 1) {
            Err(e) => Err(e),
            Ok(()) => {
                for a in args {
                    vm.push(a);
                }
                let n = vm.poscall(first, n);
                continue_with(vm, n)
            }
        }
    };
    let step = match r {
        Ok(ExecOutcome::Returned) => {
            let vals = vm.th.stack[..vm.th.top].to_vec();
            vm.th.top = 0;
            vm.th.status = CoStatus::Dead;
            Ok(Step::Returned(vals))
        }
        Ok(ExecOutcome::Yielded) => {
            let y = vm.yielded.take().unwrap_or_default();
            vm.th.status = CoStatus::Suspended;
            Ok(Step::Yielded(y))
        }
        Ok(ExecOutcome::Pending(p)) => Ok(Step::Pending(p, vm.cur)),
        Err(e) => {
            vm.th.status = CoStatus::Dead;
            vm.th.errored = true;
            vm.th.frames.clear();
            vm.close_upvals(0);
            vm.th.top = 0;
            Err(e)
        }
    };
    vm.switch_to(prev);
    vm.th.status = prev_status;
    step
}

/// Status of a coroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadStatus {
    /// Can be resumed (new or yielded).
    Resumable,
    /// Running (or resuming another coroutine).
    Running,
    /// Returned.
    Finished,
    /// Died with an error.
    Error,
}

impl Thread {
    /// Resume the coroutine with `args`; returns what it yields or returns.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let f: LuaFunction = lua.load("function(a) local b = coroutine.yield(a + 1) return b * 2 end").eval()?;
    /// let co = lua.create_thread(f)?;
    /// assert_eq!(co.resume::<i32>(1)?, 2);
    /// assert_eq!(co.resume::<i32>(10)?, 20);
    /// assert_eq!(co.status(), LuaThreadStatus::Finished);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn resume<R: FromLuaMulti>(&self, args: impl IntoLuaMulti) -> Result<R> {
        let lua = &self.0.lua;
        if self.status() != ThreadStatus::Resumable {
            return Err(Error::CoroutineUnresumable);
        }
        let args = args.into_lua_multi(lua)?;
        let top = !lua.shared.in_callback();
        let saved = lua.set_async_ok(false);
        let res = lua.shared.with_vm(|vm| {
            let co = match self.0.raw_in(lua, vm)? {
                Raw::Thread(t) => t,
                _ => unreachable!(),
            };
            let mut raw = Vec::with_capacity(args.len());
            for v in args.iter() {
                raw.push(v.to_raw(lua, vm)?);
            }
            if top {
                lua.begin_call(vm, None);
            }
            match host_resume(vm, co, raw, false) {
                Ok(Step::Returned(v)) | Ok(Step::Yielded(v)) => {
                    Ok(v.into_iter().map(|x| Value::from_raw(lua, vm, x)).collect::<MultiValue>())
                }
                Ok(Step::Pending(..)) => Err(Error::RuntimeError("async function awaited in a synchronous resume".into())),
                Err(e) => Err(lua_error(lua, vm, e)),
            }
        });
        lua.set_async_ok(saved);
        R::from_lua_multi(res?, lua)
    }

    /// The coroutine's status.
    pub fn status(&self) -> ThreadStatus {
        self.0.lua.shared.with_vm(|vm| {
            let Raw::Thread(t) = self.0.raw(vm) else { return ThreadStatus::Error };
            let errored = if t == vm.cur { vm.th.errored } else { vm.heap.threads.get(t.idx()).errored };
            match vm.thread_status(t) {
                CoStatus::Suspended => ThreadStatus::Resumable,
                CoStatus::Running | CoStatus::Normal => ThreadStatus::Running,
                CoStatus::Dead if errored => ThreadStatus::Error,
                CoStatus::Dead => ThreadStatus::Finished,
            }
        })
    }
}

impl Lua {
    /// Before a synchronous call (inside `with_vm`): arm the limits when
    /// called from the host, not from a callback, and clear the async flag.
    /// No lock besides the state's; returns the flag to restore.
    fn enter_host_call(&self, vm: &mut Vm, per_call: Option<&Limits>) -> bool {
        if !self.shared.in_callback_locked() {
            self.begin_call(vm, per_call);
        }
        self.set_async_ok(false)
    }

    fn leave_host_call(&self, saved: bool) {
        if saved {
            self.set_async_ok(true);
        }
    }
}

const ASYNC_WRAPPER: &str = "local host = ...\n\
local function check(ok, ...) if ok then return ... end error((...), 0) end\n\
return function(...) return check(host(...)) end";

impl Lua {
    /// A Lua function backed by an async Rust closure. Called from a
    /// coroutine driven by [`Function::call_async`] or
    /// [`Chunk::exec_async`](crate::api::Chunk::exec_async), it suspends that
    /// coroutine until the future completes, without blocking a thread. Calling it from a synchronous
    /// `call`/`exec` is an error.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let fetch = lua.create_async_function(|_, key: String| async move {
    ///     // await I/O here (a tokio timer, a database call, ...)
    ///     Ok(format!("value of {key}"))
    /// })?;
    /// lua.globals().set("fetch", fetch)?;
    /// let out: String = oxilua::api_block_on(lua.load("return fetch('a') .. '!'").eval_async())?;
    /// assert_eq!(out, "value of a!");
    /// // from a synchronous call it is an error
    /// assert!(lua.load("fetch('a')").exec().is_err());
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn create_async_function<F, A, FR, R>(&self, func: F) -> Result<Function>
    where
        F: Fn(Lua, A) -> FR + Send + 'static,
        A: FromLuaMulti,
        FR: Future<Output = Result<R>> + Send + 'static,
        R: IntoLuaMulti,
    {
        let host = self.make_function(
            "async",
            Box::new(move |lua, args| {
                if !lua.shared.async_ok.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(Error::RuntimeError(
                        "async function called from a synchronous context (use call_async or exec_async)".into(),
                    ));
                }
                let a = A::from_lua_args(args, 1, None, lua)?;
                let fut = func(lua.clone(), a);
                let l2 = lua.clone();
                let fut: BoxFuture = Box::pin(async move { fut.await?.into_lua_multi(&l2) });
                if lua.shared.with_vm(|vm| vm.th.nny > 0) {
                    // Lua cannot suspend here (inside `table.sort`, `gsub`,
                    // `require`, a `__tostring`...): the host's blocking
                    // executor, if it set one, waits for the future instead
                    let exec = lua.st().blocking.clone();
                    let Some(exec) = exec else {
                        return Err(Error::RuntimeError("attempt to yield across a C-call boundary".into()));
                    };
                    let out = match exec(lua, fut) {
                        Ok(mut vals) => {
                            vals.push_front(Value::Boolean(true));
                            vals
                        }
                        Err(e) => MultiValue::from_vec(vec![Value::Boolean(false), Value::Error(Box::new(e))]),
                    };
                    return Ok(CallbackOut::Values(out));
                }
                Ok(CallbackOut::Await(Box::new(AsyncPending(Some(fut)))))
            }),
        )?;
        self.load(ASYNC_WRAPPER).set_name("=async").call::<Function>(host)
    }

    /// Let async host functions run where Lua cannot suspend (Lua 5.2 has no
    /// yield across `table.sort` comparators, `string.gsub` callbacks,
    /// `require`d chunks, `__tostring`...; Luerl-era scripts may still call
    /// a database from there): instead of failing with "attempt to yield
    /// across a C-call boundary", the future is handed to `exec`, which must
    /// wait for it (e.g. `tokio::task::block_in_place` on a multi-thread
    /// runtime) and return its results. Elsewhere async functions suspend as
    /// usual. `None` restores the error.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let double = lua.create_async_function(|_, x: i64| async move { Ok(x * 2) })?;
    /// lua.globals().set("double", double)?;
    /// let sort = lua.load("local t = {3, 1, 2} table.sort(t, function(a, b) return double(a) < double(b) end) return t[1]");
    /// let f = sort.into_function()?;
    /// assert!(oxilua::api_block_on(f.call_async::<i64>(())).is_err());
    /// lua.set_blocking_executor(Some(std::sync::Arc::new(|_: &Lua, fut| oxilua::api_block_on(fut))));
    /// assert_eq!(oxilua::api_block_on(f.call_async::<i64>(()))?, 1);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set_blocking_executor(&self, exec: Option<BlockingExecutor>) {
        self.st().blocking = exec;
    }
}

/// Waits for an async host function's future where Lua cannot suspend (see
/// [`Lua::set_blocking_executor`]).
pub type BlockingExecutor =
    std::sync::Arc<dyn Fn(&Lua, Pin<Box<dyn Future<Output = Result<MultiValue>> + Send>>) -> Result<MultiValue> + Send + Sync>;

/// Run a future to completion on the current thread (a minimal executor for
/// examples and tests that do not use a runtime).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    use std::sync::{Arc, Condvar, Mutex};
    use std::task::{Context, Poll, Wake, Waker};
    struct Signal(Mutex<bool>, Condvar);
    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.1.notify_one();
        }
    }
    let sig = Arc::new(Signal(Mutex::new(false), Condvar::new()));
    let waker = Waker::from(sig.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        let mut woken = sig.0.lock().unwrap_or_else(|e| e.into_inner());
        while !*woken {
            woken = sig.1.wait(woken).unwrap_or_else(|e| e.into_inner());
        }
        *woken = false;
    }
}
