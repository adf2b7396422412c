//! Rolling volume-weighted average price (VWAP): the volume-weighted mean of the
//! typical price (h+l+c)/3 over the last `period` bars.

use crate::common::run_own;

/// Rolling VWAP: `Σ typical·volume / Σ volume` over the last `period` bars (current
/// included), `typical = (high + low + close) / 3` (own implementation).
///
/// * `high`, `low`, `close`, `volume` — series of equal length.
/// * `period` — window length in bars (≥ 1; 0 gives all NaN).
///
/// NaN where the window's volume sum is 0 or the window holds a NaN or infinite
/// value. Values start after [`rolling_vwap_lookback`] bars (after any leading bar
/// where an input is NaN). The window sums are computed in O(n) without running
/// subtraction, so a huge volume leaving the window leaves no rounding residue.
pub fn rolling_vwap(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
) -> Vec<f64> {
    if period == 0 {
        return vec![f64::NAN; high.len()];
    }
    let [out] = run_own([high, low, close, volume], |[h, l, c, v], [out]| {
        let typical_volume = (0..out.len()).map(|i| (h[i] + l[i] + c[i]) / 3.0 * v[i]);
        let price_volume = WindowSums::new(typical_volume.collect(), period);
        let volume = WindowSums::new(v.to_vec(), period);
        for (i, o) in out.iter_mut().enumerate().skip(period - 1) {
            let finite = price_volume.finite(i) && volume.finite(i);
            let v = volume.at(i);
            *o = if finite && v != 0.0 {
                price_volume.at(i) / v
            } else {
                f64::NAN
            };
        }
    });
    out
}

/// Sums over every window of `period` consecutive values, without the cancellation
/// errors of a running sum (where one huge value leaving the window would swamp the
/// small ones that remain): the series is cut into blocks of `period`, and a window
/// ending at `i` is a suffix of the previous block plus a prefix of `i`'s block, each
/// summed by plain addition (van Herk / Gil-Werman). O(n) time. Non-finite values
/// are counted instead of summed.
struct WindowSums {
    period: usize,
    /// Sum from the start of `i`'s block up to `i`.
    prefix: Vec<f64>,
    /// Sum from `i` to the end of `i`'s block.
    suffix: Vec<f64>,
    /// Number of non-finite values among the first `i` values.
    non_finite_before: Vec<usize>,
}

impl WindowSums {
    fn new(values: Vec<f64>, period: usize) -> Self {
        let n = values.len();
        let clean = |x: f64| if x.is_finite() { x } else { 0.0 };
        let mut prefix = vec![0.0; n];
        let mut suffix = vec![0.0; n];
        for block in (0..n).step_by(period) {
            let end = block.saturating_add(period).min(n);
            let mut acc = 0.0;
            for i in block..end {
                acc += clean(values[i]);
                prefix[i] = acc;
            }
            acc = 0.0;
            for i in (block..end).rev() {
                acc += clean(values[i]);
                suffix[i] = acc;
            }
        }
        let mut non_finite_before = Vec::with_capacity(n + 1);
        non_finite_before.push(0);
        for (i, x) in values.iter().enumerate() {
            non_finite_before.push(non_finite_before[i] + usize::from(!x.is_finite()));
        }
        WindowSums {
            period,
            prefix,
            suffix,
            non_finite_before,
        }
    }

    /// Sum of the (finite) values in the window `i + 1 − period ..= i`
    /// (`i + 1 >= period`).
    fn at(&self, i: usize) -> f64 {
        let first = i + 1 - self.period;
        if first.is_multiple_of(self.period) {
            self.prefix[i] // the window is exactly one block
        } else {
            self.suffix[first] + self.prefix[i]
        }
    }

    /// Whether every value in the window ending at `i` is finite.
    fn finite(&self, i: usize) -> bool {
        self.non_finite_before[i + 1] == self.non_finite_before[i + 1 - self.period]
    }
}

