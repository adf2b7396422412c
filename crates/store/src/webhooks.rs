//! Webhooks (migration 0019): a user's endpoints, the deliveries of their notifications to
//! them and every attempt.
//!
//! Deliveries are an outbox: [`fan_out_in`] runs inside the transaction that stores a
//! notification, so a notification and its deliveries (each with a `webhook_delivery` job)
//! commit or roll back together. The worker sends an attempt and records it with
//! [`Webhooks::record_attempt`], guarded by the attempt count it started from, so an attempt
//! recorded twice (a job run twice) is recorded once. The next attempt is a new job at its
//! time; when the schedule is spent, or the receiver answers 410, the delivery fails and,
//! for a delivery that kept failing, the endpoint is disabled and its owner told.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::jobs::{NewJob, enqueue_in};
use crate::notifications::{self, NewNotification, Notification};
use crate::sql::{col, col_bool, col_json};
use crate::{Db, Page, StoreError};

/// The job kind that sends one attempt of a delivery.
pub const WEBHOOK_DELIVERY: &str = "webhook_delivery";

/// Endpoints a user may register.
pub const MAX_ENDPOINTS_PER_USER: i64 = 10;

/// Notification kinds an endpoint may name.
pub const MAX_KINDS: usize = 32;

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// The event type of a test send.
pub const TEST_EVENT: &str = "webhook.test";

/// A registered endpoint.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub user_id: String,
    pub url: String,
    pub description: String,
    /// Notification kinds sent here; empty = every kind.
    pub kinds: Vec<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    /// Until when (Unix ms) the previous secret also signs.
    pub previous_secret_until: Option<i64>,
    pub enabled: bool,
    /// Why it was disabled (by its owner, or after a day of failed deliveries, or a 410).
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Endpoint {
    /// The secrets that sign a message sent at `now`: the current one, and the previous one
    /// during a rotation's overlap.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            out.push(prev.as_str());
        }
        out
    }

    /// Whether a notification of `kind` goes here.
    pub fn wants(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

/// A new endpoint (the URL already checked by the caller).
#[derive(Clone, Debug, PartialEq)]
pub struct NewEndpoint {
    pub url: String,
    pub description: String,
    pub kinds: Vec<String>,
    pub secret: String,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// Where a delivery is.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// No attempt left (or the destination refused, or 410 Gone).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(StoreError::Database(format!(
                "unknown delivery status {other}"
            ))),
        }
    }
}

/// One message to one endpoint, with its attempts so far.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Also the `webhook-id` header.
    pub id: String,
    pub endpoint_id: String,
    pub user_id: String,
    pub event_type: String,
    pub notification_id: Option<String>,
    /// The JSON body sent.
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    /// The last response's status.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

/// One attempt, as logged.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub started_at: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the response body.
    pub response_excerpt: String,
}

/// What comes after an attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    Delivered,
    /// Try again at this time (Unix ms).
    RetryAt(i64),
    /// Give up; with `disable`, the endpoint is disabled for that reason and its owner told.
    Failed {
        disable: Option<String>,
    },
}

/// An attempt to record.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub started_at: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: String,
    pub next: Next,
}

/// The bus topic on which an endpoint's recorded attempts are announced (payload: the
/// delivery id).
pub fn webhook_topic(endpoint_id: &str) -> String {
    format!("webhook.{endpoint_id}")
}

/// The webhooks repository (from [`Db::webhooks`]).
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    pub(crate) db: &'a Db,
}

const ENDPOINT_COLUMNS: &str = "id, user_id, url, description, kinds, secret, previous_secret, \
     previous_secret_until, enabled, disabled_reason, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "id, endpoint_id, user_id, event_type, notification_id, payload, \
     status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at, \
     delivered_at";

