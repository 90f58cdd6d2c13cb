//! Comparing a program's output with the expected output.

use std::fmt;

/// The first line where two outputs disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// 1-based line number.
    pub line: usize,
    /// The expected line including its newline, or `None` if the expected
    /// output ended before this line.
    pub expected: Option<String>,
    /// The actual line including its newline, or `None` if the actual output
    /// ended before this line.
    pub actual: Option<String>,
}

/// Longest line excerpt shown in a report.
const SHOW_MAX: usize = 160;

fn show(line: &Option<String>) -> String {
    match line {
        None => "<end of output>".to_string(),
        Some(text) => {
            let mut shown: String = text.chars().take(SHOW_MAX).collect();
            if text.chars().count() > SHOW_MAX {
                shown.push_str("...");
            }
            format!("{shown:?}")
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: expected {}, got {}", self.line, show(&self.expected), show(&self.actual))
    }
}

/// Returns the first differing line of `actual` compared with `expected`,
/// or `None` when they are identical. Lines keep their terminating newline,
/// so a missing or extra final newline is reported as a difference too.
pub fn first_difference(expected: &str, actual: &str) -> Option<Mismatch> {
    if expected == actual {
        return None;
    }
    let mut exp_lines = expected.split_inclusive('\n');
    let mut act_lines = actual.split_inclusive('\n');
    let mut line = 0;
    loop {
        line += 1;
        let e = exp_lines.next();
        let a = act_lines.next();
        if e != a {
            return Some(Mismatch { line, expected: e.map(str::to_string), actual: a.map(str::to_string) });
        }
        // Both ended together: unreachable when the strings differ, kept
        // as a guard against an endless loop.
        e?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_outputs_have_no_difference() {
        assert_eq!(first_difference("", ""), None);
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn reports_first_differing_line() {
        let m = first_difference("a\nb\nc\n", "a\nB\nC\n").unwrap();
        assert_eq!(m.line, 2);
        assert_eq!(m.expected.as_deref(), Some("b\n"));
        assert_eq!(m.actual.as_deref(), Some("B\n"));
    }

    #[test]
    fn reports_truncated_output() {
        let m = first_difference("a\nb\n", "a\n").unwrap();
        assert_eq!(m.line, 2);
        assert_eq!(m.expected.as_deref(), Some("b\n"));
        assert_eq!(m.actual, None);
    }

    #[test]
    fn reports_extra_output() {
        let m = first_difference("a\n", "a\nextra\n").unwrap();
        assert_eq!(m.line, 2);
        assert_eq!(m.expected, None);
        assert_eq!(m.actual.as_deref(), Some("extra\n"));
    }

    #[test]
    fn reports_missing_final_newline() {
        let m = first_difference("a\nb\n", "a\nb").unwrap();
        assert_eq!(m.line, 2);
        assert_eq!(m.expected.as_deref(), Some("b\n"));
        assert_eq!(m.actual.as_deref(), Some("b"));
    }

    #[test]
    fn empty_actual_output() {
        let m = first_difference("x\n", "").unwrap();
        assert_eq!(m.line, 1);
        assert_eq!(m.actual, None);
    }

    #[test]
    fn display_mentions_line_and_both_sides() {
        let m = first_difference("checksum: 1\n", "checksum: 2\n").unwrap();
        let text = m.to_string();
        assert!(text.contains("line 1"), "{text}");
        assert!(text.contains("checksum: 1"), "{text}");
        assert!(text.contains("checksum: 2"), "{text}");
        let m = first_difference("a\n", "").unwrap();
        assert!(m.to_string().contains("<end of output>"));
    }

    #[test]
    fn display_truncates_long_lines() {
        let long = "x".repeat(1000);
        let m = first_difference("a\n", &long).unwrap();
        assert!(m.to_string().len() < 400);
    }
}
