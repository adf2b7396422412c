//! Cohorts: an educator's groups of students. The educator creates one (the plan's
//! `cohorts` limit: the educator plan), shares its invite code, sees its members and a
//! dashboard of how members' backtests of the cohort's templates went (aggregates only:
//! never a member's strategy or run). Students join with the code and leave when they like.
//! Cohort templates are visible to the cohort's educator and members only; to anyone else
//! a cohort does not exist (404).

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, check_text};
use crate::routes::market::access::field_error;
use crate::routes::plan_usage::{caller_plan, quota_error};
use crate::routes::templates::{TemplatePage, TemplateView};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use bb_jobs::BacktestSummary;
use bb_store::{Audience, Cohort, StoreError, TemplateFilter, TemplateSort};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_cohort, list_cohorts))
        .routes(routes!(join_cohort))
        .routes(routes!(get_cohort))
        .routes(routes!(leave_cohort))
        .routes(routes!(remove_member))
        .routes(routes!(rotate_invite))
        .routes(routes!(cohort_templates))
        .routes(routes!(cohort_dashboard))
}

/// A cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub educator_id: String,
    pub educator_name: String,
    /// `educator` or `member`: the caller's place in it.
    pub role: String,
    /// What students enter to join (the educator only).
    pub invite_code: Option<String>,
    pub member_count: i64,
    /// Unix ms.
    pub created_at: i64,
}

fn view(c: Cohort, caller: &str) -> CohortView {
    let educator = c.educator_id == caller;
    CohortView {
        id: c.id,
        name: c.name,
        description: c.description,
        educator_id: c.educator_id,
        educator_name: c.educator_name,
        role: if educator { "educator" } else { "member" }.into(),
        invite_code: educator.then_some(c.invite_code),
        member_count: c.member_count,
        created_at: c.created_at,
    }
}

fn no_cohort() -> ApiError {
    ApiError::NotFound("There is no such cohort.".into())
}

/// The cohort if the caller runs it or belongs to it; `(cohort, is_educator)`.
pub async fn load_cohort(
    state: &AppState,
    id: &str,
    caller: &str,
) -> Result<(Cohort, bool), ApiError> {
    let cohort = match state.db().cohorts().get(id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(no_cohort()),
        Err(e) => return Err(e.into()),
    };
    if cohort.educator_id == caller {
        return Ok((cohort, true));
    }
    if state.db().cohorts().is_member(id, caller).await? {
        Ok((cohort, false))
    } else {
        Err(no_cohort())
    }
}

async fn load_own_cohort(state: &AppState, id: &str, caller: &str) -> Result<Cohort, ApiError> {
    let (cohort, educator) = load_cohort(state, id, caller).await?;
    if educator {
        Ok(cohort)
    } else {
        Err(ApiError::Forbidden(
            "Only the cohort's educator may do this.".into(),
        ))
    }
}

/// A new cohort.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCohortRequest {
    /// 1 to 100 characters.
    pub name: String,
    /// At most 2,000 characters.
    pub description: Option<String>,
}

/// Create a cohort (the educator plan).
#[utoipa::path(
    post,
    path = "/api/v1/cohorts",
    tag = "cohorts",
    request_body = CreateCohortRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CohortView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The plan has no cohorts or runs its most (`quota_exceeded`, metric `cohorts`)", body = ErrorEnvelope),
        (status = 422, description = "A bad name or description (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn create_cohort(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<CreateCohortRequest>,
) -> Result<(StatusCode, Json<CohortView>), ApiError> {
    check_text("name", &req.name, Lines::One)?;
    let n = req.name.trim().chars().count();
    if n == 0 || n > bb_store::MAX_COHORT_NAME_LEN {
        return Err(field_error("name", "name has 1 to 100 characters"));
    }
    let description = req.description.unwrap_or_default();
    check_text("description", &description, Lines::Many)?;
    if description.chars().count() > 2_000 {
        return Err(field_error(
            "description",
            "description has at most 2,000 characters",
        ));
    }
    let (_, limits) = caller_plan(&state, &caller).await?;
    let created = state
        .db()
        .cohorts()
        .create(&caller.id, &req.name, &description, limits.max_cohorts)
        .await?;
    match created {
        Ok(c) => Ok((StatusCode::CREATED, Json(view(c, &caller.id)))),
        Err(exceeded) => Err(quota_error(&exceeded, &limits, bb_store::now_ms())),
    }
}

