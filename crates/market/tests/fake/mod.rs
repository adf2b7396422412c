//! Local fake servers replaying the providers' wire formats (Binance klines, CoinDesk Data
//! API, Coin Metrics API v4), with scripted failures. Each runs on 127.0.0.1:0 inside the
//! test's runtime and logs the query of every request it gets.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bb_domain::{Candles, Timeframe};
use serde_json::{Value, json};

/// 2024-01-01 00:00 UTC.
pub const T0: i64 = 1_704_067_200_000;

/// `n` candles of `tf` from `start`, with distinct, exactly decimal values.
pub fn series(start: i64, tf: Timeframe, n: usize) -> Candles {
    let mut c = Candles::default();
    for i in 0..n {
        let p = 42_000.0 + ((i * 37) % 1000) as f64 + 0.25;
        c.push(
            start + i as i64 * tf.millis(),
            p,
            p + 12.5,
            p - 7.75,
            p + 3.0,
            10.0 + (i % 13) as f64 * 0.5,
        );
    }
    c
}

/// A scripted reply that replaces the next normal one.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Scripted {
    pub fn status(status: u16, body: &str) -> Scripted {
        Scripted {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn retry_after(status: u16, seconds: u64) -> Scripted {
        Scripted {
            status,
            headers: vec![("retry-after", seconds.to_string())],
            body: String::new(),
        }
    }
}

/// What a fake server serves and what it saw.
#[derive(Debug, Default)]
pub struct Fake {
    pub candles: Candles,
    pub timeframe: Option<Timeframe>,
    pub script: VecDeque<Scripted>,
    pub requests: Vec<HashMap<String, String>>,
    pub auth_headers: Vec<Option<String>>,
    /// Binance: the `X-MBX-USED-WEIGHT-1M` value of each reply, by request number (else 2
    /// per request).
    pub weights: HashMap<usize, u32>,
    /// Fail with 500 when the requested range touches `[from, to)`.
    pub fail_range: Option<(i64, i64)>,
    /// The API key the server accepts (CoinDesk, Coin Metrics).
    pub api_key: Option<String>,
}

pub type Shared = Arc<Mutex<Fake>>;

pub fn shared(candles: Candles, tf: Timeframe) -> Shared {
    Arc::new(Mutex::new(Fake {
        candles,
        timeframe: Some(tf),
        ..Fake::default()
    }))
}

/// Starts `router` on 127.0.0.1:0; returns its base URL.
pub async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("fake server");
    });
    format!("http://{addr}")
}

fn scripted(reply: Scripted) -> Response {
    let mut headers = HeaderMap::new();
    for (k, v) in reply.headers {
        headers.insert(k, HeaderValue::from_str(&v).expect("header value"));
    }
    (
        StatusCode::from_u16(reply.status).expect("status"),
        headers,
        reply.body,
    )
        .into_response()
}

fn record(fake: &mut Fake, q: &HashMap<String, String>, headers: &HeaderMap) -> Option<Response> {
    fake.requests.push(q.clone());
    fake.auth_headers.push(
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    fake.script.pop_front().map(scripted)
}

fn in_fail_range(fake: &Fake, from: i64, to: i64) -> bool {
    fake.fail_range.is_some_and(|(a, b)| from < b && to >= a)
}

// ---------------------------------------------------------------------------------------
// Binance: GET /api/v3/klines

pub async fn binance(state: Shared) -> String {
    spawn(
        Router::new()
            .route("/api/v3/klines", get(binance_klines))
            .with_state(state),
    )
    .await
}

async fn binance_klines(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = state.lock().expect("fake state");
    if let Some(r) = record(&mut fake, &q, &headers) {
        return r;
    }
    let n = fake.requests.len();
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    if q.get("symbol").map(String::as_str) != Some("BTCUSDT") {
        return (
            StatusCode::BAD_REQUEST,
            json!({"code": -1121, "msg": "Invalid symbol."}).to_string(),
        )
            .into_response();
    }
    let start = num("startTime").unwrap_or(i64::MIN);
    let end = num("endTime").unwrap_or(i64::MAX);
    let limit = num("limit").unwrap_or(500) as usize;
    if in_fail_range(&fake, start, end) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    }
    let tf = fake.timeframe.expect("timeframe").millis();
    let c = &fake.candles;
    let rows: Vec<Value> = (0..c.len())
        .filter(|&i| c.ts[i] >= start && c.ts[i] <= end)
        .take(limit)
        .map(|i| {
            json!([
                c.ts[i],
                format!("{:.8}", c.open[i]),
                format!("{:.8}", c.high[i]),
                format!("{:.8}", c.low[i]),
                format!("{:.8}", c.close[i]),
                format!("{:.8}", c.volume[i]),
                c.ts[i] + tf - 1,
                "1000.0",
                42,
                "1.0",
                "2.0",
                "0"
            ])
        })
        .collect();
    let weight = fake.weights.get(&n).copied().unwrap_or(2 * n as u32);
    (
        [("x-mbx-used-weight-1m", weight.to_string())],
        Value::Array(rows).to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// CoinDesk: GET /spot/v1/historical/{days|hours|minutes}

pub async fn coindesk(state: Shared) -> String {
    spawn(
        Router::new()
            .route("/spot/v1/historical/{unit}", get(coindesk_ohlcv))
            .with_state(state),
    )
    .await
}

async fn coindesk_ohlcv(
    State(state): State<Shared>,
    Path(unit): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = state.lock().expect("fake state");
    if let Some(r) = record(&mut fake, &q, &headers) {
        return r;
    }
    if let Some(key) = &fake.api_key {
        let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
        if sent != Some(format!("Apikey {key}").as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                json!({"Data": {}, "Err": {"type": 1, "message": "You need a valid auth key or api key to access this endpoint", "other_info": {}}}).to_string(),
            )
                .into_response();
        }
    }
    let instrument = q.get("instrument").cloned().unwrap_or_default();
    if instrument != "BTC-USD" {
        return (
            StatusCode::BAD_REQUEST,
            json!({"Data": [], "Err": {"type": 2, "message": format!("Not found: market and instrument pair. Value {instrument} not integrated yet."), "other_info": {"param": "instrument", "values": [instrument]}}}).to_string(),
        )
            .into_response();
    }
    let unit_ms = match unit.as_str() {
        "days" => 86_400_000,
        "hours" => 3_600_000,
        "minutes" => 60_000,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    assert_eq!(
        fake.timeframe.expect("timeframe").millis(),
        unit_ms,
        "the connector asked for the unit the fake serves"
    );
    let to_ts = q
        .get("to_ts")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MAX / 1000)
        * 1000;
    let limit = q
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30);
    let from_ts = to_ts - (limit as i64 - 1) * unit_ms;
    if in_fail_range(&fake, from_ts, to_ts) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream timeout").into_response();
    }
    let c = &fake.candles;
    let kind = match unit.as_str() {
        "days" => "DAY",
        "hours" => "HOUR",
        _ => "MINUTE",
    };
    let rows: Vec<Value> = (0..c.len())
        .filter(|&i| c.ts[i] <= to_ts && c.ts[i] >= from_ts)
        .map(|i| {
            json!({
                "UNIT": kind,
                "TIMESTAMP": c.ts[i] / 1000,
                "TYPE": "267",
                "MARKET": q.get("market").cloned().unwrap_or_default(),
                "INSTRUMENT": "BTC-USD",
                "MAPPED_INSTRUMENT": "BTC-USD",
                "BASE": "BTC",
                "QUOTE": "USD",
                "BASE_ID": 1,
                "QUOTE_ID": 5,
                "TRANSFORM_FUNCTION": "",
                "OPEN": c.open[i],
                "HIGH": c.high[i],
                "LOW": c.low[i],
                "CLOSE": c.close[i],
                "FIRST_TRADE_TIMESTAMP": c.ts[i] / 1000,
                "LAST_TRADE_TIMESTAMP": c.ts[i] / 1000 + unit_ms / 1000 - 1,
                "TOTAL_TRADES": 1200,
                "VOLUME": c.volume[i],
                "QUOTE_VOLUME": c.volume[i] * c.close[i],
            })
        })
        .collect();
    json!({"Data": rows, "Err": {}}).to_string().into_response()
}

