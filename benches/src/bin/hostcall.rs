//! Runs one host→Lua call shape of the `hooks` bench in a loop, for
//! profilers (`valgrind --tool=callgrind`, `perf`) and quick timings:
//!
//! ```sh
//! cargo run --release -p oxilua-benches --bin hostcall -- SHAPE [ITERATIONS]
//! ```
//!
//! SHAPE is `publish` (the 7-field table call), `modifiers`, `bare`,
//! `table` (building the 7-field table only), `empty-table` (creating it
//! only) or `state`. Prints the mean time per iteration (a rough figure: use the
//! criterion bench for numbers to quote).

use oxilua_benches::hostcall::{self, Hooks, SAMPLE};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(shape) = args.first() else {
        eprintln!("usage: hostcall publish|modifiers|bare|table|empty-table|state [ITERATIONS]");
        std::process::exit(2);
    };
    let n: u64 = match args.get(1).map(|s| s.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("hostcall: ITERATIONS must be a number");
            std::process::exit(2);
        }
    };
    let h = Hooks::new().unwrap_or_else(|e| {
        eprintln!("hostcall: {e}");
        std::process::exit(1)
    });
    let t = Instant::now();
    let r: Result<(), oxilua::Error> = (|| {
        for _ in 0..n {
            match shape.as_str() {
                "publish" => {
                    black_box(h.publish_accept(black_box(&SAMPLE))?);
                }
                "modifiers" => {
                    black_box(h.publish_modifiers(black_box(&SAMPLE))?);
                }
                "bare" => h.bare()?,
                "table" => {
                    black_box(hostcall::publish_table(&h.lua, black_box(&SAMPLE))?);
                }
                "empty-table" => {
                    black_box(h.lua.create_table_with_capacity(0, 7)?);
                }
                "state" => {
                    black_box(hostcall::new_state_kib()?);
                }
                other => {
                    eprintln!("hostcall: unknown shape {other:?}");
                    std::process::exit(2);
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        eprintln!("hostcall: {e}");
        std::process::exit(1);
    }
    let per = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
    println!("{shape}: {n} iterations, {per:.0} ns each");
}
