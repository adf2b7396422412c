//! The bar metrics' one pass: [`ReturnStats`] and [`MaxDrawdown`] together, reading the
//! equity once, bit for bit what [`ReturnStats::from_equity`] and
//! [`max_drawdown`](crate::max_drawdown::max_drawdown) give separately (a property test).
//!
//! Returns go in blocks of [`BLOCK`], each starting at a multiple of [`LANES`] so that its
//! groups of returns are `ReturnStats::from_equity`'s lanes; a full block computes its
//! growths in one vectorised pass. A block whose every bar equals the bar before it (a flat
//! stretch: no position) is skipped in closed form when that is exact: its returns are all
//! exactly 0, which adds nothing to the return sums when the first return and the
//! risk-free rate are both 0 (the usual case: flat warm-up, no risk-free rate), and the
//! drawdown only moves its peak bar when the stretch is at the peak. Otherwise the pass
//! falls back to the two separate functions.

use crate::max_drawdown::{BLOCK, DrawdownScanner, MaxDrawdown, max_drawdown};
use crate::returns::{LANES, ReturnStats, bar_return};

// Blocks of returns start at a multiple of LANES.
const _: () = assert!(BLOCK.is_multiple_of(LANES));

/// [`ReturnStats::from_equity`]`(equity, rf_bar)` and `max_drawdown(ts, equity)`, for `ts`
/// and `equity` of the same length.
pub(crate) fn bar_pass(ts: &[i64], equity: &[f64], rf_bar: f64) -> (ReturnStats, MaxDrawdown) {
    let n = ts.len().min(equity.len());
    let (ts, equity) = (&ts[..n], &equity[..n]);
    let shift = if n >= 2 {
        bar_return(equity[0], equity[1])
    } else {
        None
    };
    // Flat returns add exactly nothing only when both offsets are exactly 0.
    if shift != Some(0.0) || rf_bar != 0.0 {
        return (
            ReturnStats::from_equity(equity, rf_bar),
            max_drawdown(ts, equity),
        );
    }
    let mut scanner = DrawdownScanner::new(ts, equity);
    // As in `ReturnStats::from_equity`, with shift and rf_bar both 0.
    let mut lanes = Lanes::new(0.0, rf_bar);
    // Blocks of BLOCK returns (return j compares bars j and j + 1): a block starts at a
    // multiple of LANES, so its groups of returns are `ReturnStats::from_equity`'s chunks
    // (return j in lane j % LANES) and only the last block can leave returns over, which
    // go to lane 0 as there.
    let returns = n - 1;
    scanner.scan(0..1);
    for start in (0..returns).step_by(BLOCK) {
        let end = (start + BLOCK).min(returns);
        // Bars start + 1 ..= end, compared with the bars before them.
        let (previous, current) = (&equity[start..end], &equity[start + 1..end + 1]);
        let prev = equity[start];
        let flat = prev.is_finite()
            && prev > 0.0
            && current.iter().fold(true, |all, &e| all & (e == prev));
        if flat {
            // Returns: growth 1, so d = 0 and below = 0 (adding +0.0 to sums that
            // started at +0.0 changes nothing); the lowest previous equity is `prev`.
            lanes.floor(prev);
            // Drawdown: at the peak each bar becomes the new peak bar; below it the
            // trough is already at most `prev`.
            if prev >= scanner.peak {
                scanner.peak_bar = end;
            }
            continue;
        }
        if let (Ok(p), Ok(c)) = (
            <&[f64; BLOCK]>::try_from(previous),
            <&[f64; BLOCK]>::try_from(current),
        ) {
            lanes.add_block(p, c);
        } else {
            // the last block: returns past the last whole group of LANES go to lane 0
            let grouped = returns - returns % LANES;
            for (k, (&p, &c)) in previous.iter().zip(current).enumerate() {
                let lane = if start + k < grouped { k % LANES } else { 0 };
                lanes.add(lane, p, c);
            }
        }
        scanner.scan(start + 1..end + 1);
    }
    let stats = lanes.stats(n - 1, 0.0, rf_bar);
    (stats, scanner.finish())
}

