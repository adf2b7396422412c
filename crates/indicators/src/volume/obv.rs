//! On-balance volume (OBV): a running total of volume, added on bars that close up,
//! subtracted on bars that close down, starting from the first bar's volume.

use crate::common::{lookback, run};

/// On-balance volume (TA-Lib's `OBV`).
///
/// * `close` — closing prices.
/// * `volume` — traded volume, same length.
///
/// The running total starts at the first bar where neither input is NaN.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    let [out] = run([close, volume], |core, [c, v], end, [o]| {
        core.obv(0, end, c, v, o)
    });
    out
}

/// Number of leading NaN bars of [`obv`] (TA-Lib's `OBV` lookback: 0).
pub fn obv_lookback() -> usize {
    lookback(|core| core.obv_lookback())
}
