//! A paper run replayed over stored candles makes exactly the backtest's trades and equity:
//! the same numbers, bit for bit, not "close". Every starter, on the daily BTC and the
//! one-minute BTC-PERP demo data, with the default next-open fill and with same-close fills,
//! and at several points along the way (a paper run in progress equals the backtest of the
//! candles seen so far, but for what a backtest does at the end of its data).

use std::path::PathBuf;

use bb_backtest::paper::PaperEngine;
use bb_backtest::{BacktestConfig, backtest};
use bb_domain::{Candles, Trade};
use bb_simulator::{FillRule, SimConfig};
use bb_strategy::{CompileOptions, Plan, StrategyDocument, compile, validate};

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

const DATA: &[&str] = &[
    "data/demo/yahoo_BTC-USD_1d_2014-2022.csv",
    "data/demo/btc-perp_1m_2022-01.csv",
];

fn plan(name: &str, candles: &Candles) -> Plan {
    let text =
        std::fs::read_to_string(root().join("strategies").join(format!("{name}.json"))).unwrap();
    let doc = StrategyDocument::from_json(&text).unwrap();
    let options = CompileOptions {
        base_timeframe: candles.timeframe(),
        bar_count: None,
    };
    compile(&validate(&doc), &options).unwrap()
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn trade_bits(t: &Trade) -> String {
    format!(
        "{:?} {} {} {:x} {:x} {:x} {:x} {:x} {:?}",
        t.side,
        t.entry_ts,
        t.exit_ts,
        t.entry_price.to_bits(),
        t.exit_price.to_bits(),
        t.quantity.to_bits(),
        t.pnl.to_bits(),
        t.fees.to_bits(),
        t.exit_reason
    )
}

fn config(fill: FillRule) -> BacktestConfig {
    BacktestConfig {
        sim: SimConfig {
            fill,
            ..SimConfig::default()
        },
        equity_points: 0,
        ..BacktestConfig::default()
    }
}

#[test]
fn a_paper_run_stopped_at_the_end_of_the_data_is_the_backtest() {
    let mut compared = 0;
    for path in DATA {
        let candles = bb_data::read_candles(&root().join(path)).unwrap();
        let tf = candles.timeframe().unwrap();
        for name in STARTERS {
            let plan = plan(name, &candles);
            let config = config(FillRule::NextOpen);
            let report = backtest(name, &plan, &candles, &config).unwrap();
            let mut paper = PaperEngine::new(&plan, tf, &config.sim).unwrap();
            paper.replay(&candles).unwrap();
            let result = paper.stop();
            assert_eq!(
                result.trades.iter().map(trade_bits).collect::<Vec<_>>(),
                report.trades.iter().map(trade_bits).collect::<Vec<_>>(),
                "{name} on {path}: trades"
            );
            let backtest_equity: Vec<f64> = report.equity.iter().map(|p| p.equity).collect();
            assert_eq!(
                bits(&result.equity),
                bits(&backtest_equity),
                "{name} on {path}: equity"
            );
            assert!(!report.trades.is_empty(), "{name} on {path} trades at all");
            compared += report.trades.len();
        }
    }
    assert!(compared > 100, "{compared} trades compared");
}

#[test]
fn a_paper_run_in_progress_is_the_backtest_of_the_candles_seen_so_far() {
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let tf = candles.timeframe().unwrap();
    for fill in [FillRule::NextOpen, FillRule::SameClose] {
        let config = config(fill);
        for name in STARTERS {
            let plan = plan(name, &candles);
            let mut paper = PaperEngine::new(&plan, tf, &config.sim).unwrap();
            let cuts = [300, 777, 1500, 2200, candles.len() - 1];
            let mut fed = 0;
            for &cut in &cuts {
                // The backtest of candles 0..=cut treats bar `cut` as the end of its data (no
                // entry there, what is open closed); bars before it are processed exactly as a
                // paper run that has seen candles 0..cut processes them.
                while fed < cut {
                    paper
                        .push(
                            candles.ts[fed],
                            candles.open[fed],
                            candles.high[fed],
                            candles.low[fed],
                            candles.close[fed],
                            candles.volume[fed],
                        )
                        .unwrap();
                    fed += 1;
                }
                let prefix = candles.slice(0, cut + 1);
                let report = backtest(name, &plan, &prefix, &config).unwrap();
                let last = prefix.ts[cut];
                let closed_before: Vec<String> = report
                    .trades
                    .iter()
                    .filter(|t| t.exit_ts < last)
                    .map(trade_bits)
                    .collect();
                assert_eq!(
                    paper.trades().iter().map(trade_bits).collect::<Vec<_>>(),
                    closed_before,
                    "{name} ({fill:?}) after {cut} candles: trades"
                );
                let equity: Vec<f64> = report.equity[..cut].iter().map(|p| p.equity).collect();
                assert_eq!(
                    bits(paper.equity()),
                    bits(&equity),
                    "{name} ({fill:?}) after {cut} candles: equity"
                );
            }
        }
    }
}

#[test]
fn refused_candles_change_nothing() {
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let plan = plan("sma_crossover", &candles);
    let mut paper =
        PaperEngine::new(&plan, candles.timeframe().unwrap(), &SimConfig::default()).unwrap();
    paper.replay(&candles.slice(0, 100)).unwrap();
    let before = (paper.equity().len(), paper.trades().len());
    // the same candle again, an older one, a non-finite price
    let (t, o, h, l, c, v) = (
        candles.ts[99],
        candles.open[99],
        candles.high[99],
        candles.low[99],
        candles.close[99],
        candles.volume[99],
    );
    assert!(paper.push(t, o, h, l, c, v).is_err());
    assert!(paper.push(candles.ts[50], o, h, l, c, v).is_err());
    assert!(paper.push(candles.ts[100], f64::NAN, h, l, c, v).is_err());
    assert_eq!((paper.equity().len(), paper.trades().len()), before);
    paper
        .push(
            candles.ts[100],
            candles.open[100],
            candles.high[100],
            candles.low[100],
            candles.close[100],
            candles.volume[100],
        )
        .unwrap();
    assert_eq!(paper.equity().len(), 101);
}

/// An engine that forgets old candles (`keep_last`) makes every trade and equity value of
/// one that keeps them all, bit for bit, while holding at most about twice the window (plus
/// what an open position needs) — every starter, both fills, windows short enough to cut
/// through open positions and pending orders.
#[test]
fn an_engine_keeping_a_window_makes_the_same_trades_and_equity() {
    let mut compared = 0;
    for path in DATA {
        let candles = bb_data::read_candles(&root().join(path)).unwrap();
        let tf = candles.timeframe().unwrap();
        for name in STARTERS {
            let plan = plan(name, &candles);
            for fill in [FillRule::NextOpen, FillRule::SameClose] {
                for keep in [1, 7, 50] {
                    let sim = config(fill).sim;
                    let mut all = PaperEngine::new(&plan, tf, &sim).unwrap();
                    let mut window = PaperEngine::new(&plan, tf, &sim).unwrap().keep_last(keep);
                    let mut longest_hold = 0;
                    for i in 0..candles.len() {
                        let b = (
                            candles.ts[i],
                            candles.open[i],
                            candles.high[i],
                            candles.low[i],
                            candles.close[i],
                            candles.volume[i],
                        );
                        let a = all.push(b.0, b.1, b.2, b.3, b.4, b.5).unwrap();
                        let w = window.push(b.0, b.1, b.2, b.3, b.4, b.5).unwrap();
                        assert_eq!(
                            a.equity.to_bits(),
                            w.equity.to_bits(),
                            "{name} {path} bar {i}"
                        );
                        let held = all.position().map_or(0, |p| i - p.entry_index);
                        longest_hold = longest_hold.max(held);
                        assert!(
                            window.candles().len() <= 2 * keep + held + 1,
                            "{} candles kept with a window of {keep}",
                            window.candles().len()
                        );
                        let tail = &all.equity()[all.equity().len() - window.equity().len()..];
                        assert_eq!(bits(tail), bits(window.equity()));
                    }
                    let a: Vec<String> = all.trades().iter().map(trade_bits).collect();
                    let w: Vec<String> = window.trades().iter().map(trade_bits).collect();
                    assert_eq!(a, w, "{name} {path} {fill:?} keep {keep}");
                    let a = all.stop();
                    let w = window.stop();
                    assert_eq!(
                        a.trades.iter().map(trade_bits).collect::<Vec<_>>(),
                        w.trades.iter().map(trade_bits).collect::<Vec<_>>()
                    );
                    assert_eq!(
                        a.equity.last().map(|e| e.to_bits()),
                        w.equity.last().map(|e| e.to_bits())
                    );
                    compared += a.trades.len();
                    assert!(longest_hold < candles.len());
                }
            }
        }
    }
    assert!(compared > 1_000, "{compared} trades compared");
}
