//! Momentum (MOM): the absolute change over `period` bars, x(t) − x(t − period).

use crate::common::{lookback, run, ta_period};

/// Momentum of `x`: `x[t] − x[t − period]`.
///
/// * `x` — input series (e.g. closes).
/// * `period` — number of bars in the window (TA-Lib minimum: 1).
///
/// Returns a series as long as `x`, NaN for the first [`momentum_lookback`] bars after
/// any leading NaNs of `x`. Computed by TA-Lib's `MOM`.
pub fn momentum(x: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([x], |core, [x], end, [o]| core.mom(0, end, x, p, o));
    out
}

/// Number of leading NaN bars of [`momentum`] (TA-Lib's `MOM` lookback); `usize::MAX` for
/// an invalid period.
pub fn momentum_lookback(period: usize) -> usize {
    lookback(|core| core.mom_lookback(ta_period(period)))
}
