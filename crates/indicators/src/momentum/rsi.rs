//! Relative strength index (RSI): 100·avg gain / (avg gain + avg loss) over `period` bars, with
//! Wilder's smoothing, in 0..=100.

use crate::common::{lookback, run, ta_period};

/// Relative strength index of `x` over `period` bars (Wilder smoothing), in 0..=100.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as `x`, NaN for the first [`rsi_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `RSI`.
pub fn rsi(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.rsi(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`rsi`] (TA-Lib's `RSI` lookback); `usize::MAX` for
/// an invalid period.
pub fn rsi_lookback(period: usize) -> usize {
    lookback(|core| core.rsi_lookback(ta_period(period)))
}
