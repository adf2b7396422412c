//! Kaufman adaptive moving average (KAMA): an EMA whose smoothing factor follows the efficiency
//! ratio (net move / total path) of the last `period` bars, between the factors of a 2- and a
//! 30-bar EMA.

use crate::common::{lookback, run, ta_period};

/// Kaufman adaptive moving average of `x`; `period` is the efficiency-ratio window.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`kama_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `KAMA`.
pub fn kama(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.kama(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`kama`] (TA-Lib's `KAMA` lookback); `usize::MAX` for
/// an invalid period.
pub fn kama_lookback(period: usize) -> usize {
    lookback(|core| core.kama_lookback(ta_period(period)))
}
