//! Each connector against a local fake server replaying its provider's wire format,
//! including the errors. Waits (Retry-After, backoff, the Binance weight window) go through a
//! manual clock, so nothing here sleeps.

mod fake;

use std::sync::Arc;
use std::time::Duration;

use bb_domain::{Candles, Timeframe};
use bb_market::{
    ApiKey, Binance, CandleSource, Clock, CoinDesk, CoinMetrics, ManualClock, MarketConfig,
    RetryPolicy, SourceErrorKind,
};
use fake::{Scripted, T0, series, shared};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// A manual clock long after every fake candle closed.
fn later() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(T0 + 3650 * DAY))
}

fn config() -> MarketConfig {
    MarketConfig::default()
}

fn binance(base: &str, clock: &Arc<ManualClock>) -> Binance {
    Binance::new(&config(), clock.clone() as Arc<dyn Clock>).with_base_url(base)
}

fn hours(n: usize) -> Candles {
    series(T0, Timeframe::HOUR, n)
}

// ---------------------------------------------------------------------------------------
// Binance

#[tokio::test]
async fn binance_backfill_follows_pages_of_1000() {
    let state = shared(hours(2500), Timeframe::HOUR);
    let base = fake::binance(state.clone()).await;
    let clock = later();
    let got = binance(&base, &clock)
        .fetch("BTC-USDT", Timeframe::HOUR, T0, T0 + 2500 * HOUR)
        .await
        .unwrap();
    assert_eq!(got, hours(2500));
    let fake = state.lock().unwrap();
    let starts: Vec<String> = fake
        .requests
        .iter()
        .map(|q| q["startTime"].clone())
        .collect();
    assert_eq!(
        starts,
        vec![
            T0.to_string(),
            (T0 + 1000 * HOUR).to_string(),
            (T0 + 2000 * HOUR).to_string()
        ]
    );
    for q in &fake.requests {
        assert_eq!(q["symbol"], "BTCUSDT");
        assert_eq!(q["interval"], "1h");
        assert_eq!(q["limit"], "1000");
        assert_eq!(q["endTime"], (T0 + 2500 * HOUR - 1).to_string());
    }
    assert!(clock.sleeps().is_empty(), "no reason to wait");
}

#[tokio::test]
async fn binance_leaves_out_the_candle_still_forming() {
    let state = shared(hours(10), Timeframe::HOUR);
    let base = fake::binance(state).await;
    // now: half way through the tenth hour
    let clock = Arc::new(ManualClock::new(T0 + 9 * HOUR + HOUR / 2));
    let got = binance(&base, &clock)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 10 * HOUR)
        .await
        .unwrap();
    assert_eq!(got.len(), 9);
    assert_eq!(got, hours(9));
}

#[tokio::test]
async fn binance_waits_for_the_next_minute_near_the_weight_limit() {
    let state = shared(hours(1500), Timeframe::HOUR);
    state.lock().unwrap().weights.insert(1, 5_700); // 95% of 6000 after the first page
    let base = fake::binance(state.clone()).await;
    let clock = Arc::new(ManualClock::new(T0 + 3650 * DAY + 15_000)); // 15 s into a minute
    let got = binance(&base, &clock)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 1500 * HOUR)
        .await
        .unwrap();
    assert_eq!(got.len(), 1500);
    // waited until just after the minute rolled over, then asked for the second page
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(46_000)]);
    assert_eq!(state.lock().unwrap().requests.len(), 2);
}

#[tokio::test]
async fn binance_backs_off_on_429_and_418_with_retry_after() {
    let state = shared(hours(5), Timeframe::HOUR);
    {
        let mut f = state.lock().unwrap();
        f.script.push_back(Scripted::retry_after(429, 3));
        f.script.push_back(Scripted::retry_after(418, 7));
    }
    let base = fake::binance(state.clone()).await;
    let clock = later();
    let got = binance(&base, &clock)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap();
    assert_eq!(got, hours(5));
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(3), Duration::from_secs(7)]
    );
    assert_eq!(state.lock().unwrap().requests.len(), 3);
}

