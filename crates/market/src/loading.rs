//! Candles of a stored dataset for a backtest: the dataset that serves a symbol and
//! timeframe, its candles in a period (aggregated when the timeframe is coarser than the
//! stored one), the gap policy applied, and the stored quality report that goes on the
//! report's assumptions card. The command line and the backtest workers share this.

use bb_data::{GapPolicy, QualityReport};
use bb_domain::{Candles, Timeframe};
use bb_store::{Dataset, Db};

use crate::datasets::{refresh_quality, stored_quality};
use crate::error::MarketError;

/// Candles ready for a backtest, with where they come from.
#[derive(Debug, Clone)]
pub struct LoadedCandles {
    pub candles: Candles,
    /// The dataset they were read from.
    pub dataset: Dataset,
    /// The timeframe of `candles` (the dataset's, or a multiple of it).
    pub timeframe: Timeframe,
    /// e.g. "dataset BTC-USD:1d (demo)".
    pub label: String,
    /// The dataset's quality report (checked now when none is stored), with the gap policy
    /// applied.
    pub quality: QualityReport,
}

/// The dataset that serves `symbol` at `timeframe` among `all`: one of that timeframe
/// (the most recently updated), else the coarsest finer one that divides it. `source`
/// narrows the choice.
pub fn pick_dataset<'a>(
    all: &'a [Dataset],
    symbol: &str,
    timeframe: Timeframe,
    source: Option<&str>,
) -> Option<&'a Dataset> {
    let of_symbol = || {
        all.iter()
            .filter(move |d| d.symbol == symbol && source.is_none_or(|s| d.source == s))
    };
    of_symbol()
        .filter(|d| d.timeframe == timeframe)
        .max_by_key(|d| d.updated_at)
        .or_else(|| {
            of_symbol()
                .filter(|d| d.timeframe < timeframe && timeframe.is_multiple_of(d.timeframe))
                .max_by_key(|d| (d.timeframe, d.updated_at))
        })
}

/// Loads `[from, to)` of `dataset` at `timeframe` with `policy` applied to its gaps.
/// `Invalid` when the period has no candles.
pub async fn load_for_backtest(
    db: &Db,
    dataset: &Dataset,
    timeframe: Timeframe,
    from: Option<i64>,
    to: Option<i64>,
    policy: GapPolicy,
) -> Result<LoadedCandles, MarketError> {
    let candles = db.candles().load_at(dataset, timeframe, from, to).await?;
    if candles.is_empty() {
        return Err(MarketError::Invalid(format!(
            "dataset {} has no candles in the period asked for",
            dataset.spec()
        )));
    }
    let mut quality = match stored_quality(dataset) {
        Some(q) => q,
        None => refresh_quality(db, &dataset.id, None).await?,
    };
    let label = if dataset.timeframe == timeframe {
        format!("dataset {} ({})", dataset.spec(), dataset.source)
    } else {
        format!(
            "dataset {}:{timeframe} aggregated from {} ({})",
            dataset.symbol,
            dataset.spec(),
            dataset.source
        )
    };
    let filled = bb_data::apply_gap_policy(&candles, timeframe, policy);
    quality.record_fill(&filled);
    Ok(LoadedCandles {
        candles: filled.candles,
        dataset: dataset.clone(),
        timeframe,
        label,
        quality,
    })
}
