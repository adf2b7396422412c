//! The durable job queue and recurring schedules.
//!
//! # A job's life
//!
//! ```text
//!            claim                      complete
//!  queued ───────────► running ──────────────────────► succeeded
//!    ▲  │                 │  │ fail (retryable, attempts left): back-off
//!    │  │ cancel          │  └──────────────────────────► queued
//!    │  ▼                 │ fail (final, or no attempts left) ► failed (dead letter)
//!  cancelled ◄────────────┘ cancel → cancel_requested; the worker sees it on heartbeat
//!                            and calls finish_cancelled
//!  reap: a running job whose lease ran out → queued again (attempts left) or failed;
//!        the second time a job's lease runs out it fails ("this run stopped its worker")
//! ```
//!
//! A worker [claims](Jobs::claim) a job under a *lease* and renews it by
//! [heartbeat](Jobs::heartbeat). Every transition of a running job is guarded by "still
//! running AND owned by this worker", so a worker that lost its lease (the reaper gave the
//! job to another worker) can neither renew, complete nor fail it: a job that ran twice
//! records one result. Delivery is therefore *at least once*: work must be idempotent or
//! checked by its result.
//!
//! Time-dependent methods have an `*_at(now)` variant taking Unix ms; the plain ones call it
//! with [`now_ms`]. Tests move time with them instead of sleeping.
//!
//! New claimable work is announced on the bus topic [`WAKE_TOPIC`] (payload: the job's
//! kind) so idle workers wake at once; the announcement is best effort and workers also
//! poll.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::db::Backend;
use crate::error::map_err;
use crate::plans::{QuotaCharge, QuotaExceeded, consume};
use crate::sql::{DynSql, col, col_bool, col_json, int_bool};
use crate::{Db, StoreError};

/// The bus topic announcing that a job became claimable (enqueued, retried, reaped); the
/// payload is the job's kind.
pub const WAKE_TOPIC: &str = "jobs";
/// Attempts a job gets when [`NewJob::new`] is not told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The delay before a job's first retry, in ms; each further retry doubles it.
pub const RETRY_BACKOFF_BASE_MS: i64 = 1_000;
/// The longest delay between retries, in ms (5 minutes).
pub const RETRY_BACKOFF_MAX_MS: i64 = 300_000;
/// Longest kind accepted, in bytes (lowercase ASCII letters, digits, `_`, `-`, `.`).
pub const MAX_KIND_LEN: usize = 64;
/// `last_error` is cut to this many characters.
const MAX_ERROR_CHARS: usize = 4_000;
/// The error recorded on a job whose worker stopped heartbeating.
const LEASE_EXPIRED: &str = "the worker stopped responding (lease expired)";
/// A job whose lease ran out this many times (its worker died or hung while running it) is
/// dead-lettered by the reaper instead of being handed to yet another worker: a job that
/// crashes its process (a stack overflow, the kernel's out-of-memory killer) must not take
/// down one worker after another.
pub const MAX_LOST_LEASES: i64 = 2;
/// The error recorded on a job dead-lettered after [`MAX_LOST_LEASES`] lost leases.
pub const STOPPED_ITS_WORKER: &str = "this run stopped its worker: the process running it died \
     twice while running it (a crash or running out of memory), so it is not tried a third time";

/// The delay before the retry that follows failed attempt number `attempts` (1-based):
/// [`RETRY_BACKOFF_BASE_MS`] × 2^(attempts − 1), at most [`RETRY_BACKOFF_MAX_MS`].
pub fn retry_backoff_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
    RETRY_BACKOFF_BASE_MS
        .saturating_mul(1_i64 << doublings)
        .min(RETRY_BACKOFF_MAX_MS)
}

/// Where a job is. `Queued` and `Running` are live; the other three are final.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (from `run_at` on).
    Queued,
    /// Claimed by a worker, under a lease.
    Running,
    Succeeded,
    /// Failed for good (dead letter): see `last_error`.
    Failed,
    Cancelled,
}

