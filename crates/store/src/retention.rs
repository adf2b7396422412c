//! Retention: what may be deleted once it is old, by one [`RetentionPolicy`], in bounded
//! batches ([`Db::prune`]). The daily `retention` job (`bb_jobs`) calls it.
//!
//! Each category has its own window (`None`: kept forever) and its own rule for what is
//! finished enough to go:
//!
//! | category | what goes (older than the window) | what stays |
//! |---|---|---|
//! | jobs | succeeded, failed and cancelled jobs, by `finished_at` (a job's progress is a column of its row: no separate event table) | queued and running jobs |
//! | notifications | notifications by `created_at`, read or not, unless an email is still queued or held for a digest, or a webhook delivery is still pending for it | the rest |
//! | deliveries | webhook deliveries that are `delivered` or `failed` (their attempts with them), emails `sent`, `failed` or `digested`, by `created_at` | pending deliveries, queued and held emails |
//! | run detail | of backtest, sweep and robustness runs finished before the window: their `progress` events; of paper runs stopped before it: every `tick` entry but each UTC day's last (the equity chart keeps one point a day) | the runs, their status events, summaries, reports (their equity is already downsampled to about 1,000 buckets), trades, fills, notes |
//! | screener alerts | alerts by `created_at` (the same [`ScreenerStore::prune`](crate::ScreenerStore::prune) the screener's hourly prune calls) | the trades watched from them (they keep the alert's id) |
//! | idempotency | Stripe events handled (`processed_at` set; the event id is the idempotency key), by `received_at` | events never handled (kept to investigate) |
//! | sessions | refresh tokens whose expiry is older than the window, revoked or not (a revoked token is kept until it expires, so its reuse is still detected), and one-time email tokens used or expired before it | live and recently ended tokens |
//!
//! Never touched: users, strategies and their versions, the audit log and its head,
//! datasets and candles, templates, billing state.
//!
//! Every statement deletes at most [`RetentionPolicy::batch`] rows and commits on its own,
//! so no transaction is large and SQLite's single writer is held for one batch at a time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Db, StoreError};

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// How long each category is kept; `None` keeps it forever. See the module's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Finished jobs (default 30 days).
    pub jobs: Option<Duration>,
    /// Notifications (default 90 days).
    pub notifications: Option<Duration>,
    /// Finished webhook deliveries and emails (default 30 days).
    pub deliveries: Option<Duration>,
    /// Finished runs' per-step and per-bar detail (default 90 days).
    pub run_detail: Option<Duration>,
    /// Screener alerts (default 30 days, `BB_SCREENER_RETENTION`).
    pub screener_alerts: Option<Duration>,
    /// Handled Stripe events (default 30 days).
    pub idempotency: Option<Duration>,
    /// Ended refresh tokens and one-time email tokens (default 30 days).
    pub sessions: Option<Duration>,
    /// Rows one statement deletes at most (default 5,000; at least 1).
    pub batch: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        let days = |n: u64| Some(Duration::from_secs(n * 86_400));
        RetentionPolicy {
            jobs: days(30),
            notifications: days(90),
            deliveries: days(30),
            run_detail: days(90),
            screener_alerts: days(30),
            idempotency: days(30),
            sessions: days(30),
            batch: 5_000,
        }
    }
}

impl RetentionPolicy {
    /// Nothing is ever pruned.
    pub fn keep_everything() -> RetentionPolicy {
        RetentionPolicy {
            jobs: None,
            notifications: None,
            deliveries: None,
            run_detail: None,
            screener_alerts: None,
            idempotency: None,
            sessions: None,
            batch: 5_000,
        }
    }
}

/// Rows deleted per category by one [`Db::prune`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    /// Finished jobs.
    pub jobs: u64,
    pub notifications: u64,
    /// Finished webhook deliveries (their attempts went with them).
    pub webhook_deliveries: u64,
    /// Sent, failed and digested emails.
    pub emails: u64,
    /// `progress` events of finished backtest, sweep and robustness runs.
    pub run_events: u64,
    /// `tick` entries of stopped paper runs (all but each UTC day's last).
    pub paper_ticks: u64,
    pub screener_alerts: u64,
    /// Handled Stripe events.
    pub stripe_events: u64,
    pub refresh_tokens: u64,
    /// Used or expired one-time email tokens.
    pub account_tokens: u64,
}

impl PruneReport {
    /// Every category with its count, in a fixed order (for logs and metrics).
    pub fn categories(&self) -> [(&'static str, u64); 10] {
        [
            ("jobs", self.jobs),
            ("notifications", self.notifications),
            ("webhook_deliveries", self.webhook_deliveries),
            ("emails", self.emails),
            ("run_events", self.run_events),
            ("paper_ticks", self.paper_ticks),
            ("screener_alerts", self.screener_alerts),
            ("stripe_events", self.stripe_events),
            ("refresh_tokens", self.refresh_tokens),
            ("account_tokens", self.account_tokens),
        ]
    }

    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.categories().iter().map(|(_, n)| n).sum()
    }
}

// Each statement: `$1` the cutoff (Unix ms), `$2` the batch size, `$3` (where used) now.

const JOBS: &str = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
     WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < $1 LIMIT $2)";

