//! `oxilua-vmq`: run VerneMQ `vmq_diversity` scripts on oxilua.
//!
//! ```text
//! oxilua-vmq call [--config FILE] [--script FILE ...] [--no-base64] [-v] HOOK 'JSON'
//! oxilua-vmq call [--config FILE] [--script FILE ...] [--no-base64] [-v] -
//! oxilua-vmq serve [--config FILE] [--script FILE ...] [--listen ADDR] ...
//! oxilua-vmq bench-serve [--target ADDR | --script FILE ...] [--connections N] ...
//! ```
//!
//! `serve` and `bench-serve`: see `oxilua_vmq::serve` (the webhook sidecar
//! and its load generator).
//!
//! `call HOOK JSON` runs one hook with a `vmq_webhooks` request body and
//! prints the webhook response as one JSON line. With `-`, standard input
//! holds one request per line, `{"hook": "...", "body": {...}}`, each
//! answered by one line in the same process (script states, `kv` and
//! `auth_cache` persist between lines); a bad line is answered with
//! `{"error": "line N: ..."}`.
//!
//! Scripts: those of `--config` (a `vernemq.conf` or TOML file, in
//! VerneMQ's load order), then every `--script` in the order given. Load
//! failures are reported on standard error (file and line) and the other
//! scripts still serve. Script output (`print`) and logs (`log.*`, script
//! errors; `-v` adds debug) go to standard error.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use oxilua_vmq::config::Config;
use oxilua_vmq::engine::{Engine, EngineOptions};
use oxilua_vmq::hooks::WebhookOptions;
use serde_json::{json, Value as Json};

