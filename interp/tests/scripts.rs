//! Runs every assert-based Lua script in `tests/scripts/` through the
//! `oxilua` binary. A script passes when it exits with status 0 and its last
//! line of output is `OK`. Scripts in `tests/wishlist/` describe behaviour
//! that does not work yet: they are run and reported, and a wishlist script
//! that starts passing is reported too (move it to `scripts/`), but they do
//! not fail the build.

use std::path::Path;
use std::process::Command;

fn run_dir(dir: &Path) -> Vec<(String, Result<(), String>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "lua")).collect())
        .unwrap_or_default();
    files.sort();
    let exe = env!("CARGO_BIN_EXE_oxilua");
    files
        .into_iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let out = Command::new(exe).arg(f.file_name().unwrap()).current_dir(dir).output();
            let r = match out {
                Err(e) => Err(format!("cannot run oxilua: {e}")),
                Ok(o) => {
                    let stdout = String::from_utf8_lossy(&o.stdout);
                    let last = stdout.lines().last().unwrap_or("");
                    if o.status.success() && last == "OK" {
                        Ok(())
                    } else {
                        Err(format!(
                            "status {:?}, last line {:?}, stderr: {}",
                            o.status.code(),
                            last,
                            String::from_utf8_lossy(&o.stderr).lines().take(6).collect::<Vec<_>>().join(" | ")
                        ))
                    }
                }
            };
            (name, r)
        })
        .collect()
}

#[test]
fn lua_scripts_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let results = run_dir(&dir);
    assert!(!results.is_empty(), "no scripts found in {}", dir.display());
    let mut failed = Vec::new();
    for (name, r) in &results {
        match r {
            Ok(()) => println!("pass  {name}"),
            Err(e) => {
                println!("FAIL  {name}: {e}");
                failed.push(name.clone());
            }
        }
    }
    assert!(failed.is_empty(), "{} of {} scripts failed: {:?}", failed.len(), results.len(), failed);
}

#[test]
fn wishlist_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wishlist");
    for (name, r) in run_dir(&dir) {
        match r {
            Ok(()) => println!("wishlist script now PASSES (move it to tests/scripts): {name}"),
            Err(e) => println!("wishlist (known failure) {name}: {e}"),
        }
    }
}
