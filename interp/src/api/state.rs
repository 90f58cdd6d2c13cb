//! The shared state behind a [`Lua`](super::Lua) and its handles, and the
//! only `unsafe` code of the embedding API.
//!
//! # Design
//!
//! A [`Vm`] uses `Rc` internally (prototypes, host closures), so it is not
//! `Send`. The API wraps it in [`Shared`], held by `Arc` from the `Lua` and
//! from every handle (`Table`, `Function`, ...). All access to the `Vm` goes
//! through a *reentrant lock* ([`ReLock`]: an atomic owner thread id and a
//! depth, with a std `Mutex` + `Condvar` only for waiting): a thread that holds it may take it again
//! (a Rust callback called by a script calls back into the API), any other
//! thread waits.
//!
//! # Unsafe and why it is sound
//!
//! 1. `unsafe impl Send + Sync for Shared`: every field that is not itself
//!    thread-safe (`vm`, `active`, `busy`, `deferred`, `armed`, the lock's `depth`) is touched only by the
//!    thread that owns `lock`, and the lock's acquire/release operations on
//!    its owner word order those accesses (happens-before) between threads. The `Rc`s inside the `Vm` never leave
//!    it: host closures are `Send` boxed functions that capture only a
//!    `Weak<Shared>` and the user's `Send` closure; userdata payloads are
//!    `Send`. So moving or sharing the whole state between threads moves all
//!    of those `Rc`s together, and only one thread at a time touches them.
//! 2. `with_vm` hands out `&mut Vm`. Uniqueness: `busy` is set while a
//!    `&mut Vm` is out; a nested `with_vm` on the same thread panics instead
//!    of aliasing. When the VM calls a Rust callback it passes its own
//!    `&mut Vm`; [`Shared::enter_callback`] records that pointer in `active`
//!    and clears `busy`, so the callback's API calls reborrow *that* pointer
//!    (derived from the live `&mut`, which is not used until the callback
//!    returns) — a strict stack discipline, restored on exit and on unwind.
//! 3. Userdata cells ([`UdBox`]): the payload lives in its own heap
//!    allocation owned through a raw pointer (so moves of the arena do not
//!    retag it), with a RefCell-like borrow flag. Borrows hand out references
//!    only while the holder keeps the state lock (`UserDataRef` is `!Send`)
//!    and a root for the userdata, so the cell can neither be freed nor be
//!    accessed by another thread while a reference exists.
//!
//! Consequences: `Lua` and all handles are `Send + Sync`; concurrent use from
//! several threads is serialised by the lock (a long script blocks the other
//! threads that use the same state). Handle `Drop`/`Clone` while the `Vm` is
//! lent out are deferred to the next access (never lost, never early).

use crate::vm::Vm;
use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// An id of the calling thread, unique among the threads alive: the address
/// of a thread-local (one instruction, no lazy initialisation). A thread
/// that has exited may leave its id to a new one, which is fine for the
/// lock: no thread can exit while holding it (the guards are scoped, and
/// unwinding releases them), so an owner id always names a live thread.
#[inline(always)]
fn thread_id() -> u64 {
    thread_local! { static ANCHOR: u8 = const { 0 }; }
    ANCHOR.with(|a| a as *const u8 as u64)
}

/// How long a waiter sleeps before checking the lock again on its own, in
/// case the releaser missed it (see `ReLock::acquire_slow`).
const LOST_WAKEUP_BOUND: std::time::Duration = std::time::Duration::from_micros(200);

/// A reentrant lock without guards with lifetimes.
///
/// Fast paths without a mutex: taking it again on the owning thread is a
/// load and an increment; taking a free lock is one compare-exchange,
/// releasing it one release store and a load (plus a mutex round only when
/// a thread waits).
pub(crate) struct ReLock {
    /// Thread id of the owner, 0 when free.
    owner: AtomicU64,
    /// Nesting depth: touched only by the owner while it holds the lock (the
    /// acquire/release orderings on `owner` order it between owners).
    depth: Cell<usize>,
    /// Threads blocked in `acquire_slow`.
    waiters: AtomicUsize,
    m: Mutex<()>,
    cv: Condvar,
}

