//! The auth routes' request and response types.

use crate::routes::schemas::{PlanTierSchema, RoleSchema};
use bb_store::{PlanTier, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// At least 12 characters, not easy to guess (common and leaked passwords, names and
    /// keyboard patterns are refused) and not containing the email.
    #[schema(
        min_length = 12,
        max_length = 1024,
        example = "lunar tapestry quietly orbits"
    )]
    pub password: String,
    /// Shown to others; defaults to the part of the email before `@`.
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    pub password: String,
}

/// For clients that cannot keep cookies; browsers send an empty body and the cookie.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    #[schema(value_type = PlanTierSchema)]
    pub plan: PlanTier,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Two-factor sign-in (TOTP) is on.
    pub two_factor_enabled: bool,
    /// An admin disabled the account.
    pub disabled: bool,
    /// May decide compliance events (granted by an admin).
    pub reviewer: bool,
    /// The address is confirmed (its link was opened); given by `/api/v1/me` only, and only
    /// when the server sends email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            plan: u.plan,
            created_at: u.created_at,
            two_factor_enabled: u.two_factor_enabled,
            reviewer: u.reviewer,
            disabled: u.disabled_at.is_some(),
            email_verified: None,
        }
    }
}

/// A signed-in session. The refresh token travels in the `bb_refresh` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub user: UserView,
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Only when the refresh was made with `{"refresh_token": ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The answer to a registration, the same whether or not the email was new.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// Always `registered`.
    #[schema(example = "registered")]
    pub status: String,
    pub message: String,
}

/// Login with two-factor sign-in on: answer the challenge at `POST /api/v1/auth/2fa/verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorChallenge {
    /// Always `true`.
    pub two_factor_required: bool,
    pub challenge: String,
    /// Seconds the challenge may be answered.
    pub expires_in: u64,
}

/// A session, or a two-factor challenge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginReply {
    Session(Session),
    TwoFactor(TwoFactorChallenge),
}
