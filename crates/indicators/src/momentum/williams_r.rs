//! Williams' %R: where the close sits within the high-low range of the last `period` bars, from
//! −100 (at the low) to 0 (at the high).

use crate::common::{lookback, run, ta_period};

/// Williams' %R over `period` bars, in −100..=0.
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as the inputs, NaN for the first [`williams_r_lookback`] bars
/// after any leading bar where an input is NaN. Computed by TA-Lib's `WILLR`.
pub fn williams_r(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.willr(0, end, h, l, c, p, o)
    });
    out
}

/// Number of leading NaN bars of [`williams_r`] (TA-Lib's `WILLR` lookback); `usize::MAX` for
/// an invalid period.
pub fn williams_r_lookback(period: usize) -> usize {
    lookback(|core| core.willr_lookback(ta_period(period)))
}
