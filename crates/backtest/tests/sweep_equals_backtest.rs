//! Every combination of a sweep has exactly the metrics of a single backtest of that
//! combination (however the sweep shares work between combinations), on the bundled data.

use std::path::PathBuf;

use bb_backtest::sweep::{ReturnSums, SweepOptions, SweepSpec, sweep_with};
use bb_backtest::{BacktestConfig, backtest};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(strategy: &str, data: &str, axes: &[&str], constraints: &[&str]) {
    let candles = bb_data::read_candles(&root().join("data/demo").join(data)).unwrap();
    let text = std::fs::read_to_string(root().join("strategies").join(strategy)).unwrap();
    let doc = StrategyDocument::from_json(&text).unwrap();
    let spec = SweepSpec {
        axes: axes.iter().map(|a| a.parse().unwrap()).collect(),
        constraints: constraints.iter().map(|c| c.parse().unwrap()).collect(),
    };
    let config = BacktestConfig::default();
    // With return sums the sweep keeps each equity curve; without, it streams the curve
    // into the metrics. Both must give the single backtest's metrics.
    let options = SweepOptions { return_blocks: 5 };
    let result = sweep_with(&doc, &candles, &spec, &config, 2, &options, &|_, _| {}).unwrap();
    assert_eq!(result.rows.len(), spec.combination_count());
    // rows in grid order (the last axis fastest), whatever the order the workers took them
    // in; every axis here goes up, so that is the values' lexicographic order
    assert!(result.rows.windows(2).all(|w| w[0].values < w[1].values));
    let plain = SweepOptions { return_blocks: 0 };
    let streamed = sweep_with(&doc, &candles, &spec, &config, 2, &plain, &|_, _| {}).unwrap();
    assert_eq!(streamed.rows.len(), result.rows.len());
    let compile_options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: Some(candles.len()),
    };
    let unsampled = BacktestConfig {
        equity_points: 0,
        ..config
    };
    let mut traded = 0;
    for (row, streamed) in result.rows.iter().zip(&streamed.rows) {
        assert_eq!(streamed.values, row.values);
        assert!(streamed.returns.is_empty());
        let mut doc = doc.clone();
        for (axis, v) in spec.axes.iter().zip(&row.values) {
            let node = doc.node_mut(&axis.node).unwrap();
            node.params
                .insert(axis.param.clone(), serde_json::json!(*v as i64));
        }
        let plan = compile(&validate(&doc), &compile_options).unwrap();
        let report = backtest("check", &plan, &candles, &unsampled).unwrap();
        for got in [row, streamed] {
            assert_eq!(
                got.metrics.as_ref(),
                Some(&report.metrics),
                "{strategy} on {data}, {:?}",
                row.values
            );
        }
        let equity: Vec<f64> = report.equity.iter().map(|p| p.equity).collect();
        assert_eq!(equity.len(), candles.len());
        assert_eq!(
            row.returns,
            ReturnSums::of_equity(&equity, 5),
            "{:?}",
            row.values
        );
        traded += usize::from(report.metrics.trades > 0);
    }
    assert!(traded > result.rows.len() / 2, "most combinations trade");
}

#[test]
fn sma_grid_on_one_minute_btc() {
    check(
        "sma_crossover.json",
        "btc-perp_1m_2022-01.csv",
        &["fast.period=3..30:3", "slow.period=10..120:10"],
        &["fast.period<slow.period"],
    );
}

#[test]
fn sma_grid_on_daily_btc() {
    check(
        "sma_crossover.json",
        "yahoo_BTC-USD_1d_2014-2022.csv",
        &["fast.period=5..50:5", "slow.period=20..200:20"],
        &["fast.period<slow.period"],
    );
}

#[test]
fn rsi_grid_with_stops_on_one_minute_btc() {
    check(
        "rsi_mean_reversion.json",
        "btc-perp_1m_2022-01.csv",
        &[
            "rsi.period=5..25:5",
            "stop.percent=1..4:1",
            "oversold.value=20..35:5",
        ],
        &[],
    );
}
