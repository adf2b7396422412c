//! Who may call what: every route as an anonymous caller, as another user, and as an
//! admin.

use crate::common::ErrorCode;
use crate::common::{SMA_CROSSOVER, TestApp, graph};
use bb_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn anonymous_callers() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com").await;
    let private = app
        .create_strategy(&owner.token, "Private one", "private")
        .await;
    let public = app
        .create_strategy(&owner.token, "Public one", "public")
        .await;

    // Reading public things works without a token.
    for path in [
        "/api/v1/strategies".to_string(),
        format!("/api/v1/strategies/{public}"),
        format!("/api/v1/strategies/{public}/versions"),
        format!("/api/v1/strategies/{public}/versions/1"),
        "/api/v1/blocks".to_string(),
    ] {
        let reply = app.get(&path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }
    let listed = app.get("/api/v1/strategies", None).await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], public.as_str());
    let validated = app
        .post(
            "/api/v1/validate",
            None,
            json!({ "graph": graph(SMA_CROSSOVER) }),
        )
        .await;
    assert_eq!(validated.status, StatusCode::OK);

    // Private strategies do not exist for anonymous callers.
    for path in [
        format!("/api/v1/strategies/{private}"),
        format!("/api/v1/strategies/{private}/versions"),
        format!("/api/v1/strategies/{private}/versions/1"),
    ] {
        let reply = app.get(&path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.error_code(), ErrorCode::NotFound);
    }

    // Everything that writes, and /me, needs a token.
    let body = json!({ "title": "x", "graph": graph(SMA_CROSSOVER) });
    for (method, path) in [
        (Method::GET, "/api/v1/me".to_string()),
        (Method::GET, "/api/v1/strategies?mine=true".to_string()),
        (Method::POST, "/api/v1/strategies".to_string()),
        (Method::PATCH, format!("/api/v1/strategies/{public}")),
        (Method::POST, format!("/api/v1/strategies/{public}/archive")),
        (
            Method::POST,
            format!("/api/v1/strategies/{public}/versions"),
        ),
        (Method::POST, format!("/api/v1/strategies/{public}/clone")),
        (Method::PATCH, format!("/api/v1/admin/users/{}", owner.id)),
    ] {
        let send_body = (method != Method::GET && method != Method::DELETE).then(|| body.clone());
        let reply = app.call(method.clone(), &path, None, send_body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::Unauthorized);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }

    // A bad token is refused even where anonymous access is allowed.
    let reply = app.get("/api/v1/strategies", Some("not-a-token")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn other_users() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com").await;
    let other = app.register("other@example.com").await;
    let private = app
        .create_strategy(&owner.token, "Private one", "private")
        .await;
    let public = app
        .create_strategy(&owner.token, "Public one", "public")
        .await;
    let version = json!({ "graph": graph(SMA_CROSSOVER) });

    // A private strategy of someone else does not exist, whatever the method.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/strategies/{private}"), None),
        (
            Method::GET,
            format!("/api/v1/strategies/{private}/versions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/strategies/{private}/versions/1"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/strategies/{private}"),
            Some(json!({ "title": "mine now" })),
        ),
        (
            Method::POST,
            format!("/api/v1/strategies/{private}/archive"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/strategies/{private}/versions"),
            Some(version.clone()),
        ),
        (
            Method::POST,
            format!("/api/v1/strategies/{private}/clone"),
            Some(json!({})),
        ),
    ] {
        let reply = app
            .call(method.clone(), &path, Some(&other.token), body)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::NotFound);
    }

    // A public one can be read and cloned, not changed.
    let reply = app
        .get(&format!("/api/v1/strategies/{public}"), Some(&other.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/strategies/{public}"),
            Some(json!({ "title": "mine now" })),
        ),
        (
            Method::POST,
            format!("/api/v1/strategies/{public}/archive"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/strategies/{public}/versions"),
            Some(version.clone()),
        ),
    ] {
        let reply = app
            .call(method.clone(), &path, Some(&other.token), body)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::Forbidden);
    }
    let unchanged = app.get(&format!("/api/v1/strategies/{public}"), None).await;
    assert_eq!(unchanged.body["title"], "Public one");
    assert_eq!(unchanged.body["status"], "draft");

    // The clone belongs to the caller, is private, and the source's owner cannot see it.
    let cloned = app
        .call(
            Method::POST,
            &format!("/api/v1/strategies/{public}/clone"),
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(cloned.status, StatusCode::CREATED, "{}", cloned.text);
    assert_eq!(cloned.body["strategy"]["owner_id"], other.id.as_str());
    assert_eq!(cloned.body["strategy"]["visibility"], "private");
    let copy = cloned.body["strategy"]["id"].as_str().unwrap();
    let hidden = app
        .get(&format!("/api/v1/strategies/{copy}"), Some(&owner.token))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // Lists: each sees their own plus public ones.
    let seen = app.get("/api/v1/strategies", Some(&other.token)).await;
    let ids: Vec<&str> = seen.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&public.as_str()) && ids.contains(&copy) && !ids.contains(&private.as_str()),
        "{ids:?}"
    );

    // The admin route is for admins.
    let reply = app
        .patch(
            &format!("/api/v1/admin/users/{}", owner.id),
            Some(&other.token),
            json!({ "plan": "premium" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(reply.error_code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn admins_are_checked_in_the_database() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com").await;
    let user = app.register("user@example.com").await;
    app.state
        .db()
        .users()
        .set_role(&admin.id, Role::Admin, None)
        .await
        .unwrap();
    let (secret, _) = app.enable_two_factor(&admin.token).await;

    // The token still says builder; the database says admin, and wins.
    let path = format!("/api/v1/admin/users/{}", user.id);
    let reply = app
        .patch(
            &path,
            Some(&admin.token),
            json!({ "plan": "premium", "role": "educator" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["plan"], "premium");
    assert_eq!(reply.body["role"], "educator");
    let me = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(me.body["plan"], "premium");

    let missing = app
        .patch(
            "/api/v1/admin/users/nobody",
            Some(&admin.token),
            json!({ "plan": "free" }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = app
        .patch(&path, Some(&admin.token), json!({ "role": "root" }))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_code(), ErrorCode::ValidationFailed);

    // A token that says admin no longer works once the database says otherwise.
    let admin_token = app
        .login_two_factor("admin@example.com", &secret, 1)
        .await
        .token;
    app.state
        .db()
        .users()
        .set_role(&admin.id, Role::Builder, None)
        .await
        .unwrap();
    let reply = app
        .patch(&path, Some(&admin_token), json!({ "plan": "free" }))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
}
