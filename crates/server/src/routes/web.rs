//! The web UI: the React build in `web/dist`, embedded in release builds (read from disk in
//! debug builds, or from `BB_WEB_DIR`).
//!
//! - a file that exists is served with its content type; Vite's hashed `assets/*` are cached
//!   for a year, everything else (notably `index.html`) is revalidated with its ETag;
//! - any other GET path outside `/api` gets `index.html` (the UI routes on the client);
//! - unknown `/api/*` paths are a JSON `not_found`;
//! - without a built UI, a page explains how to build it. The API works either way.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Blockbuilders</title></head>
<body>
<h1>Blockbuilders</h1>
<p>The web UI is not built. Run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>
(or use <code>make run</code>), then reload this page.</p>
<p>The API is running: see <a href=\"/api/docs/\">the API documentation</a>.</p>
</body>
</html>
";

/// The router's fallback: UI files, the SPA entry point, or a JSON 404 under `/api`.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound(format!("There is no API endpoint {} {path}.", req.method()))
            .into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::NotFound(format!("There is nothing to {} at {path}.", req.method()))
            .into_response();
    }
    match &state.config().web_dir {
        Some(dir) => from_dir(dir, req).await,
        None => embedded(&path, req.headers()),
    }
}

fn embedded(path: &str, headers: &HeaderMap) -> Response {
    let name = path.trim_start_matches('/');
    let (name, file) = match Assets::get(name).filter(|_| !name.is_empty()) {
        Some(file) => (name, file),
        None => match Assets::get("index.html") {
            Some(index) => ("index.html", index),
            None => return not_built(),
        },
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Body::from(file.data).into_response();
        if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
            response.headers_mut().insert(header::CONTENT_TYPE, mime);
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}

async fn from_dir(dir: &Path, req: Request) -> Response {
    let index = dir.join("index.html");
    if !index.is_file() {
        return not_built();
    }
    let service = ServeDir::new(dir).fallback(ServeFile::new(index));
    match service.oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(e) => ApiError::internal(format!("serving the web UI from disk: {e}")).into_response(),
    }
}

fn not_built() -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        Html(NOT_BUILT),
    )
        .into_response()
}

/// Whether the binary (or, in debug builds, the disk) has a built UI.
pub fn ui_is_built() -> bool {
    Assets::get("index.html").is_some()
}
