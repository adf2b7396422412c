//! Incremental resampling to a higher timeframe, exactly as [`bb_domain::resample`] does on
//! the whole series: complete buckets only (a bucket the data starts inside of is never
//! produced), and a bucket is produced as soon as it has closed, that is on the base bar
//! that ends it or, after a gap, on the first base bar of a later bucket. A higher bar
//! produced on base bar `i` is exactly one whose close is at or before `i`'s close, which
//! is what the batch evaluation exposes on that bar.

use bb_domain::Timeframe;

/// One bar of candles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

#[derive(Clone, Debug)]
pub(super) struct Resampler {
    pub(super) tf: Timeframe,
    base_ms: i64,
    seen_any: bool,
    /// The bucket being filled, whether it can be produced (not a leading partial, not
    /// produced yet).
    current: Option<(Bar, bool)>,
}

impl Resampler {
    pub(super) fn new(tf: Timeframe, base: Timeframe) -> Self {
        Resampler {
            tf,
            base_ms: base.millis(),
            seen_any: false,
            current: None,
        }
    }

    /// Takes the next base bar; returns the higher bars that closed with it, oldest first.
    pub(super) fn push(&mut self, bar: &Bar) -> [Option<Bar>; 2] {
        let mut out = [None, None];
        let start = self.tf.bucket_start(bar.ts);
        if let Some((cur, open)) = self.current
            && cur.ts != start
        {
            if open {
                out[0] = Some(cur);
            }
            self.current = None;
        }
        let (cur, open) = self.current.get_or_insert((
            Bar {
                ts: start,
                open: bar.open,
                high: f64::NEG_INFINITY,
                low: f64::INFINITY,
                close: bar.close,
                volume: 0.0,
            },
            self.seen_any || bar.ts == start,
        ));
        self.seen_any = true;
        cur.high = cur.high.max(bar.high);
        cur.low = cur.low.min(bar.low);
        cur.volume += bar.volume;
        cur.close = bar.close;
        if *open && bar.ts + self.base_ms >= start + self.tf.millis() {
            *open = false;
            out[usize::from(out[0].is_some())] = Some(*cur);
        }
        out
    }
}
