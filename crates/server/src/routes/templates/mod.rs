//! Templates: an educator publishes a strategy version with a disclosure; the public sees it
//! after the machine gates (`gates.rs`) and a reviewer's approval (`routes/compliance.rs`);
//! anyone signed in clones it into a private strategy of their own, with attribution.
//!
//! - `GET /api/v1/templates`: the gallery (published public templates; anonymous callers
//!   too), with search, tag and sort by clones or recency, each with its verified backtest
//!   card.
//! - `GET /api/v1/templates/mine`: the caller's publications in every state, with the
//!   review's state and reason.
//! - `GET /api/v1/templates/gates?strategy_id&version`: the gates as they stand (the publish
//!   dialog's checklist).
//! - `POST /api/v1/templates`: publish (the plan's monthly `template_publishes`).
//! - `GET /api/v1/templates/{id}`, `POST /api/v1/templates/{id}/clone`.
//!
//! A template that is not published is seen only by its educator and by reviewers; to
//! anyone else it does not exist (404).

pub mod gates;

use crate::auth::extractor::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, Query, check_text};
use crate::routes::market::access::field_error;
use crate::routes::plan_usage::{caller_plan, quota_error};
use crate::routes::strategies::access::{check_quota, load_owned};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_jobs::{RunParameters, RunSummary};
use bb_store::{
    Audience, ComplianceEntity, EventFilter, NewNotification, NewTemplate, QuotaCharge, Role,
    RunFilter, RunKind, RunStatus, StoreError, Template, TemplateFilter, TemplateSort,
    TemplateStatus, User,
};
use gates::{BacktestEvidence, Gate, RobustnessEvidence, TemplateCard};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The monthly counter of publications.
pub const PUBLISHES_METRIC: &str = "template_publishes";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, publish_template))
        .routes(routes!(my_templates))
        .routes(routes!(template_gates))
        .routes(routes!(get_template))
        .routes(routes!(clone_template))
}

/// The state of a template's review, for its educator and reviewers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    /// The compliance event.
    pub event_id: String,
    /// `risk_review` or `takedown`.
    pub event_type: String,
    /// `open`, `approved`, `rejected` or `escalated`.
    pub status: String,
    /// The reviewer's reason.
    pub reason: Option<String>,
    /// When it was decided, Unix ms.
    pub resolved_at: Option<i64>,
}

/// A template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: String,
    pub strategy_id: String,
    pub version: i64,
    pub educator_id: String,
    /// The educator's display name.
    pub educator_name: String,
    /// `public` or `cohort`.
    pub audience: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Shown before cloning.
    pub disclosure: String,
    /// `pending_review`, `published`, `rejected`, `taken_down` or `superseded`.
    pub status: String,
    /// The verified backtest the template was checked on.
    pub card: TemplateCard,
    pub clone_count: i64,
    /// Unix ms.
    pub created_at: i64,
    pub published_at: Option<i64>,
    /// The newest review or takedown (its educator and reviewers only).
    pub review: Option<ReviewView>,
}

impl TemplateView {
    pub(crate) fn of(t: Template, review: Option<ReviewView>) -> Result<TemplateView, ApiError> {
        let card: TemplateCard = serde_json::from_value(t.card).map_err(|e| {
            ApiError::Internal(format!("template {} has an unreadable card: {e}", t.id))
        })?;
        Ok(TemplateView {
            id: t.id,
            strategy_id: t.strategy_id,
            version: t.version,
            educator_id: t.educator_id,
            educator_name: t.educator_name,
            audience: t.audience.to_string(),
            title: t.title,
            description: t.description,
            tags: t.tags,
            disclosure: t.disclosure,
            status: t.status.to_string(),
            card,
            clone_count: t.clone_count,
            created_at: t.created_at,
            published_at: t.published_at,
            review,
        })
    }
}

