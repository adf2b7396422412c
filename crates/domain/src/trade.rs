//! A closed round trip, as the simulator records it and the metrics read it.

use serde::{Deserialize, Serialize};

/// Direction of a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Long,
    Short,
}

/// Why a position was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// An exit action block fired.
    Signal,
    /// The stop loss was hit.
    StopLoss,
    /// The stop was hit after it had been moved to the entry price.
    BreakEven,
    /// The take-profit target was hit.
    TakeProfit,
    /// The trailing stop was hit.
    TrailingStop,
    /// The time stop closed the position after its bar count.
    TimeStop,
    /// The data ended with the position open; it is closed at the last close.
    EndOfData,
}

/// One closed position. Prices are fill prices (slippage included); money is in the
/// quote currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trade {
    pub side: Side,
    /// Index of the bar on which the entry filled.
    pub entry_index: usize,
    /// Open time of that bar, Unix ms.
    pub entry_ts: i64,
    /// Fill price of the entry, slippage included, quote currency.
    pub entry_price: f64,
    /// Index of the bar on which the exit filled.
    pub exit_index: usize,
    /// Open time of that bar, Unix ms.
    pub exit_ts: i64,
    /// Fill price of the exit, slippage included, quote currency.
    pub exit_price: f64,
    /// Units of the base asset.
    pub quantity: f64,
    /// Profit or loss after fees and slippage, quote currency.
    pub pnl: f64,
    /// `pnl` as a percentage of the entry notional (entry price × quantity).
    pub pnl_pct: f64,
    /// Fees paid on entry and exit.
    pub fees: f64,
    /// What slippage cost on entry and exit, compared with fills at the raw price.
    pub slippage: f64,
    pub exit_reason: ExitReason,
}

impl Trade {
    /// Bars between the entry fill and the exit fill.
    pub fn bars_held(&self) -> usize {
        self.exit_index - self.entry_index
    }

    /// Milliseconds between the entry fill and the exit fill.
    pub fn duration_ms(&self) -> i64 {
        self.exit_ts - self.entry_ts
    }
}
