//! The bar metrics' one pass: [`ReturnStats`] and [`MaxDrawdown`] together, reading the
//! equity once, bit for bit what [`ReturnStats::from_equity`] and
//! [`max_drawdown`](crate::max_drawdown::max_drawdown) give separately (a property test).
//!
//! Bars go in blocks of [`BLOCK`] (the drawdown's blocks). A block whose every value equals
//! the bar before it (a flat stretch: no position) is skipped in closed form when that is
//! exact: its returns are all exactly 0, which adds nothing to the return sums when the
//! first return and the risk-free rate are both 0 (the usual case: flat warm-up, no
//! risk-free rate), and the drawdown only moves its peak bar when the stretch is at the
//! peak. Otherwise the pass falls back to the two separate functions.

use crate::max_drawdown::{BLOCK, DrawdownScanner, MaxDrawdown, max_drawdown};
use crate::returns::{LANES, ReturnStats, bar_return};

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
    let mut sum = [0.0; LANES];
    let mut sum_sq = [0.0; LANES];
    let mut down = [0.0; LANES];
    let mut lowest = [f64::INFINITY; LANES];
    // As in `ReturnStats::from_equity`, with shift and rf_bar both 0.
    let (one_shift, one_rf) = (1.0 + 0.0, 1.0 + rf_bar);
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let block = &equity[start..end];
        if start > 0 {
            let prev = equity[start - 1];
            let flat = prev.is_finite()
                && prev > 0.0
                && block.iter().fold(true, |all, &e| all & (e == prev));
            if flat {
                // Returns: growth 1, so d = 0 and below = 0 (adding +0.0 to sums that
                // started at +0.0 changes nothing); the lowest previous equity is `prev`.
                lowest[0] = if prev < lowest[0] { prev } else { lowest[0] };
                // Drawdown: at the peak each bar becomes the new peak bar; below it the
                // trough is already at most `prev`.
                if prev >= scanner.peak {
                    scanner.peak_bar = end - 1;
                }
                continue;
            }
        }
        // Return j compares bars j and j + 1, in lane j % LANES (the order of
        // `ReturnStats::from_equity`'s chunks and remainder). Blocks start at a multiple of
        // BLOCK (even): the return into the block's first bar is in lane 1, then pairs.
        let mut add = |lane: usize, p: f64, c: f64| {
            let growth = c / p;
            let d = growth - one_shift;
            sum[lane] += d;
            sum_sq[lane] += d * d;
            let below = growth - one_rf;
            let below = if below < 0.0 { below } else { 0.0 };
            down[lane] += below * below;
            lowest[lane] = if p < lowest[lane] { p } else { lowest[lane] };
        };
        if start > 0 {
            add(1, equity[start - 1], equity[start]);
        }
        let previous = &equity[start..end - 1];
        let current = &equity[start + 1..end];
        let p_chunks = previous.chunks_exact(LANES);
        let c_chunks = current.chunks_exact(LANES);
        let (p_rest, c_rest) = (p_chunks.remainder(), c_chunks.remainder());
        for (p, c) in p_chunks.zip(c_chunks) {
            for lane in 0..LANES {
                add(lane, p[lane], c[lane]);
            }
        }
        for (&p, &c) in p_rest.iter().zip(c_rest) {
            add(0, p, c);
        }
        scanner.scan(start..end);
    }
    let mut stats = ReturnStats {
        rf_bar,
        count: n - 1,
        shift: 0.0,
        sum: 0.0,
        sum_sq: 0.0,
        downside_sq: 0.0,
        undefined: false,
    };
    stats.sum = sum.iter().sum();
    stats.sum_sq = sum_sq.iter().sum();
    stats.downside_sq = down.iter().sum();
    let lowest = lowest.iter().copied().fold(f64::INFINITY, f64::min);
    let finite = stats.sum.is_finite() && stats.sum_sq.is_finite() && stats.downside_sq.is_finite();
    stats.undefined = !(lowest > 0.0 && finite);
    (stats, scanner.finish())
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
