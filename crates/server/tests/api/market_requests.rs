//! `POST /api/v1/market/requests`: any user asks for a market Binance lists; what is missing
//! is fetched into the shared dataset by one job, deep history from Binance's dump files
//! (zips checked against their `.CHECKSUM`, times in microseconds as in 2025+ spot files),
//! the rest from klines. The fake below serves Binance's real formats with one
//! price function, so a candle from a dump and the same candle from klines are identical.

use crate::common::{ErrorCode, TestApp};
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode as AxumStatus;
use axum::routing::get;
use bb_domain::calendar;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOUR: i64 = 3_600_000;

/// The one price path: every candle is a function of its open time.
fn candle(t: i64) -> [String; 5] {
    let p = 2_000.0 + ((t / HOUR) % 97) as f64 + 0.25;
    [
        format!("{p:.2}"),
        format!("{:.2}", p + 10.0),
        format!("{:.2}", p - 5.0),
        format!("{:.2}", p + 2.0),
        "12.50000000".into(),
    ]
}

/// What the fake saw, and how it misbehaves.
#[derive(Default)]
struct Seen {
    /// Paths of dump files served (zip or checksum), and klines start times.
    dumps: Vec<String>,
    klines: Vec<i64>,
}

fn klines(q: &HashMap<String, String>) -> Value {
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (
        number("startTime").unwrap_or(0),
        number("endTime").unwrap_or(0),
    );
    let limit = number("limit").unwrap_or(500).min(1000);
    let now = bb_store::now_ms();
    let first = (start + HOUR - 1).div_euclid(HOUR) * HOUR;
    let rows: Vec<Value> = (0..)
        .map(|i| first + i * HOUR)
        .take_while(|t| *t <= end && t + HOUR <= now)
        .take(limit as usize)
        .map(|t| {
            let [o, h, l, c, v] = candle(t);
            json!([t, o, h, l, c, v, t + HOUR - 1, "0", 10, "0", "0", "0"])
        })
        .collect();
    Value::Array(rows)
}