impl ReLock {
    fn new() -> Self {
        ReLock { owner: AtomicU64::new(0), depth: Cell::new(0), waiters: AtomicUsize::new(0), m: Mutex::new(()), cv: Condvar::new() }
    }
    #[inline]
    pub(crate) fn acquire(&self) {
        let me = thread_id();
        // Only this thread ever stores `me`, so seeing it means we hold the lock.
        if self.owner.load(Ordering::Relaxed) == me {
            self.depth.set(self.depth.get() + 1);
            return;
        }
        if self.owner.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.acquire_slow(me);
        }
        self.depth.set(1);
    }
    #[cold]
    fn acquire_slow(&self, me: u64) {
        // Either the releaser sees this waiter and notifies under the mutex
        // (held here while checking), or it released before the count went
        // up and this CAS sees the lock free, or -- the releaser's store and
        // its load of `waiters` are not fenced against each other -- the
        // notification is missed in that narrow window. The bounded wait
        // turns such a lost wake-up into a short delay instead of a hang.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut g = self.m.lock().unwrap_or_else(|e| e.into_inner());
        while self.owner.compare_exchange(0, me, Ordering::SeqCst, Ordering::Relaxed).is_err() {
            g = match self.cv.wait_timeout(g, LOST_WAKEUP_BOUND) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        drop(g);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }
    #[inline]
    pub(crate) fn release(&self) {
        debug_assert_eq!(self.owner.load(Ordering::Relaxed), thread_id());
        let d = self.depth.get() - 1;
        self.depth.set(d);
        if d == 0 {
            // A plain release store: a sequentially consistent one is a
            // locked instruction, paid on every API call (see `acquire_slow`
            // for the wake-up this leaves unfenced).
            self.owner.store(0, Ordering::Release);
            if self.waiters.load(Ordering::Relaxed) != 0 {
                self.wake();
            }
        }
    }
    #[cold]
    #[inline(never)]
    fn wake(&self) {
        let _g = self.m.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
    }
}

/// Holds the lock for a scope.
pub(crate) struct LockGuard<'a>(&'a ReLock);
impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.release();
    }
}

/// State shared by a `Lua` and its handles.
pub(crate) struct Shared {
    pub(crate) lock: ReLock,
    vm: UnsafeCell<Vm>,
    active: Cell<*mut Vm>,
    busy: Cell<bool>,
    deferred: UnsafeCell<Vec<(u32, bool)>>,
    /// API-level settings (limits, markers): small, never held across calls.
    pub(crate) st: Mutex<super::ApiState>,
    /// Bumped (under `st`) each time the limits in `st` change.
    pub(crate) limits_gen: AtomicU64,
    /// A copy of `st`'s limits and the generation it was taken at, so that
    /// arming them for a call takes no lock besides the state's: touched
    /// only under `lock`, like `deferred`.
    armed: UnsafeCell<(u64, super::Limits)>,
    /// Async host functions may suspend (inside `call_async`). Relaxed
    /// loads and stores: a call sets it around its run and restores it
    /// afterwards, like the mutex-guarded flag it replaces, which was not
    /// tied to the state lock either.
    pub(crate) async_ok: AtomicBool,
}

// SAFETY: see the module documentation (point 1).
unsafe impl Send for Shared {}
// SAFETY: see the module documentation (point 1).
unsafe impl Sync for Shared {}

impl Shared {
    pub(crate) fn new(vm: Vm, st: super::ApiState) -> Self {
        Shared {
            lock: ReLock::new(),
            vm: UnsafeCell::new(vm),
            active: Cell::new(std::ptr::null_mut()),
            busy: Cell::new(false),
            deferred: UnsafeCell::new(Vec::new()),
            armed: UnsafeCell::new((0, st.limits.clone())),
            st: Mutex::new(st),
            limits_gen: AtomicU64::new(0),
            async_ok: AtomicBool::new(false),
        }
    }

