//! Loading chunks: `lua.load(src)...`.

use super::value::Ref;
use super::{lua_error, Error, FromLuaMulti, Function, IntoLuaMulti, Limits, Lua, Result, Table};
use crate::value::Value as Raw;

/// Whether a chunk may be text, binary or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChunkMode {
    #[default]
    Text,
    Binary,
}

/// A chunk to load and run, from [`Lua::load`].
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// lua.load("x = 1 + 1").set_name("init").exec()?;
/// assert_eq!(lua.load("x").eval::<i32>()?, 2);
/// let env = lua.create_table()?;
/// env.set("y", 5)?;
/// assert_eq!(lua.load("return y").set_environment(env).eval::<i32>()?, 5);
/// # Ok::<(), LuaError>(())
/// ```
#[must_use = "a chunk does nothing until exec/eval/call"]
pub struct Chunk {
    lua: Lua,
    source: Vec<u8>,
    name: Option<String>,
    env: Option<Table>,
    mode: Option<ChunkMode>,
}

impl Chunk {
    pub(crate) fn new(lua: Lua, source: Vec<u8>) -> Self {
        Chunk { lua, source, name: None, env: None, mode: None }
    }

    /// The chunk name used in error messages (`name:1: ...`). A name that
    /// starts with `@` or `=` is used as is.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let err = lua.load("error('bad')").set_name("init.lua").exec().unwrap_err();
    /// assert!(err.to_string().contains("init.lua:1: bad"));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn set_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The environment (`_ENV`) of the chunk instead of the globals.
    pub fn set_environment(mut self, env: Table) -> Self {
        self.env = Some(env);
        self
    }

    /// Accept only text or only binary chunks (default: text; binary chunks
    /// need `set_mode(ChunkMode::Binary)`).
    pub fn set_mode(mut self, mode: ChunkMode) -> Self {
        self.mode = Some(mode);
        self
    }

    fn chunkname(&self) -> Vec<u8> {
        match &self.name {
            Some(n) if n.starts_with('@') || n.starts_with('=') => n.as_bytes().to_vec(),
            Some(n) => format!("={n}").into_bytes(),
            None => self.source.clone(),
        }
    }

    fn compile(&self, src: &[u8]) -> Result<Function> {
        let lua = &self.lua;
        let name = self.chunkname();
        let mode: &[u8] = match self.mode {
            None | Some(ChunkMode::Text) => b"t",
            Some(ChunkMode::Binary) => b"b",
        };
        let top = !lua.shared.in_callback();
        lua.shared.with_vm(|vm| {
            if top {
                // a new top-level use: clear a tripped limit of an earlier call
                lua.begin_call(vm, None);
            }
            let env = match &self.env {
                Some(t) => Some(t.0.raw_in(lua, vm)?),
                None => None,
            };
            match vm.load_chunk(src, &name, mode, env) {
                Ok(f) => Ok(Function(Ref::new(lua, vm, Raw::Func(f)))),
                Err(e) => Err(lua_error(lua, vm, e)),
            }
        })
    }

    /// Compile into a function without running it.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let f = lua.load("local a, b = ... return a * b").into_function()?;
    /// assert_eq!(f.call::<i64>((6, 7))?, 42);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn into_function(self) -> Result<Function> {
        self.compile(&self.source)
    }

    /// Run the chunk, discarding results.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// lua.load("counter = (counter or 0) + 1").exec()?;
    /// assert_eq!(lua.globals().get::<i64>("counter")?, 1);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn exec(self) -> Result<()> {
        self.call::<()>(())
    }

    /// Run with per-call limits.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let limits = LuaLimits { instructions: Some(100_000), ..Default::default() };
    /// let err = lua.load("while true do end").exec_with_limits(limits).unwrap_err();
    /// assert!(matches!(err, LuaError::InstructionLimit));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn exec_with_limits(self, limits: Limits) -> Result<()> {
        let f = self.into_function()?;
        f.call_with_limits::<()>((), limits)
    }

    /// Evaluate as an expression (tries `return <src>` first, like mlua),
    /// else as a block; returns its results.
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// assert_eq!(lua.load("1 + 2").eval::<i64>()?, 3);
    /// let (a, b): (String, bool) = lua.load("local s = 'x' return s:rep(2), #s == 1").eval()?;
    /// assert_eq!((a.as_str(), b), ("xx", true));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn eval<R: FromLuaMulti>(self) -> Result<R> {
        let f = if self.mode != Some(ChunkMode::Binary) && self.source.first() != Some(&0x1b) {
            let mut expr = b"return ".to_vec();
            expr.extend_from_slice(&self.source);
            match self.compile(&expr) {
                Ok(f) => f,
                Err(Error::SyntaxError { .. }) => self.compile(&self.source)?,
                Err(e) => return Err(e),
            }
        } else {
            self.compile(&self.source)?
        };
        f.call(())
    }

    /// Run the chunk with arguments (`...` in the chunk).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let sum: i64 = lua.load("local s = 0 for _, v in ipairs({...}) do s = s + v end return s").call((1, 2, 3))?;
    /// assert_eq!(sum, 6);
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn call<R: FromLuaMulti>(self, args: impl IntoLuaMulti) -> Result<R> {
        let f = self.into_function()?;
        f.call(args)
    }

    /// Run the chunk as a coroutine that can await async host functions.
    pub async fn exec_async(self) -> Result<()> {
        let f = self.into_function()?;
        f.call_async::<()>(()).await
    }

    /// Evaluate asynchronously (see [`Chunk::eval`]).
    pub async fn eval_async<R: FromLuaMulti>(self) -> Result<R> {
        let f = if self.source.first() != Some(&0x1b) {
            let mut expr = b"return ".to_vec();
            expr.extend_from_slice(&self.source);
            match self.compile(&expr) {
                Ok(f) => f,
                Err(Error::SyntaxError { .. }) => self.compile(&self.source)?,
                Err(e) => return Err(e),
            }
        } else {
            self.compile(&self.source)?
        };
        f.call_async(()).await
    }

    /// Run asynchronously with arguments.
    pub async fn call_async<R: FromLuaMulti>(self, args: impl IntoLuaMulti) -> Result<R> {
        let f = self.into_function()?;
        f.call_async(args).await
    }
}
