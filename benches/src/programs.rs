//! The benchmark programs and how their size argument scales.

use std::path::{Path, PathBuf};

/// How a program's size argument relates to the amount of work, so that
/// `--size-scale F` can ask for roughly F times the default work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    /// Work is proportional to the argument.
    Linear { default: u64 },
    /// Work grows like argument^exponent (e.g. 2 for an n x n grid).
    Power { default: u64, exponent: f64 },
    /// Each +1 on the argument multiplies the work by `growth`.
    Exponential { default: u64, growth: f64 },
    /// A fixed first argument followed by a second one that is linear in
    /// work (fannkuch: permutation length, then repetitions).
    FixedThenLinear { fixed: u64, default: u64 },
}

impl Size {
    /// Command-line arguments for roughly `scale` times the default work.
    /// A scale of exactly 1 yields no arguments at all, so the program runs
    /// with its own built-in default (the size the expected output is for).
    pub fn args(&self, scale: f64) -> Vec<String> {
        if scale == 1.0 {
            return Vec::new();
        }
        let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        let linear = |default: u64, s: f64| ((default as f64 * s).round() as u64).max(1);
        match *self {
            Size::Linear { default } => vec![linear(default, scale).to_string()],
            Size::Power { default, exponent } => {
                vec![linear(default, scale.powf(1.0 / exponent)).to_string()]
            }
            Size::Exponential { default, growth } => {
                let delta = (scale.ln() / growth.ln()).round() as i64;
                let n = (default as i64 + delta).max(1);
                vec![n.to_string()]
            }
            Size::FixedThenLinear { fixed, default } => {
                vec![fixed.to_string(), linear(default, scale).to_string()]
            }
        }
    }

    /// The default of the argument that scales (the last one).
    pub fn default_value(&self) -> u64 {
        match *self {
            Size::Linear { default }
            | Size::Power { default, .. }
            | Size::Exponential { default, .. }
            | Size::FixedThenLinear { default, .. } => default,
        }
    }
}

/// One benchmark program.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// File stem in `benches/lua/` and `benches/expected/`.
    pub name: &'static str,
    /// What the program mostly exercises.
    pub exercises: &'static str,
    pub size: Size,
}

impl Program {
    pub fn script(&self, benches_dir: &Path) -> PathBuf {
        benches_dir.join("lua").join(format!("{}.lua", self.name))
    }

    pub fn expected(&self, benches_dir: &Path) -> PathBuf {
        benches_dir.join("expected").join(format!("{}.txt", self.name))
    }
}

/// All programs, in the order they are run and reported.
pub const PROGRAMS: &[Program] = &[
    Program { name: "fib", exercises: "recursive Lua calls", size: Size::Exponential { default: 35, growth: 1.618 } },
    Program { name: "binary_trees", exercises: "table allocation, GC", size: Size::Exponential { default: 14, growth: 2.0 } },
    Program { name: "nbody", exercises: "float arithmetic, field access", size: Size::Linear { default: 300_000 } },
    Program {
        name: "spectral_norm",
        exercises: "nested loops, array access, small calls",
        size: Size::Power { default: 700, exponent: 2.0 },
    },
    Program { name: "fannkuch", exercises: "integer loops over small arrays", size: Size::FixedThenLinear { fixed: 9, default: 3 } },
    Program { name: "mandelbrot", exercises: "float loops, branches", size: Size::Power { default: 1000, exponent: 2.0 } },
    Program { name: "strings", exercises: "string library, concatenation, patterns", size: Size::Linear { default: 600 } },
    Program { name: "hash_churn", exercises: "hash tables: insert/lookup/delete", size: Size::Linear { default: 300_000 } },
    Program { name: "closures", exercises: "closures, upvalues, higher-order calls", size: Size::Linear { default: 800_000 } },
    Program { name: "coroutines", exercises: "coroutine resume/yield", size: Size::Linear { default: 1_500_000 } },
    Program { name: "richards", exercises: "method calls via metatables", size: Size::Linear { default: 30 } },
    Program { name: "json", exercises: "string scanning, buffers, recursion", size: Size::Linear { default: 30 } },
];

