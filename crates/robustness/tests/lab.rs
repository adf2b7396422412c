//! The lab end to end on the bundled daily BTC candles: the holdout is the last part and
//! nothing else sees it, the chosen combination is the development sweep's best, the Monte
//! Carlo checks start from that combination's own backtest, and a seed repeats everything.

use std::path::PathBuf;

use bb_backtest::BacktestConfig;
use bb_backtest::sweep::{SweepSpec, sweep};
use bb_backtest::walk_forward::{Objective, WalkForwardSpec};
use bb_domain::Candles;
use bb_robustness::lab::{LabSpec, run_lab};
use bb_robustness::verdict::Check;
use bb_strategy::StrategyDocument;

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
            "fast.period=5..20:5".parse().unwrap(),
            "slow.period=30..90:20".parse().unwrap(),
        ],
        constraints: vec!["fast.period<slow.period".parse().unwrap()],
    }
}

fn lab(seed: u64, min_trades: usize) -> LabSpec {
    LabSpec {
        walk_forward: WalkForwardSpec {
            windows: 3,
            objective: Objective::Sharpe,
            min_trades,
            ..WalkForwardSpec::default()
        },
        holdout_pct: 20.0,
        monte_carlo_runs: 300,
        seed,
        pbo_blocks: 8,
    }
}

