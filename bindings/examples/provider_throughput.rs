//! Hook throughput with provider calls in the loop: `auth_on_register`
//! through the engine, with a script doing one Redis `GET` and one
//! PostgreSQL `SELECT` per call, driven by C concurrent callers; prints
//! calls/s and latency percentiles. With `--ceiling` it also runs the
//! servers' own benchmarks with the same concurrency, as the ceiling:
//! `redis-benchmark -t get` and `pgbench -S`-style SELECTs of the same row
//! shape (`pgbench -f` with the script's query).
//!
//! Needs the servers of `.ci/services.sh` (connection variables from the
//! environment or `target/services.env`).
//!
//! ```text
//! cargo run --release -p oxilua-vmq --example provider_throughput -- \
//!     [--concurrency C] [--seconds S] [--states N] [--pool P] [--mode redis+pg|redis|pg|none] [--ceiling]
//! ```
//! `--states` is the script's number of Lua states (default C), `--pool`
//! the size of each provider pool (default C). `--mode none` runs the same
//! hook without provider calls (the engine's own cost).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxilua_vmq::config::Config;
use oxilua_vmq::engine::Engine;
use oxilua_vmq::hooks::{Hook, HookArgs, HookResult, WebhookOptions};
use oxilua_vmq::providers::{Providers, ProvidersConfig};
use oxilua_vmq::pvalue::PValue;

const USERS: usize = 1000;

struct Opts {
    concurrency: usize,
    seconds: f64,
    states: Option<usize>,
    pool: Option<usize>,
    mode: String,
    ceiling: bool,
}

fn parse_opts() -> Opts {
    let mut o = Opts { concurrency: 16, seconds: 5.0, states: None, pool: None, mode: "redis+pg".into(), ceiling: false };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().unwrap_or_else(|| die(&format!("{name} needs a value")));
        match a.as_str() {
            "--concurrency" | "-c" => o.concurrency = num(&val("--concurrency")),
            "--seconds" | "-s" => o.seconds = val("--seconds").parse().unwrap_or_else(|_| die("bad --seconds")),
            "--states" => o.states = Some(num(&val("--states"))),
            "--pool" => o.pool = Some(num(&val("--pool"))),
            "--mode" => o.mode = val("--mode"),
            "--ceiling" => o.ceiling = true,
            "-h" | "--help" => {
                println!(
                    "provider_throughput [--concurrency C] [--seconds S] [--states N] [--pool P] \
                     [--mode redis+pg|redis|pg|none] [--ceiling]"
                );
                std::process::exit(0);
            }
            other => die(&format!("unknown argument {other}")),
        }
    }
    if !["redis+pg", "redis", "pg", "none"].contains(&o.mode.as_str()) {
        die("--mode must be redis+pg, redis, pg or none");
    }
    o
}

fn num(s: &str) -> usize {
    s.parse().ok().filter(|n| *n > 0).unwrap_or_else(|| die(&format!("not a positive number: {s}")))
}

fn die(msg: &str) -> ! {
    eprintln!("provider_throughput: {msg}");
    std::process::exit(2)
}

/// `OXILUA_TEST_<name>` from the environment or target/services.env.
fn service(name: &str) -> HashMap<String, String> {
    let var = format!("OXILUA_TEST_{name}");
    let value = std::env::var(&var).ok().or_else(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/services.env");
        let text = std::fs::read_to_string(path).ok()?;
        text.lines().find_map(|l| {
            let l = l.trim().trim_start_matches("export ");
            l.strip_prefix(&format!("{var}=")).map(|v| v.trim_matches('\'').trim_matches('"').to_string())
        })
    });
    let value = value.unwrap_or_else(|| die(&format!("{var} not set: run .ci/services.sh first")));
    value.split_whitespace().filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect()
}

const SCRIPT: &str = r#"
-- one Redis GET and one PostgreSQL SELECT per auth_on_register
local MODE = "@MODE@"
postgres.ensure_pool({ pool_id = "thr_pg" })
redis.ensure_pool({ pool_id = "thr_redis" })

