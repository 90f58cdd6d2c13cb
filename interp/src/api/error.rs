//! Errors of the embedding API.

use std::fmt;
use std::sync::Arc;

/// An error from the embedding API or from a script. Variant names follow
/// mlua where the meaning is the same.
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// match lua.load("local t = nil; return t.x").exec() {
///     Err(LuaError::RuntimeError(msg)) => assert!(msg.contains("attempt to index")),
///     other => panic!("{other:?}"),
/// }
/// match lua.load("x = = 1").exec() {
///     Err(LuaError::SyntaxError { incomplete_input, .. }) => assert!(!incomplete_input),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), LuaError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// A chunk failed to compile. `incomplete_input` is true when more input
    /// could complete it (the REPL uses this to ask for another line).
    SyntaxError { message: String, incomplete_input: bool },
    /// A Lua error (`error("...")`, a type error...), as its string form.
    RuntimeError(String),
    /// The memory limit was hit.
    MemoryError(String),
    /// A coroutine that cannot be resumed (dead or running).
    CoroutineUnresumable,
    /// A userdata was not of the expected Rust type.
    UserDataTypeMismatch,
    /// A userdata's value was taken (`AnyUserData::take`).
    UserDataDestructed,
    /// A userdata is mutably borrowed.
    UserDataBorrowError,
    /// A userdata is already borrowed.
    UserDataBorrowMutError,
    /// A registry key from another state (or already removed).
    MismatchedRegistryKey,
    /// A value from another `Lua` state was passed in.
    MismatchedState,
    /// An error raised by a Rust callback, seen from the host after crossing Lua.
    CallbackError { traceback: String, cause: Arc<Error> },
    /// An argument of a Rust callback failed to convert.
    BadArgument { to: Option<String>, pos: usize, name: Option<String>, cause: Arc<Error> },
    /// A Rust value could not be converted to Lua.
    ToLuaConversionError { from: String, to: &'static str, message: Option<String> },
    /// A Lua value could not be converted to a Rust type.
    FromLuaConversionError { from: &'static str, to: String, message: Option<String> },
    /// Any other error, from host code.
    ExternalError(Arc<dyn std::error::Error + Send + Sync>),
    /// An error with added context (see [`ErrorContext`]).
    WithContext { context: String, cause: Arc<Error> },
    /// The instruction limit (fuel) ran out.
    InstructionLimit,
    /// The wall-clock deadline passed.
    Timeout,
    /// The interrupt callback asked to stop.
    Interrupted,
    /// Too many nested calls (or a stack too large).
    StackOverflow,
    /// Serialization with serde failed.
    SerializeError(String),
    /// Deserialization with serde failed.
    DeserializeError(String),
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A runtime error with a message.
    pub fn runtime<S: fmt::Display>(msg: S) -> Self {
        Error::RuntimeError(msg.to_string())
    }
    /// Wrap any error as [`Error::ExternalError`].
    pub fn external<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> Self {
        let b: Box<dyn std::error::Error + Send + Sync> = e.into();
        match b.downcast::<Error>() {
            Ok(e) => *e,
            Err(b) => Error::ExternalError(Arc::from(b)),
        }
    }
    /// The innermost error (through callback, context and argument wrappers).
    ///
    /// ```
    /// use oxilua::prelude::*;
    /// let lua = Lua::new();
    /// let f = lua.create_function(|_, ()| -> LuaResult<()> { Err(LuaError::runtime("deep")) })?;
    /// lua.globals().set("f", f)?;
    /// let err = lua.load("f()").exec().unwrap_err();
    /// assert!(matches!(err, LuaError::CallbackError { .. }));
    /// assert!(matches!(err.root_cause(), LuaError::RuntimeError(m) if m == "deep"));
    /// # Ok::<(), LuaError>(())
    /// ```
    pub fn root_cause(&self) -> &Error {
        match self {
            Error::CallbackError { cause, .. } | Error::WithContext { cause, .. } | Error::BadArgument { cause, .. } => cause.root_cause(),
            e => e,
        }
    }
    /// The external error of the given type, if this error (or its root cause) is one.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        match self.root_cause() {
            Error::ExternalError(e) => e.downcast_ref::<T>(),
            _ => None,
        }
    }
    /// Whether this is one of the resource-limit errors.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.root_cause(),
            Error::InstructionLimit | Error::Timeout | Error::Interrupted | Error::StackOverflow | Error::MemoryError(_)
        )
    }
    pub(crate) fn from_conv(from: &'static str, to: impl Into<String>, message: Option<String>) -> Self {
        Error::FromLuaConversionError { from, to: to.into(), message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SyntaxError { message, .. } => write!(f, "syntax error: {message}"),
            Error::RuntimeError(m) => write!(f, "runtime error: {m}"),
            Error::MemoryError(m) => write!(f, "memory error: {m}"),
            Error::CoroutineUnresumable => write!(f, "coroutine is non-resumable"),
            Error::UserDataTypeMismatch => write!(f, "userdata is not expected type"),
            Error::UserDataDestructed => write!(f, "userdata has been destructed"),
            Error::UserDataBorrowError => write!(f, "error borrowing userdata"),
            Error::UserDataBorrowMutError => write!(f, "error mutably borrowing userdata"),
            Error::MismatchedRegistryKey => write!(f, "RegistryKey used from different Lua state"),
            Error::MismatchedState => write!(f, "value used from a different Lua state"),
            // root cause first, then where it went through
            Error::CallbackError { traceback, cause } => write!(f, "{cause}\n{traceback}"),
            Error::BadArgument { to, pos, name, cause } => {
                write!(f, "bad argument #{pos}")?;
                if let Some(n) = name {
                    write!(f, " `{n}`")?;
                }
                if let Some(t) = to {
                    write!(f, " to `{t}`")?;
                }
                write!(f, ": {cause}")
            }
            Error::ToLuaConversionError { from, to, message } => {
                write!(f, "error converting {from} to Lua {to}")?;
                match message {
                    Some(m) => write!(f, " ({m})"),
                    None => Ok(()),
                }
            }
            Error::FromLuaConversionError { from, to, message } => {
                write!(f, "error converting Lua {from} to {to}")?;
                match message {
                    Some(m) => write!(f, " ({m})"),
                    None => Ok(()),
                }
            }
            Error::ExternalError(e) => write!(f, "{e}"),
            Error::WithContext { context, cause } => write!(f, "{cause}\n{context}"),
            Error::InstructionLimit => write!(f, "instruction limit exceeded"),
            Error::Timeout => write!(f, "deadline exceeded"),
            Error::Interrupted => write!(f, "interrupted"),
            Error::StackOverflow => write!(f, "stack overflow"),
            Error::SerializeError(m) => write!(f, "serialize error: {m}"),
            Error::DeserializeError(m) => write!(f, "deserialize error: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CallbackError { cause, .. } | Error::WithContext { cause, .. } | Error::BadArgument { cause, .. } => {
                Some(cause.as_ref())
            }
            Error::ExternalError(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::ExternalError(Arc::new(e))
    }
}
impl From<std::fmt::Error> for Error {
    fn from(e: std::fmt::Error) -> Self {
        Error::ExternalError(Arc::new(e))
    }
}
impl From<std::string::FromUtf8Error> for Error {
    fn from(e: std::string::FromUtf8Error) -> Self {
        Error::ExternalError(Arc::new(e))
    }
}
impl From<std::num::ParseIntError> for Error {
    fn from(e: std::num::ParseIntError) -> Self {
        Error::ExternalError(Arc::new(e))
    }
}

/// Turn any error into an [`Error`] (`.into_lua_err()`), like mlua's trait.
pub trait ExternalError {
    fn into_lua_err(self) -> Error;
}
impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> ExternalError for E {
    fn into_lua_err(self) -> Error {
        Error::external(self)
    }
}

/// Convert results with any error type (`.into_lua_err()`).
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let parse = lua.create_function(|_, s: String| s.parse::<i64>().into_lua_err())?;
/// assert_eq!(parse.call::<i64>("12")?, 12);
/// assert!(parse.call::<i64>("x").is_err());
/// # Ok::<(), LuaError>(())
/// ```
pub trait ExternalResult<T> {
    fn into_lua_err(self) -> Result<T>;
}
impl<T, E: ExternalError> ExternalResult<T> for std::result::Result<T, E> {
    fn into_lua_err(self) -> Result<T> {
        self.map_err(|e| e.into_lua_err())
    }
}

/// Add context to errors (`.context("while ...")`).
///
/// ```
/// use oxilua::prelude::*;
/// let lua = Lua::new();
/// let err = lua.load("error('x')").exec().context("loading plugin foo").unwrap_err();
/// assert!(err.to_string().contains("loading plugin foo"));
/// assert!(matches!(err.root_cause(), LuaError::RuntimeError(_)));
/// # Ok::<(), LuaError>(())
/// ```
pub trait ErrorContext: Sized {
    fn context<C: fmt::Display>(self, context: C) -> Self;
    fn with_context<C: fmt::Display>(self, f: impl FnOnce(&Error) -> C) -> Self;
}
impl ErrorContext for Error {
    fn context<C: fmt::Display>(self, context: C) -> Self {
        Error::WithContext { context: context.to_string(), cause: Arc::new(self) }
    }
    fn with_context<C: fmt::Display>(self, f: impl FnOnce(&Error) -> C) -> Self {
        let c = f(&self).to_string();
        Error::WithContext { context: c, cause: Arc::new(self) }
    }
}
impl<T> ErrorContext for Result<T> {
    fn context<C: fmt::Display>(self, context: C) -> Self {
        self.map_err(|e| e.context(context))
    }
    fn with_context<C: fmt::Display>(self, f: impl FnOnce(&Error) -> C) -> Self {
        self.map_err(|e| e.with_context(f))
    }
}
