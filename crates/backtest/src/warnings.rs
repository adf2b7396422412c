//! Cautions a beginner understands, attached to every report that needs them.

use bb_domain::Trade;
use bb_metrics::Metrics;
use serde::{Deserialize, Serialize};

use crate::assumptions::DataSummary;

/// Stable codes; the UI switches on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    NeverEntered,
    FewTrades,
    OneTradeDominates,
    LowExposure,
    DataGaps,
    StopAndTargetSameBar,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    pub code: WarningCode,
    /// The caution in words for a beginner.
    pub message: String,
}

/// Fewer trades than this make statistics unreliable.
pub const MIN_TRADES: usize = 30;
/// Exposure under this percent means the strategy barely traded.
pub const LOW_EXPOSURE_PCT: f64 = 5.0;
/// Share of the net profit above which one trade "makes most of the profit".
pub const DOMINANT_SHARE: f64 = 0.5;

pub(crate) fn warnings(
    metrics: &Metrics,
    trades: &[Trade],
    data: &DataSummary,
    stop_and_target_same_bar: usize,
) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |code, message: String| out.push(Warning { code, message });
    if trades.is_empty() {
        warn(WarningCode::NeverEntered, "The strategy never entered a trade on this data, so there is nothing to judge. Check the entry conditions with the inspector, or try more data.".into());
    } else if trades.len() < MIN_TRADES {
        warn(
            WarningCode::FewTrades,
            format!(
                "Only {} trades: too few to tell skill from luck. Aim for at least {MIN_TRADES} by testing more data or more markets.",
                trades.len()
            ),
        );
    }
    let net: f64 = trades.iter().map(|t| t.pnl).sum();
    if net > 0.0
        && let Some(best) = trades.iter().max_by(|a, b| a.pnl.total_cmp(&b.pnl))
        && best.pnl > DOMINANT_SHARE * net
        && trades.len() > 1
    {
        warn(
            WarningCode::OneTradeDominates,
            format!(
                "One trade made {:.0}% of the total profit. Without it the result would look very different; the strategy may have been lucky once.",
                best.pnl / net * 100.0
            ),
        );
    }
    if !trades.is_empty() && metrics.exposure_pct < LOW_EXPOSURE_PCT {
        warn(
            WarningCode::LowExposure,
            format!(
                "The strategy held a position only {:.1}% of the time, so its results rest on very few market moves.",
                metrics.exposure_pct
            ),
        );
    }
    if data.gap_count > 0 {
        warn(
            WarningCode::DataGaps,
            format!(
                "The data has {} gap(s) with {} missing bar(s) in total. Indicators and stops behave as if the bars on either side were neighbours; see the gaps in the assumptions.",
                data.gap_count, data.missing_bars
            ),
        );
    }
    if stop_and_target_same_bar > 0 {
        warn(
            WarningCode::StopAndTargetSameBar,
            format!(
                "On {stop_and_target_same_bar} bar(s) both the stop and the target were inside the bar's range. Which one filled was decided by the assumed intrabar path, not by data; treat those exits as uncertain."
            ),
        );
    }
    out
}
