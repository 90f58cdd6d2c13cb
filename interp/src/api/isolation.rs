//! Per-call isolation: run code, then undo what it did to the objects that
//! existed before (see the engine side in `crate::isolate`).

use super::{Lua, Result};

/// An open isolation on a state. While it is open, every write to an object
/// that existed when it opened (globals, tables, upvalues, metatables, the
/// registry) is logged; [`Isolation::rollback`] undoes them, at a cost
/// proportional to the number of writes, not to the size of the heap.
/// Dropping the guard without calling [`Isolation::commit`] rolls back.
///
/// Isolations nest (an inner one undoes only its own writes) and are
/// state-wide: anything run on the state while the guard is open is logged,
/// including other calls made on it from other threads or async tasks. Not
/// restored: Rust data inside userdata, coroutines that existed before and
/// were resumed, weak-table entries the collector removed, finalisers that
/// ran. Values created during the isolation and still held by the host stay
/// valid; they simply are no longer reachable from the old objects.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// lua.load("counter = 0  config = { mode = 'a' }").exec()?;
/// let bump: LuaFunction = lua.load("function() counter = counter + 1 config.mode = 'b' return counter end").eval()?;
/// for _ in 0..3 {
///     let iso = lua.begin_isolation();
///     assert_eq!(bump.call::<i32>(())?, 1); // every call sees the state as it was
///     iso.rollback();
/// }
/// assert_eq!(lua.load("return config.mode").eval::<String>()?, "a");
/// # Ok::<(), LuaError>(())
/// ```
#[must_use = "dropping an isolation rolls it back at once"]
pub struct Isolation {
    lua: Lua,
    depth: usize,
    open: bool,
}

impl Isolation {
    /// Undo every logged write made since the isolation opened. Returns the
    /// number of writes undone.
    pub fn rollback(mut self) -> usize {
        self.close(true)
    }

    /// Keep the writes. An enclosing isolation still undoes them when it
    /// rolls back.
    pub fn commit(mut self) {
        self.close(false);
    }

    /// Nesting depth of this isolation (1 for the outermost).
    pub fn depth(&self) -> usize {
        self.depth
    }

    fn close(&mut self, undo: bool) -> usize {
        if !self.open {
            return 0;
        }
        self.open = false;
        let depth = self.depth;
        self.lua.shared.with_vm(|vm| {
            let mut n = 0;
            // inner isolations left open (leaked guards) close with this one
            while vm.heap.iso.depth() >= depth {
                if undo {
                    n += vm.isolation_rollback();
                } else {
                    vm.isolation_commit();
                }
            }
            n
        })
    }
}

impl Drop for Isolation {
    fn drop(&mut self) {
        self.close(true);
    }
}

impl std::fmt::Debug for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Isolation").field("depth", &self.depth).field("open", &self.open).finish()
    }
}

impl Lua {
    /// Open an [`Isolation`]: writes to existing objects are logged until
    /// the guard is rolled back (or dropped) or committed.
    pub fn begin_isolation(&self) -> Isolation {
        let depth = self.shared.with_vm(|vm| vm.isolation_begin());
        Isolation { lua: self.clone(), depth, open: true }
    }

    /// Run `f` in an isolation and roll it back afterwards, whether `f`
    /// succeeded or not.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// lua.globals().set("n", 1)?;
    /// let seen: i32 = lua.isolated(|lua| lua.load("n = n + 41 return n").eval())?;
    /// assert_eq!(seen, 42);
    /// assert_eq!(lua.globals().get::<i32>("n")?, 1);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn isolated<R>(&self, f: impl FnOnce(&Lua) -> Result<R>) -> Result<R> {
        let iso = self.begin_isolation();
        let r = f(self);
        iso.rollback();
        r
    }

    /// Number of writes currently logged by open isolations (for tests and
    /// statistics).
    pub fn isolation_log_len(&self) -> usize {
        self.shared.with_vm(|vm| vm.heap.iso.logged())
    }
}
