//! Account security: the password policy, a registration answer that reveals nothing,
//! disabled and deleted users, logout ending the access token, two-factor sign-in (TOTP),
//! admins needing it, and `/metrics` behind a token.

use crate::common::ErrorCode;
use crate::common::{PASSWORD, Reply, SMA_CROSSOVER, TestApp, account, graph, totp_code};
use bb_server::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn register(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/register",
        None,
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn verify(app: &TestApp, challenge: &str, body: Value) -> Reply {
    let mut body = body;
    body["challenge"] = json!(challenge);
    app.post("/api/v1/auth/2fa/verify", None, body).await
}

/// Signs in with the password and returns the two-factor challenge.
async fn challenge(app: &TestApp, email: &str) -> String {
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.body["two_factor_required"], true, "{}", login.text);
    assert!(login.body.get("access_token").is_none(), "{}", login.text);
    assert!(login.refresh_cookie().is_none());
    login.body["challenge"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_reason() {
    let app = TestApp::spawn_with(|c| c.auth_rate_limit = 100).await;
    for (password, reason) in [
        ("short pass", "at least 12 characters"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("iloveyou2024!", "too easy to guess"),
        ("grace.hopper@example.com", "email"),
        ("GRACE.HOPPER loves boats", "email"),
    ] {
        let reply = register(&app, "grace.hopper@example.com", password).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
        assert_eq!(reply.body["error"]["details"]["field"], "password");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{password}: {message}");
    }
    let reply = register(&app, "grace.hopper@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
}

#[tokio::test]
async fn registering_a_taken_email_answers_the_same_and_tells_the_owner() {
    let app = TestApp::spawn().await;
    let new = register(&app, "ada@example.com", PASSWORD).await;
    let taken = register(&app, " ADA@example.com", "violet harbour stamps quickly").await;
    assert_eq!(new.status, StatusCode::ACCEPTED, "{}", new.text);
    assert_eq!(taken.status, new.status, "{}", taken.text);
    assert_eq!(taken.body, new.body);
    assert!(new.header("set-cookie").is_none() && taken.header("set-cookie").is_none());

    // Nothing changed: the first password signs in, the second does not.
    let wrong = app
        .login("ada@example.com", "violet harbour stamps quickly")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ada = account(&app.login("ada@example.com", PASSWORD).await);
    let notes = app.get("/api/v1/notifications", Some(&ada.token)).await;
    assert_eq!(notes.status, StatusCode::OK, "{}", notes.text);
    let kinds: Vec<&str> = notes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["account.register_attempt"], "{}", notes.text);
}

/// Operations that do not look at the caller at all.
const PUBLIC: &[&str] = &[
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/2fa/verify",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/auth/verify-email",
    "/api/v1/email/unsubscribe",
    "/api/v1/billing/stripe-webhook",
    "/api/v1/blocks",
    "/api/v1/settings/backtest",
    "/health",
    "/ready",
    "/metrics",
];

/// Every documented operation that takes a caller, with placeholder path parameters.
fn authenticated_operations() -> Vec<(Method, String)> {
    let spec: Value = serde_json::from_str(&bb_server::openapi::spec_json()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if PUBLIC.contains(&path.as_str()) {
            continue;
        }
        let concrete = path
            .replace("{id}", "0190a000-0000-7000-8000-000000000000")
            .replace("{version}", "1");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            ops.push((method, concrete.clone()));
        }
    }
    assert!(ops.len() > 30, "{ops:?}");
    ops
}

async fn call_all(app: &TestApp, token: &str) -> Vec<(Method, String, Reply)> {
    let mut replies = Vec::new();
    for (method, path) in authenticated_operations() {
        let body = matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
        let reply = app.call(method.clone(), &path, Some(token), body).await;
        replies.push((method, path, reply));
    }
    replies
}

#[tokio::test]
async fn a_disabled_user_is_refused_on_every_route_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com").await;
    app.make_admin(&admin).await;
    let ada = app.register("ada@example.com").await;
    app.create_strategy(&ada.token, "Mine", "private").await;
    let validate = json!({ "graph": graph(SMA_CROSSOVER) });
    for (method, path, body) in [
        (Method::GET, "/api/v1/strategies?mine=true", None),
        (Method::GET, "/api/v1/notifications", None),
        (Method::POST, "/api/v1/validate", Some(validate.clone())),
    ] {
        let reply = app.call(method, path, Some(&ada.token), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }

    let path = format!("/api/v1/admin/users/{}", ada.id);
    let disabled = app
        .patch(&path, Some(&admin.token), json!({ "disabled": true }))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);

    for (method, path, body) in [
        (Method::GET, "/api/v1/strategies?mine=true", None),
        (Method::GET, "/api/v1/notifications", None),
        (Method::POST, "/api/v1/validate", Some(validate.clone())),
    ] {
        let reply = app.call(method, path, Some(&ada.token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.text
        );
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("disabled"),
            "{}",
            reply.text
        );
    }
    for (method, path, reply) in call_all(&app, &ada.token).await {
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(
            reply.error_code(),
            ErrorCode::Unauthorized,
            "{method} {path}"
        );
    }
    let stream = app
        .get(
            &format!("/api/v1/notifications/stream?access_token={}", ada.token),
            None,
        )
        .await;
    assert_eq!(stream.status, StatusCode::UNAUTHORIZED, "{}", stream.text);

    // Neither signing in nor refreshing works.
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert!(login.text.contains("disabled"), "{}", login.text);
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": ada.refresh }),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);

    // Enabled again, the account signs in as before.
    let enabled = app
        .patch(&path, Some(&admin.token), json!({ "disabled": false }))
        .await;
    assert_eq!(enabled.body["disabled"], false, "{}", enabled.text);
    let again = account(&app.login("ada@example.com", PASSWORD).await);
    let mine = app
        .get("/api/v1/strategies?mine=true", Some(&again.token))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
}

#[tokio::test]
async fn a_deleted_users_token_stops_working() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    app.state.db().users().delete(&ada.id).await.unwrap();
    for (method, path, reply) in call_all(&app, &ada.token).await {
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text
        );
    }
    let me = app.get("/api/v1/me", Some(&ada.token)).await;
    assert!(me.text.contains("no longer exists"), "{}", me.text);
}

