//! The bar metrics of an equity curve that is never stored: [`BarStream`] takes the curve
//! as a run produces it and gives, bit for bit, what [`crate::compute`] reads from the
//! stored curve (return statistics, maximum drawdown, the last equity; a property test).
//!
//! A parameter sweep runs thousands of backtests and keeps only their metrics; streaming
//! spares each of them writing its curve and reading it back, and a stretch without a
//! position (equity constant) costs the same whatever its length.
//!
//! How it stays exact: return `j` (bar `j` to bar `j + 1`) goes to the same partial sum as
//! in [`ReturnStats::from_equity`] (lane `j % LANES`, the returns after the last whole group
//! to lane 0) and each lane adds its returns in bar order. When the stored-curve pass skips
//! flat returns (first return 0 and no risk-free rate; see `bar_pass`), so does the stream:
//! they add exactly nothing. The drawdown scan is the same per-bar rule, whatever the blocks.

use crate::bar_pass::Lanes;
use crate::max_drawdown::{DrawdownScanner, MaxDrawdown};
use crate::return_sums::{BlockSums, ReturnSums};
use crate::returns::{LANES, ReturnStats, bar_return};

/// Bars [`BarStream::push_mapped`] takes at a time: the drawdown checks each batch against
/// the peak at once.
const BATCH: usize = 64;

/// What [`BarStream::finish`] gives: everything [`crate::compute`] reads from the curve.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSummary {
    /// Bars seen.
    pub bars: usize,
    /// Equity of the last bar (`None` without bars).
    pub last: Option<f64>,
    pub stats: ReturnStats,
    pub drawdown: MaxDrawdown,
    /// [`ReturnSums::of_equity`] of the curve, when asked for
    /// ([`BarStream::with_return_blocks`]; empty otherwise).
    pub returns: Vec<ReturnSums>,
}

/// How the returns are summed, known from the first return on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Fewer than two bars so far.
    Start,
    /// Every return is added, against the first return `shift`.
    All { shift: f64 },
    /// First return 0 and no risk-free rate: flat returns are skipped (they add nothing).
    SkipFlat,
    /// The first return is undefined, which makes the statistics undefined; only the
    /// drawdown goes on.
    Undefined,
}

/// An equity curve's bar metrics, fed bar by bar in order (see the module documentation).
/// The most recent bar is held back until the next one comes, so it can still be replaced
/// ([`BarStream::set_last`]: a run's end-of-data close).
#[derive(Clone, Debug)]
pub struct BarStream<'a> {
    /// Bars expected: returns from `grouped` on go to lane 0, as after the last whole group.
    grouped: usize,
    rf_bar: f64,
    /// Bars taken in, the held one excluded.
    taken: usize,
    /// Equity of bar `taken − 1`.
    prev: f64,
    held: Option<f64>,
    mode: Mode,
    lanes: Lanes,
    scanner: DrawdownScanner<'a>,
    blocks: Option<BlockSums>,
}

