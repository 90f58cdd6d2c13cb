//! The `serve` and `bench-serve` subcommands of the `oxilua-vmq` binary.
//!
//! ```text
//! oxilua-vmq serve [--config FILE] [--script FILE ...] [--listen ADDR]
//!                  [--no-base64] [--cache-max-age SECS] [-v]
//! ```
//!
//! Logs go to standard error through `tracing` (`RUST_LOG` filter syntax,
//! default `info`, `-v` = `debug`). The first log line after loading is
//! `listening on ADDR`. SIGHUP reloads the scripts; SIGTERM/SIGINT shut
//! down gracefully (exit 0; exit 1 if requests were still in flight after
//! the grace period; a second signal exits at once with 130).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use super::{loadgen, ServeOptions, Server, Sidecar};
use crate::config::Config;
use crate::engine::EngineOptions;

pub const SERVE_USAGE: &str = "  oxilua-vmq serve [--config FILE] [--script FILE ...] [--listen ADDR] [--no-base64]
                   [--cache-max-age SECS] [-v]
      vmq_webhooks HTTP server (POST with a vernemq-hook header; GET /metrics, GET /health);
      listens on vmq_diversity.webhooks.listen (default 127.0.0.1:8888);
      SIGHUP reloads the scripts, SIGTERM/SIGINT shut down gracefully
  oxilua-vmq bench-serve [--target ADDR | --config FILE --script FILE ...] [--connections N]
                   [--requests N] [--duration SECS]
      load generator: concurrent keep-alive connections sending auth_on_register and
      auth_on_publish for bindings/examples/plugin.lua; checks every response";

/// Parsed `serve` options.
#[derive(Debug, Default)]
pub struct ServeArgs {
    pub config: Option<PathBuf>,
    pub scripts: Vec<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub no_base64: bool,
    pub cache_max_age: Option<u32>,
    pub verbose: bool,
}

/// Takes an option `serve` does not know (name, its value on demand):
/// `Ok(true)` if it is one of the caller's.
type ExtraOption<'a> = &'a mut dyn FnMut(&str, &mut dyn FnMut() -> Option<String>) -> Result<bool, String>;

/// Parse `serve`'s arguments (also used by `bench-serve`, which adds its own).
fn parse(args: &[String], extra: ExtraOption<'_>) -> Result<ServeArgs, String> {
    let mut a = ServeArgs::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg, None),
        };
        let mut inline = inline;
        let mut value = || -> Option<String> {
            if let Some(v) = inline.take() {
                return Some(v);
            }
            let v = args.get(i).cloned();
            i += 1;
            v
        };
        let need = |v: Option<String>| v.ok_or_else(|| format!("{name} needs a value"));
        match name {
            "--config" => a.config = Some(need(value())?.into()),
            "--script" => a.scripts.push(need(value())?.into()),
            "--listen" => {
                let v = need(value())?;
                a.listen = Some(v.parse().map_err(|e| format!("--listen {v:?}: {e} (expected IP:PORT)"))?);
            }
            "--cache-max-age" => {
                let v = need(value())?;
                a.cache_max_age = Some(v.parse().map_err(|_| format!("--cache-max-age {v:?}: expected seconds"))?);
            }
            "--no-base64" => a.no_base64 = true,
            "-v" | "--verbose" => a.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            other => {
                if !extra(other, &mut value)? {
                    return Err(format!("unknown argument {other:?}"));
                }
            }
        }
    }
    Ok(a)
}

