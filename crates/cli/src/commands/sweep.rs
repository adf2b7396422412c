//! `blockbuilders sweep`: a grid of parameters, on all cores, with a progress bar.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use bb_backtest::sweep::{Axis, Constraint, SweepSpec, sweep};
use bb_domain::Candles;
use bb_strategy::StrategyDocument;

use super::backtest::SimArgs;
use super::format::{opt_pct, ratio};

/// A strategy, its candles and a grid of its parameters: what `sweep` and `robustness` take.
#[derive(Debug, clap::Args)]
pub struct GridArgs {
    /// The strategy file (JSON).
    #[arg(long)]
    pub strategy: PathBuf,
    /// Candles: CSV with a header, or ccxt-style JSON arrays.
    #[arg(long)]
    pub data: PathBuf,
    /// Start of the candles used (inclusive), e.g. 2020-01-01.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the candles used (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// A swept parameter: node.param=START..END:STEP or node.param=V1,V2 (repeatable).
    #[arg(long = "param", required = true)]
    pub params: Vec<Axis>,
    /// Keep only combinations where this holds, e.g. "fast.period<slow.period" (repeatable).
    #[arg(long = "where")]
    pub constraints: Vec<Constraint>,
}

impl GridArgs {
    /// The candles, the strategy and the grid, read and checked.
    pub fn load(&self) -> Result<(Candles, StrategyDocument, SweepSpec)> {
        let candles = crate::input::candles(&self.data, self.from.as_deref(), self.to.as_deref())?;
        let doc = crate::input::document(&self.strategy)?;
        let spec = SweepSpec {
            axes: self.params.clone(),
            constraints: self.constraints.clone(),
        };
        Ok((candles, doc, spec))
    }
}

/// Worker threads: as asked, else one per core.
pub fn threads(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    grid: GridArgs,
    /// Metric to sort by (e.g. total_return_pct, sharpe, max_drawdown_pct, profit_factor).
    #[arg(long, default_value = "total_return_pct")]
    sort: String,
    /// Sort ascending instead of best first.
    #[arg(long)]
    ascending: bool,
    /// Rows to print (all with --json).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    sim: SimArgs,
    /// Print every row as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let (candles, doc, spec) = args.grid.load()?;
    let config = args.sim.config()?;
    let threads = threads(args.threads);
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} combinations  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut result = sweep(&doc, &candles, &spec, &config, threads, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    if let Some(m) = result.rows.iter().find_map(|r| r.metrics.as_ref()) {
        let fields = serde_json::to_value(m)?;
        if fields.get(&args.sort).is_none() {
            let names: Vec<&String> = fields
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            anyhow::bail!(
                "--sort: there is no metric \"{}\"; choose one of {}",
                args.sort,
                names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    result.sort_by(&args.sort, args.ascending);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let failed = result.rows.iter().filter(|r| r.metrics.is_none()).count();
    writeln!(
        out,
        "{}: {} combinations ({} in the grid) on {} candles in {:.2} s ({:.0} per second, {threads} threads){}",
        doc.name,
        result.rows.len(),
        result.grid_size,
        candles.len(),
        elapsed.as_secs_f64(),
        result.rows.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        if failed > 0 {
            format!("; {failed} could not run")
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "sorted by {}{}",
        args.sort,
        if args.ascending { " (ascending)" } else { "" }
    )?;
    for name in &result.axes {
        write!(out, "{name:>14}  ")?;
    }
    writeln!(
        out,
        "{:>10}  {:>10}  {:>7}  {:>6}  {:>8}  {:>7}",
        "return", "max dd", "sharpe", "trades", "win rate", "pf"
    )?;
    for row in result.rows.iter().take(args.top) {
        for v in &row.values {
            write!(out, "{v:>14}  ")?;
        }
        match &row.metrics {
            Some(m) => writeln!(
                out,
                "{:>10}  {:>10}  {:>7}  {:>6}  {:>8}  {:>7}",
                opt_pct(Some(m.total_return_pct)),
                opt_pct(Some(m.max_drawdown_pct)),
                ratio(m.sharpe),
                m.trades,
                opt_pct(m.win_rate_pct).trim_start_matches('+'),
                ratio(m.profit_factor)
            )?,
            None => writeln!(
                out,
                "could not run: {}",
                row.error.as_deref().unwrap_or("unknown error")
            )?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
