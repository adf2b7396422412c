//! **Maximum drawdown (%)** and **maximum drawdown duration (bars and milliseconds)**.
//!
//! *Maximum drawdown* is the deepest fall of the equity below its running peak:
//! the most negative value of the [drawdown series](crate::drawdown), in percent. It is `0`
//! when the equity never fell below an earlier high (including flat equity and no trades)
//! and negative otherwise: `−25` means that at its worst the account was 25 % below its
//! highest equity so far. The peak starts at the first bar's equity (not the initial
//! capital).
//!
//! *Maximum drawdown duration* is the longest time the equity spent below a previous peak:
//! for each drawdown, from the bar of the peak to the first later bar whose equity is back at
//! or above that peak (or to the last bar if it never gets back). It is reported in bars
//! (`recovery bar index − peak bar index`) and in milliseconds between those two bars'
//! timestamps. Both numbers describe the same drawdown: the one lasting the most bars (the
//! earliest, on a tie). They can disagree with "longest in time" only if the data has gaps.
//! `0` and `0` when there was no drawdown.
//!
//! Example: equity 100, 90, 95, 100, 105 has a 10 % drawdown lasting 3 bars (peak at bar 0,
//! back to 100 at bar 3).

use crate::drawdown::drawdown_pct;

/// Depth and length of the worst drawdowns; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaxDrawdown {
    /// Deepest drawdown in percent, zero or negative.
    pub pct: f64,
    /// Bars from the peak to the recovery (or the last bar) of the longest drawdown.
    pub duration_bars: usize,
    /// Milliseconds from the peak to the recovery (or the last bar) of that same drawdown.
    pub duration_ms: i64,
}

/// Bars examined together by the fast path of [`DrawdownScanner::scan`].
pub(crate) const BLOCK: usize = 16;

/// Maximum drawdown and its duration for an equity curve with bar timestamps `ts`; see the
/// module documentation. Extra entries of the longer slice are ignored, and so are NaN
/// equity values.
pub fn max_drawdown(ts: &[i64], equity: &[f64]) -> MaxDrawdown {
    let mut scanner = DrawdownScanner::new(ts, equity);
    let n = scanner.equity.len();
    for start in (0..n).step_by(BLOCK) {
        scanner.scan(start..(start + BLOCK).min(n));
    }
    scanner.finish()
}

/// Computes [`max_drawdown`] block by block. Scan every bar once, in order, then
/// [`finish`](Self::finish).
#[derive(Clone, Debug)]
pub(crate) struct DrawdownScanner<'a> {
    ts: &'a [i64],
    equity: &'a [f64],
    /// The running peak and the bar where it was set.
    pub(crate) peak: f64,
    pub(crate) peak_bar: usize,
    /// Lowest equity since the peak; below `peak` exactly when the equity is under water.
    trough: f64,
    result: MaxDrawdown,
}

