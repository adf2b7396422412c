//! The inspector behind a backtest: every block's value on a chosen bar and the bars around
//! it, on the run's own strategy version, candles and settings (what `blockbuilders inspect`
//! prints for a file).

use bb_market::loading::load_for_backtest;
use bb_store::{Db, Run};
use bb_strategy::{Limits, Series, StrategyDocument};
use serde::Serialize;

use crate::request::BacktestRequest;
use crate::run::JobError;

/// The most bars on either side of the chosen one.
pub const MAX_AROUND: usize = 50;

/// Every block's value on a few bars.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    /// The bar asked about: the last one that opened at or before the time given, Unix ms.
    pub ts: i64,
    /// Open times of the bars shown, oldest first, Unix ms; `ts` is among them.
    pub bars: Vec<i64>,
    /// Prices and volume of those bars.
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    /// One column per block output, in document order, then the four action signals.
    pub columns: Vec<InspectColumn>,
}

/// One block output over the bars shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectColumn {
    /// `node.port`, with `@<timeframe>` for a value computed on a higher timeframe.
    pub name: String,
    /// The block's id (`signal` for the action signals).
    pub node: String,
    /// The output's name.
    pub port: String,
    /// A number output: one value per bar, `null` while the block warms up.
    pub numbers: Option<Vec<Option<f64>>>,
    /// A yes/no output: one value per bar.
    pub flags: Option<Vec<bool>>,
}

/// Evaluates the run's strategy version on its candles (within the graph limits of the
/// owner's plan and the evaluation memory budget) and returns the bars `around` the one
/// open at `at_ms`.
pub async fn inspect(
    db: &Db,
    run: &Run,
    limits: Limits,
    at_ms: i64,
    around: usize,
) -> Result<Inspection, JobError> {
    let request: BacktestRequest = serde_json::from_value(run.config.clone())
        .map_err(|e| JobError::Permanent(format!("the run's settings cannot be read: {e}")))?;
    let version = db
        .strategies()
        .version(&run.strategy_id, run.version)
        .await?;
    let doc = StrategyDocument::from_json(&version.graph.to_string()).map_err(|e| {
        JobError::Permanent(format!(
            "version {} of the strategy cannot be read: {e}",
            run.version
        ))
    })?;
    let dataset = db.candles().get_dataset(&request.dataset_id).await?;
    let loaded = load_for_backtest(
        db,
        &dataset,
        request.timeframe,
        request.from_ms,
        request.to_ms,
        request.settings.gap_policy,
    )
    .await?;
    let around = around.min(MAX_AROUND);
    crate::engine::on_engine_thread(move || {
        let plan = crate::backtest::compile(&doc, &loaded, &limits)?;
        let evaluation = plan
            .evaluate_all(&loaded.candles)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let columns = evaluation.columns(&plan, &loaded.candles);
        let c = &loaded.candles;
        if c.is_empty() {
            return Err(JobError::Permanent(
                "the run's period has no candles".into(),
            ));
        }
        let at = c.ts.partition_point(|&t| t <= at_ms).saturating_sub(1);
        let range = at.saturating_sub(around)..(at + around + 1).min(c.len());
        Ok(Inspection {
            ts: c.ts[at],
            bars: c.ts[range.clone()].to_vec(),
            open: c.open[range.clone()].to_vec(),
            high: c.high[range.clone()].to_vec(),
            low: c.low[range.clone()].to_vec(),
            close: c.close[range.clone()].to_vec(),
            volume: c.volume[range.clone()].to_vec(),
            columns: columns
                .into_iter()
                .map(|col| {
                    let (numbers, flags) = match &col.values {
                        Series::Number(v) => (
                            Some(
                                v[range.clone()]
                                    .iter()
                                    .map(|x| x.is_finite().then_some(*x))
                                    .collect(),
                            ),
                            None,
                        ),
                        Series::Boolean(v) => (None, Some(v[range.clone()].to_vec())),
                    };
                    InspectColumn {
                        name: col.name,
                        node: col.node,
                        port: col.port,
                        numbers,
                        flags,
                    }
                })
                .collect(),
        })
    })
    .await
}
