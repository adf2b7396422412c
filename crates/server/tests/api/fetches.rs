//! `POST /api/v1/market/fetches`: a connector backfill queued as a job and run by the
//! in-process workers against a local fake of Binance's klines endpoint (its real wire
//! format: arrays of 12 values, prices as strings, at most `limit` per page).

use crate::common::TestApp;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// 2024-01-01 00:00 UTC.
const T0: i64 = 1_704_067_200_000;
const HOUR: i64 = 3_600_000;

/// Hourly klines from `startTime` to `endTime`, `limit` at most.
async fn klines(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (
        number("startTime").unwrap_or(T0),
        number("endTime").unwrap_or(T0),
    );
    let limit = number("limit").unwrap_or(500);
    assert_eq!(q.get("interval").map(String::as_str), Some("1h"));
    assert_eq!(q.get("symbol").map(String::as_str), Some("BTCUSDT"));
    let first = (start + HOUR - 1) / HOUR * HOUR;
    let rows: Vec<Value> = (0..)
        .map(|i| first + i * HOUR)
        .take_while(|t| *t <= end)
        .take(limit as usize)
        .map(|t| {
            let p = 42_000.0 + ((t / HOUR) % 100) as f64;
            json!([
                t,
                format!("{p}"),
                format!("{}", p + 10.0),
                format!("{}", p - 5.0),
                format!("{}", p + 2.0),
                "12.5",
                t + HOUR - 1,
                "525000.0",
                100,
                "6.0",
                "252000.0",
                "0"
            ])
        })
        .collect();
    axum::Json(Value::Array(rows))
}

