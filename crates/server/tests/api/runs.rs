//! Backtests and sweeps as jobs, over real HTTP with the workers in-process: submit → live
//! events in order → results; cancel; plan quotas at their exact limit under concurrent
//! requests; notifications stored and pushed; one user cannot read another's runs.

use crate::common::ErrorCode;
use crate::common::{Account, Reply, TestApp};
use crate::conform::assert_conforms;
use bb_store::PlanTier;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// An upper bound on waiting for the workers; a test that reaches it has failed.
const PATIENCE: Duration = Duration::from_secs(60);

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

/// An open event stream.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    pub async fn open(app: &TestApp, path: &str, token: &str) -> SseStream {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("stream opened");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        SseStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped); `None` when the stream ended.
    pub async fn next(&mut self) -> Option<Sse> {
        tokio::time::timeout(PATIENCE, self.next_inner())
            .await
            .expect("an event within the patience bound")
    }

    async fn next_inner(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let data = serde_json::from_str(&data).expect("event data is JSON");
                return Some(Sse { id, event, data });
            }
            match self.response.chunk().await.expect("stream readable") {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }

    /// Every event until the stream ends.
    pub async fn collect(mut self) -> Vec<Sse> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e);
        }
        out
    }
}

async fn setup(app: &TestApp, email: &str) -> (Account, String) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let user = app.register(email).await;
    let strategy = app
        .create_strategy(&user.token, "My crossover", "private")
        .await;
    (user, strategy)
}

fn daily(strategy: &str) -> Value {
    json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" })
}

async fn submit(app: &TestApp, token: &str, body: Value) -> String {
    let reply = app.post("/api/v1/backtests", Some(token), body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(reply.body["status"], "queued", "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/backtests/{id}").as_str())
    );
    id
}

/// Follows a run's events to its end and returns them.
async fn follow(app: &TestApp, token: &str, kind: &str, id: &str) -> Vec<Sse> {
    SseStream::open(app, &format!("/api/v1/{kind}/{id}/events"), token)
        .await
        .collect()
        .await
}

