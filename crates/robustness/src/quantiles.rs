//! Summaries of simulated distributions: mean, extremes and the 5/25/50/75/95th percentiles.
//!
//! Percentiles interpolate linearly between order statistics (numpy's default, "linear",
//! Hyndman & Fan type 7), so they compare directly with `numpy.percentile`.

use serde::{Deserialize, Serialize};

/// Mean and percentiles of a simulated quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Distribution {
    /// Arithmetic mean.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
}

impl Distribution {
    /// The summary of `values` (sorted in place); `None` when empty or not all finite.
    pub fn of(values: &mut [f64]) -> Option<Distribution> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Some(Distribution {
            mean,
            min: values[0],
            max: values[values.len() - 1],
            p5: percentile_sorted(values, 5.0),
            p25: percentile_sorted(values, 25.0),
            p50: percentile_sorted(values, 50.0),
            p75: percentile_sorted(values, 75.0),
            p95: percentile_sorted(values, 95.0),
        })
    }
}

/// The `pct`-th percentile (0..=100) of non-empty sorted `values`, linear interpolation.
pub fn percentile_sorted(values: &[f64], pct: f64) -> f64 {
    let h = (values.len() - 1) as f64 * pct / 100.0;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(values.len() - 1);
    values[lo] + (h - lo as f64) * (values[hi] - values[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_linear_percentiles() {
        // numpy.percentile([1, 2, 3, 4, 10], [5, 25, 50, 75, 95]) = 1.2, 2, 3, 4, 8.8
        let d = Distribution::of(&mut [10.0, 3.0, 1.0, 4.0, 2.0]).unwrap();
        let want = [4.0, 1.0, 1.2, 2.0, 3.0, 4.0, 8.8, 10.0];
        let got = [d.mean, d.min, d.p5, d.p25, d.p50, d.p75, d.p95, d.max];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        assert_eq!(Distribution::of(&mut []), None);
        assert_eq!(Distribution::of(&mut [1.0, f64::NAN]), None);
        let one = Distribution::of(&mut [2.5]).unwrap();
        assert_eq!((one.p5, one.p95), (2.5, 2.5));
    }
}
