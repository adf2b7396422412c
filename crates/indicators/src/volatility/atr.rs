//! Average true range (ATR): Wilder's moving average of the true range max(high, previous close) −
//! min(low, previous close).

use crate::common::{lookback, run, ta_period};

/// Average true range over `period` bars (Wilder smoothing, seeded with an SMA).
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as the inputs, NaN for the first [`atr_lookback`] bars
/// after any leading bar where an input is NaN. Computed by TA-Lib's `ATR`.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.atr(0, end, h, l, c, p, o)
    });
    out
}

/// Number of leading NaN bars of [`atr`] (TA-Lib's `ATR` lookback); `usize::MAX` for
/// an invalid period.
pub fn atr_lookback(period: usize) -> usize {
    lookback(|core| core.atr_lookback(ta_period(period)))
}
