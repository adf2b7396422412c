//! Golden reports: each starter strategy on the bundled daily BTC data. A change to any
//! number a user sees (a trade, a metric, an assumption, a warning) shows up here.

use std::path::PathBuf;

use bb_backtest::{BacktestConfig, backtest};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const STARTERS: &[&str] = &[
    "sma_crossover",
    "rsi_mean_reversion",
    "bollinger_breakout",
    "macd_trend_atr_trailing",
    "donchian_turtle",
];

#[test]
fn starter_reports_on_daily_btc_match_their_golden_files() {
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    // 60 chart points keep the golden files readable; the full curve is tested elsewhere.
    let config = BacktestConfig {
        equity_points: 60,
        ..BacktestConfig::default()
    };
    for name in STARTERS {
        let text = std::fs::read_to_string(root().join("strategies").join(format!("{name}.json")))
            .unwrap();
        let doc = StrategyDocument::from_json(&text).unwrap();
        let options = CompileOptions {
            base_timeframe: candles.timeframe(),
            bar_count: Some(candles.len()),
        };
        let plan = compile(&validate(&doc), &options).unwrap();
        let report = backtest(&doc.name, &plan, &candles, &config).unwrap();
        // Internal consistency before the golden comparison.
        let pnl: f64 = report.trades.iter().map(|t| t.pnl).sum();
        let end = report.equity.last().unwrap().equity;
        assert!(
            (end - (10_000.0 + pnl)).abs() < 1e-6 * end.abs().max(1.0),
            "{name}: equity {end} vs capital + pnl {}",
            10_000.0 + pnl
        );
        assert_eq!(report.metrics.trades, report.trades.len());
        insta::assert_json_snapshot!(format!("report_{name}"), report);
    }
}

#[test]
fn full_equity_has_every_bar_and_reports_carry_the_fill_rule() {
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let text = std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap();
    let plan = bb_strategy::load(&text, &CompileOptions::default()).unwrap();
    let full = BacktestConfig {
        equity_points: 0,
        ..BacktestConfig::default()
    };
    let report = backtest("x", &plan, &candles, &full).unwrap();
    assert_eq!(report.equity.len(), candles.len());
    assert_eq!(
        report.assumptions.fill_rule,
        bb_simulator::FillRule::NextOpen
    );
    let same_close = BacktestConfig {
        sim: bb_simulator::SimConfig {
            fill: bb_simulator::FillRule::SameClose,
            ..Default::default()
        },
        ..full
    };
    let other = backtest("x", &plan, &candles, &same_close).unwrap();
    assert!(other.assumptions.fill_rule_text.contains("same close"));
    // Filling at the signal close instead of the next open changes the fills.
    assert_ne!(report.trades[0].entry_price, other.trades[0].entry_price);
    assert_eq!(
        other.trades[0].entry_ts,
        candles.ts[other.trades[0].entry_index]
    );
}

#[test]
fn never_entering_is_reported_as_a_warning_not_an_error() {
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let text = std::fs::read_to_string(root().join("strategies/rsi_mean_reversion.json")).unwrap();
    let mut doc = StrategyDocument::from_json(&text).unwrap();
    // An oversold level of 1 is never crossed on daily BTC.
    doc.node_mut("oversold")
        .unwrap()
        .params
        .insert("value".into(), serde_json::json!(1));
    let plan = compile(&validate(&doc), &CompileOptions::default()).unwrap();
    let report = backtest("x", &plan, &candles, &BacktestConfig::default()).unwrap();
    assert!(report.trades.is_empty());
    assert_eq!(
        report.warnings[0].code,
        bb_backtest::WarningCode::NeverEntered
    );
    assert_eq!(report.metrics.total_return_pct, 0.0);
}

#[test]
fn data_gaps_are_stated_and_warned_about() {
    // ETH/BTC 5-minute candles from ccxt have real gaps.
    let candles =
        bb_data::read_candles(&root().join("data/demo/ccxt_ADA_BTC-5m_2018-01.json")).unwrap();
    let text = std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap();
    let plan = bb_strategy::load(&text, &CompileOptions::default()).unwrap();
    let report = backtest("x", &plan, &candles, &BacktestConfig::default()).unwrap();
    let data = &report.assumptions.data;
    assert!(data.gap_count > 0);
    assert_eq!(data.timeframe, "5m");
    let first = data.gaps[0];
    assert_eq!(
        (first.first_after_ts - first.last_before_ts) / 300_000 - 1,
        first.missing_bars
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.code == bb_backtest::WarningCode::DataGaps)
    );
}
