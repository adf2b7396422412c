//! Two-factor sign-in (TOTP): setup, enable, disable, and the login challenge's answer.
//!
//! Every code (or password, for disabling) counts as an attempt against the account: at
//! most [`totp::MAX_ATTEMPTS`] in [`totp::ATTEMPT_WINDOW_MS`], then `429`. The count lives
//! in the database, so it holds across processes and new challenges.

use super::session::start_session;
use super::types::Session;
use crate::auth::extractor::AuthUser;
use crate::auth::tokens::{TokenError, now_secs};
use crate::auth::{password, totp};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::rate_limit::{ClientIp, Scope};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use bb_store::{StoreError, now_ms};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(verify))
}

/// A new TOTP secret to add to an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// The `otpauth://totp/...` address the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableTwoFactorRequest {
    /// The 6-digit code the app shows now.
    #[schema(example = "123456")]
    pub code: String,
}

/// Recovery codes, shown once: each signs in once instead of a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// Either the account's password or a current code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactorRequest {
    pub password: Option<String>,
    pub code: Option<String>,
}

/// The answer to a login challenge: a code from the app or one recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyTwoFactorRequest {
    pub challenge: String,
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

/// Start turning on two-factor sign-in: a new secret, its otpauth address and QR code.
///
/// Nothing changes at sign-in until `POST /api/v1/auth/2fa/enable` confirms a code.
#[utoipa::path(
    post,
    path = "/api/v1/auth/2fa/setup",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TwoFactorSetup),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Two-factor sign-in is already on", body = ErrorEnvelope),
    )
)]
async fn setup(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<TwoFactorSetup>, ApiError> {
    let user = state.db().users().get(&caller.id).await?;
    let secret = totp::new_secret();
    match state.db().users().set_pending_totp(&user.id, &secret).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(already_on()),
        Err(e) => return Err(e.into()),
    }
    let otpauth_uri = totp::otpauth_uri(&secret, &user.email)
        .ok_or_else(|| ApiError::internal("building the otpauth address"))?;
    let qr_svg =
        totp::qr_svg(&otpauth_uri).ok_or_else(|| ApiError::internal("drawing the QR code"))?;
    Ok(Json(TwoFactorSetup {
        secret,
        otpauth_uri,
        qr_svg,
    }))
}

