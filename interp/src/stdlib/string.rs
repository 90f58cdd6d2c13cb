//! The `string` library (being written).

use crate::vm::Vm;

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(_vm: &mut Vm) {}
