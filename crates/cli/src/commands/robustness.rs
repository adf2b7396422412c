//! `blockbuilders robustness`: the robustness lab on a candle file — walk-forward, holdout,
//! Monte Carlo and the overfitting statistics of a sweep, with plain verdicts.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use bb_backtest::walk_forward::{Objective, WalkForwardSpec, WindowMode};
use bb_robustness::lab::{LabReport, LabSpec, run_lab};
use bb_robustness::verdict::{Level, Verdict};

use super::backtest::SimArgs;
use super::format::{opt_pct, pct, ratio, time};
use super::sweep::{GridArgs, threads};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy, its candles and the parameters to optimise.
    #[command(flatten)]
    grid: GridArgs,
    /// Walk-forward windows (1 to 50).
    #[arg(long, default_value_t = 5)]
    windows: usize,
    /// In-sample parts all start at the first candle and grow (default: rolling).
    #[arg(long)]
    anchored: bool,
    /// The in-sample share of a window, percent (50 to 95).
    #[arg(long, default_value_t = 75.0)]
    in_sample_pct: f64,
    /// What each in-sample part maximises.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Sharpe)]
    objective: ObjectiveArg,
    /// A combination with fewer trades is never chosen.
    #[arg(long, default_value_t = 5)]
    min_trades: usize,
    /// The last part of the candles kept aside, percent (0 to 50).
    #[arg(long, default_value_t = 20.0)]
    holdout_pct: f64,
    /// Print the holdout's result (once looked at, it no longer tells anything new).
    #[arg(long)]
    show_holdout: bool,
    /// Simulations per Monte Carlo check (100 to 10,000).
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// The seed of every random draw.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Blocks of bars for the probability of backtest overfitting (even, 4 to 16).
    #[arg(long, default_value_t = 10)]
    pbo_blocks: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    sim: SimArgs,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ObjectiveArg {
    Sharpe,
    TotalReturn,
    Cagr,
    Sortino,
    Calmar,
    ProfitFactor,
}

impl ObjectiveArg {
    fn objective(self) -> Objective {
        match self {
            ObjectiveArg::Sharpe => Objective::Sharpe,
            ObjectiveArg::TotalReturn => Objective::TotalReturnPct,
            ObjectiveArg::Cagr => Objective::CagrPct,
            ObjectiveArg::Sortino => Objective::Sortino,
            ObjectiveArg::Calmar => Objective::Calmar,
            ObjectiveArg::ProfitFactor => Objective::ProfitFactor,
        }
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let lab = LabSpec {
        walk_forward: WalkForwardSpec {
            windows: args.windows,
            mode: if args.anchored {
                WindowMode::Anchored
            } else {
                WindowMode::Rolling
            },
            in_sample_pct: args.in_sample_pct,
            objective: args.objective.objective(),
            min_trades: args.min_trades,
        },
        holdout_pct: args.holdout_pct,
        monte_carlo_runs: args.runs,
        seed: args.seed,
        pbo_blocks: args.pbo_blocks,
    };
    // the settings first: they cost nothing to check
    lab.check()
        .map_err(|e| anyhow::anyhow!("--{}: {}", e.field.replace('_', "-"), e.message))?;
    let (candles, doc, spec) = args.grid.load()?;
    let config = args.sim.config()?;
    let threads = threads(args.threads);
    let bar = indicatif::ProgressBar::new(100);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}%  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut report = run_lab(
        &doc,
        &candles,
        &spec,
        &lab,
        &config,
        threads,
        &|p, stage| {
            bar.set_position(p as u64);
            bar.set_message(stage.to_owned());
        },
    )?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    if !args.show_holdout
        && let Some(h) = report.holdout.as_mut()
    {
        h.result = None;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    print(&mut out, &doc.name, &report, elapsed.as_secs_f64())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Pass => "PASS",
        Level::Caution => "CAUTION",
        Level::Fail => "FAIL",
        Level::Unknown => "n/a",
    }
}

fn verdict(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    writeln!(
        out,
        "  [{:>7}] {}: {}",
        level(v.level),
        v.check.title(),
        v.headline
    )?;
    writeln!(out, "            method: {}", v.method)?;
    writeln!(out, "            thresholds: {}", v.thresholds)
}

fn print(out: &mut impl Write, name: &str, r: &LabReport, seconds: f64) -> std::io::Result<()> {
    writeln!(
        out,
        "{name}: robustness of {} combinations on {} candles ({} to {}) in {seconds:.2} s",
        r.combinations,
        r.development.bars,
        time(r.development.from_ts),
        time(r.development.to_ts)
    )?;
    writeln!(out, "\n{}: {}", level(r.overall), r.headline)?;
    for v in &r.verdicts {
        verdict(out, v)?;
    }
    if let Some(c) = &r.chosen {
        let values: Vec<String> = r
            .axes
            .iter()
            .zip(&c.values)
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        writeln!(
            out,
            "\nchosen on the development data: {} ({} over {} trades, Sharpe {})",
            values.join(", "),
            pct(c.metrics.total_return_pct),
            c.metrics.trades,
            ratio(c.metrics.sharpe)
        )?;
    }
    if let Some(w) = &r.walk_forward {
        writeln!(
            out,
            "\nwalk-forward: efficiency {}, {} of {} windows profitable out of sample",
            ratio(w.efficiency),
            w.profitable_windows,
            w.windows.len()
        )?;
        writeln!(
            out,
            "  {:>20}  {:>28}  {:>10}  {:>10}  {:>10}",
            "out of sample from", "chosen", "in sample", "out", "efficiency"
        )?;
        for win in &w.windows {
            let chosen = win.chosen.as_ref().map_or_else(
                || "none".to_string(),
                |c| {
                    c.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            writeln!(
                out,
                "  {:>20}  {:>28}  {:>10}  {:>10}  {:>10}",
                time(win.out_of_sample_from),
                chosen,
                opt_pct(win.in_sample.as_ref().map(|m| m.total_return_pct)),
                opt_pct(win.out_of_sample.as_ref().map(|m| m.total_return_pct)),
                ratio(win.efficiency)
            )?;
        }
        if let Some(m) = &w.stitched {
            writeln!(
                out,
                "  stitched out of sample: {} over {} trades, worst drawdown {}",
                pct(m.total_return_pct),
                m.trades,
                pct(m.max_drawdown_pct)
            )?;
        }
    }
    if let Some(h) = &r.holdout {
        write!(
            out,
            "\nholdout: {} candles from {} to {}",
            h.span.bars,
            time(h.span.from_ts),
            time(h.span.to_ts)
        )?;
        match &h.result {
            Some(res) => {
                writeln!(out)?;
                verdict(out, &res.verdict)?;
            }
            None => writeln!(
                out,
                " kept aside{}",
                h.note.as_ref().map_or_else(
                    || "; add --show-holdout to look (each look spends it)".to_string(),
                    |n| format!(": {n}")
                )
            )?,
        }
    }
    writeln!(
        out,
        "\nseed {}, {} Monte Carlo runs per check",
        r.spec.seed, r.spec.monte_carlo_runs
    )?;
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}
