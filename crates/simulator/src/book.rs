//! Per-symbol trading state: the open position, orders waiting to fill, closed trades and
//! counters, and the rules that turn a bar's signals into orders. Cash is passed in, so one
//! balance can serve a single run or a whole basket.

use bb_domain::{Candles, ExitReason, Side, Trade};

use crate::config::{FillRule, SimConfig};
use crate::fill::Costs;
use crate::position::{At, Position};
use crate::simulator::SimInput;
use crate::sizing::quantity;
use crate::stops::Protection;

/// A position currently open in a [`crate::Simulator`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenPosition {
    pub side: Side,
    pub entry_index: usize,
    pub entry_ts: i64,
    /// Entry fill price, slippage included.
    pub entry_price: f64,
    pub quantity: f64,
    /// The active (tightest) stop price.
    pub stop: Option<f64>,
    pub take_profit: Option<f64>,
}

/// Orders decided on the last bar's close that wait for the next bar's open (`NextOpen`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingOrder {
    /// Close the open position, for this reason.
    pub exit: Option<ExitReason>,
    /// Then open a position on this side.
    pub entry: Option<Side>,
}

/// Counters of one symbol.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Tally {
    pub bars_in_market: usize,
    pub ignored_signals: usize,
    pub stop_and_target_same_bar: usize,
    pub skipped_entries: usize,
    pub fees: f64,
    pub slippage: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Pending {
    exit: Option<ExitReason>,
    /// Side and signal bar (the bar whose close produced the entry; its ATR sets the levels).
    entry: Option<(Side, usize)>,
}

/// Per-symbol state: position, pending orders, trades, counters. Cash lives outside so that
/// a basket can share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Book {
    pub position: Option<Position>,
    pending: Pending,
    pub trades: Vec<Trade>,
    pub tally: Tally,
}

/// A book's state apart from its closed trades (kept as their count), to undo one bar.
#[derive(Clone, Debug)]
pub(crate) struct Saved {
    position: Option<Position>,
    pending: Pending,
    tally: Tally,
    trades: usize,
}

#[inline]
fn flag(column: &[bool], i: usize) -> bool {
    column.get(i).copied().unwrap_or(false)
}

fn atr_at(atr: &[(usize, Vec<f64>)], period: usize, i: usize) -> f64 {
    atr.iter()
        .find(|(p, _)| *p == period)
        .and_then(|(_, series)| series.get(i).copied())
        .unwrap_or(f64::NAN)
}

impl Book {
    /// The state to go back to with [`Book::restore`].
    pub(crate) fn save(&self) -> Saved {
        Saved {
            position: self.position.clone(),
            pending: self.pending,
            tally: self.tally,
            trades: self.trades.len(),
        }
    }

    /// Goes back to a saved state: trades closed since are dropped.
    pub(crate) fn restore(&mut self, saved: Saved) {
        self.position = saved.position;
        self.pending = saved.pending;
        self.tally = saved.tally;
        self.trades.truncate(saved.trades);
    }

    /// The first bar this book still reads: the open position's entry bar and a waiting
    /// entry's signal bar.
    pub(crate) fn first_needed_bar(&self) -> Option<usize> {
        let entry = self.position.as_ref().map(|p| p.entry_index);
        let signal = self.pending.entry.map(|(_, i)| i);
        entry.into_iter().chain(signal).min()
    }

