//! Account deletion: `DELETE /api/v1/me` (the user, confirmed with their password and, with
//! two-factor sign-in on, a current code) and `DELETE /api/v1/admin/users/{id}` (an admin,
//! with a reason). Both erase the account in one store transaction ([`bb_store::Db::
//! erase_user`]; the rules are in `crates/store/src/erasure.rs`): every session ends and
//! access tokens issued before are refused on the next request, because the user no longer
//! exists for the per-request session check.

use crate::auth::extractor::{AdminUser, AuthUser};
use crate::auth::tokens::now_secs;
use crate::auth::{password, totp};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, check_text};
use crate::rate_limit::{ClientIp, Scope};
use crate::routes::auth::clear_refresh_cookie;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use bb_store::{Erasure, StoreError, now_ms};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest reason an admin may give.
pub const MAX_REASON_CHARS: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(delete_me))
        .routes(routes!(erase_user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's password.
    pub password: String,
    /// With two-factor sign-in on: a current code from the authenticator app (or an unused
    /// recovery code). Ignored otherwise.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseUserRequest {
    /// Why (1 to 500 characters). Kept in the audit chain for good, so it must not name the
    /// user (their email, name or id is refused).
    pub reason: String,
}

/// Delete the signed-in account and everything in it, for good.
///
/// Strategies, runs, paper trades, datasets, notifications, webhooks, templates (unpublished)
/// and cohorts (dissolved) are removed in one transaction; the audit log keeps only an
/// unlinkable pseudonym. Every session ends at once; the refresh cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted; the refresh cookie is cleared and every token of the account stops working"),
        (status = 400, description = "The body is not JSON", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 409, description = "A subscription is live: cancel it first (it then ends at the period's end)", body = ErrorEnvelope),
        (status = 422, description = "The password is wrong (`details.field` = `password`), or two-factor sign-in is on and the code is missing or wrong (`code`), or an unknown field", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; wait", body = ErrorEnvelope),
    )
)]
async fn delete_me(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: AuthUser,
    Json(req): Json<DeleteAccountRequest>,
) -> Result<Response, ApiError> {
    state.limiter().check(Scope::Login, ip)?;
    count_attempt(&state, &caller.id).await?;
    let users = state.db().users();
    let user = users.get(&caller.id).await.map_err(gone)?;
    let hash = users.by_email(&user.email).await?.and_then(|(_, h)| h);
    if hash.is_none() {
        return Err(field(
            "password",
            "This account signs in through another provider and has no password here; ask \
             an admin to delete it.",
        ));
    }
    if !password::verify(req.password, hash).await? {
        return Err(field("password", "The password is wrong."));
    }
    if user.two_factor_enabled {
        let Some(code) = req.code.filter(|c| !c.trim().is_empty()) else {
            return Err(field(
                "code",
                "Two-factor sign-in is on: enter the 6-digit code from your authenticator app \
                 (or a recovery code).",
            ));
        };
        if !code_accepted(&state, &user.id, code.trim()).await? {
            return Err(field(
                "code",
                "The code is wrong or was already used; enter the code your authenticator app \
                 shows now.",
            ));
        }
    }
    let report = state
        .db()
        .erase_user(&user.id, Erasure::SelfService)
        .await
        .map_err(gone)?;
    tracing::info!(subject = %report.subject, "account deleted by its owner");
    record_at_backups(&state, &report.subject).await;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, clear_refresh_cookie(&state))],
    )
        .into_response())
}

