//! Paper runs ticking through the durable schedules and job queue, on a test clock, on
//! SQLite AND on PostgreSQL: a replay of stored daily BTC candles, one a tick. What the
//! ledger records is exactly the backtest of the candles seen so far; each candle is
//! processed once even when two workers (with separate engine caches) tick the same run;
//! pause holds, resume carries on, stop closes the position at the last price and says so.

#[macro_use]
#[path = "../../store/tests/harness/mod.rs"]
mod harness;

use std::path::PathBuf;
use std::time::Duration;

use bb_backtest::{BacktestConfig, Settings, backtest};
use bb_domain::Candles;
use bb_jobs::{Clock, Handlers, Worker, WorkerConfig};
use bb_store::{
    Db, NewDataset, NewPaperRun, NewStrategy, NewUser, NewVersion, PlanTier, Role, Visibility,
    now_ms,
};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};
use serde_json::json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Setup {
    user: String,
    strategy: String,
    dataset: String,
    candles: Candles,
    doc: StrategyDocument,
}

async fn setup(db: &Db) -> Setup {
    let user = db
        .users()
        .create(NewUser {
            email: "paper@example.com".into(),
            password_hash: Some("hash".into()),
            display_name: "paper".into(),
            role: Role::Builder,
            plan: PlanTier::Premium,
            external_subject: None,
        })
        .await
        .unwrap();
    let text = std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap();
    let doc = StrategyDocument::from_json(&text).unwrap();
    let graph: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (strategy, _) = db
        .strategies()
        .create(
            NewStrategy {
                owner_id: user.id.clone(),
                title: "SMA crossover".into(),
                description: String::new(),
                tags: vec![],
                visibility: Visibility::Private,
            },
            Some(NewVersion {
                author_id: user.id.clone(),
                graph,
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            }),
        )
        .await
        .unwrap();
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let dataset = db
        .candles()
        .create_dataset(NewDataset {
            source: "demo".into(),
            symbol: "BTC-USD".into(),
            timeframe: candles.timeframe().unwrap(),
            provenance: "test".into(),
        })
        .await
        .unwrap();
    db.candles()
        .import(&dataset.id, &candles, "demo")
        .await
        .unwrap();
    Setup {
        user: user.id,
        strategy: strategy.id,
        dataset: dataset.id,
        candles,
        doc,
    }
}

/// A replay of the daily BTC candles from `start_ts`, a tick every `every_ms`, due at `at`.
fn replay(s: &Setup, dataset: &str, start_ts: i64, every_ms: i64, at: i64) -> NewPaperRun {
    NewPaperRun {
        user_id: s.user.clone(),
        strategy_id: s.strategy.clone(),
        version: 1,
        dataset_id: dataset.to_owned(),
        symbol: "BTC-USD".into(),
        timeframe: "1d".into(),
        settings: serde_json::to_value(Settings::DEFAULT).unwrap(),
        mode: "replay".into(),
        start_ts,
        alert_config: json!({}),
        tick_every_ms: every_ms,
        first_tick_at: at,
        basket: None,
    }
}

fn worker(db: &Db, name: &str, clock: Clock) -> Worker {
    Worker::new(
        db.clone(),
        WorkerConfig {
            concurrency: 1,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(1),
            name: name.to_owned(),
            clock,
            handlers: Handlers::default(),
            ..WorkerConfig::default()
        },
    )
}

