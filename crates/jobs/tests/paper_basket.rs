//! Basket paper runs through the durable schedules and job queue, on a test clock, on SQLite
//! AND on PostgreSQL: ETH, LTC and XLM five-minute candles (the repo's ccxt copies) replayed
//! from one cash balance, one time a tick. The ledger's trades, market by market, and its
//! equity are exactly those of the basket engine over the same candles; the drift report
//! finds nothing; stop closes every open position at its market's last price and says so.

#[macro_use]
#[path = "../../store/tests/harness/mod.rs"]
mod harness;

use std::path::PathBuf;
use std::time::Duration;

use bb_backtest::Settings;
use bb_backtest::paper::PaperBasket as Engine;
use bb_domain::{Candles, Timeframe};
use bb_jobs::paper_types::TradeEntry;
use bb_jobs::{Clock, Handlers, Worker, WorkerConfig};
use bb_store::{
    NewDataset, NewPaperRun, NewStrategy, NewUser, NewVersion, PaperBasket, PaperMember, PlanTier,
    Role, Visibility, now_ms,
};
use bb_strategy::{CompileOptions, StrategyDocument, compile, validate};
use serde_json::json;

const PAIRS: [&str; 3] = ["ETH", "LTC", "XLM"];
const CAP: f64 = 40.0;
/// Times replayed.
const TICKS: usize = 400;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pair(name: &str) -> Candles {
    let path = root().join(format!("data/demo/ccxt_{name}_BTC-5m_2018-01.json.gz"));
    bb_data::read_candles(&path).unwrap()
}

fn worker(db: &bb_store::Db, clock: Clock) -> Worker {
    Worker::new(
        db.clone(),
        WorkerConfig {
            concurrency: 1,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(1),
            name: "w".into(),
            clock,
            handlers: Handlers::default(),
            ..WorkerConfig::default()
        },
    )
}

