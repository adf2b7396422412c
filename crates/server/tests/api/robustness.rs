//! The robustness lab over real HTTP with the workers in-process: submit → live progress →
//! a report with verdicts; the holdout withheld until opened, each run's look counted once
//! and visible on every run of the strategy; the same seed gives the same numbers; runs are
//! their owner's alone; every setting out of range or deeper than the plan is refused with
//! its field, before anything is queued.

use crate::common::{ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::runs::SseStream;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn setup(app: &TestApp, email: &str) -> (crate::common::Account, String) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let user = app.register(email).await;
    let strategy = app
        .create_strategy(&user.token, "My crossover", "private")
        .await;
    (user, strategy)
}

fn request(strategy: &str) -> Value {
    json!({
        "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d",
        "params": ["fast.period=5..20:5", "slow.period=30..90:20"],
        "where": ["fast.period<slow.period"],
        "windows": 3, "min_trades": 2, "monte_carlo_runs": 200, "seed": 7, "pbo_blocks": 8
    })
}

/// Submits and follows the run to its end; returns its id.
async fn run(app: &TestApp, token: &str, body: Value) -> String {
    let reply = app.post("/api/v1/robustness", Some(token), body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_conforms("RunView", &reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/robustness/{id}").as_str())
    );
    let events = SseStream::open(app, &format!("/api/v1/robustness/{id}/events"), token)
        .await
        .collect()
        .await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds.last(), Some(&"succeeded"), "{kinds:?} {events:?}");
    assert!(kinds.contains(&"progress"), "{kinds:?}");
    id
}