conformance!(
    /// Forty replayed candles: the ledger's trades and equity are the backtest's.
    async fn a_replayed_paper_run_records_exactly_the_backtest(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000); // 2021-01-01
        let (clock, time) = Clock::test(now_ms());
        let settings = Settings::DEFAULT;
        let run = db
            .paper_runs()
            .create(
                replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms()),
                5,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.status, "scheduled");
        let a = worker(&db, "a", clock.clone());
        let b = worker(&db, "b", clock);
        let ticks = 120;
        for i in 0..ticks {
            a.housekeep_once().await;
            // Two workers (each with its own engine cache on the first tick) take turns.
            let w = if i % 7 == 3 { &b } else { &a };
            w.claim_and_run_one().await.unwrap().expect("a tick job");
            time.advance(Duration::from_secs(1));
        }
        let run = db.paper_runs().get(&run.id).await.unwrap();
        assert_eq!(run.status, "active");
        assert_eq!(run.candles, ticks);
        assert_eq!(run.last_candle_ts, Some(s.candles.ts[start + ticks as usize - 1]));

        // The backtest of the candles seen so far, with the run's warm-up before them.
        let warmup_from = 0;
        let seen = s.candles.slice(warmup_from, start + ticks as usize + 1);
        let plan = compile(
            &validate(&s.doc),
            &CompileOptions { base_timeframe: seen.timeframe(), bar_count: None },
        )
        .unwrap();
        let mut paper = bb_backtest::paper::PaperEngine::new(&plan, seen.timeframe().unwrap(), &settings.sim()).unwrap();
        let warm_from = start.saturating_sub(plan.warmup_bars + 1);
        paper.warm(&s.candles.slice(warm_from, start)).unwrap();
        paper.replay(&s.candles.slice(start, start + ticks as usize)).unwrap();
        let events = db.paper_runs().events(&run.id, 0, 10_000).await.unwrap();
        let trades: Vec<(i64, i64, u64)> = events
            .iter()
            .filter(|e| e.kind == "trade")
            .map(|e| {
                (
                    e.payload["entry_ts"].as_i64().unwrap(),
                    e.payload["exit_ts"].as_i64().unwrap(),
                    e.payload["pnl"].as_f64().unwrap().to_bits(),
                )
            })
            .collect();
        let expected: Vec<(i64, i64, u64)> = paper
            .trades()
            .iter()
            .map(|t| (t.entry_ts, t.exit_ts, t.pnl.to_bits()))
            .collect();
        assert!(!expected.is_empty(), "the window has trades");
        assert_eq!(trades, expected);
        let equity: Vec<u64> = db
            .paper_runs()
            .equity(&run.id, 10_000)
            .await
            .unwrap()
            .iter()
            .map(|(_, e)| e.to_bits())
            .collect();
        assert_eq!(equity, paper.equity().iter().map(|e| e.to_bits()).collect::<Vec<_>>());
        // Exactly once: one tick entry per candle.
        let tick_count = events.iter().filter(|e| e.kind == "tick").count();
        assert_eq!(tick_count as i64, ticks);
        // The same replay as a backtest agrees too (with the warm-up's candles in front).
        let report = backtest("x", &plan, &s.candles.slice(warm_from, start + ticks as usize + 1), &BacktestConfig::default()).unwrap();
        let closed_in_window: Vec<i64> = report
            .trades
            .iter()
            .filter(|t| t.entry_ts >= s.candles.ts[start] && t.exit_ts < s.candles.ts[start + ticks as usize])
            .map(|t| t.entry_ts)
            .collect();
        assert_eq!(
            closed_in_window,
            trades.iter().map(|t| t.0).collect::<Vec<_>>(),
            "the trades entered and closed within the window are the backtest's"
        );
        let _ = warmup_from;
    }
);