impl Webhooks<'_> {
    /// Registers an endpoint; at most [`MAX_ENDPOINTS_PER_USER`] per user (counted in the
    /// write's transaction, the user's row touched first).
    pub async fn create(&self, user_id: &str, new: NewEndpoint) -> Result<Endpoint, StoreError> {
        check_kinds(&new.kinds)?;
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let touched = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= MAX_ENDPOINTS_PER_USER {
            return Err(StoreError::Conflict(format!(
                "you already have {count} webhook endpoints, the most allowed; delete one first"
            )));
        }
        let e = Endpoint {
            id: new_id(),
            user_id: user_id.to_owned(),
            url: new.url,
            description: new.description,
            kinds: new.kinds,
            secret: new.secret,
            previous_secret: None,
            previous_secret_until: None,
            enabled: true,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, user_id, url, description, kinds, secret, \
             enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        )
        .bind(&e.id)
        .bind(&e.user_id)
        .bind(&e.url)
        .bind(&e.description)
        .bind(serde_json::to_string(&e.kinds).unwrap_or_else(|_| "[]".into()))
        .bind(&e.secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    /// A user's endpoints, oldest first.
    pub async fn list(&self, user_id: &str) -> Result<Vec<Endpoint>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = $1 \
             ORDER BY created_at, id"
        )))
        .bind(user_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// One endpoint of a user (`NotFound` for anyone else's).
    pub async fn get(&self, user_id: &str, id: &str) -> Result<Endpoint, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        endpoint_from_row(&row)
    }

    /// Changes an endpoint. Enabling it clears the reason it was disabled; disabling it by
    /// hand records "disabled by you".
    pub async fn update(
        &self,
        user_id: &str,
        id: &str,
        patch: EndpointPatch,
    ) -> Result<Endpoint, StoreError> {
        let mut e = self.get(user_id, id).await?;
        if let Some(kinds) = patch.kinds {
            check_kinds(&kinds)?;
            e.kinds = kinds;
        }
        if let Some(url) = patch.url {
            e.url = url;
        }
        if let Some(d) = patch.description {
            e.description = d;
        }
        match patch.enabled {
            Some(true) => {
                e.enabled = true;
                e.disabled_reason = None;
            }
            Some(false) if e.enabled => {
                e.enabled = false;
                e.disabled_reason = Some("disabled by you".into());
            }
            _ => {}
        }
        e.updated_at = now_ms();
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, kinds = $3, enabled = $4, \
             disabled_reason = $5, updated_at = $6 WHERE id = $7 AND user_id = $8",
        )
        .bind(&e.url)
        .bind(&e.description)
        .bind(serde_json::to_string(&e.kinds).unwrap_or_else(|_| "[]".into()))
        .bind(i32::from(e.enabled))
        .bind(e.disabled_reason.as_deref())
        .bind(e.updated_at)
        .bind(id)
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        Ok(e)
    }

    /// Deletes an endpoint and its delivery log.
    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Replaces the signing secret; the old one keeps signing beside it for
    /// [`ROTATION_OVERLAP_MS`], so receivers can switch without missing a message.
    pub async fn rotate_secret(
        &self,
        user_id: &str,
        id: &str,
        new_secret: &str,
    ) -> Result<Endpoint, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, \
             secret = $2, updated_at = $3 WHERE id = $4 AND user_id = $5",
        )
        .bind(now + ROTATION_OVERLAP_MS)
        .bind(new_secret)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get(user_id, id).await
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(
        &self,
        user_id: &str,
        endpoint_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Page<Delivery>, StoreError> {
        self.get(user_id, endpoint_id).await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .fetch_one(&self.db.pool)
                .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(endpoint_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(Page {
            items: rows
                .iter()
                .map(delivery_from_row)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit,
            offset,
        })
    }

    /// One delivery of a user with its attempts (oldest first).
    pub async fn delivery(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<(Delivery, Vec<DeliveryAttempt>), StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let d = delivery_from_row(&row)?;
        let attempts = sqlx::query(
            "SELECT attempt, started_at, status, duration_ms, error, response_excerpt \
             FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DeliveryAttempt {
                attempt: col(r, "attempt")?,
                started_at: col(r, "started_at")?,
                status: col(r, "status")?,
                duration_ms: col(r, "duration_ms")?,
                error: col(r, "error")?,
                response_excerpt: col(r, "response_excerpt")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        Ok((d, attempts))
    }

    /// Queues a test message to an enabled endpoint.
    pub async fn send_test(
        &self,
        user_id: &str,
        endpoint_id: &str,
    ) -> Result<Delivery, StoreError> {
        let e = self.get(user_id, endpoint_id).await?;
        if !e.enabled {
            return Err(StoreError::Conflict(
                "this endpoint is disabled; enable it before sending a test".into(),
            ));
        }
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries \
             WHERE endpoint_id = $1 AND event_type = $2 AND status = 'pending'",
        )
        .bind(endpoint_id)
        .bind(TEST_EVENT)
        .fetch_one(&self.db.pool)
        .await?;
        if waiting > 0 {
            return Err(StoreError::Conflict(
                "a test message to this endpoint is still on its way; wait for it".into(),
            ));
        }
        let now = now_ms();
        let payload = serde_json::json!({
            "type": TEST_EVENT,
            "timestamp": bb_domain::calendar::format_rfc3339_ms(now),
            "data": {
                "title": "Test message from Blockbuilders",
                "body": "If you can read this, your endpoint receives and can verify our webhooks.",
            }
        });
        let mut tx = self.db.pool.begin().await?;
        let d = insert_delivery(&mut tx, &e, TEST_EVENT, None, payload, now).await?;
        tx.commit().await?;
        crate::jobs::publish_wakeup(self.db, WEBHOOK_DELIVERY).await;
        Ok(d)
    }

    /// Sends a delivery again (same `webhook-id`, so the receiver can tell it is the same
    /// message): it becomes pending with a new attempt now. `Conflict` while it is pending.
    pub async fn replay(&self, user_id: &str, id: &str) -> Result<Delivery, StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, \
             updated_at = $1 WHERE id = $2 AND user_id = $3 AND status <> 'pending'",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            // tell apart "not yours / no such" from "still pending"
            let (d, _) = self.delivery(user_id, id).await?;
            return Err(StoreError::Conflict(format!(
                "this delivery is still {}; it is sent again on its own",
                d.status.as_str()
            )));
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let d = delivery_from_row(&row)?;
        enqueue_attempt(&mut tx, &d, now).await?;
        tx.commit().await?;
        crate::jobs::publish_wakeup(self.db, WEBHOOK_DELIVERY).await;
        Ok(d)
    }

    /// The worker's read: a pending delivery and its endpoint (`None` when it is no longer
    /// pending or its endpoint is gone).
    pub async fn pending(&self, id: &str) -> Result<Option<(Delivery, Endpoint)>, StoreError> {
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND status = 'pending'"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let d = delivery_from_row(&row)?;
        let Some(erow) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        )))
        .bind(&d.endpoint_id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((d, endpoint_from_row(&erow)?)))
    }

    /// Records attempt `attempts + 1` of a pending delivery and what follows, in one
    /// transaction: the attempt, the delivery's state, the next attempt's job, or the
    /// endpoint disabled with a notification to its owner. Returns `None` when the delivery
    /// had moved on (another worker recorded this attempt), and nothing is written.
    pub async fn record_attempt(
        &self,
        delivery: &Delivery,
        record: AttemptRecord,
    ) -> Result<Option<Delivery>, StoreError> {
        let now = record.started_at + record.duration_ms;
        let (status, next_at, delivered_at) = match &record.next {
            Next::Delivered => (DeliveryStatus::Delivered, None, Some(now)),
            Next::RetryAt(t) => (DeliveryStatus::Pending, Some(*t), None),
            Next::Failed { .. } => (DeliveryStatus::Failed, None, None),
        };
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $1, \
             next_attempt_at = $2, last_status = $3, last_error = $4, updated_at = $5, \
             delivered_at = COALESCE(delivered_at, $6) \
             WHERE id = $7 AND status = 'pending' AND attempts = $8",
        )
        .bind(status.as_str())
        .bind(next_at)
        .bind(record.status)
        .bind(record.error.as_deref())
        .bind(now)
        .bind(delivered_at)
        .bind(&delivery.id)
        .bind(delivery.attempts)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status, \
             duration_ms, error, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&delivery.id)
        .bind(delivery.attempts + 1)
        .bind(record.started_at)
        .bind(record.status)
        .bind(record.duration_ms)
        .bind(record.error.as_deref())
        .bind(&record.response_excerpt)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
        )))
        .bind(&delivery.id)
        .fetch_one(&mut *tx)
        .await?;
        let d = delivery_from_row(&row)?;
        let mut told = None;
        match &record.next {
            Next::RetryAt(t) => enqueue_attempt(&mut tx, &d, *t).await?,
            Next::Failed {
                disable: Some(reason),
            } => {
                let disabled = sqlx::query(
                    "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, \
                     updated_at = $2 WHERE id = $3 AND enabled = 1",
                )
                .bind(reason)
                .bind(now)
                .bind(&d.endpoint_id)
                .execute(&mut *tx)
                .await?;
                if disabled.rows_affected() == 1 {
                    let url: String =
                        sqlx::query_scalar("SELECT url FROM webhook_endpoints WHERE id = $1")
                            .bind(&d.endpoint_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    let n = notifications::insert(
                        &mut tx,
                        NewNotification {
                            user_id: d.user_id.clone(),
                            kind: "webhook.disabled".into(),
                            title: "A webhook endpoint was disabled".into(),
                            body: format!("{url} was disabled: {reason}. Fix it, then enable it again on the webhooks page."),
                            link: Some("/settings/webhooks".into()),
                            payload: serde_json::json!({
                                "endpoint_id": d.endpoint_id,
                                "url": url,
                                "reason": reason,
                            }),
                        },
                    )
                    .await?;
                    told = Some(n);
                }
            }
            Next::Delivered | Next::Failed { disable: None } => {}
        }
        tx.commit().await?;
        let _ = self.db.publish(&webhook_topic(&d.endpoint_id), &d.id).await;
        if let Some(n) = told {
            self.db.announce_notification(&n.user_id, &n.id).await;
        }
        Ok(Some(d))
    }
}

