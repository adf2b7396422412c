//! The single-symbol simulator: a state machine advanced one bar at a time
//! ([`Simulator::on_bar`]) and the [`simulate`] convenience that runs it over all bars.
//!
//! Order of work inside bar `i`:
//! 1. `NextOpen`: the orders decided at bar `i − 1`'s close fill at `open[i]`, exit first,
//!    then entry.
//! 2. Protective exits walk bar `i`'s path for the open position (see `stops`).
//! 3. Signals (and the time stop) are read on `close[i]` and become orders; with `SameClose`
//!    they fill at `close[i]` right away, exit first, then entry.
//! 4. `equity[i]` = cash + position value at `close[i]`.

use bb_domain::{Candles, RiskRules, Side, Signals, Trade};

use crate::book::{Book, OpenPosition, PendingOrder};
use crate::config::{FillRule, SimConfig};
use crate::fill::Costs;

/// Everything one symbol's run reads. All series have the candles' length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimInput<'a> {
    pub candles: &'a Candles,
    pub signals: &'a Signals,
    pub risk: &'a RiskRules,
    /// ATR series per period, for the ATR-based rules (period -> series same length as
    /// candles, NaN in warm-up). Must hold every period of `risk.atr_periods()`; an entry that
    /// needs a missing or NaN ATR value is skipped.
    pub atr: &'a [(usize, Vec<f64>)],
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimResult {
    /// Closed trades in exit order.
    pub trades: Vec<Trade>,
    /// Mark-to-market equity at each bar's close (same length as the candles). The last
    /// point is after the end-of-data close, so it equals initial capital + Σ trade pnl.
    pub equity: Vec<f64>,
    /// Bars at whose close a position was open.
    pub bars_in_market: usize,
    /// Entry signals not acted on: fired while a position was open (and not reversing it), or
    /// long and short entries fired on the same bar.
    pub ignored_signals: usize,
    /// Bars where both the stop and the target lay inside the bar; the OHLC path decided.
    pub stop_and_target_same_bar: usize,
    /// Entries skipped for lack of cash, a size of 0, or a missing ATR (warm-up).
    pub skipped_entries: usize,
    /// Fees of all trades.
    pub total_fees: f64,
    /// Slippage cost of all trades.
    pub total_slippage: f64,
}

/// Where a run puts its equity, one value per bar: a stored curve (`Vec<f64>`) or a
/// consumer that keeps only what it needs (a sweep's metrics). The value of a held position
/// is computed by the simulator and handed over, so every sink sees the same numbers.
pub trait EquitySink {
    /// Bars received.
    fn len(&self) -> usize;
    /// No bar received.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The next bar's equity.
    fn push(&mut self, value: f64);
    /// `count` bars of equity `value`.
    fn push_flat(&mut self, count: usize, value: f64);
    /// One bar per price of `prices`, its equity `value(price)`.
    fn push_mapped(&mut self, prices: &[f64], value: impl Fn(f64) -> f64);
    /// Replaces the equity of the last bar received (nothing without bars).
    fn set_last(&mut self, value: f64);
}

impl EquitySink for Vec<f64> {
    #[inline]
    fn len(&self) -> usize {
        Vec::len(self)
    }

    #[inline]
    fn push(&mut self, value: f64) {
        Vec::push(self, value);
    }

    #[inline]
    fn push_flat(&mut self, count: usize, value: f64) {
        self.resize(Vec::len(self) + count, value);
    }

    #[inline]
    fn push_mapped(&mut self, prices: &[f64], value: impl Fn(f64) -> f64) {
        self.extend(prices.iter().map(|&p| value(p)));
    }

    fn set_last(&mut self, value: f64) {
        if let Some(last) = self.last_mut() {
            *last = value;
        }
    }
}

/// A single-symbol simulation advanced bar by bar: feed bars `0, 1, 2, …` to
/// [`Simulator::on_bar`] (the same input may grow between calls), then [`Simulator::finish`].
/// The equity goes to `E`, by default a stored curve.
#[derive(Clone, Debug)]
pub struct Simulator<E = Vec<f64>> {
    config: SimConfig,
    costs: Costs,
    cash: f64,
    book: Book,
    equity: E,
}

