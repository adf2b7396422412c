//! `blockbuilders backtest`: one strategy on one candle file, with the assumptions card.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bb_backtest::{BacktestConfig, BacktestReport, Settings, SettingsInput};
use bb_simulator::FillRule;

use super::format::{money, pct, time};
use super::report_text::{print_metrics, print_report, print_rules, print_warnings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fill {
    /// Orders fill at the next bar's open (default).
    NextOpen,
    /// Orders fill at the signal bar's close.
    SameClose,
}

/// Costs and fills shared by `backtest` and `sweep`; defaults and ranges are
/// [`Settings`]'s.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Starting capital in the quote currency.
    #[arg(long, default_value_t = Settings::DEFAULT.initial_capital)]
    pub capital: f64,
    /// Fee per fill, % of notional.
    #[arg(long, default_value_t = Settings::DEFAULT.fee_pct)]
    pub fee: f64,
    /// Slippage per fill in basis points (against you).
    #[arg(long, default_value_t = Settings::DEFAULT.slippage_bps)]
    pub slippage: f64,
    /// When orders fill.
    #[arg(long, value_enum, default_value_t = Fill::NextOpen)]
    pub fill: Fill,
    /// Ignore enter-short signals.
    #[arg(long)]
    pub no_short: bool,
}

impl SimArgs {
    /// The settings through their one checked constructor; an error names the flag.
    pub fn settings(&self) -> Result<Settings> {
        Settings::new(SettingsInput {
            initial_capital: Some(self.capital),
            fee_pct: Some(self.fee),
            slippage_bps: Some(self.slippage),
            fill: Some(match self.fill {
                Fill::NextOpen => FillRule::NextOpen,
                Fill::SameClose => FillRule::SameClose,
            }),
            allow_short: Some(!self.no_short),
            fill_gaps: None,
        })
        .map_err(|e| {
            let flag = match e.field {
                "initial_capital" => "--capital",
                "fee_pct" => "--fee",
                _ => "--slippage",
            };
            anyhow::anyhow!("{flag}: {}", e.message)
        })
    }