#[tokio::test]
async fn logout_ends_that_sessions_access_token_only() {
    let app = TestApp::spawn().await;
    let laptop = app.register("ada@example.com").await;
    let phone = account(&app.login("ada@example.com", PASSWORD).await);
    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": laptop.refresh }),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    let ended = app.get("/api/v1/notifications", Some(&laptop.token)).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.text);
    let other = app.get("/api/v1/notifications", Some(&phone.token)).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);

    // A refresh keeps the session: the new access token works, the session is the same.
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": phone.refresh }),
        )
        .await;
    let token = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&phone.token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn two_factor_enrolment_and_sign_in() {
    let app = TestApp::spawn_with(|c| c.auth_rate_limit = 100).await;
    let ada = app.register("ada@example.com").await;
    let me = app.get("/api/v1/me", Some(&ada.token)).await;
    assert_eq!(me.body["two_factor_enabled"], false);

    let early = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&ada.token),
            json!({ "code": "123456" }),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);

    let setup = app
        .post("/api/v1/auth/2fa/setup", Some(&ada.token), json!({}))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret = setup.body["secret"].as_str().unwrap().to_string();
    let uri = setup.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Blockbuilders:ada%40example.com?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=Blockbuilders"), "{uri}");
    assert!(
        setup.body["qr_svg"].as_str().unwrap().contains("<svg"),
        "{}",
        setup.text
    );
    // Until a code is confirmed, sign-in does not change.
    let plain = app.login("ada@example.com", PASSWORD).await;
    assert!(plain.body["access_token"].is_string(), "{}", plain.text);

    let wrong = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&ada.token),
            json!({ "code": totp_code(&secret, 10) }),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert_eq!(wrong.body["error"]["details"]["field"], "code");
    let enable = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&ada.token),
            json!({ "code": totp_code(&secret, 0) }),
        )
        .await;
    assert_eq!(enable.status, StatusCode::OK, "{}", enable.text);
    let recovery: Vec<String> = enable.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    let again = app
        .post("/api/v1/auth/2fa/setup", Some(&ada.token), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let me = app.get("/api/v1/me", Some(&ada.token)).await;
    assert_eq!(me.body["two_factor_enabled"], true);

    // The password alone gives a challenge, not a session; the challenge is no token.
    let first = challenge(&app, "ada@example.com").await;
    let as_token = app.get("/api/v1/me", Some(&first)).await;
    assert_eq!(as_token.status, StatusCode::UNAUTHORIZED);
    // The code that turned 2FA on was used; it cannot sign in.
    let reused = verify(&app, &first, json!({ "code": totp_code(&secret, 0) })).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "{}", reused.text);
    let next = totp_code(&secret, 1);
    let signed_in = verify(&app, &first, json!({ "code": next })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let session = account(&signed_in);
    assert_eq!(
        app.get("/api/v1/me", Some(&session.token)).await.status,
        StatusCode::OK
    );
    // Each code works once, even with a fresh challenge.
    let second = challenge(&app, "ada@example.com").await;
    let replay = verify(&app, &second, json!({ "code": next })).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.text);
    assert_eq!(replay.error_code(), ErrorCode::Unauthorized);

    // A recovery code signs in once, written any way.
    let spelled = recovery[0].to_uppercase().replace('-', " ");
    let rescued = verify(&app, &second, json!({ "recovery_code": spelled })).await;
    assert_eq!(rescued.status, StatusCode::OK, "{}", rescued.text);
    let third = challenge(&app, "ada@example.com").await;
    let used = verify(&app, &third, json!({ "recovery_code": recovery[0] })).await;
    assert_eq!(used.status, StatusCode::UNAUTHORIZED, "{}", used.text);
    let neither = verify(&app, &third, json!({})).await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = verify(&app, "not-a-challenge", json!({ "code": "123456" })).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    // An access token is not a challenge.
    let swapped = verify(&app, &ada.token, json!({ "code": totp_code(&secret, 1) })).await;
    assert_eq!(swapped.status, StatusCode::UNAUTHORIZED);

    // Turning it off needs the password (or a code).
    let bad = app
        .post(
            "/api/v1/auth/2fa/disable",
            Some(&ada.token),
            json!({ "password": "not my password at all" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["error"]["details"]["field"], "password");
    let off = app
        .post(
            "/api/v1/auth/2fa/disable",
            Some(&ada.token),
            json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text);
    let plain = app.login("ada@example.com", PASSWORD).await;
    assert!(plain.body["access_token"].is_string(), "{}", plain.text);
}

#[tokio::test]
async fn two_factor_attempts_are_limited() {
    let app = TestApp::spawn_with(|c| c.auth_rate_limit = 100).await;
    let ada = app.register("ada@example.com").await;
    let (secret, _) = app.enable_two_factor(&ada.token).await;
    let first = challenge(&app, "ada@example.com").await;
    for i in 0..5 {
        let wrong = verify(&app, &first, json!({ "code": totp_code(&secret, 10 + i) })).await;
        assert_eq!(
            wrong.status,
            StatusCode::UNAUTHORIZED,
            "{i}: {}",
            wrong.text
        );
    }
    // A new challenge does not reset the count, and now even the right code waits.
    let second = challenge(&app, "ada@example.com").await;
    let limited = verify(&app, &second, json!({ "code": totp_code(&secret, 1) })).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.error_code(), ErrorCode::RateLimited);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn the_attempt_window_ends() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let users = app.state.db().users();
    let (window, max) = (600_000, 5);
    for _ in 0..max {
        assert_eq!(
            users
                .count_totp_attempt_at(&ada.id, 1_000_000, window, max)
                .await
                .unwrap(),
            Ok(())
        );
    }
    assert_eq!(
        users
            .count_totp_attempt_at(&ada.id, 1_000_001, window, max)
            .await
            .unwrap(),
        Err(1_600_000)
    );
    assert_eq!(
        users
            .count_totp_attempt_at(&ada.id, 1_600_000, window, max)
            .await
            .unwrap(),
        Ok(())
    );
}