conformance!(
    /// Pause holds the run, resume carries on, stop closes the position at the last price.
    async fn pause_resume_and_stop(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000);
        let (clock, time) = Clock::test(now_ms());
        let run = db
            .paper_runs()
            .create(
                replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms()),
                1,
            )
            .await
            .unwrap()
            .unwrap();
        // The plan allows one open run.
        let second = db
            .paper_runs()
            .create(
                replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms()),
                1,
            )
            .await
            .unwrap();
        assert_eq!(second.unwrap_err().limit, 1);
        let w = worker(&db, "w", clock);
        let step = async |n: usize| {
            for _ in 0..n {
                w.housekeep_once().await;
                w.claim_and_run_one().await.unwrap();
                time.advance(Duration::from_secs(1));
            }
        };
        step(30).await;
        let paused = db
            .paper_runs()
            .set_status(&run.id, &["scheduled", "active"], "paused", "Paused.", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(paused.status, "paused");
        step(5).await;
        assert_eq!(db.paper_runs().get(&run.id).await.unwrap().candles, 30, "paused: no ticks");
        db.paper_runs()
            .set_status(&run.id, &["paused"], "active", "Resumed.", None)
            .await
            .unwrap()
            .unwrap();
        step(40).await;
        let before = db.paper_runs().get(&run.id).await.unwrap();
        assert_eq!(before.candles, 70);
        let stopped = bb_jobs::paper::stop(&db, &before, "Stopped by the user.")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stopped.status, "stopped");
        let note = stopped.stop_note.unwrap();
        assert!(note.starts_with("Stopped by the user."), "{note}");
        let events = db.paper_runs().events(&run.id, 0, 1_000).await.unwrap();
        let last_status = events.iter().rev().find(|e| e.kind == "status").unwrap();
        assert_eq!(last_status.payload["status"], "stopped");
        if before.snapshot.as_ref().unwrap()["position"].is_object() {
            assert!(note.contains("closed at the last price"), "{note}");
            let closing = events.iter().rev().find(|e| e.kind == "trade").unwrap();
            assert_eq!(closing.payload["reason"], "end_of_data");
        }
        // Stopped: no more ticks, and stopping again does nothing.
        step(3).await;
        assert_eq!(db.paper_runs().get(&run.id).await.unwrap().candles, 70);
        let again = db.paper_runs().get(&run.id).await.unwrap();
        assert!(bb_jobs::paper::stop(&db, &again, "again").await.unwrap().is_none());
        // One open run allowed, and this one is stopped: another may start.
        let third = db
            .paper_runs()
            .create(
                replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms()),
                1,
            )
            .await
            .unwrap();
        assert!(third.is_ok());
    }
);

conformance!(
    /// Two ticks of one run racing on two workers (two jobs for the same candle, say after a
    /// lease ran out): the candle is recorded once, and the run's state is the single
    /// tick's.
    async fn racing_ticks_record_each_candle_once(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000);
        let (clock, time) = Clock::test(now_ms());
        let run = db
            .paper_runs()
            .create(
                replay(&s, &s.dataset, s.candles.ts[start], 3_600_000, time.now_ms() + 3_600_000),
                5,
            )
            .await
            .unwrap()
            .unwrap();
        let a = worker(&db, "a", clock.clone());
        let b = worker(&db, "b", clock);
        for round in 0..25 {
            for _ in 0..2 {
                db.jobs()
                    .enqueue(bb_store::NewJob {
                        run_at: Some(time.now_ms()),
                        ..bb_store::NewJob::new(bb_store::PAPER_TICK, json!({ "run_id": run.id }))
                    })
                    .await
                    .unwrap();
            }
            let (x, y) = tokio::join!(a.claim_and_run_one(), b.claim_and_run_one());
            assert!(x.unwrap().is_some() && y.unwrap().is_some(), "round {round}: both ran");
        }
        let run = db.paper_runs().get(&run.id).await.unwrap();
        let events = db.paper_runs().events(&run.id, 0, 10_000).await.unwrap();
        let mut ticks: Vec<i64> = events
            .iter()
            .filter(|e| e.kind == "tick")
            .map(|e| e.candle_ts.unwrap())
            .collect();
        let n = ticks.len();
        ticks.dedup();
        assert_eq!(ticks.len(), n, "no candle twice");
        assert_eq!(n as i64, run.candles, "the run counts what the ledger holds");
        assert!(n >= 25, "at least one candle a round: {n}");
        assert_eq!(ticks, s.candles.ts[start..start + n].to_vec(), "in order, none skipped");
    }
);

