//! Client mistakes get the error envelope with a stable code and a message that names the
//! field, never a framework default or a 500.

use crate::common::ErrorCode;
use crate::common::{SMA_CROSSOVER, TestApp, graph};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn body_mistakes_name_the_field() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let token = Some(ada.token.as_str());
    let path = "/api/v1/strategies";

    // (body, status, code, field named in details and message)
    let cases: [(&str, StatusCode, ErrorCode, Option<&str>); 7] = [
        (
            r#"{"title": "x""#,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            None,
        ),
        (
            r#"{"title": 5}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("title"),
        ),
        (
            r#"{"title": "x", "colour": 1}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("colour"),
        ),
        (
            r#"{}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("title"),
        ),
        (
            r#"{"title": "x", "visibility": "secret"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("visibility"),
        ),
        (
            r#"{"title": "x", "tags": "one"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("tags"),
        ),
        (
            r#"[1, 2]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let reply = app.call_raw(Method::POST, path, token, body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        assert_eq!(reply.error_code(), code, "{body}");
        if let Some(field) = field {
            assert_eq!(
                reply.body["error"]["details"]["field"], field,
                "{body}: {}",
                reply.text
            );
            let message = reply.body["error"]["message"].as_str().unwrap();
            assert!(message.contains(field), "{body}: {message}");
        }
    }

    // A graph that is not a strategy document names the problem too.
    let mut doc = graph(SMA_CROSSOVER);
    doc["nodes"][1]["colour"] = json!("red");
    let reply = app
        .post(path, token, json!({ "title": "x", "graph": doc }))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::ValidationFailed);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{}",
        reply.text
    );
    let mut newer = graph(SMA_CROSSOVER);
    newer["schema_version"] = json!(99);
    let reply = app
        .post(path, token, json!({ "title": "x", "graph": newer }))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("newer"),
        "{}",
        reply.text
    );

    // Not JSON at all.
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&ada.token)
        .body("title=x")
        .send()
        .await
        .unwrap();
    let reply = crate::common::Reply::from(response).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), ErrorCode::BadRequest);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com").await;
    let big = format!(
        r#"{{"title": "x", "description": "{}"}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let reply = app
        .call_raw(Method::POST, "/api/v1/strategies", Some(&ada.token), big)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_eq!(reply.error_code(), ErrorCode::PayloadTooLarge);
}

#[tokio::test]
async fn path_query_and_method_mistakes() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            Method::GET,
            "/api/v1/strategies?limit=lots",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            "/api/v1/strategies?visibility=secret",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            "/api/v1/strategies/x/versions/first",
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
        ),
        (
            Method::GET,
            "/api/v1/strategies/nope",
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            Method::PUT,
            "/api/v1/strategies",
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
        ),
        (
            Method::GET,
            "/api/v1/nothing-here",
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            Method::POST,
            "/api/nothing",
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
    ];
    for (method, path, status, code) in cases {
        let reply = app.call(method.clone(), path, None, None).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.text);
        assert_eq!(reply.error_code(), code, "{method} {path}");
    }
    // a 405 keeps the Allow header that lists the methods the address accepts
    let reply = app
        .call(Method::PUT, "/api/v1/strategies", None, None)
        .await;
    let allow = reply.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let reply = app.get("/api/v1/strategies?limit=lots", None).await;
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/strategies/nope"))
        .header("x-request-id", "client-chosen-id-42")
        .send()
        .await
        .unwrap();
    let reply = crate::common::Reply::from(response).await;
    assert_eq!(reply.header("x-request-id"), Some("client-chosen-id-42"));
    assert_eq!(reply.error_code(), ErrorCode::NotFound);

    // An id that could forge log lines is replaced.
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(id, "bad id\twith spaces");
    assert_eq!(id.len(), 36, "{id}");
}

/// NUL, control and bidirectional-override characters were stored in emails, display names
/// and strategy texts: every text field refuses them, naming the field and the character.
#[tokio::test]
async fn text_fields_refuse_control_and_bidi_characters() {
    let app = TestApp::spawn().await;
    let password = crate::common::PASSWORD;
    let refused = |reply: &crate::common::Reply, field: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], field,
            "{}",
            reply.text
        );
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{}",
            reply.text
        );
    };
    for (body, field) in [
        (
            json!({ "email": "ada\u{0}@example.com", "password": password }),
            "email",
        ),
        (
            json!({ "email": "ada@example.com", "password": password,
                    "display_name": "Ada \u{202E}nimda" }),
            "display_name",
        ),
        (
            json!({ "email": "ada@example.com", "password": password,
                    "display_name": "Ada\u{7}" }),
            "display_name",
        ),
    ] {
        let reply = app.post("/api/v1/auth/register", None, body).await;
        refused(&reply, field);
    }
    let ada = app.register("ada@example.com").await;
    let token = Some(ada.token.as_str());
    for (body, field) in [
        (json!({ "title": "a\u{0}b" }), "title"),
        (
            json!({ "title": "ok", "tags": ["fine", "x\u{2066}y"] }),
            "tags[1]",
        ),
        (
            json!({ "title": "ok", "description": "bell \u{7}" }),
            "description",
        ),
        (
            json!({ "title": "ok", "graph": graph(SMA_CROSSOVER), "notes": "\u{202A}" }),
            "notes",
        ),
    ] {
        let reply = app.post("/api/v1/strategies", token, body).await;
        refused(&reply, field);
    }
    // line breaks and tabs are fine in descriptions and notes
    let reply = app
        .post(
            "/api/v1/strategies",
            token,
            json!({ "title": "Crossover", "description": "Line one\nLine two\tindented",
                    "graph": graph(SMA_CROSSOVER), "notes": "first\r\nversion" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.body["strategy"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/strategies/{id}");
    let reply = app
        .patch(&path, token, json!({ "title": "two\nlines" }))
        .await;
    refused(&reply, "title");
    let reply = app
        .post(
            &format!("{path}/clone"),
            token,
            json!({ "title": "copy \u{202D}" }),
        )
        .await;
    refused(&reply, "title");
    let reply = app
        .post(
            &format!("{path}/versions"),
            token,
            json!({ "graph": graph(SMA_CROSSOVER), "notes": "nul \u{0}" }),
        )
        .await;
    refused(&reply, "notes");
}
