//! The machine gates a public template must pass before a reviewer sees it, and the
//! verified backtest card it is published with. Pure: the runs are read by the caller.
//!
//! The gates, each with its evidence (stored in the `risk_review` event's payload):
//! 1. `backtest_with_costs`: a succeeded backtest of this exact version by its publisher,
//!    with fees and slippage both above zero (the newest such run is the card's).
//! 2. `min_trades`: that backtest closed at least [`MIN_TRADES`] trades.
//! 3. `no_critical_warnings`: it has none of the [`CRITICAL`] warnings.
//! 4. `out_of_sample`: a succeeded robustness check of this version whose walk-forward did
//!    not fail (the out-of-sample part made at least 40% of the in-sample growth rate).
//! 5. `disclosure`: the disclosure has at least `MIN_DISCLOSURE_LEN` characters.

use bb_backtest::WarningCode;
use bb_jobs::{BacktestRequest, BacktestSummary, RobustnessSummary};
use bb_metrics::Metrics;
use bb_robustness::verdict::{Check, Level};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The fewest trades a published template's backtest must have.
pub const MIN_TRADES: usize = 30;
/// Warnings that keep a template from the public: it never traded, or its candles have
/// gaps (its numbers would not be what a clone gets). The others (few trades, one trade
/// makes most of the profit, low exposure) are on the card for the reviewer to weigh.
pub const CRITICAL: [WarningCode; 2] = [WarningCode::NeverEntered, WarningCode::DataGaps];

/// One gate's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gate {
    /// `backtest_with_costs`, `min_trades`, `no_critical_warnings`, `out_of_sample` or
    /// `disclosure`.
    pub gate: String,
    pub passed: bool,
    /// What was found, in a sentence.
    pub detail: String,
}

/// A backtest run of the version, as the gates read it.
#[derive(Clone, Debug)]
pub struct BacktestEvidence {
    pub run_id: String,
    pub finished_at: i64,
    pub request: BacktestRequest,
    pub summary: BacktestSummary,
}

/// A robustness run of the version, as the gates read it.
#[derive(Clone, Debug)]
pub struct RobustnessEvidence {
    pub run_id: String,
    pub summary: RobustnessSummary,
}

/// The robustness check shown on a card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CardRobustness {
    pub run_id: String,
    /// `pass`, `caution`, `fail` or `unknown`: the walk-forward's level.
    #[schema(value_type = String)]
    pub walk_forward: Level,
    /// Stitched out-of-sample ÷ in-sample growth rate.
    pub walk_forward_efficiency: Option<f64>,
    /// The whole check's verdict in a sentence.
    pub headline: String,
}

/// The verified backtest card: the numbers a template was checked on, with their
/// assumptions. Written once, when the template is published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TemplateCard {
    /// The backtest run the card comes from.
    pub run_id: String,
    /// The candles, in words.
    pub dataset: String,
    /// The bars, e.g. `1d`.
    pub timeframe: String,
    /// Open time of the first and last bar, Unix ms.
    pub from_ts: i64,
    pub to_ts: i64,
    pub initial_capital: f64,
    /// Fee per fill, percent.
    pub fee_pct: f64,
    /// Slippage per fill, basis points.
    pub slippage_bps: f64,
    /// When orders fill, e.g. `next_open`.
    pub fill: String,
    pub metrics: Metrics,
    #[schema(value_type = Vec<String>)]
    pub warnings: Vec<WarningCode>,
    /// The out-of-sample check, when one was run.
    pub robustness: Option<CardRobustness>,
}