/// The zip of a dump file for `[start, end)`, times in microseconds.
fn dump_zip(name: &str, start: i64, end: i64) -> Vec<u8> {
    let mut csv = String::new();
    let mut t = start;
    while t < end {
        let [o, h, l, c, v] = candle(t);
        csv.push_str(&format!(
            "{},{o},{h},{l},{c},{v},{},0,10,0,0,0\n",
            t * 1000,
            (t + HOUR) * 1000 - 1
        ));
        t += HOUR;
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        name.replace(".zip", ".csv"),
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(csv.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// Binance's exchangeInfo, klines and dumps. November 2026's monthly file is "not out yet"
/// (its days are); BTCUSDT's files carry a wrong checksum.
/// Candles (klines and dumps) are served only while `gate` is open.
async fn fake_binance(seen: Arc<Mutex<Seen>>, gate: tokio::sync::watch::Receiver<bool>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let info = json!({ "timezone": "UTC", "serverTime": 0, "rateLimits": [], "exchangeFilters": [],
        "symbols": [
            { "symbol": "ETHUSDT", "status": "TRADING", "baseAsset": "ETH", "quoteAsset": "USDT" },
            { "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT" },
            { "symbol": "LUNAUSDT", "status": "BREAK", "baseAsset": "LUNA", "quoteAsset": "USDT" }
        ] });
    let seen_k = seen.clone();
    let gate_k = gate.clone();
    let app = Router::new()
        .route(
            "/api/v3/exchangeInfo",
            get(move || {
                let info = info.clone();
                async move { axum::Json(info) }
            }),
        )
        .route(
            "/api/v3/klines",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let seen = seen_k.clone();
                let mut gate = gate_k.clone();
                async move {
                    let _ = gate.wait_for(|open| *open).await;
                    seen.lock().unwrap().klines.push(
                        q.get("startTime").and_then(|v| v.parse().ok()).unwrap_or(0),
                    );
                    axum::Json(klines(&q))
                }
            }),
        )
        .route(
            "/data/spot/{folder}/klines/{symbol}/{interval}/{file}",
            get(move |Path((folder, symbol, interval, file)): Path<(String, String, String, String)>| {
                let seen = seen.clone();
                let mut gate = gate.clone();
                async move {
                    let _ = gate.wait_for(|open| *open).await;
                    seen.lock().unwrap().dumps.push(file.clone());
                    let not_found = (AxumStatus::NOT_FOUND, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code></Error>".as_bytes().to_vec());
                    let (zip_name, checksum) = match file.strip_suffix(".CHECKSUM") {
                        Some(zip) => (zip.to_owned(), true),
                        None => (file.clone(), false),
                    };
                    let Some(date) = zip_name
                        .strip_prefix(&format!("{symbol}-{interval}-"))
                        .and_then(|d| d.strip_suffix(".zip"))
                    else {
                        return not_found;
                    };
                    let (start, end) = if folder == "monthly" {
                        let Some(start) = calendar::parse_iso(&format!("{date}-01")) else {
                            return not_found;
                        };
                        let (y, m) = calendar::year_month(start);
                        let end = if m == 12 { calendar::month_start_ms(y + 1, 1) } else { calendar::month_start_ms(y, m + 1) };
                        (start, end)
                    } else {
                        let Some(start) = calendar::parse_iso(date) else { return not_found };
                        (start, start + calendar::DAY_MS)
                    };
                    let now = bb_store::now_ms();
                    if end > calendar::day_start_ms(now) || (folder == "monthly" && date == "2026-11") || interval != "1h" {
                        return not_found;
                    }
                    let zip = dump_zip(&zip_name, start, end);
                    if checksum {
                        let mut sum = hex::encode(Sha256::digest(&zip));
                        if symbol == "BTCUSDT" {
                            sum = "0".repeat(64);
                        }
                        (AxumStatus::OK, format!("{sum}  {zip_name}\n").into_bytes())
                    } else {
                        (AxumStatus::OK, zip)
                    }
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn app_with_fake() -> (TestApp, Arc<Mutex<Seen>>) {
    // Open, and dropped: the candles' handlers see `true` and never wait.
    let (open, _) = tokio::sync::watch::channel(true);
    app_with_gated_fake(&open).await
}

/// The app on a fake whose candles wait until `gate` says `true`.
async fn app_with_gated_fake(
    gate: &tokio::sync::watch::Sender<bool>,
) -> (TestApp, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let binance = fake_binance(seen.clone(), gate.subscribe()).await;
    let app = TestApp::spawn_with(|c| {
        c.market = Some(bb_market::MarketConfig {
            binance_url: binance.clone(),
            binance_dumps_url: Some(binance.clone()),
            ..bb_market::MarketConfig::default()
        });
    })
    .await;
    (app, seen)
}

/// Waits (on the bus, bounded) until the fetch job `id` has finished, then returns it.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    let mut bus = app.state.db().subscribe();
    let topic = bb_store::job_topic(id);
    tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            let now = app
                .get(&format!("/api/v1/market/fetches/{id}"), Some(token))
                .await;
            let status = now.body["status"].as_str().unwrap_or("").to_owned();
            if ["succeeded", "failed", "cancelled"].contains(&status.as_str()) {
                return now.body;
            }
            // wait for the job's next event (or a slow poll's worth of them)
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                loop {
                    if let Ok(e) = bus.recv().await
                        && e.topic == topic
                    {
                        return;
                    }
                }
            })
            .await;
        }
    })
    .await
    .expect("the fetch finishes")
}

#[tokio::test]
async fn an_unstored_market_is_fetched_once_for_everyone_from_dumps_then_klines() {
    // Binance answers no candle until all six requests are answered, so the fetch cannot
    // finish before the last user asks (however slow the machine).
    let (gate, _) = tokio::sync::watch::channel(false);
    let (app, seen) = app_with_gated_fake(&gate).await;
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(app.register(&format!("u{i}@example.com")).await);
    }
    let body = json!({ "symbol": "eth-usdt", "timeframe": "1h", "from": "2026-10-01" });
    let anonymous = app
        .post("/api/v1/market/requests", None, body.clone())
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Six users at once: one job, joined by the others, one fetch charged.
    let mut set = tokio::task::JoinSet::new();
    for u in &users {
        let (client, url, token, body) = (
            app.client.clone(),
            app.url("/api/v1/market/requests"),
            u.token.clone(),
            body.clone(),
        );
        set.spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        });
    }
    let mut replies = Vec::new();
    while let Some(r) = set.join_next().await {
        replies.push(crate::common::Reply::from(r.unwrap()).await);
    }
    let mut jobs = std::collections::BTreeSet::new();
    let mut created = 0;
    for r in &replies {
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        crate::conform::assert_conforms("MarketRequestView", &r.body);
        assert_eq!(r.body["ready"], false);
        assert_eq!(r.body["symbol"], "ETH-USDT");
        jobs.insert(r.body["fetch"]["id"].as_str().unwrap().to_owned());
        if r.body["joined"] == false {
            created += 1;
        }
    }
    gate.send_replace(true);
    assert_eq!(jobs.len(), 1, "one fetch for everyone");
    assert_eq!(created, 1);
    let first = &replies[0].body;
    let (from, to) = (
        first["from_ms"].as_i64().unwrap(),
        first["to_ms"].as_i64().unwrap(),
    );
    assert_eq!(from, calendar::parse_iso("2026-10-01").unwrap());
    assert_eq!(first["missing"], json!([{ "from_ms": from, "to_ms": to }]));
    let id = jobs.into_iter().next().unwrap();

    let done = finished(&app, &users[0].token, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    crate::conform::assert_conforms("FetchView", &done);
    assert_eq!(
        (done["from_ms"].as_i64(), done["to_ms"].as_i64()),
        (Some(from), Some(to))
    );
    let expected = (to - from) / HOUR;
    assert_eq!(done["result"]["fetch"]["received"], expected, "{done}");
    assert_eq!(done["progress"]["percent"], 100.0, "{done}");
    // October's monthly file, then November's days (its monthly file is not out), then
    // December's days up to yesterday; today from klines.
    let today = calendar::day_start_ms(bb_store::now_ms());
    let days = (today - calendar::parse_iso("2026-11-01").unwrap()) / calendar::DAY_MS;
    assert_eq!(done["result"]["fetch"]["dump_files"], 1 + days, "{done}");
    {
        let seen = seen.lock().unwrap();
        assert!(seen.dumps.contains(&"ETHUSDT-1h-2026-10.zip".to_owned()));
        assert!(
            seen.dumps
                .contains(&"ETHUSDT-1h-2026-10.zip.CHECKSUM".to_owned())
        );
        assert!(seen.dumps.contains(&"ETHUSDT-1h-2026-11-15.zip".to_owned()));
        assert!(
            seen.klines.iter().all(|t| *t >= today),
            "klines only for today: {:?}",
            seen.klines
        );
    }
    // The shared dataset holds every candle, and everyone sees it.
    let dataset = first["dataset_id"].as_str().unwrap();
    for u in [&users[0], &users[5]] {
        let d = app
            .get(
                &format!("/api/v1/market/datasets/{dataset}"),
                Some(&u.token),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text);
        assert_eq!(d.body["row_count"], expected, "{}", d.text);
    }
    // Asking again: stored, nothing fetched.
    let again = app
        .post(
            "/api/v1/market/requests",
            Some(&users[3].token),
            body.clone(),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["ready"], true);
    assert_eq!(again.body["fetch"], Value::Null);
    // Only the user whose request started the fetch used a unit of the plan.
    let mut used = 0;
    for u in &users {
        let usage = app.get("/api/v1/plan-usage", Some(&u.token)).await;
        used += usage.body["data_fetches_today"]["used"].as_i64().unwrap();
        assert_eq!(usage.body["data_fetches_today"]["limit"], 20);
    }
    assert_eq!(used, 1);
    // An earlier start fetches only the head.
    let earlier = app
        .post(
            "/api/v1/market/requests",
            Some(&users[1].token),
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2026-09-30T20:00:00Z" }),
        )
        .await;
    assert_eq!(earlier.status, StatusCode::ACCEPTED, "{}", earlier.text);
    let head = &earlier.body["missing"][0];
    assert_eq!(head["to_ms"], from, "{}", earlier.text);
    let id = earlier.body["fetch"]["id"].as_str().unwrap();
    let done = finished(&app, &users[1].token, id).await;
    assert!(
        done["result"]["fetch"]["received"].as_i64().unwrap() >= 4,
        "{done}"
    );
}