/// Number of leading NaN bars of [`rolling_vwap`]: `period − 1`; `usize::MAX` for
/// `period == 0`.
pub fn rolling_vwap_lookback(period: usize) -> usize {
    period.checked_sub(1).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn close_to(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs().max(1.0)
            })
    }

    /// Flat bars (high = low = close), so the typical price is the close.
    fn flat(prices: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
        rolling_vwap(prices, prices, prices, volume, period)
    }

    #[test]
    fn hand_computed() {
        let p = [10.0, 20.0, 30.0, 40.0];
        let v = [1.0, 2.0, 3.0, 0.0];
        // (10·1 + 20·2) / 3, (20·2 + 30·3) / 5, (30·3 + 40·0) / 3
        assert!(close_to(&flat(&p, &v, 2), &[NAN, 50.0 / 3.0, 26.0, 30.0]));
        // (10 + 40 + 90) / 6, (40 + 90 + 0) / 5
        assert!(close_to(&flat(&p, &v, 3), &[NAN, NAN, 140.0 / 6.0, 26.0]));
        assert_eq!(rolling_vwap_lookback(3), 2);
    }

    #[test]
    fn typical_price_is_the_mean_of_high_low_close() {
        let high = [4.0, 9.0];
        let low = [1.0, 3.0];
        let close = [1.0, 6.0];
        let volume = [2.0, 1.0];
        // typical: 2 and 6; (2·2 + 6·1) / 3
        let vwap = rolling_vwap(&high, &low, &close, &volume, 2);
        assert!(close_to(&vwap, &[NAN, 10.0 / 3.0]));
        let one = rolling_vwap(&high, &low, &close, &volume, 1);
        assert!(close_to(&one, &[2.0, 6.0]));
    }

    #[test]
    fn zero_volume_windows_are_nan() {
        let p = [10.0, 20.0, 30.0, 40.0];
        let v = [1.0, 0.0, 0.0, 2.0];
        assert!(close_to(&flat(&p, &v, 2), &[NAN, 10.0, NAN, 40.0]));
        assert!(close_to(&flat(&p, &v, 1), &[10.0, NAN, NAN, 40.0]));
        // Volumes that do not cancel exactly in floating point still give NaN.
        let v = [0.1, 0.2, 0.0, 0.0, 0.0];
        let out = flat(&[1.0; 5], &v, 2);
        assert!(out[3].is_nan() && out[4].is_nan());
    }

    #[test]
    fn leading_nans_are_skipped_and_later_nans_blank_their_windows() {
        let p = [NAN, 10.0, 20.0, 30.0, 40.0, 50.0];
        let v = [1.0, NAN, 1.0, 1.0, NAN, 1.0];
        let out = flat(&p, &v, 2);
        assert!(close_to(&out, &[NAN, NAN, NAN, 25.0, NAN, NAN]));
        let out = flat(&[NAN, NAN, 1.0, 2.0], &[1.0, 1.0, 1.0, 1.0], 2);
        assert!(close_to(&out, &[NAN, NAN, NAN, 1.5]));
    }

    #[test]
    fn block_sums_match_a_naive_window_sum() {
        let n = 500;
        let mut x = 0.3_f64;
        let mut next = || {
            x = (x * 3.9 * (1.0 - x)).clamp(0.001, 0.999);
            x
        };
        let close: Vec<f64> = (0..n).map(|_| 1000.0 * (1.0 + next())).collect();
        let high: Vec<f64> = close.iter().map(|c| c * 1.01).collect();
        let low: Vec<f64> = close.iter().map(|c| c * 0.98).collect();
        // Volumes spanning many orders of magnitude, as in real data.
        let volume: Vec<f64> = (0..n)
            .map(|i| next() * 10f64.powi((i % 13) as i32))
            .collect();
        for period in [1, 2, 3, 7, 50, 499, 500, 501] {
            let fast = rolling_vwap(&high, &low, &close, &volume, period);
            let naive: Vec<f64> = (0..n)
                .map(|i| {
                    if i + 1 < period {
                        return NAN;
                    }
                    let w = i + 1 - period..=i;
                    let pv: f64 = w
                        .clone()
                        .map(|j| (high[j] + low[j] + close[j]) / 3.0 * volume[j])
                        .sum();
                    let v: f64 = volume[w].iter().sum();
                    pv / v
                })
                .collect();
            assert!(close_to(&fast, &naive), "period {period}");
        }
    }

    #[test]
    fn empty_short_and_zero_period() {
        assert!(rolling_vwap(&[], &[], &[], &[], 3).is_empty());
        assert!(flat(&[1.0, 2.0], &[1.0, 1.0], 3).iter().all(|v| v.is_nan()));
        assert!(flat(&[1.0, 2.0], &[1.0, 1.0], 0).iter().all(|v| v.is_nan()));
        assert_eq!(rolling_vwap_lookback(0), usize::MAX);
    }
}