impl Simulator {
    /// A fresh simulator; `capacity` is the expected number of bars (for the equity curve).
    pub fn new(config: &SimConfig, capacity: usize) -> Simulator {
        Simulator::with_sink(config, Vec::with_capacity(capacity))
    }

    /// Equity at the close of every bar fed so far.
    pub fn equity_curve(&self) -> &[f64] {
        &self.equity
    }

    /// Forgets the first `n` bars fed (at most [`Simulator::first_needed_bar`], which caps
    /// it): their equity points go and later bars are numbered from the first one kept, so
    /// the input given to [`Simulator::on_bar`] must drop the same bars. Trades closed before
    /// keep their bar numbers. Returns the bars forgotten.
    pub fn forget_bars(&mut self, n: usize) -> usize {
        let n = n.min(self.first_needed_bar());
        self.equity.drain(..n);
        self.book.shift(n);
        n
    }

    /// Ends the run: an open position is closed at the last fed bar's close (`EndOfData`,
    /// with fees and slippage) and the last equity point is updated; pending orders are dropped.
    pub fn finish(self, input: &SimInput) -> SimResult {
        let (mut result, equity) = self.finish_with_sink(input);
        result.equity = equity;
        result
    }
}

impl<E: EquitySink> Simulator<E> {
    /// A fresh simulator whose equity goes to `sink` (which has received no bar).
    pub fn with_sink(config: &SimConfig, sink: E) -> Simulator<E> {
        Simulator {
            config: *config,
            costs: Costs::new(config),
            cash: config.initial_capital,
            book: Book::default(),
            equity: sink,
        }
    }

    /// Processes bar `i`, which must be the next bar (`i` = number of bars fed so far).
    pub fn on_bar(&mut self, input: &SimInput, i: usize) {
        self.step(input, i, true);
    }

    /// One bar; `allow_entry` is false on the final bar of a backtest, where a new position
    /// could never be held.
    #[inline]
    pub(crate) fn step(&mut self, input: &SimInput, i: usize, allow_entry: bool) {
        debug_assert_eq!(i, self.equity.len(), "bars must be fed in order from 0");
        let c = input.candles;
        let costs = self.costs;
        let book = &mut self.book;
        if self.config.fill == FillRule::NextOpen && book.has_pending() {
            let raw = c.open[i];
            book.fill_exit(c, i, raw, costs, &mut self.cash);
            let cash = self.cash;
            book.fill_entry(input, i, raw, costs, &mut self.cash, cash, cash);
        }
        book.protect(c, i, costs, &mut self.cash);
        self.close_phase(input, i, allow_entry);
    }

    /// The close of bar `i`: signals and the time stop become orders (filled right away with
    /// `SameClose`), then the equity point.
    #[inline]
    fn close_phase(&mut self, input: &SimInput, i: usize, allow_entry: bool) {
        let c = input.candles;
        let costs = self.costs;
        let book = &mut self.book;
        book.decide(input, i, &self.config, allow_entry);
        if self.config.fill == FillRule::SameClose && book.has_pending() {
            let raw = c.close[i];
            book.fill_exit(c, i, raw, costs, &mut self.cash);
            let cash = self.cash;
            book.fill_entry(input, i, raw, costs, &mut self.cash, cash, cash);
        }
        let value = match &book.position {
            Some(p) => {
                book.tally.bars_in_market += 1;
                p.value(c.close[i])
            }
            None => 0.0,
        };
        self.equity.push(self.cash + value);
    }

