//! Turning measurements into the comparison table.

use std::fmt::Write as _;

use crate::diff::Mismatch;
use crate::stats::{geometric_mean, median, relative_spread};

/// What one interpreter did on one program.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// All runs finished with the right output; wall times in seconds.
    Times(Vec<f64>),
    /// A run could not start, crashed, exited with an error or timed out.
    Failed(String),
    /// A run printed something other than the expected output.
    Wrong(Mismatch),
}

impl Cell {
    pub fn median(&self) -> Option<f64> {
        match self {
            Cell::Times(t) => median(t),
            _ => None,
        }
    }
}

/// The results of one program: one cell per interpreter column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub program: String,
    pub cells: Vec<Cell>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Interpreter labels, one per column.
    pub labels: Vec<String>,
    /// Index of the column the ratios are relative to.
    pub baseline: Option<usize>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Ratio of column `col`'s median to the baseline's median in `row`.
    pub fn ratio(&self, row: &Row, col: usize) -> Option<f64> {
        let base = row.cells.get(self.baseline?)?.median()?;
        let t = row.cells.get(col)?.median()?;
        if base > 0.0 {
            Some(t / base)
        } else {
            None
        }
    }

    /// Geometric mean of column `col`'s ratios over the rows where both it
    /// and the baseline have times, with the number of rows it covers.
    pub fn geomean_ratio(&self, col: usize) -> (Option<f64>, usize) {
        let ratios: Vec<f64> = self.rows.iter().filter_map(|r| self.ratio(r, col)).collect();
        (geometric_mean(&ratios), ratios.len())
    }

    /// True if any cell is a wrong-output cell.
    pub fn any_wrong(&self) -> bool {
        self.rows.iter().flat_map(|r| &r.cells).any(|c| matches!(c, Cell::Wrong(_)))
    }

    /// Renders the table plus notes about failures and wrong outputs.
    pub fn render(&self) -> String {
        let name_w = self.rows.iter().map(|r| r.program.len()).chain(["geomean ratio".len()]).max().unwrap_or(0);
        let col_w = self.labels.iter().map(|l| l.len()).max().unwrap_or(0).max(16);

        let mut out = String::new();
        // Header.
        let _ = write!(out, "{:<name_w$}", "program");
        for label in &self.labels {
            let _ = write!(out, " | {label:>col_w$}");
        }
        out.push('\n');
        let _ = write!(out, "{:<name_w$}", "");
        for _ in &self.labels {
            let _ = write!(out, " | {:>col_w$}", "median    ratio");
        }
        out.push('\n');
        out.push_str(&"-".repeat(name_w + self.labels.len() * (col_w + 3)));
        out.push('\n');

        // One line per program.
        for row in &self.rows {
            let _ = write!(out, "{:<name_w$}", row.program);
            for (col, cell) in row.cells.iter().enumerate() {
                let text = match cell {
                    Cell::Times(_) => {
                        let med = cell.median().unwrap_or(f64::NAN);
                        match self.ratio(row, col) {
                            Some(r) => format!("{med:7.3}s {r:7.2}x"),
                            None => format!("{med:7.3}s {:>8}", "-"),
                        }
                    }
                    Cell::Failed(_) => "fail".to_string(),
                    Cell::Wrong(_) => "WRONG OUTPUT".to_string(),
                };
                let _ = write!(out, " | {text:>col_w$}");
            }
            out.push('\n');
        }
        out.push_str(&"-".repeat(name_w + self.labels.len() * (col_w + 3)));
        out.push('\n');

        // Geometric mean of ratios.
        let _ = write!(out, "{:<name_w$}", "geomean ratio");
        for col in 0..self.labels.len() {
            let (g, n) = self.geomean_ratio(col);
            let text = match g {
                Some(g) if n == self.rows.len() => format!("{g:.2}x"),
                Some(g) => format!("{g:.2}x ({n}/{})", self.rows.len()),
                None => "-".to_string(),
            };
            let _ = write!(out, " | {text:>col_w$}");
        }
        out.push('\n');

        // Noise indicator: median over programs of (max-min)/median.
        let _ = write!(out, "{:<name_w$}", "run spread");
        for col in 0..self.labels.len() {
            let spreads: Vec<f64> = self
                .rows
                .iter()
                .filter_map(|r| match r.cells.get(col) {
                    Some(Cell::Times(t)) => relative_spread(t),
                    _ => None,
                })
                .collect();
            let text = match median(&spreads) {
                Some(s) => format!("{:.1}%", s * 100.0),
                None => "-".to_string(),
            };
            let _ = write!(out, " | {text:>col_w$}");
        }
        out.push('\n');

        // Details of anything that went wrong.
        let mut notes = String::new();
        for row in &self.rows {
            for (col, cell) in row.cells.iter().enumerate() {
                let label = &self.labels[col];
                match cell {
                    Cell::Failed(reason) => {
                        let _ = writeln!(notes, "  fail: {label} on {}: {reason}", row.program);
                    }
                    Cell::Wrong(m) => {
                        let _ = writeln!(notes, "  WRONG OUTPUT: {label} on {}: {m}", row.program);
                    }
                    Cell::Times(_) => {}
                }
            }
        }
        if !notes.is_empty() {
            out.push_str("\nproblems:\n");
            out.push_str(&notes);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::first_difference;

    fn table() -> Table {
        Table {
            labels: vec!["oxilua".into(), "lua5.2".into(), "luajit".into()],
            baseline: Some(1),
            rows: vec![
                Row {
                    program: "fib".into(),
                    cells: vec![Cell::Times(vec![2.0, 2.2, 1.8]), Cell::Times(vec![1.0, 1.0, 1.0]), Cell::Times(vec![0.5, 0.5, 0.5])],
                },
                Row {
                    program: "nbody".into(),
                    cells: vec![Cell::Failed("exit status: 1: boom".into()), Cell::Times(vec![2.0]), Cell::Times(vec![0.5])],
                },
                Row {
                    program: "json".into(),
                    cells: vec![Cell::Wrong(first_difference("a\n", "b\n").unwrap()), Cell::Times(vec![1.0]), Cell::Times(vec![0.25])],
                },
            ],
        }
    }

    #[test]
    fn ratios_are_relative_to_baseline_median() {
        let t = table();
        assert_eq!(t.ratio(&t.rows[0], 0), Some(2.0));
        assert_eq!(t.ratio(&t.rows[0], 1), Some(1.0));
        assert_eq!(t.ratio(&t.rows[1], 2), Some(0.25));
        assert_eq!(t.ratio(&t.rows[1], 0), None);
        assert_eq!(t.ratio(&t.rows[2], 0), None);
    }

    #[test]
    fn geomean_excludes_failed_and_wrong_rows() {
        let t = table();
        let (g, n) = t.geomean_ratio(0);
        assert_eq!(n, 1);
        assert!((g.unwrap() - 2.0).abs() < 1e-12);
        let (g, n) = t.geomean_ratio(2);
        assert_eq!(n, 3);
        assert!((g.unwrap() - 0.5f64.powf(1.0 / 3.0) * 0.25f64.powf(2.0 / 3.0)).abs() < 1e-12);
        let (g, n) = t.geomean_ratio(1);
        assert_eq!((g, n), (Some(1.0), 3));
    }

    #[test]
    fn no_baseline_means_no_ratios() {
        let mut t = table();
        t.baseline = None;
        assert_eq!(t.ratio(&t.rows[0], 0), None);
        assert_eq!(t.geomean_ratio(0), (None, 0));
        assert!(t.render().contains("geomean ratio"));
    }

    #[test]
    fn render_shows_fail_wrong_and_details() {
        let t = table();
        assert!(t.any_wrong());
        let text = t.render();
        assert!(text.contains("fail"), "{text}");
        assert!(text.contains("WRONG OUTPUT"), "{text}");
        assert!(text.contains("oxilua on nbody: exit status: 1: boom"), "{text}");
        assert!(text.contains("oxilua on json: line 1"), "{text}");
        assert!(text.contains("2.00x (1/3)"), "{text}");
        assert!(text.contains("2.000s"), "{text}");
    }

    #[test]
    fn all_good_table_has_no_problem_section() {
        let mut t = table();
        t.rows.truncate(1);
        assert!(!t.any_wrong());
        assert!(!t.render().contains("problems:"));
    }
}