const NOTIFICATIONS: &str = "DELETE FROM notifications WHERE id IN (SELECT n.id \
     FROM notifications n WHERE n.created_at < $1 \
     AND n.id NOT IN (SELECT e.notification_id FROM emails e \
         WHERE e.status IN ('queued', 'digest') AND e.notification_id IS NOT NULL) \
     AND n.id NOT IN (SELECT d.notification_id FROM webhook_deliveries d \
         WHERE d.status = 'pending' AND d.notification_id IS NOT NULL) \
     LIMIT $2)";

const WEBHOOK_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE id IN (SELECT id \
     FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < $1 \
     LIMIT $2)";

const EMAILS: &str = "DELETE FROM emails WHERE id IN (SELECT id FROM emails \
     WHERE status IN ('sent', 'failed', 'digested') AND created_at < $1 LIMIT $2)";

const RUN_EVENTS: &str = "DELETE FROM run_events WHERE (run_id, seq) IN (\
     SELECT e.run_id, e.seq FROM run_events e JOIN backtest_runs r ON r.id = e.run_id \
     WHERE r.status IN ('succeeded', 'failed', 'cancelled') AND r.finished_at < $1 \
     AND e.kind = 'progress' LIMIT $2)";

/// A tick goes when a later tick of the same run falls on the same UTC day (integer
/// division of the open time, on both databases).
const PAPER_TICKS: &str = "DELETE FROM paper_events WHERE (run_id, seq) IN (\
     SELECT e.run_id, e.seq FROM paper_events e JOIN paper_runs r ON r.id = e.run_id \
     WHERE r.status = 'stopped' AND r.stopped_at < $1 AND e.kind = 'tick' \
     AND e.candle_ts IS NOT NULL AND EXISTS (SELECT 1 FROM paper_events l \
         WHERE l.run_id = e.run_id AND l.kind = 'tick' AND l.candle_ts > e.candle_ts \
         AND l.candle_ts / $3 = e.candle_ts / $3) \
     LIMIT $2)";

const STRIPE_EVENTS: &str = "DELETE FROM stripe_events WHERE id IN (SELECT id \
     FROM stripe_events WHERE processed_at IS NOT NULL AND received_at < $1 LIMIT $2)";

const REFRESH_TOKENS: &str = "DELETE FROM refresh_tokens WHERE id IN (SELECT id \
     FROM refresh_tokens WHERE expires_at < $1 LIMIT $2)";

const ACCOUNT_TOKENS: &str = "DELETE FROM account_tokens WHERE token_hash IN (\
     SELECT token_hash FROM account_tokens WHERE used_at < $1 OR expires_at < $1 LIMIT $2)";

impl Db {
    /// Deletes what `policy` says may go at `now_ms` (see the module's table), in batches of
    /// at most `policy.batch` rows, each its own statement; returns the rows deleted per
    /// category. Safe to run in several processes at once (each row is deleted once) and
    /// to stop between batches: a later run carries on.
    pub async fn prune(
        &self,
        policy: &RetentionPolicy,
        now_ms: i64,
    ) -> Result<PruneReport, StoreError> {
        let batch = i64::from(policy.batch.max(1));
        let cutoff = |window: Option<Duration>| {
            window.map(|w| now_ms.saturating_sub(i64::try_from(w.as_millis()).unwrap_or(i64::MAX)))
        };
        let mut report = PruneReport::default();
        if let Some(before) = cutoff(policy.jobs) {
            report.jobs = self.batched(JOBS, before, batch, None).await?;
        }
        if let Some(before) = cutoff(policy.deliveries) {
            report.webhook_deliveries = self
                .batched(WEBHOOK_DELIVERIES, before, batch, None)
                .await?;
            report.emails = self.batched(EMAILS, before, batch, None).await?;
        }
        if let Some(before) = cutoff(policy.notifications) {
            report.notifications = self.batched(NOTIFICATIONS, before, batch, None).await?;
        }
        if let Some(before) = cutoff(policy.run_detail) {
            report.run_events = self.batched(RUN_EVENTS, before, batch, None).await?;
            report.paper_ticks = self
                .batched(PAPER_TICKS, before, batch, Some(DAY_MS))
                .await?;
        }
        if let Some(before) = cutoff(policy.screener_alerts) {
            let limit = policy.batch.max(1);
            loop {
                let n = self.screener().prune(before, limit).await?;
                report.screener_alerts += n;
                if n < u64::from(limit) {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        if let Some(before) = cutoff(policy.idempotency) {
            report.stripe_events = self.batched(STRIPE_EVENTS, before, batch, None).await?;
        }
        if let Some(before) = cutoff(policy.sessions) {
            report.refresh_tokens = self.batched(REFRESH_TOKENS, before, batch, None).await?;
            report.account_tokens = self.batched(ACCOUNT_TOKENS, before, batch, None).await?;
        }
        Ok(report)
    }

    /// Runs `sql` (`$1` = `before`, `$2` = `batch`, `$3` = `third` when given) until a run
    /// deletes fewer than `batch` rows; how many went in all.
    async fn batched(
        &self,
        sql: &'static str,
        before: i64,
        batch: i64,
        third: Option<i64>,
    ) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let mut query = sqlx::query(sql).bind(before).bind(batch);
            if let Some(third) = third {
                query = query.bind(third);
            }
            let n = query.execute(&self.pool).await?.rows_affected();
            total += n;
            if n < u64::try_from(batch).unwrap_or(u64::MAX) {
                return Ok(total);
            }
            // Let other writers (SQLite has one) in between batches.
            tokio::task::yield_now().await;
        }
    }
}
