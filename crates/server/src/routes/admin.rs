//! Administration: change a user's role or plan. The caller's admin role is re-checked in
//! the database on every request ([`AdminUser`]), not trusted from the token.

use super::auth::types::UserView;
use super::schemas::{PlanTierSchema, RoleSchema};
use crate::auth::extractor::AdminUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use bb_store::{PlanTier, Role};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<RoleSchema>)]
    pub role: Option<Role>,
    #[schema(value_type = Option<PlanTierSchema>)]
    pub plan: Option<PlanTier>,
    /// `true` disables the account: it cannot sign in, and its tokens stop working on the
    /// next request. `false` enables it again.
    pub disabled: Option<bool>,
    /// `true` lets the user decide compliance events (the reviewer duty, beside the role);
    /// `false` withdraws it.
    pub reviewer: Option<bool>,
}

/// Change a user's role, plan, reviewer duty and/or disabled state (admins with two-factor sign-in on).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The caller is not an admin (`forbidden`), or has not turned on two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(req): Json<UpdateUserRequest>,
) -> Result<Json<UserView>, ApiError> {
    let users = state.db().users();
    let mut user = users.get(&id).await.map_err(|e| match e {
        bb_store::StoreError::NotFound => ApiError::NotFound("There is no such user.".into()),
        other => other.into(),
    })?;
    if let Some(role) = req.role {
        user = users.set_role(&id, role, Some(&admin.id)).await?;
    }
    if let Some(plan) = req.plan {
        user = users.set_plan(&id, plan, Some(&admin.id)).await?;
    }
    if let Some(reviewer) = req.reviewer {
        user = users.set_reviewer(&id, reviewer, Some(&admin.id)).await?;
    }
    if let Some(disabled) = req.disabled {
        user = users.set_disabled(&id, disabled, Some(&admin.id)).await?;
    }
    tracing::info!(admin_id = %admin.id, user_id = %id, role = %user.role, plan = %user.plan, "user changed by an admin");
    Ok(Json(user.into()))
}
