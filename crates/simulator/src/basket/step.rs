//! [`BasketSimulator`]: the basket run advanced one merged timestamp at a time. The one
//! implementation of the phases in the [module docs](super); [`super::simulate_basket`] loops
//! over it, paper trading steps it as candles close.

use bb_domain::Trade;

use super::{BasketResult, MemberResult};
use crate::book::{Book, OpenPosition, PendingOrder, Saved};
use crate::config::{FillRule, SimConfig};
use crate::fill::Costs;
use crate::simulator::SimInput;

/// A basket run advanced one merged timestamp at a time: call [`BasketSimulator::step`] while
/// it finds bars (the members' inputs may grow between calls), then
/// [`BasketSimulator::finish`]. Inputs are given in member order at every call.
#[derive(Clone, Debug)]
pub struct BasketSimulator {
    symbols: Vec<String>,
    config: SimConfig,
    costs: Costs,
    /// The allocation cap as a fraction of equity.
    cap: f64,
    cash: f64,
    books: Vec<Book>,
    /// Each member's open position at its latest price (0 when flat).
    marks: Vec<f64>,
    /// Bars of each member processed so far (the index of its next bar).
    cursor: Vec<usize>,
    /// Members with a bar at the timestamp being processed (reused buffer).
    here: Vec<usize>,
    ts: Vec<i64>,
    equity: Vec<f64>,
    undo: Undo,
}

/// The state before the last step, to process its timestamp again as the end of the data.
#[derive(Clone, Debug, Default)]
struct Undo {
    /// The last step was taken with the data going on and can be taken again.
    valid: bool,
    cash: f64,
    /// Each member with a bar at that timestamp: its book and mark before the step.
    members: Vec<(usize, Saved, f64)>,
}

impl BasketSimulator {
    /// A fresh run of one member per symbol (in member order) on `config`'s capital; each
    /// position may cost at most `max_allocation_pct`% of the basket equity. `capacity` is the
    /// expected number of merged timestamps.
    pub fn new(
        symbols: Vec<String>,
        config: &SimConfig,
        max_allocation_pct: f64,
        capacity: usize,
    ) -> BasketSimulator {
        let k = symbols.len();
        BasketSimulator {
            symbols,
            config: *config,
            costs: Costs::new(config),
            cap: max_allocation_pct / 100.0,
            cash: config.initial_capital,
            books: vec![Book::default(); k],
            marks: vec![0.0; k],
            cursor: vec![0; k],
            here: Vec::with_capacity(k),
            ts: Vec::with_capacity(capacity),
            equity: Vec::with_capacity(capacity),
            undo: Undo::default(),
        }
    }

    /// Processes the earliest timestamp at which some member has a bar not processed yet and
    /// returns it (`None` when there is none), phase by phase over the members with a bar
    /// there. With `data_ends`, a member whose input holds no bar after this one ends here: no
    /// entry is taken on it and its position is closed at its close (`EndOfData`), as over
    /// whole series in a backtest. Without it (paper trading: more candles will come) nothing
    /// ends; [`BasketSimulator::finish`] ends the run.
    pub fn step(&mut self, inputs: &[SimInput], data_ends: bool) -> Option<i64> {
        debug_assert_eq!(inputs.len(), self.books.len(), "one input per member");
        let cursor = &self.cursor;
        let t = (0..inputs.len())
            .filter_map(|m| inputs[m].candles.ts.get(cursor[m]).copied())
            .min()?;
        let mut here = std::mem::take(&mut self.here);
        here.clear();
        here.extend((0..inputs.len()).filter(|&m| inputs[m].candles.ts.get(cursor[m]) == Some(&t)));
        self.save(&here, data_ends);

        if self.config.fill == FillRule::NextOpen {
            self.fill_all(inputs, &here, true);
        }
        for &m in &here {
            let (c, i) = (inputs[m].candles, self.cursor[m]);
            self.books[m].protect(c, i, self.costs, &mut self.cash);
            self.marks[m] = self.books[m].value(c.close[i]);
        }
        for &m in &here {
            let (input, i) = (&inputs[m], self.cursor[m]);
            let allow_entry = !data_ends || i + 1 < input.candles.len();
            self.books[m].decide(input, i, &self.config, allow_entry);
        }
        if self.config.fill == FillRule::SameClose {
            self.fill_all(inputs, &here, false);
        }
        for &m in &here {
            let (c, i) = (inputs[m].candles, self.cursor[m]);
            if self.books[m].position.is_some() {
                self.books[m].tally.bars_in_market += 1;
            }
            if data_ends && i + 1 == c.len() {
                self.books[m].close_at_end(c, i, self.costs, &mut self.cash);
                self.marks[m] = 0.0;
            }
            self.cursor[m] += 1;
        }
        self.here = here;
        self.ts.push(t);
        self.equity.push(self.cash + self.marks.iter().sum::<f64>());
        Some(t)
    }