/// The cohorts the caller runs or belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortList {
    pub items: Vec<CohortView>,
}

/// The caller's cohorts.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts",
    tag = "cohorts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CohortList),
        (status = 401, body = ErrorEnvelope),
    )
)]
async fn list_cohorts(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<CohortList>, ApiError> {
    let items = state.db().cohorts().of_user(&caller.id).await?;
    Ok(Json(CohortList {
        items: items.into_iter().map(|c| view(c, &caller.id)).collect(),
    }))
}

/// An invite code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinCohortRequest {
    /// The code the educator shared (case does not matter).
    pub code: String,
}

/// Join a cohort with its invite code.
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/join",
    tag = "cohorts",
    request_body = JoinCohortRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CohortView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The cohort is full for its educator's plan (`quota_exceeded`, metric `cohort_members`)", body = ErrorEnvelope),
        (status = 404, description = "No cohort has this code", body = ErrorEnvelope),
        (status = 422, description = "A malformed code, or the caller runs this cohort (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn join_cohort(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<JoinCohortRequest>,
) -> Result<Json<CohortView>, ApiError> {
    let code = req.code.trim();
    if code.is_empty() || code.len() > 64 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(field_error("code", "an invite code is letters and digits"));
    }
    let joined = state
        .db()
        .cohorts()
        .join(code, &caller.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound(
                "No cohort has this invite code; ask your educator for it.".into(),
            ),
            StoreError::Invalid(m) => field_error("code", m),
            other => other.into(),
        })?;
    match joined {
        Ok(c) => Ok(Json(view(c, &caller.id))),
        Err(exceeded) => {
            let limits = caller_plan(&state, &caller).await?.1;
            Err(quota_error(&exceeded, &limits, bb_store::now_ms()))
        }
    }
}

/// A cohort with its members (the educator only).
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortDetail {
    #[serde(flatten)]
    pub cohort: CohortView,
    /// The members, for the educator; `null` for a member.
    pub members: Option<Vec<MemberView>>,
}

/// One member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub display_name: String,
    /// Unix ms.
    pub joined_at: i64,
}

