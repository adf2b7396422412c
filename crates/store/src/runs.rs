//! Backtest and sweep runs (`backtest_runs`, migrations 0003 and 0007) and their event logs.
//!
//! A run is submitted in one transaction that serialises on the user's row, takes the plan
//! quota, checks how many of the user's runs are live, stores the run with its first event
//! (`queued`) and enqueues the job that computes it — so a refused request leaves nothing
//! behind and two concurrent requests cannot both take the last unit of a quota.
//!
//! The job of a run has the run's kind (`backtest`, `sweep`) as its kind.
//!
//! A run moves queued → running → succeeded | failed | cancelled. Every change appends an
//! event (`run_events`, numbered from 1) in the same transaction and is published on the bus
//! as `run.<id>` after commit; the live progress stream replays the log and follows the bus.
//! Final states never change: finishing a run that already finished does nothing and says
//! so, which makes a job that runs twice record one result and one notification.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::{corrupt, map_err};
use crate::jobs::{self, NewJob};
use crate::model::parse_col;
use crate::notifications::{self, NewNotification, Notification};
use crate::plans::{QuotaCharge, QuotaExceeded, consume};
use crate::sql::{DynSql, col, col_json};
use crate::{Db, Page, RunKind, RunStatus, StoreError};

/// What is needed to submit a run.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRun {
    pub kind: RunKind,
    pub user_id: String,
    pub strategy_id: String,
    pub version: i64,
    pub dataset_id: Option<String>,
    /// JSON: period, capital, costs, fill rule, sweep grid.
    pub config: serde_json::Value,
}

/// The limits a submission must respect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// Counters to take (e.g. backtests today), all or none.
    pub charges: Vec<QuotaCharge>,
    /// At most this many of the user's runs queued or running, this one included.
    pub max_live: Option<i64>,
}

/// A run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    pub id: String,
    pub kind: RunKind,
    pub user_id: String,
    pub strategy_id: String,
    pub version: i64,
    pub dataset_id: Option<String>,
    pub status: RunStatus,
    pub config: serde_json::Value,
    /// 0 to 100.
    pub progress: i64,
    /// Headline metrics once succeeded.
    pub summary: Option<serde_json::Value>,
    /// Why it failed, in words for the user.
    pub error: Option<String>,
    pub job_id: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
}

/// One entry of a run's event log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunEvent {
    pub run_id: String,
    /// 1, 2, 3, … per run.
    pub seq: i64,
    /// `queued`, `started`, `progress`, `retrying`, `succeeded`, `failed`, `cancelled`.
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// A filter over a user's runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub user_id: String,
    pub kind: Option<RunKind>,
    pub strategy_id: Option<String>,
    pub version: Option<i64>,
    pub status: Option<RunStatus>,
    pub limit: u32,
    pub offset: u32,
    /// Only the newest this many runs are listed (the plan's history depth).
    pub keep: Option<i64>,
}

/// The bus topic of a run's events.
pub fn run_topic(run_id: &str) -> String {
    format!("run.{run_id}")
}

/// The runs repository (from [`Db::runs`]).
#[derive(Debug, Clone, Copy)]
pub struct Runs<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str = "id, kind, user_id, strategy_id, version, dataset_id, status, config, \
     progress, summary, error, job_id, created_at, started_at, finished_at, updated_at";

/// The bus topic on which a worker announces that it stopped working on a job (its status
/// is the payload).
pub fn job_topic(job_id: &str) -> String {
    format!("job.{job_id}")
}

/// Bus topic on which a cancelled job's id is announced, so its worker stops at once.
pub const JOB_CANCEL_TOPIC: &str = "jobs.cancel";

/// Metric name of the live-runs limit in a [`QuotaExceeded`].
pub const LIVE_RUNS_METRIC: &str = "concurrent_runs";

