//! **Drawdown series (%)**: how far the equity is below its highest point so far, bar by bar.
//!
//! For each bar: `(equity / running peak − 1) × 100`, where the running peak is the highest
//! equity from the first bar up to and including this bar. The value is `0` at a new high
//! and negative below it (`−25` means 25 % below the peak). It is below `−100` only if equity
//! went negative.
//!
//! - The peak starts at the first bar's equity, not at the initial capital.
//! - While the running peak is zero or negative (the curve has never been positive) the
//!   drawdown is reported as `0`: a percentage of a non-positive peak means nothing.
//! - No bars: an empty series.

/// Drawdown in percent of `equity` below `peak` (see the module documentation); `0` when
/// `peak` is not positive.
#[inline]
pub fn drawdown_pct(equity: f64, peak: f64) -> f64 {
    if peak > 0.0 {
        (equity / peak - 1.0) * 100.0
    } else {
        0.0
    }
}

/// The drawdown of every bar of `equity`, in percent (zero or negative); same length as
/// `equity`.
pub fn drawdown_series(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            drawdown_pct(e, peak)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cases() {
        let cases: &[(&str, &[f64], &[f64])] = &[
            ("no bars", &[], &[]),
            ("one bar", &[100.0], &[0.0]),
            ("flat equity", &[100.0, 100.0, 100.0], &[0.0, 0.0, 0.0]),
            ("rising", &[100.0, 110.0, 120.0], &[0.0, 0.0, 0.0]),
            ("all losing", &[100.0, 90.0, 75.0], &[0.0, -10.0, -25.0]),
            (
                "recovers",
                &[100.0, 120.0, 90.0, 130.0, 117.0],
                &[0.0, 0.0, -25.0, 0.0, -10.0],
            ),
            ("wiped out", &[100.0, 0.0], &[0.0, -100.0]),
            ("never positive", &[0.0, -5.0], &[0.0, 0.0]),
        ];
        for &(name, equity, want) in cases {
            let got = drawdown_series(equity);
            assert_eq!(got.len(), want.len(), "{name}");
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-9, "{name}: got {got:?}, want {want:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn never_positive_and_zero_at_new_highs(
            equity in prop::collection::vec(1.0f64..1000.0, 0..100),
        ) {
            let dd = drawdown_series(&equity);
            let mut peak = f64::NEG_INFINITY;
            for (&d, &e) in dd.iter().zip(&equity) {
                prop_assert!(d <= 0.0 && d > -100.0);
                if e >= peak {
                    prop_assert_eq!(d, 0.0);
                    peak = e;
                }
            }
        }
    }
}
