//! Operator-style scenarios run through the real `oxilua-vmq call ... -`
//! binary, each response compared with what VerneMQ (vmq_diversity behind
//! vmq_webhooks) decides.
//!
//! Every directory under `tests/scenarios/` is one scenario:
//! - its `*.lua` files are the scripts, loaded in file-name order (so
//!   `1_x.lua`, `2_y.lua` give the chain order);
//! - `cases.jsonl` holds one request per line,
//!   `{"hook": "...", "body": {...}, "expect": {...}}`, answered in one
//!   process (state, `kv` and `auth_cache` persist from line to line);
//!   `#` lines are comments (the reasoning, with reference sections), and
//!   an optional `{"args": [...]}` line gives extra command-line arguments
//!   (`@file` names a file of the scenario directory).
//!
//! The expected responses were worked out from the reference
//! (`vmq_diversity_reference.md` §2-4, §8, §9) and DECISIONS.md, not from
//! the program's output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("scenarios")
}

struct Case {
    line: usize,
    hook: String,
    body: Value,
    expect: Value,
}

fn parse(dir: &Path) -> (Vec<String>, Vec<Case>) {
    let path = dir.join("cases.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut args = Vec::new();
    let mut cases = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        if let Some(a) = v.get("args") {
            for a in a.as_array().expect("args: an array") {
                let a = a.as_str().expect("args: strings");
                args.push(match a.strip_prefix('@') {
                    Some(f) => dir.join(f).to_string_lossy().into_owned(),
                    None => a.to_string(),
                });
            }
            continue;
        }
        let field = |k: &str| v.get(k).cloned().unwrap_or_else(|| panic!("{}:{}: missing {k}", path.display(), i + 1));
        cases.push(Case {
            line: i + 1,
            hook: field("hook").as_str().expect("hook: a string").to_string(),
            body: field("body"),
            expect: field("expect"),
        });
    }
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    (args, cases)
}

fn run_scenario(name: &str) {
    let dir = scenarios_dir().join(name);
    let (extra, cases) = parse(&dir);
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "lua"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "{name}: no scripts");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxilua-vmq"));
    cmd.arg("call").args(&extra);
    for s in &scripts {
        cmd.arg("--script").arg(s);
    }
    cmd.arg("-").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut input = String::new();
    for c in &cases {
        input.push_str(&serde_json::json!({"hook": c.hook, "body": c.body}).to_string());
        input.push('\n');
    }
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("spawn oxilua-vmq");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name}: exit {:?}\n{stderr}", out.status);
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON: {l:?}: {e}")))
        .collect();
    let mut bad = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let got = answers.get(i);
        if got != Some(&c.expect) {
            bad.push(format!(
                "  cases.jsonl:{} {} {}\n    expected {}\n    got      {}",
                c.line,
                c.hook,
                c.body,
                c.expect,
                got.map_or("(no answer)".to_string(), Value::to_string)
            ));
        }
    }
    assert_eq!(answers.len(), cases.len(), "{name}: one answer per request\n{stderr}");
    assert!(bad.is_empty(), "{name}: {} of {} cases differ:\n{}\n--- stderr ---\n{stderr}", bad.len(), cases.len(), bad.join("\n"));
    // a generous "did not hang" bound (runaway scenarios use short deadlines)
    assert!(took < Duration::from_secs(60), "{name}: took {took:?}");
    eprintln!("{name}: {} cases in {took:?}", cases.len());
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_scenario(stringify!($name));
            }
        )*

        /// Every scenario directory has a test above (none is silently skipped).
        #[test]
        fn every_scenario_directory_is_listed() {
            let listed = [$(stringify!($name)),*];
            for e in std::fs::read_dir(scenarios_dir()).unwrap() {
                let e = e.unwrap();
                if e.path().is_dir() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    assert!(listed.contains(&n.as_str()), "scenario {n} is not listed in scenario_scripts.rs");
                }
            }
        }
    };
}

scenarios! {
    register_chain,
    publish_modifiers,
    subscribe_rewrite,
    mqtt5,
    notifications_and_deliver,
    runaway,
    acl_cache,
    state_modes,
    modules,
    arguments,
    sandbox_and_dialect,
}
