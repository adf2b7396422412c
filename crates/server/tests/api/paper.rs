//! `/api/v1/paper-trades`: a replay of the demo's daily BTC candles through the in-process
//! workers (a tick a second), followed over the live event stream; pause, resume and stop
//! over HTTP; who may see what; the plan's limit; and bad input named by field.

use crate::common::{ErrorCode, TestApp};
use crate::runs::SseStream;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn setup(app: &TestApp, email: &str) -> (crate::common::Account, String, String) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let user = app.register(email).await;
    let strategy = app
        .create_strategy(&user.token, "My crossover", "private")
        .await;
    let datasets = app.get("/api/v1/market/datasets", Some(&user.token)).await;
    let daily = datasets.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["symbol"] == "BTC-USD" && d["timeframe"] == "1d")
        .expect("the demo's daily BTC")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (user, strategy, daily)
}

#[tokio::test]
async fn a_replay_trades_live_over_the_event_stream_and_stops_closing_its_position() {
    let app = TestApp::spawn().await;
    let (ada, strategy, daily) = setup(&app, "ada@example.com").await;
    let anonymous = app.get("/api/v1/paper-trades", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let created = app
        .post(
            "/api/v1/paper-trades",
            Some(&ada.token),
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-07-20",
                    "alert_config": { "no_trade_bars": 2, "max_drawdown_pct": 20 } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    crate::conform::assert_conforms("PaperRunView", &created.body);
    assert_eq!(created.body["status"], "scheduled");
    assert_eq!(created.body["mode"], "replay");
    assert_eq!(created.body["fee_pct"], 0.1, "fees on by default");
    let id = created.body["id"].as_str().unwrap().to_owned();

    // Follow the ledger live until a few candles have been processed.
    let mut stream = SseStream::open(
        &app,
        &format!("/api/v1/paper-trades/{id}/events"),
        &ada.token,
    )
    .await;
    let mut ticks = 0;
    let mut kinds = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while ticks < 4 {
            let e = stream.next().await.expect("the stream goes on");
            if e.event == "tick" {
                ticks += 1;
            }
            kinds.push(e.event.clone());
        }
    })
    .await
    .expect("four candles within a minute");
    assert_eq!(kinds[0], "status", "{kinds:?}");
    drop(stream);

    let run = app
        .get(&format!("/api/v1/paper-trades/{id}"), Some(&ada.token))
        .await;
    assert_eq!(run.status, StatusCode::OK);
    assert_eq!(run.body["status"], "active");
    assert!(run.body["candles"].as_i64().unwrap() >= 4);
    let ledger = app
        .get(
            &format!("/api/v1/paper-trades/{id}/ledger?after=0&limit=500"),
            Some(&ada.token),
        )
        .await;
    crate::conform::assert_conforms("PaperLedger", &ledger.body);
    let equity = app
        .get(
            &format!("/api/v1/paper-trades/{id}/equity"),
            Some(&ada.token),
        )
        .await;
    crate::conform::assert_conforms("PaperEquity", &equity.body);
    assert!(equity.body["equity"].as_array().unwrap().len() >= 4);

    // A quiet start (no entry on the first candles of this replay): the no-trade alert fired
    // on the second candle, in the ledger and as a notification, once per episode.
    let items = ledger.body["items"].as_array().unwrap();
    let ticks: Vec<i64> = items
        .iter()
        .filter(|e| e["kind"] == "tick")
        .map(|e| e["candle_ts"].as_i64().unwrap())
        .collect();
    let notes: Vec<&Value> = items
        .iter()
        .filter(|e| e["payload"]["alert"] == "no_trade")
        .collect();
    assert!(!notes.is_empty(), "{}", ledger.text);
    assert_eq!(
        notes[0]["candle_ts"].as_i64(),
        Some(ticks[1]),
        "{}",
        ledger.text
    );
    let inbox = app.get("/api/v1/notifications", Some(&ada.token)).await;
    let alerts: Vec<&Value> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "paper_trade_alert")
        .collect();
    assert_eq!(
        alerts.len(),
        notes.len(),
        "one notification per episode: {}",
        inbox.text
    );
    assert_eq!(alerts[0]["link"], format!("/paper/{id}"));
    // Thresholds can be changed, within range, by the owner only.
    let bad = app
        .patch(
            &format!("/api/v1/paper-trades/{id}"),
            Some(&ada.token),
            json!({ "alert_config": { "max_drawdown_pct": 150 } }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(
        bad.body["error"]["details"]["field"],
        "alert_config.max_drawdown_pct"
    );
    let changed = app
        .patch(
            &format!("/api/v1/paper-trades/{id}"),
            Some(&ada.token),
            json!({ "alert_config": { "max_consecutive_losses": 3 } }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["alert_config"]["max_consecutive_losses"], 3);
    assert_eq!(changed.body["alert_config"]["no_trade_bars"], Value::Null);

    // The drift report: the same engine on the same candles, so no difference.
    let drift = app
        .get(
            &format!("/api/v1/paper-trades/{id}/drift"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);
    crate::conform::assert_conforms("DriftReport", &drift.body);
    assert_eq!(drift.body["differences"], json!([]), "{}", drift.text);
    let metrics = app
        .get(
            &format!("/api/v1/paper-trades/{id}/metrics"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.text);
    crate::conform::assert_conforms("PaperMetrics", &metrics.body);
    assert!(
        metrics.body["candles"].as_u64().unwrap() >= 4,
        "{}",
        metrics.text
    );
    let anonymous = app
        .get(&format!("/api/v1/paper-trades/{id}/metrics"), None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Pause, then resume; both only from the right state.
    let paused = app
        .post(
            &format!("/api/v1/paper-trades/{id}/pause"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text);
    assert_eq!(paused.body["status"], "paused");
    let again = app
        .post(
            &format!("/api/v1/paper-trades/{id}/pause"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let resumed = app
        .post(
            &format!("/api/v1/paper-trades/{id}/resume"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(resumed.body["status"], "active", "{}", resumed.text);

    // Someone else sees nothing and can do nothing.
    let eve = app.register("eve@example.com").await;
    for path in ["", "/ledger", "/equity", "/events", "/drift", "/metrics"] {
        let r = app
            .get(
                &format!("/api/v1/paper-trades/{id}{path}"),
                Some(&eve.token),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app
        .patch(
            &format!("/api/v1/paper-trades/{id}"),
            Some(&eve.token),
            json!({ "alert_config": {} }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    for action in ["pause", "resume", "stop"] {
        let r = app
            .post(
                &format!("/api/v1/paper-trades/{id}/{action}"),
                Some(&eve.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.text);
    }
    let theirs = app.get("/api/v1/paper-trades", Some(&eve.token)).await;
    assert_eq!(theirs.body["items"], json!([]));

    // Stop: the position (if any) closes at the last price and the run says so.
    let stopped = app
        .post(
            &format!("/api/v1/paper-trades/{id}/stop"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.text);
    assert_eq!(stopped.body["status"], "stopped");
    assert_eq!(stopped.body["position"], Value::Null);
    let note = stopped.body["stop_note"].as_str().unwrap();
    assert!(note.starts_with("Stopped by you."), "{note}");
    let twice = app
        .post(
            &format!("/api/v1/paper-trades/{id}/stop"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // A stopped run's stream sends what there is and ends.
    let all = SseStream::open(
        &app,
        &format!("/api/v1/paper-trades/{id}/events"),
        &ada.token,
    )
    .await
    .collect()
    .await;
    assert_eq!(all.last().unwrap().event, "status", "ends with the stop");
    let list = app.get("/api/v1/paper-trades", Some(&ada.token)).await;
    assert_eq!(list.body["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn bad_requests_and_the_plans_limit() {
    let app = TestApp::spawn().await;
    let (ada, strategy, daily) = setup(&app, "ada@example.com").await;
    let cases = [
        (
            json!({ "strategy_id": strategy, "dataset_id": daily }),
            "dataset_id",
        ),
        (
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "1999-01-01" }),
            "replay_from",
        ),
        (
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "x".repeat(3000) }),
            "replay_from",
        ),
        (
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01", "fee_pct": 100 }),
            "fee_pct",
        ),
        (
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01", "version": 9 }),
            "version",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/paper-trades", Some(&ada.token), body.clone())
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
        assert!(r.text.len() < 2_000, "{}", r.text);
    }
    let unknown = app
        .post("/api/v1/paper-trades", Some(&ada.token), json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01", "leverage": 100 }))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    // Another user's private strategy is not found.
    let eve = app.register("eve@example.com").await;
    let r = app
        .post(
            "/api/v1/paper-trades",
            Some(&eve.token),
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // The free plan's limit on runs not stopped.
    let limit = app.get("/api/v1/plan-usage", Some(&ada.token)).await.body["max_paper_runs"]
        .as_i64()
        .unwrap();
    let body = json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01" });
    for _ in 0..limit {
        let r = app
            .post("/api/v1/paper-trades", Some(&ada.token), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let over = app
        .post("/api/v1/paper-trades", Some(&ada.token), body.clone())
        .await;
    assert_eq!(over.status, StatusCode::FORBIDDEN, "{}", over.text);
    assert_eq!(over.error_code(), ErrorCode::QuotaExceeded);
    assert_eq!(over.body["error"]["details"]["metric"], "paper_runs");
    assert!(over.body["error"]["details"]["upgrade"].is_string());
    // Stopping one frees a place.
    let first = app.get("/api/v1/paper-trades", Some(&ada.token)).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stopped = app
        .post(
            &format!("/api/v1/paper-trades/{first}/stop"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.text);
    let fits = app
        .post("/api/v1/paper-trades", Some(&ada.token), body)
        .await;
    assert_eq!(fits.status, StatusCode::CREATED, "{}", fits.text);
}

#[tokio::test]
async fn a_basket_replays_from_one_cash_balance_and_bad_baskets_are_named() {
    let app = TestApp::spawn().await;
    let (ada, strategy, daily) = setup(&app, "ada@example.com").await;
    let datasets = app.get("/api/v1/market/datasets", Some(&ada.token)).await;
    let id_of = |symbol: &str| {
        datasets.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["symbol"] == symbol)
            .unwrap_or_else(|| panic!("the demo's {symbol}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (eth, ltc, xlm) = (id_of("ETH-BTC"), id_of("LTC-BTC"), id_of("XLM-BTC"));
    let base = json!({ "strategy_id": strategy, "dataset_id": eth, "timeframe": "5m",
                       "replay_from": "2018-01-15" });
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (with(json!({ "basket": ["no-such-dataset"] })), "basket[0]"),
        (
            with(json!({ "basket": ["x".repeat(100_000)] })),
            "basket[0]",
        ),
        (with(json!({ "basket": [ltc, eth] })), "basket[1]"),
        (with(json!({ "basket": vec![ltc.clone(); 10] })), "basket"),
        (
            with(json!({ "basket": [ltc], "max_allocation_pct": 0 })),
            "max_allocation_pct",
        ),
        (
            with(json!({ "basket": [ltc], "max_allocation_pct": 150 })),
            "max_allocation_pct",
        ),
        (
            with(json!({ "max_allocation_pct": 50 })),
            "max_allocation_pct",
        ),
        (
            json!({ "strategy_id": strategy, "dataset_id": daily, "replay_from": "2021-01-01",
                    "basket": [ltc] }),
            "basket[0]",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/paper-trades", Some(&ada.token), body.clone())
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
        assert!(
            r.text.len() < 2_000,
            "the answer quotes little of what was sent"
        );
    }
    // Another user cannot put a basket in anyone's name, nor see this one.
    let created = app
        .post(
            "/api/v1/paper-trades",
            Some(&ada.token),
            with(json!({ "basket": [ltc, xlm] })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    crate::conform::assert_conforms("PaperRunView", &created.body);
    assert_eq!(created.body["symbol"], "ETH-BTC + LTC-BTC + XLM-BTC");
    let basket = &created.body["basket"];
    assert_eq!(basket["members"].as_array().unwrap().len(), 3);
    assert!((basket["max_allocation_pct"].as_f64().unwrap() - 100.0 / 3.0).abs() < 1e-9);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let eve = app.register("eve@example.com").await;
    let seen = app
        .get(&format!("/api/v1/paper-trades/{id}"), Some(&eve.token))
        .await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);

    // Its ticks arrive over the stream, one time (three candles) each.
    let mut stream = SseStream::open(
        &app,
        &format!("/api/v1/paper-trades/{id}/events"),
        &ada.token,
    )
    .await;
    let mut ticks = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while ticks.len() < 3 {
            let e = stream.next().await.expect("the stream goes on");
            if e.event == "tick" {
                ticks.push(e.data["message"].as_str().unwrap_or_default().to_owned());
            }
        }
    })
    .await
    .expect("three times within a minute");
    drop(stream);
    assert!(
        ticks.iter().all(|t| t.contains("(3 of 3 markets)")),
        "{ticks:?}"
    );
    let run = app
        .get(&format!("/api/v1/paper-trades/{id}"), Some(&ada.token))
        .await;
    assert_eq!(run.status, StatusCode::OK);
    crate::conform::assert_conforms("PaperRunView", &run.body);
    assert!(run.body["cash"].as_f64().is_some(), "{}", run.text);
    assert!(run.body["positions"].is_array());
    let drift = app
        .get(
            &format!("/api/v1/paper-trades/{id}/drift"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(drift.status, StatusCode::OK, "{}", drift.text);
    assert_eq!(
        drift.body["differences"].as_array().unwrap().len(),
        0,
        "{}",
        drift.text
    );
    let stopped = app
        .post(
            &format!("/api/v1/paper-trades/{id}/stop"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.text);
    assert_eq!(stopped.body["status"], "stopped");
}