function auth_on_register(reg)
  local user = reg.username
  local ok = true
  if MODE == "redis+pg" or MODE == "redis" then
    local v = redis.cmd("thr_redis", "get", "thr:" .. user)
    ok = ok and v == "v-" .. user
  end
  if MODE == "redis+pg" or MODE == "pg" then
    local rows = postgres.execute("thr_pg",
      "SELECT password FROM thr_users WHERE username = $1", user)
    ok = ok and type(rows) == "table" and rows[1] ~= nil and rows[1].password == reg.password
  end
  if MODE == "none" then
    ok = reg.password == "pw-" .. user
  end
  return ok
end

hooks = { auth_on_register = auth_on_register }
"#;

fn seed(pg: &HashMap<String, String>, redis: &HashMap<String, String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let p = Providers::new(ProvidersConfig::vernemq_defaults());
    let call = |m: &str, f: &str, a: Vec<PValue>| rt.block_on(p.call(m, f, &a)).unwrap_or_else(|e| die(&format!("seeding: {e}")));
    let s = |x: &str| PValue::str(x);
    call(
        "postgres",
        "ensure_pool",
        vec![PValue::map([
            ("pool_id", s("seed")),
            ("host", s(&pg["host"])),
            ("port", PValue::Num(pg["port"].parse().unwrap())),
            ("user", s(&pg["user"])),
            ("password", s(&pg["password"])),
            ("database", s(&pg["dbname"])),
        ])],
    );
    let mut redis_cfg = vec![
        ("pool_id", s("seed")),
        ("host", s(&redis["host"])),
        ("port", PValue::Num(redis["port"].parse().unwrap())),
        ("password", s(&redis["password"])),
    ];
    if let Some(u) = redis.get("user") {
        redis_cfg.push(("user", s(u)));
    }
    call("redis", "ensure_pool", vec![PValue::map(redis_cfg)]);
    call(
        "postgres",
        "execute",
        vec![s("seed"), s("CREATE TABLE IF NOT EXISTS thr_users (username varchar(64) PRIMARY KEY, password varchar(64) NOT NULL)")],
    );
    call("postgres", "execute", vec![s("seed"), s("DELETE FROM thr_users")]);
    call(
        "postgres",
        "execute",
        vec![
            s("seed"),
            s("INSERT INTO thr_users SELECT 'u' || i, 'pw-u' || i FROM generate_series(0, $1::int - 1) AS i"),
            PValue::Num(USERS as f64),
        ],
    );
    for i in 0..USERS {
        call("redis", "cmd", vec![s("seed"), s("set"), s(&format!("thr:u{i}")), s(&format!("v-u{i}"))]);
    }
}