conformance!(
    /// The drift report: none on untouched data; a candle missing when the run passed it and
    /// stored later is named, with the trades it changed; so are a pause and a newer version.
    async fn the_drift_report_names_what_changed(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000);
        // A second dataset with one candle missing in the replay window.
        let gap_at = start + 20;
        let gappy = db
            .candles()
            .create_dataset(NewDataset {
                source: "file".into(),
                symbol: "BTC-GAP".into(),
                timeframe: s.candles.timeframe().unwrap(),
                provenance: "test".into(),
            })
            .await
            .unwrap();
        let before = s.candles.slice(0, gap_at);
        let after = s.candles.slice(gap_at + 1, s.candles.len());
        db.candles().import(&gappy.id, &before, "file").await.unwrap();
        db.candles().import(&gappy.id, &after, "file").await.unwrap();
        let (clock, time) = Clock::test(now_ms());
        let new_run = |dataset: &str| replay(&s, dataset, s.candles.ts[start], 1_000, time.now_ms());
        let clean = db.paper_runs().create(new_run(&s.dataset), 5).await.unwrap().unwrap();
        let gap = db.paper_runs().create(new_run(&gappy.id), 5).await.unwrap().unwrap();
        let w = worker(&db, "w", clock);
        for i in 0..200 {
            if i == 50 {
                db.paper_runs()
                    .set_status(&clean.id, &["active"], "paused", "Paused.", None)
                    .await
                    .unwrap();
            }
            if i == 52 {
                db.paper_runs()
                    .set_status(&clean.id, &["paused"], "active", "Resumed.", None)
                    .await
                    .unwrap();
            }
            w.housekeep_once().await;
            while w.claim_and_run_one().await.unwrap().is_some() {}
            time.advance(Duration::from_secs(1));
        }
        let clean = db.paper_runs().get(&clean.id).await.unwrap();
        let report = bb_jobs::drift::drift(&db, &clean).await.unwrap();
        assert!(report.differences.is_empty(), "{report:#?}");
        assert!(report.matched > 0, "{report:#?}");
        assert_eq!(report.candles_processed, report.candles_stored_now);
        assert!(report.causes.iter().any(|c| c.kind == "pause"), "{report:#?}");
        assert!(report.verdict.starts_with("The run made exactly the backtest's"), "{}", report.verdict);

        // The missing candle arrives after the run passed it.
        db.candles()
            .import(&gappy.id, &s.candles.slice(gap_at, gap_at + 1), "file")
            .await
            .unwrap();
        let gap = db.paper_runs().get(&gap.id).await.unwrap();
        let report = bb_jobs::drift::drift(&db, &gap).await.unwrap();
        let filled: Vec<_> = report.causes.iter().filter(|c| c.kind == "gap_filled_later").collect();
        assert_eq!(filled.len(), 1, "{report:#?}");
        assert_eq!(filled[0].candle_ts, Some(s.candles.ts[gap_at]));
        assert_eq!(report.candles_stored_now, report.candles_processed + 1);
        for d in &report.differences {
            assert!(!d.causes.is_empty(), "every difference has its cause: {d:#?}");
        }
        // A newer version is named.
        db.strategies()
            .add_version(
                &s.strategy,
                NewVersion {
                    author_id: s.user.clone(),
                    graph: serde_json::from_str(&std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap()).unwrap(),
                    notes: String::new(),
                    valid: true,
                    diagnostics: json!([]),
                },
            )
            .await
            .unwrap();
        let report = bb_jobs::drift::drift(&db, &gap).await.unwrap();
        assert!(report.causes.iter().any(|c| c.kind == "changed_version"), "{report:#?}");
    }
);

