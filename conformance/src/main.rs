//! Conformance runner: executes every `*.lua` file of a test-suite directory
//! in a fresh `oxilua` process (so a crash in one file cannot hide the
//! others), with the portable-mode flags of the official suite, and prints a
//! line per file (`pass`, `FAIL`, `PANIC`, `TIMEOUT`) and a total.
//!
//! Usage: `oxilua-conformance [--oxilua PATH] [--timeout SECS] [--flags LUA]
//! [--only a,b] [--expect-all] DIR`. With `--expect-all` the exit status is 1
//! unless every file passed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail(String),
    Panic(String),
    Timeout,
}

fn find_oxilua() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for p in ["target/release/oxilua", "target/debug/oxilua"] {
        let c = root.join(p);
        if c.exists() {
            return c;
        }
    }
    PathBuf::from("oxilua")
}

fn run_one(oxilua: &Path, dir: &Path, file: &str, flags: &str, timeout: Duration) -> Outcome {
    let mut child = match Command::new(oxilua)
        .arg("-e")
        .arg(flags)
        .arg(file)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Fail(format!("cannot start {}: {}", oxilua.display(), e)),
    };
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {
                if start.elapsed() > timeout {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => break None,
        }
    };
    let _out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err).into_owned();
    let first: String = err.lines().take(3).collect::<Vec<_>>().join(" | ");
    match status {
        None => Outcome::Timeout,
        Some(s) if s.success() => Outcome::Pass,
        Some(s) => {
            if err.contains("panicked") || s.code().is_none() || s.code() == Some(101) {
                Outcome::Panic(if first.is_empty() { format!("{}", s) } else { first })
            } else {
                Outcome::Fail(first)
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut oxilua = find_oxilua();
    let mut timeout = Duration::from_secs(300);
    // all.lua's `_U` mode also sets `_no32` (and friends) before running the
    // files; a file run alone only sees `_U`, and its 32-bit-only checks
    // (e.g. strings.lua's `string.rep` of 2^30) fail on 64-bit lua5.2 too
    let mut flags = "_U=true _no32=true".to_string();
    let mut only: Option<Vec<String>> = None;
    let mut expect_all = false;
    let mut dir: Option<PathBuf> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--oxilua" => {
                i += 1;
                oxilua = PathBuf::from(&args[i]);
            }
            "--timeout" => {
                i += 1;
                timeout = Duration::from_secs(args[i].parse().unwrap_or(300));
            }
            "--flags" => {
                i += 1;
                flags = args[i].clone();
            }
            "--only" => {
                i += 1;
                only = Some(args[i].split(',').map(|s| s.trim_end_matches(".lua").to_string()).collect());
            }
            "--expect-all" => expect_all = true,
            d => dir = Some(PathBuf::from(d)),
        }
        i += 1;
    }
    let Some(dir) = dir else {
        eprintln!("usage: oxilua-conformance [--oxilua PATH] [--timeout SECS] [--flags LUA] [--only a,b] [--expect-all] DIR");
        std::process::exit(2);
    };
    let mut files: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".lua")).collect(),
        Err(e) => {
            eprintln!("cannot read {}: {}", dir.display(), e);
            std::process::exit(2);
        }
    };
    files.sort();
    if let Some(o) = &only {
        files.retain(|f| o.iter().any(|x| f.trim_end_matches(".lua") == x));
    }
    let (mut pass, mut fail, mut panic, mut tmo) = (0, 0, 0, 0);
    for f in &files {
        let t = Instant::now();
        let r = run_one(&oxilua, &dir, f, &flags, timeout);
        let secs = t.elapsed().as_secs_f64();
        match &r {
            Outcome::Pass => {
                pass += 1;
                println!("pass     {:<16} {:6.2}s", f, secs);
            }
            Outcome::Fail(m) => {
                fail += 1;
                println!("FAIL     {:<16} {:6.2}s  {}", f, secs, m);
            }
            Outcome::Panic(m) => {
                panic += 1;
                println!("PANIC    {:<16} {:6.2}s  {}", f, secs, m);
            }
            Outcome::Timeout => {
                tmo += 1;
                println!("TIMEOUT  {:<16} {:6.2}s", f, secs);
            }
        }
    }
    println!("conformance: {} files, {} passed, {} failed, {} panicked, {} timed out", files.len(), pass, fail, panic, tmo);
    if expect_all && pass != files.len() {
        std::process::exit(1);
    }
}
