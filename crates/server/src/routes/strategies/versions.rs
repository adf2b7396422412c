//! Version handlers: list, save and read the versions of a strategy's graph.

use super::access::{load_owned, load_visible};
use super::saving::{MAX_NOTES, check_length, checked_for_saving, diagnostics_json, new_version};
use super::types::*;
use crate::auth::extractor::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_store::{StoreError, StrategyPatch, StrategyStatus};

/// The versions of a strategy, oldest first (without their graphs).
#[utoipa::path(
    get,
    path = "/api/v1/strategies/{id}/versions",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Vec<VersionSummary>),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn list_versions(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionSummary>>, ApiError> {
    let strategy = load_visible(&state, &id, caller.as_ref()).await?;
    let versions = state.db().strategies().versions(&strategy.id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|v| VersionSummary {
                version: v.version,
                notes: v.notes,
                author_id: v.author_id,
                valid: v.valid,
                created_at: v.created_at,
            })
            .collect(),
    ))
}

/// Save a new version of the graph (owner only). The answer carries every diagnostic.
#[utoipa::path(
    post,
    path = "/api/v1/strategies/{id}/versions",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    request_body = NewVersionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = VersionCreated),
        (status = 403, description = "Not the owner", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "The strategy is archived", body = ErrorEnvelope),
        (status = 422, description = "The graph has errors (`details.diagnostics`) or is not a strategy document", body = ErrorEnvelope),
    )
)]
pub async fn add_version(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<NewVersionRequest>,
) -> Result<(StatusCode, Json<VersionCreated>), ApiError> {
    let strategy = load_owned(&state, &id, &caller).await?;
    if strategy.status == StrategyStatus::Archived {
        return Err(ApiError::Conflict(
            "The strategy is archived; restore it (PATCH status) before saving a version."
                .to_string(),
        ));
    }
    let notes = check_length("notes", req.notes.unwrap_or_default(), MAX_NOTES)?;
    let checked = checked_for_saving(&state, &caller, req.graph, req.allow_invalid).await?;
    let valid = !checked.has_errors();
    let diagnostics = diagnostics_json(Some(&checked))?;
    let version = state
        .db()
        .strategies()
        .add_version(&strategy.id, new_version(&caller, checked, notes))
        .await?;
    if !valid && strategy.status == StrategyStatus::Active {
        let patch = StrategyPatch {
            status: Some(StrategyStatus::Draft),
            ..StrategyPatch::default()
        };
        state.db().strategies().update(&strategy.id, patch).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(VersionCreated {
            version: version.into(),
            diagnostics,
        }),
    ))
}

/// One version, with its graph and diagnostics.
#[utoipa::path(
    get,
    path = "/api/v1/strategies/{id}/versions/{version}",
    tag = "strategies",
    params(
        ("id" = String, Path, description = "Strategy id"),
        ("version" = i64, Path, description = "Version number, from 1"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = VersionView),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn get_version(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<VersionView>, ApiError> {
    let strategy = load_visible(&state, &id, caller.as_ref()).await?;
    match state.db().strategies().version(&strategy.id, version).await {
        Ok(v) => Ok(Json(v.into())),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!(
            "The strategy has no version {version}."
        ))),
        Err(e) => Err(e.into()),
    }
}
