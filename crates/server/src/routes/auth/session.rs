//! Sessions: issuing the token pair, and the `bb_refresh` cookie
//! (`HttpOnly; SameSite=Strict; Path=/api/v1/auth`, plus `Secure` when configured).

use super::types::{RefreshRequest, Session};
use crate::auth::tokens::new_refresh_token;
use crate::error::ApiError;
use crate::extract::parse_optional_json;
use crate::state::AppState;
use axum::body::Bytes;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bb_store::{User, now_ms};

pub const REFRESH_COOKIE: &str = "bb_refresh";
const COOKIE_PATH: &str = "/api/v1/auth";

/// A new session family for a user: access token, refresh token, cookie.
pub async fn start_session(
    state: &AppState,
    user: User,
) -> Result<(Session, HeaderValue), ApiError> {
    let (token, hash) = new_refresh_token();
    let family = uuid::Uuid::now_v7().to_string();
    state
        .db()
        .tokens()
        .create(&user.id, &family, &hash, refresh_expiry(state))
        .await?;
    let cookie = refresh_cookie(state, &token)?;
    Ok((session_for(state, user, &family)?, cookie))
}

/// The session answer for `user` in session (refresh token family) `family`.
pub fn session_for(state: &AppState, user: User, family: &str) -> Result<Session, ApiError> {
    let access_token = state
        .tokens()
        .issue(&user.id, user.role, family)
        .map_err(|e| ApiError::internal(format!("signing an access token: {e}")))?;
    Ok(Session {
        user: user.into(),
        access_token,
        token_type: "Bearer".to_string(),
        expires_in: state.tokens().access_ttl().as_secs(),
        refresh_token: None,
    })
}

pub fn refresh_expiry(state: &AppState) -> i64 {
    let ttl_ms = i64::try_from(state.config().refresh_token_ttl.as_millis()).unwrap_or(i64::MAX);
    now_ms().saturating_add(ttl_ms)
}

pub fn refresh_cookie(state: &AppState, token: &str) -> Result<HeaderValue, ApiError> {
    let max_age = state.config().refresh_token_ttl.as_secs();
    cookie(state, token, max_age)
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0).unwrap_or_else(|_| HeaderValue::from_static("bb_refresh=; Max-Age=0"))
}

pub fn cookie(state: &AppState, value: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={value}; HttpOnly; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

/// A 401 that also clears the refresh cookie.
pub fn session_ended(state: &AppState, message: &str) -> Response {
    (
        [(SET_COOKIE, clear_cookie(state))],
        ApiError::Unauthorized(message.to_string()),
    )
        .into_response()
}

/// The refresh token from the JSON body (then `true`) or the cookie.
pub fn presented_token(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Option<(String, bool)>, ApiError> {
    let req: RefreshRequest = parse_optional_json(body)?;
    if let Some(token) = req.refresh_token.filter(|t| !t.is_empty()) {
        return Ok(Some((token, true)));
    }
    let from_cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
        .map(|(_, value)| (value.to_string(), false));
    Ok(from_cookie)
}
