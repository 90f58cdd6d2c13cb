//! Shared by the bench binaries (`hooks`, `engine`).

use criterion::Criterion;
use oxilua_benches::criterion_summary::criterion_dir;
use std::time::Duration;

/// Criterion as the benches run it: short warm-up and measurement (the
/// calls measured take microseconds), results under `criterion_dir()`,
/// command-line options honoured.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .output_directory(&criterion_dir())
        .configure_from_args()
}