fn init_logs(verbose: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(f) if !f.trim().is_empty() => EnvFilter::new(f),
        _ => EnvFilter::new(if verbose { "debug" } else { "info" }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The configuration, the script list and the options of a parsed command line.
fn setup(a: &ServeArgs) -> Result<(Vec<PathBuf>, EngineOptions, ServeOptions), String> {
    let cfg = match &a.config {
        Some(p) => Config::load(p).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    let mut paths = cfg.script_paths();
    paths.extend(a.scripts.iter().cloned());
    if paths.is_empty() {
        return Err("no scripts (give --script FILE or a --config with scripts)".into());
    }
    let mut opts = ServeOptions::from_config(&cfg);
    if let Some(l) = a.listen {
        opts.listen = l;
    }
    if a.no_base64 {
        opts.webhook.base64 = false;
    }
    if let Some(n) = a.cache_max_age {
        opts.cache_max_age = Some(n).filter(|n| *n > 0);
    }
    Ok((paths, EngineOptions::from_config(&cfg), opts))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("oxilua-vmq")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// `oxilua-vmq serve ...`
pub fn serve_main(args: &[String]) -> ExitCode {
    let a = match parse(args, &mut |_, _| Ok(false)) {
        Ok(a) => a,
        Err(m) if m.is_empty() => {
            println!("usage:\n{SERVE_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(m) => {
            eprintln!("oxilua-vmq serve: {m}\nusage:\n{SERVE_USAGE}");
            return ExitCode::from(2);
        }
    };
    init_logs(a.verbose);
    let (paths, engine_opts, opts) = match setup(&a) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("oxilua-vmq serve: {m}");
            return ExitCode::from(2);
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(m) => {
            eprintln!("oxilua-vmq serve: {m}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(serve(paths, engine_opts, opts))
}

async fn serve(paths: Vec<PathBuf>, engine_opts: EngineOptions, opts: ServeOptions) -> ExitCode {
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(m) => {
            tracing::error!(target: "oxilua_vmq::serve", "{m}");
            return ExitCode::from(1);
        }
    };
    let sidecar = Sidecar::load(paths, engine_opts, opts).await;
    {
        let engine = sidecar.engine();
        tracing::info!(
            target: "oxilua_vmq::serve",
            scripts = engine.scripts().len(),
            failed = engine.load_errors().len(),
            "scripts loaded"
        );
        if engine.scripts().is_empty() {
            tracing::error!(target: "oxilua_vmq::serve", "no script loaded: every hook answers next until a reload succeeds");
        }
    }
    let listen = sidecar.options().listen;
    let server = match Server::bind(sidecar.clone()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(target: "oxilua_vmq::serve", "cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(target: "oxilua_vmq::serve", "listening on {}", server.local_addr());
    wait_and_stop(server, signals).await
}

/// The shutdown and reload signals, installed before anything is logged
/// so that a signal sent right after `listening on` is never missed.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Result<Signals, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let e = |e: std::io::Error| format!("cannot install the signal handlers: {e}");
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(e)?,
            int: signal(SignalKind::interrupt()).map_err(e)?,
            hup: signal(SignalKind::hangup()).map_err(e)?,
        })
    }
}

#[cfg(unix)]
async fn wait_and_stop(server: Server, mut sig: Signals) -> ExitCode {
    loop {
        tokio::select! {
            _ = sig.term.recv() => { tracing::info!(target: "oxilua_vmq::serve", "SIGTERM: shutting down"); break; }
            _ = sig.int.recv() => { tracing::info!(target: "oxilua_vmq::serve", "SIGINT: shutting down"); break; }
            _ = sig.hup.recv() => {
                tracing::info!(target: "oxilua_vmq::serve", "SIGHUP: reloading the scripts");
                let sc = server.sidecar().clone();
                // reload in the background: requests keep being answered meanwhile
                tokio::spawn(async move { sc.reload().await });
            }
        }
    }
    tokio::select! {
        clean = server.shutdown() => finished(clean),
        _ = sig.term.recv() => forced(),
        _ = sig.int.recv() => forced(),
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Result<Signals, String> {
        Ok(Signals)
    }
}

#[cfg(not(unix))]
async fn wait_and_stop(server: Server, _sig: Signals) -> ExitCode {
    if tokio::signal::ctrl_c().await.is_err() {
        tracing::error!(target: "oxilua_vmq::serve", "cannot wait for Ctrl-C");
    }
    tracing::info!(target: "oxilua_vmq::serve", "interrupted: shutting down");
    tokio::select! {
        clean = server.shutdown() => finished(clean),
        _ = tokio::signal::ctrl_c() => forced(),
    }
}

fn finished(clean: bool) -> ExitCode {
    if clean {
        tracing::info!(target: "oxilua_vmq::serve", "stopped");
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn forced() -> ExitCode {
    tracing::warn!(target: "oxilua_vmq::serve", "second signal: exiting without waiting");
    ExitCode::from(130)
}

/// `oxilua-vmq bench-serve ...`
pub fn bench_main(args: &[String]) -> ExitCode {
    let mut bench = loadgen::LoadOptions::default();
    let mut target: Option<SocketAddr> = None;
    let parsed = parse(args, &mut |name, value| {
        let mut num = |what: &str| -> Result<u64, String> {
            let v = value().ok_or_else(|| format!("{what} needs a value"))?;
            v.parse().map_err(|_| format!("{what} {v:?}: expected a number"))
        };
        match name {
            "--connections" | "-c" => bench.connections = num("--connections")?.max(1) as usize,
            "--requests" | "-n" => bench.requests = num("--requests")?,
            "--duration" => bench.duration = Some(std::time::Duration::from_secs(num("--duration")?)),
            "--target" => {
                let v = value().ok_or("--target needs an address")?;
                target = Some(v.parse().map_err(|e| format!("--target {v:?}: {e}"))?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    });
    let a = match parsed {
        Ok(a) => a,
        Err(m) if m.is_empty() => {
            println!("usage:\n{SERVE_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(m) => {
            eprintln!("oxilua-vmq bench-serve: {m}\nusage:\n{SERVE_USAGE}");
            return ExitCode::from(2);
        }
    };
    init_logs(a.verbose);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(m) => {
            eprintln!("oxilua-vmq bench-serve: {m}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let (addr, server) = match target {
            Some(t) => (t, None),
            None => {
                let (paths, engine_opts, mut opts) = match setup(&a) {
                    Ok(s) => s,
                    Err(m) => {
                        eprintln!("oxilua-vmq bench-serve: {m} (or --target ADDR of a running server)");
                        return ExitCode::from(2);
                    }
                };
                opts.listen = a.listen.unwrap_or_else(|| "127.0.0.1:0".parse().expect("address"));
                let sidecar = Sidecar::load(paths, engine_opts, opts).await;
                for e in sidecar.engine().load_errors() {
                    eprintln!("oxilua-vmq bench-serve: {e}");
                }
                match Server::bind(sidecar).await {
                    Ok(s) => (s.local_addr(), Some(s)),
                    Err(e) => {
                        eprintln!("oxilua-vmq bench-serve: cannot listen: {e}");
                        return ExitCode::from(1);
                    }
                }
            }
        };
        bench.base64 = !a.no_base64;
        let report = loadgen::run(addr, &bench).await;
        if let Some(s) = server {
            s.shutdown().await;
        }
        match report {
            Ok(r) => {
                println!("{r}");
                if r.wrong == 0 && r.failed == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("oxilua-vmq bench-serve: {e}");
                ExitCode::from(1)
            }
        }
    })
}
