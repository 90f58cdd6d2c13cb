//! The `os` library (being written).

use crate::vm::Vm;

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(_vm: &mut Vm) {}

/// C `strerror`-style text for an I/O error ("No such file or directory").
pub fn io_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
