//! A strategy as one file: export it with every version into the object store, download
//! the file, and import such a file as a new private strategy.
//!
//! The file (`blockbuilders-strategy/1`) holds the strategy's title, description, tags and
//! visibility, every version's graph, notes and creation time in order, and the SHA-256 of
//! the `versions` array's canonical JSON (serde_json's output of the parsed values), which an
//! import checks when present. Exports are stored under `exports/<user>/<export id>.json`,
//! so a download finds only the caller's own.
//!
//! An import is all or nothing: the file is checked whole (format, at most
//! [`MAX_FILE_VERSIONS`] versions, every text field, every graph readable as a strategy
//! document) before the plan's strategy limit and one transaction that writes the strategy,
//! its tags and every version. A graph that is readable but has errors is kept, marked
//! invalid with its diagnostics (an export may hold drafts); the strategy stays a draft.

use super::access::{can_read, check_quota, load_visible, not_found};
use super::saving::{MAX_DESCRIPTION, MAX_NOTES, check_length};
use super::types::{StrategyView, VersionSummary};
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, check_text};
use crate::routes::plan_usage::graph_limits;
use crate::routes::schemas::VisibilitySchema;
use crate::routes::validate::{CheckedGraph, check_now};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bb_store::{
    MAX_TAG_LEN, MAX_TAGS, MAX_TITLE_LEN, NewStrategy, NewVersion, Strategy, StrategyVersion,
    Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The file format this server writes and reads.
pub const FORMAT: &str = "blockbuilders-strategy/1";

/// Most versions one file may hold (the store's import bound).
pub const MAX_FILE_VERSIONS: usize = bb_store::MAX_IMPORTED_VERSIONS;

/// Where files are imported; this route accepts bodies up to [`IMPORT_BODY_LIMIT`].
pub const IMPORT_PATH: &str = "/api/v1/strategies/import";

/// The largest strategy file an import takes (64 MiB, like data imports: 1,000 versions of
/// large graphs do not fit the usual 1 MiB).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A strategy with its versions, as exported and imported.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyFile {
    /// `blockbuilders-strategy/1`.
    #[schema(example = "blockbuilders-strategy/1")]
    pub format: String,
    /// Unix milliseconds.
    #[serde(default)]
    pub exported_at: i64,
    pub strategy: FileStrategy,
    /// Oldest first; at most 1,000.
    pub versions: Vec<FileVersion>,
    /// SHA-256 (lower-case hex) of the `versions` array's canonical JSON; an import checks
    /// it when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileStrategy {
    /// 1 to 200 characters, not only spaces.
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The source's visibility (informative: an import is always private).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<VisibilitySchema>)]
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileVersion {
    /// The source's number; strictly increasing through the file. An import numbers the
    /// versions 1, 2, 3, … in file order.
    pub version: i64,
    /// A strategy document.
    #[schema(value_type = crate::routes::schemas::StrategyDocumentSchema)]
    pub graph: Value,
    #[serde(default)]
    pub notes: String,
    /// Unix milliseconds (in the source).
    #[serde(default)]
    pub created_at: i64,
}

/// An export written to the object store.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportCreated {
    pub id: String,
    /// The object's key in the store.
    pub key: String,
    /// The file's size.
    pub bytes: u64,
    /// SHA-256 of the file (lower-case hex).
    pub sha256: String,
    /// SHA-256 of the versions' canonical JSON (the file's `sha256` field).
    pub versions_sha256: String,
    /// How many versions the file holds.
    pub versions: usize,
    /// `GET` it (with the same token) to download the file.
    #[schema(example = "/api/v1/exports/0193a0c4-8f1e-7b2a-9c3d-4e5f60718293")]
    pub download_url: String,
}

/// A strategy made from a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyImported {
    pub strategy: StrategyView,
    /// Every version written, in order (without graphs).
    pub versions: Vec<VersionSummary>,
}

