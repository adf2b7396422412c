//! Stochastic RSI: the fast stochastic oscillator applied to the RSI instead of to
//! prices — where the RSI sits within its own range of the last `fastk_period` bars.

use ta_lib::MAType;

use crate::common::{lookback, run, ta_period};
use crate::momentum::stoch::Stochastic;

/// Stochastic RSI (TA-Lib's `STOCHRSI`, %D smoothed with a simple moving average).
///
/// * `x` — input series (e.g. closes).
/// * `period` — RSI period (TA-Lib minimum: 2).
/// * `fastk_period` — bars in the RSI's high-low range for `k` (minimum 1).
/// * `fastd_period` — SMA length smoothing `k` into `d` (minimum 1).
///
/// As in TA-Lib, `k` and `d` both start after [`stoch_rsi_lookback`] bars.
pub fn stoch_rsi(x: &[f64], period: usize, fastk_period: usize, fastd_period: usize) -> Stochastic {
    let (p, fk, fd) = (
        ta_period(period),
        ta_period(fastk_period),
        ta_period(fastd_period),
    );
    let [k, d] = run([x], |core, [x], end, [k, d]| {
        core.stochrsi(0, end, x, p, fk, fd, MAType::SMA, k, d)
    });
    Stochastic { k, d }
}

/// Number of leading NaN bars of [`stoch_rsi`] (TA-Lib's `STOCHRSI` lookback:
/// `period + fastk_period − 1 + fastd_period − 1`); `usize::MAX` for invalid periods.
pub fn stoch_rsi_lookback(period: usize, fastk_period: usize, fastd_period: usize) -> usize {
    lookback(|core| {
        core.stochrsi_lookback(
            ta_period(period),
            ta_period(fastk_period),
            ta_period(fastd_period),
            MAType::SMA,
        )
    })
}
