//! Who may read or change a strategy, and the plan's strategy quota.
//!
//! A strategy the caller may not read is reported as missing (404), so private strategies
//! do not reveal that they exist; a readable strategy the caller does not own is 403 for
//! changes.

use crate::auth::extractor::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use bb_store::{StoreError, Strategy, Visibility};

/// Public strategies are visible to all; others to their owner only.
pub fn can_read(strategy: &Strategy, caller: Option<&AuthUser>) -> bool {
    strategy.visibility == Visibility::Public || caller.is_some_and(|c| c.id == strategy.owner_id)
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("There is no such strategy.".to_string())
}

pub async fn load_visible(
    state: &AppState,
    id: &str,
    caller: Option<&AuthUser>,
) -> Result<Strategy, ApiError> {
    match state.db().strategies().get(id).await {
        Ok(strategy) if can_read(&strategy, caller) => Ok(strategy),
        Ok(_) | Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

pub async fn load_owned(
    state: &AppState,
    id: &str,
    caller: &AuthUser,
) -> Result<Strategy, ApiError> {
    let strategy = load_visible(state, id, Some(caller)).await?;
    if strategy.owner_id != caller.id {
        return Err(ApiError::Forbidden(
            "Only the owner may change this strategy; clone it to make your own copy.".to_string(),
        ));
    }
    Ok(strategy)
}

pub async fn check_quota(state: &AppState, caller: &AuthUser) -> Result<(), ApiError> {
    let user = state
        .db()
        .users()
        .get(&caller.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Unauthorized("This account no longer exists.".into()),
            other => other.into(),
        })?;
    let limits = state.db().plans().get(user.plan).await?;
    let owned = state.db().plans().count_strategies(&caller.id).await?;
    if owned >= limits.max_strategies {
        return Err(ApiError::QuotaExceeded {
            message: format!(
                "The {} plan allows {} strategies; archive one or upgrade.",
                limits.name, limits.max_strategies
            ),
            details: Some(serde_json::json!({
                "metric": "strategies",
                "limit": limits.max_strategies,
                "used": owned,
                "upgrade": crate::routes::plan_usage::upgrade_hint(limits.code),
            })),
        });
    }
    Ok(())
}