/// Export a strategy with all its versions as one JSON file (owner only).
#[utoipa::path(
    post,
    path = "/api/v1/strategies/{id}/exports",
    tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The file is stored; download it from `download_url`", body = ExportCreated),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such strategy, or not the caller's", body = ErrorEnvelope),
        (status = 422, description = "More versions than a file may hold (`details.field` = `versions`)", body = ErrorEnvelope),
    )
)]
pub async fn create_export(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ExportCreated>), ApiError> {
    let strategy = load_visible(&state, &id, Some(&caller)).await?;
    if strategy.owner_id != caller.id || !can_read(&strategy, Some(&caller)) {
        return Err(not_found());
    }
    let versions = state.db().strategies().versions(&strategy.id).await?;
    if versions.len() > MAX_FILE_VERSIONS {
        return Err(ApiError::validation(
            format!(
                "This strategy has {} versions; a file holds at most {MAX_FILE_VERSIONS}.",
                versions.len()
            ),
            Some(json!({ "field": "versions" })),
        ));
    }
    let count = versions.len();
    let (body, versions_sha256) =
        tokio::task::spawn_blocking(move || write_file(strategy, versions)).await??;
    let export_id = uuid::Uuid::now_v7().to_string();
    let key = export_key(&caller.id, &export_id);
    let stored = state
        .objects()
        .put(&key, Bytes::from(body))
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(%export_id, key = %stored.key, bytes = stored.bytes, sha256 = %stored.sha256, "strategy exported");
    Ok((
        StatusCode::CREATED,
        Json(ExportCreated {
            download_url: format!("/api/v1/exports/{export_id}"),
            id: export_id,
            key: stored.key,
            bytes: stored.bytes,
            sha256: stored.sha256,
            versions_sha256,
            versions: count,
        }),
    ))
}

/// Download an export (the caller's own only).
#[utoipa::path(
    get,
    path = "/api/v1/exports/{id}",
    tag = "strategies",
    params(("id" = String, Path, description = "Export id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The strategy file (as an attachment)", content_type = "application/json", body = StrategyFile),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such export, or not the caller's", body = ErrorEnvelope),
    )
)]
pub async fn get_export(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound("There is no such export.".to_string());
    let export_id = uuid::Uuid::parse_str(&id)
        .map_err(|_| missing())?
        .to_string();
    let bytes = state
        .objects()
        .get(&export_key(&caller.id, &export_id))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(missing)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"blockbuilders-strategy-{export_id}.json\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Import a strategy file as a new private strategy with all its versions.
#[utoipa::path(
    post,
    path = "/api/v1/strategies/import",
    tag = "strategies",
    request_body = StrategyFile,
    security(("bearer" = [])),
    responses(
        (status = 201, body = StrategyImported),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan's strategy limit is reached (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 413, description = "The file is larger than 64 MiB", body = ErrorEnvelope),
        (status = 422, description = "A bad file: `details.field` names what (`format`, `sha256`, `versions`, `versions[3].graph`, …); nothing is written", body = ErrorEnvelope),
    )
)]
pub async fn import_strategy(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(file): Json<StrategyFile>,
) -> Result<(StatusCode, Json<StrategyImported>), ApiError> {
    check_file_fields(&file)?;
    let description = check_length(
        "strategy.description",
        file.strategy.description.clone(),
        MAX_DESCRIPTION,
    )?;
    check_quota(&state, &caller).await?;
    let limits = graph_limits(&state, Some(&caller)).await?;
    let StrategyFile {
        strategy,
        versions,
        sha256,
        ..
    } = file;
    let checked = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        if let Some(expected) = &sha256 {
            let actual = versions_sha256(&versions)?;
            if !actual.eq_ignore_ascii_case(expected.trim()) {
                return Err(ApiError::validation(
                    "The versions do not match the file's sha256: the file was changed or damaged.",
                    Some(json!({ "field": "sha256", "expected": expected, "actual": actual })),
                ));
            }
        }
        versions
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let text = serde_json::to_string(&v.graph).map_err(ApiError::internal)?;
                let checked = check_now(&text, &limits).map_err(|e| at_version(i, e))?;
                Ok((checked, v.notes))
            })
            .collect::<Result<Vec<(CheckedGraph, String)>, ApiError>>()
    })
    .await??;
    let new_versions: Vec<NewVersion> = checked
        .into_iter()
        .map(|(checked, notes)| NewVersion {
            author_id: caller.id.clone(),
            valid: !checked.has_errors(),
            diagnostics: serde_json::to_value(&checked.diagnostics).unwrap_or_else(|_| json!([])),
            graph: checked.document,
            notes,
        })
        .collect();
    let new = NewStrategy {
        owner_id: caller.id.clone(),
        title: strategy.title,
        description,
        tags: strategy.tags,
        visibility: Visibility::Private,
    };
    let (strategy, versions) = state.db().strategies().import(new, new_versions).await?;
    tracing::info!(strategy_id = %strategy.id, versions = versions.len(), "strategy imported");
    Ok((
        StatusCode::CREATED,
        Json(StrategyImported {
            strategy: strategy.into(),
            versions: versions.into_iter().map(summary).collect(),
        }),
    ))
}