/// Delete a user's account and everything in it, for good (admins with two-factor sign-in
/// on). The reason is kept in the audit chain.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "User id")),
    request_body = EraseUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; every token of the account stops working"),
        (status = 400, description = "The body is not JSON", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The caller is not an admin (`forbidden`), or has not turned on two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 409, description = "A subscription of the user is live: it must be cancelled first", body = ErrorEnvelope),
        (status = 422, description = "The reason is empty, longer than 500 characters, has control characters or names the user (`details.field` = `reason`), or the id is the caller's own (`id`: delete your own account with DELETE /api/v1/me)", body = ErrorEnvelope),
    )
)]
async fn erase_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(req): Json<EraseUserRequest>,
) -> Result<Response, ApiError> {
    let reason = req.reason.trim().to_owned();
    check_text("reason", &reason, Lines::Many)?;
    let chars = reason.chars().count();
    if chars == 0 || chars > MAX_REASON_CHARS {
        return Err(field(
            "reason",
            &format!("Give a reason of 1 to {MAX_REASON_CHARS} characters."),
        ));
    }
    if id == admin.id {
        return Err(field(
            "id",
            "You cannot delete your own account here; use DELETE /api/v1/me.",
        ));
    }
    let user = state.db().users().get(&id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::NotFound("There is no such user.".into()),
        other => other.into(),
    })?;
    if names_user(&reason, &user.id, &user.email, &user.display_name) {
        return Err(field(
            "reason",
            "The reason names the user (their email, name or id); the audit log keeps it \
             forever, so describe the request without naming them.",
        ));
    }
    let report = state
        .db()
        .erase_user(
            &id,
            Erasure::Admin {
                admin_id: admin.id.clone(),
                reason,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound("There is no such user.".into()),
            other => other.into(),
        })?;
    tracing::info!(admin_id = %admin.id, subject = %report.subject, "account deleted by an admin");
    record_at_backups(&state, &report.subject).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// With scheduled backups on, writes the erasure into the destination's ledger at once, so a
/// restore of a backup taken before it erases the user again. A failure is logged (the next
/// backup copies the database's ledger there anyway).
async fn record_at_backups(state: &AppState, subject: &str) {
    let Some(to) = state.config().backup_to.as_deref() else {
        return;
    };
    let written = match crate::backup::Destination::open(to, state.config()) {
        Ok(dest) => crate::backup::record_erasure(&dest, subject).await,
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        tracing::warn!(error = %format!("{e:#}"), "could not record the erasure at the backups");
    }
}

/// Whether `reason` contains the user's id or email, or their display name or the local
/// part of their email as a word (names shorter than 3 characters are not looked for).
fn names_user(reason: &str, id: &str, email: &str, display_name: &str) -> bool {
    let text = reason.to_lowercase();
    if text.contains(&id.to_lowercase()) || text.contains(&email.to_lowercase()) {
        return true;
    }
    let local = email.split('@').next().unwrap_or_default();
    [display_name, local]
        .iter()
        .map(|name| name.trim().to_lowercase())
        .filter(|name| name.chars().count() >= 3)
        .any(|name| contains_word(&text, &name))
}

/// `needle` occurs in `text` not inside a longer word.
fn contains_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A TOTP code (once per time step) or an unused recovery code.
async fn code_accepted(state: &AppState, user_id: &str, code: &str) -> Result<bool, ApiError> {
    let users = state.db().users();
    let current = users.totp(user_id).await?;
    if !current.enabled {
        return Ok(false);
    }
    if let Some(step) = current
        .secret
        .as_deref()
        .and_then(|secret| totp::check(secret, code, now_secs()))
    {
        return Ok(users.use_totp_step(user_id, step).await?);
    }
    Ok(users
        .use_recovery_code(user_id, &totp::hash_recovery_code(code))
        .await?)
}

/// Counts a password or code attempt against the account (the two-factor attempt window);
/// `429` beyond the limit.
async fn count_attempt(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let now = now_ms();
    let counted = state
        .db()
        .users()
        .count_totp_attempt_at(user_id, now, totp::ATTEMPT_WINDOW_MS, totp::MAX_ATTEMPTS)
        .await
        .map_err(gone)?;
    match counted {
        Ok(()) => Ok(()),
        Err(retry_at) => {
            let wait = u64::try_from(retry_at.saturating_sub(now)).unwrap_or(1);
            tracing::warn!(user_id, "too many account deletion attempts");
            Err(ApiError::RateLimited {
                retry_after: Duration::from_millis(wait),
            })
        }
    }
}

fn field(name: &str, message: &str) -> ApiError {
    ApiError::validation(message, Some(json!({ "field": name })))
}

/// The caller's account vanished meanwhile: their token is no longer good.
fn gone(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::Unauthorized("This account no longer exists.".into()),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_naming_the_user_is_found() {
        let names = |r: &str| names_user(r, "0190-abc", "ada.l@example.com", "Ada Lovelace");
        assert!(names("asked by ADA.L@example.com by email"));
        assert!(names("user 0190-ABC asked"));
        assert!(names("Ada Lovelace asked for it"));
        assert!(names("request from ada.l"));
        assert!(!names("GDPR request received 2026-12-01, ticket 4411"));
        // a name inside a longer word is not the name
        assert!(!names("the ada.lovelace-style account"));
        assert!(!names_user("a reason", "x", "x@y.z", "a"));
    }
}
