//! The standard libraries. Each module has an `open(vm)` that installs it as
//! a global and in `package.loaded`.

use crate::vm::Vm;

pub mod base;
pub mod bit32;
pub mod coroutine;
pub mod debug;
pub mod io;
pub mod math;
pub mod os;
pub mod package;
pub mod string;
pub mod table;

/// Which libraries to open (see the embedding API's `StdLib`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LibSet {
    pub base: bool,
    pub package: bool,
    pub coroutine: bool,
    pub table: bool,
    pub io: bool,
    pub os: bool,
    pub string: bool,
    pub bit32: bool,
    pub math: bool,
    pub debug: bool,
    /// File access (`io.open`, `io.lines`, `dofile`, `loadfile`, `require` from files,
    /// `os.remove/rename/tmpname/execute/exit`).
    pub unsafe_os: bool,
}

impl LibSet {
    pub const ALL: LibSet = LibSet {
        base: true,
        package: true,
        coroutine: true,
        table: true,
        io: true,
        os: true,
        string: true,
        bit32: true,
        math: true,
        debug: true,
        unsafe_os: true,
    };
}

/// Open the selected libraries, in PUC's order.
pub fn open_libs(vm: &mut Vm, libs: LibSet) {
    vm.unsafe_os = libs.unsafe_os;
    if libs.base {
        base::open(vm);
    }
    if libs.package {
        package::open(vm);
    }
    if libs.coroutine {
        coroutine::open(vm);
    }
    if libs.table {
        table::open(vm);
    }
    if libs.io {
        io::open(vm);
    }
    if libs.os {
        os::open(vm);
    }
    if libs.string {
        string::open(vm);
    }
    if libs.bit32 {
        bit32::open(vm);
    }
    if libs.math {
        math::open(vm);
    }
    if libs.debug {
        debug::open(vm);
    }
}