impl JobStatus {
    /// Every value, in declaration order.
    pub const ALL: &'static [JobStatus] = &[
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// The stored (and serialised) text.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Succeeded, failed or cancelled: the job will not change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobStatus {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .iter()
            .copied()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "unknown job status {s:?} (expected one of: {})",
                    JobStatus::ALL
                        .iter()
                        .map(|status| status.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// A job to enqueue. Start from [`NewJob::new`] and change fields with struct update syntax.
#[derive(Clone, Debug, PartialEq)]
pub struct NewJob {
    /// What to run, e.g. `backtest`: 1 to [`MAX_KIND_LEN`] lowercase ASCII letters, digits,
    /// `_`, `-` or `.`.
    pub kind: String,
    /// The job's input (ids and options; keep it small).
    pub payload: serde_json::Value,
    /// Whose work it is (deleting the user deletes the job); `None` for system jobs.
    pub user_id: Option<String>,
    /// Higher is claimed first.
    pub priority: i64,
    /// Not claimed before this time (Unix ms); `None` = now.
    pub run_at: Option<i64>,
    /// Claims allowed before the job fails for good; at least 1.
    pub max_attempts: u32,
}

impl NewJob {
    /// A system job of `kind`: priority 0, runnable now, [`DEFAULT_MAX_ATTEMPTS`] attempts.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            user_id: None,
            priority: 0,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// A job, as stored.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub user_id: Option<String>,
    pub status: JobStatus,
    pub priority: i64,
    /// Not claimed before this time (Unix ms).
    pub run_at: i64,
    /// How many times it was claimed.
    pub attempts: i64,
    pub max_attempts: i64,
    /// The worker holding it (running) or that finished it; `None` while queued.
    pub worker_id: Option<String>,
    /// While running: the worker must heartbeat before this (Unix ms).
    pub lease_until: Option<i64>,
    pub heartbeat_at: Option<i64>,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// The result, when succeeded.
    pub result: Option<serde_json::Value>,
    /// A running job was asked to stop.
    pub cancel_requested: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    /// The work it does, when jobs doing the same work are shared ([`Jobs::enqueue_shared`]).
    pub dedupe_key: Option<String>,
    /// How far it has come, as its worker last said ([`Jobs::set_progress`]).
    pub progress: Option<serde_json::Value>,
}

/// What [`Jobs::enqueue_shared`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Shared {
    /// A new job was queued (and the quota charge, if any, taken).
    Queued(Job),
    /// A job doing the same work was already queued or running: this one (nothing charged).
    Joined(Job),
    /// The charge would pass its limit: nothing was queued or taken.
    OverQuota(QuotaExceeded),
}

/// What a [heartbeat](Jobs::heartbeat) found.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Heartbeat {
    /// The lease was extended: carry on.
    Extended,
    /// The lease was extended, but the job was asked to stop: stop, then call
    /// [`Jobs::finish_cancelled`].
    CancelRequested,
    /// The job is no longer this worker's (its lease ran out and it was reaped, perhaps
    /// claimed by another worker; or it is finished or gone): stop without writing anything.
    Lost,
}

/// The job queue (from [`Db::jobs`]).
#[derive(Debug, Clone, Copy)]
pub struct Jobs<'a> {
    pub(crate) db: &'a Db,
}

macro_rules! job_columns {
    () => {
        "id, kind, payload, user_id, status, priority, run_at, attempts, max_attempts, \
         worker_id, lease_until, heartbeat_at, last_error, result, cancel_requested, \
         created_at, updated_at, finished_at, dedupe_key, progress"
    };
}

