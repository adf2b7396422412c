//! Chaikin accumulation/distribution line (A/D): a running total of volume weighted by
//! the close location value ((c − l) − (h − c)) / (h − l).

use crate::common::{lookback, run};

/// Chaikin accumulation/distribution line (TA-Lib's `AD`).
///
/// * `high`, `low`, `close`, `volume` — series of equal length.
///
/// Bars with `high == low` add nothing. The running total starts at the first bar
/// where no input is NaN.
pub fn chaikin_ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64]) -> Vec<f64> {
    let [out] = run(
        [high, low, close, volume],
        |core, [h, l, c, v], end, [o]| core.ad(0, end, h, l, c, v, o),
    );
    out
}

/// Number of leading NaN bars of [`chaikin_ad`] (TA-Lib's `AD` lookback: 0).
pub fn chaikin_ad_lookback() -> usize {
    lookback(|core| core.ad_lookback())
}