impl<'a> DrawdownScanner<'a> {
    /// A scanner over the bars both slices have.
    pub(crate) fn new(ts: &'a [i64], equity: &'a [f64]) -> DrawdownScanner<'a> {
        let n = ts.len().min(equity.len());
        DrawdownScanner {
            ts: &ts[..n],
            equity: &equity[..n],
            peak: f64::NEG_INFINITY,
            peak_bar: 0,
            trough: f64::NEG_INFINITY,
            result: MaxDrawdown {
                pct: 0.0,
                duration_bars: 0,
                duration_ms: 0,
            },
        }
    }

    /// A scanner fed bar values as they come ([`DrawdownScanner::scan_values`],
    /// [`DrawdownScanner::scan_flat`]) rather than read from a curve; `ts` holds every bar's
    /// timestamp.
    pub(crate) fn streaming(ts: &'a [i64]) -> DrawdownScanner<'a> {
        DrawdownScanner {
            ts,
            ..DrawdownScanner::new(&[], &[])
        }
    }

    /// Scans the bars in `bars`, which must follow the bars scanned before.
    #[inline]
    pub(crate) fn scan(&mut self, bars: std::ops::Range<usize>) {
        let equity = self.equity;
        self.scan_values(bars.start, &equity[bars]);
    }

    /// Scans bars `first_bar..first_bar + block.len()` with equity `block`; they must follow
    /// the bars scanned before.
    #[inline]
    pub(crate) fn scan_values(&mut self, first_bar: usize, block: &[f64]) {
        // Fast path: a block that stays below the peak can only deepen the trough. Most bars
        // of a real equity curve are under water.
        // In four independent lanes, so it vectorises: NaN is skipped whatever the order,
        // and only a zero's sign can depend on it, which no comparison or quotient below
        // (nor the percentage) tells apart.
        let (mut lows, mut highs) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4]);
        let chunks = block.chunks_exact(4);
        for &e in chunks.remainder() {
            lows[0] = if e < lows[0] { e } else { lows[0] };
            highs[0] = if e > highs[0] { e } else { highs[0] };
        }
        for chunk in chunks {
            for lane in 0..4 {
                let e = chunk[lane];
                lows[lane] = if e < lows[lane] { e } else { lows[lane] };
                highs[lane] = if e > highs[lane] { e } else { highs[lane] };
            }
        }
        let low = lows
            .iter()
            .fold(f64::INFINITY, |l, &e| if e < l { e } else { l });
        let high = highs
            .iter()
            .fold(f64::NEG_INFINITY, |h, &e| if e > h { e } else { h });
        if high < self.peak {
            self.trough = if low < self.trough { low } else { self.trough };
            return;
        }
        for (bar, &e) in (first_bar..).zip(block) {
            self.scan_one(bar, e);
        }
    }

    /// Scans bar `bar` with equity `e` (the bar after those scanned before).
    #[inline]
    pub(crate) fn scan_one(&mut self, bar: usize, e: f64) {
        if e >= self.peak {
            if self.trough < self.peak {
                self.end_drawdown(bar);
            }
            (self.peak, self.peak_bar, self.trough) = (e, bar, e);
        } else if e < self.trough {
            self.trough = e;
        }
    }

    /// What scanning bars that all stay below the peak does: the lowest, `low`, may deepen
    /// the trough.
    #[inline]
    pub(crate) fn lower_trough(&mut self, low: f64) {
        self.trough = if low < self.trough { low } else { self.trough };
    }

    /// Scans `count` bars from `first_bar` whose equity is all `value`, in constant time:
    /// exactly what scanning them one by one does.
    pub(crate) fn scan_flat(&mut self, first_bar: usize, count: usize, value: f64) {
        if count == 0 {
            return;
        }
        // The first bar either sets the peak (then each later bar, equal to it, moves the
        // peak bar on) or can only lower the trough (then the later ones change nothing).
        self.scan_one(first_bar, value);
        if self.peak_bar == first_bar && value >= self.peak {
            self.peak_bar = first_bar + count - 1;
        }
    }

    fn end_drawdown(&mut self, end_bar: usize) {
        let r = &mut self.result;
        r.pct = r.pct.min(drawdown_pct(self.trough, self.peak));
        let bars = end_bar - self.peak_bar;
        if bars > r.duration_bars {
            r.duration_bars = bars;
            r.duration_ms = self.ts[end_bar] - self.ts[self.peak_bar];
        }
    }

    /// The result; a drawdown still open at the last bar ends there.
    pub(crate) fn finish(self) -> MaxDrawdown {
        let bars = self.equity.len();
        self.finish_at(bars)
    }

    /// The result after `bars` bars were scanned; a drawdown still open ends at the last.
    pub(crate) fn finish_at(mut self, bars: usize) -> MaxDrawdown {
        if self.trough < self.peak {
            self.end_drawdown(bars - 1);
        }
        self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drawdown::drawdown_series;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;

    /// Hourly bars starting at 0.
    fn run(equity: &[f64]) -> MaxDrawdown {
        let ts: Vec<i64> = (0..equity.len() as i64).map(|i| i * H).collect();
        max_drawdown(&ts, equity)
    }

    #[test]
    fn cases() {
        // (name, equity, pct, bars)
        let cases: &[(&str, &[f64], f64, usize)] = &[
            ("no bars", &[], 0.0, 0),
            ("one bar", &[100.0], 0.0, 0),
            ("flat equity", &[100.0; 5], 0.0, 0),
            ("rising", &[100.0, 101.0, 102.0], 0.0, 0),
            ("doc example", &[100.0, 90.0, 95.0, 100.0, 105.0], -10.0, 3),
            ("never recovers", &[100.0, 90.0, 95.0], -10.0, 2),
            ("all losing", &[100.0, 90.0, 80.0, 70.0], -30.0, 3),
            (
                "one losing trade at the end",
                &[100.0, 100.0, 100.0, 97.0],
                -3.0,
                1,
            ),
            // The deepest drawdown (-50 %) is short; the longest (5 bars) is shallow.
            (
                "deep and long differ",
                &[100.0, 50.0, 100.0, 99.0, 98.0, 99.0, 99.5, 101.0],
                -50.0,
                5,
            ),
            (
                "new high after a stretch at the peak",
                &[100.0, 100.0, 90.0, 100.0],
                -10.0,
                2,
            ),
            ("wiped out", &[100.0, 0.0, 0.0], -100.0, 2),
        ];
        for &(name, equity, pct, bars) in cases {
            let got = run(equity);
            assert!((got.pct - pct).abs() < 1e-9, "{name}: {got:?}");
            assert_eq!(got.duration_bars, bars, "{name}");
            assert_eq!(got.duration_ms, bars as i64 * H, "{name}");
        }
    }

    #[test]
    fn duration_in_ms_spans_gaps() {
        // Bar 2 comes a day after bar 1.
        let ts = [0, H, H + 24 * H, 2 * H + 24 * H];
        let got = max_drawdown(&ts, &[100.0, 90.0, 95.0, 100.0]);
        assert_eq!(got.duration_bars, 3);
        assert_eq!(got.duration_ms, 26 * H);
    }

    #[test]
    fn ties_keep_the_earliest_drawdown() {
        let ts = [0, H, 2 * H, 100 * H, 101 * H, 102 * H];
        let got = max_drawdown(&ts, &[100.0, 90.0, 100.0, 100.0, 95.0, 100.0]);
        assert_eq!((got.duration_bars, got.duration_ms), (2, 2 * H));
    }

    /// Brute force: the longest run from a running-peak bar to the next bar at or above it
    /// (or the last bar), counting only runs that go under water.
    fn longest_brute_force(equity: &[f64]) -> usize {
        let mut longest = 0;
        for start in 0..equity.len() {
            if equity[..start].iter().any(|&e| e > equity[start]) {
                continue; // not a running peak
            }
            let end = (start + 1..equity.len())
                .find(|&j| equity[j] >= equity[start])
                .unwrap_or(equity.len() - 1);
            if end > start + 1 || (end == start + 1 && equity[end] < equity[start]) {
                longest = longest.max(end - start);
            }
        }
        longest
    }

    proptest! {
        #[test]
        fn agrees_with_the_drawdown_series(
            equity in prop::collection::vec(1.0f64..200.0, 0..100),
        ) {
            let got = run(&equity);
            let deepest = drawdown_series(&equity).into_iter().fold(0.0, f64::min);
            prop_assert_eq!(got.pct, deepest);
            prop_assert_eq!(got.duration_bars, longest_brute_force(&equity));
        }

        // Random walks with flat stretches exercise the block fast path (long stretches under
        // water) and its fallback.
        #[test]
        fn agrees_on_random_walks(
            steps in prop::collection::vec(
                prop_oneof![Just(0.0), -0.02f64..0.02, -0.2f64..0.2],
                0..300,
            ),
        ) {
            let mut equity = vec![100.0];
            for s in &steps {
                equity.push(equity.last().unwrap() * (1.0 + s));
            }
            let got = run(&equity);
            let deepest = drawdown_series(&equity).into_iter().fold(0.0, f64::min);
            prop_assert_eq!(got.pct, deepest);
            prop_assert_eq!(got.duration_bars, longest_brute_force(&equity));
            prop_assert_eq!(got.duration_ms, got.duration_bars as i64 * H);
        }
    }
}