impl Jobs<'_> {
    /// Stores a queued job and announces it on [`WAKE_TOPIC`] after commit. `Invalid` when
    /// the user does not exist or the job breaks a rule of [`NewJob`].
    pub async fn enqueue(&self, new: NewJob) -> Result<Job, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        let job = enqueue_in(&mut conn, new).await?;
        drop(conn);
        publish_wakeup(self.db, &job.kind).await;
        Ok(job)
    }

    /// Queues `new` to do the work named `key` unless a job with that key is queued or
    /// running, in which case that job is returned and nothing is written: concurrent callers
    /// (in any process) share one job. A new job first takes `charge` from `new.user_id`'s
    /// plan counters, in the same transaction.
    pub async fn enqueue_shared(
        &self,
        new: NewJob,
        key: &str,
        charge: Option<&QuotaCharge>,
    ) -> Result<Shared, StoreError> {
        if key.is_empty() || key.len() > 512 {
            return Err(StoreError::Invalid(
                "a shared job's key has 1 to 512 characters".to_owned(),
            ));
        }
        // A job that finishes between the look-up and the insert frees the key: try again.
        for _ in 0..3 {
            if let Some(job) = self.active_with_key(key).await? {
                return Ok(Shared::Joined(job));
            }
            let mut tx = self.db.pool.begin().await?;
            if let (Some(charge), Some(user)) = (charge, new.user_id.as_deref())
                && let Err(exceeded) = consume(&mut tx, user, charge).await?
            {
                return Ok(Shared::OverQuota(exceeded));
            }
            let now = now_ms();
            let inserted = insert_job(&mut tx, new_id(), new.clone(), now, Some(key)).await;
            match inserted {
                Ok(job) => {
                    tx.commit().await?;
                    publish_wakeup(self.db, &job.kind).await;
                    return Ok(Shared::Queued(job));
                }
                // Someone queued the same work in the meantime: drop the charge, join theirs.
                Err(StoreError::Conflict(_)) => {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }
        self.active_with_key(key)
            .await?
            .map(Shared::Joined)
            .ok_or_else(|| StoreError::Conflict(format!("the shared job {key} keeps changing")))
    }

    /// The queued or running job doing the work named `key`, if any.
    pub async fn active_with_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')"
        ))
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Records how far a running job has come (any JSON, shown to whoever follows it).
    /// `false` when the job is no longer running.
    pub async fn set_progress(
        &self,
        id: &str,
        progress: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET progress = $1, updated_at = $2 WHERE id = $3 AND status = 'running'",
        )
        .bind(progress.to_string())
        .bind(now_ms())
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One job; `NotFound` if there is none.
    pub async fn get(&self, id: &str) -> Result<Job, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        job_from_row(&row)
    }

    /// [`Jobs::claim_at`] now.
    pub async fn claim(
        &self,
        worker_id: &str,
        lease_ms: i64,
        kinds: &[&str],
    ) -> Result<Option<Job>, StoreError> {
        self.claim_at(worker_id, lease_ms, kinds, now_ms()).await
    }

    /// Takes the best queued job whose `run_at` has come — highest priority, then earliest
    /// `run_at`, then lowest id — of one of `kinds` (any kind when empty), in one atomic
    /// statement: it becomes `running`, held by `worker_id` until `now + lease_ms`, with one
    /// more attempt. `None` when nothing is ready. Concurrent claimers (in any process) never
    /// get the same job.
    pub async fn claim_at(
        &self,
        worker_id: &str,
        lease_ms: i64,
        kinds: &[&str],
        now: i64,
    ) -> Result<Option<Job>, StoreError> {
        check_worker(worker_id, lease_ms)?;
        let mut sql = DynSql::new("UPDATE jobs SET status = 'running', worker_id = ");
        sql.bind_text(worker_id)
            .push(", lease_until = ")
            .bind_int(now.saturating_add(lease_ms))
            .push(", heartbeat_at = ")
            .bind_int(now)
            .push(", updated_at = ")
            .bind_int(now)
            .push(
                ", attempts = attempts + 1 WHERE status = 'queued' AND id = \
                 (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ",
            )
            .bind_int(now);
        if !kinds.is_empty() {
            sql.push(" AND kind IN (");
            for (i, kind) in kinds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(*kind);
            }
            sql.push(")");
        }
        sql.push(" ORDER BY priority DESC, run_at, id LIMIT 1");
        // BACKEND-SPECIFIC: on PostgreSQL concurrent claimers skip the rows another claimer
        // has locked instead of queueing behind it (and then finding it taken). SQLite has one
        // writer at a time, so the statement is atomic as it is.
        if self.db.backend() == Backend::Postgres {
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        sql.push(concat!(") RETURNING ", job_columns!()));
        let row = sql.query().fetch_optional(&self.db.pool).await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// [`Jobs::heartbeat_at`] now.
    pub async fn heartbeat(
        &self,
        id: &str,
        worker_id: &str,
        lease_ms: i64,
    ) -> Result<Heartbeat, StoreError> {
        self.heartbeat_at(id, worker_id, lease_ms, now_ms()).await
    }

    /// Extends the lease to `now + lease_ms` if the job is still running and held by
    /// `worker_id`, and says whether it was asked to stop. A lost lease is
    /// [`Heartbeat::Lost`], not an error.
    pub async fn heartbeat_at(
        &self,
        id: &str,
        worker_id: &str,
        lease_ms: i64,
        now: i64,
    ) -> Result<Heartbeat, StoreError> {
        check_worker(worker_id, lease_ms)?;
        let row = sqlx::query(
            "UPDATE jobs SET lease_until = $1, heartbeat_at = $2, updated_at = $2 \
             WHERE id = $3 AND worker_id = $4 AND status = 'running' \
             RETURNING cancel_requested",
        )
        .bind(now.saturating_add(lease_ms))
        .bind(now)
        .bind(id)
        .bind(worker_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            None => Heartbeat::Lost,
            Some(row) if col_bool(&row, "cancel_requested")? => Heartbeat::CancelRequested,
            Some(_) => Heartbeat::Extended,
        })
    }

    /// Records the result of a running job held by `worker_id`: it becomes `succeeded`.
    /// `false` (and nothing changes) when the job is not running or not this worker's.
    pub async fn complete(
        &self,
        id: &str,
        worker_id: &str,
        result: serde_json::Value,
    ) -> Result<bool, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        complete_in(&mut conn, id, worker_id, &result).await
    }

    /// [`Jobs::fail_at`] now.
    pub async fn fail(
        &self,
        id: &str,
        worker_id: &str,
        error: &str,
        retryable: bool,
    ) -> Result<Option<JobStatus>, StoreError> {
        self.fail_at(id, worker_id, error, retryable, now_ms())
            .await
    }

    /// Records a failed attempt of a running job held by `worker_id`, and returns where the
    /// job went:
    ///
    /// - `Queued` when `retryable` and attempts are left: runnable again at
    ///   `now + `[`retry_backoff_ms`]`(attempts)`, released by the worker;
    /// - `Failed` (dead letter) otherwise, with `finished_at`;
    /// - `Cancelled` when it had been asked to stop (a cancel wins over a retry).
    ///
    /// `error` is kept in `last_error` in every case. `None` (nothing changes) when the job is
    /// not running or not this worker's.
    pub async fn fail_at(
        &self,
        id: &str,
        worker_id: &str,
        error: &str,
        retryable: bool,
        now: i64,
    ) -> Result<Option<JobStatus>, StoreError> {
        let error = clip_error(error);
        let Some(row) = sqlx::query(
            "SELECT attempts, max_attempts, cancel_requested FROM jobs \
             WHERE id = $1 AND worker_id = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker_id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let attempts: i64 = col(&row, "attempts")?;
        let max_attempts: i64 = col(&row, "max_attempts")?;
        let status = if col_bool(&row, "cancel_requested")? {
            JobStatus::Cancelled
        } else if retryable && attempts < max_attempts {
            JobStatus::Queued
        } else {
            JobStatus::Failed
        };
        // Every update is guarded by `attempts` too: the row read above is still this claim.
        let query = match status {
            JobStatus::Queued => sqlx::query(
                "UPDATE jobs SET status = 'queued', last_error = $1, worker_id = NULL, \
                 lease_until = NULL, heartbeat_at = NULL, run_at = $2, updated_at = $3 \
                 WHERE id = $4 AND worker_id = $5 AND status = 'running' AND attempts = $6",
            )
            .bind(error)
            .bind(now.saturating_add(retry_backoff_ms(attempts))),
            _ => sqlx::query(
                "UPDATE jobs SET status = $1, last_error = $2, lease_until = NULL, \
                 finished_at = $3, updated_at = $3 \
                 WHERE id = $4 AND worker_id = $5 AND status = 'running' AND attempts = $6",
            )
            .bind(status.as_str())
            .bind(error),
        };
        let done = query
            .bind(now)
            .bind(id)
            .bind(worker_id)
            .bind(attempts)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if status == JobStatus::Queued
            && let Ok(job) = self.get(id).await
        {
            publish_wakeup(self.db, &job.kind).await;
        }
        Ok(Some(status))
    }

    /// Cancels a job: a queued one becomes `cancelled` at once (it will never be claimed); a
    /// running one gets `cancel_requested` (its worker learns it on its next heartbeat, stops
    /// and calls [`Jobs::finish_cancelled`]); a finished one is left as it is. Returns the
    /// job as it is now; `None` when there is no such job.
    pub async fn cancel(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let now = now_ms();
        // In SET every column reads its value from before the statement.
        let row = sqlx::query(concat!(
            "UPDATE jobs SET \
             status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, \
             finished_at = CASE WHEN status = 'queued' THEN $1 ELSE finished_at END, \
             cancel_requested = CASE WHEN status = 'running' THEN 1 ELSE cancel_requested END, \
             updated_at = $1 \
             WHERE id = $2 AND status IN ('queued', 'running') RETURNING ",
            job_columns!()
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => job_from_row(&row).map(Some),
            None => match self.get(id).await {
                Ok(job) => Ok(Some(job)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }

    /// The worker holding a running job stopped it (after [`Heartbeat::CancelRequested`]):
    /// it becomes `cancelled`. `false` (and nothing changes) when the job is not running or
    /// not this worker's.
    pub async fn finish_cancelled(&self, id: &str, worker_id: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE jobs SET status = 'cancelled', lease_until = NULL, finished_at = $1, \
             updated_at = $1 WHERE id = $2 AND worker_id = $3 AND status = 'running'",
        )
        .bind(now)
        .bind(id)
        .bind(worker_id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// [`Jobs::reap_at`] now.
    pub async fn reap(&self) -> Result<Vec<String>, StoreError> {
        self.reap_at(now_ms()).await
    }

    /// Takes back running jobs whose lease ended before `now` (their worker died or hung) and
    /// returns their ids: a job with attempts left is queued again, runnable at once; one
    /// whose lease has now run out [`MAX_LOST_LEASES`] times fails with
    /// [`STOPPED_ITS_WORKER`], whatever its attempts; one without attempts left fails with
    /// "the worker stopped responding (lease expired) N times"; one that was asked to stop
    /// is cancelled. The old worker's heartbeat then says [`Heartbeat::Lost`]. Safe to run
    /// from several processes at once.
    pub async fn reap_at(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let mut woken: Vec<String> = Vec::new();
        let cancelled = sqlx::query(
            "UPDATE jobs SET status = 'cancelled', lease_until = NULL, last_error = $1, \
             finished_at = $2, updated_at = $2 \
             WHERE status = 'running' AND lease_until < $2 AND cancel_requested = 1 \
             RETURNING id",
        )
        .bind(LEASE_EXPIRED)
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        for row in &cancelled {
            ids.push(col(row, "id")?);
        }
        let requeued = sqlx::query(
            "UPDATE jobs SET status = 'queued', worker_id = NULL, lease_until = NULL, \
             heartbeat_at = NULL, last_error = $1, run_at = $2, updated_at = $2, \
             lost_leases = lost_leases + 1 \
             WHERE status = 'running' AND lease_until < $2 AND attempts < max_attempts \
             AND lost_leases + 1 < $3 \
             RETURNING id, kind",
        )
        .bind(LEASE_EXPIRED)
        .bind(now)
        .bind(MAX_LOST_LEASES)
        .fetch_all(&self.db.pool)
        .await?;
        for row in &requeued {
            ids.push(col(row, "id")?);
            let kind: String = col(row, "kind")?;
            if !woken.contains(&kind) {
                woken.push(kind);
            }
        }
        let failed = sqlx::query(
            "UPDATE jobs SET status = 'failed', lease_until = NULL, \
             last_error = CASE WHEN lost_leases + 1 >= $3 THEN $4 \
             ELSE $1 || ' ' || CAST(attempts AS TEXT) || ' times' END, \
             lost_leases = lost_leases + 1, finished_at = $2, updated_at = $2 \
             WHERE status = 'running' AND lease_until < $2 RETURNING id",
        )
        .bind(LEASE_EXPIRED)
        .bind(now)
        .bind(MAX_LOST_LEASES)
        .bind(STOPPED_ITS_WORKER)
        .fetch_all(&self.db.pool)
        .await?;
        for row in &failed {
            ids.push(col(row, "id")?);
        }
        for kind in &woken {
            publish_wakeup(self.db, kind).await;
        }
        Ok(ids)
    }

    /// How many jobs are in each status (every status present, 0 when none), for metrics.
    pub async fn counts(&self) -> Result<BTreeMap<JobStatus, i64>, StoreError> {
        let mut out: BTreeMap<JobStatus, i64> =
            JobStatus::ALL.iter().map(|status| (*status, 0)).collect();
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
            .fetch_all(&self.db.pool)
            .await?;
        for row in &rows {
            let status: JobStatus =
                crate::model::parse_col("job status", &col::<String>(row, "status")?)?;
            out.insert(status, col(row, "n")?);
        }
        Ok(out)
    }
}

/// Stores a queued job on `conn` (inside the caller's transaction) and returns it. Publishes
/// nothing: after commit the caller announces it with [`publish_wakeup`] (or
/// `db.publish(WAKE_TOPIC, kind)`).
pub(crate) async fn enqueue_in(conn: &mut AnyConnection, new: NewJob) -> Result<Job, StoreError> {
    insert_job(conn, new_id(), new, now_ms(), None).await
}

/// [`Jobs::complete`] on `conn` (inside the caller's transaction, so a run's result and its
/// job's completion are one write).
pub(crate) async fn complete_in(
    conn: &mut AnyConnection,
    id: &str,
    worker_id: &str,
    result: &serde_json::Value,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE jobs SET status = 'succeeded', result = $1, lease_until = NULL, \
         finished_at = $2, updated_at = $2 \
         WHERE id = $3 AND worker_id = $4 AND status = 'running'",
    )
    .bind(result.to_string())
    .bind(now)
    .bind(id)
    .bind(worker_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Announces on [`WAKE_TOPIC`] that a job of `kind` can be claimed. Best effort: the job is
/// stored whatever happens here, and workers poll as well, so a failure is not reported.
pub(crate) async fn publish_wakeup(db: &Db, kind: &str) {
    let _ = db.publish(WAKE_TOPIC, kind).await;
}

async fn insert_job(
    conn: &mut AnyConnection,
    id: String,
    new: NewJob,
    now: i64,
    dedupe_key: Option<&str>,
) -> Result<Job, StoreError> {
    check_kind(&new.kind)?;
    if new.max_attempts == 0 {
        return Err(StoreError::Invalid(
            "a job needs at least one attempt (max_attempts >= 1)".to_owned(),
        ));
    }
    let job = Job {
        id,
        kind: new.kind,
        payload: new.payload,
        user_id: new.user_id,
        status: JobStatus::Queued,
        priority: new.priority,
        run_at: new.run_at.unwrap_or(now),
        attempts: 0,
        max_attempts: i64::from(new.max_attempts),
        worker_id: None,
        lease_until: None,
        heartbeat_at: None,
        last_error: None,
        result: None,
        cancel_requested: false,
        created_at: now,
        updated_at: now,
        finished_at: None,
        dedupe_key: dedupe_key.map(str::to_owned),
        progress: None,
    };
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, user_id, status, priority, run_at, attempts, \
         max_attempts, cancel_requested, created_at, updated_at, dedupe_key) \
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, 0, $7, $8, $9, $9, $10)",
    )
    .bind(&job.id)
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.user_id.as_deref())
    .bind(job.priority)
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(int_bool(false))
    .bind(now)
    .bind(dedupe_key)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        map_err(
            e,
            &[("dedupe_key", "a job doing this work is under way")],
            "user does not exist",
        )
    })?;
    Ok(job)
}

