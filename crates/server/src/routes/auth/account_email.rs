//! The account emails: confirming an address (sent on registering, again on request),
//! resetting a forgotten password, and a notice of a sign-in from a new device. Links
//! carry one-time tokens (random, only their SHA-256 stored; an hour for a reset, a week
//! for a confirmation). Asking for a reset answers the same whether or not the address has
//! an account; a reset ends every session.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use bb_store::{AccountEmail, TokenPurpose, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::extractor::AuthUser;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{password, policy};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, check_text};
use crate::rate_limit::{ClientIp, Scope};
use crate::routes::market::access::field_error;
use crate::state::AppState;

const RESET_TTL_MS: i64 = 3_600_000;
const VERIFY_TTL_MS: i64 = 7 * 86_400_000;
/// Emails of one kind to one user at most this often.
const RESEND_AFTER_MS: i64 = 60_000;
/// The device cookie (which browser signed in before).
pub const DEVICE_COOKIE: &str = "bb_device";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
        .routes(routes!(verify_email))
        .routes(routes!(send_verification))
}

/// A sentence for the user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub message: String,
}

/// Whose password to reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// A reset link's token and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    /// The same rules as registering: at least 12 characters, not easy to guess, not the
    /// email.
    pub password: String,
}

/// A confirmation link's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub token: String,
}

/// The confirmed address.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    pub message: String,
    pub email: String,
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", state.config().public_base())
}

fn check_token(token: &str) -> Result<String, ApiError> {
    if token.is_empty() || token.len() > 200 {
        return Err(ApiError::NotFound(
            "This link is not valid: ask for a new one.".into(),
        ));
    }
    Ok(hash_refresh_token(token))
}

/// Issues a one-time token for `purpose` and emails its link (`path?token=…`) to `user`,
/// unless one went out within a minute (`Ok(false)`). `email` gives the words; its link is
/// filled in here.
async fn send_link(
    state: &AppState,
    user: &User,
    purpose: TokenPurpose,
    ttl_ms: i64,
    path: &str,
    email: AccountEmail,
) -> Result<bool, ApiError> {
    let account = state.db().account();
    let last = account.last_issued(&user.id, purpose).await?;
    if last.is_some_and(|t| bb_store::now_ms() - t < RESEND_AFTER_MS) {
        return Ok(false);
    }
    let (token, hash) = new_refresh_token();
    account.issue(&user.id, purpose, &hash, ttl_ms).await?;
    state
        .db()
        .emails()
        .queue_account(AccountEmail {
            link: Some(link(state, path, &token)),
            ..email
        })
        .await?;
    Ok(true)
}

/// Sends `user` a link confirming their address (unless one went out within a minute:
/// `Ok(false)`).
pub async fn send_confirmation(state: &AppState, user: &User) -> Result<bool, ApiError> {
    let name = if user.display_name.is_empty() {
        "there"
    } else {
        &user.display_name
    };
    let email = AccountEmail {
        user_id: user.id.clone(),
        kind: "account.verify_email".into(),
        subject: "Confirm your email address for Blockbuilders".into(),
        body: format!(
            "Hello {name}, confirm that {} is your address so we can send you your backtest \
             summaries and alerts. The link works for a week.",
            user.email
        ),
        link: None,
    };
    send_link(
        state,
        user,
        TokenPurpose::VerifyEmail,
        VERIFY_TTL_MS,
        "/verify-email",
        email,
    )
    .await
}

/// Ask for a password-reset link. The answer is the same whether or not the address has
/// an account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, body = Done),
        (status = 422, description = "Not an email address (`details.field`)", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from here", body = ErrorEnvelope),
    )
)]
async fn request_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<ResetRequest>,
) -> Result<(StatusCode, Json<Done>), ApiError> {
    state.limiter().check(Scope::Recovery, ip)?;
    check_text("email", &req.email, Lines::One)?;
    let email = req.email.trim().to_lowercase();
    if email.len() > 254 || !email.contains('@') {
        return Err(field_error("email", "This is not an email address."));
    }
    if let Some((user, Some(_))) = state.db().users().by_email(&email).await?
        && user.disabled_at.is_none()
    {
        let email = AccountEmail {
            user_id: user.id.clone(),
            kind: "account.password_reset".into(),
            subject: "Reset your Blockbuilders password".into(),
            body: "Someone (we hope you) asked to reset the password of your Blockbuilders \
                   account. The link works for an hour, once. If it was not you, ignore this \
                   email: your password stays."
                .into(),
            link: None,
        };
        let purpose = TokenPurpose::ResetPassword;
        if send_link(
            &state,
            &user,
            purpose,
            RESET_TTL_MS,
            "/reset-password",
            email,
        )
        .await?
        {
            tracing::info!(user_id = %user.id, "password reset link sent");
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Done {
            message: "If an account exists for that address, we sent it a link to choose a \
                      new password. It works for an hour."
                .into(),
        }),
    ))
}

