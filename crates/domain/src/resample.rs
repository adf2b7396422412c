//! Aggregation of candles into a higher timeframe (UTC-aligned buckets).

use crate::candles::Candles;
use crate::timeframe::Timeframe;

/// Aggregates `base` into bars of `target`: open of the first bar, highest high, lowest low,
/// close of the last bar, summed volume. A bucket is emitted only when it is complete as far as
/// the data can tell: a leading bucket whose first base bar is not at the bucket start is
/// dropped, and so is the trailing bucket unless its last base bar closes at the bucket's end.
/// Buckets with missing bars inside (gaps) are kept and aggregate the bars that exist.
pub fn resample(base: &Candles, base_tf: Timeframe, target: Timeframe) -> Candles {
    let mut out = Candles::default();
    let n = base.len();
    let mut i = 0;
    while i < n {
        let bucket = target.bucket_start(base.ts[i]);
        let mut j = i;
        let (mut high, mut low, mut volume) = (f64::NEG_INFINITY, f64::INFINITY, 0.0);
        while j < n && target.bucket_start(base.ts[j]) == bucket {
            high = high.max(base.high[j]);
            low = low.min(base.low[j]);
            volume += base.volume[j];
            j += 1;
        }
        let leading_partial = i == 0 && base.ts[0] != bucket;
        let trailing_partial =
            j == n && base.ts[n - 1] + base_tf.millis() < bucket + target.millis();
        if !leading_partial && !trailing_partial {
            out.push(bucket, base.open[i], high, low, base.close[j - 1], volume);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn minute_bars(n: usize, start: i64) -> Candles {
        let mut c = Candles::default();
        for k in 0..n {
            let p = 100.0 + (k as f64 * 0.7).sin() * 5.0;
            c.push(
                start + k as i64 * 60_000,
                p,
                p + 1.0,
                p - 1.0,
                p + 0.5,
                k as f64,
            );
        }
        c
    }

    #[test]
    fn five_minute_bars_aggregate_ohlcv() {
        let base = minute_bars(10, 0);
        let five = resample(&base, Timeframe::MINUTE, "5m".parse().unwrap());
        assert_eq!(five.ts, vec![0, 300_000]);
        assert_eq!(five.open[1], base.open[5]);
        assert_eq!(five.close[1], base.close[9]);
        assert_eq!(five.volume[0], 0.0 + 1.0 + 2.0 + 3.0 + 4.0);
    }

    #[test]
    fn partial_buckets_are_dropped() {
        let base = minute_bars(12, 60_000); // starts at 00:01, ends 00:12
        let five = resample(&base, Timeframe::MINUTE, "5m".parse().unwrap());
        assert_eq!(five.ts, vec![300_000]);
    }

    proptest! {
        #[test]
        fn matches_direct_aggregation(n in 1usize..400, k in 2u32..30) {
            let base = minute_bars(n, 0);
            let tf = Timeframe::from_minutes(k).unwrap();
            let out = resample(&base, Timeframe::MINUTE, tf);
            prop_assert_eq!(out.len(), n / k as usize);
            for (b, &ts) in out.ts.iter().enumerate() {
                let rows = (b * k as usize)..((b + 1) * k as usize);
                prop_assert_eq!(ts, rows.start as i64 * 60_000);
                prop_assert_eq!(out.open[b], base.open[rows.start]);
                prop_assert_eq!(out.close[b], base.close[rows.end - 1]);
                let hi = base.high[rows.clone()].iter().cloned().fold(f64::MIN, f64::max);
                prop_assert_eq!(out.high[b], hi);
            }
        }
    }
}
