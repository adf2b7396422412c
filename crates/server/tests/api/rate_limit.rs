//! Sign-up is limited per client IP.

use crate::common::ErrorCode;
use crate::common::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_eleventh_register_in_a_minute_is_refused() {
    let app = TestApp::spawn().await;
    for i in 0..10 {
        let reply = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": format!("u{i}@example.com"), "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::ACCEPTED,
            "register {i}: {}",
            reply.text
        );
    }
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "u10@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::RateLimited);
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Login has its own budget.
    assert_eq!(
        app.login("u0@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}
