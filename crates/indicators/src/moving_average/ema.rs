//! Exponential moving average (EMA): a recursive average with smoothing factor 2/(period+1), seeded
//! with the SMA of the first `period` values.

use crate::common::{lookback, run, ta_period};

/// Exponential moving average of `x` with smoothing factor `2 / (period + 1)`.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`ema_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `EMA`.
pub fn ema(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.ema(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`ema`] (TA-Lib's `EMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn ema_lookback(period: usize) -> usize {
    lookback(|core| core.ema_lookback(ta_period(period)))
}
