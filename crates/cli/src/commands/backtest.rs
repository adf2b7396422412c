//! `blockbuilders backtest`: one strategy on one candle file, with the assumptions card.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bb_backtest::{BacktestConfig, BacktestReport};
use bb_simulator::{FillRule, SimConfig};

use super::format::{duration, money, opt_money, opt_pct, pct, ratio, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fill {
    /// Orders fill at the next bar's open (default).
    NextOpen,
    /// Orders fill at the signal bar's close.
    SameClose,
}

/// Costs and fills shared by `backtest` and `sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Starting capital in the quote currency.
    #[arg(long, default_value_t = 10_000.0)]
    pub capital: f64,
    /// Fee per fill, % of notional.
    #[arg(long, default_value_t = 0.1)]
    pub fee: f64,
    /// Slippage per fill in basis points (against you).
    #[arg(long, default_value_t = 5.0)]
    pub slippage: f64,
    /// When orders fill.
    #[arg(long, value_enum, default_value_t = Fill::NextOpen)]
    pub fill: Fill,
    /// Ignore enter-short signals.
    #[arg(long)]
    pub no_short: bool,
}

impl SimArgs {
    pub fn config(&self) -> Result<BacktestConfig> {
        anyhow::ensure!(self.capital > 0.0, "--capital must be positive");
        anyhow::ensure!(
            (0.0..100.0).contains(&self.fee),
            "--fee is a percentage between 0 and 100"
        );
        anyhow::ensure!(
            (0.0..10_000.0).contains(&self.slippage),
            "--slippage is in basis points, between 0 and 10000"
        );
        Ok(BacktestConfig {
            sim: SimConfig {
                initial_capital: self.capital,
                fee_pct: self.fee,
                slippage_bps: self.slippage,
                fill: match self.fill {
                    Fill::NextOpen => FillRule::NextOpen,
                    Fill::SameClose => FillRule::SameClose,
                },
                allow_short: !self.no_short,
            },
            ..BacktestConfig::default()
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (JSON).
    #[arg(long)]
    strategy: PathBuf,
    /// Candles: CSV with a header, or ccxt-style JSON arrays.
    #[arg(long)]
    data: PathBuf,
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
    let candles = crate::input::candles(&args.data, args.from.as_deref(), args.to.as_deref())?;
    let doc = crate::input::document(&args.strategy)?;
    let plan = crate::input::plan(&args.strategy, &candles, true)?;
    let mut config = args.sim.config()?;
    if args.full_equity {
        config.equity_points = 0;
    }
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
            &args.data.display().to_string(),
            args.trades_csv.is_some(),
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_trades(path: &std::path::Path, report: &BacktestReport) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "side",
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "quantity",
        "pnl",
        "pnl_pct",
        "fees",
        "slippage",
        "bars_held",
        "exit_reason",
    ])?;
    for t in &report.trades {
        w.write_record([
            serde_json::to_value(t.side)?
                .as_str()
                .unwrap_or_default()
                .to_string(),
            time(t.entry_ts),
            t.entry_price.to_string(),
            time(t.exit_ts),
            t.exit_price.to_string(),
            t.quantity.to_string(),
            t.pnl.to_string(),
            t.pnl_pct.to_string(),
            t.fees.to_string(),
            t.slippage.to_string(),
            t.bars_held().to_string(),
            serde_json::to_value(t.exit_reason)?
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn print_report(
    out: &mut impl Write,
    r: &BacktestReport,
    data: &str,
    wrote_csv: bool,
) -> Result<()> {
    let m = &r.metrics;
    let a = &r.assumptions;
    let d = &a.data;
    writeln!(out, "{} on {data}", r.strategy)?;
    writeln!(
        out,
        "{} → {} · {} bars · {} candles · first {} bars used to warm up indicators",
        time(d.from_ts),
        time(d.to_ts),
        d.timeframe,
        d.candles,
        d.warmup_bars
    )?;
    writeln!(out)?;
    writeln!(out, "RESULTS")?;
    let end_equity = r.equity.last().map_or(a.initial_capital, |p| p.equity);
    writeln!(
        out,
        "  Total return      {:>12}   ({} → {})",
        pct(m.total_return_pct),
        money(a.initial_capital),
        money(end_equity)
    )?;
    writeln!(
        out,
        "  Buy and hold      {:>12}   (same data, no costs)",
        pct(m.buy_and_hold_return_pct)
    )?;
    writeln!(out, "  CAGR              {:>12}", opt_pct(m.cagr_pct))?;
    writeln!(
        out,
        "  Max drawdown      {:>12}   (longest time under a peak: {})",
        pct(m.max_drawdown_pct),
        duration(m.max_drawdown_duration_ms as f64)
    )?;
    writeln!(
        out,
        "  Volatility        {:>12}   (annualised)",
        m.volatility_pct
            .map_or("n/a".into(), |v| format!("{v:.2}%"))
    )?;
    writeln!(
        out,
        "  Sharpe / Sortino / Calmar   {} / {} / {}",
        ratio(m.sharpe),
        ratio(m.sortino),
        ratio(m.calmar)
    )?;
    writeln!(
        out,
        "  Trades            {:>12}   win rate {}, profit factor {}",
        m.trades,
        opt_pct(m.win_rate_pct).trim_start_matches('+'),
        ratio(m.profit_factor)
    )?;
    writeln!(
        out,
        "  Expectancy        {:>12}   per trade (avg win {}, avg loss {})",
        opt_money(m.expectancy),
        opt_money(m.average_win),
        opt_money(m.average_loss)
    )?;
    writeln!(
        out,
        "  Best / worst      {} / {}",
        opt_pct(m.best_trade_pct),
        opt_pct(m.worst_trade_pct)
    )?;
    let holding = m.average_holding_ms.map_or("n/a".into(), duration);
    writeln!(
        out,
        "  Exposure          {:>12}   average holding {holding}",
        format!("{:.1}%", m.exposure_pct)
    )?;
    writeln!(
        out,
        "  Costs paid        fees {}, slippage {}",
        money(m.total_fees),
        money(m.total_slippage)
    )?;
    writeln!(out)?;
    writeln!(out, "ASSUMPTIONS")?;
    writeln!(out, "  Fills      {}", a.fill_rule_text)?;
    writeln!(
        out,
        "  Costs      {}% fee per fill. {}",
        a.fee_pct, a.slippage_text
    )?;
    writeln!(out, "  Sizing     {}", a.sizing)?;
    for rule in &a.risk_rules {
        writeln!(out, "  Risk       {rule}")?;
    }
    writeln!(out, "  Intrabar   {}", a.intrabar_path)?;
    writeln!(out, "  Crossings  {}", a.crossing_rule)?;
    writeln!(
        out,
        "  Shorts     {}",
        if a.shorts_allowed {
            "allowed"
        } else {
            "ignored (--no-short)"
        }
    )?;
    if d.gap_count == 0 {
        writeln!(out, "  Data gaps  none")?;
    } else {
        writeln!(
            out,
            "  Data gaps  {} gap(s), {} missing bar(s). {}",
            d.gap_count, d.missing_bars, d.gap_handling
        )?;
        for g in d.gaps.iter().take(5) {
            writeln!(
                out,
                "             {} → {} ({} bars missing)",
                time(g.last_before_ts),
                time(g.first_after_ts),
                g.missing_bars
            )?;
        }
    }
    let c = &r.counters;
    writeln!(
        out,
        "  Signals    {} entry and {} exit signals; {} entries ignored while in a position, {} skipped",
        c.entry_signals, c.exit_signals, c.ignored_signals, c.skipped_entries
    )?;
    if !r.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "WARNINGS")?;
        for w in &r.warnings {
            writeln!(out, "  ! {}", w.message)?;
        }
    }
    if !r.trades.is_empty() {
        writeln!(out)?;
        let shown = r.trades.len().min(10);
        writeln!(
            out,
            "LAST {shown} OF {} TRADES{}",
            r.trades.len(),
            if wrote_csv {
                ""
            } else {
                " (--trades-csv FILE for all)"
            }
        )?;
        writeln!(
            out,
            "  {:<5}  {:<19}  {:>12}  {:<19}  {:>12}  {:>9}  {:>12}  exit",
            "side", "entry", "price", "exit", "price", "P&L %", "P&L"
        )?;
        for t in &r.trades[r.trades.len() - shown..] {
            let side = serde_json::to_value(t.side)?
                .as_str()
                .unwrap_or_default()
                .to_string();
            let reason = serde_json::to_value(t.exit_reason)?
                .as_str()
                .unwrap_or_default()
                .replace('_', " ");
            writeln!(
                out,
                "  {side:<5}  {}  {:>12.2}  {}  {:>12.2}  {:>9}  {:>12}  {reason}",
                time(t.entry_ts),
                t.entry_price,
                time(t.exit_ts),
                t.exit_price,
                pct(t.pnl_pct),
                money(t.pnl)
            )?;
        }
    }
    Ok(())
}
