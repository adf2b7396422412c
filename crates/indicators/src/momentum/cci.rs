//! Commodity channel index (CCI): the deviation of the typical price (h+l+c)/3 from its
//! `period`-bar SMA, divided by 0.015 times the mean absolute deviation.

use crate::common::{lookback, run, ta_period};

/// Commodity channel index over `period` bars.
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as the inputs, NaN for the first [`cci_lookback`] bars
/// after any leading bar where an input is NaN. Computed by TA-Lib's `CCI`.
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.cci(0, end, h, l, c, p, o)
    });
    out
}

/// Number of leading NaN bars of [`cci`] (TA-Lib's `CCI` lookback); `usize::MAX` for
/// an invalid period.
pub fn cci_lookback(period: usize) -> usize {
    lookback(|core| core.cci_lookback(ta_period(period)))
}