    pub(crate) fn guard(&self) -> LockGuard<'_> {
        self.lock.acquire();
        LockGuard(&self.lock)
    }

    /// Run `f` with exclusive access to the VM. `f` must not call back into
    /// the API (conversions happen outside); the VM may call Rust callbacks,
    /// which go through [`Shared::enter_callback`].
    #[inline]
    pub(crate) fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> R {
        let _g = self.guard();
        if self.busy.get() {
            reentrant();
        }
        struct Busy<'a>(&'a Cell<bool>);
        impl Drop for Busy<'_> {
            #[inline]
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        self.busy.set(true);
        let _b = Busy(&self.busy);
        // SAFETY: we hold the lock and `busy` was clear; `vm` lives for this
        // call, during which `busy` is set
        let vm = unsafe { self.vm_unlent() };
        f(vm)
    }

    /// The VM (the lent one inside a callback), with the root-count changes
    /// deferred while it was lent out applied.
    ///
    /// # Safety
    /// The caller holds the lock, has seen `busy` clear, and does not keep
    /// the reference past the point where another `&mut Vm` could be made:
    /// either it sets `busy` for as long as it holds it, or it calls nothing
    /// that could reach the API (module docs, point 2).
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    unsafe fn vm_unlent(&self) -> &mut Vm {
        let p = if self.active.get().is_null() { self.vm.get() } else { self.active.get() };
        // SAFETY: the caller's guarantees (above)
        let vm = unsafe { &mut *p };
        // SAFETY: `deferred` is only touched under the lock, never while borrowed.
        let d = unsafe { &mut *self.deferred.get() };
        if !d.is_empty() {
            drain_deferred(d, vm);
        }
        vm
    }

    /// Adjust a root count now or, when the VM is lent out, later.
    #[inline]
    pub(crate) fn root_op(&self, slot: u32, inc: bool) {
        let _g = self.guard();
        if self.busy.get() {
            // SAFETY: under the lock; no reference to `deferred` is live while busy
            // (with_vm only borrows it before calling `f`).
            unsafe { (*self.deferred.get()).push((slot, inc)) };
            return;
        }
        // SAFETY: we hold the lock and `busy` is clear; `vm` lives only for
        // the count change below, which cannot reach the API (what `with_vm`
        // does, without taking the lock a second time)
        let vm = unsafe { self.vm_unlent() };
        vm.api_roots.adjust(slot, inc);
    }

    /// Arm the state's limits on `vm` for a call from the host (inside
    /// `with_vm`, which holds the lock). A limit changed by another thread
    /// meanwhile applies from the next call on.
    pub(crate) fn arm_state_limits(&self, vm: &mut Vm) {
        debug_assert!(self.busy.get(), "only inside with_vm");
        let gen = self.limits_gen.load(Ordering::Acquire);
        // SAFETY: `armed` is only touched under the lock, held by the caller
        // of `with_vm`; the reference does not outlive this function, which
        // calls nothing that could reach the API.
        let armed = unsafe { &mut *self.armed.get() };
        if armed.0 != gen {
            let l = self.st.lock().unwrap_or_else(|e| e.into_inner()).limits.clone();
            *armed = (gen, l);
        }
        super::arm_limits(vm, &armed.1);
    }

    /// Whether the running code is a Rust callback called by a script.
    pub(crate) fn in_callback(&self) -> bool {
        let _g = self.guard();
        !self.active.get().is_null()
    }

    /// `in_callback` for a caller inside `with_vm` (which holds the lock).
    #[inline]
    pub(crate) fn in_callback_locked(&self) -> bool {
        debug_assert!(self.busy.get(), "only inside with_vm");
        !self.active.get().is_null()
    }

    /// Called by host closures: lend the VM's `&mut Vm` to the API for the
    /// duration of `f`.
    pub(crate) fn enter_callback<R>(&self, vm: &mut Vm, f: impl FnOnce() -> R) -> R {
        let _g = self.guard();
        struct Restore<'a>(&'a Shared, *mut Vm, bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.active.set(self.1);
                self.0.busy.set(self.2);
            }
        }
        let _r = Restore(self, self.active.get(), self.busy.get());
        self.active.set(vm as *mut Vm);
        self.busy.set(false);
        f()
    }
}

#[cold]
#[inline(never)]
fn reentrant() -> ! {
    panic!("oxilua: re-entrant use of a Lua state inside an API call")
}

/// Apply the root-count changes made while the VM was lent out.
#[cold]
#[inline(never)]
fn drain_deferred(d: &mut Vec<(u32, bool)>, vm: &mut Vm) {
    for (slot, inc) in d.drain(..) {
        vm.api_roots.adjust(slot, inc);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Run pending finalisers like lua_close (callbacks see a dead state).
        self.vm.get_mut().close();
    }
}

// ----- userdata cells -------------------------------------------------------

/// The payload of an API userdata: a value with a RefCell-like borrow flag,
/// in its own allocation (see module docs, point 3).
pub(crate) struct UdBox<T: 'static> {
    ptr: std::ptr::NonNull<UdCell<T>>,
}

pub(crate) struct UdCell<T> {
    /// >0: shared borrows, -1: exclusive borrow, 0: free.
    flag: Cell<isize>,
    /// `None` after `take`.
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the cell is only accessed under the state lock (module docs, point 3);
// moving it between threads moves a `T: Send`.
unsafe impl<T: Send> Send for UdBox<T> {}

impl<T: 'static> UdBox<T> {
    pub(crate) fn new(v: T) -> Self {
        let b = Box::new(UdCell { flag: Cell::new(0), value: UnsafeCell::new(Some(v)) });
        UdBox { ptr: std::ptr::NonNull::from(Box::leak(b)) }
    }
}