    /// Fills the pending orders of the members in `here` at the open (`at_open`) or the close:
    /// all exits first, then all entries, each entry sized on the basket equity at that moment.
    fn fill_all(&mut self, inputs: &[SimInput], here: &[usize], at_open: bool) {
        let cursor = &self.cursor;
        let price = |m: usize| {
            let (c, i) = (inputs[m].candles, cursor[m]);
            if at_open { c.open[i] } else { c.close[i] }
        };
        for &m in here {
            let book = &mut self.books[m];
            book.fill_exit(
                inputs[m].candles,
                cursor[m],
                price(m),
                self.costs,
                &mut self.cash,
            );
            if book.position.is_none() {
                self.marks[m] = 0.0;
            }
        }
        for &m in here {
            if !self.books[m].has_pending() {
                continue;
            }
            let equity = self.cash + self.marks.iter().sum::<f64>();
            let spendable = self.cash.min(self.cap * equity);
            let raw = price(m);
            let book = &mut self.books[m];
            book.fill_entry(
                &inputs[m],
                cursor[m],
                raw,
                self.costs,
                &mut self.cash,
                equity,
                spendable,
            );
            self.marks[m] = book.value(raw);
        }
    }

    /// Keeps what the step about to run over `here` changes, when it may be taken again.
    fn save(&mut self, here: &[usize], data_ends: bool) {
        self.undo.valid = !data_ends;
        if data_ends {
            return;
        }
        self.undo.cash = self.cash;
        self.undo.members.clear();
        for &m in here {
            let saved = (m, self.books[m].save(), self.marks[m]);
            self.undo.members.push(saved);
        }
    }

    /// Goes back to before the last step if it was taken with the data going on.
    fn undo_last(&mut self) {
        if !std::mem::take(&mut self.undo.valid) {
            return;
        }
        self.cash = self.undo.cash;
        for (m, saved, mark) in self.undo.members.drain(..) {
            self.books[m].restore(saved);
            self.marks[m] = mark;
            self.cursor[m] -= 1;
        }
        self.ts.pop();
        self.equity.pop();
    }

    /// Free cash now.
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// The merged timestamps processed so far.
    pub fn ts(&self) -> &[i64] {
        &self.ts
    }

    /// Combined equity after each merged timestamp processed so far.
    pub fn equity_curve(&self) -> &[f64] {
        &self.equity
    }

    /// Trades `member` closed so far, in exit order.
    pub fn trades(&self, member: usize) -> &[Trade] {
        &self.books[member].trades
    }

    /// The position `member` holds, if any.
    pub fn open_position(&self, member: usize) -> Option<OpenPosition> {
        self.books[member].open_position()
    }

    /// Orders of `member` waiting for its next bar's open (`NextOpen` only).
    pub fn pending_order(&self, member: usize) -> Option<PendingOrder> {
        self.books[member].pending_order()
    }

    /// Bars of `member` processed so far.
    pub fn bars(&self, member: usize) -> usize {
        self.cursor[member]
    }

    /// Ends the run as a backtest ends over the same bars: a last step taken with the data
    /// going on is taken again as the end of the data (no entry on it, positions with a bar
    /// there closed at its close, `EndOfData`), bars not processed yet are processed likewise,
    /// and a member still open (its data ended earlier) is closed at its last bar's close, the
    /// last equity point then updated. Pending orders are dropped.
    pub fn finish(mut self, inputs: &[SimInput]) -> BasketResult {
        self.undo_last();
        while self.step(inputs, true).is_some() {}
        let mut closed = false;
        for (m, input) in inputs.iter().enumerate() {
            if self.books[m].position.is_some() {
                let last = self.cursor[m] - 1;
                self.books[m].close_at_end(input.candles, last, self.costs, &mut self.cash);
                self.marks[m] = 0.0;
                closed = true;
            }
        }
        if closed && let Some(last) = self.equity.last_mut() {
            *last = self.cash + self.marks.iter().sum::<f64>();
        }
        self.into_result()
    }

    fn into_result(self) -> BasketResult {
        let mut out = BasketResult {
            ts: self.ts,
            equity: self.equity,
            ..BasketResult::default()
        };
        for (symbol, book) in self.symbols.into_iter().zip(self.books) {
            let t = book.tally;
            out.bars_in_market += t.bars_in_market;
            out.ignored_signals += t.ignored_signals;
            out.stop_and_target_same_bar += t.stop_and_target_same_bar;
            out.skipped_entries += t.skipped_entries;
            out.total_fees += t.fees;
            out.total_slippage += t.slippage;
            out.members.push(MemberResult {
                symbol,
                trades: book.trades,
                bars_in_market: t.bars_in_market,
                ignored_signals: t.ignored_signals,
                stop_and_target_same_bar: t.stop_and_target_same_bar,
                skipped_entries: t.skipped_entries,
                total_fees: t.fees,
                total_slippage: t.slippage,
            });
        }
        out
    }
}