/// Queues a delivery of `n` to each enabled endpoint of its user that wants its kind, on
/// `conn` (inside the notification's transaction). Returns how many were queued; the caller
/// announces them after commit ([`Db::announce_notification`]).
pub(crate) async fn fan_out_in(
    conn: &mut AnyConnection,
    n: &Notification,
) -> Result<usize, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = $1 AND enabled = 1"
    )))
    .bind(&n.user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for row in &rows {
        let e = endpoint_from_row(row)?;
        if !e.wants(&n.kind) {
            continue;
        }
        let payload = serde_json::json!({
            "type": n.kind,
            "timestamp": bb_domain::calendar::format_rfc3339_ms(n.created_at),
            "data": {
                "notification_id": n.id,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "details": n.payload,
            }
        });
        insert_delivery(conn, &e, &n.kind, Some(&n.id), payload, n.created_at).await?;
        queued += 1;
    }
    Ok(queued)
}

async fn insert_delivery(
    conn: &mut AnyConnection,
    e: &Endpoint,
    event_type: &str,
    notification_id: Option<&str>,
    payload: serde_json::Value,
    now: i64,
) -> Result<Delivery, StoreError> {
    let d = Delivery {
        id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
        endpoint_id: e.id.clone(),
        user_id: e.user_id.clone(),
        event_type: event_type.to_owned(),
        notification_id: notification_id.map(str::to_owned),
        payload,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        last_status: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    };
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event_type, notification_id, \
         payload, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7)",
    )
    .bind(&d.id)
    .bind(&d.endpoint_id)
    .bind(&d.user_id)
    .bind(&d.event_type)
    .bind(d.notification_id.as_deref())
    .bind(d.payload.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    enqueue_attempt(conn, &d, now).await?;
    Ok(d)
}

