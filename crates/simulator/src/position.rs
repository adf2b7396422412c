//! One open position and its cash accounting.
//!
//! Both sides lock their entry notional plus the entry fee out of cash. A long is worth
//! `qty × price`; a short is worth `qty × (2 × entry_fill − price)`, i.e. its collateral plus
//! its unrealised P&L `(entry_fill − price) × qty`. Closing credits that value at the exit fill,
//! minus the exit fee, so every trade changes cash by exactly its `pnl`.

use bb_domain::{ExitReason, Side, Trade};

use crate::fill::Costs;
use crate::stops::Protection;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Position {
    pub side: Side,
    pub quantity: f64,
    pub entry_index: usize,
    pub entry_ts: i64,
    /// Entry fill price, slippage included.
    pub entry_price: f64,
    pub entry_fee: f64,
    pub entry_slippage: f64,
    pub protection: Protection,
}

/// Where a fill happened: bar index, its timestamp and the raw (pre-slippage) price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct At {
    pub index: usize,
    pub ts: i64,
    pub raw: f64,
}

impl Position {
    /// Opens a position of `quantity` at `fill` (already slipped from `at.raw`) and takes its
    /// cost, notional plus entry fee, out of `cash`.
    pub(crate) fn open(
        side: Side,
        quantity: f64,
        fill: f64,
        at: At,
        protection: Protection,
        costs: Costs,
        cash: &mut f64,
    ) -> Position {
        let notional = quantity * fill;
        let entry_fee = costs.fee(notional);
        *cash -= notional + entry_fee;
        Position {
            side,
            quantity,
            entry_index: at.index,
            entry_ts: at.ts,
            entry_price: fill,
            entry_fee,
            entry_slippage: (fill - at.raw).abs() * quantity,
            protection,
        }
    }

    /// Value of the position at `price` (what closing it there would credit, before costs).
    #[inline]
    pub(crate) fn value(&self, price: f64) -> f64 {
        match self.side {
            Side::Long => self.quantity * price,
            Side::Short => self.quantity * (2.0 * self.entry_price - price),
        }
    }

    /// Closes the position at `at.raw` (slippage and fee applied), credits `cash` and returns
    /// the trade.
    pub(crate) fn close(self, at: At, reason: ExitReason, costs: Costs, cash: &mut f64) -> Trade {
        let fill = costs.exit_fill(self.side, at.raw);
        let exit_fee = costs.fee(self.quantity * fill);
        *cash += self.value(fill) - exit_fee;
        let gross = match self.side {
            Side::Long => (fill - self.entry_price) * self.quantity,
            Side::Short => (self.entry_price - fill) * self.quantity,
        };
        let pnl = gross - self.entry_fee - exit_fee;
        Trade {
            side: self.side,
            entry_index: self.entry_index,
            entry_ts: self.entry_ts,
            entry_price: self.entry_price,
            exit_index: at.index,
            exit_ts: at.ts,
            exit_price: fill,
            quantity: self.quantity,
            pnl,
            pnl_pct: pnl / (self.entry_price * self.quantity) * 100.0,
            fees: self.entry_fee + exit_fee,
            slippage: self.entry_slippage + (fill - at.raw).abs() * self.quantity,
            exit_reason: reason,
        }
    }
}
