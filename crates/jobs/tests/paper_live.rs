//! Live paper runs against a fake exchange whose clock the test controls: a simulated week
//! of hourly candles (real BTC candles, the one-minute demo month made hourly), ticked hour
//! by hour through the durable schedules and job queue, on SQLite AND on PostgreSQL. The
//! exchange publishes one candle late, corrects one after publishing it, and leaves one out
//! for five hours. Three runs share the market: the exchange is asked once a tick, not once
//! a run. Every candle is processed once and in order; the missing one is noted in the
//! ledger when the run passes it; the drift report names the late, the revised and the gap
//! candle, and the backtest's range of drawdowns for a week.

#[macro_use]
#[path = "../../store/tests/harness/mod.rs"]
mod harness;
#[path = "../../market/tests/fake/mod.rs"]
mod fake;

use std::path::PathBuf;
use std::time::Duration;

use bb_backtest::Settings;
use bb_domain::{Candles, Timeframe};
use bb_jobs::{Clock, Handlers, Worker, WorkerConfig};
use bb_market::MarketConfig;
use bb_store::{
    Db, NewDataset, NewPaperRun, NewStrategy, NewUser, NewVersion, PlanTier, Role, Visibility,
};
use serde_json::json;

const HOUR: i64 = 3_600_000;
/// Hours stored before the run starts (the strategies' warm-up and the expectation's
/// history), and the hours the run trades.
const HISTORY: usize = 400;
const WEEK: usize = 168;
/// Hours into the week of the candle published an hour late, the one corrected four hours
/// after it was published, and the one published five hours late.
const LATE: usize = 30;
const REVISED: usize = 60;
const GAP: usize = 100;
const GRACE_MS: i64 = 15_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo month of one-minute BTC-PERP candles, hourly.
fn hourly() -> Candles {
    let minutes = bb_data::read_candles(&root().join("data/demo/btc-perp_1m_2022-01.csv")).unwrap();
    let hours = bb_domain::resample(&minutes, Timeframe::MINUTE, Timeframe::HOUR);
    // Rounded as the exchange sends them (8 decimals), so what is stored is what was sent.
    let round = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .map(|x| format!("{x:.8}").parse().unwrap())
            .collect()
    };
    Candles {
        ts: hours.ts.clone(),
        open: round(&hours.open),
        high: round(&hours.high),
        low: round(&hours.low),
        close: round(&hours.close),
        volume: round(&hours.volume),
    }
}

/// What the exchange has published when candle `k` (an index of `all`) has just closed.
fn published(all: &Candles, k: usize, start: usize) -> Candles {
    let (late, revised, gap) = (start + LATE, start + REVISED, start + GAP);
    let mut out = Candles::default();
    for i in 0..=k {
        if (i == late && k < late + 1) || (i == gap && k < gap + 5) {
            continue;
        }
        let mut close = all.close[i];
        let mut high = all.high[i];
        if i == revised && k >= revised + 4 {
            close = (close * 1.02 * 1e2).round() / 1e2;
            high = high.max(close);
        }
        out.push(
            all.ts[i],
            all.open[i],
            high,
            all.low[i],
            close,
            all.volume[i],
        );
    }
    out
}

