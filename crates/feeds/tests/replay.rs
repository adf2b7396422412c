//! DBN replay of the real samples in ../shared/data/databento (CME ES and NQ futures around
//! midnight UTC, 2024-07-01/02) through the screen engine, against golden alerts committed
//! in `tests/golden/` (regenerate with `BB_UPDATE_GOLDEN=1` after a deliberate change, and
//! read the diff).

use std::path::PathBuf;

use bb_feeds::{DbnReplay, Feed, Pace};
use bb_screener::{
    Alert, AlertType, EventKind, FeedEvent, GapSettings, HighLowSettings, Screener, ScreenerConfig,
    SpreadSettings, VolumeSpikeSettings,
};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/databento")
        .join(name)
}

const MBP1: &str = "futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst";
const TRADES: &str = "futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst";
const OHLCV: &str = "futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst";
const DEFINITION: &str = "futures_definition.dbn.zst";

/// Thresholds scaled to four quiet minutes of an index future around midnight (the defaults
/// are for a whole session of stocks): a 0.005% move (a tick and a bit) from the previous UTC
/// day's last trade, 1.5× volume over two bars of history, every new high and low, a spread
/// at 1.5× its baseline after 50 quotes, 30 s of cooldown.
fn config() -> ScreenerConfig {
    ScreenerConfig {
        session_offset_minutes: 0,
        cooldown_seconds: 30,
        gap: Some(GapSettings { min_pct: 0.005 }),
        volume_spike: Some(VolumeSpikeSettings {
            multiple: 1.5,
            min_history: 2,
            min_volume: 0.0,
        }),
        high_low: Some(HighLowSettings { after_minutes: 0 }),
        spread: Some(SpreadSettings {
            multiple: 1.5,
            min_quotes: 50,
        }),
    }
}

fn run(files: &[&str]) -> (Vec<Alert>, Vec<FeedEvent>) {
    let paths: Vec<PathBuf> = files.iter().map(|f| sample(f)).collect();
    let events = DbnReplay::open(&paths, Pace::Full).unwrap().into_events();
    let mut screener = Screener::new(config(), Vec::new()).unwrap();
    let mut alerts = Vec::new();
    for event in &events {
        screener.push(event, &mut alerts);
    }
    screener.finish(&mut alerts);
    (alerts, events)
}

fn golden(name: &str, alerts: &[Alert]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text: String = alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap() + "\n")
        .collect();
    if std::env::var_os("BB_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    let want: Vec<Alert> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        alerts,
        want.as_slice(),
        "alerts differ from {}",
        path.display()
    );
}

#[test]
fn mbp1_replay_gives_the_golden_alerts() {
    let (alerts, events) = run(&[MBP1, DEFINITION]);
    assert!(!alerts.is_empty());
    // every alert names the instrument by its raw symbol, from the definitions
    assert!(alerts.iter().all(|a| a.symbol == "ESU4"), "{alerts:?}");
    // every trigger price is a traded price or a quote's mid in the file
    let mut prices = Vec::new();
    for event in &events {
        if let FeedEvent::Market(m) = event {
            match m.kind {
                EventKind::Trade { price, .. } => prices.push(price),
                EventKind::Quote(q) => prices.push(0.5 * (q.bid + q.ask)),
                EventKind::Bar(_) => {}
            }
        }
    }
    for alert in &alerts {
        assert!(
            prices.contains(&alert.trigger_price),
            "{} at {} is no price of the file",
            alert.alert_type,
            alert.trigger_price
        );
    }
    // the session rolls at midnight UTC: gaps only after it, measured from the last trade
    // before it
    let midnight = 1_719_878_400 * 1_000_000_000_i64;
    let last_before = events
        .iter()
        .rev()
        .filter_map(|e| match e {
            FeedEvent::Market(m) if m.ts < midnight => match m.kind {
                EventKind::Trade { price, .. } => Some(price),
                _ => None,
            },
            _ => None,
        })
        .next()
        .unwrap();
    for gap in alerts
        .iter()
        .filter(|a| matches!(a.alert_type, AlertType::GapUp | AlertType::GapDown))
    {
        assert!(gap.trigger_time >= midnight);
        assert_eq!(gap.conditions.previous_close, Some(last_before));
    }
    golden("mbp1_esu4.jsonl", &alerts);
}

#[test]
fn trades_replay_gives_the_same_price_alerts_as_mbp1() {
    // the trades file holds MBP-1's trades: the trade-driven screens agree
    let (from_trades, _) = run(&[TRADES, DEFINITION]);
    let (from_mbp1, _) = run(&[MBP1, DEFINITION]);
    let price_screens = |alerts: &[Alert]| -> Vec<(AlertType, i64, u64)> {
        alerts
            .iter()
            .filter(|a| a.alert_type != AlertType::SpreadBlowout)
            .map(|a| (a.alert_type, a.trigger_time, a.trigger_price.to_bits()))
            .collect()
    };
    assert!(!price_screens(&from_trades).is_empty());
    assert_eq!(price_screens(&from_trades), price_screens(&from_mbp1));
}

#[test]
fn ohlcv_replay_gives_the_golden_alerts() {
    let (alerts, _) = run(&[OHLCV, DEFINITION]);
    assert!(alerts.iter().any(|a| a.symbol == "NQU4"));
    assert!(
        alerts
            .iter()
            .any(|a| a.alert_type == AlertType::VolumeSpike)
    );
    golden("ohlcv_es_nq.jsonl", &alerts);
}

#[tokio::test]
async fn recorded_pace_gives_the_same_events_as_full_speed() {
    let full = DbnReplay::open(&[sample(TRADES)], Pace::Full)
        .unwrap()
        .into_events();
    // the four minutes at 10,000× take about 24 ms
    let mut paced: Box<dyn Feed> =
        Box::new(DbnReplay::open(&[sample(TRADES)], Pace::Recorded { speed: 10_000.0 }).unwrap());
    let mut got = Vec::new();
    let started = tokio::time::Instant::now();
    while paced.next_batch(&mut got).await.unwrap() {}
    assert_eq!(got, full);
    // not faster than the recording allows: the span of the events over the speed
    let span = match (
        full.iter().find_map(market_ts),
        full.iter().rev().find_map(market_ts),
    ) {
        (Some(a), Some(b)) => b - a,
        _ => panic!("no events"),
    };
    assert!(started.elapsed().as_nanos() as f64 >= span as f64 / 10_000.0 * 0.99);
}

fn market_ts(e: &FeedEvent) -> Option<i64> {
    match e {
        FeedEvent::Market(m) => Some(m.ts),
        _ => None,
    }
}

#[test]
fn a_file_that_is_not_dbn_is_refused_with_its_name() {
    let err = match DbnReplay::from_bytes(vec![("notes.txt".into(), b"hello".to_vec())], Pace::Full)
    {
        Ok(_) => panic!("a text file was read as DBN"),
        Err(e) => e.to_string(),
    };
    assert!(err.starts_with("notes.txt: "), "{err}");
}
