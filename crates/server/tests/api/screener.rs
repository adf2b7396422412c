//! The screener over real HTTP: an admin replays a real Databento MBP-1 file, its alerts
//! arrive live on the server-sent event stream and the WebSocket, are stored (the golden
//! alerts of `crates/feeds/tests/golden`), filtered and paged, counted and searched; users'
//! screens notify their owners; anonymous callers, other users and hostile input are refused.

use crate::common::{ErrorCode, TestApp};
use crate::runs::SseStream;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(60);

fn sample() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/data/databento/futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst",
    );
    std::fs::read(path).expect("the Databento sample")
}

/// The golden alerts (symbol, type, trigger time in ns, price) of the same file and settings.
fn golden() -> Vec<(String, String, i64, f64)> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../feeds/tests/golden/mbp1_esu4.jsonl");
    std::fs::read_to_string(path)
        .expect("golden alerts")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["symbol"].as_str().unwrap().to_owned(),
                v["alert_type"].as_str().unwrap().to_owned(),
                v["trigger_time"].as_i64().unwrap(),
                v["trigger_price"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The settings the golden alerts were made with (`crates/feeds/tests/replay.rs`).
const SETTINGS: &str = r#"{"session_offset_minutes":0,"cooldown_seconds":30,"gap":{"min_pct":0.005},"volume_spike":{"multiple":1.5,"min_history":2,"min_volume":0.0},"high_low":{"after_minutes":0},"spread":{"multiple":1.5,"min_quotes":50}}"#;

fn key(v: &Value) -> (String, String, i64, f64) {
    (
        v["symbol"].as_str().unwrap().to_owned(),
        v["alert_type"].as_str().unwrap().to_owned(),
        v["trigger_time_ns"].as_i64().unwrap(),
        v["trigger_price"].as_f64().unwrap(),
    )
}

async fn replay(app: &TestApp, token: &str, bytes: Vec<u8>, query: &str) -> crate::common::Reply {
    let req = app
        .client
        .post(app.url(&format!("/api/v1/screener/replays{query}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes);
    crate::common::Reply::from(req.send().await.unwrap()).await
}

/// A signed-in admin's token (admins use two-factor sign-in).
async fn admin_token(app: &TestApp, email: &str) -> String {
    let account = app.register(email).await;
    let secret = app.make_admin(&account).await;
    app.login_two_factor(email, &secret, 1).await.token
}

async fn journey(app: TestApp) {
    let admin_token = admin_token(&app, "admin@example.com").await;
    let trader = app.register("trader@example.com").await;

    // the trader keeps a screen on ESU4 gaps and new highs, notified
    let screen = app
        .post(
            "/api/v1/screener/screens",
            Some(&trader.token),
            json!({ "name": "ES moves", "symbols": ["esu4"], "alert_types": ["gap_up", "new_high"] }),
        )
        .await;
    assert_eq!(screen.status, StatusCode::CREATED, "{}", screen.text);
    assert_eq!(screen.body["symbols"], json!(["ESU4"]));
    assert_eq!(screen.body["notify"], true);

    // and watches two trades: a long that reaches its take profit, a short stopped out
    let long = app
        .post(
            "/api/v1/screener/trades",
            Some(&trader.token),
            json!({ "symbol": "esu4", "entry": 5528.75, "stop_loss": 5527.0, "take_profit": 5529.5 }),
        )
        .await;
    assert_eq!(long.status, StatusCode::CREATED, "{}", long.text);
    assert_eq!(long.body["status"], "open");
    let short = app
        .post(
            "/api/v1/screener/trades",
            Some(&trader.token),
            json!({ "symbol": "ESU4", "side": "short", "entry": 5529.0, "stop_loss": 5529.25, "take_profit": 5520.0 }),
        )
        .await;
    assert_eq!(short.status, StatusCode::CREATED, "{}", short.text);

    // both live streams open before the replay starts
    let mut sse = SseStream::open(&app, "/api/v1/screener/alerts/stream", &trader.token).await;
    let ws_url = format!(
        "ws://{}/api/v1/screener/alerts/ws?access_token={}",
        app.addr, trader.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("websocket");

    let started = replay(&app, &admin_token, sample(), "?name=es.dbn.zst").await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let feed_id = started.body["feed_id"].as_str().unwrap().to_owned();

    let expected = golden();
    let mut live = Vec::new();
    while live.len() < expected.len() {
        let event = sse.next().await.expect("the stream stays open");
        assert_eq!(event.event, "alert");
        assert_eq!(event.data["feed"], "replay");
        assert_eq!(event.data["mine"], false);
        live.push(key(&event.data));
    }
    assert_eq!(
        live, expected,
        "the SSE stream carries the golden alerts in order"
    );
    let mut over_ws = Vec::new();
    while over_ws.len() < expected.len() {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let text = message.into_text().unwrap();
        over_ws.push(key(&serde_json::from_str(&text).unwrap()));
    }
    assert_eq!(over_ws, expected, "the WebSocket carries them too");

    // stored: every alert once, newest first, paged by cursor
    let mut stored = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/screener/alerts?limit=5&cursor={c}"),
            None => "/api/v1/screener/alerts?limit=5".to_owned(),
        };
        let page = app.get(&path, Some(&trader.token)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        stored.extend(page.body["items"].as_array().unwrap().iter().map(key));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut oldest_first = stored.clone();
    oldest_first.reverse();
    assert_eq!(oldest_first, expected);

    // filters: by type, by symbol (case-insensitive), by time
    let spreads = app
        .get(
            "/api/v1/screener/alerts?type=spread_blowout",
            Some(&trader.token),
        )
        .await;
    let want = expected.iter().filter(|e| e.1 == "spread_blowout").count();
    assert_eq!(spreads.body["items"].as_array().unwrap().len(), want);
    assert!(want > 0);
    let none = app
        .get("/api/v1/screener/alerts?symbol=nqu4", Some(&trader.token))
        .await;
    assert_eq!(none.body["items"], json!([]));
    let midnight_ms = 1_719_878_400_000_i64;
    let after = app
        .get(
            &format!("/api/v1/screener/alerts?symbol=esu4&since={midnight_ms}"),
            Some(&trader.token),
        )
        .await;
    let want = expected
        .iter()
        .filter(|e| e.2 >= midnight_ms * 1_000_000)
        .count();
    assert_eq!(after.body["items"].as_array().unwrap().len(), want);
    let first = &after.body["items"][0];
    assert_eq!(first["conditions"]["previous_close"], 5528.75);
    assert!(first["metadata"]["bid"].is_number());

    // stats over the replayed hour, symbol search, health
    let stats = app
        .get(
            &format!(
                "/api/v1/screener/alerts/stats?since={}",
                midnight_ms - 3_600_000
            ),
            Some(&trader.token),
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    assert_eq!(stats.body["total"], expected.len());
    assert_eq!(
        stats.body["top_symbols"],
        json!([{ "key": "ESU4", "count": expected.len() }])
    );
    let hours: i64 = stats.body["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["count"].as_i64().unwrap())
        .sum();
    assert_eq!(hours, expected.len() as i64);
    let found = app
        .get("/api/v1/screener/symbols?q=es", Some(&trader.token))
        .await;
    assert_eq!(found.body[0]["symbol"], "ESU4");
    assert_eq!(found.body[0]["alerts"], expected.len());
    let health = app
        .get("/api/v1/screener/health", Some(&trader.token))
        .await;
    let feed = &health.body["feeds"][0];
    assert_eq!(feed["id"], feed_id.as_str());
    assert_eq!(feed["events"], 2_288, "every market record of the file");
    assert_eq!(feed["alerts"], expected.len());
    assert_eq!(health.body["retention_days"], 30.0);
    assert_eq!(health.body["settings"]["gap"]["min_pct"], 0.005);

    // the watched trades closed on the first trade at their levels
    let trades = app
        .get("/api/v1/screener/trades", Some(&trader.token))
        .await;
    let by_id = |id: &Value| {
        trades
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|t| &t["id"] == id)
            .cloned()
            .unwrap()
    };
    let long = by_id(&long.body["id"]);
    assert_eq!(long["status"], "target", "{long}");
    assert_eq!(long["exit_price"], 5529.5);
    assert!((long["return_pct"].as_f64().unwrap() - (5529.5 / 5528.75 - 1.0) * 100.0).abs() < 1e-9);
    let short = by_id(&short.body["id"]);
    assert_eq!(short["status"], "stopped", "{short}");
    assert_eq!(short["exit_price"], 5529.25);
    assert!(short["return_pct"].as_f64().unwrap() < 0.0);

    // the trader was notified of the screen's ESU4 gaps and new highs, and only those
    let notes = app
        .get("/api/v1/notifications?limit=100", Some(&trader.token))
        .await;
    let wanted = expected
        .iter()
        .filter(|e| e.1 == "gap_up" || e.1 == "new_high")
        .count();
    let items: Vec<&Value> = notes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "screener_alert" && n["payload"]["trade_id"].is_null())
        .collect();
    assert_eq!(items.len(), wanted);
    let closed: Vec<&Value> = notes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["payload"]["trade_id"].is_string())
        .collect();
    assert_eq!(closed.len(), 2, "one notification per closed trade");
    assert!(
        closed
            .iter()
            .any(|n| n["title"] == "ESU4 reached your take profit")
    );
    assert!(
        closed
            .iter()
            .any(|n| n["title"] == "ESU4 hit your stop loss")
    );
    assert!(
        items.iter().all(|n| n["link"] == "/screener?symbol=ESU4"),
        "{items:?}"
    );
    // the admin keeps no screen: no notification
    let admin_notes = app.get("/api/v1/notifications", Some(&admin_token)).await;
    assert!(
        admin_notes.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "screener_alert")
    );
}

fn golden_settings(config: &mut bb_server::config::Config) {
    config.screener_settings = Some(SETTINGS.to_owned());
}

#[tokio::test]
async fn a_replayed_feed_streams_stores_and_notifies_its_golden_alerts() {
    journey(TestApp::spawn_with(golden_settings).await).await;
}

#[tokio::test]
async fn a_replayed_feed_streams_stores_and_notifies_on_postgres() {
    journey(TestApp::spawn_postgres_with(golden_settings).await).await;
}

#[tokio::test]
async fn anonymous_callers_other_users_and_hostile_input_are_refused() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;

    for path in [
        "/api/v1/screener/alerts",
        "/api/v1/screener/alerts/today",
        "/api/v1/screener/alerts/stats",
        "/api/v1/screener/alerts/stream",
        "/api/v1/screener/alerts/ws",
        "/api/v1/screener/symbols?q=A",
        "/api/v1/screener/health",
        "/api/v1/screener/screens",
    ] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let anonymous = replay(&app, "not-a-token", sample(), "").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // a trader may not replay, nor an admin without two-factor sign-in
    let refused = replay(&app, &ada.token, sample(), "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let plain_admin = app.register("plain-admin@example.com").await;
    app.state
        .db()
        .users()
        .set_role(&plain_admin.id, bb_store::Role::Admin, None)
        .await
        .unwrap();
    let no_2fa = replay(&app, &plain_admin.token, sample(), "").await;
    assert_eq!(no_2fa.status, StatusCode::FORBIDDEN, "{}", no_2fa.text);
    assert_eq!(no_2fa.error_code(), ErrorCode::TwoFactorRequired);

    // hostile filters, each naming its field
    for (query, field) in [
        ("symbol=%27%3B%20DROP%20TABLE", "symbol"),
        ("since=-5", "since"),
        ("since=10&until=5", "since"),
        ("cursor=garbage", "cursor"),
        ("cursor=1_%27%20OR%201%3D1", "cursor"),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/screener/alerts?{query}"),
                Some(&ada.token),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            reply.text
        );
        assert_eq!(reply.body["error"]["details"]["field"], field, "{query}");
    }
    for query in ["limit=0", "limit=501", "type=moon", "unknown=1"] {
        let reply = app
            .get(
                &format!("/api/v1/screener/alerts?{query}"),
                Some(&ada.token),
            )
            .await;
        assert!(reply.status.is_client_error(), "{query}: {}", reply.text);
    }
    // the WebSocket route refuses a plain GET with a clear error
    let plain = app
        .get("/api/v1/screener/alerts/ws", Some(&ada.token))
        .await;
    assert_eq!(
        plain.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        plain.text
    );
    assert_eq!(plain.body["error"]["details"]["field"], "Upgrade");

    // screens: checked by field, limited, private to their owner
    for (body, field) in [
        (
            json!({ "name": "", "symbols": ["A"], "alert_types": ["gap_up"] }),
            "name",
        ),
        (
            json!({ "name": "x", "symbols": [], "alert_types": ["gap_up"] }),
            "symbols",
        ),
        (
            json!({ "name": "x", "symbols": ["<script>"], "alert_types": ["gap_up"] }),
            "symbols[0]",
        ),
        (
            json!({ "name": "x", "symbols": ["A"], "alert_types": [] }),
            "alert_types",
        ),
        (
            json!({ "name": "x", "symbols": ["A"], "alert_types": ["block_screen"] }),
            "alert_types",
        ),
        (
            json!({ "name": "x", "symbols": ["A"], "strategy_id": "nope", "version": 1 }),
            "strategy_id",
        ),
        (
            json!({ "name": "x", "symbols": ["A"], "version": 1 }),
            "version",
        ),
    ] {
        let reply = app
            .post("/api/v1/screener/screens", Some(&ada.token), body.clone())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.body["error"]["details"]["field"], field, "{body}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("S{i}")).collect();
    let too_many = app
        .post(
            "/api/v1/screener/screens",
            Some(&ada.token),
            json!({ "name": "x", "symbols": many, "alert_types": ["gap_up"] }),
        )
        .await;
    assert!(too_many.status.is_client_error());
    // bob's strategy is not ada's to screen with
    let bobs = app.create_strategy(&bob.token, "Bob's", "private").await;
    let theirs = app
        .post(
            "/api/v1/screener/screens",
            Some(&ada.token),
            json!({ "name": "x", "symbols": ["A"], "strategy_id": bobs, "version": 1 }),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    let screen = app
        .post(
            "/api/v1/screener/screens",
            Some(&ada.token),
            json!({ "name": "Mine", "symbols": ["A"], "alert_types": ["gap_up"] }),
        )
        .await;
    let id = screen.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/screener/screens/{id}");
    assert_eq!(
        app.get(&path, Some(&bob.token)).await.status,
        StatusCode::NOT_FOUND
    );
    let put = app
        .call(
            Method::PUT,
            &path,
            Some(&bob.token),
            Some(json!({ "name": "Mine now", "symbols": ["A"], "alert_types": ["gap_up"] })),
        )
        .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete_path(&path, &bob.token).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&path, Some(&ada.token)).await.body["name"], "Mine");
    for _ in 1..10 {
        let r = app
            .post(
                "/api/v1/screener/screens",
                Some(&ada.token),
                json!({ "name": "More", "symbols": ["A"], "alert_types": ["new_low"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let eleventh = app
        .post(
            "/api/v1/screener/screens",
            Some(&ada.token),
            json!({ "name": "One more", "symbols": ["A"], "alert_types": ["new_low"] }),
        )
        .await;
    assert_eq!(eleventh.status, StatusCode::CONFLICT);
    assert_eq!(eleventh.error_code(), ErrorCode::Conflict);
    assert_eq!(
        app.delete_path(&path, &ada.token).await,
        StatusCode::NO_CONTENT
    );

    // watched trades: levels on the right side, someone else's alert or trade is missing
    for (body, field) in [
        (
            json!({ "symbol": "A", "entry": 10.0, "stop_loss": 11.0, "take_profit": 12.0 }),
            "stop_loss",
        ),
        (
            json!({ "symbol": "A", "entry": 10.0, "stop_loss": 9.0, "take_profit": 8.0 }),
            "take_profit",
        ),
        (
            json!({ "symbol": "A", "side": "short", "entry": 10.0, "stop_loss": 9.0, "take_profit": 8.0 }),
            "stop_loss",
        ),
        (
            json!({ "symbol": "A", "entry": -1.0, "stop_loss": 9.0, "take_profit": 12.0 }),
            "entry",
        ),
        (
            json!({ "symbol": "A", "stop_loss": 9.0, "take_profit": 12.0 }),
            "entry",
        ),
        (json!({ "stop_loss": 9.0, "take_profit": 12.0 }), "symbol"),
        (
            json!({ "alert_id": "nope", "stop_loss": 9.0, "take_profit": 12.0 }),
            "alert_id",
        ),
        (
            json!({ "symbol": "A", "side": "sideways", "entry": 10.0, "stop_loss": 9.0, "take_profit": 12.0 }),
            "side",
        ),
    ] {
        let reply = app
            .post("/api/v1/screener/trades", Some(&ada.token), body.clone())
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.body["error"]["details"]["field"], field, "{body}");
    }
    let trade = app
        .post(
            "/api/v1/screener/trades",
            Some(&ada.token),
            json!({ "symbol": "A", "entry": 10.0, "stop_loss": 9.0, "take_profit": 12.0 }),
        )
        .await;
    let cancel = format!(
        "/api/v1/screener/trades/{}/cancel",
        trade.body["id"].as_str().unwrap()
    );
    assert_eq!(
        app.post(&cancel, Some(&bob.token), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&cancel, None, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/screener/trades", Some(&bob.token))
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.post(&cancel, Some(&ada.token), json!({})).await.body["status"],
        "cancelled"
    );
    assert_eq!(
        app.post(&cancel, Some(&ada.token), json!({})).await.status,
        StatusCode::CONFLICT
    );

    // replays: not DBN, empty, a bad speed; one at a time
    let admin_token = admin_token(&app, "root@example.com").await;
    let garbage = replay(&app, &admin_token, b"timestamp,price\n1,2\n".to_vec(), "").await;
    assert_eq!(
        garbage.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        garbage.text
    );
    assert!(
        garbage.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upload.dbn")
    );
    let empty = replay(&app, &admin_token, Vec::new(), "").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_speed = replay(&app, &admin_token, sample(), "?speed=-1").await;
    assert_eq!(bad_speed.status, StatusCode::UNPROCESSABLE_ENTITY);
    // the four recorded minutes at real time outlast this test
    let slow = replay(&app, &admin_token, sample(), "?speed=1").await;
    assert_eq!(slow.status, StatusCode::ACCEPTED, "{}", slow.text);
    let second = replay(&app, &admin_token, sample(), "").await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    let too_big = replay(&app, &admin_token, vec![0u8; 17 * 1024 * 1024], "").await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A block screen: a strategy version run per symbol on closed one-minute bars; its alerts
/// are its owner's alone.
#[tokio::test]
async fn a_block_screens_alerts_belong_to_its_owner() {
    let app = TestApp::spawn_with(golden_settings).await;
    let ada = app.register("ada@example.com").await;
    let bob = app.register("bob@example.com").await;
    let admin_token = admin_token(&app, "admin@example.com").await;
    // enters long on every bar whose close is above 1 (every ES bar)
    let graph = json!({
        "schema_version": 2,
        "name": "Always",
        "nodes": [
            { "id": "close", "kind": "candle_field", "params": { "field": "close" } },
            { "id": "one", "kind": "constant", "params": { "value": 1.0 } },
            { "id": "above", "kind": "greater_than" },
            { "id": "buy", "kind": "enter_long" }
        ],
        "edges": [
            { "from": { "node": "close", "port": "out" }, "to": { "node": "above", "port": "a" } },
            { "from": { "node": "one", "port": "out" }, "to": { "node": "above", "port": "b" } },
            { "from": { "node": "above", "port": "out" }, "to": { "node": "buy", "port": "when" } }
        ]
    });
    let strategy = app.create_strategy(&ada.token, "Always", "private").await;
    let version = app
        .post(
            &format!("/api/v1/strategies/{strategy}/versions"),
            Some(&ada.token),
            json!({ "graph": graph, "notes": "" }),
        )
        .await;
    assert!(version.status.is_success(), "{}", version.text);
    let n = version.body["version"]["version"].as_i64().unwrap();
    let screen = app
        .post(
            "/api/v1/screener/screens",
            Some(&ada.token),
            json!({ "name": "Always", "symbols": ["ESU4"], "strategy_id": strategy, "version": n, "notify": false }),
        )
        .await;
    assert_eq!(screen.status, StatusCode::CREATED, "{}", screen.text);
    let screen_id = screen.body["id"].as_str().unwrap().to_owned();

    let mut sse = SseStream::open(
        &app,
        "/api/v1/screener/alerts/stream?type=block_screen",
        &ada.token,
    )
    .await;
    let started = replay(&app, &admin_token, sample(), "").await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let first = sse.next().await.unwrap();
    assert_eq!(first.data["alert_type"], "block_screen");
    assert_eq!(first.data["screen"], screen_id.as_str());
    assert_eq!(first.data["screen_version"], n);
    assert_eq!(first.data["mine"], true);

    // the four one-minute bars 23:58..00:01 of the file close: one alert each, a minute
    // apart (more than the 30 s cooldown); ada sees them, bob does not
    let mut times = BTreeSet::new();
    times.insert(first.data["trigger_time"].as_i64().unwrap());
    while times.len() < 4 {
        let e = sse.next().await.unwrap();
        times.insert(e.data["trigger_time"].as_i64().unwrap());
    }
    let bar_ends: BTreeSet<i64> = [
        1_719_878_340_000,
        1_719_878_400_000,
        1_719_878_460_000,
        1_719_878_520_000,
    ]
    .into();
    assert_eq!(times, bar_ends, "at each bar's close");
    let hers = app
        .get(
            &format!("/api/v1/screener/alerts?screen={screen_id}"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(
        hers.body["items"].as_array().unwrap().len(),
        4,
        "{}",
        hers.text
    );
    let his = app
        .get(
            &format!("/api/v1/screener/alerts?screen={screen_id}"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(his.body["items"], json!([]));
    let stats = app
        .get("/api/v1/screener/alerts/stats?since=0", Some(&bob.token))
        .await;
    assert!(
        stats.body["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["key"] != "block_screen")
    );
}

/// A fake of Binance's combined-stream WebSocket: answers the SUBSCRIBE, then, once `go`
/// fires, sends `trades` (symbol, trade id, price, time ms) in Binance's format and holds
/// the connection open.
async fn fake_binance(
    trades: Vec<(&'static str, u64, f64, i64)>,
    go: tokio::sync::oneshot::Receiver<()>,
) -> (String, tokio::sync::oneshot::Receiver<Value>) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let request: Value = loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => break serde_json::from_str(&text).unwrap(),
                Some(Ok(_)) => continue,
                _ => return,
            }
        };
        let id = request["id"].clone();
        ws.send(Message::Text(
            json!({ "result": null, "id": id }).to_string().into(),
        ))
        .await
        .unwrap();
        let _ = subscribed_tx.send(request);
        if go.await.is_err() {
            return;
        }
        for (symbol, t, price, time) in trades {
            let stream = format!("{}@trade", symbol.to_ascii_lowercase());
            let data = json!({ "e": "trade", "E": time, "s": symbol, "t": t, "p": price.to_string(), "q": "0.5", "T": time, "m": false, "M": true });
            ws.send(Message::Text(
                json!({ "stream": stream, "data": data }).to_string().into(),
            ))
            .await
            .unwrap();
        }
        // keep the connection until the test ends
        while let Some(Ok(_)) = ws.next().await {}
    });
    (format!("ws://{addr}"), subscribed)
}

#[tokio::test]
async fn a_binance_feed_configured_on_the_server_streams_its_alerts() {
    // BTCUSDT closes 2024-07-01 at 60,000 and trades at 61,500 (+2.5%) after midnight UTC
    let day = 1_719_878_400_000_i64;
    let (go, ready) = tokio::sync::oneshot::channel();
    let (url, subscribed) = fake_binance(
        vec![
            ("BTCUSDT", 1, 60_100.0, day - 120_000),
            ("BTCUSDT", 2, 60_000.0, day - 60_000),
            ("BTCUSDT", 3, 61_500.0, day + 60_000),
        ],
        ready,
    )
    .await;
    let app = TestApp::spawn_with(|config| {
        config.screener_feed = Some("binance:btcusdt".into());
        config.screener_binance_url = url.clone();
    })
    .await;
    let user = app.register("crypto@example.com").await;
    let mut sse = SseStream::open(
        &app,
        "/api/v1/screener/alerts/stream?symbol=btcusdt",
        &user.token,
    )
    .await;
    let request = tokio::time::timeout(PATIENCE, subscribed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request["method"], "SUBSCRIBE");
    assert!(
        request["params"]
            .as_array()
            .unwrap()
            .contains(&json!("btcusdt@trade"))
    );
    // the stream is open: the market may trade
    go.send(()).unwrap();
    let alert = sse.next().await.expect("the alert arrives live").data;
    let stored = app
        .get("/api/v1/screener/alerts?symbol=BTCUSDT", Some(&user.token))
        .await;
    assert_eq!(stored.body["items"][0]["id"], alert["id"]);
    assert_eq!(alert["symbol"], "BTCUSDT");
    assert_eq!(alert["alert_type"], "gap_up");
    assert_eq!(alert["trigger_price"], 61_500.0);
    assert_eq!(alert["trigger_time"], day + 60_000);
    assert_eq!(alert["conditions"]["previous_close"], 60_000.0);
    assert_eq!(alert["feed"], "binance");
    let health = app.get("/api/v1/screener/health", Some(&user.token)).await;
    assert_eq!(health.body["feeds"][0]["kind"], "live");
    assert!(
        health.body["feeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("Binance")
    );
}

#[tokio::test]
async fn the_demo_replays_its_bundled_feed_once_so_the_screener_is_not_empty() {
    let app = TestApp::spawn_with(|config| config.demo = true).await;
    let runtime = app.state.screener().expect("the screener runs").clone();
    let mut changes = runtime.watch();
    let finished =
        |r: &bb_server::screener::ScreenerRuntime| r.health().iter().any(|f| f.state == "finished");
    tokio::time::timeout(PATIENCE, async {
        while !finished(&runtime) {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the demo feed finishes");
    let user = app.register("newcomer@example.com").await;
    let alerts = app
        .get("/api/v1/screener/alerts?limit=100", Some(&user.token))
        .await;
    let items = alerts.body["items"].as_array().unwrap();
    // the CLI replays the same file: `blockbuilders screener --replay data/demo/databento/…`
    assert_eq!(items.len(), 12, "{}", alerts.text);
    let symbols: BTreeSet<&str> = items
        .iter()
        .map(|a| a["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["ESU4", "NQU4"].into());
    // a restart on the same database does not replay it again
    assert!(runtime.health().len() == 1);
    runtime.replay_demo().await;
    assert_eq!(
        runtime.health().len(),
        1,
        "alerts are stored: no second replay"
    );

    // BB_SCREENER_FEED=off: no feed, and no demo feed either
    let quiet = TestApp::spawn_with(|config| {
        config.demo = true;
        config.screener_feed = Some("off".into());
    })
    .await;
    assert!(quiet.state.screener().unwrap().health().is_empty());
}

#[tokio::test]
async fn a_misconfigured_feed_stops_the_start_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    for (feed, settings, expected) in [
        ("nasdaq:AAPL", None, "unknown feed \"nasdaq\""),
        ("binance:", None, "symbol"),
        ("binance:btc/usdt", None, "btc/usdt"),
        (
            "databento:GLBX.MDP3:mbp-1:ESU4",
            None,
            "BB_DATABENTO_API_KEY",
        ),
        ("databento:GLBX.MDP3:mbp-7:ESU4", None, "mbp-7"),
        ("replay:/no/such/file.dbn", None, "/no/such/file.dbn"),
        ("synthetic:0", None, "synthetic:SYMBOLS"),
        ("off", Some(r#"{"gap":{"min_pct":-1}}"#), "gap.min_pct"),
        ("off", Some(r#"{"gap":{"pct":1}}"#), "BB_SCREENER_SETTINGS"),
    ] {
        let mut config = crate::common::test_config(url.clone());
        config.screener_feed = Some(feed.to_owned());
        config.screener_settings = settings.map(str::to_owned);
        let error = match bb_server::start(config).await {
            Ok(_) => panic!("{feed} started"),
            Err(e) => format!("{e:#}"),
        };
        assert!(error.contains(expected), "{feed}: {error}");
    }
}
