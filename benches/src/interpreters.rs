//! Finding the interpreters to compare (and installing the reference ones).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Label of the reference interpreter that ratios are computed against.
pub const BASELINE: &str = "lua5.2";

/// One column of the comparison: a command line that runs a Lua script.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpreter {
    /// Column label, e.g. `luajit -joff`.
    pub label: String,
    /// The executable, or why there is none.
    pub program: Result<PathBuf, String>,
    /// Arguments placed before the script path.
    pub args: Vec<String>,
}

impl Interpreter {
    pub fn is_available(&self) -> bool {
        self.program.is_ok()
    }
}

/// Is `path` an executable regular file?
pub fn is_executable(path: &Path) -> bool {
    match path.metadata() {
        Ok(meta) if meta.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                meta.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

/// Looks `name` up in the directories of `$PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

/// Where the oxilua binary is: the explicit `--oxilua` path if given (used
/// as is, even if it does not exist, so that a bad path shows up as
/// failures), else `target/release/oxilua` under the workspace root, else
/// `oxilua` on `$PATH`.
pub fn locate_oxilua(explicit: Option<&Path>, workspace_root: &Path) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let built = workspace_root.join("target").join("release").join("oxilua");
    if is_executable(&built) {
        return Ok(built);
    }
    find_in_path("oxilua")
        .ok_or_else(|| format!("not built ({} missing; run `cargo build --release -p oxilua`) and not on PATH", built.display()))
}

/// Runs `apt-get install -y lua5.2 luajit` (after `apt-get update` if the
/// first attempt fails), echoing what it does on stderr. Returns whether
/// the installation succeeded.
pub fn install_reference_interpreters() -> bool {
    let run = |args: &[&str]| -> bool {
        eprintln!("running: apt-get {}", args.join(" "));
        // apt's own output goes to our stderr so the report on stdout stays clean.
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(stderr_stdio())
            .status();
        match status {
            Ok(s) if s.success() => true,
            Ok(s) => {
                eprintln!("apt-get {} failed: {s}", args.join(" "));
                false
            }
            Err(e) => {
                eprintln!("could not run apt-get: {e}");
                false
            }
        }
    };
    let install = ["install", "-y", "lua5.2", "luajit"];
    if run(&install) {
        return true;
    }
    run(&["update"]) && run(&install)
}

fn stderr_stdio() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::inherit()
}

/// The interpreters to compare, in run order: oxilua, lua5.2, luajit -joff,
/// luajit. Installs lua5.2/luajit with apt-get when `install` is set and
/// either is missing; interpreters that cannot be found carry the reason.
pub fn discover(oxilua: Result<PathBuf, String>, install: bool) -> Vec<Interpreter> {
    let mut lua = find_in_path("lua5.2");
    let mut luajit = find_in_path("luajit");
    if install && (lua.is_none() || luajit.is_none()) {
        let missing: Vec<&str> =
            [("lua5.2", &lua), ("luajit", &luajit)].iter().filter(|(_, found)| found.is_none()).map(|(name, _)| *name).collect();
        eprintln!("{} not found on PATH; trying to install", missing.join(" and "));
        if install_reference_interpreters() {
            lua = lua.or_else(|| find_in_path("lua5.2"));
            luajit = luajit.or_else(|| find_in_path("luajit"));
        }
    }
    let missing = |name: &str| format!("{name} not found on PATH (apt-get install -y lua5.2 luajit)");
    let luajit_found = luajit.ok_or_else(|| missing("luajit"));
    vec![
        Interpreter { label: "oxilua".into(), program: oxilua, args: vec![] },
        Interpreter { label: BASELINE.into(), program: lua.ok_or_else(|| missing("lua5.2")), args: vec![] },
        Interpreter { label: "luajit -joff".into(), program: luajit_found.clone(), args: vec!["-joff".into()] },
        Interpreter { label: "luajit".into(), program: luajit_found, args: vec![] },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_oxilua_path_is_used_verbatim() {
        let p = locate_oxilua(Some(Path::new("/nonexistent/oxilua")), Path::new("/tmp")).unwrap();
        assert_eq!(p, PathBuf::from("/nonexistent/oxilua"));
    }

    #[test]
    fn missing_files_are_not_executable() {
        assert!(!is_executable(Path::new("/nonexistent/definitely/not/here")));
        assert!(!is_executable(Path::new("/")));
    }
}
