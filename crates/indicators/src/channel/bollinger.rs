//! Bollinger bands: a simple moving average (middle band) with bands a number of
//! population standard deviations above and below it, plus %B (where the value sits
//! between the bands) and bandwidth (band spread relative to the middle band).

use ta_lib::MAType;

use crate::common::{lookback, real, run, ta_period};

/// Bollinger bands and derived lines, each as long as the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Bollinger {
    /// `middle + deviations · σ`.
    pub upper: Vec<f64>,
    /// Simple moving average over `period`.
    pub middle: Vec<f64>,
    /// `middle − deviations · σ`.
    pub lower: Vec<f64>,
    /// %B: `(x − lower) / (upper − lower)`; NaN where the bands coincide.
    pub percent_b: Vec<f64>,
    /// Bandwidth: `(upper − lower) / middle`; NaN where the middle band is 0.
    pub width: Vec<f64>,
}

/// Bollinger bands of `x` (TA-Lib's `BBANDS` with an SMA middle band and the same
/// deviation multiplier up and down); `percent_b` and `width` are computed here.
///
/// * `x` — input series (e.g. closes).
/// * `period` — SMA and standard-deviation window (TA-Lib minimum: 2).
/// * `deviations` — band distance in population standard deviations (e.g. 2.0).
///
/// All five lines start after [`bollinger_lookback`] bars; `percent_b` and `width`
/// can additionally be NaN where their denominator is 0.
pub fn bollinger(x: &[f64], period: usize, deviations: f64) -> Bollinger {
    let (p, d) = (ta_period(period), real(deviations));
    let [upper, middle, lower] = run([x], |core, [x], end, [u, m, l]| {
        core.bbands(0, end, x, p, d, d, MAType::SMA, u, m, l)
    });
    let percent_b = x
        .iter()
        .zip(upper.iter().zip(&lower))
        .map(|(&x, (&u, &l))| ratio(x - l, u - l))
        .collect();
    let width = upper
        .iter()
        .zip(lower.iter().zip(&middle))
        .map(|(&u, (&l, &m))| ratio(u - l, m))
        .collect();
    Bollinger {
        upper,
        middle,
        lower,
        percent_b,
        width,
    }
}

/// `num / den`, NaN when `den` is 0 (NaN operands give NaN as usual).
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { f64::NAN } else { num / den }
}

/// Number of leading NaN bars of [`bollinger`] (TA-Lib's `BBANDS` lookback with SMA:
/// `period − 1`); `usize::MAX` for invalid parameters.
pub fn bollinger_lookback(period: usize, deviations: f64) -> usize {
    let d = real(deviations);
    lookback(|core| core.bbands_lookback(ta_period(period), d, d, MAType::SMA))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn hand_computed_percent_b_and_width() {
        // Window [1, 2, 3, 4, 5]: mean 3, population σ = √2.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = bollinger(&x, 5, 1.0);
        let s = 2f64.sqrt();
        assert!(
            b.percent_b[..4]
                .iter()
                .chain(&b.width[..4])
                .all(|v| v.is_nan())
        );
        assert!(close(b.middle[4], 3.0));
        assert!(close(b.upper[4], 3.0 + s));
        assert!(close(b.lower[4], 3.0 - s));
        // (5 − (3 − √2)) / (2√2)
        assert!(close(b.percent_b[4], (2.0 + s) / (2.0 * s)));
        // 2√2 / 3
        assert!(close(b.width[4], 2.0 * s / 3.0));

        let b = bollinger(&x, 5, 2.0);
        assert!(close(b.percent_b[4], (2.0 + 2.0 * s) / (4.0 * s)));
        assert!(close(b.width[4], 4.0 * s / 3.0));
    }

    #[test]
    fn percent_b_is_nan_when_the_bands_coincide() {
        let b = bollinger(&[2.0, 2.0, 2.0], 2, 2.0);
        assert!(b.percent_b.iter().all(|v| v.is_nan()));
        assert_eq!(b.upper[1], b.lower[1]);
        assert_eq!(b.width[1..], [0.0, 0.0]);
    }

    #[test]
    fn width_is_nan_when_the_middle_band_is_zero() {
        let b = bollinger(&[-1.0, 1.0, -1.0], 2, 1.0);
        assert_eq!(b.middle[1], 0.0);
        assert!(b.width.iter().all(|v| v.is_nan()));
        // Bands ±1: %B of 1 is 1, of −1 is 0.
        assert!(close(b.percent_b[1], 1.0));
        assert!(close(b.percent_b[2], 0.0));
    }

    #[test]
    fn percent_b_follows_leading_nans() {
        let x = [f64::NAN, f64::NAN, 1.0, 2.0, 3.0];
        let b = bollinger(&x, 2, 1.0);
        assert_eq!(b.percent_b.iter().take_while(|v| v.is_nan()).count(), 3);
        assert!(close(b.percent_b[3], 1.0));
    }
}
