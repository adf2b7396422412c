//! The sender against a local receiver that checks the Standard Webhooks signature.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use bb_webhooks::{Message, Policy, Sender, new_secret, verify};

type Seen = Arc<Mutex<Vec<(String, bool)>>>;

async fn receiver(secret: String) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new()
        .route(
            "/ok",
            post(move |headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                let secret = secret.clone();
                async move {
                    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let now = h("webhook-timestamp").parse::<i64>().unwrap_or(0);
                    let ok = verify(
                        &secret,
                        h("webhook-id"),
                        h("webhook-timestamp"),
                        h("webhook-signature"),
                        &body,
                        now,
                    )
                    .is_ok();
                    log.lock().unwrap().push((h("webhook-id").to_owned(), ok));
                    if ok {
                        (StatusCode::OK, "thanks").into_response()
                    } else {
                        (StatusCode::UNAUTHORIZED, "bad signature").into_response()
                    }
                }
            }),
        )
        .route(
            "/redirect",
            post(|| async { (StatusCode::FOUND, [("location", "/ok")], "") }),
        )
        .route("/big", post(|| async { "x".repeat(1 << 20) }))
        .route(
            "/slow",
            post(|| async {
                // Longer than the sender's timeout below; the sender gives up first.
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/gone",
            post(|| async { (StatusCode::GONE, [("retry-after", "60")], "stop") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn message<'a>(id: &'a str, body: &'a [u8], secrets: &'a [&'a str]) -> Message<'a> {
    Message {
        id,
        timestamp: 1_700_000_000,
        body,
        secrets,
    }
}

fn local() -> Sender {
    Sender::new(Policy {
        allow_private: true,
        timeout: Duration::from_secs(2),
        ..Policy::default()
    })
}

#[tokio::test]
async fn a_signed_delivery_is_verified_by_the_receiver() {
    let secret = new_secret();
    let (base, seen) = receiver(secret.clone()).await;
    let old = new_secret();
    let secrets = [old.as_str(), secret.as_str()];
    let a = local()
        .send(
            &format!("{base}/ok"),
            message("msg_1", br#"{"a":1}"#, &secrets),
        )
        .await;
    assert!(a.delivered(), "{a:?}");
    assert_eq!(a.status, Some(200));
    assert_eq!(a.response_excerpt, "thanks");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        &[("msg_1".to_owned(), true)]
    );

    // signed with a secret the receiver does not know
    let other = new_secret();
    let a = local()
        .send(
            &format!("{base}/ok"),
            message("msg_2", b"{}", &[other.as_str()]),
        )
        .await;
    assert_eq!(a.status, Some(401));
    assert!(!a.delivered());
}

#[tokio::test]
async fn redirects_are_failures_responses_are_capped_and_slow_receivers_time_out() {
    let secret = new_secret();
    let (base, _) = receiver(secret.clone()).await;
    let secrets = [secret.as_str()];
    let sender = local();

    let a = sender
        .send(&format!("{base}/redirect"), message("m", b"{}", &secrets))
        .await;
    assert_eq!(a.status, Some(302));
    assert!(!a.delivered());

    let a = sender
        .send(&format!("{base}/big"), message("m", b"{}", &secrets))
        .await;
    assert!(a.delivered());
    assert_eq!(a.response_excerpt.len(), bb_webhooks::send::EXCERPT_BYTES);

    let a = sender
        .send(&format!("{base}/slow"), message("m", b"{}", &secrets))
        .await;
    assert!(!a.delivered());
    assert!(a.error.as_deref().unwrap().contains("timed out"), "{a:?}");
    assert!(a.duration_ms < 10_000);

    let a = sender
        .send(&format!("{base}/gone"), message("m", b"{}", &secrets))
        .await;
    assert!(a.gone());
    assert_eq!(a.retry_after_secs, Some(60));
}

#[tokio::test]
async fn the_guard_refuses_loopback_by_literal_and_by_name() {
    let secret = new_secret();
    let (base, seen) = receiver(secret.clone()).await;
    let secrets = [secret.as_str()];
    let guarded = Sender::new(Policy::default());
    let port = base.rsplit(':').next().unwrap();
    for url in [
        format!("{base}/ok"),
        format!("http://localhost:{port}/ok"),
        format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let a = guarded.send(&url, message("m", b"{}", &secrets)).await;
        assert!(a.blocked, "{url}: {a:?}");
        assert_eq!(a.status, None);
        assert!(a.error.unwrap().contains("public addresses only"));
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
}
