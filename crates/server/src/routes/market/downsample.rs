//! Fewer points for a chart: consecutive candles merged into OHLCV buckets.

use bb_domain::Candles;

/// Merges runs of `k` consecutive candles, with `k` the smallest size that leaves at most
/// `max_points` buckets; each bucket opens at its first candle's time with its open, and
/// has the highest high, the lowest low, the last close and the summed volume. The last
/// bucket may hold fewer candles. Returns the buckets and `k` (1: unchanged, when there are
/// `max_points` candles or fewer). `max_points` of 0 is taken as 1.
pub fn downsample(candles: Candles, max_points: usize) -> (Candles, usize) {
    let n = candles.len();
    let max_points = max_points.max(1);
    if n <= max_points {
        return (candles, 1);
    }
    let k = n.div_ceil(max_points);
    let mut out = Candles::default();
    for start in (0..n).step_by(k) {
        let end = (start + k).min(n);
        let high = candles.high[start..end]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let low = candles.low[start..end]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let volume = candles.volume[start..end].iter().sum();
        out.push(
            candles.ts[start],
            candles.open[start],
            high,
            low,
            candles.close[end - 1],
            volume,
        );
    }
    (out, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` minutes where candle `i` has open i, high i + 10, low i - 10, close i + 0.5 and
    /// volume 1, except a spike at 4 (high 1000) and a dip at 7 (low -500).
    fn sample(n: usize) -> Candles {
        let mut c = Candles::default();
        for i in 0..n {
            let x = i as f64;
            let high = if i == 4 { 1000.0 } else { x + 10.0 };
            let low = if i == 7 { -500.0 } else { x - 10.0 };
            c.push(i as i64 * 60_000, x, high, low, x + 0.5, 1.0);
        }
        c
    }

    #[test]
    fn buckets_keep_first_open_extremes_last_close_and_total_volume() {
        let (out, k) = downsample(sample(10), 3);
        assert_eq!(k, 4);
        assert_eq!(out.ts, vec![0, 240_000, 480_000]);
        assert_eq!(out.open, vec![0.0, 4.0, 8.0]);
        assert_eq!(out.high, vec![13.0, 1000.0, 19.0]);
        assert_eq!(out.low, vec![-10.0, -500.0, -2.0]);
        assert_eq!(out.close, vec![3.5, 7.5, 9.5]);
        // the last bucket holds the two candles left over
        assert_eq!(out.volume, vec![4.0, 4.0, 2.0]);
    }

    #[test]
    fn never_more_points_than_asked() {
        for n in [1, 2, 9, 10, 11, 99, 100, 101, 1000, 44_641] {
            for max in [1, 2, 3, 7, 10, 100, 500] {
                let (out, k) = downsample(sample(n), max);
                assert!(out.len() <= max, "{n} candles, max {max}: {}", out.len());
                assert_eq!(out.len(), n.div_ceil(k), "{n}, {max}");
                // the smallest bucket size that fits
                assert!(k == 1 || n.div_ceil(k - 1) > max, "{n}, {max}: k = {k}");
                assert_eq!(out.volume.iter().sum::<f64>(), n as f64);
                assert_eq!(out.ts[0], 0);
                assert_eq!(*out.close.last().unwrap(), (n - 1) as f64 + 0.5);
            }
        }
    }

    #[test]
    fn edges() {
        // few enough candles: unchanged
        let (out, k) = downsample(sample(5), 5);
        assert_eq!((out, k), (sample(5), 1));
        // empty stays empty
        let (out, k) = downsample(Candles::default(), 10);
        assert_eq!((out.len(), k), (0, 1));
        // one point: the whole range as one candle
        let (out, k) = downsample(sample(10), 1);
        assert_eq!(k, 10);
        assert_eq!(
            (
                out.open[0],
                out.high[0],
                out.low[0],
                out.close[0],
                out.volume[0]
            ),
            (0.0, 1000.0, -500.0, 9.5, 10.0)
        );
        // zero is taken as one
        assert_eq!(downsample(sample(10), 0).0.len(), 1);
    }
}
