//! Moving average convergence/divergence (MACD): the difference between a fast and a
//! slow EMA, its EMA (the signal line), and their difference (the histogram).

use crate::common::{lookback, run, ta_period};

/// The three MACD lines, each as long as the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Macd {
    /// EMA(fast) − EMA(slow).
    pub macd: Vec<f64>,
    /// EMA(signal) of `macd`.
    pub signal: Vec<f64>,
    /// `macd − signal`.
    pub histogram: Vec<f64>,
}

/// MACD of `x` (TA-Lib's `MACD`).
///
/// * `fast` — fast EMA period (TA-Lib minimum: 2).
/// * `slow` — slow EMA period (minimum 2; TA-Lib swaps `fast` and `slow` if
///   `slow < fast`).
/// * `signal` — EMA period of the signal line (minimum 1).
///
/// As in TA-Lib, all three lines start after [`macd_lookback`] bars.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let (f, s, g) = (ta_period(fast), ta_period(slow), ta_period(signal));
    let [macd, signal, histogram] = run([x], |core, [x], end, [m, sig, h]| {
        core.macd(0, end, x, f, s, g, m, sig, h)
    });
    Macd {
        macd,
        signal,
        histogram,
    }
}

/// Number of leading NaN bars of [`macd`] (TA-Lib's `MACD` lookback:
/// `max(fast, slow) − 1 + signal − 1`); `usize::MAX` for invalid periods.
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    lookback(|core| core.macd_lookback(ta_period(fast), ta_period(slow), ta_period(signal)))
}
