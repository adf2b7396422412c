//! The failover list and fetching into the store: the primary failing (HTTP 500s on a fake
//! server) or slow, the fallback filling in, and the stored provenance showing both; a
//! backfill followed by an incremental update.

mod fake;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bb_domain::{Candles, Timeframe};
use bb_market::{
    BoxFuture, CandleSource, Clock, CoinDesk, CoinMetrics, Failover, FetchRange, ManualClock,
    MarketConfig, MarketError, Progress, SourceError, SourceErrorKind, datasets, fetch_into,
};
use bb_store::Db;
use fake::{T0, series, shared};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

async fn sqlite() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("m.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    (db, dir)
}

fn later() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(T0 + 3650 * DAY))
}

#[tokio::test]
async fn primary_500s_hand_the_window_to_the_fallback_and_provenance_shows_both() {
    let hours = series(T0, Timeframe::HOUR, 3000);
    let primary = shared(hours.clone(), Timeframe::HOUR);
    // the primary fails for every request touching hours 1000..2000
    primary.lock().unwrap().fail_range = Some((T0 + 1000 * HOUR, T0 + 2000 * HOUR));
    let fallback = shared(hours.clone(), Timeframe::HOUR);
    let cd_base = fake::coindesk(primary.clone()).await;
    let cm_base = fake::coinmetrics(fallback.clone()).await;
    let clock = later();
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let config = MarketConfig::default();
    let sources = Failover::new(
        vec![
            Arc::new(CoinDesk::new(&config, dyn_clock.clone()).with_base_url(&cd_base)),
            Arc::new(CoinMetrics::new(&config, dyn_clock.clone()).with_base_url(&cm_base)),
        ],
        dyn_clock.clone(),
    );
    assert_eq!(sources.names(), vec!["coindesk", "coinmetrics"]);

    let (db, _dir) = sqlite().await;
    let (dataset, created) = datasets::find_or_create(
        &db,
        "BTC-USD",
        Timeframe::HOUR,
        sources.primary(),
        "CoinDesk Data API, Coin Metrics as fallback",
    )
    .await
    .unwrap();
    assert!(created);
    let mut seen: Vec<Progress> = Vec::new();
    let report = fetch_into(
        &db,
        &dataset,
        &sources,
        None,
        FetchRange {
            from_ms: Some(T0),
            to_ms: Some(T0 + 3000 * HOUR),
            window_bars: 1000,
            revise: false,
        },
        clock.as_ref(),
        &mut |p| seen.push(p),
    )
    .await
    .unwrap();
    assert_eq!(report.windows, 3);
    assert_eq!(report.inserted, 3000);
    assert_eq!(report.by_source["coindesk"], 2000);
    assert_eq!(report.by_source["coinmetrics"], 1000);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].kind, SourceErrorKind::Server);
    assert_eq!(report.skipped[0].status, Some(500));
    // progress: the start, then after each window
    assert_eq!(
        seen.iter().map(|p| p.at_ms).collect::<Vec<_>>(),
        vec![T0, T0 + 1000 * HOUR, T0 + 2000 * HOUR, T0 + 3000 * HOUR]
    );

    let store = db.candles();
    assert_eq!(store.load(&dataset.id, None, None).await.unwrap(), hours);
    let runs: Vec<(String, i64, i64, usize)> = store
        .sources(&dataset.id, None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.source, r.from_ts, r.to_ts, r.rows))
        .collect();
    assert_eq!(
        runs,
        vec![
            ("coindesk".into(), T0, T0 + 999 * HOUR, 1000),
            (
                "coinmetrics".into(),
                T0 + 1000 * HOUR,
                T0 + 1999 * HOUR,
                1000
            ),
            ("coindesk".into(), T0 + 2000 * HOUR, T0 + 2999 * HOUR, 1000),
        ]
    );
    // the primary was retried (bounded) before the fallback was asked, on the manual clock
    assert_eq!(clock.sleeps().len(), 4);
}