    /// Fast path of [`simulate`] for bars where a position is open and no order waits: the
    /// same work as [`Simulator::step`] with the per-position lookups hoisted out of the loop.
    /// Processes bars from `from` while nothing but a protective exit or an exit signal can
    /// happen (stopping before the bar where the time stop is due) and returns the first bar
    /// it did not process (`from` when it could not start).
    fn hold(&mut self, input: &SimInput, from: usize, n: usize) -> usize {
        let (c, s) = (input.candles, input.signals);
        let Some(pos) = &self.book.position else {
            return from;
        };
        if self.book.has_pending() {
            return from;
        }
        let (exit, same, opposite, opposite_allowed) = match pos.side {
            Side::Long => (
                &s.exit_long,
                &s.enter_long,
                &s.enter_short,
                self.config.allow_short,
            ),
            Side::Short => (&s.exit_short, &s.enter_short, &s.enter_long, true),
        };
        let mut end = n.min(exit.len()).min(same.len()).min(opposite.len());
        if let Some(bars) = input.risk.time_stop_bars {
            let offset = usize::from(self.config.fill == FillRule::NextOpen);
            end = end.min(pos.entry_index + bars.max(1) as usize - offset);
        }
        if from >= end {
            return from;
        }
        let mut ignored = 0;
        let mut k = from;
        if pos.protection.is_active() {
            while k < end {
                self.book.protect(c, k, self.costs, &mut self.cash);
                let Some(pos) = &self.book.position else {
                    break;
                };
                if exit[k] {
                    break;
                }
                ignored += usize::from(same[k]) + usize::from(opposite[k] && opposite_allowed);
                self.equity.push(self.cash + pos.value(c.close[k]));
                k += 1;
            }
        } else {
            // Nothing can happen before the next exit signal: whole-slice passes that vectorise.
            k = first_true(&exit[from..end]).map_or(end, |p| from + p);
            let count = |column: &[bool]| count_true(&column[from..k]);
            ignored = count(same) + if opposite_allowed { count(opposite) } else { 0 };
            let (cash, q, e) = (self.cash, pos.quantity, pos.entry_price);
            let closes = &c.close[from..k];
            // The same arithmetic as `Position::value`, with the side hoisted out of the loop.
            match pos.side {
                Side::Long => self.equity.push_mapped(closes, |p| cash + q * p),
                Side::Short => self
                    .equity
                    .push_mapped(closes, |p| cash + q * (2.0 * e - p)),
            }
        }
        self.book.tally.ignored_signals += ignored;
        self.book.tally.bars_in_market += k - from;
        if k < end {
            // Bar k was walked and ended with a stop hit or an exit signal: finish its close.
            self.close_phase(input, k, k + 1 < n);
            k += 1;
        }
        k
    }

    /// Flat with no order waiting.
    #[inline]
    fn is_idle(&self) -> bool {
        self.book.position.is_none() && !self.book.has_pending()
    }

    /// Free cash now.
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Trades closed so far.
    pub fn trades(&self) -> &[Trade] {
        &self.book.trades
    }

    pub fn open_position(&self) -> Option<OpenPosition> {
        self.book.open_position()
    }

    /// The first bar the run still reads (the open position's entry bar, a waiting entry's
    /// signal bar); the next bar when neither.
    pub fn first_needed_bar(&self) -> usize {
        self.book
            .first_needed_bar()
            .unwrap_or(self.equity.len())
            .min(self.equity.len())
    }

    /// Orders waiting for the next bar's open (`NextOpen` only).
    pub fn pending_order(&self) -> Option<PendingOrder> {
        self.book.pending_order()
    }

    /// [`Simulator::finish`] for any sink: the result without its equity curve, and the sink
    /// (whose last bar was updated).
    pub fn finish_with_sink(mut self, input: &SimInput) -> (SimResult, E) {
        if let Some(last) = self.equity.len().checked_sub(1)
            && self.book.position.is_some()
        {
            self.book
                .close_at_end(input.candles, last, self.costs, &mut self.cash);
            self.equity.set_last(self.cash);
        }
        let t = self.book.tally;
        let result = SimResult {
            trades: self.book.trades,
            equity: Vec::new(),
            bars_in_market: t.bars_in_market,
            ignored_signals: t.ignored_signals,
            stop_and_target_same_bar: t.stop_and_target_same_bar,
            skipped_entries: t.skipped_entries,
            total_fees: t.fees,
            total_slippage: t.slippage,
        };
        (result, self.equity)
    }
}

/// Runs the whole series. Entries are not taken on the final bar (they could never be held).
pub fn simulate(input: &SimInput, config: &SimConfig) -> SimResult {
    let mut out = SimResult::default();
    simulate_into(input, config, &mut out);
    out
}

/// [`simulate`] writing into `out`, reusing its `trades` and `equity` allocations. Parameter
/// sweeps can keep one `SimResult` per worker thread and call this, which avoids a fresh
/// multi-megabyte equity allocation (and its page faults) per run.
pub fn simulate_into(input: &SimInput, config: &SimConfig, out: &mut SimResult) {
    let trades = std::mem::take(&mut out.trades);
    let mut equity = std::mem::take(&mut out.equity);
    equity.clear();
    equity.reserve(input.candles.len());
    let (result, equity) = simulate_with_sink(input, config, trades, equity);
    *out = SimResult { equity, ..result };
}

