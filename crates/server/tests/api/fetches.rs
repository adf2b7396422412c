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
    // a shared dataset: Ada sees it too, and cannot read the admin's job
    let listed = app.get("/api/v1/market/datasets", Some(&ada.token)).await;
    assert!(listed.text.contains("BTC-USDT"), "{}", listed.text);
    let theirs = app
        .get(&format!("/api/v1/market/fetches/{id}"), Some(&ada.token))
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
}
