//! Double exponential moving average (DEMA): 2·EMA(x) − EMA(EMA(x)), which reduces the lag of an
//! EMA.

use crate::common::{lookback, run, ta_period};

/// Double exponential moving average of `x` (`2·EMA − EMA(EMA)`, both with `period`).
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`dema_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `DEMA`.
pub fn dema(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.dema(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`dema`] (TA-Lib's `DEMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn dema_lookback(period: usize) -> usize {
    lookback(|core| core.dema_lookback(ta_period(period)))
}
