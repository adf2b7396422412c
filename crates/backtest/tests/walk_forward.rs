//! Walk-forward on the bundled daily BTC data: windows trade only out of sample, the chosen
//! parameters come from in-sample bars only, and the stitched curve compounds the windows.

use std::path::PathBuf;

use bb_backtest::sweep::{SweepSpec, with_values};
use bb_backtest::walk_forward::{Objective, WalkForwardSpec, WindowMode, run_window, walk_forward};
use bb_backtest::{BacktestConfig, backtest};
use bb_domain::Candles;
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn btc() -> Candles {
    bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap()
}

fn crossover() -> StrategyDocument {
    let text = std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap();
    StrategyDocument::from_json(&text).unwrap()
}

fn grid() -> SweepSpec {
    SweepSpec {
        axes: vec![
            "fast.period=5..30:5".parse().unwrap(),
            "slow.period=40..120:20".parse().unwrap(),
        ],
        constraints: vec!["fast.period<slow.period".parse().unwrap()],
    }
}

fn config() -> BacktestConfig {
    BacktestConfig {
        equity_points: 0,
        ..BacktestConfig::default()
    }
}

#[test]
fn a_window_from_the_first_bar_is_the_backtest() {
    let candles = btc();
    let doc = crossover();
    let run = run_window(&doc, &candles, 0, candles.len(), &config()).unwrap();
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: Some(candles.len()),
    };
    let plan = compile(&validate(&doc), &options).unwrap();
    let report = backtest(&doc.name, &plan, &candles, &config()).unwrap();
    assert_eq!(run.metrics, report.metrics);
    assert_eq!(run.trades, report.trades);
}

#[test]
fn a_window_trades_only_from_its_start() {
    let candles = btc();
    let start = 1500;
    let run = run_window(&crossover(), &candles, start, candles.len(), &config()).unwrap();
    assert!(!run.trades.is_empty());
    assert!(run.trades.iter().all(|t| t.entry_index >= start));
    // equity starts at the capital on the bar before the window
    assert_eq!(run.ts[0], candles.ts[start - 1]);
    assert_eq!(run.equity[0], 10_000.0);
    let pnl: f64 = run.trades.iter().map(|t| t.pnl).sum();
    let end = *run.equity.last().unwrap();
    assert!((end - (10_000.0 + pnl)).abs() < 1e-6 * end);
}

#[test]
fn walk_forward_stitches_out_of_sample_windows_without_look_ahead() {
    let candles = btc();
    let doc = crossover();
    let wf = WalkForwardSpec {
        windows: 4,
        mode: WindowMode::Rolling,
        in_sample_pct: 75.0,
        objective: Objective::Sharpe,
        min_trades: 3,
    };
    let report = walk_forward(&doc, &candles, &grid(), &wf, &config(), 2, &|_, _| {}).unwrap();
    assert_eq!(report.windows.len(), 4);
    assert_eq!(report.combinations, grid().combination_count());
    // the stitched curve compounds the windows' returns
    let growth: f64 = report
        .windows
        .iter()
        .map(|w| 1.0 + w.out_of_sample.as_ref().map_or(0.0, |m| m.total_return_pct) / 100.0)
        .product();
    let stitched = report.stitched.as_ref().unwrap();
    assert!(
        ((1.0 + stitched.total_return_pct / 100.0) - growth).abs() < 1e-9,
        "{} vs {growth}",
        stitched.total_return_pct
    );
    let trades: usize = report
        .windows
        .iter()
        .map(|w| w.out_of_sample.as_ref().map_or(0, |m| m.trades))
        .sum();
    assert_eq!(stitched.trades, trades);
    for drift in &report.parameter_drift {
        assert_eq!(drift.values.len(), 4);
        assert!(drift.distinct >= 1);
    }

    // Changing every candle from a window's out-of-sample start on never changes what that
    // window chose: the choice saw in-sample bars only.
    for k in 0..4 {
        let w = &report.windows[k];
        let cut = candles
            .ts
            .iter()
            .position(|&t| t == w.out_of_sample_from)
            .unwrap();
        let mut changed = candles.clone();
        for i in cut..changed.len() {
            changed.open[i] *= 1.5;
            changed.high[i] *= 1.5;
            changed.low[i] *= 0.5;
            changed.close[i] *= 0.7;
        }
        let other = walk_forward(&doc, &changed, &grid(), &wf, &config(), 2, &|_, _| {}).unwrap();
        assert_eq!(other.windows[k].chosen, w.chosen, "window {k}");
        assert_eq!(other.windows[k].in_sample, w.in_sample, "window {k}");
    }

    // each window's out-of-sample result is its chosen combination traded over that part
    let w = &report.windows[2];
    let chosen = with_values(&doc, &grid().axes, w.chosen.as_ref().unwrap());
    let start = candles
        .ts
        .iter()
        .position(|&t| t == w.out_of_sample_from)
        .unwrap();
    let end = start + w.out_of_sample_bars;
    let mut cfg = config();
    let before: f64 = report.windows[..2]
        .iter()
        .map(|w| 1.0 + w.out_of_sample.as_ref().map_or(0.0, |m| m.total_return_pct) / 100.0)
        .product();
    cfg.sim.initial_capital = 10_000.0 * before;
    let alone = run_window(&chosen, &candles, start, end, &cfg).unwrap();
    let expected = &alone.metrics;
    let got = w.out_of_sample.as_ref().unwrap();
    assert_eq!(got.trades, expected.trades);
    assert!((got.total_return_pct - expected.total_return_pct).abs() < 1e-9);
}

#[test]
fn anchored_windows_grow_and_a_window_without_candidates_stays_flat() {
    let candles = btc();
    let wf = WalkForwardSpec {
        windows: 3,
        mode: WindowMode::Anchored,
        in_sample_pct: 60.0,
        objective: Objective::TotalReturnPct,
        // more trades than any combination makes: nothing qualifies
        min_trades: 100_000,
    };
    let report = walk_forward(
        &crossover(),
        &candles,
        &grid(),
        &wf,
        &config(),
        1,
        &|_, _| {},
    )
    .unwrap();
    assert!(report.windows.iter().all(|w| w.chosen.is_none()));
    assert!(report.windows.iter().all(|w| w.note.is_some()));
    assert!(
        report
            .windows
            .windows(2)
            .all(|p| p[1].in_sample_bars > p[0].in_sample_bars)
    );
    let stitched = report.stitched.unwrap();
    assert_eq!(stitched.total_return_pct, 0.0);
    assert_eq!(report.efficiency, None);
}
