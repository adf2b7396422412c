//! Accounts, passwords and tokens.

use crate::common::ErrorCode;
use crate::common::{JWT_SECRET, PASSWORD, Reply, TestApp, account};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

async fn refresh_with_cookie(app: &TestApp, token: &str) -> Reply {
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("bb_refresh={token}"))
        .send()
        .await
        .unwrap();
    Reply::from(response).await
}

#[tokio::test]
async fn register_and_login() {
    let app = TestApp::spawn().await;
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": " Grace@Example.com", "password": PASSWORD, "display_name": "Grace H" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(reply.body["status"], "registered");
    assert!(reply.header("set-cookie").is_none());
    let reply = app.login("grace@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["user"]["email"], "grace@example.com");
    assert_eq!(reply.body["user"]["display_name"], "Grace H");
    assert_eq!(reply.body["user"]["role"], "builder");
    assert_eq!(reply.body["user"]["plan"], "free");
    assert!(reply.body.get("refresh_token").is_none());
    let cookie = reply.header("set-cookie").unwrap();
    assert!(cookie.starts_with("bb_refresh="), "{cookie}");
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=2592000",
    ] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let grace = account(&reply);

    let me = app.get("/api/v1/me", Some(&grace.token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], grace.id.as_str());

    let short = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "x@example.com", "password": "123456789" }),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.error_code(), ErrorCode::ValidationFailed);
    assert_eq!(short.body["error"]["details"]["field"], "password");

    let bad_email = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    assert_eq!(bad_email.body["error"]["details"]["field"], "email");

    let wrong = app.login("grace@example.com", "wrong password!").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error_code(), ErrorCode::Unauthorized);
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body["error"]["message"],
        wrong.body["error"]["message"]
    );
    let right = app.login("grace@example.com", PASSWORD).await;
    assert_eq!(right.status, StatusCode::OK);
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = TestApp::spawn_with(|c| c.secure_cookies = true).await;
    app.register("a@example.com").await;
    let reply = app.login("a@example.com", PASSWORD).await;
    assert!(reply.header("set-cookie").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_briefly() {
    let app = TestApp::spawn().await;
    app.register("target@example.com").await;
    for _ in 0..5 {
        let reply = app.login("target@example.com", "wrong password!").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app.login("target@example.com", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert_eq!(locked.error_code(), ErrorCode::RateLimited);
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_ends_the_family() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;

    let first = refresh_with_cookie(&app, &ada.refresh).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let rotated = first.refresh_cookie().unwrap();
    assert_ne!(rotated, ada.refresh);
    let token = first.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(token)).await.status,
        StatusCode::OK
    );
    assert!(first.body.get("refresh_token").is_none());

    // The old token no longer works; presenting it ends the family...
    let reused = refresh_with_cookie(&app, &ada.refresh).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.error_code(), ErrorCode::Unauthorized);
    assert!(reused.header("set-cookie").unwrap().contains("Max-Age=0"));
    // ...so the token that replaced it stops working too.
    let after = refresh_with_cookie(&app, &rotated).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    // Another session (a new login) is a separate family and still works.
    let login = app.login("ada@example.com", PASSWORD).await;
    let other = account(&login);
    let body = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": other.refresh }),
        )
        .await;
    assert_eq!(body.status, StatusCode::OK, "{}", body.text);
    let from_body = body.body["refresh_token"].as_str().unwrap();
    assert_eq!(Some(from_body.to_string()), body.refresh_cookie());

    let none = app
        .call(reqwest::Method::POST, "/api/v1/auth/refresh", None, None)
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let garbage = refresh_with_cookie(&app, "garbage").await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("bb_refresh={}", ada.refresh))
        .send()
        .await
        .unwrap();
    let reply = Reply::from(response).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));
    let refreshed = refresh_with_cookie(&app, &ada.refresh).await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    // The session's access token stops working at once.
    let me = app.get("/api/v1/me", Some(&ada.token)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.text);
    assert!(
        me.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ended")
    );
    // Logging out without a session is fine.
    let again = app
        .call(reqwest::Method::POST, "/api/v1/auth/logout", None, None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let session = app.state.tokens().verify(&ada.token).unwrap().sid;
    let claims = |exp: u64| {
        json!({ "sub": ada.id, "role": "admin", "sid": session, "iat": now() - 7200, "exp": exp,
                "iss": "blockbuilders", "aud": "blockbuilders" })
    };

    let good = sign(claims(now() + 600), JWT_SECRET);
    assert_eq!(
        app.get("/api/v1/me", Some(&good)).await.status,
        StatusCode::OK
    );

    let expired = app
        .get("/api/v1/me", Some(&sign(claims(now() - 3600), JWT_SECRET)))
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.error_code(), ErrorCode::Unauthorized);
    assert!(
        expired.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let forged = app
        .get(
            "/api/v1/me",
            Some(&sign(claims(now() + 600), "another-secret-entirely")),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let mut wrong_audience = claims(now() + 600);
    wrong_audience["aud"] = json!("someone-else");
    let reply = app
        .get("/api/v1/me", Some(&sign(wrong_audience, JWT_SECRET)))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    // `alg: none` with no signature.
    let unsigned = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims(now() + 600).to_string())
    );
    let reply = app.get("/api/v1/me", Some(&unsigned)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

    for header in ["Basic abc", "Bearer", "Bearer    "] {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
}

pub fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
