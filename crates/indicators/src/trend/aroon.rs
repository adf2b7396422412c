//! Aroon: how recently the highest high (Aroon up) and the lowest low (Aroon down) of
//! the last `period + 1` bars occurred, as 100·(period − bars since) / period.

use crate::common::{lookback, run, ta_period};

/// Aroon up and down lines, each as long as the input, in 0..=100.
#[derive(Clone, Debug, PartialEq)]
pub struct Aroon {
    /// 100 when the current bar is the highest high of the window, falling linearly to
    /// 0 as it ages `period` bars.
    pub up: Vec<f64>,
    /// The same for the lowest low.
    pub down: Vec<f64>,
}

/// Aroon up/down over `period` bars (TA-Lib's `AROON`).
///
/// * `high`, `low` — price series of equal length.
/// * `period` — look-back window (TA-Lib minimum: 2); the window spans `period + 1`
///   bars including the current one.
pub fn aroon(high: &[f64], low: &[f64], period: usize) -> Aroon {
    let p = ta_period(period);
    // TA-Lib's output order is (down, up).
    let [down, up] = run([high, low], |core, [h, l], end, [down, up]| {
        core.aroon(0, end, h, l, p, down, up)
    });
    Aroon { up, down }
}

/// Number of leading NaN bars of [`aroon`] (TA-Lib's `AROON` lookback: `period`);
/// `usize::MAX` for an invalid period.
pub fn aroon_lookback(period: usize) -> usize {
    lookback(|core| core.aroon_lookback(ta_period(period)))
}