/// A page of templates.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePage {
    pub items: Vec<TemplateView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTemplatesQuery {
    /// Title or description contains this (ignoring case), at most 100 characters.
    pub search: Option<String>,
    /// Only templates with this tag.
    pub tag: Option<String>,
    /// `recent` (newest publication first, the default) or `clones` (most cloned first).
    pub sort: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

/// Browse published templates.
#[utoipa::path(
    get,
    path = "/api/v1/templates",
    tag = "templates",
    params(ListTemplatesQuery),
    responses(
        (status = 200, body = TemplatePage),
        (status = 400, description = "A query parameter out of range", body = ErrorEnvelope),
        (status = 401, description = "A token was sent but is not valid", body = ErrorEnvelope),
        (status = 422, description = "A search text or tag that is too long or has control characters, or an unknown sort (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn list_templates(
    State(state): State<AppState>,
    MaybeAuthUser(_caller): MaybeAuthUser,
    Query(q): Query<ListTemplatesQuery>,
) -> Result<Json<TemplatePage>, ApiError> {
    let filter = TemplateFilter {
        educator: None,
        audience: Some(Audience::Public),
        cohort: None,
        search: short_text("search", q.search)?,
        tag: short_text("tag", q.tag)?,
        sort: match q.sort.as_deref() {
            None | Some("recent") => TemplateSort::Recent,
            Some("clones") => TemplateSort::Clones,
            Some(_) => return Err(field_error("sort", "sort is `recent` or `clones`")),
        },
        limit: q.limit.unwrap_or(20),
        offset: q.offset.unwrap_or(0),
    };
    page(&state, filter, false).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

/// The caller's publications in every state, with their reviews.
#[utoipa::path(
    get,
    path = "/api/v1/templates/mine",
    tag = "templates",
    params(MineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TemplatePage),
        (status = 400, description = "A query parameter out of range", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
    )
)]
async fn my_templates(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(q): Query<MineQuery>,
) -> Result<Json<TemplatePage>, ApiError> {
    let filter = TemplateFilter {
        educator: Some(caller.id.clone()),
        limit: q.limit.unwrap_or(20),
        offset: q.offset.unwrap_or(0),
        ..TemplateFilter::default()
    };
    page(&state, filter, true).await
}

async fn page(
    state: &AppState,
    filter: TemplateFilter,
    with_reviews: bool,
) -> Result<Json<TemplatePage>, ApiError> {
    let page = state.db().templates().list(&filter).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for t in page.items {
        let review = if with_reviews {
            latest_review(state, &t.id).await?
        } else {
            None
        };
        items.push(TemplateView::of(t, review)?);
    }
    Ok(Json(TemplatePage {
        items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// The newest compliance event of a template.
pub async fn latest_review(state: &AppState, id: &str) -> Result<Option<ReviewView>, ApiError> {
    let events = state
        .db()
        .compliance()
        .list(&EventFilter {
            entity_type: Some(ComplianceEntity::Template),
            entity_id: Some(id.to_owned()),
            limit: 100,
            ..EventFilter::default()
        })
        .await?;
    Ok(events.items.into_iter().last().map(|e| ReviewView {
        event_id: e.id,
        event_type: e.event_type.to_string(),
        status: e.status.to_string(),
        reason: e.reason,
        resolved_at: e.resolved_at,
    }))
}

fn short_text(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > 100 => Err(field_error(
            field,
            format!("{field} has more than 100 characters"),
        )),
        Some(v) => {
            check_text(field, &v, Lines::One)?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GatesQuery {
    /// One of the caller's strategies.
    pub strategy_id: String,
    /// Its version to publish.
    #[param(minimum = 1)]
    pub version: i64,
}

/// The machine gates for a version, as they stand, and the card it would be published with.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatesView {
    pub gates: Vec<Gate>,
    /// Whether every gate passes (the disclosure is checked when publishing).
    pub passed: bool,
    pub card: Option<TemplateCard>,
}

/// The machine gates of a version (the publish dialog's checklist).
#[utoipa::path(
    get,
    path = "/api/v1/templates/gates",
    tag = "templates",
    params(GatesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GatesView),
        (status = 400, description = "A query parameter missing or malformed", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not the caller's strategy", body = ErrorEnvelope),
        (status = 404, description = "No such strategy or version", body = ErrorEnvelope),
    )
)]
async fn template_gates(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(q): Query<GatesQuery>,
) -> Result<Json<GatesView>, ApiError> {
    let (gates, card) = check_gates(&state, &caller, &q.strategy_id, q.version, None).await?;
    Ok(Json(GatesView {
        passed: gates.iter().all(|g| g.passed),
        gates,
        card,
    }))
}

/// Loads the caller's version and its runs, and evaluates the gates.
async fn check_gates(
    state: &AppState,
    caller: &AuthUser,
    strategy_id: &str,
    version: i64,
    disclosure: Option<&str>,
) -> Result<(Vec<Gate>, Option<TemplateCard>), ApiError> {
    load_owned(state, strategy_id, caller).await?;
    match state.db().strategies().version(strategy_id, version).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => {
            return Err(ApiError::NotFound(format!(
                "This strategy has no version {version}."
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let runs = |kind| RunFilter {
        user_id: caller.id.clone(),
        kind: Some(kind),
        strategy_id: Some(strategy_id.to_owned()),
        version: Some(version),
        status: Some(RunStatus::Succeeded),
        limit: 100,
        ..RunFilter::default()
    };
    let mut backtests = Vec::new();
    for run in state
        .db()
        .runs()
        .list(&runs(RunKind::Backtest))
        .await?
        .items
    {
        let (Some(summary), Ok(RunParameters::Backtest(request))) = (
            run.summary.clone(),
            RunParameters::read(run.kind, run.config.clone()),
        ) else {
            continue;
        };
        if let Ok(RunSummary::Backtest(summary)) = RunSummary::read(run.kind, summary) {
            backtests.push(BacktestEvidence {
                run_id: run.id,
                finished_at: run.finished_at.unwrap_or(run.updated_at),
                request,
                summary,
            });
        }
    }
    let mut robustness = Vec::new();
    for run in state
        .db()
        .runs()
        .list(&runs(RunKind::Robustness))
        .await?
        .items
    {
        let Some(summary) = run.summary.clone() else {
            continue;
        };
        if let Ok(RunSummary::Robustness(summary)) = RunSummary::read(run.kind, summary) {
            robustness.push(RobustnessEvidence {
                run_id: run.id,
                summary,
            });
        }
    }
    Ok(gates::evaluate(&backtests, &robustness, disclosure))
}

/// What to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// One of the caller's strategies.
    pub strategy_id: String,
    /// The version to publish (immutable; an update is a newer version, reviewed again).
    #[schema(minimum = 1)]
    pub version: i64,
    /// `public` (machine gates, then a reviewer) or `cohort` (published at once to one of
    /// the caller's cohorts; it needs a backtest with costs and a disclosure).
    pub audience: String,
    /// The cohort, for `audience: cohort`.
    pub cohort_id: Option<String>,
    /// Defaults to the strategy's title; 1 to 200 characters.
    pub title: Option<String>,
    /// Defaults to the strategy's description; at most 5,000 characters.
    pub description: Option<String>,
    /// Defaults to the strategy's tags; at most 20 of at most 40 characters.
    pub tags: Option<Vec<String>>,
    /// The risk disclosure shown before cloning: 20 to 5,000 characters.
    pub disclosure: String,
}

/// Publish a strategy version as a template.
#[utoipa::path(
    post,
    path = "/api/v1/templates",
    tag = "templates",
    request_body = PublishRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Submitted: a public template waits for its review (`pending_review`)", body = TemplateView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not the caller's strategy, or the plan's monthly `template_publishes` are used up (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 404, description = "No such strategy or version", body = ErrorEnvelope),
        (status = 409, description = "This version was already submitted to this audience", body = ErrorEnvelope),
        (status = 422, description = "A field out of range (`details.field`), or a machine gate failed (`details.gates`: every gate with what it found)", body = ErrorEnvelope),
    )
)]
async fn publish_template(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<PublishRequest>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    // Cheap checks first.
    let audience = match (req.audience.as_str(), &req.cohort_id) {
        ("public", None) => Audience::Public,
        ("public", Some(_)) => {
            return Err(field_error("cohort_id", "a public template has no cohort"));
        }
        ("cohort", Some(_)) => Audience::Cohort,
        ("cohort", None) => {
            return Err(field_error("cohort_id", "name the cohort to publish to"));
        }
        _ => return Err(field_error("audience", "audience is `public` or `cohort`")),
    };
    if req.version < 1 {
        return Err(field_error("version", "version is 1 or more"));
    }
    let disclosure = req.disclosure.trim();
    check_text("disclosure", disclosure, Lines::Many)?;
    let n = disclosure.chars().count();
    if !(bb_store::MIN_DISCLOSURE_LEN..=bb_store::MAX_DISCLOSURE_LEN).contains(&n) {
        return Err(field_error(
            "disclosure",
            format!(
                "The disclosure has {n} characters; write {} to {} (the risks, that past \
                 results do not promise future ones, who you are).",
                bb_store::MIN_DISCLOSURE_LEN,
                bb_store::MAX_DISCLOSURE_LEN
            ),
        ));
    }
    if let Some(title) = &req.title {
        check_text("title", title, Lines::One)?;
        if title.trim().is_empty() || title.chars().count() > 200 {
            return Err(field_error("title", "title has 1 to 200 characters"));
        }
    }
    if let Some(description) = &req.description {
        check_text("description", description, Lines::Many)?;
        if description.chars().count() > 5_000 {
            return Err(field_error(
                "description",
                "description has at most 5,000 characters",
            ));
        }
    }
    if let Some(tags) = &req.tags {
        if tags.len() > 20 {
            return Err(field_error("tags", "at most 20 tags"));
        }
        for (i, tag) in tags.iter().enumerate() {
            check_text(&format!("tags[{i}]"), tag, Lines::One)?;
            if tag.trim().chars().count() > 40 {
                return Err(field_error(
                    &format!("tags[{i}]"),
                    "a tag has at most 40 characters",
                ));
            }
        }
    }
    let strategy = load_owned(&state, &req.strategy_id, &caller).await?;
    if let Some(cohort) = &req.cohort_id {
        let (_, educator) = crate::routes::cohorts::load_cohort(&state, cohort, &caller.id)
            .await
            .map_err(|_| field_error("cohort_id", "no cohort of yours has this id"))?;
        if !educator {
            return Err(field_error(
                "cohort_id",
                "only the cohort's educator publishes to it",
            ));
        }
    }
    let (user, limits) = caller_plan(&state, &caller).await?;
    if limits.max_template_publishes <= 0 {
        return Err(quota_error(
            &bb_store::QuotaExceeded {
                metric: PUBLISHES_METRIC.into(),
                period: month_period(bb_store::now_ms()),
                limit: 0,
                used: 0,
                requested: 1,
            },
            &limits,
            bb_store::now_ms(),
        ));
    }
    let (gates, card) = check_gates(
        &state,
        &caller,
        &req.strategy_id,
        req.version,
        Some(disclosure),
    )
    .await?;
    // A cohort is the educator's own class: a backtest with costs (for the card) and a
    // disclosure are enough; the other gates stay on the card's evidence.
    let required = |g: &&Gate| match audience {
        Audience::Public => true,
        Audience::Cohort => matches!(g.gate.as_str(), "backtest_with_costs" | "disclosure"),
    };
    let card = match card {
        Some(card) if gates.iter().filter(required).all(|g| g.passed) => card,
        _ => {
            let failed: Vec<&str> = gates
                .iter()
                .filter(required)
                .filter(|g| !g.passed)
                .map(|g| g.gate.as_str())
                .collect();
            return Err(ApiError::validation(
                format!(
                    "This version cannot be published yet: {} did not pass.",
                    failed.join(", ")
                ),
                Some(json!({ "field": "version", "gates": gates })),
            ));
        }
    };
    let now = bb_store::now_ms();
    let title = req.title.clone().unwrap_or_else(|| strategy.title.clone());
    let notice = NewNotification {
        user_id: String::new(),
        kind: "governance_task".into(),
        title: format!("Review \"{}\" for the public gallery", title.trim()),
        body: format!(
            "{} submitted \"{}\" (version {}) to the public. Every machine gate passed; read \
             the evidence and approve, reject or escalate it.",
            user.display_name,
            title.trim(),
            req.version
        ),
        link: Some("/review".into()),
        payload: json!({ "strategy_id": req.strategy_id, "version": req.version }),
    };
    let published = state
        .db()
        .templates()
        .publish(
            NewTemplate {
                strategy_id: req.strategy_id.clone(),
                version: req.version,
                educator_id: caller.id.clone(),
                audience,
                cohort_id: req.cohort_id.clone(),
                title,
                description: req
                    .description
                    .clone()
                    .unwrap_or_else(|| strategy.description.clone()),
                tags: req.tags.clone().unwrap_or_else(|| strategy.tags.clone()),
                disclosure: disclosure.to_owned(),
                card: serde_json::to_value(&card)
                    .map_err(|e| ApiError::Internal(format!("card: {e}")))?,
            },
            json!({ "gates": gates, "card": card }),
            &QuotaCharge {
                metric: PUBLISHES_METRIC.into(),
                period: month_period(now),
                by: 1,
                limit: limits.max_template_publishes,
            },
            notice,
        )
        .await?;
    let publication = match published {
        Ok(p) => p,
        Err(exceeded) => return Err(quota_error(&exceeded, &limits, now)),
    };
    for user in &publication.notified {
        state
            .db()
            .announce_notification(user, "governance_task")
            .await;
    }
    let review = latest_review(&state, &publication.template.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateView::of(publication.template, review)?),
    ))
}

/// The UTC month of `now_ms`, e.g. `2026-12`: the period of monthly counters.
pub fn month_period(now_ms: i64) -> String {
    let day = bb_domain::calendar::format_date(now_ms);
    day[..7].to_owned()
}

/// Whether `user` may decide compliance events.
pub fn is_reviewer(user: &User) -> bool {
    user.reviewer || user.role == Role::Admin
}

/// A template the caller may see: published, or theirs, or the caller reviews.
async fn load_visible_template(
    state: &AppState,
    id: &str,
    caller: Option<&AuthUser>,
) -> Result<(Template, bool), ApiError> {
    let not_found = || ApiError::NotFound("There is no such template.".into());
    let template = match state.db().templates().get(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let insider = match caller {
        Some(c) if c.id == template.educator_id => true,
        Some(c) => match state.db().users().get(&c.id).await {
            Ok(user) => is_reviewer(&user),
            Err(_) => false,
        },
        None => false,
    };
    let published = template.status == TemplateStatus::Published;
    let visible = match (template.audience, &template.cohort_id, caller) {
        (Audience::Public, _, _) => published,
        (Audience::Cohort, Some(cohort), Some(c)) => {
            published && state.db().cohorts().is_member(cohort, &c.id).await?
        }
        _ => false,
    };
    if visible || insider {
        Ok((template, insider))
    } else {
        Err(not_found())
    }
}

/// One template.
#[utoipa::path(
    get,
    path = "/api/v1/templates/{id}",
    tag = "templates",
    params(("id" = String, Path, description = "Template id")),
    responses(
        (status = 200, body = TemplateView),
        (status = 401, description = "A token was sent but is not valid", body = ErrorEnvelope),
        (status = 404, description = "No such template visible to the caller", body = ErrorEnvelope),
    )
)]
async fn get_template(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path(id): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    let (template, insider) = load_visible_template(&state, &id, caller.as_ref()).await?;
    let review = if insider {
        latest_review(&state, &template.id).await?
    } else {
        None
    };
    Ok(Json(TemplateView::of(template, review)?))
}

/// Cloning a template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneTemplateRequest {
    /// `true`: the caller has read the template's disclosure.
    pub acknowledge_disclosure: bool,
    /// The new strategy's title (default: the template's), 1 to 200 characters.
    pub title: Option<String>,
}

