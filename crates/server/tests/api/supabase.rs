//! Supabase tokens: HS256 with the project secret, and ES256 through a JWKS served by a
//! local fake.

use crate::auth::b64;
use crate::common::ErrorCode;
use crate::common::{JWT_SECRET, TestApp};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const SUPABASE_SECRET: &str = "super-secret-supabase-project-jwt-secret";
const ISSUER: &str = "https://project.supabase.co/auth/v1";

/// Two P-256 keys (PKCS#8), made with `openssl genpkey -algorithm EC -pkeyopt
/// ec_paramgen_curve:P-256`; test-only.
const KEY_1: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggHRB1Po0Aq1BusHj
wlHyYhLDmzh4ueyRCKtgAH4+BYWhRANCAAT7iEsujWVwiiJSwnO+29da9EcbpUIF
My+Wf+FpWH6rGW93JgyMvCOEDMOlwMm85fJVafCZzqbcV2BNJt8HZ7le
-----END PRIVATE KEY-----
";
const KEY_2: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgX1sl3E3Uz5sF+jlN
luq4rZutaM+ph51XROEOPkiYsJGhRANCAASacuZIDk5hLSogMc1FijRxUA3tB67m
kONJdU/5Rv3jIf8sb2fjWEjcvoaOCSOneisTu+zkBsqym75UQi3YG7oF
-----END PRIVATE KEY-----
";

fn claims(sub: &str, email: &str) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "sub": sub, "email": email, "aud": "authenticated", "role": "authenticated",
        "iss": ISSUER, "iat": now, "exp": now + 600,
    })
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn es256(claims: &Value, pem: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn public_jwk(pem: &str, kid: &str) -> Value {
    let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.to_string());
    serde_json::to_value(jwk).unwrap()
}

/// Serves `{"keys": [...]}` on 127.0.0.1:0; returns its address.
async fn fake_jwks(keys: Vec<Value>) -> String {
    let set = json!({ "keys": keys });
    let app = axum::Router::new().route(
        "/auth/v1/.well-known/jwks.json",
        axum::routing::get(move || {
            let set = set.clone();
            async move { axum::Json(set) }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/auth/v1/.well-known/jwks.json")
}

#[tokio::test]
async fn hs256_tokens_map_to_a_local_user() {
    let app = TestApp::spawn_with(|c| {
        c.supabase_jwt_secret = Some(bb_server::Secret::new(SUPABASE_SECRET));
        c.supabase_issuer = Some(ISSUER.to_string());
    })
    .await;
    let sub = "5b0c6c1e-2f44-4bd4-9a3f-1f0f5e1d2c3b";
    let token = hs256(&claims(sub, "Sam@Example.com"), SUPABASE_SECRET);

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["email"], "sam@example.com");
    assert_eq!(me.body["role"], "builder");
    assert_eq!(me.body["plan"], "free");
    let again = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(again.body["id"], me.body["id"]);
    let created = app
        .post(
            "/api/v1/strategies",
            Some(&token),
            json!({ "title": "From Supabase" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["strategy"]["owner_id"], me.body["id"]);

    let refused = |mut c: Value, field: &str, value: Value| {
        c[field] = value;
        c
    };
    for (name, bad) in [
        (
            "wrong audience",
            hs256(
                &refused(claims(sub, "sam@example.com"), "aud", json!("anon")),
                SUPABASE_SECRET,
            ),
        ),
        (
            "wrong issuer",
            hs256(
                &refused(
                    claims(sub, "sam@example.com"),
                    "iss",
                    json!("https://evil.example"),
                ),
                SUPABASE_SECRET,
            ),
        ),
        (
            "expired",
            hs256(
                &refused(claims(sub, "sam@example.com"), "exp", json!(1_000_000_000)),
                SUPABASE_SECRET,
            ),
        ),
        (
            "other secret",
            hs256(&claims(sub, "sam@example.com"), JWT_SECRET),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none","typ":"JWT"}"#),
                b64(&claims(sub, "sam@example.com").to_string())
            ),
        ),
    ] {
        let reply = app.get("/api/v1/me", Some(&bad)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), ErrorCode::Unauthorized, "{name}");
    }
}

#[tokio::test]
async fn es256_tokens_are_checked_against_the_jwks() {
    let jwks = fake_jwks(vec![public_jwk(KEY_1, "key-1")]).await;
    let app = TestApp::spawn_with(|c| {
        c.supabase_jwks_url = Some(jwks);
        c.supabase_issuer = Some(ISSUER.to_string());
    })
    .await;
    let sub = "0e9f3a52-8d11-4c39-b2b7-6a3c1d0e4f21";
    let good = es256(&claims(sub, "lin@example.com"), KEY_1, Some("key-1"));
    let me = app.get("/api/v1/me", Some(&good)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["email"], "lin@example.com");

    let public_x = public_jwk(KEY_1, "key-1")["x"]
        .as_str()
        .unwrap()
        .to_string();
    let mut hs_with_kid = Header::new(Algorithm::HS256);
    hs_with_kid.kid = Some("key-1".to_string());
    let confused = jsonwebtoken::encode(
        &hs_with_kid,
        &claims(sub, "lin@example.com"),
        &EncodingKey::from_secret(public_x.as_bytes()),
    )
    .unwrap();
    for (name, bad) in [
        (
            "signed by another key",
            es256(&claims(sub, "lin@example.com"), KEY_2, Some("key-1")),
        ),
        (
            "unknown kid",
            es256(&claims(sub, "lin@example.com"), KEY_2, Some("key-2")),
        ),
        (
            "no kid",
            es256(&claims(sub, "lin@example.com"), KEY_1, None),
        ),
        ("HS256 with the public key as secret", confused),
        (
            "HS256 when no secret is configured",
            hs256(&claims(sub, "lin@example.com"), SUPABASE_SECRET),
        ),
        (
            "alg none with a known kid",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none","typ":"JWT","kid":"key-1"}"#),
                b64(&claims(sub, "lin@example.com").to_string())
            ),
        ),
    ] {
        let reply = app.get("/api/v1/me", Some(&bad)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {}",
            reply.text
        );
    }
}