#[tokio::test]
async fn a_robustness_run_reports_verdicts_and_withholds_the_holdout_until_it_is_opened() {
    let app = TestApp::spawn().await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let id = run(&app, &ada.token, request(&strategy)).await;
    let detail = app
        .get(&format!("/api/v1/robustness/{id}"), Some(&ada.token))
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert_conforms("RobustnessDetail", &detail.body);
    let report = &detail.body["report"];
    // fast 5..20:5 × slow 30..90:20, every fast below every slow
    assert_eq!(report["combinations"], 16, "{}", detail.text);
    assert_eq!(
        report["walk_forward"]["windows"].as_array().unwrap().len(),
        3
    );
    assert_eq!(report["spec"]["seed"], 7);
    let verdicts = report["verdicts"].as_array().unwrap();
    assert!(verdicts.len() >= 5, "{verdicts:?}");
    for v in verdicts {
        for field in ["headline", "method", "thresholds"] {
            assert!(!v[field].as_str().unwrap().is_empty(), "{v}");
        }
    }
    assert!(
        verdicts.iter().any(|v| v["check"] == "walk_forward"),
        "{verdicts:?}"
    );
    assert!(!report["headline"].as_str().unwrap().is_empty());
    // the holdout: its candles are named, its result withheld
    let holdout = &report["holdout"];
    assert!(holdout["span"]["bars"].as_u64().unwrap() > 100, "{holdout}");
    assert!(holdout["result"].is_null(), "{holdout}");
    assert_eq!(detail.body["holdout_opened"], false);
    assert_eq!(detail.body["holdout_looks"], 0);
    // the summary lists it with its verdicts
    let list = app
        .get(
            &format!("/api/v1/robustness?strategy_id={strategy}"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_conforms("RunPage", &list.body);
    assert_eq!(list.body["items"][0]["summary"]["seed"], 7);
    assert!(
        !list.body["items"][0]["summary"]["verdicts"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // someone else sees nothing, and cannot open it
    let bob = app.register("bob@example.com").await;
    for reply in [
        app.get(&format!("/api/v1/robustness/{id}"), Some(&bob.token))
            .await,
        app.post(
            &format!("/api/v1/robustness/{id}/holdout"),
            Some(&bob.token),
            json!({}),
        )
        .await,
        app.post(
            &format!("/api/v1/robustness/{id}/cancel"),
            Some(&bob.token),
            json!({}),
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    }
    let anonymous = app.get(&format!("/api/v1/robustness/{id}"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let still = app
        .get(&format!("/api/v1/robustness/{id}"), Some(&ada.token))
        .await;
    assert_eq!(still.body["holdout_looks"], 0, "bob's tries are not looks");

    // opening it shows the result and counts one look, however often it is opened
    for _ in 0..2 {
        let opened = app
            .post(
                &format!("/api/v1/robustness/{id}/holdout"),
                Some(&ada.token),
                json!({}),
            )
            .await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
        assert_conforms("RobustnessDetail", &opened.body);
        assert_eq!(opened.body["holdout_opened"], true);
        assert_eq!(opened.body["holdout_looks"], 1);
        let result = &opened.body["report"]["holdout"]["result"];
        assert_eq!(result["verdict"]["check"], "holdout", "{result}");
        assert!(result["metrics"]["total_return_pct"].is_number());
    }

    // the same request and seed again: the same numbers; its look counts on both runs
    let again = run(&app, &ada.token, request(&strategy)).await;
    let second = app
        .get(&format!("/api/v1/robustness/{again}"), Some(&ada.token))
        .await;
    for field in [
        "chosen",
        "walk_forward",
        "trade_shuffle",
        "bar_bootstrap",
        "random_entry",
        "pbo",
        "deflated_sharpe",
        "verdicts",
    ] {
        assert_eq!(
            second.body["report"][field], report[field],
            "{field} differs between two runs with seed 7"
        );
    }
    assert_eq!(
        second.body["holdout_looks"], 1,
        "the first run's look shows here"
    );
    app.post(
        &format!("/api/v1/robustness/{again}/holdout"),
        Some(&ada.token),
        json!({}),
    )
    .await;
    let first = app
        .get(&format!("/api/v1/robustness/{id}"), Some(&ada.token))
        .await;
    assert_eq!(first.body["holdout_looks"], 2);
}

#[tokio::test]
async fn robustness_requests_are_refused_with_their_field_before_anything_is_queued() {
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let with = |patch: Value| {
        let mut body = request(&strategy);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (patch, status, field) in [
        (
            json!({ "windows": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "windows",
        ),
        (
            json!({ "in_sample_pct": 99 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "in_sample_pct",
        ),
        (
            json!({ "holdout_pct": 80 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "holdout_pct",
        ),
        (
            json!({ "pbo_blocks": 7 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "pbo_blocks",
        ),
        (
            json!({ "monte_carlo_runs": 10 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "monte_carlo_runs",
        ),
        (
            json!({ "params": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "params",
        ),
        (
            json!({ "params": ["fast.period=1..x"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "params[0]",
        ),
        (
            json!({ "params": ["nope.period=1..5:1"], "where": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "params[0]",
        ),
        (
            json!({ "where": ["fast.period<other.p"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "where[0]",
        ),
        (
            json!({ "mode": "sideways" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mode",
        ),
        (
            json!({ "objective": "luck" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "objective",
        ),
        (
            json!({ "seed": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "seed",
        ),
        (
            json!({ "fee_pct": 100 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fee_pct",
        ),
    ] {
        let reply = app
            .post("/api/v1/robustness", Some(&ada.token), with(patch.clone()))
            .await;
        assert_eq!(reply.status, status, "{patch}: {}", reply.text);
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{patch}: {}",
            reply.text
        );
    }
    // deeper than the free plan: the upgrade prompt names the limit
    for (patch, metric) in [
        (
            json!({ "monte_carlo_runs": 5000 }),
            "robustness_monte_carlo_runs",
        ),
        (json!({ "windows": 20 }), "robustness_windows"),
        (json!({ "pbo_blocks": 16 }), "robustness_pbo_blocks"),
    ] {
        let reply = app
            .post("/api/v1/robustness", Some(&ada.token), with(patch.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{patch}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::QuotaExceeded);
        assert_eq!(reply.body["error"]["details"]["metric"], metric);
        assert!(reply.body["error"]["details"]["upgrade"].is_string());
    }
    let anonymous = app
        .post("/api/v1/robustness", None, request(&strategy))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let list = app.get("/api/v1/robustness", Some(&ada.token)).await;
    assert_eq!(list.body["total"], 0, "nothing was queued: {}", list.text);

    // a queued run has no results yet and no holdout to open
    let queued = app
        .post("/api/v1/robustness", Some(&ada.token), request(&strategy))
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let id = queued.body["id"].as_str().unwrap();
    let early = app
        .post(
            &format!("/api/v1/robustness/{id}/holdout"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    let detail = app
        .get(&format!("/api/v1/robustness/{id}"), Some(&ada.token))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body["report"].is_null());
    let cancelled = app
        .post(
            &format!("/api/v1/robustness/{id}/cancel"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
}
