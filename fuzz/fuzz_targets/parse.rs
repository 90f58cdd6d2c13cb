//! Fuzz target: arbitrary bytes through the lexer and parser. Any panic,
//! stack overflow or malformed error message is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut names = lasso::Rodeo::default();
    match oxilua::parser::parse(data, b"=fuzz", &mut names) {
        Ok(chunk) => drop(chunk),
        Err(e) => {
            assert!(e.message.starts_with("fuzz:"), "bad message {:?}", e.message);
            assert_eq!(e.incomplete_input, e.message.ends_with("<eof>"));
        }
    }
});
