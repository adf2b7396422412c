//! The compliance queue (`/api/v1/admin/compliance/*`), for reviewers and admins: the
//! events with their evidence, decisions (approve, reject, escalate, with a reason) and
//! takedowns. Escalated events are decided by admins. A reviewer never decides on their own
//! template. The caller's duty is read from the database on every request.

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Path, Query, check_text};
use crate::routes::market::access::field_error;
use crate::routes::templates::{TemplateView, is_reviewer, latest_review};
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use bb_store::{
    ComplianceEntity, ComplianceEvent, ComplianceEventType, ComplianceStatus, Decision,
    EventFilter, NewNotification, Role, StoreError, User,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(get_event, decide_event))
        .routes(routes!(take_down))
}

/// A caller who may decide compliance events (a reviewer or an admin), per the database.
#[derive(Debug, Clone)]
pub struct ReviewerUser(pub User);

impl FromRequestParts<AppState> for ReviewerUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ReviewerUser, ApiError> {
        let caller = AuthUser::from_request_parts(parts, state).await?;
        let user = match state.db().users().get(&caller.id).await {
            Ok(user) => user,
            Err(StoreError::NotFound) => {
                return Err(ApiError::Unauthorized(
                    "This account no longer exists.".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        if !is_reviewer(&user) {
            return Err(ApiError::Forbidden(
                "Only reviewers and admins see the compliance queue.".into(),
            ));
        }
        Ok(ReviewerUser(user))
    }
}

/// One compliance event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceEventView {
    pub id: String,
    /// `template` (today), `strategy`, `cohort` or `notification`.
    pub entity_type: String,
    pub entity_id: String,
    /// `risk_review`, `takedown`, `disclosure` or `audit`.
    pub event_type: String,
    /// The evidence: for a `risk_review`, `gates` (each machine gate and what it found) and
    /// `card` (the verified backtest).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `open`, `approved`, `rejected` or `escalated`.
    pub status: String,
    pub created_by: Option<String>,
    pub resolved_by: Option<String>,
    pub reason: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    /// The template concerned.
    pub template: Option<TemplateView>,
}

async fn view(state: &AppState, e: ComplianceEvent) -> Result<ComplianceEventView, ApiError> {
    let template = if e.entity_type == ComplianceEntity::Template {
        match state.db().templates().get(&e.entity_id).await {
            Ok(t) => {
                let review = latest_review(state, &t.id).await?;
                Some(TemplateView::of(t, review)?)
            }
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err.into()),
        }
    } else {
        None
    };
    Ok(ComplianceEventView {
        id: e.id,
        entity_type: e.entity_type.to_string(),
        entity_id: e.entity_id,
        event_type: e.event_type.to_string(),
        payload: e.payload,
        status: e.status.to_string(),
        created_by: e.created_by,
        resolved_by: e.resolved_by,
        reason: e.reason,
        created_at: e.created_at,
        resolved_at: e.resolved_at,
        template,
    })
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceEventPage {
    pub items: Vec<ComplianceEventView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// `open`, `approved`, `rejected` or `escalated`.
    pub status: Option<String>,
    /// `risk_review`, `takedown`, `disclosure` or `audit`.
    pub event_type: Option<String>,
    /// `template`, `strategy`, `cohort` or `notification`.
    pub entity_type: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

fn parse<T: std::str::FromStr>(field: &str, v: Option<String>) -> Result<Option<T>, ApiError> {
    v.map(|s| {
        s.parse::<T>().map_err(|_| {
            field_error(
                field,
                format!("{field} {s:?} is not one of the values listed"),
            )
        })
    })
    .transpose()
}

/// The compliance queue, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/compliance/events",
    tag = "compliance",
    params(EventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ComplianceEventPage),
        (status = 400, description = "A query parameter out of range", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not a reviewer or an admin", body = ErrorEnvelope),
        (status = 422, description = "An unknown status, event type or entity type (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn list_events(
    State(state): State<AppState>,
    ReviewerUser(_reviewer): ReviewerUser,
    Query(q): Query<EventsQuery>,
) -> Result<Json<ComplianceEventPage>, ApiError> {
    let filter = EventFilter {
        status: parse::<ComplianceStatus>("status", q.status)?,
        event_type: parse::<ComplianceEventType>("event_type", q.event_type)?,
        entity_type: parse::<ComplianceEntity>("entity_type", q.entity_type)?,
        entity_id: None,
        limit: q.limit.unwrap_or(20),
        offset: q.offset.unwrap_or(0),
    };
    let page = state.db().compliance().list(&filter).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for e in page.items {
        items.push(view(&state, e).await?);
    }
    Ok(Json(ComplianceEventPage {
        items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

fn no_event() -> ApiError {
    ApiError::NotFound("There is no such compliance event.".into())
}

/// One event with its evidence and template.
#[utoipa::path(
    get,
    path = "/api/v1/admin/compliance/events/{id}",
    tag = "compliance",
    params(("id" = String, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ComplianceEventView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not a reviewer or an admin", body = ErrorEnvelope),
        (status = 404, description = "No such event", body = ErrorEnvelope),
    )
)]
async fn get_event(
    State(state): State<AppState>,
    ReviewerUser(_reviewer): ReviewerUser,
    Path(id): Path<String>,
) -> Result<Json<ComplianceEventView>, ApiError> {
    let event = state
        .db()
        .compliance()
        .get(&id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_event(),
            other => other.into(),
        })?;
    Ok(Json(view(&state, event).await?))
}

/// A decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// `approved`, `rejected` or `escalated` (to an admin).
    pub status: String,
    /// Why, in words the educator reads: required to reject or escalate; 1 to 2,000
    /// characters.
    pub reason: Option<String>,
}

/// Decide an open (or escalated) event.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/compliance/events/{id}",
    tag = "compliance",
    params(("id" = String, Path, description = "Event id")),
    request_body = DecideRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ComplianceEventView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not a reviewer or an admin; the reviewer published the template; or an escalated event and the caller is not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such event", body = ErrorEnvelope),
        (status = 409, description = "Already decided", body = ErrorEnvelope),
        (status = 422, description = "A bad status or a missing reason (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn decide_event(
    State(state): State<AppState>,
    ReviewerUser(reviewer): ReviewerUser,
    Path(id): Path<String>,
    Json(req): Json<DecideRequest>,
) -> Result<Json<ComplianceEventView>, ApiError> {
    let status = match req.status.as_str() {
        "approved" => ComplianceStatus::Approved,
        "rejected" => ComplianceStatus::Rejected,
        "escalated" => ComplianceStatus::Escalated,
        _ => {
            return Err(field_error(
                "status",
                "status is `approved`, `rejected` or `escalated`",
            ));
        }
    };
    let reason = check_reason(req.reason.as_deref(), status != ComplianceStatus::Approved)?;
    let event = state
        .db()
        .compliance()
        .get(&id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_event(),
            other => other.into(),
        })?;
    if event.status == ComplianceStatus::Escalated && reviewer.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "This event was escalated; an admin decides it.".into(),
        ));
    }
    if event.created_by.as_deref() == Some(reviewer.id.as_str()) {
        return Err(ApiError::Forbidden(
            "You submitted this; another reviewer must decide it.".into(),
        ));
    }
    let title = match state.db().templates().get(&event.entity_id).await {
        Ok(t) => t.title,
        Err(_) => "your template".into(),
    };
    let because = reason
        .as_deref()
        .map(|r| format!(" The reviewer wrote: \"{r}\""))
        .unwrap_or_default();
    let (owner_title, owner_body) = match status {
        ComplianceStatus::Approved => (
            format!("\"{title}\" is published"),
            format!("A reviewer approved \"{title}\"; it is in the public gallery now.{because}"),
        ),
        _ => (
            format!("\"{title}\" was not approved"),
            format!(
                "A reviewer rejected \"{title}\" for the public gallery.{because} Save a new \
                 version that addresses it and publish again."
            ),
        ),
    };
    let decided = state
        .db()
        .compliance()
        .decide(
            &id,
            Decision {
                decided_by: reviewer.id.clone(),
                status,
                reason: reason.clone(),
                owner_notice: NewNotification {
                    user_id: String::new(),
                    kind: "template_review".into(),
                    title: owner_title,
                    body: owner_body,
                    link: Some("/templates/mine".into()),
                    payload: json!({ "event_id": id, "template_id": event.entity_id, "status": status.as_str() }),
                },
                admin_notice: NewNotification {
                    user_id: String::new(),
                    kind: "governance_task".into(),
                    title: format!("Escalated: \"{title}\""),
                    body: format!(
                        "{} escalated the review of \"{title}\" to an admin.{because}",
                        reviewer.display_name
                    ),
                    link: Some("/review".into()),
                    payload: json!({ "event_id": id, "template_id": event.entity_id }),
                },
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_event(),
            other => other.into(),
        })?;
    for user in &decided.notified {
        state.db().announce_notification(user, "compliance").await;
    }
    Ok(Json(view(&state, decided.event).await?))
}

fn check_reason(reason: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(field_error(
            "reason",
            "Say why, in words the educator can act on.",
        )),
        None => Ok(None),
        Some(r) => {
            check_text("reason", r, Lines::Many)?;
            if r.chars().count() > 2_000 {
                return Err(field_error("reason", "reason has at most 2,000 characters"));
            }
            Ok(Some(r.to_owned()))
        }
    }
}