/// [`simulate`] with the equity going to `sink` (which has received no bar) and the trades
/// into `trades` (cleared first, so a caller can reuse its allocation). Returns the result
/// without its equity curve, and the sink.
pub fn simulate_with_sink<E: EquitySink>(
    input: &SimInput,
    config: &SimConfig,
    mut trades: Vec<Trade>,
    sink: E,
) -> (SimResult, E) {
    let n = input.candles.len();
    trades.clear();
    let mut sim = Simulator::with_sink(config, sink);
    sim.book.trades = trades;
    let mut i = 0;
    while i < n {
        if sim.is_idle() {
            // Flat with nothing pending: bars without an entry signal only record equity.
            let next = next_entry(input.signals, i, n, config.allow_short);
            sim.equity.push_flat(next - i, sim.cash);
            i = next;
            if i == n {
                break;
            }
        }
        let held_to = sim.hold(input, i, n);
        if held_to > i {
            i = held_to;
            continue;
        }
        sim.step(input, i, i + 1 < n);
        i += 1;
    }
    sim.finish_with_sink(input)
}

/// First bar in `from..to` with an entry signal (`to` if none).
fn next_entry(s: &Signals, from: usize, to: usize, allow_short: bool) -> usize {
    let end = to.min(s.enter_long.len()).min(s.enter_short.len());
    if from >= end {
        // Signal columns shorter than the candles: the per-bar path reads them as false.
        return from;
    }
    let long = &s.enter_long[from..end];
    let short = &s.enter_short[from..end];
    let hit = match first_true(long) {
        // a short entry can only come first before the first long one
        Some(k) if allow_short => first_true(&short[..k]).or(Some(k)),
        None if allow_short => first_true(short),
        hit => hit,
    };
    hit.map_or(end, |k| from + k)
}

/// The index of the first `true` in `column`: the flags seen as bytes (a `bool` is one
/// byte, 0 or 1) and searched with `memchr`'s SIMD routines. Signals are sparse, so this
/// passes over most bars many at a time.
#[inline]
pub(crate) fn first_true(column: &[bool]) -> Option<usize> {
    memchr::memchr(1, bytemuck::cast_slice::<bool, u8>(column))
}

/// How many flags of `column` are `true`. Most columns a position holds through have none,
/// and one [`first_true`] search says so faster than setting up a counting iterator.
#[inline]
fn count_true(column: &[bool]) -> usize {
    first_true(column).map_or(0, |first| {
        memchr::memchr_iter(1, bytemuck::cast_slice::<bool, u8>(&column[first..])).count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_true_agrees_with_position() {
        for len in [0, 1, 31, 32, 33, 64, 100] {
            let none = vec![false; len];
            assert_eq!(first_true(&none), None);
            for at in 0..len {
                for second in [at, at + 1, len.saturating_sub(1)] {
                    let mut column = none.clone();
                    column[at] = true;
                    if second < len {
                        column[second] = true;
                    }
                    let want = column.iter().position(|&b| b);
                    assert_eq!(first_true(&column), want, "len {len}, at {at}");
                }
            }
        }
    }

    #[test]
    fn count_true_counts() {
        let mut column = vec![false; 100];
        assert_eq!(count_true(&column), 0);
        column[3] = true;
        column[64] = true;
        column[99] = true;
        assert_eq!(count_true(&column), 3);
        assert_eq!(count_true(&column[4..99]), 1);
    }

    #[test]
    fn next_entry_takes_the_earlier_side() {
        let mut s = Signals {
            enter_long: vec![false; 70],
            exit_long: vec![false; 70],
            enter_short: vec![false; 70],
            exit_short: vec![false; 70],
        };
        s.enter_long[50] = true;
        s.enter_short[40] = true;
        assert_eq!(next_entry(&s, 0, 70, true), 40);
        assert_eq!(next_entry(&s, 0, 70, false), 50);
        assert_eq!(next_entry(&s, 41, 70, true), 50);
        assert_eq!(next_entry(&s, 51, 70, true), 70);
        s.enter_long[50] = false;
        assert_eq!(next_entry(&s, 0, 70, true), 40);
        assert_eq!(next_entry(&s, 0, 70, false), 70);
    }
}