impl<'a> BarStream<'a> {
    /// A stream for a curve of `ts.len()` bars with these timestamps (Unix ms) and `rf_bar`
    /// the per-bar risk-free rate (see [`crate::returns::per_bar_rate`]). Feed it exactly
    /// `ts.len()` bars (which returns share a partial sum depends on the count).
    pub fn new(ts: &'a [i64], rf_bar: f64) -> BarStream<'a> {
        let returns = ts.len().saturating_sub(1);
        BarStream {
            grouped: returns - returns % LANES,
            rf_bar,
            taken: 0,
            prev: f64::NAN,
            held: None,
            mode: Mode::Start,
            lanes: Lanes::new(0.0, rf_bar),
            scanner: DrawdownScanner::streaming(ts),
            blocks: None,
        }
    }

    /// [`BarStream::new`] that also keeps the sums of the returns in `blocks` blocks of bars,
    /// bit for bit [`ReturnSums::of_equity`] of the curve.
    pub fn with_return_blocks(ts: &'a [i64], rf_bar: f64, blocks: usize) -> BarStream<'a> {
        BarStream {
            blocks: (blocks > 0).then(|| BlockSums::new(blocks, ts.len())),
            ..BarStream::new(ts, rf_bar)
        }
    }

    /// Bars fed so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.taken + usize::from(self.held.is_some())
    }

    /// No bar fed yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next bar's equity.
    #[inline]
    pub fn push(&mut self, value: f64) {
        if let Some(held) = self.held.replace(value) {
            self.take(held);
        }
    }

    /// Replaces the equity of the last bar fed (nothing without bars).
    pub fn set_last(&mut self, value: f64) {
        if let Some(held) = &mut self.held {
            *held = value;
        }
    }

    /// `count` bars whose equity is `value`.
    pub fn push_flat(&mut self, mut count: usize, value: f64) {
        // Bar by bar until the stretch can be skipped: its returns known to add nothing and
        // the last bar fed already at `value`.
        while count > 0 {
            if self.mode == Mode::SkipFlat && self.held == Some(value) && flat_skips(value) {
                break;
            }
            self.push(value);
            count -= 1;
        }
        if count == 0 {
            return;
        }
        if let Some(held) = self.held.take() {
            self.take(held);
        }
        // `count` more bars at `value`, each return from `value` to `value`: nothing but the
        // lowest previous equity (and `value / value − 1` is exactly 0 for the block sums).
        // The last bar stays held.
        self.lanes.floor(value);
        self.scanner.scan_flat(self.taken, count - 1, value);
        self.taken += count - 1;
        self.prev = value;
        self.held = Some(value);
    }

    /// One bar per element of `inputs`, its equity `value(input)`.
    #[inline]
    pub fn push_mapped(&mut self, inputs: &[f64], value: impl Fn(f64) -> f64) {
        let Some((&last, body)) = inputs.split_last() else {
            return;
        };
        if let Some(held) = self.held.take() {
            self.take(held);
        }
        for chunk in body.chunks(BATCH) {
            self.take_mapped(chunk, &value);
        }
        self.held = Some(value(last));
    }

    /// The metrics of everything fed.
    pub fn finish(mut self) -> BarSummary {
        let last = self.held;
        if let Some(held) = self.held.take() {
            self.take(held);
        }
        let bars = self.taken;
        debug_assert_eq!(
            bars.saturating_sub(1) - bars.saturating_sub(1) % LANES,
            self.grouped,
            "a stream is fed the bars it was made for"
        );
        let count = bars.saturating_sub(1);
        // Fewer than two bars, or an undefined first return: no sums, as `from_equity`.
        let empty = |undefined| ReturnStats {
            rf_bar: self.rf_bar,
            count,
            shift: 0.0,
            sum: 0.0,
            sum_sq: 0.0,
            downside_sq: 0.0,
            undefined,
        };
        let stats = match self.mode {
            Mode::Start => empty(false),
            Mode::Undefined => empty(true),
            Mode::SkipFlat => self.lanes.stats(count, 0.0, self.rf_bar),
            Mode::All { shift } => self.lanes.stats(count, shift, self.rf_bar),
        };
        // Without bars nothing was scanned and the result is zero.
        let drawdown = self.scanner.finish_at(bars);
        BarSummary {
            bars,
            last,
            stats,
            drawdown,
            returns: self.blocks.map(BlockSums::finish).unwrap_or_default(),
        }
    }

    /// Takes in one bar for good.
    #[inline]
    fn take(&mut self, value: f64) {
        if self.taken < 2 || self.mode == Mode::Undefined {
            self.take_mapped(std::slice::from_ref(&value), &|e| e);
            return;
        }
        // As `take_mapped` does it for one bar.
        self.lanes
            .add(lane(self.taken - 1, self.grouped), self.prev, value);
        if let Some(blocks) = &mut self.blocks {
            blocks.add(self.taken, value / self.prev - 1.0);
        }
        self.scanner.scan_one(self.taken, value);
        self.prev = value;
        self.taken += 1;
    }

    /// Takes in bars `taken..taken + inputs.len()` for good, with equity `value(input)`:
    /// the returns and the drawdown in one pass over the inputs.
    #[inline]
    fn take_mapped(&mut self, mut inputs: &[f64], value: &impl Fn(f64) -> f64) {
        // The first two bars: the first return decides how the others are summed.
        while self.taken < 2 {
            let Some((&x, rest)) = inputs.split_first() else {
                return;
            };
            let e = value(x);
            self.scanner.scan_values(self.taken, &[e]);
            if let (1, Some(blocks)) = (self.taken, &mut self.blocks) {
                blocks.add(1, e / self.prev - 1.0);
            }
            if self.taken == 1 {
                self.mode = match bar_return(self.prev, e) {
                    None => Mode::Undefined,
                    Some(shift) if shift == 0.0 && self.rf_bar == 0.0 => Mode::SkipFlat,
                    Some(shift) => {
                        self.lanes = Lanes::new(shift, self.rf_bar);
                        Mode::All { shift }
                    }
                };
                if self.mode != Mode::Undefined {
                    self.lanes.add(0, self.prev, e);
                }
            }
            self.prev = e;
            self.taken += 1;
            inputs = rest;
        }
        let Some(&last) = inputs.last() else {
            return;
        };
        let first_bar = self.taken;
        let (low, high) = if self.mode == Mode::Undefined {
            low_high(inputs, value)
        } else {
            self.add_returns(first_bar - 1, inputs, value)
        };
        if let Some(blocks) = &mut self.blocks {
            let mut p = self.prev;
            for (bar, &x) in (first_bar..).zip(inputs) {
                let c = value(x);
                blocks.add(bar, c / p - 1.0);
                p = c;
            }
        }
        // As `DrawdownScanner::scan_values`: a run that stays below the peak can only deepen
        // the trough; otherwise bar by bar.
        if high < self.scanner.peak {
            self.scanner.lower_trough(low);
        } else {
            for (bar, &x) in (first_bar..).zip(inputs) {
                self.scanner.scan_one(bar, value(x));
            }
        }
        self.prev = value(last);
        self.taken += inputs.len();
    }

    /// Returns `first..first + inputs.len()`, from `self.prev` to `value(inputs[0])`, then
    /// from each bar to the next; also the lowest and highest of those bars (NaN skipped).
    /// Every one of `inputs` must be followed by a later bar (as the last bar of a
    /// `push_mapped` is held back), so each is the previous equity of some return.
    #[inline]
    fn add_returns(
        &mut self,
        first: usize,
        inputs: &[f64],
        value: &impl Fn(f64) -> f64,
    ) -> (f64, f64) {
        let grouped = self.grouped;
        let lanes = &mut self.lanes;
        let mut seen = Extremes::default();
        let one = |lanes: &mut Lanes, seen: &mut Extremes, j: usize, p: f64, c: f64| {
            lanes.add(lane(j, grouped), p, c);
            seen.see(0, c);
        };
        let (mut i, mut p) = (0, self.prev);
        // Up to the first return that starts a group of lanes.
        while i < inputs.len() && !(first + i).is_multiple_of(LANES) {
            let c = value(inputs[i]);
            one(lanes, &mut seen, first + i, p, c);
            p = c;
            i += 1;
        }
        // Whole groups: returns j .. j + LANES into lanes 0 .. LANES.
        while i + LANES <= inputs.len() && first + i + LANES <= grouped {
            let x: &[f64; LANES] = inputs[i..i + LANES].try_into().expect("a group");
            let current = x.map(value);
            let previous = [p, current[0], current[1], current[2]];
            lanes.add_group_sums(&previous, &current);
            seen.see_group(&current);
            p = current[LANES - 1];
            i += LANES;
        }
        while i < inputs.len() {
            let c = value(inputs[i]);
            one(lanes, &mut seen, first + i, p, c);
            p = c;
            i += 1;
        }
        let (low, high) = seen.low_high();
        // The previous equity of these returns into the lowest: the bar before them and every
        // one of `inputs`, as each is followed by another bar (the stream holds the last one
        // back). The single returns above put theirs in already; the minimum is the same.
        lanes.floor(self.prev);
        lanes.floor(low);
        (low, high)
    }
}

/// The lowest and highest values seen, lane by lane (NaN skipped, as the drawdown scan
/// skips it).
#[derive(Clone, Copy)]
struct Extremes {
    lows: [f64; LANES],
    highs: [f64; LANES],
}

impl Default for Extremes {
    fn default() -> Extremes {
        Extremes {
            lows: [f64::INFINITY; LANES],
            highs: [f64::NEG_INFINITY; LANES],
        }
    }
}

impl Extremes {
    #[inline(always)]
    fn see(&mut self, lane: usize, e: f64) {
        let (low, high) = (&mut self.lows[lane], &mut self.highs[lane]);
        *low = if e < *low { e } else { *low };
        *high = if e > *high { e } else { *high };
    }

