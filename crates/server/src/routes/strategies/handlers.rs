//! Strategy handlers: list, create, read, change, archive and clone.

use super::access::{check_quota, load_owned, load_visible};
use super::saving::{
    MAX_DESCRIPTION, MAX_NOTES, check_length, check_tags, check_title, checked_for_saving,
    diagnostics_json, new_version, require_valid_latest,
};
use super::types::*;
use crate::auth::extractor::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query, parse_optional_json};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use bb_store::{NewStrategy, StrategyFilter, StrategyPatch, StrategyStatus, Visibility};
use serde_json::json;

/// List strategies: public ones, plus the caller's own when signed in.
#[utoipa::path(
    get,
    path = "/api/v1/strategies",
    tag = "strategies",
    params(ListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = StrategyPage),
        (status = 400, description = "A bad query parameter", body = ErrorEnvelope),
        (status = 401, description = "`mine=true` without a token, or a bad token", body = ErrorEnvelope),
    )
)]
pub async fn list_strategies(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<StrategyPage>, ApiError> {
    let owner = match (query.mine.unwrap_or(false), &caller) {
        (false, _) => None,
        (true, Some(caller)) => Some(caller.id.clone()),
        (true, None) => {
            return Err(ApiError::Unauthorized(
                "Sign in to list your own strategies.".to_string(),
            ));
        }
    };
    let filter = StrategyFilter {
        viewer: caller.map(|c| c.id),
        owner,
        visibility: query.visibility,
        status: query.status,
        tag: query.tag.filter(|t| !t.trim().is_empty()),
        search: query.q.filter(|q| !q.trim().is_empty()),
        limit: query.limit.unwrap_or(20).clamp(1, 100),
        offset: query.offset.unwrap_or(0),
    };
    let page = state.db().strategies().list(&filter).await?;
    Ok(Json(page.into()))
}

/// Create a strategy, with version 1 when a graph is given.
#[utoipa::path(
    post,
    path = "/api/v1/strategies",
    tag = "strategies",
    request_body = CreateStrategyRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = StrategyCreated),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan's strategy limit is reached (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields, or a graph with errors (`details.diagnostics`)", body = ErrorEnvelope),
    )
)]
pub async fn create_strategy(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateStrategyRequest>,
) -> Result<(StatusCode, Json<StrategyCreated>), ApiError> {
    let description = check_length(
        "description",
        req.description.unwrap_or_default(),
        MAX_DESCRIPTION,
    )?;
    let notes = check_length("notes", req.notes.unwrap_or_default(), MAX_NOTES)?;
    check_title(Some(&req.title))?;
    check_tags(req.tags.as_deref())?;
    check_quota(&state, &caller).await?;
    let checked = match req.graph {
        Some(graph) => Some(checked_for_saving(&state, &caller, graph, req.allow_invalid).await?),
        None => None,
    };
    let diagnostics = diagnostics_json(checked.as_ref())?;
    let first = checked.map(|c| new_version(&caller, c, notes));
    let new = NewStrategy {
        owner_id: caller.id.clone(),
        title: req.title,
        description,
        tags: req.tags.unwrap_or_default(),
        visibility: req.visibility.unwrap_or(Visibility::Private),
    };
    let (strategy, version) = state.db().strategies().create(new, first).await?;
    tracing::info!(strategy_id = %strategy.id, "strategy created");
    Ok((
        StatusCode::CREATED,
        Json(StrategyCreated {
            strategy: strategy.into(),
            version: version.map(VersionView::from),
            diagnostics,
        }),
    ))
}

/// One strategy.
#[utoipa::path(
    get,
    path = "/api/v1/strategies/{id}",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = StrategyView),
        (status = 404, description = "No such strategy, or not visible to the caller", body = ErrorEnvelope),
    )
)]
pub async fn get_strategy(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path(id): Path<String>,
) -> Result<Json<StrategyView>, ApiError> {
    let strategy = load_visible(&state, &id, caller.as_ref()).await?;
    Ok(Json(strategy.into()))
}

/// Change a strategy's title, description, tags, visibility or status (owner only).
#[utoipa::path(
    patch,
    path = "/api/v1/strategies/{id}",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    request_body = UpdateStrategyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = StrategyView),
        (status = 403, description = "Not the owner", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope),
    )
)]
pub async fn update_strategy(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<UpdateStrategyRequest>,
) -> Result<Json<StrategyView>, ApiError> {
    check_title(req.title.as_deref())?;
    check_tags(req.tags.as_deref())?;
    let strategy = load_owned(&state, &id, &caller).await?;
    if req.status == Some(StrategyStatus::Active) {
        require_valid_latest(&state, &strategy).await?;
    }
    let patch = StrategyPatch {
        title: req.title,
        description: req
            .description
            .map(|d| check_length("description", d, MAX_DESCRIPTION))
            .transpose()?,
        tags: req.tags,
        visibility: req.visibility,
        status: req.status,
    };
    let updated = state.db().strategies().update(&strategy.id, patch).await?;
    Ok(Json(updated.into()))
}

/// Archive a strategy (owner only). It leaves the lists but stays readable with its versions
/// and runs; restore it with PATCH `{"status": "draft"}`. (An action, not a DELETE: nothing
/// is deleted.)
#[utoipa::path(
    post,
    path = "/api/v1/strategies/{id}/archive",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Archived"),
        (status = 403, description = "Not the owner", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn archive_strategy(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let strategy = load_owned(&state, &id, &caller).await?;
    if strategy.status != StrategyStatus::Archived {
        let patch = StrategyPatch {
            status: Some(StrategyStatus::Archived),
            ..StrategyPatch::default()
        };
        state.db().strategies().update(&strategy.id, patch).await?;
        tracing::info!(strategy_id = %strategy.id, "strategy archived");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Copy a strategy the caller can see into a private strategy of their own.
#[utoipa::path(
    post,
    path = "/api/v1/strategies/{id}/clone",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    request_body(content = Option<CloneRequest>, description = "Optional"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = StrategyCreated),
        (status = 403, description = "The plan's strategy limit is reached (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "A title with control or bidirectional-override characters (`details.field`)", body = ErrorEnvelope),
    )
)]
pub async fn clone_strategy(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<StrategyCreated>), ApiError> {
    let req: CloneRequest = parse_optional_json(&body)?;
    check_title(req.title.as_deref())?;
    let source = load_visible(&state, &id, Some(&caller)).await?;
    check_quota(&state, &caller).await?;
    let (strategy, version) = state
        .db()
        .strategies()
        .clone_strategy(&source.id, &caller.id, req.title)
        .await?;
    let diagnostics = version
        .as_ref()
        .map_or_else(|| json!([]), |v| v.diagnostics.clone());
    Ok((
        StatusCode::CREATED,
        Json(StrategyCreated {
            strategy: strategy.into(),
            version: version.map(VersionView::from),
            diagnostics,
        }),
    ))
}
