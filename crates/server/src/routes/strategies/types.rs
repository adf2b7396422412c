//! The strategy routes' request and response types.

use crate::routes::schemas::{DiagnosticSchema, StrategyStatusSchema, VisibilitySchema};
use bb_store::{Page, Strategy, StrategyStatus, StrategyVersion, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyView {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    /// Stable, URL-friendly name made from the first title.
    pub slug: String,
    pub description: String,
    #[schema(value_type = StrategyStatusSchema)]
    pub status: StrategyStatus,
    #[schema(value_type = VisibilitySchema)]
    pub visibility: Visibility,
    pub tags: Vec<String>,
    /// The newest version's number; 0 when there is none yet.
    pub latest_version: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl From<Strategy> for StrategyView {
    fn from(s: Strategy) -> StrategyView {
        StrategyView {
            id: s.id,
            owner_id: s.owner_id,
            title: s.title,
            slug: s.slug,
            description: s.description,
            status: s.status,
            visibility: s.visibility,
            tags: s.tags,
            latest_version: s.latest_version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// One saved version of a strategy's graph (immutable).
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub strategy_id: String,
    /// 1, 2, 3, ... per strategy.
    pub version: i64,
    /// The strategy document, in the current schema version.
    #[schema(value_type = crate::routes::schemas::StrategyDocumentSchema)]
    pub graph: Value,
    pub notes: String,
    pub author_id: String,
    /// True when validation found no errors.
    pub valid: bool,
    /// What validation found when the version was saved.
    #[schema(value_type = Vec<DiagnosticSchema>)]
    pub diagnostics: Value,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<StrategyVersion> for VersionView {
    fn from(v: StrategyVersion) -> VersionView {
        VersionView {
            strategy_id: v.strategy_id,
            version: v.version,
            graph: v.graph,
            notes: v.notes,
            author_id: v.author_id,
            valid: v.valid,
            diagnostics: v.diagnostics,
            created_at: v.created_at,
        }
    }
}

/// A version without its graph, for lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i64,
    pub notes: String,
    pub author_id: String,
    pub valid: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyPage {
    pub items: Vec<StrategyView>,
    /// How many strategies match, over all pages.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

impl From<Page<Strategy>> for StrategyPage {
    fn from(p: Page<Strategy>) -> StrategyPage {
        StrategyPage {
            items: p.items.into_iter().map(StrategyView::from).collect(),
            total: p.total,
            limit: p.limit,
            offset: p.offset,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<VisibilitySchema>)]
    pub visibility: Option<Visibility>,
    /// Archived strategies are listed only when asked for with `status=archived`.
    #[param(value_type = Option<StrategyStatusSchema>)]
    pub status: Option<StrategyStatus>,
    pub tag: Option<String>,
    /// Words in the title (case-insensitive).
    pub q: Option<String>,
    /// Only the caller's own strategies (needs a token).
    pub mine: Option<bool>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStrategyRequest {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        example = "My SMA crossover",
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    )]
    pub title: String,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Default `private`.
    #[schema(value_type = Option<VisibilitySchema>)]
    pub visibility: Option<Visibility>,
    /// A strategy document; saved as version 1 when given.
    #[schema(value_type = Option<crate::routes::schemas::StrategyGraphSchema>)]
    pub graph: Option<Box<RawValue>>,
    /// Notes for version 1.
    pub notes: Option<String>,
    /// Save a graph that has errors (as a draft) instead of refusing it.
    #[serde(default)]
    pub allow_invalid: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStrategyRequest {
    /// 1 to 200 characters, not only spaces.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    pub description: Option<String>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<VisibilitySchema>)]
    pub visibility: Option<Visibility>,
    /// `active` needs a latest version without errors.
    #[schema(value_type = Option<StrategyStatusSchema>)]
    pub status: Option<StrategyStatus>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersionRequest {
    /// A strategy document.
    #[schema(value_type = crate::routes::schemas::StrategyGraphSchema)]
    pub graph: Box<RawValue>,
    pub notes: Option<String>,
    /// Save a graph that has errors (the strategy becomes a draft) instead of refusing it.
    #[serde(default)]
    pub allow_invalid: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneRequest {
    /// Title of the copy (1 to 200 characters, not only spaces); default: the source's title.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
}

/// A new strategy and its first version, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategyCreated {
    pub strategy: StrategyView,
    pub version: Option<VersionView>,
    /// Every diagnostic of the first version (empty without a graph).
    #[schema(value_type = Vec<DiagnosticSchema>)]
    pub diagnostics: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionCreated {
    pub version: VersionView,
    /// Every diagnostic, errors and warnings.
    #[schema(value_type = Vec<DiagnosticSchema>)]
    pub diagnostics: Value,
}