#[test]
fn the_lab_chooses_on_development_data_and_keeps_the_holdout_apart() {
    let candles = btc();
    let config = BacktestConfig::default();
    let report = run_lab(
        &crossover(),
        &candles,
        &grid(),
        &lab(3, 2),
        &config,
        2,
        &|_, _| {},
    )
    .unwrap();
    let n = candles.len();
    let held = n * 20 / 100;
    assert_eq!(report.development.bars, n - held);
    let holdout = report.holdout.as_ref().unwrap();
    assert_eq!(holdout.span.bars, held);
    assert_eq!(holdout.span.from_ts, candles.ts[n - held]);
    assert_eq!(holdout.span.to_ts, candles.ts[n - 1]);
    assert!(holdout.result.is_some());

    // the chosen combination is the best Sharpe of a sweep on the development data alone
    let dev = candles.prefix(n - held);
    let result = sweep(&crossover(), &dev, &grid(), &config, 2, &|_, _| {}).unwrap();
    let best = result
        .rows
        .iter()
        .filter(|r| r.metrics.as_ref().is_some_and(|m| m.trades >= 2))
        .max_by(|a, b| {
            let s = |r: &bb_backtest::sweep::SweepRow| r.metrics.as_ref().unwrap().sharpe.unwrap();
            s(a).total_cmp(&s(b))
        })
        .unwrap();
    let chosen = report.chosen.as_ref().unwrap();
    assert_eq!(chosen.values, best.values);
    assert_eq!(Some(&chosen.metrics), best.metrics.as_ref());
    assert_eq!(report.combinations, result.rows.len());

    // the Monte Carlo checks start from that backtest
    let shuffle = report.trade_shuffle.as_ref().unwrap();
    let final_equity = 10_000.0 * (1.0 + chosen.metrics.total_return_pct / 100.0);
    assert!((shuffle.original_final_equity - final_equity).abs() < 1e-6 * final_equity);
    assert_eq!(shuffle.samples, chosen.metrics.trades);
    assert_eq!(
        shuffle.final_equity.min, shuffle.final_equity.max,
        "order-free"
    );
    let random = report.random_entry.as_ref().unwrap();
    assert_eq!(random.trades, chosen.metrics.trades);
    let dsr = report.deflated_sharpe.as_ref().unwrap();
    assert_eq!(dsr.trials, result.rows.len());
    let pbo = report.pbo.as_ref().unwrap();
    assert_eq!(
        (pbo.blocks, pbo.configurations, pbo.splits),
        (8, result.rows.len(), 70)
    );

    // one verdict per check, worst first, each with its method and thresholds
    let checks: Vec<Check> = report.verdicts.iter().map(|v| v.check).collect();
    for check in [
        Check::WalkForward,
        Check::Pbo,
        Check::DeflatedSharpe,
        Check::Stability,
        Check::RandomEntry,
        Check::TradeShuffle,
        Check::Bootstrap,
        Check::BarBootstrap,
    ] {
        assert_eq!(
            checks.iter().filter(|c| **c == check).count(),
            1,
            "{check:?}"
        );
    }
    assert!(
        !checks.contains(&Check::Holdout),
        "the holdout's verdict stays with it"
    );
    assert!(
        report
            .verdicts
            .iter()
            .all(|v| !v.method.is_empty() && !v.thresholds.is_empty())
    );
    assert!(
        report.headline.contains("checks passed"),
        "{}",
        report.headline
    );

    // the same seed repeats everything; another one draws other histories
    let again = run_lab(
        &crossover(),
        &candles,
        &grid(),
        &lab(3, 2),
        &config,
        1,
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(again, report, "threads do not change the numbers");
    let other = run_lab(
        &crossover(),
        &candles,
        &grid(),
        &lab(4, 2),
        &config,
        2,
        &|_, _| {},
    )
    .unwrap();
    assert_ne!(other.trade_bootstrap, report.trade_bootstrap);
    assert_eq!(other.walk_forward, report.walk_forward);
}

#[test]
fn without_a_qualifying_combination_the_lab_says_what_it_could_not_check() {
    let report = run_lab(
        &crossover(),
        &btc(),
        &grid(),
        &lab(1, 100_000),
        &BacktestConfig::default(),
        1,
        &|_, _| {},
    )
    .unwrap();
    assert!(report.chosen.is_none());
    assert!(report.trade_shuffle.is_none() && report.deflated_sharpe.is_none());
    assert!(
        report.notes.iter().any(|n| n.contains("100000 trades")),
        "{:?}",
        report.notes
    );
    let holdout = report.holdout.unwrap();
    assert!(holdout.result.is_none() && holdout.note.is_some());
    // the sweep's own statistics still run
    assert!(report.pbo.is_some());
}

#[test]
fn settings_out_of_range_name_their_field() {
    let mut spec = lab(1, 2);
    spec.pbo_blocks = 5;
    let err = run_lab(
        &crossover(),
        &btc(),
        &grid(),
        &spec,
        &BacktestConfig::default(),
        1,
        &|_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("pbo_blocks:"), "{err}");
    let mut spec = lab(1, 2);
    spec.holdout_pct = 60.0;
    let err = run_lab(
        &crossover(),
        &btc(),
        &grid(),
        &spec,
        &BacktestConfig::default(),
        1,
        &|_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("holdout_pct:"), "{err}");
}

#[test]
fn a_lab_bigger_than_one_job_may_run_is_refused_before_it_starts() {
    use bb_robustness::lab::{MAX_WORK, check_work};
    assert!(check_work(1_590, 100_000, 10).is_ok());
    // 10,000 combinations on 1,000,000 candles with 5 windows: 60 billion
    let err = check_work(10_000, 1_000_000, 5).unwrap_err();
    assert_eq!(err.field, "params");
    assert!(err.message.contains("60 billion"), "{}", err.message);
    assert!(
        check_work(usize::MAX, usize::MAX, 50).is_err(),
        "no overflow"
    );
    let exact = (MAX_WORK / 2) as usize;
    assert!(check_work(exact, 1, 1).is_ok());
    assert!(check_work(exact + 1, 1, 1).is_err());
}

#[test]
fn random_entries_take_trades_a_stop_closes_within_their_entry_bar() {
    // An ATR trailing stop on one-minute candles: some trades are stopped out on the bar
    // they entered, and the random-entry check must still run on them.
    let candles = bb_data::read_candles(&root().join("data/demo/btc-perp_1m_2022-01.csv")).unwrap();
    let text =
        std::fs::read_to_string(root().join("strategies/macd_trend_atr_trailing.json")).unwrap();
    let doc = StrategyDocument::from_json(&text).unwrap();
    let spec = SweepSpec {
        axes: vec!["trail.atr_multiple=0.5,1".parse().unwrap()],
        constraints: vec![],
    };
    let config = BacktestConfig::default();
    let report = run_lab(&doc, &candles, &spec, &lab(3, 2), &config, 2, &|_, _| {}).unwrap();
    let chosen = report.chosen.as_ref().expect("a chosen combination");
    let random = report.random_entry.as_ref().unwrap_or_else(|| {
        panic!("no random-entry check: {:?}", report.notes);
    });
    assert_eq!(random.trades, chosen.metrics.trades);
    assert!(
        report.notes.iter().all(|n| !n.contains("Random entries")),
        "{:?}",
        report.notes
    );
}