fn check_kind(kind: &str) -> Result<(), StoreError> {
    let ok = !kind.is_empty()
        && kind.len() <= MAX_KIND_LEN
        && kind.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "job kind {kind:?}: use 1 to {MAX_KIND_LEN} lowercase letters, digits, '_', '-' \
             or '.'"
        )))
    }
}

fn check_worker(worker_id: &str, lease_ms: i64) -> Result<(), StoreError> {
    if worker_id.is_empty() {
        return Err(StoreError::Invalid("a worker needs an id".to_owned()));
    }
    if lease_ms <= 0 {
        return Err(StoreError::Invalid(format!(
            "a lease must be positive, not {lease_ms} ms"
        )));
    }
    Ok(())
}

fn clip_error(error: &str) -> &str {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => &error[..cut],
        None => error,
    }
}

fn job_from_row(row: &AnyRow) -> Result<Job, StoreError> {
    let result: Option<String> = col(row, "result")?;
    Ok(Job {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        payload: col_json(row, "payload")?,
        user_id: col(row, "user_id")?,
        status: crate::model::parse_col("job status", &col::<String>(row, "status")?)?,
        priority: col(row, "priority")?,
        run_at: col(row, "run_at")?,
        attempts: col(row, "attempts")?,
        max_attempts: col(row, "max_attempts")?,
        worker_id: col(row, "worker_id")?,
        lease_until: col(row, "lease_until")?,
        heartbeat_at: col(row, "heartbeat_at")?,
        last_error: col(row, "last_error")?,
        result: result
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| crate::error::corrupt("JSON in column result", e))
            })
            .transpose()?,
        cancel_requested: col_bool(row, "cancel_requested")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        finished_at: col(row, "finished_at")?,
        dedupe_key: col(row, "dedupe_key")?,
        progress: col::<Option<String>>(row, "progress")?
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| crate::error::corrupt("JSON in column progress", e))
            })
            .transpose()?,
    })
}

