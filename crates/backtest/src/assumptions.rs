//! The assumptions card: how a backtest's numbers were produced, in words a trader reads,
//! next to every result.

use bb_domain::{Candles, RiskRules, Sizing, StopRule, TargetRule, Timeframe, TrailingRule};
use bb_simulator::{FillRule, SimConfig};
use serde::{Deserialize, Serialize};

/// The stated conditions of one backtest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assumptions {
    /// Starting cash, quote currency.
    pub initial_capital: f64,
    /// Machine-readable fill rule and its explanation.
    pub fill_rule: FillRule,
    /// The fill rule in words.
    pub fill_rule_text: String,
    /// Fee per fill, percent of the fill's notional.
    pub fee_pct: f64,
    /// Slippage per fill in basis points, against the trader.
    pub slippage_bps: f64,
    /// The slippage in words.
    pub slippage_text: String,
    /// The order in which a bar's prices are assumed to have traded, for stops and targets.
    pub intrabar_path: String,
    /// How each trade is sized, in words.
    pub sizing: String,
    /// One line per active risk rule (stop, target, trailing, time stop, break-even).
    pub risk_rules: Vec<String>,
    /// Whether enter-short signals opened short positions.
    pub shorts_allowed: bool,
    /// How crossings and exact ties are decided.
    pub crossing_rule: String,
    pub data: DataSummary,
}

/// What data the backtest ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSummary {
    /// Open time of the first bar, Unix ms.
    pub from_ts: i64,
    /// Open time of the last bar, Unix ms.
    pub to_ts: i64,
    /// Bar duration, e.g. "1m", "1d".
    pub timeframe: String,
    /// Bars the backtest ran on.
    pub candles: usize,
    /// Bars the strategy needed before its first decision.
    pub warmup_bars: usize,
    /// Places where bars are missing (the first 50).
    pub gaps: Vec<DataGap>,
    /// Every place where bars are missing.
    pub gap_count: usize,
    /// Bars missing in all.
    pub missing_bars: i64,
    /// What the engine does across gaps.
    pub gap_handling: String,
    /// Where the candles came from (filled in by the worker that loaded them).
    #[serde(flatten)]
    pub provenance: DataProvenance,
}

/// Where a run's candles came from and what is known about their quality. Empty for a
/// file-based backtest in the CLI.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataProvenance {
    /// The dataset in words, e.g. "dataset BTC-USD:1d (demo)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The stored dataset's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<DataQuality>,
}

/// The dataset's quality report, with one sentence per finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataQuality {
    /// One sentence per finding, for people.
    pub summary: Vec<String>,
    pub report: bb_data::QualityReport,
}

impl DataQuality {
    pub fn of(report: &bb_data::QualityReport) -> DataQuality {
        DataQuality {
            summary: report.summary(),
            report: report.clone(),
        }
    }
}

/// A run of missing bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataGap {
    /// Open time of the last bar before the gap, Unix ms.
    pub last_before_ts: i64,
    /// Open time of the first bar after the gap, Unix ms.
    pub first_after_ts: i64,
    /// Bars missing in this gap.
    pub missing_bars: i64,
}

const SHOWN_GAPS: usize = 50;

pub(crate) fn assumptions(
    config: &SimConfig,
    risk: &RiskRules,
    candles: &Candles,
    timeframe: Timeframe,
    warmup_bars: usize,
) -> Assumptions {
    let fill_rule_text = match config.fill {
        FillRule::NextOpen => {
            "Signals are computed on each bar's close; orders fill at the next bar's open. A signal on the last bar does not fill."
        }
        FillRule::SameClose => {
            "Signals are computed on each bar's close and orders fill at that same close (optimistic: in real trading the close is only known once it has passed)."
        }
    };
    let all_gaps = candles.gaps(timeframe);
    let gaps: Vec<DataGap> = all_gaps
        .iter()
        .take(SHOWN_GAPS)
        .map(|&(i, missing)| DataGap {
            last_before_ts: candles.ts[i - 1],
            first_after_ts: candles.ts[i],
            missing_bars: missing,
        })
        .collect();
    Assumptions {
        initial_capital: config.initial_capital,
        fill_rule: config.fill,
        fill_rule_text: fill_rule_text.into(),
        fee_pct: config.fee_pct,
        slippage_bps: config.slippage_bps,
        slippage_text: format!(
            "Every fill is {} bps worse than the price it is based on: buys higher, sells lower.",
            config.slippage_bps
        ),
        intrabar_path: "Stops and targets are checked inside each bar along open → the extreme nearer the open → the other extreme → close. A bar that opens beyond a stop or target fills at the open. When a stop and a target are both inside one bar, this path decides which is hit; such bars are counted.".into(),
        sizing: sizing_text(&risk.sizing),
        risk_rules: risk_lines(risk),
        shorts_allowed: config.allow_short,
        crossing_rule: "A crossing needs the previous differing bar on the other side; bars where both values are exactly equal count for neither side.".into(),
        data: DataSummary {
            from_ts: candles.ts.first().copied().unwrap_or(0),
            to_ts: candles.ts.last().copied().unwrap_or(0),
            timeframe: timeframe.to_string(),
            candles: candles.len(),
            warmup_bars,
            gap_count: all_gaps.len(),
            missing_bars: all_gaps.iter().map(|g| g.1).sum(),
            gaps,
            gap_handling: "Missing bars are left missing: indicators treat the bars on either side as neighbours, and no trade can fill inside a gap.".into(),
            provenance: DataProvenance::default(),
        },
    }
}

fn sizing_text(s: &Sizing) -> String {
    match *s {
        Sizing::PercentOfEquity { percent } => format!(
            "Each trade uses {percent}% of equity (fees included), never more than the cash available; no leverage."
        ),
        Sizing::FixedQuote { amount } => format!(
            "Each trade spends {amount} of the quote currency (fees included), capped by the cash available; no leverage."
        ),
        Sizing::RiskPercent { percent } => format!(
            "Each trade is sized so that hitting its stop loses {percent}% of equity, capped by the cash available; no leverage."
        ),
    }
}

fn risk_lines(r: &RiskRules) -> Vec<String> {
    let mut out = Vec::new();
    match r.stop_loss {
        Some(StopRule::Percent { percent }) => {
            out.push(format!("Stop loss {percent}% from the entry fill."))
        }
        Some(StopRule::Atr { period, multiple }) => out.push(format!(
            "Stop loss {multiple} × ATR({period}) of the signal bar from the entry fill."
        )),
        None => {}
    }
    match r.take_profit {
        Some(TargetRule::Percent { percent }) => {
            out.push(format!("Take profit {percent}% from the entry fill."))
        }
        Some(TargetRule::Atr { period, multiple }) => out.push(format!(
            "Take profit {multiple} × ATR({period}) of the signal bar from the entry fill."
        )),
        Some(TargetRule::RewardRisk { ratio }) => {
            out.push(format!("Take profit at {ratio} × the stop-loss distance."))
        }
        None => {}
    }
    match r.trailing_stop {
        Some(TrailingRule::Percent { percent }) => out.push(format!(
            "Trailing stop {percent}% behind the best price since entry."
        )),
        Some(TrailingRule::Atr { period, multiple }) => out.push(format!(
            "Trailing stop {multiple} × ATR({period}) behind the best price since entry."
        )),
        None => {}
    }
    if let Some(bars) = r.time_stop_bars {
        out.push(format!("Time stop: positions close after {bars} bars."));
    }
    if let Some(pct) = r.break_even_after_pct {
        out.push(format!(
            "The stop moves to the entry price once a position has gained {pct}%."
        ));
    }
    out
}