fn conf(o: &Opts, pg: &HashMap<String, String>, redis: &HashMap<String, String>, script: &std::path::Path) -> Config {
    let states = o.states.unwrap_or(o.concurrency);
    let pool = o.pool.unwrap_or(o.concurrency);
    let mut text = format!(
        "vmq_diversity.throughput.file = {}\n\
         vmq_diversity.nr_lua_states = {states}\n\
         vmq_diversity.postgres.host = {}\n\
         vmq_diversity.postgres.port = {}\n\
         vmq_diversity.postgres.user = {}\n\
         vmq_diversity.postgres.password = {}\n\
         vmq_diversity.postgres.database = {}\n\
         vmq_diversity.postgres.pool_size = {pool}\n\
         vmq_diversity.redis.host = {}\n\
         vmq_diversity.redis.port = {}\n\
         vmq_diversity.redis.password = {}\n\
         vmq_diversity.redis.pool_size = {pool}\n",
        script.display(),
        pg["host"],
        pg["port"],
        pg["user"],
        pg["password"],
        pg["dbname"],
        redis["host"],
        redis["port"],
        redis["password"],
    );
    if let Some(u) = redis.get("user") {
        text.push_str(&format!("vmq_diversity.redis.user = {u}\n"));
    }
    Config::from_conf(&text, "throughput.conf").unwrap_or_else(|e| die(&e.to_string()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let o = parse_opts();
    let pg = service("PG");
    let redis = service("REDIS");
    seed(&pg, &redis);

    let dir = std::env::temp_dir().join(format!("oxilua-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("throughput.lua");
    std::fs::write(&script, SCRIPT.replace("@MODE@", &o.mode)).unwrap();
    let cfg = conf(&o, &pg, &redis, &script);
    let engine = Arc::new(Engine::from_config(&cfg));
    if let Some(e) = engine.load_errors().first() {
        die(&e.to_string());
    }
    let states = engine.scripts()[0].num_states;

    let args: Vec<HookArgs> = (0..USERS)
        .map(|i| {
            let body = serde_json::json!({
                "peer_addr": "127.0.0.1", "peer_port": 40000 + i, "mountpoint": "",
                "client_id": format!("thr-c{i}"), "username": format!("u{i}"),
                "password": format!("pw-u{i}"), "clean_session": true
            });
            HookArgs::from_webhook(Hook::AuthOnRegister, &body, WebhookOptions::default()).unwrap()
        })
        .collect();
    let args = Arc::new(args);

    // warm-up: fill the pools, check that the answers are right
    for a in args.iter().take(64) {
        let r = engine.call_hook(Hook::AuthOnRegister, a);
        if r != HookResult::Ok {
            die(&format!("warm-up call answered {r:?}"));
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let all: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let threads: Vec<_> = (0..o.concurrency)
        .map(|t| {
            let (engine, args, stop, failures, all) = (engine.clone(), args.clone(), stop.clone(), failures.clone(), all.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(100_000);
                let mut i = t * 7919;
                while !stop.load(Ordering::Relaxed) {
                    let a = &args[i % USERS];
                    i += 1;
                    let t0 = Instant::now();
                    let r = engine.call_hook(Hook::AuthOnRegister, a);
                    lat.push(t0.elapsed());
                    if r != HookResult::Ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                all.lock().unwrap().extend(lat);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(o.seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = started.elapsed();
    let mut lat = std::mem::take(&mut *all.lock().unwrap());
    lat.sort();
    let n = lat.len();
    println!(
        "engine auth_on_register [{}]: C={} states={} pool={} calls={} failures={} in {:.2}s -> {:.0} calls/s, \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        o.mode,
        o.concurrency,
        states,
        o.pool.unwrap_or(o.concurrency),
        n,
        failures.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );

    if o.ceiling {
        ceiling(&o, &pg, &redis, &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The servers' own rates with the same concurrency.
fn ceiling(o: &Opts, pg: &HashMap<String, String>, redis: &HashMap<String, String>, dir: &std::path::Path) {
    let c = o.concurrency.to_string();
    let secs = (o.seconds.ceil() as u64).max(1).to_string();
    // redis-benchmark: GET of a 3-byte value, C clients
    let mut cmd = Command::new("redis-benchmark");
    cmd.args(["-h", &redis["host"], "-p", &redis["port"], "-c", &c, "-n", "200000", "-t", "get", "-d", "5", "-q"]);
    if let Some(u) = redis.get("user") {
        cmd.args(["--user", u]);
    }
    cmd.args(["-a", &redis["password"]]);
    run_ceiling("redis-benchmark -t get", cmd);

    // pgbench: the script's SELECT, C clients over 2 threads
    let sql = dir.join("select.sql");
    std::fs::write(&sql, format!("\\set n random(0, {})\nSELECT password FROM thr_users WHERE username = 'u' || :n;\n", USERS - 1))
        .unwrap();
    let mut cmd = Command::new("pgbench");
    cmd.args([
        "-n",
        "-M",
        "prepared",
        "-c",
        &c,
        "-j",
        "2",
        "-T",
        &secs,
        "-f",
        &sql.display().to_string(),
        "-h",
        &pg["host"],
        "-p",
        &pg["port"],
        "-U",
        &pg["user"],
        &pg["dbname"],
    ]);
    cmd.env("PGPASSWORD", &pg["password"]);
    run_ceiling("pgbench (same SELECT, prepared)", cmd);
}

fn run_ceiling(what: &str, mut cmd: Command) {
    match cmd.output() {
        Err(e) => println!("{what}: not run ({e})"),
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let lines: Vec<&str> = text
                .lines()
                .map(|l| l.rsplit('\r').next().unwrap_or(l).trim())
                .filter(|l| {
                    l.contains("requests per second") || l.starts_with("tps") || l.starts_with("latency average") || l.contains("p50")
                })
                .collect();
            if lines.is_empty() || !out.status.success() {
                println!("{what}: failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
            } else {
                for l in lines {
                    println!("{what}: {l}");
                }
            }
        }
    }
}
