//! Checking a strategy graph: `POST /api/v1/validate`, and [`check_graph`], which the
//! strategy routes use before saving a version.
//!
//! The graph is read from its JSON text with `StrategyDocument::from_json`, so unknown
//! fields and newer schema versions are refused with the validator's own messages, and
//! older versions are migrated. Validation collects every diagnostic; large graphs are
//! checked on the blocking pool.

use crate::auth::extractor::MaybeAuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Json;
use crate::routes::plan_usage::graph_limits;
use crate::state::AppState;
use axum::extract::State;
use bb_strategy::{Diagnostic, DocumentError, Limits, StrategyDocument};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Graphs larger than this (JSON bytes) are validated off the async threads.
const INLINE_LIMIT: usize = 32 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(validate))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// A strategy document (`schema_version`, `name`, `nodes`, `edges`).
    #[schema(value_type = crate::routes::schemas::StrategyGraphSchema)]
    pub graph: Box<RawValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResponse {
    /// True when no diagnostic is an error (warnings allowed).
    pub valid: bool,
    /// Every problem found, each tied to its block.
    #[schema(value_type = Vec<super::schemas::DiagnosticSchema>)]
    pub diagnostics: Vec<Diagnostic>,
}

/// Check a strategy graph without saving it. Anonymous callers may; a token that is sent
/// must be valid (a signed-out session or a disabled account is refused).
#[utoipa::path(
    post,
    path = "/api/v1/validate",
    tag = "strategies",
    request_body = ValidateRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Every diagnostic (valid or not)", body = ValidateResponse),
        (status = 401, description = "A token was sent and is not valid", body = ErrorEnvelope),
        (status = 422, description = "The graph is not a strategy document (unknown field, newer schema version)", body = ErrorEnvelope),
    )
)]
async fn validate(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Json(req): Json<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let limits = graph_limits(&state, caller.as_ref()).await?;
    let checked = check_graph(req.graph, limits).await?;
    Ok(Json(ValidateResponse {
        valid: !checked.has_errors(),
        diagnostics: checked.diagnostics,
    }))
}

/// A readable graph and everything wrong with it.
#[derive(Debug)]
pub struct CheckedGraph {
    /// The document in the current schema version, as stored.
    pub document: Value,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckedGraph {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Reads and validates a graph within the caller's plan `limits` (size and depth). A
/// graph that is not a strategy document at all is a 422.
pub async fn check_graph(raw: Box<RawValue>, limits: Limits) -> Result<CheckedGraph, ApiError> {
    if raw.get().len() > INLINE_LIMIT {
        tokio::task::spawn_blocking(move || check_now(raw.get(), &limits)).await?
    } else {
        check_now(raw.get(), &limits)
    }
}

pub(crate) fn check_now(text: &str, limits: &Limits) -> Result<CheckedGraph, ApiError> {
    let doc = StrategyDocument::from_json(text).map_err(document_error)?;
    let validated = bb_strategy::validate_with(&doc, limits);
    let document = serde_json::to_value(&doc).map_err(ApiError::internal)?;
    Ok(CheckedGraph {
        document,
        diagnostics: validated.diagnostics,
    })
}

fn document_error(e: DocumentError) -> ApiError {
    let details = match &e {
        DocumentError::Syntax { line, column, .. } => {
            json!({ "field": "graph", "line": line, "column": column })
        }
        _ => json!({ "field": "graph" }),
    };
    ApiError::validation(
        format!("The strategy graph cannot be read: {e}"),
        Some(details),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[tokio::test]
    async fn starters_are_valid_and_broken_ones_are_not() {
        let good = include_str!("../../../../strategies/sma_crossover.json");
        let checked = check_graph(raw(good), Limits::FREE).await.unwrap();
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let broken = include_str!("../../../../strategies/broken/missing_input.json");
        let checked = check_graph(raw(broken), Limits::FREE).await.unwrap();
        assert!(checked.has_errors());
    }

    #[tokio::test]
    async fn unreadable_documents_are_422() {
        for text in [
            r#"{"schema_version": 2, "name": "x", "nodes": [], "colour": 1}"#,
            r#"{"schema_version": 99, "name": "x", "nodes": []}"#,
            r#"{"name": "x"}"#,
        ] {
            let e = check_graph(raw(text), Limits::FREE).await.unwrap_err();
            assert_eq!(
                e.code(),
                crate::error::ErrorCode::ValidationFailed,
                "{text}"
            );
        }
    }

    #[test]
    fn raw_values_survive_the_strict_parser() {
        let req: ValidateRequest =
            crate::extract::parse_json(br#"{"graph": {"schema_version": 2, "a": [1, 2]}}"#)
                .unwrap();
        assert_eq!(req.graph.get(), r#"{"schema_version": 2, "a": [1, 2]}"#);
    }
}
