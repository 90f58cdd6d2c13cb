//! A short summary of a criterion run, read back from the files criterion
//! writes (`<target>/criterion/**/new/{benchmark,estimates}.json`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace root (the parent of this crate).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Where the benches tell criterion to write (`$CARGO_TARGET_DIR/criterion`,
/// else `target/criterion` under the workspace).
pub fn criterion_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d).join("criterion"),
        None => workspace().join("target").join("criterion"),
    }
}

/// Id and median estimate (ns) of every benchmark written under `dir` at or
/// after `since`, sorted by id.
pub fn results(dir: &Path, since: SystemTime) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let is_new_estimate = p.file_name().is_some_and(|n| n == "estimates.json") && p.parent().is_some_and(|d| d.ends_with("new"));
            let fresh = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t >= since);
            if !(is_new_estimate && fresh) {
                continue;
            }
            let dir = p.parent().expect("parent");
            let read = |f: &str| -> Option<serde_json::Value> { serde_json::from_slice(&std::fs::read(dir.join(f)).ok()?).ok() };
            if let (Some(est), Some(bm)) = (read("estimates.json"), read("benchmark.json")) {
                if let (Some(id), Some(ns)) = (bm["full_id"].as_str(), est["median"]["point_estimate"].as_f64()) {
                    out.push((id.to_string(), ns));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `812 ns`, `3.25 µs`, `1.20 ms`.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// The summary table: one row per result, with `targets` (id, ns) marked
/// met or MISSED.
pub fn render(rows: &[(String, f64)], targets: &[(&str, f64)]) -> String {
    let mut s = String::from("summary (median time per iteration)\n");
    s += &format!("{:<36} {:>10}  target\n", "benchmark", "median");
    for (id, ns) in rows {
        let t = match targets.iter().find(|(n, _)| n == id) {
            Some((_, t)) => format!("<= {} {}", fmt_ns(*t), if ns <= t { "met" } else { "MISSED" }),
            None => String::new(),
        };
        s += &format!("{id:<36} {:>10}  {t}\n", fmt_ns(*ns));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_marks_targets() {
        assert_eq!(fmt_ns(812.4), "812 ns");
        assert_eq!(fmt_ns(3250.0), "3.25 µs");
        assert_eq!(fmt_ns(1.2e6), "1.20 ms");
        let rows = vec![("call [bare]".to_string(), 70.0), ("hook [x]".to_string(), 200.0), ("other".to_string(), 5.0)];
        let out = render(&rows, &[("call [bare]", 60.0), ("hook [x]", 250.0)]);
        assert!(out.contains("call [bare]") && out.contains("<= 60 ns MISSED"), "{out}");
        assert!(out.contains("<= 250 ns met"), "{out}");
        assert_eq!(out.lines().count(), 5);
    }

    #[test]
    fn reads_criterion_files() {
        let dir = std::env::temp_dir().join(format!("oxilua-crit-{}", std::process::id()));
        let new = dir.join("a_b").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"full_id": "hook [a]"}"#).unwrap();
        std::fs::write(new.join("estimates.json"), r#"{"median": {"point_estimate": 123.5}}"#).unwrap();
        let base = dir.join("a_b").join("base");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("estimates.json"), r#"{"median": {"point_estimate": 1.0}}"#).unwrap();
        let since = SystemTime::now() - std::time::Duration::from_secs(60);
        assert_eq!(results(&dir, since), vec![("hook [a]".to_string(), 123.5)]);
        // files older than `since` are from another run
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(results(&dir, later).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