async fn user_and_strategies(db: &Db) -> (String, Vec<String>) {
    let user = db
        .users()
        .create(NewUser {
            email: "live@example.com".into(),
            password_hash: Some("hash".into()),
            display_name: "live".into(),
            role: Role::Builder,
            plan: PlanTier::Premium,
            external_subject: None,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["sma_crossover", "rsi_mean_reversion", "bollinger_breakout"] {
        let text = std::fs::read_to_string(root().join(format!("strategies/{name}.json"))).unwrap();
        let (strategy, _) = db
            .strategies()
            .create(
                NewStrategy {
                    owner_id: user.id.clone(),
                    title: name.into(),
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
        ids.push(strategy.id);
    }
    (user.id, ids)
}

conformance!(
    /// A week of hourly candles, live, with a late, a revised and a missing candle.
    async fn a_live_week_names_the_late_the_revised_and_the_missing_candle(db) {
        let all = hourly();
        assert!(all.len() > HISTORY + WEEK, "{} hours", all.len());
        let start = HISTORY;
        let (user, strategies) = user_and_strategies(&db).await;

        // The shared Binance dataset holds the history; the exchange has published it.
        let dataset = db
            .candles()
            .create_dataset(NewDataset {
                source: "binance".into(),
                symbol: "BTC-USDT".into(),
                timeframe: Timeframe::HOUR,
                provenance: "test".into(),
            })
            .await
            .unwrap();
        db.candles()
            .import(&dataset.id, &all.slice(0, start), "binance")
            .await
            .unwrap();
        let exchange = fake::shared(all.slice(0, start), Timeframe::HOUR);
        let url = fake::binance(exchange.clone()).await;

        // The clock: a minute into the run's first candle.
        let (clock, time) = Clock::test(all.ts[start] + 60_000);
        let first_tick = all.ts[start] + HOUR + GRACE_MS;
        let mut runs = Vec::new();
        for strategy in &strategies {
            let run = db
                .paper_runs()
                .create(
                    NewPaperRun {
                        user_id: user.clone(),
                        strategy_id: strategy.clone(),
                        version: 1,
                        dataset_id: dataset.id.clone(),
                        symbol: "BTC-USDT".into(),
                        timeframe: "1h".into(),
                        settings: serde_json::to_value(Settings::DEFAULT).unwrap(),
                        mode: "live".into(),
                        start_ts: all.ts[start],
                        alert_config: json!({ "drift": true }),
                        tick_every_ms: HOUR,
                        first_tick_at: first_tick,
                        basket: None,
                    },
                    5,
                )
                .await
                .unwrap()
                .unwrap();
            runs.push(run.id);
        }
        let worker = Worker::new(
            db.clone(),
            WorkerConfig {
                concurrency: 1,
                lease: Duration::from_secs(30),
                poll: Duration::from_secs(1),
                name: "w".into(),
                market: MarketConfig {
                    binance_url: url,
                    binance_dumps_url: None,
                    ..MarketConfig::default()
                },
                clock,
                handlers: Handlers::default(),
                webhooks: bb_webhooks::Policy::default(),
                mail: None,
            },
        );

        // Hour by hour: the candle closes, the exchange publishes, the tick runs.
        let mut ticks = 0;
        for h in 0..WEEK {
            let k = start + h;
            let at = all.ts[k] + HOUR + GRACE_MS;
            time.advance(Duration::from_millis((at - time.now_ms()) as u64));
            exchange.lock().unwrap().candles = published(&all, k, start);
            worker.housekeep_once().await;
            while worker.claim_and_run_one().await.unwrap().is_some() {
                ticks += 1;
            }
        }
        assert_eq!(ticks, WEEK, "one market tick an hour for all three runs");
        let requests = exchange.lock().unwrap().requests.len();
        assert!(
            requests <= WEEK,
            "{requests} requests to the exchange for {WEEK} ticks of three runs"
        );

        let (late, revised, gap) = (all.ts[start + LATE], all.ts[start + REVISED], all.ts[start + GAP]);
        for id in &runs {
            let run = db.paper_runs().get(id).await.unwrap();
            assert_eq!(run.status, "active");
            assert_eq!(run.last_candle_ts, Some(all.ts[start + WEEK - 1]));
            let events = db.paper_runs().events(id, 0, 100_000).await.unwrap();
            let processed: Vec<i64> = events
                .iter()
                .filter(|e| e.kind == "tick")
                .map(|e| e.candle_ts.unwrap())
                .collect();
            let expected: Vec<i64> = (start..start + WEEK)
                .filter(|&i| i != start + GAP)
                .map(|i| all.ts[i])
                .collect();
            assert_eq!(processed, expected, "every candle once, in order; the missing one passed");
            let notes: Vec<&str> = events
                .iter()
                .filter(|e| e.kind == "note")
                .map(|e| e.message.as_str())
                .collect();
            assert!(
                notes.iter().any(|m| m.contains("missing from the source")),
                "the ledger says a candle was missing: {notes:?}"
            );
            assert!(
                notes.iter().any(|m| m.contains("processed late")),
                "the ledger says a candle was processed late: {notes:?}"
            );
            // The drift alert, when the corrected candle and the missing one arrived.
            let drift: Vec<Option<i64>> = events
                .iter()
                .filter(|e| e.kind == "note" && e.payload["alert"] == "drift")
                .map(|e| e.candle_ts)
                .collect();
            assert_eq!(drift, vec![Some(revised), Some(gap)], "{notes:?}");

            let report = bb_jobs::drift::drift(&db, &run).await.unwrap();
            let named = |kind: &str, ts: i64| {
                report
                    .causes
                    .iter()
                    .any(|c| c.kind == kind && c.candle_ts == Some(ts))
            };
            assert!(named("late_candle", late), "{:#?}", report.causes);
            assert!(named("revised_candle", revised), "{:#?}", report.causes);
            assert!(named("gap_filled_later", gap), "{:#?}", report.causes);
            assert_eq!(report.causes.len(), 3, "nothing else happened: {:#?}", report.causes);
            let revision = report.causes.iter().find(|c| c.kind == "revised_candle").unwrap();
            assert!(revision.message.contains("corrected by binance"), "{}", revision.message);
            assert!(revision.message.contains("close "), "{}", revision.message);
            assert_eq!(report.candles_processed, WEEK - 1);
            assert_eq!(report.candles_stored_now, WEEK);
            for d in &report.differences {
                assert!(!d.causes.is_empty(), "every difference has its cause: {d:#?}");
            }
            let Some(expectation) = report.expectation.as_ref() else {
                panic!("no expectation: {:?}", report.expectation_missing);
            };
            assert_eq!(expectation.window_candles, WEEK - 1);
            assert!(expectation.windows >= 5, "{expectation:#?}");
            assert!(expectation.max_drawdown_pct.worst <= expectation.max_drawdown_pct.best);
            assert!(!expectation.verdict.is_empty());
        }

        // Each run's owner was told (two drift alerts a run).
        let told = db.notifications().list(&user, false, 100, 0).await.unwrap();
        let drift_alerts = told.items.iter().filter(|n| n.kind == "paper_trade_alert" && n.payload["alert"] == "drift").count();
        assert_eq!(drift_alerts, 2 * runs.len());

        // The correction is kept: what was published first, and what replaced it.
        let revisions = db
            .candles()
            .revisions(&dataset.id, all.ts[0], i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(revisions.len(), 1, "{revisions:#?}");
        assert_eq!(revisions[0].ts, revised);
        assert_eq!(revisions[0].before[3], all.close[start + REVISED]);
        assert_ne!(revisions[0].after[3], revisions[0].before[3]);
        let stored = db.candles().load(&dataset.id, Some(revised), Some(revised + 1)).await.unwrap();
        assert_eq!(stored.close[0], revisions[0].after[3]);
    }
);
