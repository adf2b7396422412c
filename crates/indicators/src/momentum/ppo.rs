//! Percentage price oscillator (PPO): the difference between a fast and a slow moving
//! average as a percentage of the slow one, 100·(MA(fast) − MA(slow)) / MA(slow).

use ta_lib::MAType;

use crate::common::{lookback, run, ta_period};

/// Percentage price oscillator of `x` (TA-Lib's `PPO`).
///
/// MA type choice: **exponential** moving averages (`MAType::EMA`), passed to TA-Lib
/// explicitly. This is the usual PPO definition, consistent with [`crate::macd`], and
/// TA-Lib 0.8's default for `PPO` (older releases such as 0.4.x defaulted to SMA, so
/// the type is pinned rather than left to the library default).
///
/// * `fast` — fast EMA period (TA-Lib minimum: 2).
/// * `slow` — slow EMA period (minimum 2; TA-Lib swaps them if `slow < fast`).
pub fn ppo(x: &[f64], fast: usize, slow: usize) -> Vec<f64> {
    let (f, s) = (ta_period(fast), ta_period(slow));
    let [out] = run([x], |core, [x], end, [o]| {
        core.ppo(0, end, x, f, s, MAType::EMA, o)
    });
    out
}

/// Number of leading NaN bars of [`ppo`] (TA-Lib's `PPO` lookback with EMA:
/// `max(fast, slow) − 1`); `usize::MAX` for invalid periods.
pub fn ppo_lookback(fast: usize, slow: usize) -> usize {
    lookback(|core| core.ppo_lookback(ta_period(fast), ta_period(slow), MAType::EMA))
}
