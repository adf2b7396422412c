//! Backtest reports as text for the terminal.

use std::io::Write;

use anyhow::Result;
use bb_backtest::{Assumptions, BacktestReport, Warning};
use bb_metrics::Metrics;

use super::format::{duration, money, opt_money, opt_pct, pct, ratio, time};

pub fn print_report(
    out: &mut impl Write,
    r: &BacktestReport,
    data: &str,
    wrote_csv: bool,
) -> Result<()> {
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
    print_metrics(
        out,
        &r.metrics,
        a.initial_capital,
        r.equity.last().map(|p| p.equity),
    )?;
    writeln!(out)?;
    writeln!(out, "ASSUMPTIONS")?;
    print_rules(out, a)?;
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
    print_warnings(out, &r.warnings)?;
    print_trades(out, &r.trades, wrote_csv)
}

pub fn print_metrics(
    out: &mut impl Write,
    m: &Metrics,
    initial_capital: f64,
    end_equity: Option<f64>,
) -> Result<()> {
    let end = end_equity.unwrap_or(initial_capital);
    writeln!(
        out,
        "  Total return      {:>12}   ({} → {})",
        pct(m.total_return_pct),
        money(initial_capital),
        money(end)
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
    Ok(())
}

pub fn print_rules(out: &mut impl Write, a: &Assumptions) -> Result<()> {
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
    Ok(())
}

pub fn print_warnings(out: &mut impl Write, warnings: &[Warning]) -> Result<()> {
    if !warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "WARNINGS")?;
        for w in warnings {
            writeln!(out, "  ! {}", w.message)?;
        }
    }
    Ok(())
}

fn print_trades(out: &mut impl Write, trades: &[bb_domain::Trade], wrote_csv: bool) -> Result<()> {
    if trades.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let shown = trades.len().min(10);
    writeln!(
        out,
        "LAST {shown} OF {} TRADES{}",
        trades.len(),
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
    for t in &trades[trades.len() - shown..] {
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
            "  {side:<5}  {}  {:>12}  {}  {:>12}  {:>9}  {:>12}  {reason}",
            time(t.entry_ts),
            money(t.entry_price),
            time(t.exit_ts),
            money(t.exit_price),
            pct(t.pnl_pct),
            money(t.pnl)
        )?;
    }
    Ok(())
}
