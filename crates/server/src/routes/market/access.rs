//! Who is asking ([`Viewer`], with the role read from the database) and which datasets they
//! may see or import into.

use crate::auth::extractor::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use bb_store::{Dataset, Role, StoreError};
use serde_json::json;

/// A signed-in caller of the market routes.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub id: String,
    /// An admin now, according to the database (not the token), with two-factor sign-in on
    /// (an admin without it has a builder's powers here).
    pub admin: bool,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, ApiError> {
        // The extractor read the role (and the 2FA state) from the database just now.
        let caller = AuthUser::from_request_parts(parts, state).await?;
        Ok(Viewer {
            admin: caller.role == Role::Admin && caller.two_factor_enabled,
            id: caller.id,
        })
    }
}

impl Viewer {
    /// Shared datasets, the caller's own, and every dataset for an admin.
    pub fn can_see(&self, dataset: &Dataset) -> bool {
        self.admin
            || dataset
                .owner_id
                .as_deref()
                .is_none_or(|owner| owner == self.id)
    }

    /// The caller's own datasets, and every dataset for an admin.
    pub fn can_import_into(&self, dataset: &Dataset) -> bool {
        self.admin || dataset.owner_id.as_deref() == Some(self.id.as_str())
    }

    /// The owner of a dataset this caller creates: the caller, or nobody (shared) for an
    /// admin.
    pub fn new_owner(&self) -> Option<&str> {
        (!self.admin).then_some(self.id.as_str())
    }
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("There is no such dataset.".to_string())
}

/// The dataset `id` if the caller may see it; 404 otherwise.
pub async fn load_visible(
    state: &AppState,
    id: &str,
    viewer: &Viewer,
) -> Result<Dataset, ApiError> {
    match state.db().candles().get_dataset(id).await {
        Ok(dataset) if viewer.can_see(&dataset) => Ok(dataset),
        Ok(_) | Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// A 422 naming the request field that is wrong.
pub fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(message, Some(json!({ "field": field })))
}
