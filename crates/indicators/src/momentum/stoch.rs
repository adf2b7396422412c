//! Stochastic oscillator: where the close sits within the high-low range of the last
//! `fastk_period` bars (raw %K, 0..=100), smoothed into slow %K and then into %D.

use ta_lib::MAType;

use crate::common::{lookback, run, ta_period};

/// The two lines of a stochastic oscillator, each as long as the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Stochastic {
    /// %K: the (smoothed) position of the value within its recent range, 0..=100.
    pub k: Vec<f64>,
    /// %D: a moving average of %K.
    pub d: Vec<f64>,
}

/// Slow stochastic oscillator (TA-Lib's `STOCH` with simple moving averages).
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `fastk_period` — bars in the high-low range for raw %K (TA-Lib minimum: 1).
/// * `slowk_period` — SMA length smoothing raw %K into the returned `k` (minimum 1).
/// * `slowd_period` — SMA length smoothing `k` into `d` (minimum 1).
///
/// As in TA-Lib, `k` and `d` both start after [`stoch_lookback`] bars (after any
/// leading bar where an input is NaN).
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk_period: usize,
    slowk_period: usize,
    slowd_period: usize,
) -> Stochastic {
    let (fk, sk, sd) = (
        ta_period(fastk_period),
        ta_period(slowk_period),
        ta_period(slowd_period),
    );
    let [k, d] = run([high, low, close], |core, [h, l, c], end, [k, d]| {
        core.stoch(0, end, h, l, c, fk, sk, MAType::SMA, sd, MAType::SMA, k, d)
    });
    Stochastic { k, d }
}

/// Number of leading NaN bars of [`stoch`] (TA-Lib's `STOCH` lookback with SMA
/// smoothing: `fastk_period − 1 + slowk_period − 1 + slowd_period − 1`); `usize::MAX`
/// for invalid periods.
pub fn stoch_lookback(fastk_period: usize, slowk_period: usize, slowd_period: usize) -> usize {
    lookback(|core| {
        core.stoch_lookback(
            ta_period(fastk_period),
            ta_period(slowk_period),
            MAType::SMA,
            ta_period(slowd_period),
            MAType::SMA,
        )
    })
}
