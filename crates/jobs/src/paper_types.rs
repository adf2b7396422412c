//! What a paper run stores as JSON, as types: its settings (`bb_backtest::Settings`), its
//! performance snapshot, and the payloads of its ledger's trades. The store keeps them as
//! bytes; the workers write them through these types and the API reads them back with
//! [`PaperSnapshot::read`] and [`TradeEntry::read`], so no layer reads them by field name.

use serde::{Deserialize, Serialize};

/// The open position, as of the last candle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaperPosition {
    /// The market (baskets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `long` or `short`.
    pub side: String,
    pub entry_ts: i64,
    /// Fill price, slippage included.
    pub entry_price: f64,
    pub quantity: f64,
    pub stop: Option<f64>,
    pub take_profit: Option<f64>,
}

/// A run's numbers after its last candle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperSnapshot {
    pub equity: f64,
    pub total_return_pct: f64,
    /// Zero or negative.
    pub max_drawdown_pct: f64,
    /// Trades closed.
    pub trades: u64,
    pub position: Option<PaperPosition>,
    /// A basket's open positions, one per market holding one (empty for one market).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<PaperPosition>,
    /// A basket's free cash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<f64>,
}

impl PaperSnapshot {
    /// A run's stored snapshot; before its first candle (or unreadable), the capital alone.
    pub fn read(stored: Option<&serde_json::Value>, capital: f64) -> PaperSnapshot {
        stored
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or(PaperSnapshot {
                equity: capital,
                total_return_pct: 0.0,
                max_drawdown_pct: 0.0,
                trades: 0,
                position: None,
                positions: Vec::new(),
                cash: None,
            })
    }
}

/// A closed trade, as the ledger's `trade` entries carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeEntry {
    /// The market (baskets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `long` or `short`.
    pub side: String,
    pub entry_ts: i64,
    pub exit_ts: i64,
    pub entry_price: f64,
    pub exit_price: f64,
    pub quantity: f64,
    pub pnl: f64,
    pub pnl_pct: f64,
    pub fees: f64,
    /// What slippage cost (absent in entries written before it was recorded).
    #[serde(default)]
    pub slippage: f64,
    pub reason: bb_domain::ExitReason,
}

impl TradeEntry {
    pub fn of(t: &bb_domain::Trade) -> TradeEntry {
        TradeEntry {
            symbol: None,
            side: side_word(t.side).to_owned(),
            entry_ts: t.entry_ts,
            exit_ts: t.exit_ts,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            quantity: t.quantity,
            pnl: t.pnl,
            pnl_pct: t.pnl_pct,
            fees: t.fees,
            slippage: t.slippage,
            reason: t.exit_reason,
        }
    }

    /// The trade again, its bars numbered by the caller (the ledger keeps times).
    pub fn trade(&self, entry_index: usize, exit_index: usize) -> bb_domain::Trade {
        bb_domain::Trade {
            side: if self.side == "short" {
                bb_domain::Side::Short
            } else {
                bb_domain::Side::Long
            },
            entry_index,
            entry_ts: self.entry_ts,
            entry_price: self.entry_price,
            exit_index,
            exit_ts: self.exit_ts,
            exit_price: self.exit_price,
            quantity: self.quantity,
            pnl: self.pnl,
            pnl_pct: self.pnl_pct,
            fees: self.fees,
            slippage: self.slippage,
            exit_reason: self.reason,
        }
    }

    /// The trade of a ledger entry's payload, if it holds one.
    pub fn read(payload: &serde_json::Value) -> Option<TradeEntry> {
        serde_json::from_value(payload.clone()).ok()
    }
}

/// `long` or `short`.
pub fn side_word(side: bb_domain::Side) -> &'static str {
    match side {
        bb_domain::Side::Long => "long",
        bb_domain::Side::Short => "short",
    }
}

/// A processed candle, as the ledger's `tick` entries carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TickEntry {
    /// Equity at the candle's close.
    pub equity: f64,
    /// The actions that fired on its close (`enter long`, …).
    pub signals: Vec<String>,
    /// The candle as it was processed (open, high, low, close, volume), so a later
    /// revision of it can be told.
    pub candle: [f64; 5],
    /// When the tick processed it, on the workers' clock (Unix ms; absent in entries written
    /// before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at: Option<i64>,
}

impl TickEntry {
    /// Whether a candle opening at `ts` was processed late: after the next candle had closed
    /// too (nothing was running when it closed, or the source published it late).
    pub fn late(ts: i64, tf: bb_domain::Timeframe, processed_at: i64) -> bool {
        processed_at >= ts.saturating_add(tf.millis().saturating_mul(2))
    }

    /// The tick of a ledger entry's payload, if it holds one.
    pub fn read(payload: &serde_json::Value) -> Option<TickEntry> {
        serde_json::from_value(payload.clone()).ok()
    }
}

/// A basket's processed time, as the ledger's `tick` entries carry it: the candle of each
/// market that had one, as processed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BasketTickEntry {
    /// Basket equity after this time.
    pub equity: f64,
    pub cash: f64,
    /// The actions that fired, as `SYMBOL: enter long`.
    pub signals: Vec<String>,
    /// `(member index, [open, high, low, close, volume])`.
    pub candles: Vec<(usize, [f64; 5])>,
    pub processed_at: Option<i64>,
}

impl BasketTickEntry {
    /// The basket tick of a ledger entry's payload, if it holds one.
    pub fn read(payload: &serde_json::Value) -> Option<BasketTickEntry> {
        serde_json::from_value(payload.clone()).ok()
    }
}

/// A position opened, as the ledger's `fill` entries carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FillEntry {
    /// The market (baskets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `long` or `short`.
    pub side: String,
    /// Fill price, slippage included.
    pub price: f64,
    pub quantity: f64,
    pub entry_ts: i64,
    pub stop: Option<f64>,
    pub take_profit: Option<f64>,
}

impl FillEntry {
    pub fn of(symbol: Option<&str>, p: &bb_simulator::OpenPosition) -> FillEntry {
        FillEntry {
            symbol: symbol.map(str::to_owned),
            side: side_word(p.side).to_owned(),
            price: p.entry_price,
            quantity: p.quantity,
            entry_ts: p.entry_ts,
            stop: p.stop,
            take_profit: p.take_profit,
        }
    }
}