#[tokio::test]
async fn admin_routes_need_two_factor() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com").await;
    let ada = app.register("ada@example.com").await;
    app.state
        .db()
        .users()
        .set_role(&admin.id, bb_store::Role::Admin, None)
        .await
        .unwrap();
    let path = format!("/api/v1/admin/users/{}", ada.id);
    let refused = app
        .patch(&path, Some(&admin.token), json!({ "plan": "premium" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.error_code(), ErrorCode::TwoFactorRequired);
    assert!(refused.text.contains("two-factor"), "{}", refused.text);
    // Signing in still works, and so does everything that is not admin-only.
    let me = app.get("/api/v1/me", Some(&admin.token)).await;
    assert_eq!(me.status, StatusCode::OK);

    app.enable_two_factor(&admin.token).await;
    let allowed = app
        .patch(&path, Some(&admin.token), json!({ "plan": "premium" }))
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_configured() {
    let app =
        TestApp::spawn_with(|c| c.metrics_token = Some(Secret::new("scrape-token-1234"))).await;
    let none = app.get("/metrics", None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.text);
    assert_eq!(none.error_code(), ErrorCode::Unauthorized);
    let wrong = app.get("/metrics", Some("scrape-token-12345")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = app.get("/metrics", Some("scrape-token-1234")).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    assert!(right.text.contains("http_requests_total"), "{}", right.text);

    // No token configured: there are no metrics unless they were made public.
    let hidden = TestApp::spawn().await.get("/metrics", None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text);
    assert_eq!(hidden.error_code(), ErrorCode::NotFound);
    let public = TestApp::spawn_with(|c| c.metrics_public = true).await;
    assert_eq!(public.get("/metrics", None).await.status, StatusCode::OK);
}
