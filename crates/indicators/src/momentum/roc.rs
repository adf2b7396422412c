//! Rate of change (ROC): the percentage change over `period` bars, 100·(x(t) / x(t − period) − 1).

use crate::common::{lookback, run, ta_period};

/// Rate of change of `x` in percent: `100 · (x[t] / x[t − period] − 1)`.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`roc_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `ROC`.
pub fn roc(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.roc(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`roc`] (TA-Lib's `ROC` lookback); `usize::MAX` for
/// an invalid period.
pub fn roc_lookback(period: usize) -> usize {
    lookback(|core| core.roc_lookback(ta_period(period)))
}