fn kinds(events: &[Sse]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

#[tokio::test]
async fn a_backtest_streams_its_progress_and_lands_in_the_history_on_sqlite() {
    journey(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn a_backtest_streams_its_progress_and_lands_in_the_history_on_postgres() {
    journey(&TestApp::spawn_postgres().await).await;
}

async fn journey(app: &TestApp) {
    let (ada, strategy) = setup(app, "ada@example.com").await;
    let mut notes = SseStream::open(app, "/api/v1/notifications/stream", &ada.token).await;
    let first = notes.next().await.expect("the unread count first");
    assert_eq!(first.event, "unread");
    assert_eq!(first.data["unread"], 0);

    let id = submit(app, &ada.token, daily(&strategy)).await;
    let events = follow(app, &ada.token, "backtests", &id).await;
    let names = kinds(&events);
    assert_eq!(names.first(), Some(&"queued"), "{names:?}");
    assert_eq!(names.get(1), Some(&"started"), "{names:?}");
    assert_eq!(names.last(), Some(&"succeeded"), "{names:?}");
    assert!(names.contains(&"progress"), "{names:?}");
    // numbered 1, 2, 3, … in order, progress never going back
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| e.data["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let ids: Vec<String> = events.iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(ids, seqs.iter().map(i64::to_string).collect::<Vec<_>>());
    let percents: Vec<i64> = events
        .iter()
        .filter(|e| e.event == "progress")
        .map(|e| e.data["percent"].as_i64().unwrap())
        .collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    let done = events.last().unwrap();
    assert!(done.data["summary"]["metrics"]["trades"].as_u64().unwrap() > 0);

    // a reconnect with Last-Event-ID gets only what came after
    let resumed = app
        .client
        .get(app.url(&format!("/api/v1/backtests/{id}/events")))
        .bearer_auth(&ada.token)
        .header("last-event-id", (seqs.len() - 1).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(resumed.matches("event: succeeded").count(), 1, "{resumed}");
    assert!(!resumed.contains("event: queued"), "{resumed}");

    // the run and its report
    let run = app
        .get(&format!("/api/v1/backtests/{id}"), Some(&ada.token))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    assert_eq!(run.body["status"], "succeeded");
    assert_eq!(run.body["progress"], 100);
    assert_conforms("RunDetail", &run.body);
    assert_eq!(run.body["parameters"]["fee_pct"], 0.1);
    assert_eq!(run.body["parameters"]["slippage_bps"], 5.0);
    assert_eq!(run.body["parameters"]["fill"], "next_open");
    let trades = run.body["metrics"]["trades"].as_u64().unwrap();
    let card = &run.body["assumptions"];
    assert!(
        card["fill_rule_text"].as_str().unwrap().len() > 10,
        "{card}"
    );
    assert!(card["intrabar_path"].is_string(), "{card}");
    assert!(
        card["data"]["source"]
            .as_str()
            .unwrap()
            .contains("BTC-USD:1d"),
        "{card}"
    );
    assert!(card["data"]["quality"]["summary"].is_array(), "{card}");
    assert!(run.body["warnings"].is_array());

    let equity = app
        .get(&format!("/api/v1/backtests/{id}/equity"), Some(&ada.token))
        .await;
    assert_eq!(equity.status, StatusCode::OK, "{}", equity.text);
    assert_conforms("EquityView", &equity.body);
    let points = equity.body["points"].as_array().unwrap();
    assert!(points.len() > 100, "{}", points.len());
    assert!(
        points
            .iter()
            .all(|p| p["drawdown_pct"].as_f64().unwrap() <= 0.0)
    );

    let page = app
        .get(
            &format!("/api/v1/backtests/{id}/trades?limit=5&offset=2&sort=-pnl"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_conforms("TradePage", &page.body);
    assert_eq!(page.body["total"], trades);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5.min(trades as usize - 2));
    let pnls: Vec<f64> = items.iter().map(|t| t["pnl"].as_f64().unwrap()).collect();
    assert!(pnls.windows(2).all(|w| w[0] >= w[1]), "{pnls:?}");
    let bad_sort = app
        .get(
            &format!("/api/v1/backtests/{id}/trades?sort=luck"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(bad_sort.status, StatusCode::UNPROCESSABLE_ENTITY);

    let csv = app
        .client
        .get(app.url(&format!("/api/v1/backtests/{id}/trades.csv")))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count() as u64, trades + 1, "{csv}");
    assert!(csv.starts_with("side,entry_time,entry_price"), "{csv}");

    // the history, filtered
    let history = app
        .get(
            &format!("/api/v1/backtests?strategy_id={strategy}&status=succeeded"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(history.body["total"], 1, "{}", history.text);
    assert_conforms("RunPage", &history.body);
    assert_eq!(history.body["items"][0]["id"], id.as_str());

    // the notification was stored and pushed
    let pushed = loop {
        let e = notes.next().await.expect("the stream stays open");
        if e.event == "notification" {
            break e;
        }
    };
    assert_eq!(pushed.data["kind"], "backtest.succeeded");
    assert_eq!(pushed.data["payload"]["run_id"], id.as_str());
    assert_eq!(pushed.data["link"], format!("/backtests/{id}"));
    let unread = loop {
        let e = notes.next().await.expect("the stream stays open");
        if e.event == "unread" {
            break e;
        }
    };
    assert_eq!(unread.data["unread"], 1);
    let list = app
        .get("/api/v1/notifications?unread=true", Some(&ada.token))
        .await;
    assert_eq!(list.body["total"], 1, "{}", list.text);
    assert_eq!(list.body["unread"], 1);
    let note_id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
    let read = app
        .post(
            &format!("/api/v1/notifications/{note_id}/read"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["read"], true);
    let count = app
        .get("/api/v1/notifications/unread-count", Some(&ada.token))
        .await;
    assert_eq!(count.body["unread"], 0);
    let after_read = loop {
        let e = notes.next().await.expect("the stream stays open");
        if e.event == "unread" {
            break e;
        }
    };
    assert_eq!(after_read.data["unread"], 0);

    // the plan banner counts the backtest
    let usage = app.get("/api/v1/plan-usage", Some(&ada.token)).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.text);
    assert_eq!(usage.body["plan"], "free");
    assert_eq!(usage.body["backtests_today"]["used"], 1);
    assert!(
        usage.body["backtests_today"]["resets_at"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00Z")
    );
    assert_eq!(usage.body["concurrent_runs"]["used"], 0);
}

#[tokio::test]
async fn runs_are_private_to_their_owner() {
    let app = TestApp::spawn().await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let bob = app.register("bob@example.com").await;
    let id = submit(&app, &ada.token, daily(&strategy)).await;
    follow(&app, &ada.token, "backtests", &id).await;
    for path in [
        format!("/api/v1/backtests/{id}"),
        format!("/api/v1/backtests/{id}/equity"),
        format!("/api/v1/backtests/{id}/trades"),
        format!("/api/v1/backtests/{id}/trades.csv"),
        format!("/api/v1/backtests/{id}/events"),
    ] {
        let reply = app.get(&path, Some(&bob.token)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::NotFound);
        let anonymous = app.get(&path, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let cancel = app
        .post(
            &format!("/api/v1/backtests/{id}/cancel"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    let compare = app
        .post(
            "/api/v1/backtests/compare",
            Some(&bob.token),
            json!({ "ids": [id, id.clone() + "x"] }),
        )
        .await;
    assert_eq!(compare.status, StatusCode::NOT_FOUND, "{}", compare.text);
    let theirs = app.get("/api/v1/backtests", Some(&bob.token)).await;
    assert_eq!(theirs.body["total"], 0);
    // nor can Bob backtest Ada's private strategy
    let borrowed = app
        .post("/api/v1/backtests", Some(&bob.token), daily(&strategy))
        .await;
    assert_eq!(borrowed.status, StatusCode::NOT_FOUND, "{}", borrowed.text);
}

#[tokio::test]
async fn bad_settings_are_refused_with_the_field_and_nothing_is_queued() {
    let app = TestApp::spawn().await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let cases = [
        (json!({ "strategy_id": strategy }), "dataset_id"),
        (
            json!({ "strategy_id": strategy, "symbol": "DOGE-EUR" }),
            "symbol",
        ),
        (
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "7m" }),
            "timeframe",
        ),
        (
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "fee_pct": -1 }),
            "fee_pct",
        ),
        (
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "fill": "whenever" }),
            "fill",
        ),
        (
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "from": "2030-01-01" }),
            "from",
        ),
        (
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "version": 9 }),
            "version",
        ),
    ];
    for (body, field) in cases {
        let reply = app
            .post("/api/v1/backtests", Some(&ada.token), body.clone())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
    }
    let unknown = app
        .post(
            "/api/v1/backtests",
            Some(&ada.token),
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "leverage": 100 }),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    let history = app.get("/api/v1/backtests", Some(&ada.token)).await;
    assert_eq!(history.body["total"], 0);
    let usage = app.get("/api/v1/plan-usage", Some(&ada.token)).await;
    assert_eq!(usage.body["backtests_today"]["used"], 0);
}

#[tokio::test]
async fn a_queued_backtest_can_be_cancelled_once() {
    // no workers: the run stays queued
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let id = submit(&app, &ada.token, daily(&strategy)).await;
    let cancel = app
        .post(
            &format!("/api/v1/backtests/{id}/cancel"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.text);
    assert_eq!(cancel.body["status"], "cancelled");
    let events = follow(&app, &ada.token, "backtests", &id).await;
    assert_eq!(kinds(&events), vec!["queued", "cancelled"]);
    let again = app
        .post(
            &format!("/api/v1/backtests/{id}/cancel"),
            Some(&ada.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    // its job is cancelled too: nothing is left to claim
    let claimed = app
        .state
        .db()
        .jobs()
        .claim("test", 1000, &[])
        .await
        .unwrap();
    assert!(claimed.is_none(), "{claimed:?}");
    let equity = app
        .get(&format!("/api/v1/backtests/{id}/equity"), Some(&ada.token))
        .await;
    assert_eq!(equity.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_daily_quota_holds_at_its_exact_limit_under_concurrent_requests_on_sqlite() {
    quota_race(&TestApp::spawn_with(|c| c.workers = 0).await).await;
}

#[tokio::test]
async fn the_daily_quota_holds_at_its_exact_limit_under_concurrent_requests_on_postgres() {
    quota_race(&TestApp::spawn_postgres_with(|c| c.workers = 0).await).await;
}

async fn quota_race(app: &TestApp) {
    let (ada, strategy) = setup(app, "ada@example.com").await;
    let db = app.state.db();
    db.users()
        .set_plan(&ada.id, PlanTier::Premium, None)
        .await
        .unwrap();
    let limits = db.plans().get(PlanTier::Premium).await.unwrap();
    // three units left today
    let period = bb_server::routes::plan_usage::day_period(bb_store::now_ms());
    db.plans()
        .increment(
            &ada.id,
            &period,
            "backtests",
            limits.max_backtests_per_day - 3,
        )
        .await
        .unwrap();
    let replies = concurrently(app, 7, "/api/v1/backtests", &ada.token, daily(&strategy)).await;
    let accepted = replies
        .iter()
        .filter(|r| r.status == StatusCode::ACCEPTED)
        .count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::FORBIDDEN)
        .collect();
    assert_eq!(
        accepted,
        3,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(refused.len(), 4);
    for r in &refused {
        assert_eq!(r.error_code(), ErrorCode::QuotaExceeded);
        let d = &r.body["error"]["details"];
        assert_eq!(d["metric"], "backtests", "{}", r.text);
        assert_eq!(d["limit"], limits.max_backtests_per_day);
        assert_eq!(d["used"], limits.max_backtests_per_day);
        assert!(d["resets_at"].as_str().unwrap().ends_with("T00:00:00Z"));
        assert!(d["upgrade"].is_string());
    }
    let used = db
        .plans()
        .usage(&ada.id, &period, "backtests")
        .await
        .unwrap();
    assert_eq!(used, limits.max_backtests_per_day);
    let history = app.get("/api/v1/backtests", Some(&ada.token)).await;
    assert_eq!(history.body["total"], 3);
}

/// Sends `n` copies of a POST at once, each on its own task.
async fn concurrently(app: &TestApp, n: usize, path: &str, token: &str, body: Value) -> Vec<Reply> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let request = app
                .client
                .post(app.url(path))
                .bearer_auth(token)
                .json(&body);
            tokio::spawn(async move { Reply::from(request.send().await.expect("sent")).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

#[tokio::test]
async fn a_free_plan_runs_two_at_once_and_small_sweeps() {
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    submit(&app, &ada.token, daily(&strategy)).await;
    submit(&app, &ada.token, daily(&strategy)).await;
    let third = app
        .post("/api/v1/backtests", Some(&ada.token), daily(&strategy))
        .await;
    assert_eq!(third.status, StatusCode::FORBIDDEN, "{}", third.text);
    assert_eq!(third.error_code(), ErrorCode::QuotaExceeded);
    assert_eq!(third.body["error"]["details"]["metric"], "concurrent_runs");
    // the refused request took no daily unit
    let usage = app.get("/api/v1/plan-usage", Some(&ada.token)).await;
    assert_eq!(usage.body["backtests_today"]["used"], 2, "{}", usage.text);
    assert_eq!(usage.body["concurrent_runs"]["used"], 2);

    let big = app
        .post(
            "/api/v1/sweeps",
            Some(&ada.token),
            json!({ "strategy_id": strategy, "symbol": "BTC-USD",
                    "params": ["fast.period=2..60:1", "slow.period=10..200:5"] }),
        )
        .await;
    assert_eq!(big.status, StatusCode::FORBIDDEN, "{}", big.text);
    let d = &big.body["error"]["details"];
    assert_eq!(d["metric"], "sweep_combinations");
    assert_eq!(d["requested"], 59 * 39);
    assert_eq!(d["limit"], 100);
    // a parameter the block does not have is named before anything is queued
    for (param, says) in [
        ("fast.window=5..10:5", "no parameter"),
        ("nobody.period=5,10", "no block"),
    ] {
        let wrong = app
            .post(
                "/api/v1/sweeps",
                Some(&ada.token),
                json!({ "strategy_id": strategy, "symbol": "BTC-USD", "params": ["slow.period=30,40", param] }),
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong.text
        );
        assert_eq!(
            wrong.body["error"]["details"]["field"], "params[1]",
            "{}",
            wrong.text
        );
        assert!(
            wrong.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{}",
            wrong.text
        );
    }
}

#[tokio::test]
async fn a_sweep_reports_every_combination_and_two_backtests_compare() {
    let app = TestApp::spawn().await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let reply = app
        .post(
            "/api/v1/sweeps",
            Some(&ada.token),
            json!({ "strategy_id": strategy, "symbol": "BTC-USD", "from": "2018-01-01",
                    "params": ["fast.period=5..20:5", "slow.period=20..60:10"],
                    "where": ["fast.period<slow.period"], "sort": "sharpe" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let events = follow(&app, &ada.token, "sweeps", &id).await;
    assert_eq!(
        kinds(&events).last(),
        Some(&"succeeded"),
        "{:?}",
        kinds(&events)
    );
    let sweep = app
        .get(&format!("/api/v1/sweeps/{id}"), Some(&ada.token))
        .await;
    assert_eq!(sweep.status, StatusCode::OK, "{}", sweep.text);
    assert_conforms("RunDetail", &sweep.body);
    // fast 5,10,15,20 × slow 20..60 step 10, fast < slow: 4×5 minus (20,20) = 19
    let rows = sweep.body["sweep"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 19, "{}", sweep.text);
    assert_eq!(
        sweep.body["sweep"]["axes"],
        json!(["fast.period", "slow.period"])
    );
    let sharpe: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["metrics"]["sharpe"].as_f64())
        .collect();
    assert!(sharpe.windows(2).all(|w| w[0] >= w[1]), "{sharpe:?}");
    assert!(rows.iter().all(|r| {
        let v = r["values"].as_array().unwrap();
        v[0].as_f64() < v[1].as_f64()
    }));

    // two backtests with different costs, side by side
    let cheap = submit(&app, &ada.token, json!({ "strategy_id": strategy, "symbol": "BTC-USD", "fee_pct": 0.0, "slippage_bps": 0.0 })).await;
    follow(&app, &ada.token, "backtests", &cheap).await;
    let costly = submit(
        &app,
        &ada.token,
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "fee_pct": 0.5 }),
    )
    .await;
    follow(&app, &ada.token, "backtests", &costly).await;
    let compared = app
        .post(
            "/api/v1/backtests/compare",
            Some(&ada.token),
            json!({ "ids": [cheap, costly] }),
        )
        .await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.text);
    assert_conforms("CompareView", &compared.body);
    let metrics = compared.body["metrics"].as_array().unwrap();
    let total = metrics
        .iter()
        .find(|m| m["metric"] == "total_return_pct")
        .unwrap();
    let values: Vec<f64> = total["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(values[0] > values[1], "costs lower the return: {values:?}");
    let ts = compared.body["ts"].as_array().unwrap();
    let curves = compared.body["equity_pct"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    assert!(
        curves
            .iter()
            .all(|c| c.as_array().unwrap().len() == ts.len())
    );
    assert_eq!(curves[0][0].as_f64(), Some(100.0));
    let one = app
        .post(
            "/api/v1/backtests/compare",
            Some(&ada.token),
            json!({ "ids": [cheap] }),
        )
        .await;
    assert_eq!(one.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The reproduction of issue 11: a 1,000 × 1,000 grid with its constraint repeated 1,000
/// times held a runtime thread for seconds before answering 403. The request's shape is now
/// checked first (counts and lengths, then the grid's size from the axes' lengths), and the
/// counting that remains is bounded and runs on the blocking pool.
#[tokio::test]
async fn sweep_requests_are_checked_cheapest_first() {
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let sweep = |params: Vec<String>, constraints: Vec<String>| {
        json!({ "strategy_id": strategy, "symbol": "BTC-USD",
                "params": params, "where": constraints })
    };
    let grid = || {
        vec![
            "fast.period=1..1000:1".to_string(),
            "slow.period=1..1000:1".to_string(),
        ]
    };
    let refused = |reply: &Reply, field: &str, says: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };
    // 1,000 constraints: refused before the grid is looked at
    let many = vec!["fast.period<slow.period".to_string(); 1_000];
    let reply = app
        .post("/api/v1/sweeps", Some(&ada.token), sweep(grid(), many))
        .await;
    refused(&reply, "where", "at most 20");
    // an expression of 201 characters
    let long = format!("fast.period<slow.period{}", " ".repeat(178));
    let reply = app
        .post(
            "/api/v1/sweeps",
            Some(&ada.token),
            sweep(grid(), vec![long]),
        )
        .await;
    refused(&reply, "where[0]", "at most 200");
    // eleven parameters
    let eleven = (0..11).map(|i| format!("n{i}.period=5,10")).collect();
    let reply = app
        .post("/api/v1/sweeps", Some(&ada.token), sweep(eleven, vec![]))
        .await;
    refused(&reply, "params", "at most 10");
    // a grid whose size overflows 64 bits is sized without enumerating
    let huge = (0..5).map(|i| format!("n{i}.period=1..100000:1")).collect();
    let reply = app
        .post("/api/v1/sweeps", Some(&ada.token), sweep(huge, vec![]))
        .await;
    refused(&reply, "params", "at most 1000000 can be swept");
    // a constraint on a parameter that is not swept
    let reply = app
        .post(
            "/api/v1/sweeps",
            Some(&ada.token),
            sweep(grid(), vec!["fast.period<mid.period".into()]),
        )
        .await;
    refused(&reply, "where[0]", "`mid.period` is not a swept parameter");
    // twenty constraints over a million cells: counted on the blocking pool, then the plan's
    // limit answers with the exact count
    let twenty = vec!["fast.period<slow.period".to_string(); 20];
    let reply = app
        .post("/api/v1/sweeps", Some(&ada.token), sweep(grid(), twenty))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    let d = &reply.body["error"]["details"];
    assert_eq!(d["metric"], "sweep_combinations");
    assert_eq!(d["requested"], 999 * 1000 / 2);
    // the server still answers
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
}

/// `initial_capital: 1e308` was accepted and gave a report of nulls: every simulation
/// setting is bounded, for backtests and sweeps alike, and the error names the field.
#[tokio::test]
async fn simulation_settings_out_of_range_are_refused_with_their_field() {
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    for (field, value) in [
        ("initial_capital", json!(1e308)),
        ("initial_capital", json!(0.5)),
        ("initial_capital", json!(-5)),
        ("fee_pct", json!(100)),
        ("fee_pct", json!(-1)),
        ("slippage_bps", json!(1e9)),
    ] {
        let mut body = daily(&strategy);
        body[field] = value.clone();
        let reply = app.post("/api/v1/backtests", Some(&ada.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
        let mut body = daily(&strategy);
        body["params"] = json!(["fast.period=5,10"]);
        body[field] = value.clone();
        let reply = app.post("/api/v1/sweeps", Some(&ada.token), body).await;
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
    }
    let mut body = daily(&strategy);
    body["initial_capital"] = json!(1e12);
    submit(&app, &ada.token, body).await;
}

/// The form's defaults and ranges are the ones the API applies and checks.
#[tokio::test]
async fn the_settings_endpoint_gives_the_defaults_a_run_gets_and_the_ranges_it_checks() {
    let app = TestApp::spawn().await;
    // anonymous: a form shows it before sign-in
    let ranges = app.get("/api/v1/settings/backtest", None).await;
    assert_eq!(ranges.status, StatusCode::OK, "{}", ranges.text);
    assert_conforms("SettingsRanges", &ranges.body);
    let defaults = &ranges.body["defaults"];
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let id = submit(&app, &ada.token, daily(&strategy)).await;
    let run = app
        .get(&format!("/api/v1/backtests/{id}"), Some(&ada.token))
        .await;
    for field in [
        "initial_capital",
        "fee_pct",
        "slippage_bps",
        "fill",
        "allow_short",
        "gap_policy",
    ] {
        assert_eq!(run.body["parameters"][field], defaults[field], "{field}");
    }
    // the edges of each range: the bound is taken or refused as the range says
    for (field, range) in [
        ("initial_capital", &ranges.body["initial_capital"]),
        ("fee_pct", &ranges.body["fee_pct"]),
        ("slippage_bps", &ranges.body["slippage_bps"]),
    ] {
        let max = range["max"].as_f64().unwrap();
        let exclusive = range["max_exclusive"].as_bool().unwrap();
        let mut body = daily(&strategy);
        body[field] = json!(max);
        let reply = app.post("/api/v1/backtests", Some(&ada.token), body).await;
        if exclusive {
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
            assert_eq!(reply.body["error"]["details"]["field"], field);
        } else {
            assert_eq!(
                reply.status,
                StatusCode::ACCEPTED,
                "{field}: {}",
                reply.text
            );
        }
        let mut below = daily(&strategy);
        below[field] = json!(range["min"].as_f64().unwrap() - 0.5);
        let reply = app.post("/api/v1/backtests", Some(&ada.token), below).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(reply.body["error"]["details"]["field"], field);
    }
    // the block catalogue is what its schema says, too
    let blocks = app.get("/api/v1/blocks", None).await;
    assert_conforms("Catalogue", &blocks.body);
}

/// The inspector shows why a trade happened: on the bar before an entry fill, the entry
/// signal is on, with every block's value around it.
#[tokio::test]
async fn the_inspector_shows_every_block_on_the_bar_that_signalled_a_trade() {
    let app = TestApp::spawn().await;
    let (ada, strategy) = setup(&app, "ada@example.com").await;
    let id = submit(&app, &ada.token, daily(&strategy)).await;
    follow(&app, &ada.token, "backtests", &id).await;
    let trades = app
        .get(
            &format!("/api/v1/backtests/{id}/trades?limit=1"),
            Some(&ada.token),
        )
        .await;
    let first = &trades.body["items"][0];
    assert_eq!(first["side"], "long", "{}", trades.text);
    // next-open fills: the signal was on the bar before the entry, one day earlier
    let signal_bar = first["entry_ts"].as_i64().unwrap() - 86_400_000;
    let path = format!("/api/v1/backtests/{id}/inspect?at={signal_bar}&around=2");
    let seen = app.get(&path, Some(&ada.token)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_conforms("Inspection", &seen.body);
    assert_eq!(seen.body["ts"], signal_bar);
    let bars: Vec<i64> = seen.body["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect();
    assert_eq!(bars.len(), 5, "{bars:?}");
    let at = bars.iter().position(|&b| b == signal_bar).unwrap();
    let columns = seen.body["columns"].as_array().unwrap();
    let enter = columns
        .iter()
        .find(|c| c["name"] == "signal.enter_long")
        .expect("the entry signal");
    assert_eq!(enter["flags"][at], true, "{enter}");
    // every block's outputs are there, numbers warm by then
    let fast = columns.iter().find(|c| c["node"] == "fast").expect("fast");
    assert!(fast["numbers"][at].as_f64().is_some(), "{fast}");
    assert_eq!(seen.body["close"].as_array().unwrap().len(), 5);

    // a time given as a date names the same bar
    let day = bb_domain::calendar::format_date(signal_bar);
    let by_date = app
        .get(
            &format!("/api/v1/backtests/{id}/inspect?at={day}&around=0"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(by_date.body["ts"], signal_bar, "{}", by_date.text);
    assert_eq!(by_date.body["bars"].as_array().unwrap().len(), 1);

    // bad input names its field; nobody else sees it; anonymous is refused
    for (query, field) in [
        ("at=yesterday", "at"),
        ("at=2020-01-01&around=51", "around"),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/backtests/{id}/inspect?{query}"),
                Some(&ada.token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        assert_eq!(reply.body["error"]["details"]["field"], field, "{query}");
    }
    let bob = app.register("bob@example.com").await;
    let other = app.get(&path, Some(&bob.token)).await;
    assert_eq!(other.error_code(), ErrorCode::NotFound);
    let anonymous = app.get(&path, None).await;
    assert_eq!(anonymous.error_code(), ErrorCode::Unauthorized);
}
