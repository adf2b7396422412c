//! Donchian channel: the highest high (upper) and lowest low (lower) of the last
//! `period` bars including the current one, and their midpoint (middle).

use std::collections::VecDeque;

use crate::common::run_own;

/// Donchian channel lines, each as long as the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Donchian {
    /// Highest high of the last `period` bars, current bar included.
    pub upper: Vec<f64>,
    /// Lowest low of the last `period` bars, current bar included.
    pub lower: Vec<f64>,
    /// `(upper + lower) / 2`.
    pub middle: Vec<f64>,
}

/// Donchian channel over `period` bars, the current bar included (own implementation;
/// `upper`/`lower` equal TA-Lib's `MAX(high)`/`MIN(low)` on finite data).
///
/// * `high`, `low` — price series of equal length.
/// * `period` — window length in bars (≥ 1; 0 gives all NaN).
///
/// Values start after [`donchian_lookback`] bars (after any leading bar where an input
/// is NaN); a window containing a NaN gives NaN.
pub fn donchian(high: &[f64], low: &[f64], period: usize) -> Donchian {
    let [upper, lower] = if period == 0 {
        [vec![f64::NAN; high.len()], vec![f64::NAN; high.len()]]
    } else {
        run_own([high, low], |[h, l], [upper, lower]| {
            rolling_extreme(h, period, upper, |new, old| new >= old);
            rolling_extreme(l, period, lower, |new, old| new <= old);
        })
    };
    let middle = upper
        .iter()
        .zip(&lower)
        .map(|(&u, &l)| (u + l) / 2.0)
        .collect();
    Donchian {
        upper,
        lower,
        middle,
    }
}

/// Writes the extreme of each full window of `x` (`period >= 1` bars ending at `i`)
/// to `out[i]`, using a monotonic deque of candidate indices; `supersedes(new, old)`
/// says whether a newer value makes an older one irrelevant. A window containing a
/// NaN gives NaN.
fn rolling_extreme(
    x: &[f64],
    period: usize,
    out: &mut [f64],
    supersedes: impl Fn(f64, f64) -> bool,
) {
    let mut candidates: VecDeque<usize> = VecDeque::new();
    let mut last_nan: Option<usize> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            last_nan = Some(i);
        } else {
            while candidates.back().is_some_and(|&j| supersedes(v, x[j])) {
                candidates.pop_back();
            }
            candidates.push_back(i);
        }
        while candidates.front().is_some_and(|&j| i - j >= period) {
            candidates.pop_front();
        }
        if i + 1 >= period {
            let nan_in_window = last_nan.is_some_and(|j| i - j < period);
            out[i] = match candidates.front() {
                Some(&j) if !nan_in_window => x[j],
                _ => f64::NAN,
            };
        }
    }
}

/// Number of leading NaN bars of [`donchian`]: `period − 1`; `usize::MAX` for
/// `period == 0`.
pub fn donchian_lookback(period: usize) -> usize {
    period.checked_sub(1).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn hand_computed_window_of_three() {
        let high = [3.0, 5.0, 4.0, 2.0, 6.0, 1.0];
        let low = [1.0, 2.0, 0.5, 1.0, 3.0, 0.8];
        let d = donchian(&high, &low, 3);
        assert!(same(&d.upper, &[NAN, NAN, 5.0, 5.0, 6.0, 6.0]));
        assert!(same(&d.lower, &[NAN, NAN, 0.5, 0.5, 0.5, 0.8]));
        assert!(same(&d.middle, &[NAN, NAN, 2.75, 2.75, 3.25, 3.4]));
        assert_eq!(donchian_lookback(3), 2);
    }

    #[test]
    fn includes_the_current_bar() {
        // A new high is reflected on its own bar.
        let high = [1.0, 2.0, 3.0, 10.0];
        let low = [0.0; 4];
        assert_eq!(donchian(&high, &low, 2).upper[3], 10.0);
    }

    #[test]
    fn period_one_is_the_bar_itself() {
        let high = [3.0, 5.0, 4.0];
        let low = [1.0, 2.0, 0.5];
        let d = donchian(&high, &low, 1);
        assert_eq!(d.upper, high);
        assert_eq!(d.lower, low);
        assert_eq!(d.middle, [2.0, 3.5, 2.25]);
        assert_eq!(donchian_lookback(1), 0);
    }

    #[test]
    fn leading_nans_are_skipped_and_later_nans_blank_their_windows() {
        let high = [NAN, 1.0, 2.0, NAN, 4.0, 5.0, 6.0];
        let low = [0.0, NAN, 1.0, 1.0, 1.0, 1.0, 1.0];
        let d = donchian(&high, &low, 2);
        // Bars 0 and 1 have a NaN input; the window then starts at bar 2.
        assert!(same(&d.upper, &[NAN, NAN, NAN, NAN, NAN, 5.0, 6.0]));
        assert!(same(&d.lower, &[NAN, NAN, NAN, 1.0, 1.0, 1.0, 1.0]));
    }

    #[test]
    fn ties_and_plateaus() {
        let high = [2.0, 2.0, 2.0, 1.0, 1.0, 1.0];
        let low = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0];
        let d = donchian(&high, &low, 3);
        assert!(same(&d.upper, &[NAN, NAN, 2.0, 2.0, 2.0, 1.0]));
        assert!(same(&d.lower, &[NAN, NAN, 1.0, 1.0, 1.0, 2.0]));
    }

    #[test]
    fn matches_a_naive_window_scan() {
        let mut x = 0.5_f64;
        let high: Vec<f64> = (0..200)
            .map(|_| {
                x = (x * 3.7 * (1.0 - x)).clamp(0.01, 0.99);
                100.0 * x
            })
            .collect();
        let low: Vec<f64> = high.iter().map(|h| h * 0.9).collect();
        for period in [1, 2, 5, 17, 199, 200, 201] {
            let d = donchian(&high, &low, period);
            for i in 0..high.len() {
                if i + 1 < period {
                    assert!(d.upper[i].is_nan() && d.lower[i].is_nan());
                } else {
                    let w = i + 1 - period..=i;
                    let hi = high[w.clone()].iter().copied().fold(f64::MIN, f64::max);
                    let lo = low[w].iter().copied().fold(f64::MAX, f64::min);
                    assert_eq!(
                        (d.upper[i], d.lower[i]),
                        (hi, lo),
                        "period {period} bar {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_and_short_inputs() {
        let d = donchian(&[], &[], 3);
        assert!(d.upper.is_empty() && d.lower.is_empty() && d.middle.is_empty());
        let d = donchian(&[1.0, 2.0], &[0.0, 1.0], 3);
        assert!(
            d.upper
                .iter()
                .chain(&d.lower)
                .chain(&d.middle)
                .all(|v| v.is_nan())
        );
        assert_eq!(d.upper.len(), 2);
    }
}