impl Runs<'_> {
    /// Submits a run: quota, live-run limit, the run, its `queued` event and its job, in
    /// one transaction. `Ok(Err(..))` when a limit refuses it (nothing is written).
    /// `Invalid` when the user or the strategy version does not exist.
    pub async fn submit(
        &self,
        new: NewRun,
        limits: &RunLimits,
        priority: i64,
    ) -> Result<Result<Run, QuotaExceeded>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        // Touching the user's row serialises this user's submissions (a row lock on
        // PostgreSQL, the write lock on SQLite) so the live-run count below is exact.
        let touched = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(&new.user_id)
            .execute(&mut *tx)
            .await?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::Invalid("user does not exist".into()));
        }
        for charge in &limits.charges {
            if let Err(exceeded) = consume(&mut tx, &new.user_id, charge).await? {
                return Ok(Err(exceeded));
            }
        }
        if let Some(max) = limits.max_live {
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM backtest_runs \
                 WHERE user_id = $1 AND status IN ('queued', 'running')",
            )
            .bind(&new.user_id)
            .fetch_one(&mut *tx)
            .await?;
            if live >= max {
                return Ok(Err(QuotaExceeded {
                    metric: LIVE_RUNS_METRIC.into(),
                    period: "now".into(),
                    limit: max,
                    used: live,
                    requested: 1,
                }));
            }
        }
        let now = now_ms();
        let id = new_id();
        let job = jobs::enqueue_in(
            &mut tx,
            NewJob {
                priority,
                user_id: Some(new.user_id.clone()),
                ..NewJob::new(new.kind.as_str(), serde_json::json!({ "run_id": id }))
            },
        )
        .await?;
        sqlx::query(
            "INSERT INTO backtest_runs (id, kind, strategy_id, version, user_id, status, config, \
             dataset_id, job_id, progress, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, 0, $9, $9)",
        )
        .bind(&id)
        .bind(new.kind.as_str())
        .bind(&new.strategy_id)
        .bind(new.version)
        .bind(&new.user_id)
        .bind(new.config.to_string())
        .bind(new.dataset_id.as_deref())
        .bind(&job.id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err(e, &[], "the strategy version does not exist"))?;
        append(
            &mut tx,
            &id,
            "queued",
            serde_json::json!({ "status": "queued" }),
        )
        .await?;
        // The run as submitted: read inside the transaction, since a worker may start it the
        // moment it commits.
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM backtest_runs WHERE id = $1"
        )))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        let run = from_row(&row)?;
        tx.commit().await?;
        self.db.publish(jobs::WAKE_TOPIC, new.kind.as_str()).await?;
        self.db.publish(&run_topic(&id), "1").await?;
        Ok(Ok(run))
    }

    /// How many of a user's runs are queued or running.
    pub async fn live_count(&self, user_id: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM backtest_runs \
             WHERE user_id = $1 AND status IN ('queued', 'running')",
        )
        .bind(user_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// One run.
    pub async fn get(&self, id: &str) -> Result<Run, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM backtest_runs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// A user's runs, newest first.
    pub async fn list(&self, filter: &RunFilter) -> Result<Page<Run>, StoreError> {
        let mut sql = DynSql::new("FROM backtest_runs WHERE user_id = ");
        sql.bind_text(filter.user_id.clone());
        if let Some(kind) = filter.kind {
            sql.push(" AND kind = ").bind_text(kind.as_str());
        }
        if let Some(s) = &filter.strategy_id {
            sql.push(" AND strategy_id = ").bind_text(s.clone());
        }
        if let Some(v) = filter.version {
            sql.push(" AND version = ").bind_int(v);
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ").bind_text(status.as_str());
        }
        if let Some(keep) = filter.keep {
            // the newest `keep` runs of the user, whatever the other filters
            sql.push(
                " AND created_at >= COALESCE((SELECT created_at FROM backtest_runs k \
                 WHERE k.user_id = ",
            )
            .bind_text(filter.user_id.clone())
            .push(" ORDER BY created_at DESC LIMIT 1 OFFSET ")
            .bind_int((keep - 1).max(0))
            .push("), 0)");
        }
        let mut count = DynSql::new("SELECT COUNT(*) ");
        count.push(&sql.text);
        count.args = sql.args.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.db.pool).await?;
        let mut page = DynSql::new(&format!("SELECT {COLUMNS} "));
        page.push(&sql.text);
        page.args = sql.args.clone();
        page.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .bind_int(i64::from(filter.limit))
            .push(" OFFSET ")
            .bind_int(i64::from(filter.offset));
        let rows = page.query().fetch_all(&self.db.pool).await?;
        Ok(Page {
            items: rows.iter().map(from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: filter.limit,
            offset: filter.offset,
        })
    }

    /// A worker starts (or, after a crash, restarts) a run. `None` when it is final.
    pub async fn start(&self, id: &str, attempt: i64) -> Result<Option<RunEvent>, StoreError> {
        self.change(
            id,
            "UPDATE backtest_runs SET status = 'running', \
             started_at = COALESCE(started_at, $2), updated_at = $2 \
             WHERE id = $1 AND status IN ('queued', 'running')",
            "started",
            serde_json::json!({ "status": "running", "attempt": attempt }),
        )
        .await
    }

    /// Records progress (0–100) with a short message. `None` when the run is final.
    pub async fn progress(
        &self,
        id: &str,
        percent: i64,
        message: &str,
    ) -> Result<Option<RunEvent>, StoreError> {
        let percent = percent.clamp(0, 100);
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE backtest_runs SET progress = $2, updated_at = $3 \
             WHERE id = $1 AND status IN ('queued', 'running')",
        )
        .bind(id)
        .bind(percent)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let event = append(
            &mut tx,
            id,
            "progress",
            serde_json::json!({ "percent": percent, "message": message }),
        )
        .await?;
        tx.commit().await?;
        self.db
            .publish(&run_topic(id), &event.seq.to_string())
            .await?;
        Ok(Some(event))
    }

    /// An attempt failed and the job will be tried again.
    pub async fn retrying(&self, id: &str, message: &str) -> Result<Option<RunEvent>, StoreError> {
        self.change(
            id,
            "UPDATE backtest_runs SET status = 'queued', updated_at = $2 \
             WHERE id = $1 AND status IN ('queued', 'running')",
            "retrying",
            serde_json::json!({ "status": "queued", "message": message }),
        )
        .await
    }

    /// Records the result of a live run: headline `summary` and the whole `report` (JSON,
    /// stored compressed), with its notification. `None` (nothing written) when the run is
    /// already final, so a run computed twice keeps one result and one notification.
    ///
    /// With `holder` (job id, worker id) the job is completed in the same transaction, and
    /// nothing is written unless that worker still holds the job: a worker that lost its
    /// lease cannot record a result the new holder will record too.
    pub async fn succeed(
        &self,
        id: &str,
        summary: &serde_json::Value,
        report: &serde_json::Value,
        notification: NewNotification,
        holder: Option<(&str, &str)>,
    ) -> Result<Option<(RunEvent, Notification)>, StoreError> {
        let report = lz4_flex::compress_prepend_size(report.to_string().as_bytes());
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE backtest_runs SET status = 'succeeded', progress = 100, summary = $2, \
             report = $3, finished_at = $4, updated_at = $4 \
             WHERE id = $1 AND status IN ('queued', 'running')",
        )
        .bind(id)
        .bind(summary.to_string())
        .bind(report)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if let Some((job_id, worker_id)) = holder {
            let result = serde_json::json!({ "run_id": id });
            if !jobs::complete_in(&mut tx, job_id, worker_id, &result).await? {
                return Ok(None);
            }
        }
        let payload = serde_json::json!({ "status": "succeeded", "summary": summary });
        self.close_with_note(tx, id, "succeeded", payload, notification)
            .await
            .map(Some)
    }

    /// A live run failed for good: `error` in words for the user, with its notification.
    /// `None` when it is already final.
    pub async fn fail(
        &self,
        id: &str,
        error: &str,
        notification: NewNotification,
    ) -> Result<Option<(RunEvent, Notification)>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE backtest_runs SET status = 'failed', error = $2, finished_at = $3, \
             updated_at = $3 WHERE id = $1 AND status IN ('queued', 'running')",
        )
        .bind(id)
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let payload = serde_json::json!({ "status": "failed", "error": error });
        self.close_with_note(tx, id, "failed", payload, notification)
            .await
            .map(Some)
    }

    /// The end of a final change: its event and the user's notification in the same
    /// transaction, committed, then announced.
    async fn close_with_note(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
        kind: &str,
        payload: serde_json::Value,
        notification: NewNotification,
    ) -> Result<(RunEvent, Notification), StoreError> {
        let event = append(&mut tx, id, kind, payload).await?;
        let note = notifications::insert(&mut tx, notification).await?;
        tx.commit().await?;
        self.published(id, &event, Some(&note)).await?;
        Ok((event, note))
    }

    /// Cancels a live run. `None` when it is already final.
    pub async fn cancel(&self, id: &str) -> Result<Option<RunEvent>, StoreError> {
        self.change(
            id,
            "UPDATE backtest_runs SET status = 'cancelled', finished_at = $2, updated_at = $2 \
             WHERE id = $1 AND status IN ('queued', 'running')",
            "cancelled",
            serde_json::json!({ "status": "cancelled" }),
        )
        .await
    }

    /// Cancels a live run and its job: a queued job is cancelled at once, a running one is
    /// asked to stop (its worker hears of it on the bus). `None` when the run is final.
    pub async fn cancel_with_job(&self, id: &str) -> Result<Option<RunEvent>, StoreError> {
        let run = self.get(id).await?;
        let event = self.cancel(id).await?;
        if event.is_some()
            && let Some(job_id) = &run.job_id
        {
            self.db.jobs().cancel(job_id).await?;
            self.db.publish(JOB_CANCEL_TOPIC, job_id).await?;
        }
        Ok(event)
    }

    /// The run's events after `seq`, oldest first.
    pub async fn events_after(&self, id: &str, seq: i64) -> Result<Vec<RunEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, seq, kind, payload, created_at FROM run_events \
             WHERE run_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(id)
        .bind(seq)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The whole stored report of a succeeded run (`None` before it succeeded).
    pub async fn report(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let blob: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT report FROM backtest_runs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.db.pool)
                .await?;
        let Some(blob) = blob.ok_or(StoreError::NotFound)? else {
            return Ok(None);
        };
        let bytes = lz4_flex::decompress_size_prepended(&blob)
            .map_err(|e| corrupt("compressed report", e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| corrupt("report JSON", e))
    }

    /// Runs a conditional status change that appends `kind` when it changed a row.
    async fn change(
        &self,
        id: &str,
        update: &'static str,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<Option<RunEvent>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(update)
            .bind(id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let event = append(&mut tx, id, kind, payload).await?;
        tx.commit().await?;
        self.published(id, &event, None).await?;
        Ok(Some(event))
    }

    async fn published(
        &self,
        id: &str,
        event: &RunEvent,
        note: Option<&Notification>,
    ) -> Result<(), StoreError> {
        self.db
            .publish(&run_topic(id), &event.seq.to_string())
            .await?;
        if let Some(n) = note {
            self.db.announce_notification(&n.user_id, &n.id).await;
        }
        Ok(())
    }
}