    /// One value per lane, lane by lane (so it vectorises).
    #[inline(always)]
    fn see_group(&mut self, group: &[f64; LANES]) {
        let (mut lows, mut highs) = (self.lows, self.highs);
        for k in 0..LANES {
            lows[k] = if group[k] < lows[k] {
                group[k]
            } else {
                lows[k]
            };
            highs[k] = if group[k] > highs[k] {
                group[k]
            } else {
                highs[k]
            };
        }
        (self.lows, self.highs) = (lows, highs);
    }

    #[inline]
    fn low_high(&self) -> (f64, f64) {
        let low = self
            .lows
            .iter()
            .fold(f64::INFINITY, |l, &e| if e < l { e } else { l });
        let high = self
            .highs
            .iter()
            .fold(f64::NEG_INFINITY, |h, &e| if e > h { e } else { h });
        (low, high)
    }
}

/// The lowest and highest of `value(input)` over `inputs`, NaN skipped.
#[inline]
fn low_high(inputs: &[f64], value: &impl Fn(f64) -> f64) -> (f64, f64) {
    let mut seen = Extremes::default();
    for &x in inputs {
        seen.see(0, value(x));
    }
    seen.low_high()
}

/// The partial sum of return `j` when the returns from `grouped` on are left over after the
/// last whole group: as in `ReturnStats::from_equity`.
#[inline]
fn lane(j: usize, grouped: usize) -> usize {
    if j < grouped { j % LANES } else { 0 }
}

/// A flat return from `value` adds nothing to the sums when `value` is a positive finite
/// number (otherwise the return is undefined, which must be seen).
#[inline]
fn flat_skips(value: f64) -> bool {
    value.is_finite() && value > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bar_pass::bar_pass;
    use proptest::prelude::*;

    /// Bitwise equality of two summaries.
    fn same(a: &BarSummary, b: &BarSummary) -> bool {
        let f = |x: f64, y: f64| x.to_bits() == y.to_bits();
        let (s, t) = (&a.stats, &b.stats);
        a.bars == b.bars
            && a.last.map(f64::to_bits) == b.last.map(f64::to_bits)
            && s.count == t.count
            && s.undefined == t.undefined
            && f(s.shift, t.shift)
            && f(s.rf_bar, t.rf_bar)
            && (s.undefined
                || (f(s.sum, t.sum) && f(s.sum_sq, t.sum_sq) && f(s.downside_sq, t.downside_sq)))
            && f(a.drawdown.pct, b.drawdown.pct)
            && a.drawdown.duration_bars == b.drawdown.duration_bars
            && a.drawdown.duration_ms == b.drawdown.duration_ms
            && a.returns.len() == b.returns.len()
            && a.returns
                .iter()
                .zip(&b.returns)
                .all(|(x, y)| x.n == y.n && f(x.sum, y.sum) && f(x.sum_sq, y.sum_sq))
    }

    fn stored(ts: &[i64], equity: &[f64], rf: f64, blocks: usize) -> BarSummary {
        let (stats, drawdown) = bar_pass(ts, equity, rf);
        BarSummary {
            bars: equity.len(),
            last: equity.last().copied(),
            stats,
            drawdown,
            returns: ReturnSums::of_equity(equity, blocks),
        }
    }

    /// How a run feeds its curve: single bars, flat stretches and mapped stretches.
    #[derive(Clone, Debug)]
    enum Piece {
        One(f64),
        Flat(usize, f64),
        /// A held position: `cash + quantity × price` over these prices.
        Held(f64, f64, Vec<f64>),
    }

    fn feed(pieces: &[Piece], last: Option<f64>) -> (Vec<f64>, Vec<i64>) {
        let mut equity = Vec::new();
        for piece in pieces {
            match piece {
                Piece::One(v) => equity.push(*v),
                Piece::Flat(n, v) => equity.extend(std::iter::repeat_n(*v, *n)),
                Piece::Held(cash, q, prices) => equity.extend(prices.iter().map(|p| cash + q * p)),
            }
        }
        if let (Some(v), Some(e)) = (last, equity.last_mut()) {
            *e = v;
        }
        let ts = (0..equity.len() as i64)
            .map(|i| i * 60_000 + i * i)
            .collect();
        (equity, ts)
    }

    fn streamed(
        pieces: &[Piece],
        last: Option<f64>,
        ts: &[i64],
        rf: f64,
        blocks: usize,
    ) -> BarSummary {
        let mut stream = BarStream::with_return_blocks(ts, rf, blocks);
        for piece in pieces {
            match piece {
                Piece::One(v) => stream.push(*v),
                Piece::Flat(n, v) => stream.push_flat(*n, *v),
                Piece::Held(cash, q, prices) => stream.push_mapped(prices, |p| cash + q * p),
            }
        }
        if let Some(v) = last {
            stream.set_last(v);
        }
        stream.finish()
    }

    fn check(
        pieces: &[Piece],
        last: Option<f64>,
        rf: f64,
        blocks: usize,
    ) -> Result<(), TestCaseError> {
        let (equity, ts) = feed(pieces, last);
        let want = stored(&ts, &equity, rf, blocks);
        let got = streamed(pieces, last, &ts, rf, blocks);
        prop_assert!(same(&got, &want), "{got:?}\nvs\n{want:?}\n{equity:?}");
        Ok(())
    }

    #[test]
    fn edge_cases() {
        use Piece::*;
        let cases: Vec<Vec<Piece>> = vec![
            vec![],
            vec![One(100.0)],
            vec![Flat(1, 100.0)],
            vec![Flat(40, 100.0)],
            vec![One(100.0), One(101.0), Flat(9, 101.0)],
            vec![Flat(2, 100.0), Flat(2, 0.0), One(5.0)],
            vec![Flat(2, 100.0), One(f64::INFINITY), Flat(3, 5.0)],
            vec![Flat(2, 100.0), One(f64::NAN), Flat(3, 100.0)],
            vec![One(0.0), Flat(5, 100.0)],
            vec![One(-1.0), Flat(5, 100.0)],
            vec![
                Flat(3, 100.0),
                Held(1.0, 2.0, (0..200).map(|i| 50.0 + (i % 7) as f64).collect()),
                Flat(70, 120.0),
            ],
        ];
        // A bar of negative equity just before a held run, at every offset from a group of
        // lanes (a return from it is finite, so only the lowest equity makes it undefined).
        let cases = cases.into_iter().chain((0..8).map(|pre| {
            let prices = (0..20).map(|i| 50.0 + (i % 3) as f64).collect();
            vec![Flat(2 + pre, 100.0), One(-1.0), Held(1.0, 2.0, prices)]
        }));
        for pieces in &cases.collect::<Vec<_>>() {
            for last in [None, Some(90.0), Some(f64::NAN)] {
                for rf in [0.0, 1e-6] {
                    for blocks in [0, 1, 7] {
                        check(pieces, last, rf, blocks).unwrap();
                    }
                }
            }
        }
    }

    fn piece() -> impl Strategy<Value = Piece> {
        let value = prop_oneof![
            8 => 900.0f64..1100.0,
            1 => Just(1000.0),
            1 => Just(0.0),
            1 => Just(f64::NAN),
        ];
        prop_oneof![
            2 => value.clone().prop_map(Piece::One),
            3 => (0usize..80, value).prop_map(|(n, v)| Piece::Flat(n, v)),
            4 => (
                -5.0f64..5.0,
                0.5f64..2.0,
                // now and then a price of 0 (equity at most 0 inside a held run) or NaN
                prop::collection::vec(
                    prop_oneof![60 => 450.0f64..550.0, 1 => Just(0.0), 1 => Just(f64::NAN)],
                    0..150
                )
            )
                .prop_map(|(c, q, p)| Piece::Held(c, q, p)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn equals_the_stored_curve(
            start in prop_oneof![Just(vec![Piece::Flat(2, 1000.0)]), Just(vec![])],
            pieces in prop::collection::vec(piece(), 0..12),
            last in prop::option::of(900.0f64..1100.0),
            rf in prop::sample::select(vec![0.0, 1e-6]),
            blocks in prop::sample::select(vec![0, 1, 3, 10]),
        ) {
            let pieces: Vec<Piece> = start.into_iter().chain(pieces).collect();
            check(&pieces, last, rf, blocks)?;
        }
    }
}
