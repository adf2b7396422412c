//! Aroon oscillator: Aroon up minus Aroon down, in −100..=100.

use crate::common::{lookback, run, ta_period};

/// Aroon oscillator (`up − down`) over `period` bars (TA-Lib's `AROONOSC`).
///
/// * `high`, `low` — price series of equal length.
/// * `period` — look-back window (TA-Lib minimum: 2).
pub fn aroon_oscillator(high: &[f64], low: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run([high, low], |core, [h, l], end, [o]| {
        core.aroonosc(0, end, h, l, p, o)
    });
    out
}

/// Number of leading NaN bars of [`aroon_oscillator`] (TA-Lib's `AROONOSC` lookback:
/// `period`); `usize::MAX` for an invalid period.
pub fn aroon_oscillator_lookback(period: usize) -> usize {
    lookback(|core| core.aroonosc_lookback(ta_period(period)))
}
