//! Command-line options of the `compare` tool.

use std::path::PathBuf;

pub const USAGE: &str = "\
usage: compare [--runs N] [--filter NAME[,NAME...]] [--oxilua PATH] [--size-scale F]
               [--timeout SECS] [--no-install] [--verbose] [--write-expected]

Runs the Lua programs in benches/lua under oxilua, lua5.2, luajit -joff and
luajit (round-robin), checks each run's output against benches/expected, and
prints median wall times and ratios to lua5.2.

  --runs N          runs per interpreter and program (default 5)
  --filter NAMES    only programs whose name contains one of the
                    comma-separated NAMES
  --oxilua PATH     oxilua binary (default: <workspace>/target/release/oxilua,
                    else oxilua on PATH)
  --size-scale F    run about F times the default work; outputs are then
                    checked against lua5.2's output instead of benches/expected
  --timeout SECS    kill a run after SECS seconds (default 120)
  --no-install      do not apt-get install missing lua5.2/luajit
  --verbose         print every run's time on stderr
  --write-expected  regenerate benches/expected/*.txt with lua5.2 and exit
  -h, --help        this text
";

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub runs: usize,
    pub filter: Option<String>,
    pub oxilua: Option<PathBuf>,
    pub size_scale: f64,
    pub timeout_secs: f64,
    pub install: bool,
    pub verbose: bool,
    pub write_expected: bool,
    pub help: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runs: 5,
            filter: None,
            oxilua: None,
            size_scale: 1.0,
            timeout_secs: 120.0,
            install: true,
            verbose: false,
            write_expected: false,
            help: false,
        }
    }
}

fn positive_f64(flag: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{flag} needs a positive number, got {value:?}")),
    }
}

/// Parses the arguments after the program name. Accepts `--flag value` and
/// `--flag=value`.
pub fn parse<I, S>(args: I) -> Result<Options, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut opts = Options::default();
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "--runs" => {
                let v = value("--runs")?;
                opts.runs = match v.parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(format!("--runs needs a positive integer, got {v:?}")),
                };
            }
            "--filter" => opts.filter = Some(value("--filter")?),
            "--oxilua" => opts.oxilua = Some(PathBuf::from(value("--oxilua")?)),
            "--size-scale" => opts.size_scale = positive_f64("--size-scale", &value("--size-scale")?)?,
            "--timeout" => opts.timeout_secs = positive_f64("--timeout", &value("--timeout")?)?,
            "--no-install" => opts.install = false,
            "--verbose" | "-v" => opts.verbose = true,
            "--write-expected" => opts.write_expected = true,
            "--help" | "-h" => opts.help = true,
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = parse(Vec::<String>::new()).unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.runs, 5);
        assert_eq!(o.size_scale, 1.0);
    }

    #[test]
    fn all_flags() {
        let o = parse([
            "--runs",
            "3",
            "--filter",
            "fib,json",
            "--oxilua",
            "/x/oxilua",
            "--size-scale",
            "0.5",
            "--timeout=10",
            "--no-install",
            "--verbose",
        ])
        .unwrap();
        assert_eq!(o.runs, 3);
        assert_eq!(o.filter.as_deref(), Some("fib,json"));
        assert_eq!(o.oxilua, Some(PathBuf::from("/x/oxilua")));
        assert_eq!(o.size_scale, 0.5);
        assert_eq!(o.timeout_secs, 10.0);
        assert!(!o.install);
        assert!(o.verbose);
    }

    #[test]
    fn equals_form() {
        let o = parse(["--runs=7", "--size-scale=2"]).unwrap();
        assert_eq!(o.runs, 7);
        assert_eq!(o.size_scale, 2.0);
    }

    #[test]
    fn errors() {
        assert!(parse(["--runs"]).is_err());
        assert!(parse(["--runs", "0"]).is_err());
        assert!(parse(["--runs", "x"]).is_err());
        assert!(parse(["--size-scale", "-1"]).is_err());
        assert!(parse(["--size-scale", "nan"]).is_err());
        assert!(parse(["--bogus"]).is_err());
    }
}
