//! Running one program once under one interpreter.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::interpreters::Interpreter;

/// The result of a single run.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The process exited successfully after `seconds` of wall time.
    Finished { seconds: f64, stdout: String },
    /// It could not be started, exited unsuccessfully, or timed out.
    Failed(String),
}

fn read_all(mut source: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = source.read_to_end(&mut buf);
        buf
    })
}

/// The first non-empty line of `stderr`, shortened, for failure reports.
pub fn summarize_stderr(stderr: &str) -> String {
    let line = stderr.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut short: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        short.push_str("...");
    }
    short
}

/// Runs `interp` on `script` with `args`, measuring the wall time of the
/// whole process (start-up included). The process is killed after `timeout`.
pub fn run_once(interp: &Interpreter, script: &Path, args: &[String], cwd: &Path, timeout: Duration) -> Outcome {
    let program = match &interp.program {
        Ok(p) => p,
        Err(reason) => return Outcome::Failed(reason.clone()),
    };
    let start = Instant::now();
    let spawned = Command::new(program)
        .args(&interp.args)
        .arg(script)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot start {}: {e}", program.display())),
    };
    let pid = child.id();
    let out_reader = read_all(child.stdout.take().expect("piped stdout"));
    let err_reader = read_all(child.stderr.take().expect("piped stderr"));

    // Wait in a helper thread that takes the end time as soon as the process
    // exits, so the measurement is not quantized by any polling.
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send((status, Instant::now()));
    });
    let (status, end) = match rx.recv_timeout(timeout) {
        Ok(done) => done,
        Err(_) => {
            // Timed out: kill the process; the waiter then finishes. The
            // reader threads are left alone: a grandchild could still hold
            // the pipes open, and they end by themselves when it exits.
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            let _ = waiter.join();
            drop((out_reader, err_reader));
            return Outcome::Failed(format!("timed out after {}s", timeout.as_secs_f64()));
        }
    };
    let _ = waiter.join();
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    match status {
        Err(e) => Outcome::Failed(format!("wait failed: {e}")),
        Ok(s) if !s.success() => {
            let detail = summarize_stderr(&stderr);
            if detail.is_empty() {
                Outcome::Failed(format!("{s}"))
            } else {
                Outcome::Failed(format!("{s}: {detail}"))
            }
        }
        Ok(_) => Outcome::Finished { seconds: (end - start).as_secs_f64(), stdout },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sh() -> Interpreter {
        Interpreter { label: "sh".into(), program: Ok(PathBuf::from("/bin/sh")), args: vec![] }
    }

    /// A temporary shell script, deleted (with its directory) on drop.
    struct Script(PathBuf);

    impl Drop for Script {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    impl std::ops::Deref for Script {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn script(name: &str, body: &str) -> Script {
        let dir = std::env::temp_dir().join(format!("oxilua-benches-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        Script(path)
    }

    #[test]
    fn captures_stdout_and_time() {
        let s = script("ok.sh", "echo hello; echo \"$1\"\n");
        let out = run_once(&sh(), &s, &["arg".into()], Path::new("/"), Duration::from_secs(20));
        match out {
            Outcome::Finished { seconds, stdout } => {
                assert_eq!(stdout, "hello\narg\n");
                assert!(seconds > 0.0);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nonzero_exit_is_a_failure_with_stderr_excerpt() {
        let s = script("bad.sh", "echo 'boom: it broke' >&2; exit 3\n");
        match run_once(&sh(), &s, &[], Path::new("/"), Duration::from_secs(20)) {
            Outcome::Failed(reason) => assert!(reason.contains("boom: it broke"), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_interpreter_is_a_failure() {
        let interp = Interpreter { label: "x".into(), program: Ok(PathBuf::from("/nonexistent/interp")), args: vec![] };
        let s = script("any.sh", "true\n");
        assert!(matches!(run_once(&interp, &s, &[], Path::new("/"), Duration::from_secs(5)), Outcome::Failed(_)));
    }

    #[test]
    fn timeout_kills_the_process() {
        let s = script("slow.sh", "exec sleep 30\n");
        let start = Instant::now();
        match run_once(&sh(), &s, &[], Path::new("/"), Duration::from_millis(300)) {
            Outcome::Failed(reason) => assert!(reason.contains("timed out"), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn stderr_summary_takes_first_nonempty_line() {
        assert_eq!(summarize_stderr("\n  \nfirst\nsecond\n"), "first");
        assert_eq!(summarize_stderr(""), "");
    }
}
