//! Per-hook costs of the embedding API and of the VerneMQ engine.
//!
//! `cargo bench -p oxilua-benches --bench hooks [-- FILTER]`; see
//! `benches/README.md` for what each benchmark measures. After criterion's
//! own report a summary table is printed (medians, the targets of issue 4,
//! and the memory of a new state). The same hook through oxilua-vmq's
//! engine is the `engine` bench.

mod common;

use criterion::{black_box, Criterion};
use oxilua::prelude::*;
use oxilua_benches::criterion_summary::{self, workspace};
use oxilua_benches::hostcall::{self, Hooks, SAMPLE};
use std::time::{Duration, SystemTime};

fn api_benches(c: &mut Criterion) {
    let h = Hooks::new().expect("hook functions");
    c.bench_function("hook [auth_on_publish]", |b| b.iter(|| black_box(h.publish_accept(black_box(&SAMPLE)).expect("call"))));
    c.bench_function("hook [auth_on_publish] modifiers", |b| b.iter(|| black_box(h.publish_modifiers(black_box(&SAMPLE)).expect("call"))));
    c.bench_function("call [bare]", |b| b.iter(|| h.bare().expect("call")));
    c.bench_function("state [new]", |b| b.iter(|| black_box(Lua::new())));
}

fn phase_benches(c: &mut Criterion) {
    let ws = workspace();
    for (name, src, setup) in hostcall::phase_scripts(&ws).expect("bench scripts") {
        let chunkname = format!("@{name}").into_bytes();
        c.bench_function(&format!("parse [{name}]"), |b| {
            b.iter(|| {
                let mut names = lasso::Rodeo::default();
                black_box(oxilua::parser::parse(&src, &chunkname, &mut names).expect("parse"))
            })
        });
        let mut names = lasso::Rodeo::default();
        let ast = oxilua::parser::parse(&src, &chunkname, &mut names).expect("parse");
        c.bench_function(&format!("compile [{name}]"), |b| {
            b.iter(|| black_box(oxilua::compiler::compile_chunk(&ast, &names, &chunkname).expect("compile")))
        });
        let lua = Lua::new();
        lua.load(setup).exec().expect("setup");
        c.bench_function(&format!("load [{name}]"), |b| {
            b.iter(|| black_box(lua.load(&src[..]).set_name(name).into_function().expect("load")))
        });
        let f = lua.load(&src[..]).set_name(name).into_function().expect("load");
        c.bench_function(&format!("execute [{name}]"), |b| b.iter(|| f.call::<()>(()).expect("execute")));
    }
}

fn summary(since: SystemTime) {
    let rows = criterion_summary::results(&criterion_summary::criterion_dir(), since);
    if rows.is_empty() {
        return;
    }
    let targets = [("hook [auth_on_publish]", 250.0), ("call [bare]", 60.0)];
    println!("\n{}", criterion_summary::render(&rows, &targets));
    if rows.iter().any(|(id, _)| id == "state [new]") {
        match hostcall::new_state_kib() {
            Ok((_, kib)) => println!("new state with the standard library: collectgarbage(\"count\") = {kib:.1} KiB"),
            Err(e) => println!("new state: {e}"),
        }
    }
}

fn main() {
    let since = SystemTime::now() - Duration::from_secs(1);
    let mut c = common::criterion();
    api_benches(&mut c);
    phase_benches(&mut c);
    c.final_summary();
    summary(since);
}