// ---------------------------------------------------------------------------------------
// schedules

/// A recurring job: from `next_run_at` on, every `interval_ms`, a job of `kind` with
/// `payload` is enqueued.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Schedule {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub user_id: Option<String>,
    pub interval_ms: i64,
    /// When the next job is due (Unix ms).
    pub next_run_at: i64,
    pub enabled: bool,
    /// The job enqueued last.
    pub last_job_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The schedules repository (from [`Db::schedules`]).
#[derive(Debug, Clone, Copy)]
pub struct Schedules<'a> {
    pub(crate) db: &'a Db,
}

macro_rules! schedule_columns {
    () => {
        "id, kind, payload, user_id, interval_ms, next_run_at, enabled, last_job_id, \
         created_at, updated_at"
    };
}

/// Creates an enabled schedule inside the caller's transaction and returns its id (see
/// [`Schedules::create`]).
pub(crate) async fn insert_schedule_in(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    user_id: Option<&str>,
    interval_ms: i64,
    first_run_at: i64,
) -> Result<String, StoreError> {
    check_kind(kind)?;
    if interval_ms <= 0 {
        return Err(StoreError::Invalid(format!(
            "a schedule's interval must be positive, not {interval_ms} ms"
        )));
    }
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO schedules (id, kind, payload, user_id, interval_ms, next_run_at, \
         enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(user_id)
    .bind(interval_ms)
    .bind(first_run_at)
    .bind(int_bool(true))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| map_err(e, &[], "user does not exist"))?;
    Ok(id)
}