async fn enqueue_attempt(
    conn: &mut AnyConnection,
    d: &Delivery,
    at: i64,
) -> Result<(), StoreError> {
    enqueue_in(
        conn,
        NewJob {
            user_id: Some(d.user_id.clone()),
            run_at: Some(at),
            // Below backtests (1): a slow receiver (up to the 15 s timeout) never keeps a
            // queued backtest waiting. An attempt is recorded once however often its job
            // runs; a job that fails (the database was away) is retried by the queue.
            priority: 0,
            ..NewJob::new(WEBHOOK_DELIVERY, serde_json::json!({ "delivery_id": d.id }))
        },
    )
    .await?;
    Ok(())
}

fn check_kinds(kinds: &[String]) -> Result<(), StoreError> {
    if kinds.len() > MAX_KINDS {
        return Err(StoreError::Invalid(format!(
            "an endpoint names at most {MAX_KINDS} notification kinds"
        )));
    }
    for k in kinds {
        let ok = !k.is_empty()
            && k.len() <= 64
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !ok {
            return Err(StoreError::Invalid(format!(
                "`{k}` is not a notification kind (letters, digits, `_` and `.`, at most 64)"
            )));
        }
    }
    Ok(())
}

fn endpoint_from_row(row: &AnyRow) -> Result<Endpoint, StoreError> {
    let kinds: String = col(row, "kinds")?;
    Ok(Endpoint {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        url: col(row, "url")?,
        description: col(row, "description")?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|e| StoreError::Database(format!("bad endpoint kinds: {e}")))?,
        secret: col(row, "secret")?,
        previous_secret: col(row, "previous_secret")?,
        previous_secret_until: col(row, "previous_secret_until")?,
        enabled: col_bool(row, "enabled")?,
        disabled_reason: col(row, "disabled_reason")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn delivery_from_row(row: &AnyRow) -> Result<Delivery, StoreError> {
    let status: String = col(row, "status")?;
    Ok(Delivery {
        id: col(row, "id")?,
        endpoint_id: col(row, "endpoint_id")?,
        user_id: col(row, "user_id")?,
        event_type: col(row, "event_type")?,
        notification_id: col(row, "notification_id")?,
        payload: col_json(row, "payload")?,
        status: DeliveryStatus::parse(&status)?,
        attempts: col(row, "attempts")?,
        next_attempt_at: col(row, "next_attempt_at")?,
        last_status: col(row, "last_status")?,
        last_error: col(row, "last_error")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        delivered_at: col(row, "delivered_at")?,
    })
}