// ---------------------------------------------------------------------------------------
// Coin Metrics: GET /v4/timeseries/market-candles

pub async fn coinmetrics(state: Shared) -> String {
    let base = spawn(
        Router::new()
            .route("/v4/timeseries/market-candles", get(coinmetrics_candles))
            .with_state(state),
    )
    .await;
    format!("{base}/v4")
}

fn rfc3339_nanos(ms: i64) -> String {
    format!(
        "{}.000000000Z",
        bb_data::format_utc(ms).replacen(' ', "T", 1)
    )
}

async fn coinmetrics_candles(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut fake = state.lock().expect("fake state");
    if let Some(r) = record(&mut fake, &q, &headers) {
        return r;
    }
    if let Some(key) = &fake.api_key
        && q.get("api_key") != Some(key)
    {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"error": {"type": "unauthorized", "message": "Requested resource requires authorization."}}).to_string(),
        )
            .into_response();
    }
    let market = q.get("markets").cloned().unwrap_or_default();
    if market != "coinbase-btc-usd-spot" {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": {"type": "bad_parameter", "message": format!("Bad parameter 'markets'. Market '{market}' is not supported.")}}).to_string(),
        )
            .into_response();
    }
    let time = |k: &str| {
        q.get(k)
            .and_then(|v| bb_data::parse_timestamp(v, None).ok())
    };
    let start = time("start_time").unwrap_or(i64::MIN);
    let end = time("end_time").unwrap_or(i64::MAX);
    let end_inclusive = q.get("end_inclusive").map(String::as_str) != Some("false");
    if in_fail_range(&fake, start, end) {
        return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
    }
    let page_size = q
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100);
    let offset = q
        .get("next_page_token")
        .and_then(|v| v.strip_prefix("tok-"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let c = &fake.candles;
    let matching: Vec<usize> = (0..c.len())
        .filter(|&i| c.ts[i] >= start && (c.ts[i] < end || (end_inclusive && c.ts[i] == end)))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|&i| {
            json!({
                "market": market,
                "time": rfc3339_nanos(c.ts[i]),
                "price_open": c.open[i].to_string(),
                "price_close": c.close[i].to_string(),
                "price_high": c.high[i].to_string(),
                "price_low": c.low[i].to_string(),
                "vwap": ((c.high[i] + c.low[i]) / 2.0).to_string(),
                "volume": c.volume[i].to_string(),
                "candle_usd_volume": (c.volume[i] * c.close[i]).to_string(),
                "candle_trades_count": "212",
            })
        })
        .collect();
    let mut body = json!({ "data": page });
    if offset + page_size < matching.len() {
        let token = format!("tok-{}", offset + page_size);
        body["next_page_token"] = json!(token);
        body["next_page_url"] = json!(format!(
            "https://api.coinmetrics.io/v4/timeseries/market-candles?markets={market}&next_page_token={token}"
        ));
    }
    body.to_string().into_response()
}