conformance!(
    /// A run whose strategy cannot run any more stops at its next tick, saying why, instead
    /// of staying active without ticking.
    async fn a_run_that_cannot_go_on_stops_and_says_why(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000);
        // A version whose graph no engine can read (as if saved by an older product).
        let (broken, _) = db
            .strategies()
            .create(
                NewStrategy {
                    owner_id: s.user.clone(),
                    title: "Broken".into(),
                    description: String::new(),
                    tags: vec![],
                    visibility: Visibility::Private,
                },
                Some(NewVersion {
                    author_id: s.user.clone(),
                    graph: json!({ "nodes": "not a list" }),
                    notes: String::new(),
                    valid: true,
                    diagnostics: json!([]),
                }),
            )
            .await
            .unwrap();
        let (clock, time) = Clock::test(now_ms());
        let mut new = replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms());
        new.strategy_id = broken.id.clone();
        let run = db.paper_runs().create(new, 5).await.unwrap().unwrap();
        let w = worker(&db, "w", clock);
        w.housekeep_once().await;
        w.claim_and_run_one().await.unwrap().expect("a tick job");
        let run = db.paper_runs().get(&run.id).await.unwrap();
        assert_eq!(run.status, "stopped");
        let note = run.stop_note.unwrap();
        assert!(note.starts_with("The run cannot go on: version 1 cannot be read"), "{note}");
        // Its schedule is off: no more ticks.
        time.advance(Duration::from_secs(5));
        w.housekeep_once().await;
        assert!(w.claim_and_run_one().await.unwrap().is_none());
    }
);

conformance!(
    /// The run's metrics, from its ledger, are the backtest's metrics (`bb_metrics::compute`
    /// on the simulator's own trades, equity and time in the market) of the same candles.
    async fn the_runs_metrics_are_the_backtests(db) {
        let s = setup(&db).await;
        let start = s.candles.ts.partition_point(|&t| t < 1_609_459_200_000);
        let settings = Settings::DEFAULT;
        let plan = compile(
            &validate(&s.doc),
            &CompileOptions { base_timeframe: s.candles.timeframe(), bar_count: None },
        )
        .unwrap();
        let tf = s.candles.timeframe().unwrap();
        let warm = s.candles.slice(start.saturating_sub(plan.warmup_bars + 1), start);
        // The first length from 150 candles on at which the run is flat with trades behind it.
        let mut engine = bb_backtest::paper::PaperEngine::new(&plan, tf, &settings.sim()).unwrap();
        engine.warm(&warm).unwrap();
        let mut n = 0;
        while n < 150 || engine.position().is_some() || engine.trades().len() < 2 {
            let i = start + n;
            engine
                .push(s.candles.ts[i], s.candles.open[i], s.candles.high[i], s.candles.low[i], s.candles.close[i], s.candles.volume[i])
                .unwrap();
            n += 1;
        }
        let window = s.candles.slice(start, start + n);
        let result = engine.stop();
        let expected = bb_metrics::compute(&bb_metrics::MetricsInput {
            ts: &window.ts,
            equity: &result.equity,
            close: &window.close,
            trades: &result.trades,
            initial_capital: settings.initial_capital,
            timeframe: tf,
            bars_in_market: result.bars_in_market,
            risk_free_rate: 0.0,
        });

        let (clock, time) = Clock::test(now_ms());
        let run = db
            .paper_runs()
            .create(replay(&s, &s.dataset, s.candles.ts[start], 1_000, time.now_ms()), 5)
            .await
            .unwrap()
            .unwrap();
        let w = worker(&db, "w", clock);
        for _ in 0..n {
            w.housekeep_once().await;
            w.claim_and_run_one().await.unwrap().expect("a tick job");
            time.advance(Duration::from_secs(1));
        }
        let run = db.paper_runs().get(&run.id).await.unwrap();
        assert_eq!(run.candles, n as i64);
        let got = bb_jobs::paper_metrics::metrics(&db, &run).await.unwrap();
        assert!(!got.position_open);
        assert_eq!(got.candles, n);
        assert_eq!(
            serde_json::to_value(&got.metrics).unwrap(),
            serde_json::to_value(&expected).unwrap()
        );
        assert!(expected.trades >= 2 && expected.exposure_pct > 0.0, "{expected:?}");
    }
);
