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
    /// At least 10 characters.
    #[schema(min_length = 10, example = "correct horse battery")]
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
