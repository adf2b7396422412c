//! What a compiled strategy hands the simulator: per-bar action signals and risk rules.

use serde::{Deserialize, Serialize};

/// Per-bar action signals, each evaluated on the bar's close. All four columns have the
/// length of the candles they were computed on; `true` means "the rule fired on this bar".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    pub enter_long: Vec<bool>,
    pub exit_long: Vec<bool>,
    pub enter_short: Vec<bool>,
    pub exit_short: Vec<bool>,
}

impl Signals {
    /// All-false signals for `len` bars.
    pub fn none(len: usize) -> Signals {
        Signals {
            enter_long: vec![false; len],
            exit_long: vec![false; len],
            enter_short: vec![false; len],
            exit_short: vec![false; len],
        }
    }

    pub fn len(&self) -> usize {
        self.enter_long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.enter_long.is_empty()
    }
}

/// How big a new position is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sizing {
    /// Spend this percentage of current equity (cash-limited: never more than the cash).
    PercentOfEquity { percent: f64 },
    /// Spend a fixed amount of the quote currency per trade.
    FixedQuote { amount: f64 },
    /// Size so that hitting the stop loss loses this percentage of equity.
    /// Requires a stop loss.
    RiskPercent { percent: f64 },
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing::PercentOfEquity { percent: 100.0 }
    }
}

/// Distance from the entry price to the protective stop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopRule {
    /// This percentage below a long entry (above a short entry).
    Percent { percent: f64 },
    /// `multiple` × ATR(`period`) of the signal bar away from the entry.
    Atr { period: usize, multiple: f64 },
}

/// Distance from the entry price to the profit target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetRule {
    Percent {
        percent: f64,
    },
    Atr {
        period: usize,
        multiple: f64,
    },
    /// `ratio` × the stop-loss distance. Requires a stop loss.
    RewardRisk {
        ratio: f64,
    },
}

/// A stop that follows the best price since entry at a fixed distance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrailingRule {
    Percent { percent: f64 },
    Atr { period: usize, multiple: f64 },
}

/// Risk and sizing rules of a strategy, from its risk blocks. The simulator applies them to
/// every position.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskRules {
    pub sizing: Sizing,
    pub stop_loss: Option<StopRule>,
    pub take_profit: Option<TargetRule>,
    pub trailing_stop: Option<TrailingRule>,
    /// Close the position after it has been open this many bars.
    pub time_stop_bars: Option<u32>,
    /// Move the stop to the entry price once the position has gained this percentage.
    pub break_even_after_pct: Option<f64>,
}

impl RiskRules {
    /// The ATR periods the rules need, deduplicated and sorted.
    pub fn atr_periods(&self) -> Vec<usize> {
        let mut p = Vec::new();
        if let Some(StopRule::Atr { period, .. }) = self.stop_loss {
            p.push(period);
        }
        if let Some(TargetRule::Atr { period, .. }) = self.take_profit {
            p.push(period);
        }
        if let Some(TrailingRule::Atr { period, .. }) = self.trailing_stop {
            p.push(period);
        }
        p.sort_unstable();
        p.dedup();
        p
    }
}
