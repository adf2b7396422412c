//! Money flow index (MFI): a volume-weighted RSI — 100·positive money flow / total
//! money flow over `period` bars, money flow being typical price (h+l+c)/3 × volume.

use crate::common::{lookback, run, ta_period};

/// Money flow index over `period` bars, in 0..=100.
///
/// * `high`, `low`, `close`, `volume` — series of equal length.
/// * `period` — number of bars in the window (TA-Lib minimum: 2).
///
/// Returns a series as long as the inputs, NaN for the first [`mfi_lookback`] bars
/// after any leading bar where an input is NaN. Computed by TA-Lib's `MFI`.
pub fn mfi(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    let p = ta_period(period);
    let [out] = run(
        [high, low, close, volume],
        |core, [h, l, c, v], end, [o]| core.mfi(0, end, h, l, c, v, p, o),
    );
    out
}

/// Number of leading NaN bars of [`mfi`] (TA-Lib's `MFI` lookback: `period`);
/// `usize::MAX` for an invalid period.
pub fn mfi_lookback(period: usize) -> usize {
    lookback(|core| core.mfi_lookback(ta_period(period)))
}
