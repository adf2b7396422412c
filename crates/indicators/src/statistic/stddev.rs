//! Standard deviation: the population standard deviation (divisor `period`) of the
//! last `period` values, multiplied by a number of deviations.

use crate::common::{lookback, real, run, ta_period};

/// Rolling population standard deviation of `x` times `deviations` (TA-Lib's
/// `STDDEV`).
///
/// * `x` — input series.
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
/// * `deviations` — multiplier applied to the standard deviation (1.0 for the plain
///   standard deviation).
pub fn stddev(x: &[f64], period: usize, deviations: f64) -> Vec<f64> {
    let (p, d) = (ta_period(period), real(deviations));
    let [out] = run([x], |core, [x], end, [o]| core.stddev(0, end, x, p, d, o));
    out
}

/// Number of leading NaN bars of [`stddev`] (TA-Lib's `STDDEV` lookback:
/// `period − 1`); `usize::MAX` for invalid parameters.
pub fn stddev_lookback(period: usize, deviations: f64) -> usize {
    lookback(|core| core.stddev_lookback(ta_period(period), real(deviations)))
}