/// Choose a new password with a reset link's token. Every session of the account ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "auth",
    request_body = ResetConfirm,
    responses(
        (status = 200, body = Done),
        (status = 404, description = "The link is unknown, used or expired", body = ErrorEnvelope),
        (status = 422, description = "A password that is too short, too easy to guess or contains the email (`details.field` = password)", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from here", body = ErrorEnvelope),
    )
)]
async fn confirm_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<ResetConfirm>,
) -> Result<Json<Done>, ApiError> {
    state.limiter().check(Scope::Recovery, ip)?;
    let hash = check_token(&req.token)?;
    let expired = || {
        ApiError::NotFound(
            "This reset link has expired or was already used: ask for a new one.".into(),
        )
    };
    // Check the password against the account's email before the token is spent.
    let Some(user_id) = state.db().account().peek_reset(&hash).await? else {
        return Err(expired());
    };
    let user = state.db().users().get(&user_id).await?;
    let (password, email) = (req.password.clone(), user.email.clone());
    if let Some(reason) =
        tokio::task::spawn_blocking(move || policy::refuse(&password, &email)).await?
    {
        return Err(field_error("password", reason));
    }
    let password_hash = password::hash(req.password).await?;
    let Some(user_id) = state
        .db()
        .account()
        .consume(&hash, TokenPurpose::ResetPassword)
        .await?
    else {
        return Err(expired());
    };
    state
        .db()
        .account()
        .reset_password(&user_id, &password_hash)
        .await?;
    // The reset link reached the inbox: the address is confirmed too.
    state
        .db()
        .account()
        .mark_verified(&user.id, &user.email)
        .await?;
    tracing::info!(user_id = %user_id, "password reset");
    Ok(Json(Done {
        message: "Your password is changed and every session was signed out. Sign in with \
                  the new password."
            .into(),
    }))
}

/// Confirm an email address with a confirmation link's token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    tag = "auth",
    request_body = VerifyRequest,
    responses(
        (status = 200, body = Verified),
        (status = 404, description = "The link is unknown, used or expired", body = ErrorEnvelope),
    )
)]
async fn verify_email(
    State(state): State<AppState>,
    Json(req): Json<VerifyRequest>,
) -> Result<Json<Verified>, ApiError> {
    let hash = check_token(&req.token)?;
    let user_id = state
        .db()
        .account()
        .consume(&hash, TokenPurpose::VerifyEmail)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(
                "This confirmation link has expired or was already used: sign in and ask for \
                 a new one."
                    .into(),
            )
        })?;
    let user = state.db().users().get(&user_id).await?;
    state
        .db()
        .account()
        .mark_verified(&user.id, &user.email)
        .await?;
    Ok(Json(Verified {
        message: format!("Your email address {} is confirmed.", user.email),
        email: user.email,
    }))
}

/// Send the confirmation link again.
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email/send",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, body = Done),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "The address is already confirmed", body = ErrorEnvelope),
        (status = 429, description = "A link went out less than a minute ago", body = ErrorEnvelope),
    )
)]
async fn send_verification(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<(StatusCode, Json<Done>), ApiError> {
    let user = state.db().users().get(&caller.id).await?;
    if state
        .db()
        .account()
        .is_verified(&user.id, &user.email)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "{} is already confirmed.",
            user.email
        )));
    }
    if !send_confirmation(&state, &user).await? {
        return Err(ApiError::RateLimited {
            retry_after: std::time::Duration::from_secs(60),
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Done {
            message: format!("We sent a confirmation link to {}.", user.email),
        }),
    ))
}

/// After a sign-in: the browser's device cookie is recorded, and when the account had
/// signed in before but never from it, its owner gets an email. Returns the cookie to set
/// for a browser that had none.
pub async fn note_device(
    state: &AppState,
    user: &User,
    headers: &HeaderMap,
    ip: std::net::IpAddr,
) -> Result<Option<HeaderValue>, ApiError> {
    let presented = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(&format!("{DEVICE_COOKIE}=")))
        .find(|v| !v.is_empty() && v.len() <= 100)
        .map(str::to_owned);
    let (token, cookie) = match presented {
        Some(token) => (token, None),
        None => {
            let (token, _) = new_refresh_token();
            let secure = if state.config().secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{DEVICE_COOKIE}={token}; Path=/api/v1/auth; HttpOnly; SameSite=Strict; \
                 Max-Age=34560000{secure}"
            );
            (token, HeaderValue::from_str(&cookie).ok())
        }
    };
    let is_new = state
        .db()
        .account()
        .sign_in_from(&user.id, &hash_refresh_token(&token))
        .await?;
    if is_new {
        let agent: String = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("an unknown browser")
            .chars()
            .filter(|c| !c.is_control())
            .take(160)
            .collect();
        let when = bb_domain::calendar::format_rfc3339_ms(bb_store::now_ms());
        state
            .db()
            .emails()
            .queue_account(AccountEmail {
                user_id: user.id.clone(),
                kind: "account.new_sign_in".into(),
                subject: "A new sign-in to your Blockbuilders account".into(),
                body: format!(
                    "Someone signed in to your account from a device we had not seen: {agent}, \
                     from {ip}, at {when} (UTC). If it was you, there is nothing to do. If not, \
                     choose a new password now: that signs everybody out."
                ),
                link: Some(format!("{}/reset-password", state.config().public_base())),
            })
            .await?;
    }
    Ok(cookie)
}
