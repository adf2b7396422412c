//! Accounts and sessions: register, login, refresh, logout, and who am I.
//!
//! A session is a short-lived access token (sent as `Authorization: Bearer`) plus a refresh
//! token in the `bb_refresh` cookie (`HttpOnly; SameSite=Strict; Path=/api/v1/auth`).
//! Non-browser clients may read the cookie's value and send it back as
//! `{"refresh_token": "..."}` instead; such a refresh also returns the new token in the body.
//!
//! Registering answers `202 {"status": "registered"}` whether or not the email already had an
//! account, so the answer never tells who has an account; the client then signs in. For a
//! taken email the owner gets a notification instead. With two-factor sign-in on, login
//! answers a challenge that `POST /auth/2fa/verify` exchanges for the session.

pub mod account_email;
mod session;
pub mod two_factor;
pub mod types;

pub use session::REFRESH_COOKIE;
pub use session::clear_cookie as clear_refresh_cookie;

use crate::auth::extractor::AuthUser;
use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{password, policy};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, check_text};
use crate::rate_limit::{ClientIp, Scope};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bb_store::{NewNotification, NewUser, PlanTier, Role, StoreError, now_ms};
use session::{
    clear_cookie, presented_token, refresh_cookie, refresh_expiry, session_ended, session_for,
    start_session,
};
use types::{
    LoginReply, LoginRequest, RefreshRequest, RegisterRequest, Registered, Session,
    TwoFactorChallenge, UserView,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
const MAX_DISPLAY_NAME: usize = 80;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .merge(two_factor::router())
        .merge(account_email::router())
}

