//! Highest value: the maximum of the last `period` values, including the current bar.

use crate::common::{lookback, run, ta_period};

/// Highest value of `x` over the last `period` bars, including the current one.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as `x`, NaN for the first [`highest_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `MAX`.
pub fn highest(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.max(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`highest`] (TA-Lib's `MAX` lookback); `usize::MAX` for
/// an invalid period.
pub fn highest_lookback(period: usize) -> usize {
    lookback(|core| core.max_lookback(ta_period(period)))
}
