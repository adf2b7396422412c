//! Notification preferences and email: per kind, email right away, in a daily digest or
//! not at all, and whether it goes to the user's webhooks (in-app always). The user's
//! recent emails with their delivery state. The unsubscribe endpoint takes the signed token
//! from an email's link: JSON from the app's confirmation page, or RFC 8058's one-click
//! POST (`List-Unsubscribe=One-Click`, form-encoded, token in the query) from a mail
//! provider; neither needs a session, and a GET never unsubscribes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use bb_store::{EmailMode, EmailRecord, NOTIFICATION_KINDS, Preference};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Query};
use crate::routes::market::access::field_error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(list_emails))
        .routes(routes!(unsubscribe))
}

/// One kind's choices.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindPreference {
    pub kind: String,
    pub description: String,
    /// `off`, `instant` (one email each) or `daily` (one digest a day).
    pub email: String,
    /// `on` or `off`: sent to your webhook endpoints that take this kind.
    pub webhook: String,
}

/// Where emails go.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSettings {
    pub address: String,
    /// This server sends email (an SMTP server is set up).
    pub sending: bool,
}

/// Every kind with your choices (in-app is always on).
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesView {
    pub kinds: Vec<KindPreference>,
    pub email: EmailSettings,
}

/// A change to one kind; absent channels stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceChange {
    pub kind: String,
    /// `off`, `instant` or `daily`.
    pub email: Option<String>,
    /// `on` or `off`.
    pub webhook: Option<String>,
}

/// Changes to store, all or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    /// At most one entry per kind.
    pub items: Vec<PreferenceChange>,
}

/// An email and its delivery state.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailView {
    pub id: String,
    /// A notification kind, or `digest`.
    pub kind: String,
    pub subject: String,
    /// `queued`, `sent`, `failed`, `digest` (held for the next digest) or `digested` (sent
    /// in one).
    pub status: String,
    pub attempts: i64,
    /// Why the last try failed.
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl From<EmailRecord> for EmailView {
    fn from(e: EmailRecord) -> Self {
        EmailView {
            id: e.id,
            kind: e.kind,
            subject: e.subject,
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

/// A page of emails, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailList {
    pub items: Vec<EmailView>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

/// The token of an unsubscribe link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeRequest {
    pub token: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The token (one-click POSTs from mail providers carry it here).
    pub token: Option<String>,
}

/// What was turned off.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsubscribeResult {
    /// The kind (or `digest`: every kind that went to the daily digest).
    pub kind: String,
    pub description: String,
}

async fn view(state: &AppState, user_id: &str) -> Result<PreferencesView, ApiError> {
    let kinds: Vec<&str> = NOTIFICATION_KINDS.iter().map(|(k, _)| *k).collect();
    let prefs = state.db().emails().preferences(user_id, &kinds).await?;
    let user = state.db().users().get(user_id).await?;
    Ok(PreferencesView {
        kinds: prefs
            .into_iter()
            .map(|p| KindPreference {
                description: bb_store::describe_kind(&p.kind).to_owned(),
                email: p.email.as_str().into(),
                webhook: if p.webhook { "on" } else { "off" }.into(),
                kind: p.kind,
            })
            .collect(),
        email: EmailSettings {
            address: user.email,
            sending: state.mail().is_some(),
        },
    })
}

/// Your notification preferences: per kind, email and webhook.
#[utoipa::path(
    get,
    path = "/api/v1/notification-preferences",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = PreferencesView), (status = 401, body = ErrorEnvelope))
)]
async fn get_preferences(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<PreferencesView>, ApiError> {
    Ok(Json(view(&state, &caller.id).await?))
}

/// Change notification preferences (all the changes, or none).
#[utoipa::path(
    put,
    path = "/api/v1/notification-preferences",
    tag = "notifications",
    request_body = PreferencesUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PreferencesView),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "An unknown kind or mode, or a kind twice (`details.field`)", body = ErrorEnvelope),
    )
)]
async fn put_preferences(
    State(state): State<AppState>,
    caller: AuthUser,
    Json(req): Json<PreferencesUpdate>,
) -> Result<Json<PreferencesView>, ApiError> {
    if req.items.len() > NOTIFICATION_KINDS.len() {
        return Err(field_error(
            "items",
            format!("at most {} items, one per kind", NOTIFICATION_KINDS.len()),
        ));
    }
    let mut kinds: Vec<&str> = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        let known = NOTIFICATION_KINDS.iter().any(|(k, _)| *k == item.kind);
        if !known {
            return Err(field_error(
                &format!("items[{i}].kind"),
                format!(
                    "`{}` is not a notification kind",
                    item.kind.chars().take(64).collect::<String>()
                ),
            ));
        }
        if kinds.contains(&item.kind.as_str()) {
            return Err(field_error(
                &format!("items[{i}].kind"),
                format!("`{}` is given twice", item.kind),
            ));
        }
        kinds.push(&item.kind);
        if let Some(e) = &item.email
            && EmailMode::parse(e).is_none()
        {
            return Err(field_error(
                &format!("items[{i}].email"),
                "email is `off`, `instant` or `daily`".to_owned(),
            ));
        }
        if let Some(w) = &item.webhook
            && w != "on"
            && w != "off"
        {
            return Err(field_error(
                &format!("items[{i}].webhook"),
                "webhook is `on` or `off`".to_owned(),
            ));
        }
    }
    let current = state.db().emails().preferences(&caller.id, &kinds).await?;
    let changed: Vec<Preference> = current
        .into_iter()
        .zip(&req.items)
        .map(|(p, item)| Preference {
            email: item
                .email
                .as_deref()
                .and_then(EmailMode::parse)
                .unwrap_or(p.email),
            webhook: item.webhook.as_deref().map_or(p.webhook, |w| w == "on"),
            kind: p.kind,
        })
        .collect();
    state
        .db()
        .emails()
        .set_preferences(&caller.id, &changed)
        .await?;
    Ok(Json(view(&state, &caller.id).await?))
}