/// The partial sums of [`ReturnStats::from_equity`], lane by lane.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes {
    pub(crate) sum: [f64; LANES],
    pub(crate) sum_sq: [f64; LANES],
    pub(crate) down: [f64; LANES],
    pub(crate) lowest: [f64; LANES],
    pub(crate) one_shift: f64,
    pub(crate) one_rf: f64,
}

impl Lanes {
    /// Empty sums for returns measured against `1 + shift`, with `rf_bar` the per-bar
    /// risk-free rate.
    pub(crate) fn new(shift: f64, rf_bar: f64) -> Lanes {
        Lanes {
            sum: [0.0; LANES],
            sum_sq: [0.0; LANES],
            down: [0.0; LANES],
            lowest: [f64::INFINITY; LANES],
            one_shift: 1.0 + shift,
            one_rf: 1.0 + rf_bar,
        }
    }

    /// The statistics of `count` returns whose sums these are (`shift` as given to
    /// [`Lanes::new`]), as `ReturnStats::from_equity` finishes them.
    pub(crate) fn stats(&self, count: usize, shift: f64, rf_bar: f64) -> ReturnStats {
        let sum: f64 = self.sum.iter().sum();
        let sum_sq: f64 = self.sum_sq.iter().sum();
        let downside_sq: f64 = self.down.iter().sum();
        let lowest = self.lowest.iter().copied().fold(f64::INFINITY, f64::min);
        let finite = sum.is_finite() && sum_sq.is_finite() && downside_sq.is_finite();
        ReturnStats {
            rf_bar,
            count,
            shift,
            sum,
            sum_sq,
            downside_sq,
            undefined: !(lowest > 0.0 && finite),
        }
    }

    /// One group of LANES returns, from `previous[k]` to `current[k]` into lane `k`, but
    /// not their previous equity into the lowest: the caller does that once for a run of
    /// groups, with [`Lanes::floor`] (the lowest is one minimum over all lanes, so where
    /// it is kept does not matter).
    #[inline(always)]
    pub(crate) fn add_group_sums(&mut self, previous: &[f64; LANES], current: &[f64; LANES]) {
        let mut growth = [0.0; LANES];
        for k in 0..LANES {
            growth[k] = current[k] / previous[k];
        }
        for (lane, growth) in growth.into_iter().enumerate() {
            let d = growth - self.one_shift;
            self.sum[lane] += d;
            self.sum_sq[lane] += d * d;
            let below = growth - self.one_rf;
            let below = if below < 0.0 { below } else { 0.0 };
            self.down[lane] += below * below;
        }
    }

    /// The return from `p` to `c` into `lane`, as `ReturnStats::from_equity` adds it.
    #[inline(always)]
    pub(crate) fn add(&mut self, lane: usize, p: f64, c: f64) {
        let growth = c / p;
        let d = growth - self.one_shift;
        self.sum[lane] += d;
        self.sum_sq[lane] += d * d;
        let below = growth - self.one_rf;
        let below = if below < 0.0 { below } else { 0.0 };
        self.down[lane] += below * below;
        self.lowest[lane] = if p < self.lowest[lane] {
            p
        } else {
            self.lowest[lane]
        };
    }

    /// A whole block of returns (from a multiple of LANES): the growths first, in one
    /// vectorised pass, then lane by lane in order, as [`Lanes::add`] does.
    #[inline(always)]
    fn add_block(&mut self, previous: &[f64; BLOCK], current: &[f64; BLOCK]) {
        let mut growth = [0.0; BLOCK];
        for k in 0..BLOCK {
            growth[k] = current[k] / previous[k];
        }
        let (mut sum, mut sum_sq, mut down, mut lowest) =
            (self.sum, self.sum_sq, self.down, self.lowest);
        for k in (0..BLOCK).step_by(LANES) {
            for lane in 0..LANES {
                let d = growth[k + lane] - self.one_shift;
                sum[lane] += d;
                sum_sq[lane] += d * d;
                let below = growth[k + lane] - self.one_rf;
                let below = if below < 0.0 { below } else { 0.0 };
                down[lane] += below * below;
                let p = previous[k + lane];
                lowest[lane] = if p < lowest[lane] { p } else { lowest[lane] };
            }
        }
        (self.sum, self.sum_sq, self.down, self.lowest) = (sum, sum_sq, down, lowest);
    }

