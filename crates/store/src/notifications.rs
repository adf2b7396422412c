//! In-app notifications: one row per message to a user (a run finished, a run failed),
//! read or unread. Every new one is published on the bus as `notify.<user id>` so a user's
//! open push stream learns of it whichever process wrote it.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::sql::{col, col_json};
use crate::{Db, Page, StoreError};

/// What is needed to notify a user.
#[derive(Clone, Debug, PartialEq)]
pub struct NewNotification {
    pub user_id: String,
    /// e.g. `backtest.succeeded`, `backtest.failed`, `sweep.succeeded`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where the UI takes the user, e.g. `/backtests/<id>`.
    pub link: Option<String>,
    /// JSON details (run id, headline metrics).
    pub payload: serde_json::Value,
}

/// A notification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub payload: serde_json::Value,
    /// `in_app` (the only channel today).
    pub channel: String,
    /// Unix ms; `None` while unread.
    pub read_at: Option<i64>,
    pub created_at: i64,
}

/// The notifications repository (from [`Db::notifications`]).
#[derive(Debug, Clone, Copy)]
pub struct Notifications<'a> {
    pub(crate) db: &'a Db,
}

/// Every notification kind, with what it means (the preferences grid, the webhook
/// catalogue and the emails' "why you get this" read it).
pub const NOTIFICATION_KINDS: &[(&str, &str)] = &[
    (
        "backtest.succeeded",
        "A backtest finished (its headline numbers)",
    ),
    ("backtest.failed", "A backtest failed, with the reason"),
    ("sweep.succeeded", "A parameter sweep finished"),
    ("sweep.failed", "A parameter sweep failed"),
    (
        "robustness.succeeded",
        "A robustness check finished, with its verdict",
    ),
    ("robustness.failed", "A robustness check failed"),
    ("paper_trade_alert", "A paper-trading run needs attention"),
    (
        "screener_alert",
        "A screen you keep fired on one of its symbols",
    ),
    (
        "template_review",
        "A review decision on one of your templates",
    ),
    ("governance_task", "A template waits for review (reviewers)"),
    (
        "billing.payment_failed",
        "A payment for your plan failed (the grace period began)",
    ),
    (
        "billing.plan_changed",
        "Your plan changed (bought, ended or downgraded)",
    ),
    (
        "webhook.disabled",
        "One of your webhook endpoints was disabled",
    ),
    (
        "operations.backup",
        "A backup or a restore drill failed or is overdue (admins)",
    ),
    (
        "account.register_attempt",
        "Someone tried to register with your email address",
    ),
];

/// What a kind means, for people (the kind itself when unknown).
pub fn describe_kind(kind: &str) -> &str {
    NOTIFICATION_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, d)| d)
}

/// The bus topic that tells a user's stream something new arrived.
pub fn notify_topic(user_id: &str) -> String {
    format!("notify.{user_id}")
}

const COLUMNS: &str = "id, user_id, kind, title, body, link, payload, channel, read_at, created_at";

impl Db {
    /// Tells a user's streams that a notification arrived and the workers that webhook
    /// deliveries and emails may be waiting. Best effort (streams and workers also poll).
    pub async fn announce_notification(&self, user_id: &str, payload: &str) {
        let _ = self.publish(&notify_topic(user_id), payload).await;
        crate::jobs::publish_wakeup(self, crate::webhooks::WEBHOOK_DELIVERY).await;
        crate::jobs::publish_wakeup(self, crate::emails::EMAIL_DELIVERY).await;
    }
}

impl Notifications<'_> {
    /// Stores a notification and tells the user's streams.
    pub async fn create(&self, new: NewNotification) -> Result<Notification, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let n = insert(&mut tx, new).await?;
        tx.commit().await?;
        self.db.announce_notification(&n.user_id, &n.id).await;
        Ok(n)
    }

    /// A user's notifications, newest first; only the unread ones with `unread_only`.
    pub async fn list(
        &self,
        user_id: &str,
        unread_only: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Page<Notification>, StoreError> {
        let filter = if unread_only {
            "user_id = $1 AND read_at IS NULL"
        } else {
            "user_id = $1"
        };
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM notifications WHERE {filter}"
        )))
        .bind(user_id)
        .fetch_one(&self.db.pool)
        .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(user_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(Page {
            items: rows.iter().map(from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit,
            offset,
        })
    }

    /// One notification of a user (`NotFound` for anyone else's).
    pub async fn get(&self, user_id: &str, id: &str) -> Result<Notification, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// How many of a user's notifications are unread.
    pub async fn unread_count(&self, user_id: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// Marks one notification read (kept read if it already was). `NotFound` when the
    /// user has no such notification.
    pub async fn mark_read(&self, user_id: &str, id: &str) -> Result<Notification, StoreError> {
        sqlx::query(
            "UPDATE notifications SET read_at = $3 \
             WHERE id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        let n = self.get(user_id, id).await?;
        self.db.publish(&notify_topic(user_id), "read").await?;
        Ok(n)
    }

    /// Marks every unread notification of a user read; returns how many changed.
    pub async fn mark_all_read(&self, user_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        self.db.publish(&notify_topic(user_id), "read").await?;
        Ok(done.rows_affected())
    }
}

/// Inserts a notification on `conn` (inside the caller's transaction) with its webhook
/// deliveries (the outbox: they commit or roll back with it); the caller calls
/// [`Db::announce_notification`] after committing.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    new: NewNotification,
) -> Result<Notification, StoreError> {
    let n = Notification {
        id: new_id(),
        user_id: new.user_id,
        kind: new.kind,
        title: new.title,
        body: new.body,
        link: new.link,
        payload: new.payload,
        channel: "in_app".to_owned(),
        read_at: None,
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO notifications \
         (id, user_id, kind, title, body, link, payload, channel, read_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
    )
    .bind(&n.id)
    .bind(&n.user_id)
    .bind(&n.kind)
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.link.as_deref())
    .bind(n.payload.to_string())
    .bind(&n.channel)
    .bind(n.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| map_err(e, &[], "user does not exist"))?;
    if crate::emails::outbox_in(conn, &n).await? {
        crate::webhooks::fan_out_in(conn, &n).await?;
    }
    Ok(n)
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        kind: col(row, "kind")?,
        title: col(row, "title")?,
        body: col(row, "body")?,
        link: col(row, "link")?,
        payload: col_json(row, "payload")?,
        channel: col(row, "channel")?,
        read_at: col(row, "read_at")?,
        created_at: col(row, "created_at")?,
    })
}