impl Schedules<'_> {
    /// Creates an enabled schedule whose first job is due at `first_run_at`. `Invalid` when
    /// the user does not exist, the kind breaks the rule of [`NewJob::kind`] or the interval
    /// is not positive.
    pub async fn create(
        &self,
        kind: &str,
        payload: serde_json::Value,
        user_id: Option<&str>,
        interval_ms: i64,
        first_run_at: i64,
    ) -> Result<Schedule, StoreError> {
        check_kind(kind)?;
        if interval_ms <= 0 {
            return Err(StoreError::Invalid(format!(
                "a schedule's interval must be positive, not {interval_ms} ms"
            )));
        }
        let now = now_ms();
        let schedule = Schedule {
            id: new_id(),
            kind: kind.to_owned(),
            payload,
            user_id: user_id.map(str::to_owned),
            interval_ms,
            next_run_at: first_run_at,
            enabled: true,
            last_job_id: None,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO schedules (id, kind, payload, user_id, interval_ms, next_run_at, \
             enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&schedule.id)
        .bind(&schedule.kind)
        .bind(schedule.payload.to_string())
        .bind(user_id)
        .bind(interval_ms)
        .bind(first_run_at)
        .bind(int_bool(true))
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map_err(|e| map_err(e, &[], "user does not exist"))?;
        Ok(schedule)
    }

    /// One schedule; `NotFound` if there is none.
    pub async fn get(&self, id: &str) -> Result<Schedule, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        schedule_from_row(&row)
    }

    /// Pauses or resumes a schedule. A resumed schedule whose `next_run_at` passed fires once
    /// at the next [`Schedules::enqueue_due`], then keeps its rhythm. `NotFound` if there is
    /// none.
    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<Schedule, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE schedules SET enabled = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            schedule_columns!()
        ))
        .bind(int_bool(enabled))
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        schedule_from_row(&row)
    }

    /// [`Schedules::ensure_system_at`] now.
    pub async fn ensure_system(
        &self,
        kind: &str,
        interval_ms: i64,
        first_run_at: i64,
    ) -> Result<Schedule, StoreError> {
        self.ensure_system_at(kind, interval_ms, first_run_at, now_ms())
            .await
    }

    /// The system schedule of `kind` (id [`system_schedule_id`]`(kind)`, no user, payload
    /// `{}`): created enabled with its first job due at `first_run_at` if there is none —
    /// exactly once however many processes call this at once (`INSERT … ON CONFLICT DO
    /// NOTHING` on the deterministic id) — else returned as it is, with `interval_ms`
    /// applied if the configuration changed. On such a change the next run moves no later
    /// than `now + interval_ms` (a shorter interval takes effect now; a longer one from the
    /// run already due). Whether it is enabled is left alone: an operator's pause stays.
    /// `Invalid` for a kind that breaks the rule of [`NewJob::kind`] or a non-positive
    /// interval.
    pub async fn ensure_system_at(
        &self,
        kind: &str,
        interval_ms: i64,
        first_run_at: i64,
        now: i64,
    ) -> Result<Schedule, StoreError> {
        check_kind(kind)?;
        if interval_ms <= 0 {
            return Err(StoreError::Invalid(format!(
                "a schedule's interval must be positive, not {interval_ms} ms"
            )));
        }
        let id = system_schedule_id(kind);
        sqlx::query(
            "INSERT INTO schedules (id, kind, payload, user_id, interval_ms, next_run_at, \
             enabled, created_at, updated_at) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $7) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(kind)
        .bind("{}")
        .bind(interval_ms)
        .bind(first_run_at)
        .bind(int_bool(true))
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        // A no-op unless the interval differs from the stored one.
        let changed = sqlx::query(concat!(
            "UPDATE schedules SET interval_ms = $1, updated_at = $2, \
             next_run_at = CASE WHEN next_run_at > $3 THEN $3 ELSE next_run_at END \
             WHERE id = $4 AND interval_ms <> $1 RETURNING ",
            schedule_columns!()
        ))
        .bind(interval_ms)
        .bind(now)
        .bind(now.saturating_add(interval_ms))
        .bind(&id)
        .fetch_optional(&self.db.pool)
        .await?;
        match changed {
            Some(row) => schedule_from_row(&row),
            None => self.get(&id).await,
        }
    }

    /// Deletes a schedule (the jobs it enqueued stay); `false` if there was none.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM schedules WHERE id = $1")
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// [`Schedules::enqueue_due_at`] now.
    pub async fn enqueue_due(&self) -> Result<Vec<Job>, StoreError> {
        self.enqueue_due_at(now_ms()).await
    }

    /// For every enabled schedule due at `now` (`next_run_at <= now`), in one transaction per
    /// schedule: enqueues its job (runnable at `now`, priority 0, [`DEFAULT_MAX_ATTEMPTS`])
    /// and moves `next_run_at` forward by whole intervals to the first time after `now` —
    /// one job however many runs were missed. Returns the jobs enqueued and announces them
    /// on [`WAKE_TOPIC`].
    ///
    /// Safe when several processes call it at once: `next_run_at` only moves by a
    /// conditional update on its old value, so each due run is enqueued once.
    pub async fn enqueue_due_at(&self, now: i64) -> Result<Vec<Job>, StoreError> {
        let due = sqlx::query(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE enabled = 1 AND next_run_at <= $1 ORDER BY next_run_at, id"
        ))
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        let mut jobs = Vec::new();
        for row in &due {
            let schedule = schedule_from_row(row)?;
            let next = next_run_after(schedule.next_run_at, schedule.interval_ms, now);
            let job_id = new_id();
            let mut tx = self.db.pool.begin().await?;
            // The guard, and the first statement, so the transaction writes from its start
            // (SQLite then waits for the lock instead of failing on a stale snapshot).
            let advanced = sqlx::query(
                "UPDATE schedules SET next_run_at = $1, last_job_id = $2, updated_at = $3 \
                 WHERE id = $4 AND next_run_at = $5 AND enabled = 1",
            )
            .bind(next)
            .bind(&job_id)
            .bind(now)
            .bind(&schedule.id)
            .bind(schedule.next_run_at)
            .execute(&mut *tx)
            .await?;
            if advanced.rows_affected() == 0 {
                // Another process enqueued this run (or the schedule was paused or deleted).
                tx.rollback().await?;
                continue;
            }
            let job = insert_job(
                &mut tx,
                job_id,
                NewJob {
                    user_id: schedule.user_id,
                    run_at: Some(now),
                    ..NewJob::new(schedule.kind, schedule.payload)
                },
                now,
                None,
            )
            .await?;
            tx.commit().await?;
            jobs.push(job);
        }
        let mut woken: Vec<&str> = Vec::new();
        for job in &jobs {
            if !woken.contains(&job.kind.as_str()) {
                woken.push(&job.kind);
                publish_wakeup(self.db, &job.kind).await;
            }
        }
        Ok(jobs)
    }
}

