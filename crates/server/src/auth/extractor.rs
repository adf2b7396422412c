//! Who is calling: [`AuthUser`] (a valid `Authorization: Bearer` token is required),
//! [`MaybeAuthUser`] (anonymous allowed, but a bad token is still refused) and [`AdminUser`]
//! (an admin with two-factor sign-in on).
//!
//! Every token is checked against the database on every request, in one query: the user
//! must still exist and not be disabled, and (for our own tokens) the session the token was
//! issued in must not have ended (logout, refresh-token reuse, disabling). The role comes
//! from the database too, never from the token.

use crate::auth::supabase;
use crate::auth::tokens::TokenError;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use bb_store::{Role, StoreError, User};

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    /// The role now, from the database.
    pub role: Role,
    /// Two-factor sign-in is on for this account.
    pub two_factor_enabled: bool,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AuthUser, ApiError> {
        match bearer_token(parts)? {
            Some(token) => authenticate(state, token).await,
            None => Err(ApiError::Unauthorized(
                "Sign in first: send `Authorization: Bearer <access token>`.".to_string(),
            )),
        }
    }
}

/// A caller who may be anonymous. A token that is present but invalid is refused rather
/// than silently treated as anonymous.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeAuthUser, ApiError> {
        match bearer_token(parts)? {
            Some(token) => Ok(MaybeAuthUser(Some(authenticate(state, token).await?))),
            None => Ok(MaybeAuthUser(None)),
        }
    }
}

/// A caller whose account is an admin now, according to the database.
#[derive(Debug, Clone)]
pub struct AdminUser(pub User);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<AdminUser, ApiError> {
        let caller = AuthUser::from_request_parts(parts, state).await?;
        let user = match state.db().users().get(&caller.id).await {
            Ok(user) => user,
            Err(StoreError::NotFound) => {
                return Err(ApiError::Unauthorized(
                    "This account no longer exists.".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        require_role(user.role, Role::Admin)?;
        if !user.two_factor_enabled {
            return Err(ApiError::TwoFactorRequired(
                "Admin actions need two-factor sign-in. Turn it on under Two-factor \
                 authentication on the Plan page (POST /api/v1/auth/2fa/setup, then \
                 /api/v1/auth/2fa/enable), then try again."
                    .to_string(),
            ));
        }
        Ok(AdminUser(user))
    }
}

/// A signed-in caller of an event stream: the `Authorization` header as usual, or an
/// `access_token` query parameter, because a browser's `EventSource` cannot send headers.
#[derive(Debug, Clone)]
pub struct StreamUser(pub AuthUser);

impl FromRequestParts<AppState> for StreamUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<StreamUser, ApiError> {
        if let Some(token) = bearer_token(parts)? {
            return Ok(StreamUser(authenticate(state, token).await?));
        }
        let token = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
        });
        match token {
            Some(token) if !token.is_empty() => Ok(StreamUser(authenticate(state, &token).await?)),
            _ => Err(ApiError::Unauthorized(
                "Sign in first: send `Authorization: Bearer <access token>` or \
                 `?access_token=<access token>`."
                    .to_string(),
            )),
        }
    }
}

/// Refuses with 403 unless `actual` is `required`.
pub fn require_role(actual: Role, required: Role) -> Result<(), ApiError> {
    if actual == required {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "This needs the {} role.",
            required.as_str()
        )))
    }
}

fn bearer_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::Unauthorized(
            "The Authorization header must be `Bearer <access token>`.".to_string(),
        )
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(Some(token))
}

async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let expired =
        || ApiError::Unauthorized("The access token has expired; refresh it.".to_string());
    match state.tokens().verify(token) {
        Ok(claims) => {
            let check = state.db().users().session(&claims.sub, &claims.sid).await?;
            let Some(check) = check else {
                return Err(gone());
            };
            let user = active(check.user)?;
            if !check.session_live {
                return Err(ApiError::Unauthorized(
                    "This session has ended (signed out); sign in again.".to_string(),
                ));
            }
            return Ok(user);
        }
        Err(TokenError::Expired) => return Err(expired()),
        Err(TokenError::Invalid) => {}
    }
    if let Some(verifier) = state.supabase() {
        match verifier.verify(token).await {
            Ok(claims) => {
                let user = supabase::local_user(state.db(), &claims).await?;
                return active(user);
            }
            Err(TokenError::Expired) => return Err(expired()),
            Err(TokenError::Invalid) => {}
        }
    }
    Err(ApiError::Unauthorized(
        "The access token is not valid.".to_string(),
    ))
}

fn gone() -> ApiError {
    ApiError::Unauthorized("This account no longer exists.".to_string())
}

/// The caller, unless the account is disabled.
fn active(user: User) -> Result<AuthUser, ApiError> {
    if user.disabled_at.is_some() {
        return Err(ApiError::Unauthorized(
            "This account is disabled; contact support.".to_string(),
        ));
    }
    Ok(AuthUser {
        id: user.id,
        role: user.role,
        two_factor_enabled: user.two_factor_enabled,
    })
}