#[tokio::test]
async fn a_dump_that_fails_its_checksum_is_not_stored_and_klines_take_over() {
    let (app, seen) = app_with_fake().await;
    let ada = app.register("ada@example.com").await;
    let reply = app
        .post(
            "/api/v1/market/requests",
            Some(&ada.token),
            json!({ "symbol": "BTC-USDT", "timeframe": "1h", "from": "2026-11-20", "to": "2026-11-23" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let id = reply.body["fetch"]["id"].as_str().unwrap();
    let done = finished(&app, &ada.token, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["fetch"]["received"], 72, "{done}");
    assert_eq!(done["result"]["fetch"]["dump_files"], 0, "{done}");
    let skipped = done["result"]["skipped"].to_string();
    assert!(skipped.contains("does not match its checksum"), "{skipped}");
    assert!(!seen.lock().unwrap().klines.is_empty());
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong_before_anything_is_fetched() {
    let (app, seen) = app_with_fake().await;
    let ada = app.register("ada@example.com").await;
    let cases = [
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "10m", "from": "2026-01-01" }),
            "timeframe",
        ),
        (
            json!({ "symbol": "DOGE-EUR", "timeframe": "1h", "from": "2026-01-01" }),
            "symbol",
        ),
        (
            json!({ "symbol": "LUNA-USDT", "timeframe": "1h", "from": "2026-01-01" }),
            "symbol",
        ),
        (
            json!({ "symbol": "", "timeframe": "1h", "from": "2026-01-01" }),
            "symbol",
        ),
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "yesterday" }),
            "from",
        ),
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2030-01-01" }),
            "from",
        ),
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "1m", "from": "2020-01-01" }),
            "from",
        ),
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2026-01-02", "to": "2026-01-01" }),
            "from",
        ),
        (
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2026-01-01", "to": "x".repeat(5000) }),
            "to",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/market/requests", Some(&ada.token), body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{body}: {}",
            r.text
        );
        assert!(r.text.len() < 2_000, "the message stays short: {}", r.text);
    }
    let unknown = app
        .post(
            "/api/v1/market/requests",
            Some(&ada.token),
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2026-01-01", "sources": ["coindesk"] }),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    let seen = seen.lock().unwrap();
    assert!(
        seen.dumps.is_empty() && seen.klines.is_empty(),
        "nothing was fetched"
    );
}

#[tokio::test]
async fn with_binance_unreachable_stored_data_still_works_and_the_answer_says_so() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(|c| {
        c.market = Some(bb_market::MarketConfig {
            binance_url: closed.clone(),
            binance_dumps_url: Some(closed.clone()),
            ..bb_market::MarketConfig::default()
        });
    })
    .await;
    let ada = app.register("ada@example.com").await;
    let r = app
        .post(
            "/api/v1/market/requests",
            Some(&ada.token),
            json!({ "symbol": "ETH-USDT", "timeframe": "1h", "from": "2026-01-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text);
    assert_eq!(r.error_code(), ErrorCode::UpstreamUnavailable);
    assert!(r.text.contains("Stored datasets still work"), "{}", r.text);
}
