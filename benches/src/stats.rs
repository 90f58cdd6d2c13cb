//! Small statistics helpers.

/// Median of `values`; the mean of the two middle values for an even count.
/// Returns `None` for an empty slice or if any value is NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[mid])
    } else {
        Some((sorted[mid - 1] + sorted[mid]) / 2.0)
    }
}

/// Geometric mean of strictly positive, finite values.
/// Returns `None` for an empty slice or if any value is not positive/finite.
pub fn geometric_mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return None;
    }
    let log_sum: f64 = values.iter().map(|v| v.ln()).sum();
    Some((log_sum / values.len() as f64).exp())
}

/// Relative spread `(max - min) / median`, a rough noise indicator.
pub fn relative_spread(values: &[f64]) -> Option<f64> {
    let med = median(values)?;
    if med <= 0.0 {
        return None;
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((max - min) / med)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn median_of_empty_is_none() {
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn median_odd_count_is_middle_value() {
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[9.0, 2.0, 7.0, 4.0, 1.0]), Some(4.0));
    }

    #[test]
    fn median_even_count_averages_middle_pair() {
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
        assert_eq!(median(&[1.0, 10.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn median_ignores_input_order_and_outliers() {
        assert_eq!(median(&[1.0, 1.1, 100.0]), Some(1.1));
        assert_eq!(median(&[100.0, 1.1, 1.0]), Some(1.1));
    }

    #[test]
    fn median_rejects_nan() {
        assert_eq!(median(&[1.0, f64::NAN, 2.0]), None);
    }

    #[test]
    fn geometric_mean_basic() {
        assert_eq!(geometric_mean(&[]), None);
        assert!(close(geometric_mean(&[2.0]).unwrap(), 2.0));
        assert!(close(geometric_mean(&[1.0, 4.0]).unwrap(), 2.0));
        assert!(close(geometric_mean(&[2.0, 8.0, 4.0]).unwrap(), 4.0));
    }

    #[test]
    fn geometric_mean_of_reciprocal_ratios_is_one() {
        assert!(close(geometric_mean(&[0.25, 4.0, 0.5, 2.0]).unwrap(), 1.0));
    }

    #[test]
    fn geometric_mean_rejects_non_positive_or_non_finite() {
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
        assert_eq!(geometric_mean(&[1.0, -2.0]), None);
        assert_eq!(geometric_mean(&[1.0, f64::INFINITY]), None);
        assert_eq!(geometric_mean(&[f64::NAN]), None);
    }

    #[test]
    fn relative_spread_basic() {
        assert!(close(relative_spread(&[0.9, 1.0, 1.1]).unwrap(), 0.2));
        assert_eq!(relative_spread(&[2.0]), Some(0.0));
        assert_eq!(relative_spread(&[]), None);
    }
}
