//! `compare`: run the benchmark programs under oxilua, lua5.2 and LuaJIT
//! and print median times and ratios to lua5.2. See `benches/README.md`.

use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use oxilua_benches::cli::{self, Options, USAGE};
use oxilua_benches::diff::first_difference;
use oxilua_benches::interpreters::{self, Interpreter, BASELINE};
use oxilua_benches::programs::{self, Program};
use oxilua_benches::report::{Cell, Row, Table};
use oxilua_benches::runner::{run_once, Outcome};

fn benches_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root(benches: &Path) -> PathBuf {
    benches.parent().map(Path::to_path_buf).unwrap_or_else(|| benches.to_path_buf())
}

fn describe(interp: &Interpreter) -> String {
    match &interp.program {
        Ok(p) if interp.args.is_empty() => p.display().to_string(),
        Ok(p) => format!("{} {}", p.display(), interp.args.join(" ")),
        Err(reason) => format!("unavailable: {reason}"),
    }
}

/// `--write-expected`: regenerate the expected outputs with lua5.2.
fn write_expected(opts: &Options, benches: &Path, selected: &[Program]) -> ExitCode {
    let interps = interpreters::discover(Err("not needed".into()), opts.install);
    let Some(lua) = interps.iter().find(|i| i.label == BASELINE && i.is_available()) else {
        eprintln!("error: {BASELINE} is needed to write expected outputs but is unavailable");
        return ExitCode::from(2);
    };
    let timeout = Duration::from_secs_f64(opts.timeout_secs);
    let mut ok = true;
    for p in selected {
        match run_once(lua, &p.script(benches), &[], &workspace_root(benches), timeout) {
            Outcome::Finished { stdout, seconds } => {
                let path = p.expected(benches);
                match fs::write(&path, stdout) {
                    Ok(()) => println!("wrote {} ({seconds:.2}s)", path.display()),
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", path.display());
                        ok = false;
                    }
                }
            }
            Outcome::Failed(reason) => {
                eprintln!("error: {BASELINE} failed on {}: {reason}", p.name);
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one program under every interpreter, round-robin, and turns the
/// runs into one table row.
fn measure(program: &Program, interps: &[Interpreter], opts: &Options, benches: &Path, notes: &mut Vec<String>) -> Row {
    let script = program.script(benches);
    let args = program.size.args(opts.size_scale);
    let cwd = workspace_root(benches);
    let timeout = Duration::from_secs_f64(opts.timeout_secs);

    // Outputs of every successful run, or the reason of the first failure.
    let mut runs: Vec<Vec<(f64, String)>> = vec![Vec::new(); interps.len()];
    let mut failed: Vec<Option<String>> = vec![None; interps.len()];

    eprint!("{:<14}", program.name);
    for round in 0..opts.runs {
        for (i, interp) in interps.iter().enumerate() {
            if failed[i].is_some() {
                continue; // a failing interpreter is not retried
            }
            match run_once(interp, &script, &args, &cwd, timeout) {
                Outcome::Finished { seconds, stdout } => {
                    if opts.verbose {
                        eprint!("\n  run {}: {:<13} {seconds:.3}s", round + 1, interp.label);
                    }
                    runs[i].push((seconds, stdout));
                }
                Outcome::Failed(reason) => {
                    if opts.verbose {
                        eprint!("\n  run {}: {:<13} failed", round + 1, interp.label);
                    }
                    failed[i] = Some(reason);
                }
            }
        }
        if !opts.verbose {
            eprint!(".");
        }
        let _ = std::io::stderr().flush();
    }
    eprintln!();

    // What the output should be: benches/expected at the default size; at
    // other sizes, whatever lua5.2 printed in its first run.
    let baseline = interps.iter().position(|i| i.label == BASELINE);
    let lua_output = baseline.and_then(|b| runs[b].first()).map(|(_, out)| out.clone());
    let reference: Option<String> = if opts.size_scale == 1.0 {
        match fs::read_to_string(program.expected(benches)) {
            Ok(text) => Some(text),
            Err(e) => {
                notes.push(format!(
                    "{}: cannot read {} ({e}); checking against {BASELINE}'s output instead",
                    program.name,
                    program.expected(benches).display()
                ));
                lua_output
            }
        }
    } else {
        lua_output
    };
    if reference.is_none() {
        notes.push(format!("{}: output not checked (no reference output)", program.name));
    }

    let cells = (0..interps.len())
        .map(|i| {
            if let Some(reason) = &failed[i] {
                return Cell::Failed(reason.clone());
            }
            if let Some(expected) = &reference {
                for (_, out) in &runs[i] {
                    if let Some(m) = first_difference(expected, out) {
                        return Cell::Wrong(m);
                    }
                }
            }
            Cell::Times(runs[i].iter().map(|(t, _)| *t).collect())
        })
        .collect();
    Row { program: program.name.to_string(), cells }
}

fn main() -> ExitCode {
    let opts = match cli::parse(env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if opts.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let benches = benches_dir();
    let selected = programs::select(opts.filter.as_deref());
    if selected.is_empty() {
        let names: Vec<&str> = programs::PROGRAMS.iter().map(|p| p.name).collect();
        eprintln!("error: no program matches the filter; programs: {}", names.join(", "));
        return ExitCode::from(2);
    }
    if opts.write_expected {
        return write_expected(&opts, &benches, &selected);
    }

    let oxilua = interpreters::locate_oxilua(opts.oxilua.as_deref(), &workspace_root(&benches));
    let mut interps = Vec::new();
    let mut notes = Vec::new();
    println!("{} programs, {} runs each (round-robin), size scale {}", selected.len(), opts.runs, opts.size_scale);
    for interp in interpreters::discover(oxilua, opts.install) {
        println!("  {:<13} {}", interp.label, describe(&interp));
        // oxilua always gets a column (shown as fail if missing); a missing
        // reference interpreter is reported and left out.
        if interp.is_available() || interp.label == "oxilua" {
            interps.push(interp);
        }
    }
    if !interps.iter().any(|i| i.label == BASELINE) {
        notes.push(format!("{BASELINE} is unavailable: no ratios can be computed"));
    }
    println!();

    let rows: Vec<Row> = selected.iter().map(|p| measure(p, &interps, &opts, &benches, &mut notes)).collect();

    let table = Table {
        labels: interps.iter().map(|i| i.label.clone()).collect(),
        baseline: interps.iter().position(|i| i.label == BASELINE),
        rows,
    };
    print!("{}", table.render());
    if !notes.is_empty() {
        println!("\nnotes:");
        for n in &notes {
            println!("  {n}");
        }
    }
    if table.any_wrong() {
        println!("\nsome interpreter printed WRONG OUTPUT (see problems above)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