    /// Renumbers the bars after the first `n` are forgotten (`n` at most
    /// [`Book::first_needed_bar`]).
    pub(crate) fn shift(&mut self, n: usize) {
        if let Some(p) = &mut self.position {
            p.entry_index -= n;
        }
        if let Some((_, i)) = &mut self.pending.entry {
            *i -= n;
        }
    }

    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.exit.is_some() || self.pending.entry.is_some()
    }

    /// Value of the open position at `price` (0 when flat).
    #[inline]
    pub(crate) fn value(&self, price: f64) -> f64 {
        self.position.as_ref().map_or(0.0, |p| p.value(price))
    }

    fn close(
        &mut self,
        c: &Candles,
        i: usize,
        raw: f64,
        reason: ExitReason,
        costs: Costs,
        cash: &mut f64,
    ) {
        if let Some(pos) = self.position.take() {
            let trade = pos.close(
                At {
                    index: i,
                    ts: c.ts[i],
                    raw,
                },
                reason,
                costs,
                cash,
            );
            self.tally.fees += trade.fees;
            self.tally.slippage += trade.slippage;
            self.trades.push(trade);
        }
    }

    /// Fills the pending exit, if any, at `raw` on bar `i`.
    pub(crate) fn fill_exit(
        &mut self,
        c: &Candles,
        i: usize,
        raw: f64,
        costs: Costs,
        cash: &mut f64,
    ) {
        if let Some(reason) = self.pending.exit.take() {
            self.close(c, i, raw, reason, costs, cash);
        }
    }

    /// Fills the pending entry, if any, at `raw` on bar `i`. `equity` is what the sizing
    /// percentages refer to, `spendable` the most this position may cost (fee included).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill_entry(
        &mut self,
        input: &SimInput,
        i: usize,
        raw: f64,
        costs: Costs,
        cash: &mut f64,
        equity: f64,
        spendable: f64,
    ) {
        let Some((side, signal_bar)) = self.pending.entry.take() else {
            return;
        };
        let fill = costs.entry_fill(side, raw);
        let atr = |period| atr_at(input.atr, period, signal_bar);
        let Some(protection) = Protection::new(input.risk, side, fill, atr) else {
            self.tally.skipped_entries += 1;
            return;
        };
        let sizing = &input.risk.sizing;
        let qty = quantity(
            sizing,
            equity,
            spendable,
            fill,
            costs.fee_rate(),
            protection.stop_distance(),
        );
        if qty <= 0.0 {
            self.tally.skipped_entries += 1;
            return;
        }
        let at = At {
            index: i,
            ts: input.candles.ts[i],
            raw,
        };
        self.position = Some(Position::open(side, qty, fill, at, protection, costs, cash));
    }

    /// Walks bar `i`'s path for the open position's stops and target.
    #[inline]
    pub(crate) fn protect(&mut self, c: &Candles, i: usize, costs: Costs, cash: &mut f64) {
        let Some(pos) = &mut self.position else {
            return;
        };
        if !pos.protection.is_active() {
            return;
        }
        let check = pos
            .protection
            .walk(c.open[i], c.high[i], c.low[i], c.close[i]);
        self.tally.stop_and_target_same_bar += usize::from(check.stop_and_target);
        if let Some((raw, reason)) = check.exit {
            self.close(c, i, raw, reason, costs, cash);
        }
    }

    /// Reads bar `i`'s close: signals and the time stop become pending orders.
    #[inline]
    pub(crate) fn decide(
        &mut self,
        input: &SimInput,
        i: usize,
        config: &SimConfig,
        allow_entry: bool,
    ) {
        let s = input.signals;
        let enter_long = flag(&s.enter_long, i);
        let enter_short = config.allow_short && flag(&s.enter_short, i);
        if let Some(pos) = &self.position {
            let (exit_signal, same, opposite, opposite_side) = match pos.side {
                Side::Long => (flag(&s.exit_long, i), enter_long, enter_short, Side::Short),
                Side::Short => (flag(&s.exit_short, i), enter_short, enter_long, Side::Long),
            };
            let exit = if exit_signal {
                Some(ExitReason::Signal)
            } else if time_stop_due(pos, i, input.risk.time_stop_bars, config.fill) {
                Some(ExitReason::TimeStop)
            } else {
                None
            };
            if exit.is_some() {
                self.pending.exit = exit;
                self.tally.ignored_signals += usize::from(same);
                if opposite && allow_entry {
                    self.pending.entry = Some((opposite_side, i));
                }
            } else {
                self.tally.ignored_signals += usize::from(same) + usize::from(opposite);
            }
            return;
        }
        if !allow_entry {
            return;
        }
        match (enter_long, enter_short) {
            (true, false) => self.pending.entry = Some((Side::Long, i)),
            (false, true) => self.pending.entry = Some((Side::Short, i)),
            (true, true) => self.tally.ignored_signals += 2,
            (false, false) => {}
        }
    }

    /// Closes the open position at the close of bar `i` (end of data).
    pub(crate) fn close_at_end(&mut self, c: &Candles, i: usize, costs: Costs, cash: &mut f64) {
        self.pending = Pending::default();
        self.close(c, i, c.close[i], ExitReason::EndOfData, costs, cash);
    }

    pub(crate) fn open_position(&self) -> Option<OpenPosition> {
        self.position.as_ref().map(|p| OpenPosition {
            side: p.side,
            entry_index: p.entry_index,
            entry_ts: p.entry_ts,
            entry_price: p.entry_price,
            quantity: p.quantity,
            stop: p.protection.stop(),
            take_profit: p.protection.target(),
        })
    }

    pub(crate) fn pending_order(&self) -> Option<PendingOrder> {
        self.has_pending().then_some(PendingOrder {
            exit: self.pending.exit,
            entry: self.pending.entry.map(|(side, _)| side),
        })
    }
}

/// The time stop fires on the close from which the exit fill lands `n` bars after the entry
/// fill: with `SameClose` on bar `entry + n`, with `NextOpen` on bar `entry + n − 1` (filling at
/// the open of `entry + n`). `n = 0` counts as 1.
#[inline]
fn time_stop_due(pos: &Position, i: usize, bars: Option<u32>, fill: FillRule) -> bool {
    bars.is_some_and(|n| {
        let held_at_fill = i - pos.entry_index + usize::from(fill == FillRule::NextOpen);
        held_at_fill >= n.max(1) as usize
    })
}