#[tokio::test]
async fn binance_gives_up_on_a_long_ban_and_after_bounded_retries() {
    // a 418 ban for two hours: not waited for
    let state = shared(hours(5), Timeframe::HOUR);
    state
        .lock()
        .unwrap()
        .script
        .push_back(Scripted::retry_after(418, 7200));
    let base = fake::binance(state.clone()).await;
    let clock = later();
    let err = binance(&base, &clock)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::RateLimited);
    assert!(err.message.contains("banned"), "{err}");
    assert!(err.message.contains("7200 s"), "{err}");
    assert!(clock.sleeps().is_empty());

    // 429 on every request: the first attempt and three retries, then an error
    let state = shared(hours(5), Timeframe::HOUR);
    for _ in 0..10 {
        state
            .lock()
            .unwrap()
            .script
            .push_back(Scripted::retry_after(429, 1));
    }
    let base = fake::binance(state.clone()).await;
    let clock = later();
    let retry = RetryPolicy {
        max_retries: 3,
        ..RetryPolicy::default()
    };
    let err = binance(&base, &clock)
        .with_retry(retry)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::RateLimited);
    assert!(err.message.contains("gave up after 4 attempts"), "{err}");
    assert_eq!(state.lock().unwrap().requests.len(), 4);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 3]);
}

#[tokio::test]
async fn binance_451_says_to_use_another_source() {
    let state = shared(hours(5), Timeframe::HOUR);
    state.lock().unwrap().script.push_back(Scripted::status(
        451,
        r#"{"code":0,"msg":"Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms."}"#,
    ));
    let base = fake::binance(state.clone()).await;
    let err = binance(&base, &later())
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Restricted);
    assert_eq!(err.status, Some(451));
    assert_eq!(
        err.to_string(),
        "Binance is not available from your location (HTTP 451); use another source"
    );
    assert_eq!(
        state.lock().unwrap().requests.len(),
        1,
        "451 is not retried"
    );
}

#[tokio::test]
async fn binance_errors_carry_the_api_message() {
    let state = shared(hours(5), Timeframe::HOUR);
    let base = fake::binance(state).await;
    let clock = later();
    let b = binance(&base, &clock);
    let err = b
        .fetch("NOPE-USDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::BadRequest);
    assert!(
        err.message.contains("Invalid symbol. (code -1121)"),
        "{err}"
    );
    let err = b
        .fetch("BTCUSDT", "10m".parse().unwrap(), T0, T0 + 5 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Unsupported);
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff() {
    let state = shared(hours(5), Timeframe::HOUR);
    {
        let mut f = state.lock().unwrap();
        f.script.push_back(Scripted::status(502, "bad gateway"));
        f.script.push_back(Scripted::status(503, "unavailable"));
    }
    let base = fake::binance(state.clone()).await;
    let clock = later();
    let got = binance(&base, &clock)
        .fetch("BTCUSDT", Timeframe::HOUR, T0, T0 + 5 * HOUR)
        .await
        .unwrap();
    assert_eq!(got.len(), 5);
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_millis(500), Duration::from_millis(1000)]
    );
}

// ---------------------------------------------------------------------------------------
// CoinDesk

fn coindesk(base: &str, key: Option<&str>, clock: &Arc<ManualClock>) -> CoinDesk {
    let mut config = config();
    config.coindesk_api_key = key.and_then(ApiKey::new);
    CoinDesk::new(&config, clock.clone() as Arc<dyn Clock>).with_base_url(base)
}

#[tokio::test]
async fn coindesk_pages_backwards_with_to_ts_and_sends_the_key_in_a_header() {
    let days = series(T0 - 2999 * DAY, Timeframe::DAY, 3000);
    let state = shared(days.clone(), Timeframe::DAY);
    state.lock().unwrap().api_key = Some("cd-key-1".into());
    let base = fake::coindesk(state.clone()).await;
    let clock = later();
    let got = coindesk(&base, Some("cd-key-1"), &clock)
        .fetch("btc-usd", Timeframe::DAY, T0 - 2999 * DAY, T0 + DAY)
        .await
        .unwrap();
    assert_eq!(got, days);
    let fake = state.lock().unwrap();
    let pages: Vec<(String, String)> = fake
        .requests
        .iter()
        .map(|q| (q["to_ts"].clone(), q["limit"].clone()))
        .collect();
    assert_eq!(
        pages,
        vec![
            ((T0 / 1000).to_string(), "2000".to_string()),
            (((T0 - 2000 * DAY) / 1000).to_string(), "1000".to_string()),
        ]
    );
    for q in &fake.requests {
        assert_eq!(q["market"], "coinbase");
        assert_eq!(q["instrument"], "BTC-USD");
        assert!(!q.contains_key("api_key"), "the key travels in a header");
    }
    assert!(
        fake.auth_headers
            .iter()
            .all(|h| h.as_deref() == Some("Apikey cd-key-1"))
    );
}

