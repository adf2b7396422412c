//! Reading the command's inputs: candle files, strategies and time bounds.

use std::path::Path;

use anyhow::{Context, Result, bail};
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