impl<T> Drop for UdBox<T> {
    fn drop(&mut self) {
        // SAFETY: created by Box::leak in `new`, dropped once.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

/// Why a cell could not be borrowed.
pub(crate) enum BorrowErr {
    /// Already borrowed incompatibly.
    Borrowed,
    /// The value was taken.
    Taken,
    /// Not a cell of this type (or not a userdata).
    Mismatch,
}

/// Where a cell lives.
pub(crate) enum CellSource {
    /// A userdata held in API root slot `.0`.
    Root(u32),
    /// App data of this type.
    App(std::any::TypeId),
}

fn find_cell<T: 'static>(vm: &Vm, src: &CellSource) -> Option<*const UdCell<T>> {
    let b: &(dyn std::any::Any + Send) = match *src {
        CellSource::Root(slot) => match vm.api_roots.get(slot) {
            crate::value::Value::UserData(u) => &*vm.heap.userdata.get(u.idx()).data,
            _ => return None,
        },
        CellSource::App(id) => &**vm.app_data.get(&id)?,
    };
    b.downcast_ref::<UdBox<T>>().map(|b| b.ptr.as_ptr() as *const UdCell<T>)
}

/// A borrow of a cell: holds the state lock (so it is `!Send`: the raw
/// pointer field), a root for the userdata, and the borrow flag.
pub(crate) struct Borrowed<T: 'static> {
    shared: std::sync::Arc<Shared>,
    cell: *const UdCell<T>,
    exclusive: bool,
    root: Option<u32>,
}

impl Shared {
    /// Borrow the cell at `src` (shared or exclusive).
    pub(crate) fn borrow_cell<T: 'static>(self: &std::sync::Arc<Self>, src: CellSource, exclusive: bool) -> Result<Borrowed<T>, BorrowErr> {
        self.lock.acquire();
        let found = self.with_vm(|vm| {
            let c = find_cell::<T>(vm, &src)?;
            if let CellSource::Root(slot) = src {
                vm.api_roots.incref(slot);
            }
            Some(c)
        });
        let Some(cell) = found else {
            self.lock.release();
            return Err(BorrowErr::Mismatch);
        };
        let root = match src {
            CellSource::Root(s) => Some(s),
            CellSource::App(_) => None,
        };
        // SAFETY: the cell is alive (rooted or in the app-data map, whose
        // removal checks the flag) and we hold the lock.
        let c = unsafe { &*cell };
        let ok = if exclusive { c.flag.get() == 0 } else { c.flag.get() >= 0 };
        // SAFETY: reading the option while no exclusive borrow exists, or to test for None.
        let present = c.flag.get() < 0 || unsafe { (*c.value.get()).is_some() };
        let err = if !present {
            Some(BorrowErr::Taken)
        } else if !ok {
            Some(BorrowErr::Borrowed)
        } else {
            None
        };
        if let Some(e) = err {
            if let Some(s) = root {
                self.root_op(s, false);
            }
            self.lock.release();
            return Err(e);
        }
        c.flag.set(if exclusive { -1 } else { c.flag.get() + 1 });
        Ok(Borrowed { shared: self.clone(), cell, exclusive, root })
    }

    /// Move the value out of the cell at `src`.
    pub(crate) fn take_cell<T: 'static>(&self, src: CellSource) -> Result<T, BorrowErr> {
        self.with_vm(|vm| {
            let cell = find_cell::<T>(vm, &src).ok_or(BorrowErr::Mismatch)?;
            // SAFETY: alive (found under the lock now); flag checked before touching the value.
            let c = unsafe { &*cell };
            if c.flag.get() != 0 {
                return Err(BorrowErr::Borrowed);
            }
            // SAFETY: no borrow is out.
            let v = unsafe { (*c.value.get()).take() }.ok_or(BorrowErr::Taken)?;
            if let CellSource::App(id) = src {
                vm.app_data.remove(&id);
            }
            Ok(v)
        })
    }

    /// Whether `src` holds a cell of `T`.
    pub(crate) fn cell_is<T: 'static>(&self, src: CellSource) -> bool {
        self.with_vm(|vm| find_cell::<T>(vm, &src).is_some())
    }
}

impl<T> std::ops::Deref for Borrowed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a borrow is held (flag) on a live cell whose value is present.
        unsafe { (*(*self.cell).value.get()).as_ref().expect("borrowed cell") }
    }
}

impl<T> std::ops::DerefMut for Borrowed<T> {
    fn deref_mut(&mut self) -> &mut T {
        assert!(self.exclusive, "mutable access through a shared borrow");
        // SAFETY: the exclusive borrow (flag -1) is ours.
        unsafe { (*(*self.cell).value.get()).as_mut().expect("borrowed cell") }
    }
}

impl<T> Drop for Borrowed<T> {
    fn drop(&mut self) {
        // SAFETY: the cell is alive while the borrow (and root) is held.
        let c = unsafe { &*self.cell };
        c.flag.set(if self.exclusive { 0 } else { c.flag.get() - 1 });
        if let Some(s) = self.root {
            self.shared.root_op(s, false);
        }
        self.shared.lock.release();
    }
}