    /// `prev` into the lowest previous equity (NaN skipped, as [`Lanes::add`] does); flat
    /// returns from `prev` add exactly nothing else.
    #[inline(always)]
    pub(crate) fn floor(&mut self, prev: f64) {
        self.lowest[0] = if prev < self.lowest[0] {
            prev
        } else {
            self.lowest[0]
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn separate(ts: &[i64], equity: &[f64], rf: f64) -> (ReturnStats, MaxDrawdown) {
        (
            ReturnStats::from_equity(equity, rf),
            max_drawdown(ts, equity),
        )
    }

    /// Bitwise equality (so -0.0 and 0.0 differ, and NaN equals NaN).
    fn same(a: &(ReturnStats, MaxDrawdown), b: &(ReturnStats, MaxDrawdown)) -> bool {
        let f = |x: f64, y: f64| x.to_bits() == y.to_bits();
        let (s, t) = (&a.0, &b.0);
        s.count == t.count
            && s.undefined == t.undefined
            && f(s.shift, t.shift)
            && f(s.rf_bar, t.rf_bar)
            && (s.undefined
                || (f(s.sum, t.sum) && f(s.sum_sq, t.sum_sq) && f(s.downside_sq, t.downside_sq)))
            && f(a.1.pct, b.1.pct)
            && a.1.duration_bars == b.1.duration_bars
            && a.1.duration_ms == b.1.duration_ms
    }

    #[test]
    fn edge_cases() {
        for equity in [
            &[][..],
            &[100.0],
            &[100.0, 100.0],
            &[100.0; 40],
            &[100.0, 100.0, 0.0, 0.0, 5.0],
            &[100.0, 100.0, f64::INFINITY, f64::INFINITY, 5.0],
            &[100.0, 100.0, f64::NAN, 100.0, 100.0],
        ] {
            let ts: Vec<i64> = (0..equity.len() as i64).collect();
            let flat_then_steps: Vec<f64> = equity.to_vec();
            assert!(same(
                &bar_pass(&ts, &flat_then_steps, 0.0),
                &separate(&ts, &flat_then_steps, 0.0)
            ));
        }
    }

    #[test]
    fn returns_left_over_after_the_last_group_go_to_lane_zero() {
        // Every count of returns past the last whole group of LANES, in a full and a
        // partial last block, with returns whose sums depend on the order they are added.
        for len in 30..30 + 2 * BLOCK {
            let equity: Vec<f64> = (0..len)
                .map(|i| 1000.0 * (1.0 + 0.01 * ((i * 7919 % 13) as f64 - 6.0) / 7.0))
                .collect();
            let ts: Vec<i64> = (0..len as i64).collect();
            let mut flat_start = equity.clone();
            flat_start[1] = flat_start[0];
            for e in [&equity, &flat_start] {
                assert!(
                    same(&bar_pass(&ts, e, 0.0), &separate(&ts, e, 0.0)),
                    "{len} bars"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn equals_the_separate_passes(
            runs in prop::collection::vec((0usize..60, -0.03f64..0.03, any::<bool>()), 0..30),
            first_flat in any::<bool>(),
            rf in prop::sample::select(vec![0.0, 1e-6]),
        ) {
            // Flat stretches (no position) between moving ones, as a backtest makes them.
            let mut equity = vec![1000.0];
            if first_flat {
                equity.push(1000.0);
            }
            for (len, step, flat) in runs {
                for _ in 0..len {
                    let last = *equity.last().unwrap();
                    equity.push(if flat { last } else { last * (1.0 + step) });
                }
            }
            let ts: Vec<i64> = (0..equity.len() as i64).map(|i| i * 60_000).collect();
            let got = bar_pass(&ts, &equity, rf);
            let want = separate(&ts, &equity, rf);
            prop_assert!(same(&got, &want), "{:?} vs {:?}", got, want);
        }
    }
}