async fn fake_binance() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/api/v3/klines", get(klines));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_admin_queues_a_backfill_that_a_worker_stores() {
    let binance = fake_binance().await;
    let app = TestApp::spawn_with(|c| {
        c.market = Some(bb_market::MarketConfig {
            binance_url: binance.clone(),
            ..bb_market::MarketConfig::default()
        });
    })
    .await;
    let admin = app.register("admin@example.com").await;
    app.make_admin(&admin).await;
    let ada = app.register("ada@example.com").await;
    let body = json!({ "symbol": "BTC-USDT", "timeframe": "1h", "sources": ["binance"],
                       "from": "2024-01-01", "to": "2024-01-05" });

    let refused = app
        .post("/api/v1/market/fetches", Some(&ada.token), body.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let bad = app
        .post(
            "/api/v1/market/fetches",
            Some(&admin.token),
            json!({ "symbol": "BTC-USDT", "timeframe": "1h", "sources": ["kraken"], "from": "2024-01-01" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["error"]["details"]["field"], "sources[0]");
    let empty = app
        .post(
            "/api/v1/market/fetches",
            Some(&admin.token),
            json!({ "symbol": "ETH-USDT", "timeframe": "1h" }),
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    assert_eq!(empty.body["error"]["details"]["field"], "from");

    let mut bus = app.state.db().subscribe();
    let queued = app
        .post("/api/v1/market/fetches", Some(&admin.token), body)
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let id = queued.body["id"].as_str().unwrap().to_owned();
    let topic = bb_store::job_topic(&id);
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(e) = bus.recv().await
                && e.topic == topic
            {
                return;
            }
        }
    })
    .await
    .expect("the worker finishes the fetch");

    let done = app
        .get(&format!("/api/v1/market/fetches/{id}"), Some(&admin.token))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    // 2024-01-01 00:00 up to (not including) 2024-01-05 00:00: 96 hourly candles
    assert_eq!(
        done.body["result"]["fetch"]["received"], 96,
        "{}",
        done.text
    );
    assert_eq!(done.body["result"]["fetch"]["by_source"]["binance"], 96);
    let dataset = done.body["dataset_id"].as_str().unwrap();
    let candles = app
        .get(
            &format!("/api/v1/market/datasets/{dataset}/candles"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(candles.status, StatusCode::OK, "{}", candles.text);
    let shown = serde_json::to_string(&candles.body).unwrap();
    assert!(shown.contains(&T0.to_string()), "{shown}");
    // a shared dataset: Ada sees it too, and may follow the fetch that fills it
    let listed = app.get("/api/v1/market/datasets", Some(&ada.token)).await;
    assert!(listed.text.contains("BTC-USDT"), "{}", listed.text);
    let theirs = app
        .get(&format!("/api/v1/market/fetches/{id}"), Some(&ada.token))
        .await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    assert_eq!(theirs.body["dataset_id"], dataset);
}

/// Binance's `exchangeInfo`, in its real shape, counting the requests it answers; or a 503
/// once `down` is set.
async fn fake_exchange_info(
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> String {
    use std::sync::atomic::Ordering;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/api/v3/exchangeInfo",
        get(move || {
            let (calls, down) = (calls.clone(), down.clone());
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                if down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "maintenance".to_string());
                }
                let symbols: Vec<Value> = [
                    ("ETHUSDT", "ETH", "USDT", "TRADING"),
                    ("BTCUSDT", "BTC", "USDT", "TRADING"),
                    ("ETHBTC", "ETH", "BTC", "TRADING"),
                    ("LUNAUSDT", "LUNA", "USDT", "BREAK"),
                ]
                .iter()
                .map(|(s, b, q, status)| {
                    json!({ "symbol": s, "status": status, "baseAsset": b, "quoteAsset": q,
                            "baseAssetPrecision": 8, "quotePrecision": 8, "orderTypes": ["LIMIT"] })
                })
                .collect();
                let body = json!({ "timezone": "UTC", "serverTime": T0, "rateLimits": [],
                                   "exchangeFilters": [], "symbols": symbols });
                (StatusCode::OK, body.to_string())
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn any_user_picks_from_the_markets_binance_lists_fetched_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let binance = fake_exchange_info(calls.clone(), down.clone()).await;
    let app = TestApp::spawn_with(|c| {
        c.market = Some(bb_market::MarketConfig {
            binance_url: binance.clone(),
            ..bb_market::MarketConfig::default()
        });
    })
    .await;
    let ada = app.register("ada@example.com").await;
    let anonymous = app.get("/api/v1/market/symbols", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Ten requests at once share one fetch.
    let replies = futures_join_all(&app, &ada.token, 10).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let all = &replies[0].body;
    crate::conform::assert_conforms("SymbolList", all);
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["BTC-USDT", "ETH-BTC", "ETH-USDT"],
        "trading ones only"
    );
    assert!(all["timeframes"].as_array().unwrap().contains(&json!("4h")));
    assert_eq!(all["stale"], false);

    let eth_usdt = app
        .get("/api/v1/market/symbols?q=eth&quote=usdt", Some(&ada.token))
        .await;
    assert_eq!(eth_usdt.body["total"], 1, "{}", eth_usdt.text);
    assert_eq!(eth_usdt.body["items"][0]["quote"], "USDT");
    let bad = app
        .get("/api/v1/market/symbols?limit=501", Some(&ada.token))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(bad.body["error"]["details"]["field"], "limit");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "served from the cache");
    // Binance going down later does not matter within the hour.
    down.store(true, Ordering::SeqCst);
    let cached = app.get("/api/v1/market/symbols", Some(&ada.token)).await;
    assert_eq!(cached.status, StatusCode::OK);
}

#[tokio::test]
async fn with_binance_unreachable_and_nothing_cached_the_answer_says_so() {
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(|c| {
        c.market = Some(bb_market::MarketConfig {
            binance_url: closed.clone(),
            ..bb_market::MarketConfig::default()
        });
    })
    .await;
    let ada = app.register("ada@example.com").await;
    let reply = app.get("/api/v1/market/symbols", Some(&ada.token)).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text);
    assert_eq!(
        reply.error_code(),
        crate::common::ErrorCode::UpstreamUnavailable
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Stored datasets still work"),
        "{}",
        reply.text
    );
}

async fn futures_join_all(app: &TestApp, token: &str, n: usize) -> Vec<crate::common::Reply> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/market/symbols"),
            token.to_owned(),
        );
        set.spawn(async move { client.get(url).bearer_auth(token).send().await.unwrap() });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(crate::common::Reply::from(r.unwrap()).await);
    }
    out
}