/// Create an account.
///
/// The answer is the same whether or not the email already has an account (so it never
/// reveals who has one): `202 {"status": "registered"}`. Sign in next with the same email
/// and password. When the email was taken, nothing changes and its owner is notified.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "Registered (or the email already had an account); sign in next", body = Registered),
        (status = 422, description = "Invalid email, or a password that is too short, too easy to guess or contains the email, or an email or display name with control or bidirectional-override characters (`details.field`)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope),
    )
)]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    state.limiter().check(Scope::Register, ip)?;
    check_text("email", &req.email, Lines::One)?;
    let email = normalize_email(&req.email)?;
    let display_name = req.display_name.unwrap_or_default().trim().to_string();
    check_text("display_name", &display_name, Lines::One)?;
    if display_name.chars().count() > MAX_DISPLAY_NAME {
        return Err(field_error(
            "display_name",
            format!("The display name may have at most {MAX_DISPLAY_NAME} characters."),
        ));
    }
    let (password, checked_email) = (req.password.clone(), email.clone());
    let refused =
        tokio::task::spawn_blocking(move || policy::refuse(&password, &checked_email)).await?;
    if let Some(reason) = refused {
        return Err(field_error("password", reason));
    }
    // Hashing comes before the existence check, so both answers take the same time.
    let password_hash = password::hash(req.password).await?;
    let new = NewUser {
        email: email.clone(),
        password_hash: Some(password_hash),
        display_name,
        role: Role::Builder,
        plan: PlanTier::Free,
        external_subject: None,
    };
    match state.db().users().create(new).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "account created");
            account_email::send_confirmation(&state, &user).await?;
        }
        Err(StoreError::Conflict(_)) => notify_owner(&state, &email).await?,
        Err(e) => return Err(e.into()),
    }
    let body = Registered {
        status: "registered".to_string(),
        message: "If this email was new, the account is ready: sign in with this email and \
                  password. If it already had an account, its owner has been told."
            .to_string(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// Tells the owner of a taken email that someone tried to register with it.
async fn notify_owner(state: &AppState, email: &str) -> Result<(), ApiError> {
    let Some((owner, _)) = state.db().users().by_email(email).await? else {
        return Ok(());
    };
    tracing::info!(user_id = %owner.id, "registration attempted with a taken email");
    state
        .db()
        .notifications()
        .create(NewNotification {
            user_id: owner.id,
            kind: "account.register_attempt".to_string(),
            title: "Someone tried to sign up with your email".to_string(),
            body: "Someone tried to create a new account with your email address. Nothing \
                   changed. If it was you, just sign in; if not, you can ignore this, or turn \
                   on two-factor authentication on the Plan page."
                .to_string(),
            link: Some("/plan".to_string()),
            payload: serde_json::json!({}),
        })
        .await?;
    Ok(())
}

/// Sign in with email and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (the refresh token is in the `bb_refresh` cookie), or, with two-factor sign-in on, `{\"two_factor_required\": true, \"challenge\": ...}` to answer at `/api/v1/auth/2fa/verify`", body = LoginReply),
        (status = 401, description = "Wrong email or password, or a disabled account", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts, or too many failures for this email", body = ErrorEnvelope),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    state.limiter().check(Scope::Login, ip)?;
    let email = req.email.trim().to_lowercase();
    state.login_guard().check(&email, ip)?;
    let (user, hash) = match state.db().users().by_email(&email).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let matches = password::verify(req.password, hash).await?;
    match (matches, user) {
        (true, Some(user)) => {
            state.login_guard().succeeded(&email, ip);
            if user.disabled_at.is_some() {
                return Err(ApiError::Unauthorized(
                    "This account is disabled; contact support.".to_string(),
                ));
            }
            if user.two_factor_enabled {
                let challenge = state
                    .tokens()
                    .issue_challenge(&user.id)
                    .map_err(|e| ApiError::internal(format!("signing a challenge: {e}")))?;
                let reply = LoginReply::TwoFactor(TwoFactorChallenge {
                    two_factor_required: true,
                    challenge,
                    expires_in: crate::auth::tokens::CHALLENGE_TTL_SECS,
                });
                return Ok(Json(reply).into_response());
            }
            let device = account_email::note_device(&state, &user, &headers, ip).await?;
            let (session, cookie) = start_session(&state, user).await?;
            let mut response =
                ([(SET_COOKIE, cookie)], Json(LoginReply::Session(session))).into_response();
            if let Some(device) = device {
                response.headers_mut().append(SET_COOKIE, device);
            }
            Ok(response)
        }
        _ => {
            state.login_guard().failed(&email, ip);
            Err(ApiError::Unauthorized(
                "The email or the password is wrong.".to_string(),
            ))
        }
    }
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// The old refresh token stops working. Presenting a refresh token that was already used
/// ends the whole session family (someone else may hold a copy).
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body(content = Option<RefreshRequest>, description = "Optional: browsers send the `bb_refresh` cookie and no body"),
    responses(
        (status = 200, description = "A new session", body = Session),
        (status = 401, description = "No valid refresh token; sign in again", body = ErrorEnvelope),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (token, from_body) = match presented_token(&headers, &body)? {
        Some(found) => found,
        None => {
            return Ok(session_ended(
                &state,
                "No refresh token was sent; sign in again.",
            ));
        }
    };
    let db = state.db();
    let Some(stored) = db.tokens().find(&hash_refresh_token(&token)).await? else {
        return Ok(session_ended(
            &state,
            "The refresh token is not valid; sign in again.",
        ));
    };
    if stored.revoked_at.is_some() {
        let revoked = db.tokens().revoke_family(&stored.family_id).await?;
        tracing::warn!(user_id = %stored.user_id, family = %stored.family_id, revoked,
            "a used refresh token was presented again; the session family is revoked");
        return Ok(session_ended(
            &state,
            "This session has ended; sign in again.",
        ));
    }
    if stored.expires_at <= now_ms() {
        return Ok(session_ended(
            &state,
            "The session has expired; sign in again.",
        ));
    }
    let (new_token, new_hash) = new_refresh_token();
    match db
        .tokens()
        .rotate(&stored.id, &new_hash, refresh_expiry(&state))
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            db.tokens().revoke_family(&stored.family_id).await?;
            return Ok(session_ended(
                &state,
                "This session has ended; sign in again.",
            ));
        }
        Err(StoreError::NotFound) => {
            return Ok(session_ended(
                &state,
                "The refresh token is not valid; sign in again.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let user = db.users().get(&stored.user_id).await?;
    if user.disabled_at.is_some() {
        db.tokens().revoke_family(&stored.family_id).await?;
        return Ok(session_ended(
            &state,
            "This account is disabled; contact support.",
        ));
    }
    let mut session = session_for(&state, user, &stored.family_id)?;
    if from_body {
        session.refresh_token = Some(new_token.clone());
    }
    let cookie = refresh_cookie(&state, &new_token)?;
    Ok(([(SET_COOKIE, cookie)], Json(session)).into_response())
}

/// Sign out: ends the session family of the presented refresh token and clears the cookie.
/// The session's access tokens stop working at once too.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    request_body(content = Option<RefreshRequest>, description = "Optional: browsers send the `bb_refresh` cookie and no body"),
    responses((status = 204, description = "Signed out (also when there was no session)"))
)]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if let Some((token, _)) = presented_token(&headers, &body)?
        && let Some(stored) = state
            .db()
            .tokens()
            .find(&hash_refresh_token(&token))
            .await?
    {
        state.db().tokens().revoke_family(&stored.family_id).await?;
        tracing::info!(user_id = %stored.user_id, "signed out");
    }
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear_cookie(&state))]).into_response())
}

/// The signed-in account.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ErrorEnvelope),
    )
)]
async fn me(State(state): State<AppState>, caller: AuthUser) -> Result<Json<UserView>, ApiError> {
    match state.db().users().get(&caller.id).await {
        Ok(user) => {
            // Only a server that sends email asks for the address to be confirmed.
            let verified = match state.mail() {
                Some(_) => Some(
                    state
                        .db()
                        .account()
                        .is_verified(&user.id, &user.email)
                        .await?,
                ),
                None => None,
            };
            let mut view = UserView::from(user);
            view.email_verified = verified;
            Ok(Json(view))
        }
        Err(StoreError::NotFound) => Err(ApiError::Unauthorized(
            "This account no longer exists.".to_string(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if plausible {
        Ok(email)
    } else {
        Err(field_error(
            "email",
            "This does not look like an email address.".to_string(),
        ))
    }
}

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::validation(message, Some(serde_json::json!({ "field": field })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.io",
            "a@.io",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