/// Turn on two-factor sign-in by confirming a code from the app; answers the recovery
/// codes, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/auth/2fa/enable",
    tag = "auth",
    security(("bearer" = [])),
    request_body = EnableTwoFactorRequest,
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "Already on, or setup was not started", body = ErrorEnvelope),
        (status = 422, description = "The code is wrong (`details.field` = `code`)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; wait", body = ErrorEnvelope),
    )
)]
async fn enable(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<EnableTwoFactorRequest>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let users = state.db().users();
    let current = users.totp(&caller.id).await?;
    if current.enabled {
        return Err(already_on());
    }
    let Some(secret) = current.secret else {
        return Err(ApiError::Conflict(
            "Start with POST /api/v1/auth/2fa/setup to get a secret first.".to_string(),
        ));
    };
    count_attempt(&state, &caller.id).await?;
    let Some(step) = totp::check(&secret, &req.code, now_secs()) else {
        return Err(wrong_code_field());
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    match users.enable_totp(&caller.id, step, &hashes).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(wrong_code_field()),
        Err(e) => return Err(e.into()),
    }
    users.reset_totp_attempts(&caller.id).await?;
    tracing::info!(user_id = %caller.id, "two-factor sign-in turned on");
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turn off two-factor sign-in, confirmed with the password or a current code.
#[utoipa::path(
    post,
    path = "/api/v1/auth/2fa/disable",
    tag = "auth",
    security(("bearer" = [])),
    request_body = DisableTwoFactorRequest,
    responses(
        (status = 204, description = "Turned off; the secret and recovery codes are forgotten"),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "Neither a password nor a code, or a wrong one (`details.field`)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; wait", body = ErrorEnvelope),
    )
)]
async fn disable(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<DisableTwoFactorRequest>,
) -> Result<Response, ApiError> {
    let users = state.db().users();
    let current = users.totp(&caller.id).await?;
    match (req.password, req.code) {
        (Some(pw), _) if !pw.is_empty() => {
            count_attempt(&state, &caller.id).await?;
            let user = users.get(&caller.id).await?;
            let hash = users.by_email(&user.email).await?.and_then(|(_, h)| h);
            if !password::verify(pw, hash).await? {
                return Err(ApiError::validation(
                    "The password is wrong.",
                    Some(serde_json::json!({ "field": "password" })),
                ));
            }
        }
        (_, Some(code)) if !code.is_empty() => {
            count_attempt(&state, &caller.id).await?;
            let step = current
                .secret
                .as_deref()
                .filter(|_| current.enabled)
                .and_then(|secret| totp::check(secret, &code, now_secs()));
            let fresh = match step {
                Some(step) => users.use_totp_step(&caller.id, step).await?,
                None => false,
            };
            if !fresh {
                return Err(wrong_code_field());
            }
        }
        _ => {
            return Err(ApiError::validation(
                "Confirm with your password or a current code from your authenticator app.",
                Some(serde_json::json!({ "field": "password" })),
            ));
        }
    }
    users.disable_totp(&caller.id).await?;
    users.reset_totp_attempts(&caller.id).await?;
    tracing::info!(user_id = %caller.id, "two-factor sign-in turned off");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Answer a login challenge with a code from the app (or a recovery code) and sign in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/2fa/verify",
    tag = "auth",
    request_body = VerifyTwoFactorRequest,
    responses(
        (status = 200, description = "Signed in; the refresh token is in the `bb_refresh` cookie", body = Session),
        (status = 401, description = "The challenge expired or is not valid, or the code is wrong or was already used", body = ErrorEnvelope),
        (status = 422, description = "Neither a code nor a recovery code", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; wait", body = ErrorEnvelope),
    )
)]
async fn verify(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    Json(req): Json<VerifyTwoFactorRequest>,
) -> Result<Response, ApiError> {
    state.limiter().check(Scope::Login, ip)?;
    let user_id = match state.tokens().verify_challenge(&req.challenge) {
        Ok(id) => id,
        Err(TokenError::Expired) => {
            return Err(ApiError::Unauthorized(
                "The sign-in took too long; sign in with your password again.".to_string(),
            ));
        }
        Err(TokenError::Invalid) => {
            return Err(ApiError::Unauthorized(
                "The challenge is not valid; sign in with your password again.".to_string(),
            ));
        }
    };
    let users = state.db().users();
    let user = match users.get(&user_id).await {
        Ok(user) => user,
        Err(StoreError::NotFound) => {
            return Err(ApiError::Unauthorized(
                "This account no longer exists.".to_string(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if user.disabled_at.is_some() {
        return Err(ApiError::Unauthorized(
            "This account is disabled; contact support.".to_string(),
        ));
    }
    let code = req.code.filter(|c| !c.trim().is_empty());
    let recovery = req.recovery_code.filter(|c| !c.trim().is_empty());
    if code.is_none() && recovery.is_none() {
        return Err(ApiError::validation(
            "Enter the 6-digit code from your authenticator app, or a recovery code.",
            Some(serde_json::json!({ "field": "code" })),
        ));
    }
    count_attempt(&state, &user.id).await?;
    let current = users.totp(&user.id).await?;
    let accepted = match (code, recovery) {
        (Some(code), _) => {
            let step = current
                .secret
                .as_deref()
                .filter(|_| current.enabled)
                .and_then(|secret| totp::check(secret, &code, now_secs()));
            match step {
                Some(step) => users.use_totp_step(&user.id, step).await?,
                None => false,
            }
        }
        (None, Some(recovery)) => {
            current.enabled
                && users
                    .use_recovery_code(&user.id, &totp::hash_recovery_code(&recovery))
                    .await?
        }
        (None, None) => false,
    };
    if !accepted {
        return Err(ApiError::Unauthorized(
            "The code is wrong or was already used; wait for the next code in your \
             authenticator app, or use a recovery code."
                .to_string(),
        ));
    }
    users.reset_totp_attempts(&user.id).await?;
    let device = super::account_email::note_device(&state, &user, &headers, ip).await?;
    let (session, cookie) = start_session(&state, user).await?;
    let mut response = ([(SET_COOKIE, cookie)], Json(session)).into_response();
    if let Some(device) = device {
        response.headers_mut().append(SET_COOKIE, device);
    }
    Ok(response)
}

/// Counts a code attempt; `429` beyond the limit.
async fn count_attempt(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let now = now_ms();
    let counted = state
        .db()
        .users()
        .count_totp_attempt_at(user_id, now, totp::ATTEMPT_WINDOW_MS, totp::MAX_ATTEMPTS)
        .await?;
    match counted {
        Ok(()) => Ok(()),
        Err(retry_at) => {
            let wait = u64::try_from(retry_at.saturating_sub(now)).unwrap_or(1);
            tracing::warn!(user_id, "too many two-factor attempts");
            Err(ApiError::RateLimited {
                retry_after: Duration::from_millis(wait),
            })
        }
    }
}

fn already_on() -> ApiError {
    ApiError::Conflict(
        "Two-factor sign-in is already on; turn it off first to set up a new app.".to_string(),
    )
}

fn wrong_code_field() -> ApiError {
    ApiError::validation(
        "The code is wrong or was already used; enter the 6-digit code your authenticator app \
         shows now.",
        Some(serde_json::json!({ "field": "code" })),
    )
}
