//! Normalized average true range (NATR): the ATR as a percentage of the close, 100·ATR / close.

use crate::common::{lookback, run, ta_period};

/// Normalized average true range over `period` bars: `100 · ATR / close`.
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as the inputs, NaN for the first [`natr_lookback`] bars
/// after any leading bar where an input is NaN. Computed by TA-Lib's `NATR`.
pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.natr(0, end, h, l, c, p, o)
    });
    out
}

/// Number of leading NaN bars of [`natr`] (TA-Lib's `NATR` lookback); `usize::MAX` for
/// an invalid period.
pub fn natr_lookback(period: usize) -> usize {
    lookback(|core| core.natr_lookback(ta_period(period)))
}