const USAGE: &str = "usage:
  oxilua-vmq call [--config FILE] [--script FILE ...] [--no-base64] [-v] HOOK 'JSON'
  oxilua-vmq call [--config FILE] [--script FILE ...] [--no-base64] [-v] -

  HOOK 'JSON'  run one hook with a vmq_webhooks request body, print the response
  -            read lines {\"hook\": \"...\", \"body\": {...}} from standard input,
               answer each on its own line (one process: state, kv, auth_cache persist)
  --config     vernemq.conf (vmq_diversity.* keys) or the TOML equivalent
  --script     a Lua script (repeatable; loaded after the configuration's scripts)
  --no-base64  payloads are not base64 in requests and responses
  -v           debug logs on standard error";

struct CallArgs {
    config: Option<PathBuf>,
    scripts: Vec<PathBuf>,
    no_base64: bool,
    verbose: bool,
    rest: Vec<String>,
}

fn parse_call(args: &[String]) -> Result<CallArgs, String> {
    let mut c = CallArgs { config: None, scripts: Vec::new(), no_base64: false, verbose: false, rest: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value =
            |name: &str| -> Result<PathBuf, String> { it.next().map(PathBuf::from).ok_or_else(|| format!("{name} needs a file")) };
        match a.as_str() {
            "--config" => c.config = Some(value("--config")?),
            "--script" => c.scripts.push(value("--script")?),
            "--no-base64" => c.no_base64 = true,
            "-v" | "--verbose" => c.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--config=") => c.config = Some(PathBuf::from(&s[9..])),
            s if s.starts_with("--script=") => c.scripts.push(PathBuf::from(&s[9..])),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => c.rest.push(a.clone()),
        }
    }
    Ok(c)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("call") => call(&args[1..]),
        Some("serve") => oxilua_vmq::serve::cli::serve_main(&args[1..]),
        Some("bench-serve") => oxilua_vmq::serve::cli::bench_main(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}\n{}", oxilua_vmq::serve::cli::SERVE_USAGE);
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("oxilua-vmq: unknown command {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn call(args: &[String]) -> ExitCode {
    let c = match parse_call(args) {
        Ok(c) => c,
        Err(m) if m.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(m) => {
            eprintln!("oxilua-vmq call: {m}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    stderr_log::init(c.verbose);
    let cfg = match &c.config {
        Some(p) => match Config::load(p) {
            Ok(cfg) => cfg,
            Err(e) => {
                eprintln!("oxilua-vmq: {e}");
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    let mut paths = cfg.script_paths();
    paths.extend(c.scripts.iter().cloned());
    if paths.is_empty() {
        eprintln!("oxilua-vmq call: no scripts (give --script FILE or a --config with scripts)");
        return ExitCode::from(2);
    }
    let opts = WebhookOptions { base64: cfg.webhook.base64 && !c.no_base64 };
    // check the one-shot request before loading scripts
    let one_shot = match c.rest.as_slice() {
        [dash] if dash == "-" => None,
        [hook, body] => match serde_json::from_str::<Json>(body) {
            Ok(b) => Some((hook.clone(), b)),
            Err(e) => {
                eprintln!("oxilua-vmq call: request body (command line): invalid JSON: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("oxilua-vmq call: expected HOOK 'JSON' or -\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some((hook, _)) = &one_shot {
        if oxilua_vmq::hooks::Hook::from_name(hook).is_none() {
            eprintln!("oxilua-vmq call: unknown hook {hook:?}");
            return ExitCode::from(2);
        }
    }

    let engine = Engine::load(&paths, EngineOptions::from_config(&cfg));
    for e in engine.load_errors() {
        eprintln!("oxilua-vmq: {e}");
    }

    let stdout = std::io::stdout();
    match one_shot {
        Some((hook, body)) => match engine.call_webhook(&hook, &body, opts) {
            Ok(resp) => {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{resp}");
                let _ = out.flush();
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("oxilua-vmq call: {e}");
                ExitCode::from(2)
            }
        },
        None => {
            let stdin = std::io::stdin();
            for (i, line) in stdin.lock().split(b'\n').enumerate() {
                let n = i + 1;
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("oxilua-vmq call: reading standard input: {e}");
                        return ExitCode::from(1);
                    }
                };
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                let resp = answer_line(&engine, text, opts).unwrap_or_else(|e| json!({ "error": format!("line {n}: {e}") }));
                let mut out = stdout.lock();
                if writeln!(out, "{resp}").and_then(|()| out.flush()).is_err() {
                    return ExitCode::from(1);
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn answer_line(engine: &Engine, line: &str, opts: WebhookOptions) -> Result<Json, String> {
    let req: Json = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let hook = req.get("hook").and_then(Json::as_str).ok_or("expected {\"hook\": \"...\", \"body\": {...}}: no \"hook\" string")?;
    let body = req.get("body").ok_or("expected {\"hook\": \"...\", \"body\": {...}}: no \"body\"")?;
    engine.call_webhook(hook, body, opts)
}

/// A minimal `tracing` subscriber: events as lines on standard error.
mod stderr_log {
    use std::fmt::Write as _;
    use std::io::Write as _;
    use tracing::field::{Field, Visit};
    use tracing::{Event, Level, Metadata, Subscriber};

    struct Stderr {
        max: Level,
    }

    struct Line(String, String);

    impl Visit for Line {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                let _ = write!(self.0, "{value:?}");
            } else {
                let _ = write!(self.1, " {}={value:?}", field.name());
            }
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "message" {
                self.0.push_str(value);
            } else {
                let _ = write!(self.1, " {}={value}", field.name());
            }
        }
    }

    impl Subscriber for Stderr {
        fn enabled(&self, m: &Metadata<'_>) -> bool {
            *m.level() <= self.max
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, e: &Event<'_>) {
            let mut l = Line(String::new(), String::new());
            e.record(&mut l);
            let m = e.metadata();
            let _ = writeln!(std::io::stderr().lock(), "{} {}:{} {}", m.level(), m.target(), l.1, l.0);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    pub fn init(verbose: bool) {
        let max = if verbose { Level::DEBUG } else { Level::INFO };
        let _ = tracing::subscriber::set_global_default(Stderr { max });
    }
}
