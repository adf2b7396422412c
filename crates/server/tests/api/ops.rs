//! Health, readiness, metrics, headers, docs and the UI fallback.

use crate::common::ErrorCode;
use crate::common::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = TestApp::spawn_with(|c| c.metrics_public = true).await;
    let health = app.get("/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");

    let ready = app.get("/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["pending_migrations"], 0);

    assert_eq!(app.get("/api/v1/blocks", None).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/strategies/some-id", None).await.status,
        StatusCode::NOT_FOUND
    );
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text;
    let counted = |route: &str, status: &str| {
        text.lines().any(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains("method=\"GET\"")
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(counted("/api/v1/blocks", "200"), "{text}");
    assert!(counted("/api/v1/strategies/{id}", "404"), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("db_pool_connections"), "{text}");
    assert!(text.contains("db_pool_idle_connections"), "{text}");
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = TestApp::spawn().await;
    for path in [
        "/health",
        "/api/v1/blocks",
        "/api/v1/missing",
        "/some/page",
        "/api/docs/",
    ] {
        let reply = app.get(path, None).await;
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(reply.header("referrer-policy").is_some(), "{path}");
        assert!(reply.header("x-request-id").is_some(), "{path}");
    }
}

#[tokio::test]
async fn the_ui_fallback_and_the_docs() {
    let app = TestApp::spawn().await;
    let page = app.get("/strategies/some-id/edit", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.text.contains("The web UI is not built") || page.text.contains("<div id=\"root\""),
        "{}",
        page.text
    );

    let unknown = app.get("/api/v1/unknown/thing", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), ErrorCode::NotFound);

    let spec = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(
        spec.body["paths"]["/api/v1/strategies/{id}/versions"]["post"].is_object(),
        "{}",
        spec.text
    );

    let docs = app.get("/api/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK, "{}", docs.text);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
    let initializer = app.get("/api/docs/swagger-initializer.js", None).await;
    assert_eq!(initializer.status, StatusCode::OK);
    assert!(
        initializer.text.contains("/api/v1/openapi.json"),
        "{}",
        initializer.text
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app =
        TestApp::spawn_with(|c| c.cors_origins = vec!["http://localhost:5173".to_string()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/strategies"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("http://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Without configured origins there are no CORS headers at all.
    let same_origin = TestApp::spawn().await;
    let response = same_origin
        .client
        .get(same_origin.url("/api/v1/blocks"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