/// A takedown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakedownRequest {
    /// A published template.
    pub template_id: String,
    /// Why, for the educator and the audit trail: 1 to 2,000 characters.
    pub reason: String,
}

/// Take a published template down: it leaves the gallery; clones keep working; its
/// educator is told why.
#[utoipa::path(
    post,
    path = "/api/v1/admin/compliance/takedowns",
    tag = "compliance",
    request_body = TakedownRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ComplianceEventView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not a reviewer or an admin", body = ErrorEnvelope),
        (status = 404, description = "No such template", body = ErrorEnvelope),
        (status = 409, description = "The template is not published", body = ErrorEnvelope),
        (status = 422, description = "A missing or too long reason (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn take_down(
    State(state): State<AppState>,
    ReviewerUser(reviewer): ReviewerUser,
    Json(req): Json<TakedownRequest>,
) -> Result<(axum::http::StatusCode, Json<ComplianceEventView>), ApiError> {
    let reason = check_reason(Some(&req.reason), true)?.unwrap_or_default();
    let template = state
        .db()
        .templates()
        .get(&req.template_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound("There is no such template.".into()),
            other => other.into(),
        })?;
    let decided = state
        .db()
        .compliance()
        .take_down(
            &req.template_id,
            &reviewer.id,
            &reason,
            NewNotification {
                user_id: String::new(),
                kind: "template_review".into(),
                title: format!("\"{}\" was taken down", template.title),
                body: format!(
                    "A reviewer took \"{}\" out of the public gallery. The reviewer wrote: \
                     \"{reason}\" Strategies already cloned from it keep working.",
                    template.title
                ),
                link: Some("/templates/mine".into()),
                payload: json!({ "template_id": template.id }),
            },
        )
        .await?;
    for user in &decided.notified {
        state.db().announce_notification(user, "compliance").await;
    }
    Ok((
        axum::http::StatusCode::CREATED,
        Json(view(&state, decided.event).await?),
    ))
}
