//! Preparing a version for saving: validating its graph (refusing errors unless
//! `allow_invalid`), field lengths, and the rule that only a valid strategy can be active.

use crate::auth::extractor::AuthUser;
use crate::error::ApiError;
use crate::extract::{Lines, check_text};
use crate::routes::plan_usage::graph_limits;
use crate::routes::validate::{CheckedGraph, check_graph};
use crate::state::AppState;
use bb_store::{NewVersion, Strategy};
use serde_json::value::RawValue;
use serde_json::{Value, json};

pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_NOTES: usize = 2_000;

pub async fn checked_for_saving(
    state: &AppState,
    caller: &AuthUser,
    graph: Box<RawValue>,
    allow_invalid: bool,
) -> Result<CheckedGraph, ApiError> {
    let limits = graph_limits(state, Some(caller)).await?;
    let checked = check_graph(graph, limits).await?;
    if checked.has_errors() && !allow_invalid {
        let errors = checked.error_count();
        return Err(ApiError::validation(
            format!(
                "The strategy graph has {errors} error(s); fix them, or save it as a draft with \"allow_invalid\": true."
            ),
            Some(json!({ "field": "graph", "diagnostics": checked.diagnostics })),
        ));
    }
    Ok(checked)
}

pub async fn require_valid_latest(state: &AppState, strategy: &Strategy) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::validation(
            "A strategy can be active only when its latest version has no errors.",
            Some(json!({ "field": "status" })),
        )
    };
    if strategy.latest_version == 0 {
        return Err(refuse());
    }
    let latest = state
        .db()
        .strategies()
        .version(&strategy.id, strategy.latest_version)
        .await?;
    if latest.valid { Ok(()) } else { Err(refuse()) }
}

pub fn new_version(caller: &AuthUser, checked: CheckedGraph, notes: String) -> NewVersion {
    let valid = !checked.has_errors();
    NewVersion {
        author_id: caller.id.clone(),
        diagnostics: serde_json::to_value(&checked.diagnostics).unwrap_or_else(|_| json!([])),
        graph: checked.document,
        notes,
        valid,
    }
}

pub fn diagnostics_json(checked: Option<&CheckedGraph>) -> Result<Value, ApiError> {
    match checked {
        Some(c) => serde_json::to_value(&c.diagnostics).map_err(ApiError::internal),
        None => Ok(json!([])),
    }
}

/// A title (one line, see [`check_text`]); its length is the store's rule.
pub fn check_title(title: Option<&str>) -> Result<(), ApiError> {
    title.map_or(Ok(()), |t| check_text("title", t, Lines::One))
}

/// Tags (one line each, see [`check_text`]), named `tags[i]`.
pub fn check_tags(tags: Option<&[String]>) -> Result<(), ApiError> {
    for (i, tag) in tags.unwrap_or_default().iter().enumerate() {
        check_text(&format!("tags[{i}]"), tag, Lines::One)?;
    }
    Ok(())
}

/// A multi-line text (description, notes): no control characters but line breaks and tabs
/// (see [`check_text`]), at most `max` characters.
pub fn check_length(field: &str, text: String, max: usize) -> Result<String, ApiError> {
    check_text(field, &text, Lines::Many)?;
    if text.chars().count() > max {
        return Err(ApiError::validation(
            format!("The {field} may have at most {max} characters."),
            Some(json!({ "field": field })),
        ));
    }
    Ok(text)
}
