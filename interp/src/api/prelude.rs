//! Names for glob import, like `mlua::prelude`.

#[cfg(feature = "serde")]
pub use super::LuaSerdeExt;
pub use super::{
    AnyUserData as LuaAnyUserData, AnyUserDataExt as LuaAnyUserDataExt, Chunk as LuaChunk, ChunkMode as LuaChunkMode, Error as LuaError,
    ErrorContext as LuaErrorContext, ExternalError as LuaExternalError, ExternalResult as LuaExternalResult, FromLua, FromLuaMulti,
    Function as LuaFunction, IntoLua, IntoLuaMulti, Isolation as LuaIsolation, LightUserData as LuaLightUserData, Limits as LuaLimits, Lua,
    LuaOptions, LuaString, MetaMethod as LuaMetaMethod, MultiValue as LuaMultiValue, Nil as LuaNil, RegistryKey as LuaRegistryKey,
    Result as LuaResult, StdLib as LuaStdLib, Table as LuaTable, Thread as LuaThread, ThreadStatus as LuaThreadStatus,
    UserData as LuaUserData, UserDataFields as LuaUserDataFields, UserDataMethods as LuaUserDataMethods, UserDataRef as LuaUserDataRef,
    UserDataRefMut as LuaUserDataRefMut, Value as LuaValue, Variadic as LuaVariadic,
};
