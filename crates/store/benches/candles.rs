//! `cargo bench -p bb-store --bench candles`: how long the candle store takes to import and
//! to load a year of 1-minute candles (525,600), on SQLite (a temporary file) and on
//! PostgreSQL (a temporary database on `BB_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; skipped with a note when unreachable).
//! Prints numbers; asserts nothing about time.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use bb_domain::{Candles, Timeframe};
use bb_store::{Db, NewDataset};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const YEAR: usize = 525_600;
const T0: i64 = 1_672_531_200_000; // 2023-01-01 00:00 UTC
const LOAD_RUNS: usize = 15;

/// A random walk with cent prices and 5-decimal volumes, like exchange 1-minute candles.
fn year_of_minutes() -> Candles {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let cents = |x: f64| (x * 100.0).round() / 100.0;
    let mut c = Candles::default();
    let mut price: f64 = 16_500.0;
    for i in 0..YEAR {
        let open = cents(price);
        price *= 1.0 + (next() - 0.5) * 0.0016;
        let close = cents(price);
        let high = cents(open.max(close) * (1.0 + next() * 0.0006));
        let low = cents(open.min(close) * (1.0 - next() * 0.0006));
        let volume = (next() * next() * 400.0 * 1e5).round() / 1e5;
        c.push(T0 + i as i64 * 60_000, open, high, low, close, volume);
    }
    c
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn bench(db: &Db, label: &str, year: &Candles, perp: &Candles) {
    db.migrate().await.expect("migrate");
    let store = db.candles();
    let id = store
        .create_dataset(NewDataset {
            source: "bench".into(),
            symbol: "BTC-USD".into(),
            timeframe: Timeframe::MINUTE,
            provenance: "synthetic random walk".into(),
        })
        .await
        .expect("create dataset")
        .id;

    let start = Instant::now();
    let summary = store.import(&id, year, "bench").await.expect("import");
    let import = start.elapsed();
    let chunks = store.chunks(&id).await.expect("chunks");
    let bytes: usize = chunks.iter().map(|c| c.bytes).sum();

    let mut loads = Vec::new();
    let mut loaded = Candles::default();
    for _ in 0..LOAD_RUNS {
        let start = Instant::now();
        loaded = store.load(&id, None, None).await.expect("load");
        loads.push(start.elapsed());
    }
    assert_eq!(loaded, *year, "the year comes back as written");
    loads.sort();

    let month_from = T0 + 180 * 86_400_000;
    let start = Instant::now();
    let month = store
        .load(&id, Some(month_from), Some(month_from + 30 * 86_400_000))
        .await
        .expect("load a month");
    let month_load = start.elapsed();

    // An hour of new candles from a connector, appended one minute at a time.
    let more: Vec<Candles> = (0..60)
        .map(|k| {
            let mut c = Candles::default();
            let t = T0 + (YEAR + k) as i64 * 60_000;
            c.push(t, 20_000.0, 20_001.0, 19_999.0, 20_000.5, 1.25);
            c
        })
        .collect();
    let start = Instant::now();
    for c in &more {
        store.append(&id, c, "bench").await.expect("append");
    }
    let appends = start.elapsed();

    // Real minute candles: BTC-PERP, January 2022.
    let perp_id = store
        .create_dataset(NewDataset {
            source: "bench".into(),
            symbol: "BTC-PERP".into(),
            timeframe: Timeframe::MINUTE,
            provenance: "data/demo/btc-perp_1m_2022-01.csv".into(),
        })
        .await
        .expect("create dataset")
        .id;
    let start = Instant::now();
    store.import(&perp_id, perp, "bench").await.expect("import");
    let perp_import = start.elapsed();
    let perp_bytes: usize = store
        .chunks(&perp_id)
        .await
        .expect("chunks")
        .iter()
        .map(|c| c.bytes)
        .sum();
    let start = Instant::now();
    let perp_loaded = store.load(&perp_id, None, None).await.expect("load");
    let perp_load = start.elapsed();
    assert_eq!(perp_loaded, *perp);

    println!("{label}");
    println!(
        "  import   {} candles in {:.0} ms ({:.2} M candles/s, one transaction, {} chunks)",
        summary.inserted,
        ms(import),
        summary.inserted as f64 / import.as_secs_f64() / 1e6,
        chunks.len()
    );
    println!(
        "  stored   {:.1} MB ({:.1} bytes per candle; raw columns are 48)",
        bytes as f64 / 1e6,
        bytes as f64 / YEAR as f64
    );
    println!(
        "  load     {} candles: best {:.1} ms, median {:.1} ms, worst {:.1} ms ({} runs)",
        loaded.len(),
        ms(loads[0]),
        ms(loads[LOAD_RUNS / 2]),
        ms(loads[LOAD_RUNS - 1]),
        LOAD_RUNS
    );
    println!(
        "  load     one month ({} candles): {:.1} ms",
        month.len(),
        ms(month_load)
    );
    println!(
        "  append   60 single candles: {:.1} ms each",
        ms(appends) / 60.0
    );
    println!(
        "  real     BTC-PERP 1m ({} candles, {:.1} bytes per candle): import {:.0} ms, load {:.1} ms",
        perp.len(),
        perp_bytes as f64 / perp.len() as f64,
        ms(perp_import),
        ms(perp_load)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let year = year_of_minutes();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let perp = bb_data::read_candles(&root.join("data/demo/btc-perp_1m_2022-01.csv"))
        .expect("read data/demo/btc-perp_1m_2022-01.csv");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let db = Db::connect(&url).await.expect("open SQLite");
        bench(&db, "SQLite (file, WAL)", &year, &perp).await;
        db.close().await;

        let admin_url = std::env::var("BB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match PgConnection::connect(&admin_url).await {
            Err(e) => println!("PostgreSQL: skipped ({e})"),
            Ok(mut admin) => {
                let name = format!("bb_bench_{}", std::process::id());
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create the bench database");
                let (path, query) = admin_url
                    .split_once('?')
                    .map_or((admin_url.as_str(), ""), |(p, q)| (p, q));
                let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
                let query = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                let db = Db::connect(&format!("{base}/{name}{query}"))
                    .await
                    .expect("connect to the bench database");
                bench(&db, "PostgreSQL (local server)", &year, &perp).await;
                db.close().await;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .expect("drop the bench database");
            }
        }
    });
}
