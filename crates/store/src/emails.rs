//! Email: what each user wants per notification kind and channel, and the outbox.
//!
//! [`outbox_in`] runs inside the transaction that stores a notification (as the webhook
//! outbox does): by the user's preference for that kind, the notification gets an email
//! row that is `queued` with an `email_delivery` job (right away), or held as `digest`
//! until [`Emails::send_digests`] folds the user's held ones into one digest email, or
//! nothing. Emails are queued only once a process that can send email has started
//! ([`Emails::ensure_key`]); before, nothing piles up. The worker renders and sends,
//! then records `sent`, or the error (`queued` again for a retry, `failed` at the end).

use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::jobs::{NewJob, enqueue_in};
use crate::notifications::Notification;
use crate::sql::col;
use crate::{Db, Page, StoreError};

/// The job kind that sends one email.
pub const EMAIL_DELIVERY: &str = "email_delivery";

/// The kind of a digest email.
pub const DIGEST_KIND: &str = "digest";

/// The bus topic on which a user's email is said to be sent or to have failed a try
/// (payload: the email id).
pub fn email_topic(user_id: &str) -> String {
    format!("email.{user_id}")
}

/// Tries of one email before it fails.
pub const EMAIL_MAX_ATTEMPTS: u32 = 6;

/// How a kind reaches a user by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailMode {
    Off,
    /// One email per notification, at once.
    Instant,
    /// Held, then sent together once a day.
    Daily,
}

impl EmailMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailMode::Off => "off",
            EmailMode::Instant => "instant",
            EmailMode::Daily => "daily",
        }
    }

    pub fn parse(text: &str) -> Option<EmailMode> {
        match text {
            "off" => Some(EmailMode::Off),
            "instant" => Some(EmailMode::Instant),
            "daily" => Some(EmailMode::Daily),
            _ => None,
        }
    }

    /// What a user gets without choosing: results of long checks in the daily digest,
    /// everything else at once.
    pub fn default_for(kind: &str) -> EmailMode {
        if kind.starts_with("sweep.") || kind.starts_with("robustness.") {
            EmailMode::Daily
        } else {
            EmailMode::Instant
        }
    }
}

/// A user's choice for one kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Preference {
    pub kind: String,
    pub email: EmailMode,
    /// Sent to the user's webhook endpoints.
    pub webhook: bool,
}

impl Preference {
    pub fn default_for(kind: &str) -> Preference {
        Preference {
            kind: kind.to_owned(),
            email: EmailMode::default_for(kind),
            webhook: true,
        }
    }
}

/// An email as the outbox holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailRecord {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub notification_id: Option<String>,
    /// `queued`, `sent`, `failed`, `digest` or `digested`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub subject: String,
    /// An account email's words and link (empty for notification emails).
    pub body: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// What the worker needs to send one email.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEmail {
    pub email: EmailRecord,
    pub to: String,
    pub display_name: String,
    /// The notification it tells of (none for a digest).
    pub notification: Option<Notification>,
    /// A digest's notifications, oldest first.
    pub items: Vec<Notification>,
}

/// The email repository (from [`Db::emails`]).
#[derive(Debug, Clone, Copy)]
pub struct Emails<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str = "id, user_id, kind, notification_id, status, attempts, last_error, subject, \
     body, link, created_at, sent_at";

fn from_row(row: &AnyRow) -> Result<EmailRecord, StoreError> {
    Ok(EmailRecord {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        kind: col(row, "kind")?,
        notification_id: col(row, "notification_id")?,
        status: col(row, "status")?,
        attempts: col(row, "attempts")?,
        last_error: col(row, "last_error")?,
        subject: col(row, "subject")?,
        body: col(row, "body")?,
        link: col(row, "link")?,
        created_at: col(row, "created_at")?,
        sent_at: col(row, "sent_at")?,
    })
}

async fn preference_in(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: &str,
) -> Result<Preference, StoreError> {
    let row = sqlx::query(
        "SELECT email, webhook FROM notification_preferences WHERE user_id = $1 AND kind = $2",
    )
    .bind(user_id)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => Preference {
            kind: kind.to_owned(),
            email: EmailMode::parse(&col::<String>(&row, "email")?)
                .unwrap_or_else(|| EmailMode::default_for(kind)),
            webhook: col::<i64>(&row, "webhook")? != 0,
        },
        None => Preference::default_for(kind),
    })
}