/// A clone: the new strategy and the template with its new count.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneView {
    /// The new private strategy.
    pub strategy_id: String,
    /// Its version 1 (the template's version).
    pub version: i64,
    pub template: TemplateView,
}

/// Clone a published template into a private strategy.
#[utoipa::path(
    post,
    path = "/api/v1/templates/{id}/clone",
    tag = "templates",
    params(("id" = String, Path, description = "Template id")),
    request_body = CloneTemplateRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CloneView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan's strategy limit is reached (`quota_exceeded`)", body = ErrorEnvelope),
        (status = 404, description = "No such published template", body = ErrorEnvelope),
        (status = 422, description = "The disclosure was not acknowledged, or a bad title (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn clone_template(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<CloneTemplateRequest>,
) -> Result<(StatusCode, Json<CloneView>), ApiError> {
    if !req.acknowledge_disclosure {
        return Err(field_error(
            "acknowledge_disclosure",
            "Read the template's disclosure first, then send acknowledge_disclosure: true.",
        ));
    }
    if let Some(title) = &req.title {
        check_text("title", title, Lines::One)?;
        if title.trim().is_empty() || title.chars().count() > 200 {
            return Err(field_error("title", "title has 1 to 200 characters"));
        }
    }
    let (template, _) = load_visible_template(&state, &id, Some(&caller)).await?;
    if template.status != TemplateStatus::Published {
        return Err(ApiError::NotFound(
            "There is no such published template.".into(),
        ));
    }
    check_quota(&state, &caller).await?;
    let (template, strategy, version) = state
        .db()
        .templates()
        .clone_for(&id, &caller.id, req.title.clone())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::NotFound("There is no such published template.".into())
            }
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(CloneView {
            strategy_id: strategy.id,
            version: version.version,
            template: TemplateView::of(template, None)?,
        }),
    ))
}