fn export_key(user_id: &str, export_id: &str) -> String {
    format!("exports/{user_id}/{export_id}.json")
}

/// SHA-256 of the canonical JSON of `versions` (lower-case hex).
fn versions_sha256(versions: &[FileVersion]) -> Result<String, ApiError> {
    let bytes = serde_json::to_vec(versions).map_err(ApiError::internal)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// The file's bytes (pretty JSON) and the versions' SHA-256.
fn write_file(
    strategy: Strategy,
    versions: Vec<StrategyVersion>,
) -> Result<(Vec<u8>, String), ApiError> {
    let versions: Vec<FileVersion> = versions
        .into_iter()
        .map(|v| FileVersion {
            version: v.version,
            graph: v.graph,
            notes: v.notes,
            created_at: v.created_at,
        })
        .collect();
    let sha256 = versions_sha256(&versions)?;
    let file = StrategyFile {
        format: FORMAT.to_string(),
        exported_at: now_ms(),
        strategy: FileStrategy {
            title: strategy.title,
            description: strategy.description,
            tags: strategy.tags,
            visibility: Some(strategy.visibility),
        },
        versions,
        sha256: Some(sha256.clone()),
    };
    let body = serde_json::to_vec_pretty(&file).map_err(ApiError::internal)?;
    Ok((body, sha256))
}

/// Everything in the file but its graphs and description, naming the field.
fn check_file_fields(file: &StrategyFile) -> Result<(), ApiError> {
    let refuse = |field: &str, message: String| {
        ApiError::validation(message, Some(json!({ "field": field })))
    };
    if file.format != FORMAT {
        return Err(refuse(
            "format",
            format!("This is not a strategy file: `format` must be \"{FORMAT}\"."),
        ));
    }
    if file.versions.len() > MAX_FILE_VERSIONS {
        return Err(refuse(
            "versions",
            format!(
                "The file has {} versions; at most {MAX_FILE_VERSIONS} can be imported.",
                file.versions.len()
            ),
        ));
    }
    let title = &file.strategy.title;
    check_text("strategy.title", title, Lines::One)?;
    if title.trim().is_empty() || title.trim().chars().count() > MAX_TITLE_LEN {
        return Err(refuse(
            "strategy.title",
            format!("The title must have 1 to {MAX_TITLE_LEN} characters."),
        ));
    }
    if file.strategy.tags.len() > MAX_TAGS {
        return Err(refuse(
            "strategy.tags",
            format!("At most {MAX_TAGS} tags are allowed."),
        ));
    }
    for (i, tag) in file.strategy.tags.iter().enumerate() {
        let field = format!("strategy.tags[{i}]");
        check_text(&field, tag, Lines::One)?;
        if tag.trim().chars().count() > MAX_TAG_LEN {
            return Err(refuse(
                &field,
                format!("A tag may have at most {MAX_TAG_LEN} characters."),
            ));
        }
    }
    let mut previous = i64::MIN;
    for (i, v) in file.versions.iter().enumerate() {
        if v.version <= previous || v.version < 1 {
            return Err(refuse(
                &format!("versions[{i}].version"),
                "Version numbers must be positive and increase through the file.".to_string(),
            ));
        }
        previous = v.version;
        check_text(&format!("versions[{i}].notes"), &v.notes, Lines::Many)?;
        if v.notes.chars().count() > MAX_NOTES {
            return Err(refuse(
                &format!("versions[{i}].notes"),
                format!("Notes may have at most {MAX_NOTES} characters."),
            ));
        }
    }
    Ok(())
}

/// Names version `i`'s graph in a graph error.
fn at_version(i: usize, error: ApiError) -> ApiError {
    let field = format!("versions[{i}].graph");
    match error {
        ApiError::Validation {
            message,
            mut details,
        } => {
            match details.as_mut().and_then(Value::as_object_mut) {
                Some(map) => {
                    map.insert("field".to_string(), json!(field));
                }
                None => details = Some(json!({ "field": field })),
            }
            ApiError::validation(format!("{field} (version {}): {message}", i + 1), details)
        }
        other => other,
    }
}

fn summary(v: StrategyVersion) -> VersionSummary {
    VersionSummary {
        version: v.version,
        notes: v.notes,
        author_id: v.author_id,
        valid: v.valid,
        created_at: v.created_at,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
