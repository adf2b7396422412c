//! Lowest value: the minimum of the last `period` values, including the current bar.

use crate::common::{lookback, run, ta_period};

/// Lowest value of `x` over the last `period` bars, including the current one.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as `x`, NaN for the first [`lowest_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `MIN`.
pub fn lowest(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.min(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`lowest`] (TA-Lib's `MIN` lookback); `usize::MAX` for
/// an invalid period.
pub fn lowest_lookback(period: usize) -> usize {
    lookback(|core| core.min_lookback(ta_period(period)))
}