#[tokio::test]
async fn backfill_then_incremental_update_from_the_last_stored_candle() {
    let hours = series(T0, Timeframe::HOUR, 400);
    let state = shared(hours.clone(), Timeframe::HOUR);
    let base = fake::binance(state.clone()).await;
    // now: 300 hours in, so only 300 complete candles exist yet
    let clock = Arc::new(ManualClock::new(T0 + 300 * HOUR + 10 * 60_000));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let binance = bb_market::Binance::new(&MarketConfig::default(), dyn_clock.clone())
        .with_base_url(&base)
        .with_page_limit(100);
    let sources = Failover::new(vec![Arc::new(binance)], dyn_clock);
    let (db, _dir) = sqlite().await;
    let (dataset, _) = datasets::find_or_create(&db, "BTCUSDT", Timeframe::HOUR, "binance", "")
        .await
        .unwrap();

    // an empty dataset needs a start
    let err = fetch_into(
        &db,
        &dataset,
        &sources,
        None,
        FetchRange::default(),
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, MarketError::Invalid(ref m) if m.contains("start date")),
        "{err}"
    );

    let range = FetchRange {
        from_ms: Some(T0),
        ..FetchRange::default()
    };
    let first = fetch_into(
        &db,
        &dataset,
        &sources,
        None,
        range,
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!((first.inserted, first.to_ms), (300, T0 + 300 * HOUR));
    let dataset = db.candles().get_dataset(&dataset.id).await.unwrap();
    assert_eq!(dataset.last_ts, Some(T0 + 299 * HOUR));

    // 50 hours later: the update asks from the candle after the last stored one
    clock.advance(Duration::from_secs(50 * 3600));
    let requests_before = state.lock().unwrap().requests.len();
    let update = fetch_into(
        &db,
        &dataset,
        &sources,
        None,
        FetchRange::default(),
        clock.as_ref(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (update.from_ms, update.inserted, update.unchanged),
        (T0 + 300 * HOUR, 50, 0)
    );
    let next_start = state.lock().unwrap().requests[requests_before]["startTime"].clone();
    assert_eq!(next_start, (T0 + 300 * HOUR).to_string());
    assert_eq!(
        db.candles().load(&dataset.id, None, None).await.unwrap(),
        hours.prefix(350)
    );
    // only the chunk with room was touched: one chunk in all
    assert_eq!(db.candles().chunks(&dataset.id).await.unwrap().len(), 1);

    // quality: checked and stored with the dataset
    let report = datasets::refresh_quality(&db, &dataset.id, None)
        .await
        .unwrap();
    assert_eq!(report.rows, 350);
    let stored = db.candles().get_dataset(&dataset.id).await.unwrap();
    assert_eq!(datasets::stored_quality(&stored), Some(report));
}

/// An in-process source that answers after `delay` on the manual clock, or fails.
#[derive(Debug)]
struct Scripted {
    name: &'static str,
    clock: Arc<ManualClock>,
    delay: Duration,
    fail: bool,
    calls: AtomicUsize,
    data: Candles,
}

impl CandleSource for Scripted {
    fn name(&self) -> &str {
        self.name
    }

    fn fetch<'a>(
        &'a self,
        _symbol: &'a str,
        _timeframe: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxFuture<'a, Result<Candles, SourceError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.clock.advance(self.delay);
        let result = if self.fail {
            Err(SourceError {
                source_name: self.name.into(),
                kind: SourceErrorKind::Server,
                status: Some(500),
                message: format!("{} failed", self.name),
            })
        } else {
            Ok(self.data.between(Some(from_ms), Some(to_ms)))
        };
        Box::pin(std::future::ready(result))
    }
}

fn scripted(
    name: &'static str,
    clock: &Arc<ManualClock>,
    delay_s: u64,
    fail: bool,
) -> Arc<Scripted> {
    Arc::new(Scripted {
        name,
        clock: clock.clone(),
        delay: Duration::from_secs(delay_s),
        fail,
        calls: AtomicUsize::new(0),
        data: series(T0, Timeframe::HOUR, 100),
    })
}

#[tokio::test]
async fn a_primary_slow_three_times_in_a_row_is_demoted() {
    let clock = later();
    let slow = scripted("primary", &clock, 15, false);
    let quick = scripted("fallback", &clock, 1, false);
    let sources = Failover::new(
        vec![slow.clone(), quick.clone()],
        clock.clone() as Arc<dyn Clock>,
    )
    .with_latency_rule(Duration::from_secs(10), 3, 5);
    let mut served = Vec::new();
    for k in 0..10 {
        let from = T0 + k * 10 * HOUR;
        let f = sources
            .fetch("BTC-USD", Timeframe::HOUR, from, from + 10 * HOUR)
            .await
            .unwrap();
        assert_eq!(f.candles.len(), 10);
        served.push(f.source);
    }
    // three slow answers are still used; then the fallback leads for 5 requests; then the
    // primary gets its place back (and is slow again)
    assert_eq!(
        served,
        vec![
            "primary", "primary", "primary", "fallback", "fallback", "fallback", "fallback",
            "fallback", "primary", "primary"
        ]
    );
}

#[tokio::test]
async fn failures_pass_to_the_next_source_and_all_failing_is_one_error() {
    let clock = later();
    let broken = scripted("primary", &clock, 0, true);
    let good = scripted("fallback", &clock, 0, false);
    let sources = Failover::new(
        vec![broken.clone(), good.clone()],
        clock.clone() as Arc<dyn Clock>,
    )
    .with_latency_rule(Duration::from_secs(10), 3, 3);
    let f = sources
        .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap();
    assert_eq!(f.source, "fallback");
    assert_eq!(f.skipped.len(), 1);
    assert_eq!(f.skipped[0].message, "primary failed");
    // a second failure in a row demotes the primary: the next 3 requests skip it
    sources
        .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap();
    for _ in 0..3 {
        let f = sources
            .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + 5 * HOUR)
            .await
            .unwrap();
        assert!(f.skipped.is_empty());
    }
    assert_eq!(broken.calls.load(Ordering::SeqCst), 2);

    let all_bad = Failover::new(
        vec![
            scripted("a", &clock, 0, true),
            scripted("b", &clock, 0, true),
        ],
        clock.clone() as Arc<dyn Clock>,
    );
    let errors = all_bad
        .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + HOUR)
        .await
        .unwrap_err();
    assert_eq!(
        errors
            .iter()
            .map(|e| e.source_name.as_str())
            .collect::<Vec<_>>(),
        vec!["a", "b"]
    );
}
