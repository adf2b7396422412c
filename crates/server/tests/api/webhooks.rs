//! Webhooks over real HTTP, delivered by the app's own workers to a local receiver that
//! verifies the Standard Webhooks signature: a finished backtest arrives signed; the log
//! shows each attempt; a rotated secret signs beside the old one; a failing receiver is
//! retried later, a 410 disables the endpoint and tells its owner; a replay resends the
//! same `webhook-id`. Every route is tried as anonymous, as another user and with hostile
//! input; private and loopback destinations are refused, at registration and at delivery.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{ErrorCode, TestApp};
use crate::conform::assert_conforms;
use crate::templates::finish;
use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

/// What the receiver saw.
#[derive(Debug)]
struct Received {
    id: String,
    signatures: usize,
    verified: bool,
    body: Value,
}

struct Receiver {
    addr: SocketAddr,
    secret: Arc<Mutex<String>>,
    status: Arc<AtomicU16>,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    async fn start() -> Receiver {
        let secret = Arc::new(Mutex::new(String::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (tx, rx) = mpsc::unbounded_channel();
        let (s, st) = (secret.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (s, st, tx) = (s.clone(), st.clone(), tx.clone());
                async move {
                    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let now = i64::try_from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs(),
                    )
                    .unwrap();
                    let secret = s.lock().unwrap().clone();
                    let verified = bb_webhooks::verify(
                        &secret,
                        h("webhook-id"),
                        h("webhook-timestamp"),
                        h("webhook-signature"),
                        &body,
                        now,
                    )
                    .is_ok();
                    let _ = tx.send(Received {
                        id: h("webhook-id").to_owned(),
                        signatures: h("webhook-signature").split(' ').count(),
                        verified,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    });
                    let code = axum::http::StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap();
                    (code, "ok")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            addr,
            secret,
            status,
            rx,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn trust(&self, secret: &str) {
        *self.secret.lock().unwrap() = secret.to_owned();
    }

    /// The next message with this webhook-id (or any, with `None`).
    async fn next(&mut self, id: Option<&str>) -> Received {
        loop {
            let r = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
                .await
                .expect("a webhook within a minute")
                .expect("the receiver runs");
            if id.is_none_or(|id| r.id == id) {
                return r;
            }
        }
    }
}

/// Waits for the worker to record an attempt of `delivery` on `endpoint`.
async fn recorded(
    bus: &mut broadcast::Receiver<bb_store::BusEvent>,
    endpoint: &str,
    delivery: &str,
) {
    let topic = bb_store::webhook_topic(endpoint);
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), bus.recv())
            .await
            .expect("an attempt recorded within a minute")
            .expect("the bus runs");
        if e.topic == topic && e.payload == delivery {
            return;
        }
    }
}

#[tokio::test]
async fn webhooks_on_sqlite() {
    journey(&TestApp::spawn_with(|c| c.webhook_allow_private = true).await).await;
}

#[tokio::test]
async fn webhooks_on_postgres() {
    journey(&TestApp::spawn_postgres_with(|c| c.webhook_allow_private = true).await).await;
}

async fn journey(app: &TestApp) {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let alice = app.register("alice@example.com").await;
    let bob = app.register("bob@example.com").await;
    let mut receiver = Receiver::start().await;
    let mut bus = app.state.db().subscribe();

    // anonymous
    assert_eq!(
        app.get("/api/v1/webhooks", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let anon = app
        .post("/api/v1/webhooks", None, json!({ "url": receiver.url() }))
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);

    // hostile input: each refused with the field named
    for (body, field) in [
        (json!({ "url": "ftp://example.com/x" }), "url"),
        (json!({ "url": "http://user:pw@example.com/x" }), "url"),
        (json!({ "url": "not a url" }), "url"),
        (
            json!({ "url": format!("https://example.com/{}", "a".repeat(3000)) }),
            "url",
        ),
        (json!({ "url": "https://example.com/\u{0}" }), "url"),
        (json!({ "url": receiver.url(), "kinds": ["nope"] }), "kinds"),
        (
            json!({ "url": receiver.url(), "kinds": ["x".repeat(10_000)] }),
            "kinds",
        ),
        (
            json!({ "url": receiver.url(), "description": "d".repeat(201) }),
            "description",
        ),
    ] {
        let r = app.post("/api/v1/webhooks", Some(&alice.token), body).await;
        assert_eq!(r.error_code(), ErrorCode::ValidationFailed, "{}", r.text);
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.text);
        assert!(r.text.len() < 2_000, "errors stay short: {}", r.text);
    }
    let unknown = app
        .post(
            "/api/v1/webhooks",
            Some(&alice.token),
            json!({ "url": receiver.url(), "secret": "mine" }),
        )
        .await;
    assert!(unknown.status.is_client_error(), "{}", unknown.text);

    // register: backtests only
    let created = app
        .post(
            "/api/v1/webhooks",
            Some(&alice.token),
            json!({ "url": receiver.url(), "description": "My bot", "kinds": ["backtest.succeeded", "backtest.succeeded"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_conforms("EndpointView", &created.body);
    assert_eq!(created.body["kinds"], json!(["backtest.succeeded"]));
    let endpoint = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    receiver.trust(&secret);
    let list = app.get("/api/v1/webhooks", Some(&alice.token)).await;
    assert_conforms("EndpointList", &list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(
        list.body["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "backtest.succeeded")
    );

    // another user sees nothing
    let base = format!("/api/v1/webhooks/{endpoint}");
    assert_eq!(
        app.get(&base, Some(&bob.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.patch(&base, Some(&bob.token), json!({ "enabled": false }))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for path in ["rotate-secret", "test"] {
        let r = app
            .post(&format!("{base}/{path}"), Some(&bob.token), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    assert_eq!(
        app.get(&format!("{base}/deliveries"), Some(&bob.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete_path(&base, &bob.token).await,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.get("/api/v1/webhooks", Some(&bob.token)).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // a finished backtest arrives, signed
    let strategy = app
        .create_strategy(&alice.token, "Hooked crossover", "private")
        .await;
    let run = finish(
        app,
        &alice.token,
        "backtests",
        json!({ "strategy_id": strategy, "symbol": "BTC-USD", "timeframe": "1d" }),
    )
    .await;
    let got = receiver.next(None).await;
    assert!(got.verified, "{got:?}");
    assert!(got.id.starts_with("msg_"));
    assert_eq!(got.body["type"], "backtest.succeeded");
    assert_eq!(got.body["data"]["link"], format!("/backtests/{run}"));
    recorded(&mut bus, &endpoint, &got.id).await;
    let log = app
        .get(&format!("{base}/deliveries"), Some(&alice.token))
        .await;
    assert_conforms("DeliveryPage", &log.body);
    let first = &log.body["items"][0];
    assert_eq!(first["id"], got.id.as_str());
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["last_status"], 200);
    assert!(first["latency_ms"].as_i64().unwrap() >= 0);
    let detail = app
        .get(&format!("{base}/deliveries/{}", got.id), Some(&alice.token))
        .await;
    assert_conforms("DeliveryDetail", &detail.body);
    assert_eq!(detail.body["attempts"][0]["status"], 200);
    assert_eq!(detail.body["attempts"][0]["response_excerpt"], "ok");
    assert_eq!(
        app.get(&format!("{base}/deliveries/{}", got.id), Some(&bob.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // rotation: the old secret still verifies during the overlap; the new one too
    let rotated = app
        .post(
            &format!("{base}/rotate-secret"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated.body["previous_secret_until"].as_i64().is_some());
    let test = app
        .post(&format!("{base}/test"), Some(&alice.token), json!({}))
        .await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.text);
    let test_id = test.body["id"].as_str().unwrap().to_owned();
    let got = receiver.next(Some(&test_id)).await;
    assert!(got.verified, "the old secret verifies: {got:?}");
    assert_eq!(got.signatures, 2);
    assert_eq!(got.body["type"], "webhook.test");
    recorded(&mut bus, &endpoint, &test_id).await;
    receiver.trust(&new_secret);
    let first_delivery = app
        .get(&format!("{base}/deliveries/{test_id}"), Some(&alice.token))
        .await
        .body["delivery"]["delivered_at"]
        .clone();
    assert!(first_delivery.is_i64(), "delivered: {first_delivery}");

    // a replay resends the same webhook-id
    let replay = app
        .post(
            &format!("{base}/deliveries/{test_id}/replay"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::ACCEPTED, "{}", replay.text);
    let again = receiver.next(Some(&test_id)).await;
    assert!(again.verified, "the new secret verifies: {again:?}");
    recorded(&mut bus, &endpoint, &test_id).await;
    let detail = app
        .get(&format!("{base}/deliveries/{test_id}"), Some(&alice.token))
        .await;
    assert_eq!(detail.body["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(
        detail.body["delivery"]["delivered_at"], first_delivery,
        "latency stays that of the first delivery"
    );
    assert_eq!(detail.body["delivery"]["next_attempt_at"], Value::Null);

    // a failing receiver: the attempt is logged and the next one scheduled
    receiver.status.store(500, Ordering::SeqCst);
    let test = app
        .post(&format!("{base}/test"), Some(&alice.token), json!({}))
        .await;
    let failing = test.body["id"].as_str().unwrap().to_owned();
    receiver.next(Some(&failing)).await;
    recorded(&mut bus, &endpoint, &failing).await;
    let detail = app
        .get(&format!("{base}/deliveries/{failing}"), Some(&alice.token))
        .await;
    let d = &detail.body["delivery"];
    assert_eq!(d["status"], "pending", "{}", detail.text);
    assert_eq!(d["last_status"], 500);
    assert_eq!(d["last_error"], "it answered 500");
    let wait = d["next_attempt_at"].as_i64().unwrap() - bb_store::now_ms();
    assert!(wait > 3_000, "the next attempt waits about 5 s: {wait}");
    let busy = app
        .post(
            &format!("{base}/deliveries/{failing}/replay"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text);
    let second_test = app
        .post(&format!("{base}/test"), Some(&alice.token), json!({}))
        .await;
    assert_eq!(
        second_test.status,
        StatusCode::CONFLICT,
        "{}",
        second_test.text
    );

    // 410 Gone disables the endpoint at once and tells its owner why
    receiver.status.store(410, Ordering::SeqCst);
    let gone = receiver.next(Some(&failing)).await;
    assert_eq!(gone.id, failing);
    recorded(&mut bus, &endpoint, &failing).await;
    let ep = app.get(&base, Some(&alice.token)).await;
    assert_eq!(ep.body["enabled"], false, "{}", ep.text);
    assert_eq!(ep.body["disabled_reason"], "it answered 410 Gone");
    let notes = app.get("/api/v1/notifications", Some(&alice.token)).await;
    assert!(
        notes.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "webhook.disabled"),
        "{}",
        notes.text
    );
    let refused = app
        .post(&format!("{base}/test"), Some(&alice.token), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    receiver.status.store(200, Ordering::SeqCst);
    let enabled = app
        .patch(&base, Some(&alice.token), json!({ "enabled": true }))
        .await;
    assert_eq!(enabled.body["enabled"], true, "{}", enabled.text);
    assert_eq!(enabled.body["disabled_reason"], Value::Null);

    // the limit on endpoints
    for i in 1..bb_store::MAX_ENDPOINTS_PER_USER {
        let r = app
            .post(
                "/api/v1/webhooks",
                Some(&alice.token),
                json!({ "url": format!("https://example.com/{i}"), "kinds": ["sweep.failed"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let full = app
        .post(
            "/api/v1/webhooks",
            Some(&alice.token),
            json!({ "url": "https://example.com/more" }),
        )
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.text);

    // deleting takes the log with it
    assert_eq!(
        app.delete_path(&base, &alice.token).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&base, Some(&alice.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}/deliveries/{failing}"), Some(&alice.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Without `--webhook-allow-private`, loopback, private, link-local and metadata addresses
/// are refused when registered; one stored before (as if its name had pointed elsewhere)
/// is refused again when a delivery connects, and nothing reaches it.
#[tokio::test]
async fn private_and_loopback_destinations_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice@example.com").await;
    let mut receiver = Receiver::start().await;
    let port = receiver.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.8/hook".to_owned(),
        "http://192.168.1.20/hook".to_owned(),
        "http://172.20.0.1/hook".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
        "http://2130706433/".to_owned(),
    ] {
        let r = app
            .post(
                "/api/v1/webhooks",
                Some(&alice.token),
                json!({ "url": url }),
            )
            .await;
        assert_eq!(
            r.error_code(),
            ErrorCode::ValidationFailed,
            "{url}: {}",
            r.text
        );
        assert!(
            r.text.contains("public addresses only"),
            "{url}: {}",
            r.text
        );
    }
    let ok = app
        .post(
            "/api/v1/webhooks",
            Some(&alice.token),
            json!({ "url": "https://example.com/hook" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);

    // stored behind the API's back: the sender refuses it too
    let e = app
        .state
        .db()
        .webhooks()
        .create(
            &alice.id,
            bb_store::NewEndpoint {
                url: format!("http://[::ffff:127.0.0.1]:{port}/hook"),
                description: String::new(),
                kinds: Vec::new(),
                secret: bb_webhooks::new_secret(),
            },
        )
        .await
        .unwrap();
    let mut bus = app.state.db().subscribe();
    let test = app
        .post(
            &format!("/api/v1/webhooks/{}/test", e.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let id = test.body["id"].as_str().unwrap().to_owned();
    recorded(&mut bus, &e.id, &id).await;
    let detail = app
        .get(
            &format!("/api/v1/webhooks/{}/deliveries/{id}", e.id),
            Some(&alice.token),
        )
        .await;
    let d = &detail.body["delivery"];
    assert_eq!(d["status"], "failed", "{}", detail.text);
    assert!(
        d["last_error"].as_str().unwrap().contains("loopback"),
        "{}",
        detail.text
    );
    assert!(
        receiver.rx.try_recv().is_err(),
        "nothing reached the receiver"
    );
}
