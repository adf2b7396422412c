//! Weighted moving average (WMA): a linearly weighted mean of the last `period` values, the newest
//! weighted `period`, the oldest 1.

use crate::common::{lookback, run, ta_period};

/// Linearly weighted moving average of `x` over `period` bars.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`wma_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `WMA`.
pub fn wma(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.wma(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`wma`] (TA-Lib's `WMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn wma_lookback(period: usize) -> usize {
    lookback(|core| core.wma_lookback(ta_period(period)))
}