/// Appends an event to a run's log, numbered after the last one. Changes to one run are
/// serialised by the status update that precedes every append in the same transaction.
async fn append(
    conn: &mut AnyConnection,
    run_id: &str,
    kind: &str,
    payload: serde_json::Value,
) -> Result<RunEvent, StoreError> {
    let created_at = now_ms();
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO run_events (run_id, seq, kind, payload, created_at) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM run_events WHERE run_id = $1 \
         RETURNING seq",
    )
    .bind(run_id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(RunEvent {
        run_id: run_id.to_owned(),
        seq,
        kind: kind.to_owned(),
        payload,
        created_at,
    })
}

fn from_row(row: &AnyRow) -> Result<Run, StoreError> {
    let summary: Option<String> = col(row, "summary")?;
    Ok(Run {
        id: col(row, "id")?,
        kind: parse_col("run kind", &col::<String>(row, "kind")?)?,
        user_id: col(row, "user_id")?,
        strategy_id: col(row, "strategy_id")?,
        version: col(row, "version")?,
        dataset_id: col(row, "dataset_id")?,
        status: parse_col("run status", &col::<String>(row, "status")?)?,
        config: col_json(row, "config")?,
        progress: col(row, "progress")?,
        summary: summary
            .map(|s| serde_json::from_str(&s).map_err(|e| corrupt("summary JSON", e)))
            .transpose()?,
        error: col(row, "error")?,
        job_id: col(row, "job_id")?,
        created_at: col(row, "created_at")?,
        started_at: col(row, "started_at")?,
        finished_at: col(row, "finished_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<RunEvent, StoreError> {
    Ok(RunEvent {
        run_id: col(row, "run_id")?,
        seq: col(row, "seq")?,
        kind: col(row, "kind")?,
        payload: col_json(row, "payload")?,
        created_at: col(row, "created_at")?,
    })
}
