//! Triple exponential moving average (TEMA): 3·EMA − 3·EMA(EMA) + EMA(EMA(EMA)), which reduces the
//! lag further than DEMA.

use crate::common::{lookback, run, ta_period};

/// Triple exponential moving average of `x` (`3·EMA1 − 3·EMA2 + EMA3`, all with `period`).
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`tema_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `TEMA`.
pub fn tema(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.tema(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`tema`] (TA-Lib's `TEMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn tema_lookback(period: usize) -> usize {
    lookback(|core| core.tema_lookback(ta_period(period)))
}
