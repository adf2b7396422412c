//! Linear regression slope: the slope of the least-squares line through the last `period` values
//! (per bar).

use crate::common::{lookback, run, ta_period};

/// Slope (per bar) of the least-squares line through the last `period` values of `x`.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as `x`, NaN for the first [`linreg_slope_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `LINEARREG_SLOPE`.
pub fn linreg_slope(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| {
        core.linearreg_slope(0, end, x, p, o)
    });
    out
}

/// Number of leading NaN bars of [`linreg_slope`] (TA-Lib's `LINEARREG_SLOPE` lookback);
/// `usize::MAX` for
/// an invalid period.
pub fn linreg_slope_lookback(period: usize) -> usize {
    lookback(|core| core.linearreg_slope_lookback(ta_period(period)))
}