async fn queue_job(
    conn: &mut AnyConnection,
    user_id: &str,
    email_id: &str,
) -> Result<(), StoreError> {
    enqueue_in(
        conn,
        NewJob {
            user_id: Some(user_id.to_owned()),
            // Below backtests (1), beside webhook deliveries.
            priority: 0,
            max_attempts: EMAIL_MAX_ATTEMPTS,
            ..NewJob::new(EMAIL_DELIVERY, json!({ "email_id": email_id }))
        },
    )
    .await?;
    Ok(())
}

/// The outbox step of storing a notification; returns whether it may also go to webhooks.
pub(crate) async fn outbox_in(
    conn: &mut AnyConnection,
    n: &Notification,
) -> Result<bool, StoreError> {
    let pref = preference_in(conn, &n.user_id, &n.kind).await?;
    if pref.email == EmailMode::Off {
        return Ok(pref.webhook);
    }
    let can_send: Option<i64> = sqlx::query_scalar("SELECT id FROM mail_keys WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    if can_send.is_none() {
        return Ok(pref.webhook);
    }
    let id = new_id();
    let status = if pref.email == EmailMode::Instant {
        "queued"
    } else {
        "digest"
    };
    sqlx::query(
        "INSERT INTO emails (id, user_id, kind, notification_id, status, subject, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&n.user_id)
    .bind(&n.kind)
    .bind(&n.id)
    .bind(status)
    .bind(&n.title)
    .bind(n.created_at)
    .execute(&mut *conn)
    .await?;
    if status == "queued" {
        queue_job(conn, &n.user_id, &id).await?;
    }
    Ok(pref.webhook)
}

fn notification_columns(prefix: &str) -> String {
    [
        "id",
        "user_id",
        "kind",
        "title",
        "body",
        "link",
        "payload",
        "channel",
        "read_at",
        "created_at",
    ]
    .iter()
    .map(|c| format!("{prefix}{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}

/// An account email (verification, password reset, a new sign-in): sent whatever the
/// preferences say, never with an unsubscribe link.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountEmail {
    pub user_id: String,
    /// `account.verify_email`, `account.password_reset` or `account.new_sign_in`.
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// Absolute.
    pub link: Option<String>,
}

impl Emails<'_> {
    /// Queues an account email; `false` when no process can send email.
    pub async fn queue_account(&self, email: AccountEmail) -> Result<bool, StoreError> {
        let can_send: Option<i64> = sqlx::query_scalar("SELECT id FROM mail_keys WHERE id = 1")
            .fetch_optional(&self.db.pool)
            .await?;
        if can_send.is_none() {
            return Ok(false);
        }
        // A write first (the SQLite write lock at once; see `Account::sign_in_from`).
        let mut tx = self.db.pool.begin().await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO emails (id, user_id, kind, status, subject, body, link, created_at, \
             updated_at) VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&email.user_id)
        .bind(&email.kind)
        .bind(&email.subject)
        .bind(&email.body)
        .bind(email.link.as_deref())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        queue_job(&mut tx, &email.user_id, &id).await?;
        tx.commit().await?;
        crate::jobs::publish_wakeup(self.db, EMAIL_DELIVERY).await;
        Ok(true)
    }

    /// The install's unsubscribe-signing key: the stored one, else `candidate` (hex) is
    /// stored and returned. Storing it also turns the email outbox on.
    pub async fn ensure_key(&self, candidate: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO mail_keys (id, key_hex, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        self.key().await?.ok_or(StoreError::NotFound)
    }

    /// The unsubscribe-signing key, if email was ever set up.
    pub async fn key(&self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT key_hex FROM mail_keys WHERE id = 1")
                .fetch_optional(&self.db.pool)
                .await?,
        )
    }

    /// A user's choices for `kinds` (defaults where they chose nothing).
    pub async fn preferences(
        &self,
        user_id: &str,
        kinds: &[&str],
    ) -> Result<Vec<Preference>, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        let mut out = Vec::with_capacity(kinds.len());
        for kind in kinds {
            out.push(preference_in(&mut conn, user_id, kind).await?);
        }
        Ok(out)
    }

    /// Stores choices, all or none.
    pub async fn set_preferences(
        &self,
        user_id: &str,
        prefs: &[Preference],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        for p in prefs {
            sqlx::query(
                "INSERT INTO notification_preferences (user_id, kind, email, webhook, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, kind) DO UPDATE \
                 SET email = $3, webhook = $4, updated_at = $5",
            )
            .bind(user_id)
            .bind(&p.kind)
            .bind(p.email.as_str())
            .bind(i64::from(p.webhook))
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A user's emails, newest first.
    pub async fn list(
        &self,
        user_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Page<EmailRecord>, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.db.pool)
            .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM emails WHERE user_id = $1 \
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

    /// One email still to send, with what it needs; `None` once it is sent or failed.
    pub async fn pending(&self, id: &str) -> Result<Option<PendingEmail>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM emails WHERE id = $1 AND status = 'queued'"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let email = from_row(&row)?;
        let user = self.db.users().get(&email.user_id).await?;
        let notes = |filter: &str| {
            sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM notifications n JOIN emails e ON e.notification_id = n.id \
                 WHERE {filter} ORDER BY n.created_at, n.id",
                notification_columns("n.")
            ))
        };
        let notification = match &email.notification_id {
            Some(nid) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM notifications WHERE id = $1",
                notification_columns("")
            )))
            .bind(nid)
            .fetch_optional(&self.db.pool)
            .await?
            .as_ref()
            .map(crate::notifications::from_row)
            .transpose()?,
            None => None,
        };
        let items = if email.kind == DIGEST_KIND {
            sqlx::query(notes("e.digest_id = $1"))
                .bind(&email.id)
                .fetch_all(&self.db.pool)
                .await?
                .iter()
                .map(crate::notifications::from_row)
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Some(PendingEmail {
            email,
            to: user.email,
            display_name: user.display_name,
            notification,
            items,
        }))
    }

    /// Records a sent email (and says so on the bus, [`email_topic`]).
    pub async fn sent(&self, id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE emails SET status = 'sent', attempts = attempts + 1, last_error = NULL, \
             sent_at = $1, updated_at = $1 WHERE id = $2 AND status = 'queued' RETURNING user_id",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(user) = user {
            let _ = self.db.publish(&email_topic(&user), id).await;
        }
        Ok(())
    }

    /// Records a failed try: `queued` again (its job retries), or `failed` when `last`.
    pub async fn attempt_failed(
        &self,
        id: &str,
        error: &str,
        last: bool,
    ) -> Result<(), StoreError> {
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE emails SET status = $1, attempts = attempts + 1, last_error = $2, \
             updated_at = $3 WHERE id = $4 AND status = 'queued' RETURNING user_id",
        )
        .bind(if last { "failed" } else { "queued" })
        .bind(error.chars().take(500).collect::<String>())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(user) = user {
            let _ = self.db.publish(&email_topic(&user), id).await;
        }
        Ok(())
    }

    /// For every user whose oldest held notification is at least `window_ms` old at `now`:
    /// one digest email with all of them, queued. Returns how many digests were made.
    pub async fn send_digests(&self, now: i64, window_ms: i64) -> Result<usize, StoreError> {
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT user_id FROM emails WHERE status = 'digest' GROUP BY user_id \
             HAVING MIN(created_at) <= $1",
        )
        .bind(now.saturating_sub(window_ms))
        .fetch_all(&self.db.pool)
        .await?;
        let mut made = 0;
        for user_id in users {
            let mut tx = self.db.pool.begin().await?;
            let id = new_id();
            let held = sqlx::query(
                "UPDATE emails SET status = 'digested', digest_id = $1, updated_at = $2 \
                 WHERE user_id = $3 AND status = 'digest'",
            )
            .bind(&id)
            .bind(now_ms())
            .bind(&user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if held > 0 {
                sqlx::query(
                    "INSERT INTO emails (id, user_id, kind, status, subject, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'queued', $4, $5, $5)",
                )
                .bind(&id)
                .bind(&user_id)
                .bind(DIGEST_KIND)
                .bind(format!(
                    "Your Blockbuilders digest: {held} notification{}",
                    if held == 1 { "" } else { "s" }
                ))
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                queue_job(&mut tx, &user_id, &id).await?;
                made += 1;
            }
            tx.commit().await?;
        }
        if made > 0 {
            crate::jobs::publish_wakeup(self.db, EMAIL_DELIVERY).await;
        }
        Ok(made)
    }

    /// Turns a user's emails of `kind` off (an unsubscribe link); for `digest`, every kind
    /// that goes to the digest.
    pub async fn unsubscribe(&self, user_id: &str, kind: &str) -> Result<(), StoreError> {
        let kinds: Vec<&str> = if kind == DIGEST_KIND {
            crate::NOTIFICATION_KINDS.iter().map(|(k, _)| *k).collect()
        } else {
            vec![kind]
        };
        let prefs = self.preferences(user_id, &kinds).await?;
        let off: Vec<Preference> = prefs
            .into_iter()
            .filter(|p| kind != DIGEST_KIND || p.email == EmailMode::Daily)
            .map(|p| Preference {
                email: EmailMode::Off,
                ..p
            })
            .collect();
        self.set_preferences(user_id, &off).await
    }

    /// Whether the user exists (an unsubscribe token can outlive its user).
    pub async fn user_exists(&self, user_id: &str) -> Result<bool, StoreError> {
        match self.db.users().get(user_id).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
