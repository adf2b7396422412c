//! The in-app notification center: the caller's notifications (paged, unread filter), the
//! unread count, marking read, and a live push stream (server-sent events) so the badge
//! updates without polling. On PostgreSQL a notification stored by any process (a worker
//! elsewhere) reaches the stream through the bus.

use crate::auth::extractor::{AuthUser, StreamUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Path, Query};
use crate::routes::runs::next_on;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use bb_store::{Notification, StoreError, notify_topic};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How often the stream re-counts when no bus event arrives (processes on one SQLite file
/// do not share a bus).
const POLL: Duration = Duration::from_secs(5);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(notification_stream))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// e.g. `backtest.succeeded`, `backtest.failed`, `sweep.succeeded`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where the app takes the user, e.g. `/backtests/<id>`.
    pub link: Option<String>,
    /// Details: the run id, its status and headline metrics.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// `in_app`.
    pub channel: String,
    pub read: bool,
    /// Unix ms.
    pub read_at: Option<i64>,
    pub created_at: i64,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> NotificationView {
        NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            payload: n.payload,
            channel: n.channel,
            read: n.read_at.is_some(),
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub total: u64,
    pub unread: i64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 100>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// One event of the push stream as sent (documentation only): `event: unread` carries
/// `data: {"unread": N}` (an [`UnreadCount`]), `event: notification` a new
/// [`NotificationView`], both as JSON text.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct NotificationStreamEvent {
    #[schema(pattern = "^(unread|notification)$")]
    pub event: String,
    /// JSON: an `UnreadCount` for `unread`, a `NotificationView` for `notification`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many changed from unread to read.
    pub marked: u64,
    pub unread: i64,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = NotificationPage), (status = 401, body = ErrorEnvelope))
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    let repo = state.db().notifications();
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let offset = query.offset.unwrap_or(0);
    let page = repo
        .list(&caller.id, query.unread.unwrap_or(false), limit, offset)
        .await?;
    Ok(Json(NotificationPage {
        items: page.items.into_iter().map(NotificationView::from).collect(),
        total: page.total,
        unread: repo.unread_count(&caller.id).await?,
        limit,
        offset,
    }))
}

/// How many of the caller's notifications are unread (the badge).
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorEnvelope))
)]
pub async fn unread_count(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<UnreadCount>, ApiError> {
    let unread = state.db().notifications().unread_count(&caller.id).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Mark one notification read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    security(("bearer" = [])),
    responses((status = 200, body = NotificationView), (status = 404, body = ErrorEnvelope))
)]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<NotificationView>, ApiError> {
    match state.db().notifications().mark_read(&caller.id, &id).await {
        Ok(n) => Ok(Json(n.into())),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound("There is no such notification.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Mark every notification read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read-all",
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorEnvelope))
)]
pub async fn mark_all_read(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<MarkedRead>, ApiError> {
    let repo = state.db().notifications();
    let marked = repo.mark_all_read(&caller.id).await?;
    Ok(Json(MarkedRead {
        marked,
        unread: repo.unread_count(&caller.id).await?,
    }))
}

/// The caller's live notifications: an `unread` event `{unread}` at once and whenever the
/// count changes, and a `notification` event (a [`NotificationView`]) for each new one.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/stream",
    tag = "notifications",
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream of `unread` and `notification` events", content_type = "text/event-stream", body = NotificationStreamEvent),
        (status = 401, body = ErrorEnvelope),
    )
)]
pub async fn notification_stream(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
) -> Result<Sse<KeepAliveStream<ReceiverStream<Result<Event, Infallible>>>>, ApiError> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut bus = state.db().subscribe();
        let topic = notify_topic(&caller.id);
        let repo = state.db().notifications();
        // The newest notification already sent (or already there when the stream opened).
        let mut newest = match repo.list(&caller.id, false, 1, 0).await {
            Ok(page) => page.items.first().map(|n| (n.created_at, n.id.clone())),
            Err(_) => return,
        };
        let mut unread = -1;
        loop {
            if newest.is_some() || unread >= 0 {
                // send the ones newer than what was sent, oldest first
                let Ok(page) = repo.list(&caller.id, false, 50, 0).await else {
                    return;
                };
                let fresh: Vec<Notification> = page
                    .items
                    .into_iter()
                    .take_while(|n| {
                        newest
                            .as_ref()
                            .is_none_or(|(t, id)| (n.created_at, &n.id) > (*t, id))
                    })
                    .collect();
                if let Some(n) = fresh.first() {
                    newest = Some((n.created_at, n.id.clone()));
                }
                for n in fresh.into_iter().rev() {
                    let view = NotificationView::from(n);
                    let data = serde_json::to_string(&view).unwrap_or_default();
                    let event = Event::default()
                        .event("notification")
                        .id(view.id)
                        .data(data);
                    if tx.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
            }
            let Ok(count) = repo.unread_count(&caller.id).await else {
                return;
            };
            if count != unread {
                unread = count;
                let event = Event::default()
                    .event("unread")
                    .data(serde_json::json!({ "unread": count }).to_string());
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                () = tx.closed() => return,
                () = next_on(&mut bus, &topic) => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default()))
}
