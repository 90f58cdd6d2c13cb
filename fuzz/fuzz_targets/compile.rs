//! Fuzz target: arbitrary bytes through the whole front end (parser and
//! compiler). Any panic or stack overflow is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxilua::compile(data, b"=fuzz");
});