/// Every gate for a version, and the card of its newest backtest with costs (when any).
pub fn evaluate(
    backtests: &[BacktestEvidence],
    robustness: &[RobustnessEvidence],
    disclosure: Option<&str>,
) -> (Vec<Gate>, Option<TemplateCard>) {
    let mut gates = Vec::new();
    let with_costs = backtests
        .iter()
        .filter(|b| b.request.settings.fee_pct > 0.0 && b.request.settings.slippage_bps > 0.0)
        .max_by_key(|b| b.finished_at);
    let gate = |name: &str, passed: bool, detail: String| Gate {
        gate: name.to_owned(),
        passed,
        detail,
    };
    match with_costs {
        Some(b) => {
            let s = &b.request.settings;
            gates.push(gate(
                "backtest_with_costs",
                true,
                format!(
                    "Backtest {} on {} with a {}% fee and {} bps slippage per fill.",
                    b.run_id, b.summary.dataset, s.fee_pct, s.slippage_bps
                ),
            ));
            let trades = b.summary.metrics.trades;
            gates.push(gate(
                "min_trades",
                trades >= MIN_TRADES,
                format!("It closed {trades} trades; at least {MIN_TRADES} are needed."),
            ));
            let critical: Vec<&WarningCode> = b
                .summary
                .warnings
                .iter()
                .filter(|w| CRITICAL.contains(w))
                .collect();
            gates.push(gate(
                "no_critical_warnings",
                critical.is_empty(),
                if critical.is_empty() {
                    "It has no critical warning (never entered, gaps in the data).".to_owned()
                } else {
                    format!("It has critical warnings: {}.", names(&critical))
                },
            ));
        }
        None => {
            let detail = if backtests.is_empty() {
                "There is no finished backtest of this version yet: run one.".to_owned()
            } else {
                "Every backtest of this version ran without fees or without slippage: run one \
                 with both on."
                    .to_owned()
            };
            gates.push(gate("backtest_with_costs", false, detail));
            gates.push(gate(
                "min_trades",
                false,
                "Needs a backtest with fees and slippage on.".to_owned(),
            ));
            gates.push(gate(
                "no_critical_warnings",
                false,
                "Needs a backtest with fees and slippage on.".to_owned(),
            ));
        }
    }
    let checked = robustness.iter().find_map(|r| {
        let level = r
            .summary
            .verdicts
            .iter()
            .find(|v| v.check == Check::WalkForward)?
            .level;
        Some((r, level))
    });
    let robustness_card = match checked {
        Some((r, level)) => {
            let passed = matches!(level, Level::Pass | Level::Caution);
            gates.push(gate(
                "out_of_sample",
                passed,
                format!(
                    "Robustness check {}: the walk-forward's verdict is {}{}.",
                    r.run_id,
                    level_word(level),
                    r.summary
                        .walk_forward_efficiency
                        .map(|e| format!(
                            " (out of sample it made {:.0}% of the in-sample growth rate)",
                            e * 100.0
                        ))
                        .unwrap_or_default()
                ),
            ));
            Some(CardRobustness {
                run_id: r.run_id.clone(),
                walk_forward: level,
                walk_forward_efficiency: r.summary.walk_forward_efficiency,
                headline: r.summary.headline.clone(),
            })
        }
        None => {
            gates.push(gate(
                "out_of_sample",
                false,
                "There is no finished robustness check of this version: run one (Check \
                 robustness on a result page) so its walk-forward tests it out of sample."
                    .to_owned(),
            ));
            None
        }
    };
    if let Some(text) = disclosure {
        let n = text.trim().chars().count();
        gates.push(gate(
            "disclosure",
            n >= bb_store::MIN_DISCLOSURE_LEN,
            format!(
                "The disclosure has {n} characters; at least {} are needed.",
                bb_store::MIN_DISCLOSURE_LEN
            ),
        ));
    }
    let card = with_costs.map(|b| {
        let s = &b.request.settings;
        TemplateCard {
            run_id: b.run_id.clone(),
            dataset: b.summary.dataset.clone(),
            timeframe: b.summary.timeframe.to_string(),
            from_ts: b.summary.from_ts,
            to_ts: b.summary.to_ts,
            initial_capital: b.summary.initial_capital,
            fee_pct: s.fee_pct,
            slippage_bps: s.slippage_bps,
            fill: serde_json::to_value(s.fill)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            metrics: b.summary.metrics.clone(),
            warnings: b.summary.warnings.clone(),
            robustness: robustness_card,
        }
    });
    (gates, card)
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Pass => "pass",
        Level::Caution => "caution",
        Level::Fail => "fail",
        Level::Unknown => "unknown",
    }
}

fn names(codes: &[&WarningCode]) -> String {
    codes
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}