/// Your recent emails and how their delivery went.
#[utoipa::path(
    get,
    path = "/api/v1/emails",
    tag = "notifications",
    params(EmailQuery),
    security(("bearer" = [])),
    responses((status = 200, body = EmailList), (status = 401, body = ErrorEnvelope))
)]
async fn list_emails(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(q): Query<EmailQuery>,
) -> Result<Json<EmailList>, ApiError> {
    let page = state
        .db()
        .emails()
        .list(&caller.id, q.limit.unwrap_or(20), q.offset.unwrap_or(0))
        .await?;
    Ok(Json(EmailList {
        items: page.items.into_iter().map(EmailView::from).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// Stop one kind of email, with the token from an email's link. No session needed: JSON
/// `{"token"}` from the app, or a one-click POST (`List-Unsubscribe=One-Click`, RFC 8058)
/// with the token in the query.
#[utoipa::path(
    post,
    path = "/api/v1/email/unsubscribe",
    tag = "notifications",
    params(UnsubscribeQuery),
    request_body(content = UnsubscribeRequest, description = "JSON `{\"token\"}`, or the form `List-Unsubscribe=One-Click` with the token in the query"),
    responses(
        (status = 200, body = UnsubscribeResult),
        (status = 400, description = "No token", body = ErrorEnvelope),
        (status = 404, description = "Not a valid unsubscribe token", body = ErrorEnvelope),
    )
)]
async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<UnsubscribeResult>, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let token = if json {
        serde_json::from_slice::<UnsubscribeRequest>(&body)
            .map_err(|e| ApiError::bad_request(format!("The body is not {{\"token\"}}: {e}.")))?
            .token
    } else {
        q.token
            .ok_or_else(|| ApiError::bad_request("The unsubscribe link has no token."))?
    };
    let not_found = || ApiError::NotFound("This unsubscribe link is not valid.".into());
    let key = state.db().emails().key().await?.ok_or_else(not_found)?;
    let key = hex::decode(key).map_err(ApiError::internal)?;
    let (user_id, kind) = bb_mail::token::verify(&key, &token).ok_or_else(not_found)?;
    let known = kind == bb_store::DIGEST_KIND || NOTIFICATION_KINDS.iter().any(|(k, _)| *k == kind);
    if !known || !state.db().emails().user_exists(&user_id).await? {
        return Err(not_found());
    }
    state.db().emails().unsubscribe(&user_id, &kind).await?;
    let description = if kind == bb_store::DIGEST_KIND {
        "The daily digest".to_owned()
    } else {
        bb_store::describe_kind(&kind).to_owned()
    };
    Ok(Json(UnsubscribeResult { kind, description }))
}