#[tokio::test]
async fn coindesk_builds_four_hours_from_hours() {
    let state = shared(series(T0, Timeframe::HOUR, 48), Timeframe::HOUR);
    let base = fake::coindesk(state.clone()).await;
    let four: Timeframe = "4h".parse().unwrap();
    let got = coindesk(&base, None, &later())
        .fetch("BTC-USD", four, T0, T0 + 48 * HOUR)
        .await
        .unwrap();
    assert_eq!(
        got,
        bb_domain::resample(&series(T0, Timeframe::HOUR, 48), Timeframe::HOUR, four)
    );
    assert_eq!(got.len(), 12);
}

#[tokio::test]
async fn coindesk_errors_use_the_err_envelope_and_never_show_the_key() {
    let state = shared(series(T0, Timeframe::DAY, 10), Timeframe::DAY);
    state.lock().unwrap().api_key = Some("right-key".into());
    let base = fake::coindesk(state).await;
    let clock = later();
    let err = coindesk(&base, Some("wrong-key-secret"), &clock)
        .fetch("BTC-USD", Timeframe::DAY, T0, T0 + 10 * DAY)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Unauthorized);
    assert!(err.message.contains("valid auth key"), "{err}");
    assert!(err.message.contains("BB_COINDESK_API_KEY"), "{err}");
    assert!(!format!("{err} {err:?}").contains("wrong-key-secret"));

    let err = coindesk(&base, Some("right-key"), &clock)
        .fetch("DOGE-XYZ", Timeframe::DAY, T0, T0 + 10 * DAY)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::BadRequest);
    assert!(err.message.contains("DOGE-XYZ not integrated yet"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Coin Metrics

fn coinmetrics(base: &str, key: Option<&str>, clock: &Arc<ManualClock>) -> CoinMetrics {
    let mut config = config();
    config.coinmetrics_api_key = key.and_then(ApiKey::new);
    CoinMetrics::new(&config, clock.clone() as Arc<dyn Clock>).with_base_url(base)
}

#[tokio::test]
async fn coinmetrics_follows_next_page_tokens_and_parses_string_numbers() {
    let minutes = series(T0, Timeframe::MINUTE, 250);
    let state = shared(minutes.clone(), Timeframe::MINUTE);
    state.lock().unwrap().api_key = Some("cm-key".into());
    let base = fake::coinmetrics(state.clone()).await;
    let got = coinmetrics(&base, Some("cm-key"), &later())
        .with_page_size(100)
        .fetch("BTC-USD", Timeframe::MINUTE, T0, T0 + 250 * 60_000)
        .await
        .unwrap();
    assert_eq!(got, minutes);
    let fake = state.lock().unwrap();
    assert_eq!(fake.requests.len(), 3);
    let q = &fake.requests[0];
    assert_eq!(q["markets"], "coinbase-btc-usd-spot");
    assert_eq!(q["frequency"], "1m");
    assert_eq!(q["start_time"], "2024-01-01T00:00:00Z");
    assert_eq!(q["end_time"], "2024-01-01T04:10:00Z");
    assert_eq!(q["api_key"], "cm-key");
    assert_eq!(fake.requests[1]["next_page_token"], "tok-100");
    assert_eq!(fake.requests[2]["next_page_token"], "tok-200");
}

#[tokio::test]
async fn coinmetrics_errors_and_unreachable_servers_never_show_the_key() {
    let state = shared(series(T0, Timeframe::HOUR, 10), Timeframe::HOUR);
    state.lock().unwrap().api_key = Some("cm-right".into());
    let base = fake::coinmetrics(state).await;
    let clock = later();
    let err = coinmetrics(&base, Some("cm-wrong-secret"), &clock)
        .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + 10 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Unauthorized);
    assert!(err.message.contains("requires authorization"), "{err}");
    assert!(!format!("{err} {err:?}").contains("cm-wrong-secret"));

    let err = coinmetrics(&base, Some("cm-right"), &clock)
        .fetch("BTC-EUR", Timeframe::HOUR, T0, T0 + 10 * HOUR)
        .await
        .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::BadRequest);
    assert!(err.message.contains("coinbase-btc-eur-spot"), "{err}");

    // Nothing listens on this port: the network error must not echo the URL (and its key).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = coinmetrics(
        &format!("http://{closed}/v4"),
        Some("cm-net-secret"),
        &clock,
    )
    .with_retry(RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::default()
    })
    .fetch("BTC-USD", Timeframe::HOUR, T0, T0 + 10 * HOUR)
    .await
    .unwrap_err();
    assert_eq!(err.kind, SourceErrorKind::Network);
    assert!(err.message.contains("cannot reach"), "{err}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("cm-net-secret"), "{shown}");
    assert!(!shown.contains("api_key"), "{shown}");
}
