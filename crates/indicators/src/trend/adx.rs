//! Average directional index (ADX): Wilder's measure of trend strength — the smoothed
//! absolute difference of the plus and minus directional indicators (+DI, −DI) over
//! their sum, in 0..=100 — together with the two directional indicators.

use crate::common::{lookback, run, ta_period};

/// ADX and the two directional indicators, each as long as the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Adx {
    /// Average directional index (trend strength), 0..=100; starts after
    /// [`adx_lookback`] bars.
    pub adx: Vec<f64>,
    /// Plus directional indicator (+DI), 0..=100; starts after [`plus_di_lookback`]
    /// bars, earlier than `adx`.
    pub plus_di: Vec<f64>,
    /// Minus directional indicator (−DI), 0..=100; starts after [`minus_di_lookback`]
    /// bars, earlier than `adx`.
    pub minus_di: Vec<f64>,
}

/// ADX, +DI and −DI over `period` bars (TA-Lib's `ADX`, `PLUS_DI` and `MINUS_DI`,
/// three separate calls, each keeping its own warm-up).
///
/// * `high`, `low`, `close` — price series of equal length.
/// * `period` — Wilder smoothing period (TA-Lib minimum: 2 for ADX, 1 for the DIs;
///   each line follows its own TA-Lib function, so with `period == 1` only `adx` is
///   all NaN).
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Adx {
    let p = ta_period(period);
    let [adx] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.adx(0, end, h, l, c, p, o)
    });
    let [plus_di] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.plus_di(0, end, h, l, c, p, o)
    });
    let [minus_di] = run([high, low, close], |core, [h, l, c], end, [o]| {
        core.minus_di(0, end, h, l, c, p, o)
    });
    Adx {
        adx,
        plus_di,
        minus_di,
    }
}

/// Number of leading NaN bars of [`Adx::adx`] — TA-Lib's `ADX` lookback,
/// `2·period − 1` — which is the warm-up of the whole [`adx`] result. The `plus_di`
/// and `minus_di` lines start earlier, see [`plus_di_lookback`] and
/// [`minus_di_lookback`]. `usize::MAX` for an invalid period.
pub fn adx_lookback(period: usize) -> usize {
    lookback(|core| core.adx_lookback(ta_period(period)))
}

/// Number of leading NaN bars of [`Adx::plus_di`] (TA-Lib's `PLUS_DI` lookback,
/// `period`); `usize::MAX` for an invalid period.
pub fn plus_di_lookback(period: usize) -> usize {
    lookback(|core| core.plus_di_lookback(ta_period(period)))
}

/// Number of leading NaN bars of [`Adx::minus_di`] (TA-Lib's `MINUS_DI` lookback,
/// `period`); `usize::MAX` for an invalid period.
pub fn minus_di_lookback(period: usize) -> usize {
    lookback(|core| core.minus_di_lookback(ta_period(period)))
}
