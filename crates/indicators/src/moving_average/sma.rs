//! Simple moving average (SMA): the arithmetic mean of the last `period` values.

use crate::common::{lookback, run, ta_period};

/// Simple moving average of `x` over `period` bars.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`sma_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `SMA`.
pub fn sma(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.sma(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`sma`] (TA-Lib's `SMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn sma_lookback(period: usize) -> usize {
    lookback(|core| core.sma_lookback(ta_period(period)))
}
