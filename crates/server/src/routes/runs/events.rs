//! Live progress as server-sent events. The stream replays the run's stored event log after
//! the client's `Last-Event-ID` (so a reconnect misses nothing), then follows the bus and
//! sends each new event as it is stored, whichever process stored it; it ends after the
//! final event (`succeeded`, `failed` or `cancelled`). Each SSE message has `id` = the event's
//! number, `event` = its kind and `data` = `{seq, kind, created_at, ...payload}`.

use super::read::load_own;
use super::types::{EventView, RunStreamEvent};
use crate::auth::extractor::StreamUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::Path;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use bb_store::{BusEvent, RunKind, run_topic};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

/// How often a stream re-reads the log when no bus event arrives (several processes on one
/// SQLite file do not share a bus).
const POLL: Duration = Duration::from_secs(1);

pub(crate) type EventStream =
    Sse<axum::response::sse::KeepAliveStream<ReceiverStream<Result<Event, Infallible>>>>;

/// Live events of a backtest.
#[utoipa::path(
    get,
    path = "/api/v1/backtests/{id}/events",
    tag = "backtests",
    params(
        ("id" = String, Path, description = "Run id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event"),
    ),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream: queued, started, progress {percent, message}, retrying, then succeeded {summary} | failed {error} | cancelled", content_type = "text/event-stream", body = RunStreamEvent),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn backtest_events(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<EventStream, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Backtest).await?;
    Ok(stream(state, run.id, last_event_id(&headers)?))
}

/// Live events of a sweep.
#[utoipa::path(
    get,
    path = "/api/v1/sweeps/{id}/events",
    tag = "sweeps",
    params(
        ("id" = String, Path, description = "Run id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event"),
    ),
    security(("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "An event stream, as for backtests", content_type = "text/event-stream", body = RunStreamEvent),
        (status = 404, body = ErrorEnvelope),
    )
)]
pub async fn sweep_events(
    State(state): State<AppState>,
    StreamUser(caller): StreamUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<EventStream, ApiError> {
    let run = load_own(&state, &id, &caller, RunKind::Sweep).await?;
    Ok(stream(state, run.id, last_event_id(&headers)?))
}

/// The `Last-Event-ID` header: absent (or below 1) means from the start; anything but a
/// number (what this stream sent as `id`) is refused.
pub(crate) fn last_event_id(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(0);
    };
    // The spec's nullable integer, as header text.
    if matches!(value.to_str().map(str::trim), Ok("" | "null")) {
        return Ok(0);
    }
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|n| n.max(0))
        .ok_or_else(|| ApiError::BadRequest {
            message: "The `Last-Event-ID` header must be an event number this stream sent."
                .to_string(),
            details: Some(serde_json::json!({ "field": "Last-Event-ID" })),
        })
}

fn is_final(kind: &str) -> bool {
    matches!(kind, "succeeded" | "failed" | "cancelled")
}

pub(crate) fn stream(state: AppState, id: String, after: i64) -> EventStream {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        // Subscribe before the first read, so nothing stored in between is missed.
        let mut bus = state.db().subscribe();
        let topic = run_topic(&id);
        let mut seq = after;
        let mut final_seen = false;
        loop {
            let events = match state.db().runs().events_after(&id, seq).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(run = %id, error = %e, "reading run events failed");
                    return;
                }
            };
            let had_events = !events.is_empty();
            for event in events {
                seq = event.seq;
                let last = is_final(&event.kind);
                if tx.send(Ok(to_sse(event.into()))).await.is_err() || last {
                    return;
                }
            }
            if !had_events {
                if final_seen {
                    // Resumed after the final event: nothing more will come.
                    return;
                }
                match state.db().runs().get(&id).await {
                    // The run may have ended between the read above and this one: read
                    // the log once more so its final event is sent, then stop.
                    Ok(run) if run.status.is_final() => {
                        final_seen = true;
                        continue;
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            tokio::select! {
                () = tx.closed() => return,
                () = next_on(&mut bus, &topic) => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default())
}

/// Waits for an event on `topic` (or a reason to re-read: the bus reconnected or lagged).
pub(crate) async fn next_on(bus: &mut broadcast::Receiver<BusEvent>, topic: &str) {
    loop {
        match bus.recv().await {
            Ok(e) if e.topic == topic || e.topic == bb_store::RECONNECTED_TOPIC => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

fn to_sse(event: EventView) -> Event {
    let mut data = serde_json::json!({
        "seq": event.seq,
        "kind": event.kind,
        "created_at": event.created_at,
    });
    if let (Some(out), Some(payload)) = (data.as_object_mut(), event.payload.as_object()) {
        for (k, v) in payload {
            out.insert(k.clone(), v.clone());
        }
    }
    Event::default()
        .id(event.seq.to_string())
        .event(event.kind)
        .data(data.to_string())
}
