//! Benchmarks of backtests as jobs, with real processes. Prints numbers; asserts nothing.
//!
//! 1. Latency on SQLite with in-process workers: `POST /api/v1/backtests` → the `succeeded`
//!    server-sent event, for an SMA crossover on one year of hourly candles (8,760 bars of a
//!    seeded random walk), one request at a time.
//! 2. Throughput on PostgreSQL: 1,000 small backtests (SMA crossover on the bundled daily BTC
//!    candles, 3,000 bars) queued at once, drained by 1 and then by 2 `blockbuilders worker`
//!    processes (2 job slots each).
//!
//! Run: `cargo bench -p blockbuilders --bench jobs` (needs PostgreSQL at 127.0.0.1:5432, or
//! `BB_TEST_POSTGRES_URL`).
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bb_domain::Timeframe;
use bb_jobs::BacktestRequest;
use bb_store::{
    Db, NewDataset, NewRun, NewStrategy, NewUser, NewVersion, PlanTier, Role, RunKind, RunLimits,
    Visibility,
};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret-that-is-long-enough-for-hs256";
const LATENCY_RUNS: usize = 30;
const QUEUED: usize = 1000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blockbuilders"));
    cmd.current_dir(root())
        .env("BB_LOG", "warn")
        .env("BB_OBJECT_STORE_URL", "memory:")
        .env_remove("BB_DATABASE_URL")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn sma_graph() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("strategies/sma_crossover.json")).unwrap(),
    )
    .unwrap()
}