/// Programs whose name contains any of the comma-separated `filter` terms
/// (all programs when there is no filter).
pub fn select(filter: Option<&str>) -> Vec<Program> {
    match filter {
        None => PROGRAMS.to_vec(),
        Some(f) => {
            let terms: Vec<&str> = f.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
            PROGRAMS.iter().filter(|p| terms.is_empty() || terms.iter().any(|t| p.name.contains(t))).copied().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn benches_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn scale_one_passes_no_arguments() {
        for p in PROGRAMS {
            assert!(p.size.args(1.0).is_empty(), "{}", p.name);
        }
    }

    #[test]
    fn linear_scaling() {
        let s = Size::Linear { default: 300 };
        assert_eq!(s.args(2.0), vec!["600"]);
        assert_eq!(s.args(0.1), vec!["30"]);
        assert_eq!(s.args(0.0001), vec!["1"]);
    }

    #[test]
    fn power_scaling() {
        let s = Size::Power { default: 1000, exponent: 2.0 };
        assert_eq!(s.args(4.0), vec!["2000"]);
        assert_eq!(s.args(0.25), vec!["500"]);
    }

    #[test]
    fn exponential_scaling() {
        let s = Size::Exponential { default: 14, growth: 2.0 };
        assert_eq!(s.args(2.0), vec!["15"]);
        assert_eq!(s.args(0.25), vec!["12"]);
        assert_eq!(s.args(1.2), vec!["14"]);
    }

    #[test]
    fn fixed_then_linear_scaling() {
        let s = Size::FixedThenLinear { fixed: 9, default: 3 };
        assert_eq!(s.args(2.0), vec!["9", "6"]);
    }

    #[test]
    fn filter_selects_by_substring() {
        assert_eq!(select(None).len(), PROGRAMS.len());
        let names: Vec<_> = select(Some("fib,json")).iter().map(|p| p.name).collect();
        assert_eq!(names, vec!["fib", "json"]);
        let names: Vec<_> = select(Some("tree")).iter().map(|p| p.name).collect();
        assert_eq!(names, vec!["binary_trees"]);
        assert!(select(Some("nothing-like-this")).is_empty());
    }

    #[test]
    fn every_program_has_script_and_expected_output() {
        let dir = benches_dir();
        for p in PROGRAMS {
            assert!(p.script(&dir).is_file(), "missing {}", p.script(&dir).display());
            let expected = std::fs::read_to_string(p.expected(&dir)).unwrap();
            assert!(!expected.trim().is_empty(), "empty expected output for {}", p.name);
        }
    }

    /// The defaults in this table must match the defaults written in the Lua
    /// programs (`tonumber(arg and arg[K]) or N`), or scaled sizes drift.
    #[test]
    fn defaults_match_the_lua_sources() {
        let dir = benches_dir();
        for p in PROGRAMS {
            let src = std::fs::read_to_string(p.script(&dir)).unwrap();
            let arg_index = match p.size {
                Size::FixedThenLinear { .. } => 2,
                _ => 1,
            };
            let needle = format!("tonumber(arg and arg[{arg_index}]) or ");
            let at = src.find(&needle).unwrap_or_else(|| panic!("{}: no default", p.name));
            let digits: String = src[at + needle.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
            assert_eq!(digits.parse::<u64>().unwrap(), p.size.default_value(), "{}", p.name);
            if let Size::FixedThenLinear { fixed, .. } = p.size {
                let needle = "tonumber(arg and arg[1]) or ";
                let at = src.find(needle).unwrap();
                let digits: String = src[at + needle.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
                assert_eq!(digits.parse::<u64>().unwrap(), fixed, "{}", p.name);
            }
        }
    }

    #[test]
    fn lua_directory_has_no_unlisted_programs() {
        let dir = benches_dir().join("lua");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) == Some("lua") {
                let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
                assert!(PROGRAMS.iter().any(|p| p.name == stem), "{stem} is not in PROGRAMS");
            }
        }
    }
}