    pub fn config(&self) -> Result<BacktestConfig> {
        Ok(self.settings()?.config())
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (JSON).
    #[arg(long)]
    strategy: PathBuf,
    /// Candles: CSV with a header, or ccxt-style JSON arrays. Give it several times for a
    /// basket: the strategy trades every file's symbol from one shared cash balance.
    #[arg(long, required_unless_present = "dataset", conflicts_with = "dataset")]
    data: Vec<PathBuf>,
    /// Candles from the database instead of a file: SYMBOL:TIMEFRAME (e.g. BTC-USD:1d) or
    /// SYMBOL:TIMEFRAME:SOURCE. The report includes the dataset's stored quality report.
    #[arg(long)]
    dataset: Option<String>,
    /// With --dataset: the database (`sqlite://path.db` or `postgres://...`).
    #[arg(long, env = "BB_DATABASE_URL", default_value = super::data::DEFAULT_DATABASE_URL)]
    database_url: String,
    /// With --dataset: forward-fill missing bars (open = high = low = close = the previous
    /// close, volume 0) instead of leaving them missing.
    #[arg(long, requires = "dataset")]
    fill_gaps: bool,
    /// Basket only: the most one position may use, in % of the account's equity
    /// (default: an equal share, 100 / number of symbols).
    #[arg(long)]
    max_allocation: Option<f64>,
    /// Start of the test (inclusive), e.g. 2020-01-01.
    #[arg(long)]
    from: Option<String>,
    /// End of the test (exclusive).
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    sim: SimArgs,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
    /// With --json: every bar of the equity curve instead of about 1,000 points.
    #[arg(long)]
    full_equity: bool,
    /// Write every trade to this CSV file.
    #[arg(long)]
    trades_csv: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let doc = crate::input::document(&args.strategy)?;
    let mut config = args.sim.config()?;
    if args.full_equity {
        config.equity_points = 0;
    }
    if let Some(spec) = &args.dataset {
        return run_dataset(args, spec, &doc.name, &config);
    }
    if args.data.len() > 1 {
        return run_basket(args, &doc.name, &config);
    }
    let data = &args.data[0];
    let candles = crate::input::candles(data, args.from.as_deref(), args.to.as_deref())?;
    let plan = crate::input::plan(&args.strategy, &candles, true)?;
    let report = bb_backtest::backtest(&doc.name, &plan, &candles, &config)?;
    if let Some(path) = &args.trades_csv {
        write_trades(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_report(
            &mut out,
            &report,
            &data.display().to_string(),
            args.trades_csv.is_some(),
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One strategy on a stored dataset; the dataset's quality report goes with the report.
fn run_dataset(args: &Args, spec: &str, name: &str, config: &BacktestConfig) -> Result<ExitCode> {
    let stored = crate::input::stored_candles(
        spec,
        &args.database_url,
        args.from.as_deref(),
        args.to.as_deref(),
        args.fill_gaps,
    )?;
    let plan = crate::input::plan(&args.strategy, &stored.candles, true)?;
    let mut report = bb_backtest::backtest(name, &plan, &stored.candles, config)?;
    // The assumptions card's data section gains the stored quality report.
    report.assumptions.data.provenance = bb_jobs::provenance(&stored);
    if let Some(path) = &args.trades_csv {
        write_trades(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_report(&mut out, &report, &stored.label, args.trades_csv.is_some())?;
        writeln!(out)?;
        super::data::print_quality(&mut out, &stored.quality)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_basket(args: &Args, name: &str, config: &BacktestConfig) -> Result<ExitCode> {
    let mut loaded = Vec::new();
    for path in &args.data {
        let candles = crate::input::candles(path, args.from.as_deref(), args.to.as_deref())?;
        let plan = crate::input::plan(&args.strategy, &candles, true)?;
        let symbol = path
            .file_stem()
            .map_or("data".into(), |s| s.to_string_lossy().into_owned());
        loaded.push((symbol, plan, candles));
    }
    let inputs: Vec<bb_backtest::BasketInput> = loaded
        .iter()
        .map(|(symbol, plan, candles)| bb_backtest::BasketInput {
            symbol,
            plan,
            candles,
        })
        .collect();
    let max_allocation = args.max_allocation.unwrap_or(100.0 / inputs.len() as f64);
    anyhow::ensure!(
        max_allocation > 0.0 && max_allocation <= 100.0,
        "--max-allocation is a percentage between 0 and 100"
    );
    let report = bb_backtest::backtest_basket(name, &inputs, config, max_allocation)?;
    if let Some(path) = &args.trades_csv {
        let trades: Vec<_> = report
            .members
            .iter()
            .flat_map(|m| m.trades.iter().map(move |t| (m.symbol.as_str(), t)))
            .collect();
        write_trade_rows(path, &trades).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let m = &report.metrics;
        writeln!(
            out,
            "{} on a basket of {} symbols, one shared account",
            report.strategy,
            report.members.len()
        )?;
        writeln!(out)?;
        writeln!(out, "RESULTS")?;
        print_metrics(
            &mut out,
            m,
            report.assumptions.initial_capital,
            report.equity.last().map(|p| p.equity),
        )?;
        writeln!(out)?;
        writeln!(out, "SYMBOLS")?;
        writeln!(
            out,
            "  {:<32} {:>7} {:>14} {:>10} {:>12}  data",
            "symbol", "trades", "P&L", "exposure", "buy & hold"
        )?;
        for s in &report.members {
            writeln!(
                out,
                "  {:<32} {:>7} {:>14} {:>10} {:>12}  {} → {}, {} {} bars, {} gap(s)",
                s.symbol,
                s.trades.len(),
                money(s.pnl),
                format!("{:.1}%", s.exposure_pct),
                pct(s.buy_and_hold_return_pct),
                time(s.data.from_ts),
                time(s.data.to_ts),
                s.data.candles,
                s.data.timeframe,
                s.data.gap_count
            )?;
        }
        writeln!(out)?;
        writeln!(out, "ASSUMPTIONS")?;
        writeln!(out, "  Basket     {}", report.basket_rule)?;
        print_rules(&mut out, &report.assumptions)?;
        print_warnings(&mut out, &report.warnings)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_trades(path: &std::path::Path, report: &BacktestReport) -> Result<()> {
    let rows: Vec<_> = report.trades.iter().map(|t| ("", t)).collect();
    write_trade_rows(path, &rows)
}

fn write_trade_rows(path: &std::path::Path, trades: &[(&str, &bb_domain::Trade)]) -> Result<()> {
    let file = std::fs::File::create(path)?;
    bb_data::write_trades_csv(std::io::BufWriter::new(file), trades)?;
    Ok(())
}