async fn owner(db: &Db) -> (String, String) {
    let user = db
        .users()
        .create(NewUser {
            email: format!("bench-{}@example.com", std::process::id()),
            password_hash: Some("x".into()),
            display_name: "bench".into(),
            role: Role::Builder,
            plan: PlanTier::Educator,
            external_subject: None,
        })
        .await
        .unwrap();
    let (strategy, _) = db
        .strategies()
        .create(
            NewStrategy {
                owner_id: user.id.clone(),
                title: "Bench crossover".into(),
                description: String::new(),
                tags: vec![],
                visibility: Visibility::Private,
            },
            Some(NewVersion {
                author_id: user.id.clone(),
                graph: sma_graph(),
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            }),
        )
        .await
        .unwrap();
    (user.id, strategy.id)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

async fn latency() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    // one year of hourly bars
    let mut candles = bb_domain::synthetic::random_walk(8760, bb_domain::synthetic::BENCH_SEED);
    for (i, t) in candles.ts.iter_mut().enumerate() {
        *t = 1_640_995_200_000 + i as i64 * 3_600_000;
    }
    let dataset = db
        .candles()
        .create_dataset(NewDataset {
            source: "synthetic".into(),
            symbol: "SYN-USD".into(),
            timeframe: Timeframe::from_minutes(60).unwrap(),
            provenance: "seeded random walk".into(),
        })
        .await
        .unwrap();
    db.candles()
        .import(&dataset.id, &candles, "synthetic")
        .await
        .unwrap();
    db.close().await;

    let mut child = binary()
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ])
        .args(["--jwt-secret", SECRET])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("Blockbuilders is running at ") {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let _server = Proc(child);
    let db = Db::connect(&url).await.unwrap();
    let (demo, _) = db
        .users()
        .by_email("demo@blockbuilders.local")
        .await
        .unwrap()
        .unwrap();
    db.users()
        .set_plan(&demo.id, PlanTier::Educator, None)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "demo@blockbuilders.local", "password": "demo-password-123" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let created: Value = client
        .post(format!("{base}/api/v1/strategies"))
        .bearer_auth(&token)
        .json(&json!({ "title": "Latency", "graph": sma_graph() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let strategy = created["strategy"]["id"].as_str().unwrap().to_owned();
    let body = json!({ "strategy_id": strategy, "dataset_id": dataset.id });
    let mut times = Vec::new();
    for i in 0..LATENCY_RUNS + 3 {
        let start = Instant::now();
        let run: Value = client
            .post(format!("{base}/api/v1/backtests"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = run["id"].as_str().unwrap();
        let mut events = client
            .get(format!("{base}/api/v1/backtests/{id}/events"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        while !text.contains("event: succeeded") {
            let chunk = events.chunk().await.unwrap().expect("stream open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        if i >= 3 {
            times.push(start.elapsed());
        }
    }
    times.sort();
    println!(
        "latency POST /backtests → succeeded event, SMA crossover on 8,760 hourly bars, SQLite, \
         in-process workers, {LATENCY_RUNS} runs: min {:.1} ms, median {:.1} ms, p95 {:.1} ms, \
         max {:.1} ms",
        ms(times[0]),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(*times.last().unwrap()),
    );
    db.close().await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn throughput(admin_url: &str, processes: usize) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let name = format!("bb_bench_{}_{processes}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = with_database(admin_url, &name);
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let candles =
        bb_data::read_candles(&root().join("data/demo/yahoo_BTC-USD_1d_2014-2022.csv")).unwrap();
    let dataset = db
        .candles()
        .create_dataset(NewDataset {
            source: "demo".into(),
            symbol: "BTC-USD".into(),
            timeframe: Timeframe::from_minutes(1440).unwrap(),
            provenance: "bundled".into(),
        })
        .await
        .unwrap();
    db.candles()
        .import(&dataset.id, &candles, "demo")
        .await
        .unwrap();
    bb_market::datasets::refresh_quality(&db, &dataset.id, None)
        .await
        .unwrap();
    let (user, strategy) = owner(&db).await;
    let request = BacktestRequest {
        dataset_id: dataset.id.clone(),
        timeframe: dataset.timeframe,
        from_ms: None,
        to_ms: None,
        settings: bb_backtest::Settings::DEFAULT,
    };
    let config = serde_json::to_value(&request).unwrap();
    for _ in 0..QUEUED {
        db.runs()
            .submit(
                NewRun {
                    kind: RunKind::Backtest,
                    user_id: user.clone(),
                    strategy_id: strategy.clone(),
                    version: 1,
                    dataset_id: Some(dataset.id.clone()),
                    config: config.clone(),
                },
                &RunLimits::default(),
                0,
            )
            .await
            .unwrap()
            .unwrap();
    }
    let start = Instant::now();
    let _workers: Vec<Proc> = (0..processes)
        .map(|_| {
            Proc(
                binary()
                    .args(["worker", "--database-url", &url, "--workers", "2"])
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    loop {
        let left: i64 = db.runs().live_count(&user).await.unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = start.elapsed();
    let succeeded = db
        .runs()
        .list(&bb_store::RunFilter {
            user_id: user.clone(),
            status: Some(bb_store::RunStatus::Succeeded),
            limit: 1,
            ..bb_store::RunFilter::default()
        })
        .await
        .unwrap()
        .total;
    println!(
        "throughput {QUEUED} queued backtests (SMA crossover, 3,000 daily bars), PostgreSQL, \
         {processes} worker process(es) × 2 slots: {:.2} s including process start = {:.0} \
         backtests/s ({succeeded} succeeded)",
        elapsed.as_secs_f64(),
        QUEUED as f64 / elapsed.as_secs_f64()
    );
    db.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[tokio::main]
async fn main() {
    bb_server::install_crypto_provider();
    latency().await;
    let tcp = std::env::var("BB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!("PostgreSQL over TCP ({}):", bb_store::redact_url(&tcp));
    throughput(&tcp, 1).await;
    throughput(&tcp, 2).await;
    // sqlx 0.9.0 does not set TCP_NODELAY on PostgreSQL connections, so each small write
    // over TCP can wait for a delayed ACK; a Unix socket has no such wait.
    let socket = "postgres://postgres@localhost/postgres?host=/var/run/postgresql";
    if std::path::Path::new("/var/run/postgresql/.s.PGSQL.5432").exists() {
        println!("PostgreSQL over its Unix socket ({socket}):");
        throughput(socket, 1).await;
        throughput(socket, 2).await;
    }
}
