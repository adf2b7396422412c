//! One tick round of many live paper runs, database writes included: `N` runs of the SMA
//! crossover on one shared hourly dataset (SQLite file, WAL). A round is the housekeeper
//! enqueueing the market's `paper_market_tick` job and two workers (this machine's two cores)
//! claiming it: every run's newest closed candle through its engine, all recorded with their
//! ledger entries in one transaction. Round 1 builds each run's engine (warm-up from the
//! stored candles); later rounds use the engines kept in the process. Prints milliseconds
//! per round; asserts nothing.
//!
//!     cargo bench -p bb-jobs --bench paper_round [-- RUNS [HISTORY]]

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use bb_backtest::Settings;
use bb_domain::Timeframe;
use bb_jobs::{Clock, Handlers, Worker, WorkerConfig};
use bb_store::{
    Db, NewDataset, NewPaperRun, NewStrategy, NewUser, NewVersion, PlanTier, Role, Visibility,
};
use serde_json::json;

const ROUNDS: usize = 6;

fn main() {
    // `-- RUNS HISTORY`: how many runs, and how many stored candles before they start.
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let runs = numbers.first().copied().unwrap_or(1_000);
    let history = numbers.get(1).copied().unwrap_or(2_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(bench(runs, history));
}

async fn bench(runs: usize, history: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await.expect("a database");
    db.migrate().await.expect("migrations");
    let user = db
        .users()
        .create(NewUser {
            email: "bench@example.com".into(),
            password_hash: None,
            display_name: "bench".into(),
            role: Role::Builder,
            plan: PlanTier::Educator,
            external_subject: None,
        })
        .await
        .expect("a user");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text =
        std::fs::read_to_string(root.join("strategies/sma_crossover.json")).expect("starter");
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
                graph: serde_json::from_str(&text).expect("json"),
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            }),
        )
        .await
        .expect("a strategy");
    // A random walk's prices on hourly candles.
    let tf = Timeframe::HOUR;
    let mut candles =
        bb_domain::synthetic::random_walk(history + ROUNDS + 1, bb_domain::synthetic::BENCH_SEED);
    let first = tf.bucket_start(candles.ts[0]);
    for (i, ts) in candles.ts.iter_mut().enumerate() {
        *ts = first + i as i64 * tf.millis();
    }
    let dataset = db
        .candles()
        .create_dataset(NewDataset {
            source: "binance".into(),
            symbol: "BTC-USDT".into(),
            timeframe: tf,
            provenance: "synthetic".into(),
        })
        .await
        .expect("a dataset");
    // Stored up to the candle the first round processes; each round stores the next one
    // (as the live fetch would).
    db.candles()
        .import(&dataset.id, &candles.slice(0, history + 1), "binance")
        .await
        .expect("candles");
    let start = candles.ts[history];
    let first_tick = start + tf.millis() + 15_000;
    let settings = serde_json::to_value(Settings::DEFAULT).expect("settings");
    for _ in 0..runs {
        db.paper_runs()
            .create(
                NewPaperRun {
                    user_id: user.id.clone(),
                    strategy_id: strategy.id.clone(),
                    version: 1,
                    dataset_id: dataset.id.clone(),
                    symbol: "BTC-USDT".into(),
                    timeframe: tf.to_string(),
                    settings: settings.clone(),
                    mode: "live".into(),
                    start_ts: start,
                    alert_config: json!({}),
                    tick_every_ms: tf.millis(),
                    first_tick_at: first_tick,
                    basket: None,
                },
                i64::MAX,
            )
            .await
            .expect("a run")
            .expect("within the limit");
    }
    let (clock, time) = Clock::test(first_tick);
    let worker = |name: &str| {
        Worker::new(
            db.clone(),
            WorkerConfig {
                concurrency: 1,
                lease: Duration::from_secs(30),
                poll: Duration::from_secs(1),
                name: name.to_owned(),
                clock: clock.clone(),
                handlers: Handlers::default(),
                ..WorkerConfig::default()
            },
        )
    };
    let (a, b) = (worker("a"), worker("b"));
    println!(
        "paper tick rounds: {runs} live runs, SMA crossover, {history} hourly candles stored \
         before they start, SQLite (WAL), 2 workers"
    );
    for round in 1..=ROUNDS {
        let began = Instant::now();
        let enqueued = a.housekeep_once().await.enqueued.len();
        let drain = |w: Worker| async move {
            let mut n = 0;
            while w.claim_and_run_one().await.expect("claim").is_some() {
                n += 1;
            }
            n
        };
        let (x, y) = tokio::join!(
            tokio::spawn(drain(a.clone())),
            tokio::spawn(drain(b.clone()))
        );
        let ran = x.expect("worker a") + y.expect("worker b");
        let took = began.elapsed();
        println!(
            "round {round}: {enqueued} job(s) enqueued and {ran} run for {runs} runs: {:.0} ms ({:.3} ms per run){}",
            took.as_secs_f64() * 1000.0,
            took.as_secs_f64() * 1000.0 / runs as f64,
            if round == 1 { "  (engines built)" } else { "" }
        );
        // The next candle arrives; the clock moves to its close plus the grace period.
        db.candles()
            .import(
                &dataset.id,
                &candles.slice(history + round, history + round + 1),
                "binance",
            )
            .await
            .expect("the next candle");
        time.advance(Duration::from_millis(
            u64::try_from(tf.millis()).unwrap_or(3_600_000),
        ));
    }
    let sample = db.paper_runs().list(&user.id, 1).await.expect("runs");
    println!(
        "a run after {ROUNDS} rounds: {} candles processed",
        sample[0].candles
    );
}
