//! Golden-output tests: each `tests/golden/NAME.lua` is run by the `oxilua`
//! binary and its standard output must equal `NAME.out` byte for byte. The
//! `.out` files were produced by the reference `lua5.2` (5.2.4); scripts
//! avoid printing addresses and other machine-dependent text.

use std::path::Path;
use std::process::Command;

#[test]
fn golden_outputs_match_reference() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut bad = Vec::new();
    for f in &files {
        let expected = std::fs::read(f.with_extension("out")).expect("missing .out file");
        let out = Command::new(env!("CARGO_BIN_EXE_oxilua")).arg(f.file_name().unwrap()).current_dir(&dir).output().expect("run oxilua");
        let mut got = out.stdout.clone();
        got.extend_from_slice(&out.stderr);
        if got != expected {
            let g = String::from_utf8_lossy(&got);
            let e = String::from_utf8_lossy(&expected);
            let line = g.lines().zip(e.lines()).position(|(a, b)| a != b).unwrap_or(0);
            bad.push(format!(
                "{}: first difference at line {}:\n  got:      {:?}\n  expected: {:?}",
                f.display(),
                line + 1,
                g.lines().nth(line),
                e.lines().nth(line)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
