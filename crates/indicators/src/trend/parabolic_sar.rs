//! Parabolic SAR (stop and reverse): Wilder's trailing stop that accelerates towards
//! price by a growing factor while a trend makes new extremes, and flips side when
//! price crosses it.

use crate::common::{lookback, real, run};

/// Parabolic SAR of a high/low series (TA-Lib's `SAR`).
///
/// * `high`, `low` — price series of equal length.
/// * `acceleration` — initial and incremental acceleration factor (typically 0.02;
///   must be ≥ 0).
/// * `maximum` — cap of the acceleration factor (typically 0.2; must be ≥ 0).
///
/// The first value is at bar [`parabolic_sar_lookback`] (1) after any leading NaNs.
pub fn parabolic_sar(high: &[f64], low: &[f64], acceleration: f64, maximum: f64) -> Vec<f64> {
    let (a, m) = (real(acceleration), real(maximum));
    let [out] = run([high, low], |core, [h, l], end, [o]| {
        core.sar(0, end, h, l, a, m, o)
    });
    out
}

/// Number of leading NaN bars of [`parabolic_sar`] (TA-Lib's `SAR` lookback: 1);
/// `usize::MAX` for invalid parameters (negative or NaN).
pub fn parabolic_sar_lookback(acceleration: f64, maximum: f64) -> usize {
    lookback(|core| core.sar_lookback(real(acceleration), real(maximum)))
}
