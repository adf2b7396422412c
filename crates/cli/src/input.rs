//! Reading the command's inputs: candle files, strategies and time bounds.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use bb_data::GapPolicy;
use bb_domain::Candles;
use bb_strategy::{CompileOptions, Plan, StrategyDocument};

/// Reads candles and keeps those in `[from, to)`.
pub fn candles(path: &Path, from: Option<&str>, to: Option<&str>) -> Result<Candles> {
    let all = bb_data::read_candles(path)
        .with_context(|| format!("reading candles from {}", path.display()))?;
    let bound = |t: Option<&str>, name: &str| -> Result<Option<i64>> {
        t.map(|t| bb_data::parse_timestamp(t, None).map_err(|e| anyhow::anyhow!("--{name}: {e}")))
            .transpose()
    };
    let c = all.between(bound(from, "from")?, bound(to, "to")?);
    if c.is_empty() {
        bail!(
            "no candles in {} between the given --from and --to",
            path.display()
        );
    }
    Ok(c)
}

/// Loads `SYMBOL:TIMEFRAME[:SOURCE]` from the database, keeping `[from, to)`. A timeframe with
/// no dataset of its own is aggregated from the coarsest finer dataset of the symbol that
/// divides it. With `fill_gaps`, missing bars are forward-filled.
pub fn stored_candles(
    spec: &str,
    database_url: &str,
    from: Option<&str>,
    to: Option<&str>,
    fill_gaps: bool,
) -> Result<bb_market::loading::LoadedCandles> {
    use crate::commands::data::{DbArgs, open, parse_spec, runtime};
    let bound = |t: Option<&str>, name: &str| -> Result<Option<i64>> {
        t.map(|t| bb_data::parse_timestamp(t, None).map_err(|e| anyhow!("--{name}: {e}")))
            .transpose()
    };
    let (from, to) = (bound(from, "from")?, bound(to, "to")?);
    let (symbol, timeframe, source) = parse_spec(spec)?;
    let rt = runtime()?;
    rt.block_on(async {
        let db = open(&DbArgs {
            database_url: database_url.to_owned(),
        })
        .await?;
        let all = db.candles().list_datasets().await?;
        let dataset = bb_market::loading::pick_dataset(&all, &symbol, timeframe, source.as_deref())
            .cloned()
            .ok_or_else(|| {
                let have: Vec<String> = all.iter().map(|d| d.spec()).collect();
                anyhow!(
                    "no dataset {spec} in {} (it has: {}); import one with `blockbuilders data import` or load the demo with `blockbuilders data demo`",
                    bb_store::redact_url(database_url),
                    if have.is_empty() { "none".to_owned() } else { have.join(", ") }
                )
            })?;
        let policy = if fill_gaps {
            GapPolicy::ForwardFill
        } else {
            GapPolicy::Leave
        };
        let loaded =
            bb_market::loading::load_for_backtest(&db, &dataset, timeframe, from, to, policy)
                .await
                .map_err(|e| match e {
                    bb_market::MarketError::Invalid(_) => anyhow!(
                        "dataset {} has no candles between the given --from and --to",
                        dataset.spec()
                    ),
                    other => other.into(),
                });
        db.close().await;
        loaded
    })
}

pub fn document(path: &Path) -> Result<StrategyDocument> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    StrategyDocument::from_json(&text).with_context(|| format!("in {}", path.display()))
}

/// Validates and compiles a strategy for these candles; on failure, lists every problem.
/// With `need_decisions`, a warm-up longer than the data is an error (a backtest could
/// never trade); the inspector shows the warm-up instead.
pub fn plan(path: &Path, candles: &Candles, need_decisions: bool) -> Result<Plan> {
    let doc = document(path)?;
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: need_decisions.then_some(candles.len()),
    };
    bb_strategy::compile(&bb_strategy::validate(&doc), &options).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|d| format!("  - {d}")).collect();
        anyhow::anyhow!(
            "{} is not a valid strategy:\n{}",
            path.display(),
            list.join("\n")
        )
    })
}