/// One cohort.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/{id}",
    tag = "cohorts",
    params(("id" = String, Path, description = "Cohort id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CohortDetail),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such cohort, or the caller is not in it", body = ErrorEnvelope),
    )
)]
async fn get_cohort(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CohortDetail>, ApiError> {
    let (cohort, educator) = load_cohort(&state, &id, &caller.id).await?;
    let members = if educator {
        Some(
            state
                .db()
                .cohorts()
                .members(&id)
                .await?
                .into_iter()
                .map(|m| MemberView {
                    user_id: m.user_id,
                    display_name: m.display_name,
                    joined_at: m.joined_at,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Json(CohortDetail {
        cohort: view(cohort, &caller.id),
        members,
    }))
}

/// Leave a cohort.
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/{id}/leave",
    tag = "cohorts",
    params(("id" = String, Path, description = "Cohort id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Left"),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such cohort, or the caller is not a member", body = ErrorEnvelope),
        (status = 422, description = "The educator cannot leave their own cohort", body = ErrorEnvelope),
    )
)]
async fn leave_cohort(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (_, educator) = load_cohort(&state, &id, &caller.id).await?;
    if educator {
        return Err(field_error(
            "id",
            "you run this cohort; you cannot leave it",
        ));
    }
    state.db().cohorts().remove_member(&id, &caller.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member (the educator).
#[utoipa::path(
    delete,
    path = "/api/v1/cohorts/{id}/members/{user_id}",
    tag = "cohorts",
    params(
        ("id" = String, Path, description = "Cohort id"),
        ("user_id" = String, Path, description = "The member"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not the cohort's educator", body = ErrorEnvelope),
        (status = 404, description = "No such cohort or member", body = ErrorEnvelope),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    caller: AuthUser,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    load_own_cohort(&state, &id, &caller.id).await?;
    if state.db().cohorts().remove_member(&id, &user_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(
            "This user is not a member of the cohort.".into(),
        ))
    }
}

/// A new invite code (the old one stops working).
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/{id}/invite",
    tag = "cohorts",
    params(("id" = String, Path, description = "Cohort id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CohortView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not the cohort's educator", body = ErrorEnvelope),
        (status = 404, description = "No such cohort", body = ErrorEnvelope),
    )
)]
async fn rotate_invite(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CohortView>, ApiError> {
    load_own_cohort(&state, &id, &caller.id).await?;
    let cohort = state.db().cohorts().rotate_code(&id).await?;
    Ok(Json(view(cohort, &caller.id)))
}

/// The cohort's published templates.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/{id}/templates",
    tag = "cohorts",
    params(("id" = String, Path, description = "Cohort id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TemplatePage),
        (status = 401, body = ErrorEnvelope),
        (status = 404, description = "No such cohort, or the caller is not in it", body = ErrorEnvelope),
    )
)]
async fn cohort_templates(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TemplatePage>, ApiError> {
    load_cohort(&state, &id, &caller.id).await?;
    let page = state
        .db()
        .templates()
        .list(&TemplateFilter {
            audience: Some(Audience::Cohort),
            cohort: Some(id),
            sort: TemplateSort::Recent,
            limit: 100,
            ..TemplateFilter::default()
        })
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for t in page.items {
        items.push(TemplateView::of(t, None)?);
    }
    Ok(Json(TemplatePage {
        items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// How members' backtests of one template went (aggregates only).
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOutcome {
    pub template_id: String,
    pub title: String,
    /// Current members who cloned it.
    pub clones: i64,
    /// Members with at least one finished backtest of their clone.
    pub members_tested: usize,
    pub backtests: usize,
    /// Percent; `null` without backtests.
    pub median_return_pct: Option<f64>,
    /// Percent, zero or negative.
    pub median_max_drawdown_pct: Option<f64>,
    /// Percent of backtests that made money.
    pub profitable_pct: Option<f64>,
}

/// The educator's dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortDashboard {
    pub cohort: CohortView,
    pub member_count: i64,
    pub templates: Vec<TemplateOutcome>,
}

/// The educator's dashboard: members, clones and aggregated results of members' backtests
/// of the cohort's templates.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/{id}/dashboard",
    tag = "cohorts",
    params(("id" = String, Path, description = "Cohort id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CohortDashboard),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not the cohort's educator", body = ErrorEnvelope),
        (status = 404, description = "No such cohort, or the caller is not in it", body = ErrorEnvelope),
    )
)]
async fn cohort_dashboard(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CohortDashboard>, ApiError> {
    let cohort = load_own_cohort(&state, &id, &caller.id).await?;
    let cohorts = state.db().cohorts();
    let clones: BTreeMap<String, i64> = cohorts.member_clones(&id).await?.into_iter().collect();
    let mut runs: BTreeMap<String, Vec<(String, BacktestSummary)>> = BTreeMap::new();
    for b in cohorts.member_backtests(&id).await? {
        if let Ok(summary) = serde_json::from_value::<BacktestSummary>(b.summary) {
            runs.entry(b.template_id)
                .or_default()
                .push((b.user_id, summary));
        }
    }
    let templates = state
        .db()
        .templates()
        .list(&TemplateFilter {
            educator: Some(caller.id.clone()),
            cohort: Some(id.clone()),
            limit: 100,
            ..TemplateFilter::default()
        })
        .await?;
    let outcomes = templates
        .items
        .into_iter()
        .map(|t| {
            let rows = runs.remove(&t.id).unwrap_or_default();
            let users: HashSet<&str> = rows.iter().map(|(u, _)| u.as_str()).collect();
            let returns: Vec<f64> = rows
                .iter()
                .map(|(_, s)| s.metrics.total_return_pct)
                .collect();
            let drawdowns: Vec<f64> = rows
                .iter()
                .map(|(_, s)| s.metrics.max_drawdown_pct)
                .collect();
            let profitable = returns.iter().filter(|r| **r > 0.0).count();
            TemplateOutcome {
                template_id: t.id.clone(),
                title: t.title,
                clones: clones.get(&t.id).copied().unwrap_or(0),
                members_tested: users.len(),
                backtests: rows.len(),
                median_return_pct: median(returns.clone()),
                median_max_drawdown_pct: median(drawdowns),
                profitable_pct: (!returns.is_empty())
                    .then(|| profitable as f64 * 100.0 / returns.len() as f64),
            }
        })
        .collect();
    let member_count = cohort.member_count;
    Ok(Json(CohortDashboard {
        cohort: view(cohort, &caller.id),
        member_count,
        templates: outcomes,
    }))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}