conformance!(
    /// Four hundred replayed times of a three-market basket: the ledger is the engine's.
    async fn a_replayed_basket_records_exactly_the_basket_engine(db) {
        let user = db
            .users()
            .create(NewUser {
                email: "basket@example.com".into(),
                password_hash: Some("hash".into()),
                display_name: "basket".into(),
                role: Role::Builder,
                plan: PlanTier::Premium,
                external_subject: None,
            })
            .await
            .unwrap();
        let text = std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap();
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
                    graph: serde_json::from_str(&text).unwrap(),
                    notes: String::new(),
                    valid: true,
                    diagnostics: json!([]),
                }),
            )
            .await
            .unwrap();
        let tf: Timeframe = "5m".parse().unwrap();
        let mut members = Vec::new();
        let mut all = Vec::new();
        for name in PAIRS {
            let candles = pair(name);
            let d = db
                .candles()
                .create_dataset(NewDataset {
                    source: "file".into(),
                    symbol: format!("{name}-BTC"),
                    timeframe: tf,
                    provenance: "test".into(),
                })
                .await
                .unwrap();
            db.candles().import(&d.id, &candles, "file").await.unwrap();
            members.push(PaperMember { symbol: d.symbol.clone(), dataset_id: d.id.clone() });
            all.push(candles);
        }
        let start_ts = all[0].ts[2_000];
        let (clock, time) = Clock::test(now_ms());
        let run = db
            .paper_runs()
            .create(
                NewPaperRun {
                    user_id: user.id.clone(),
                    strategy_id: strategy.id.clone(),
                    version: 1,
                    dataset_id: members[0].dataset_id.clone(),
                    symbol: "ETH-BTC + LTC-BTC + XLM-BTC".into(),
                    timeframe: "5m".into(),
                    settings: serde_json::to_value(Settings::DEFAULT).unwrap(),
                    mode: "replay".into(),
                    start_ts,
                    alert_config: json!({ "max_exposure_pct": 30.0 }),
                    tick_every_ms: 1_000,
                    first_tick_at: time.now_ms(),
                    basket: Some(PaperBasket { max_allocation_pct: CAP, members: members.clone() }),
                },
                5,
            )
            .await
            .unwrap()
            .unwrap();
        let w = worker(&db, clock);
        for _ in 0..TICKS {
            w.housekeep_once().await;
            w.claim_and_run_one().await.unwrap().expect("a tick job");
            time.advance(Duration::from_secs(1));
        }
        let run = db.paper_runs().get(&run.id).await.unwrap();
        assert_eq!(run.status, "active");
        assert_eq!(run.candles, TICKS as i64);

        // The engine over the same candles, warmed up the same way.
        let doc = StrategyDocument::from_json(&text).unwrap();
        let plan = compile(
            &validate(&doc),
            &CompileOptions { base_timeframe: Some(tf), bar_count: None },
        )
        .unwrap();
        let symbols: Vec<String> = members.iter().map(|m| m.symbol.clone()).collect();
        let with_plan: Vec<(&str, &bb_strategy::Plan)> =
            symbols.iter().map(|s| (s.as_str(), &plan)).collect();
        let mut engine = Engine::new(&with_plan, tf, &Settings::DEFAULT.sim(), CAP).unwrap();
        let last = run.last_candle_ts.unwrap();
        let mut window = Vec::new();
        for (m, c) in all.iter().enumerate() {
            let warm_from = start_ts - tf.millis() * (plan.warmup_bars as i64 + 1);
            engine.warm(m, &c.between(Some(warm_from), Some(start_ts))).unwrap();
            window.push(c.between(Some(start_ts), Some(last + 1)));
        }
        engine.replay(&window).unwrap();
        assert_eq!(engine.ts().len(), TICKS);

        let events = db.paper_runs().events(&run.id, 0, 100_000).await.unwrap();
        let mut compared = 0;
        for (m, symbol) in symbols.iter().enumerate() {
            let recorded: Vec<(i64, i64, u64)> = events
                .iter()
                .filter(|e| e.kind == "trade")
                .filter_map(|e| TradeEntry::read(&e.payload))
                .filter(|t| t.symbol.as_deref() == Some(symbol))
                .map(|t| (t.entry_ts, t.exit_ts, t.pnl.to_bits()))
                .collect();
            let expected: Vec<(i64, i64, u64)> = engine
                .trades(m)
                .iter()
                .map(|t| (t.entry_ts, t.exit_ts, t.pnl.to_bits()))
                .collect();
            assert_eq!(recorded, expected, "{symbol}");
            compared += expected.len();
        }
        assert!(compared >= 5, "{compared} trades compared");
        let equity: Vec<u64> = db
            .paper_runs()
            .equity(&run.id, 100_000)
            .await
            .unwrap()
            .iter()
            .map(|(_, e)| e.to_bits())
            .collect();
        assert_eq!(equity, engine.equity().iter().map(|e| e.to_bits()).collect::<Vec<_>>());
        // The exposure alert (positions worth 30% of the equity or more) fired, once per
        // episode, naming what is open.
        let alerts: Vec<&str> = events
            .iter()
            .filter(|e| e.kind == "note" && e.payload["alert"] == "exposure")
            .map(|e| e.message.as_str())
            .collect();
        assert!(!alerts.is_empty(), "an exposure alert");
        assert!(alerts.iter().all(|m| m.contains("% of the equity")), "{alerts:?}");

        let report = bb_jobs::drift::drift(&db, &run).await.unwrap();
        assert!(report.differences.is_empty(), "{:#?}", report.differences);
        assert!(report.causes.is_empty(), "{:#?}", report.causes);
        assert_eq!(report.matched, compared);
        assert_eq!(report.candles_processed, TICKS);
        assert!(report.expectation.is_some(), "{:?}", report.expectation_missing);

        // Stop: every open position closed at its market's last close.
        let open = engine.positions().iter().filter(|p| p.is_some()).count();
        let stopped = bb_jobs::paper::stop(&db, &run, "Stopped by the user.").await.unwrap().unwrap();
        assert_eq!(stopped.status, "stopped");
        let note = stopped.stop_note.unwrap();
        let after = db.paper_runs().events(&run.id, events.last().unwrap().seq, 100).await.unwrap();
        let closing: Vec<TradeEntry> = after
            .iter()
            .filter(|e| e.kind == "trade")
            .filter_map(|e| TradeEntry::read(&e.payload))
            .collect();
        assert_eq!(closing.len(), open, "{note}");
        if open > 0 {
            assert!(note.contains("closed at the last prices"), "{note}");
            for t in &closing {
                let m = symbols.iter().position(|s| Some(s) == t.symbol.as_ref()).unwrap();
                assert_eq!(t.reason, bb_domain::ExitReason::EndOfData);
                assert_eq!(t.exit_ts, *window[m].ts.last().unwrap());
            }
        } else {
            assert!(note.contains("No position was open"), "{note}");
        }
        let snapshot = stopped.snapshot.unwrap();
        assert!(snapshot.get("positions").is_none(), "nothing open: {snapshot}");
    }
);