/// The id of the system schedule of `kind` (see [`Schedules::ensure_system`]):
/// `system:<kind>`.
pub fn system_schedule_id(kind: &str) -> String {
    format!("system:{kind}")
}

/// The first time after `now` that is `next_run_at` plus a whole number of intervals.
fn next_run_after(next_run_at: i64, interval_ms: i64, now: i64) -> i64 {
    if next_run_at > now {
        return next_run_at;
    }
    let missed = (now - next_run_at) / interval_ms;
    next_run_at.saturating_add(interval_ms.saturating_mul(missed.saturating_add(1)))
}

fn schedule_from_row(row: &AnyRow) -> Result<Schedule, StoreError> {
    Ok(Schedule {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        payload: col_json(row, "payload")?,
        user_id: col(row, "user_id")?,
        interval_ms: col(row, "interval_ms")?,
        next_run_at: col(row, "next_run_at")?,
        enabled: col_bool(row, "enabled")?,
        last_job_id: col(row, "last_job_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        assert_eq!(retry_backoff_ms(1), 1_000);
        assert_eq!(retry_backoff_ms(2), 2_000);
        assert_eq!(retry_backoff_ms(3), 4_000);
        assert_eq!(retry_backoff_ms(9), 256_000);
        assert_eq!(retry_backoff_ms(10), 300_000);
        assert_eq!(retry_backoff_ms(1_000), 300_000);
        assert_eq!(retry_backoff_ms(0), 1_000);
        assert_eq!(retry_backoff_ms(i64::MIN), 1_000);
    }

    #[test]
    fn next_run_skips_missed_intervals() {
        assert_eq!(next_run_after(100, 10, 50), 100);
        assert_eq!(next_run_after(100, 10, 100), 110);
        assert_eq!(next_run_after(100, 10, 109), 110);
        assert_eq!(next_run_after(100, 10, 135), 140);
        assert_eq!(next_run_after(100, 10, 140), 150);
    }

    #[test]
    fn status_text_round_trips() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), *s);
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!("done".parse::<JobStatus>().is_err());
    }

    #[test]
    fn kinds_are_checked() {
        assert!(check_kind("backtest").is_ok());
        assert!(check_kind("market_fetch").is_ok());
        assert!(check_kind("paper.tick-2").is_ok());
        assert!(check_kind("").is_err());
        assert!(check_kind("Backtest").is_err());
        assert!(check_kind("a b").is_err());
        assert!(check_kind(&"x".repeat(MAX_KIND_LEN + 1)).is_err());
    }

    #[test]
    fn errors_are_clipped_on_a_char_boundary() {
        assert_eq!(clip_error("short"), "short");
        let long = "é".repeat(MAX_ERROR_CHARS + 10);
        assert_eq!(clip_error(&long).chars().count(), MAX_ERROR_CHARS);
    }
}
