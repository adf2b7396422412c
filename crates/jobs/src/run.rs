//! What each kind of job does, and how a job's end is recorded on its run.

use bb_store::{Job, NewNotification, RunKind, StoreError};
use serde_json::{Value, json};

use crate::worker::Ctx;
use crate::{backtest, fetch};

/// Why a job did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Trying again cannot help (an invalid strategy, no candles in the period): the job
    /// fails at once with this message for the user.
    #[error("{0}")]
    Permanent(String),
    /// Worth another attempt (the database was unreachable): retried with back-off.
    #[error("{0}")]
    Transient(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(m) => JobError::Transient(format!("database error: {m}")),
            StoreError::NotFound => {
                JobError::Permanent("a record it needs no longer exists".into())
            }
            other => JobError::Permanent(other.to_string()),
        }
    }
}

impl From<bb_market::MarketError> for JobError {
    fn from(e: bb_market::MarketError) -> Self {
        match e {
            bb_market::MarketError::Store(s) => s.into(),
            bb_market::MarketError::Invalid(m) => JobError::Permanent(m),
            other => JobError::Transient(other.to_string()),
        }
    }
}

/// Job kinds.
pub const BACKTEST: &str = "backtest";
pub const SWEEP: &str = "sweep";
pub const MARKET_FETCH: &str = "market_fetch";

/// Runs a claimed job; the value is stored as the job's result.
pub(crate) async fn run(ctx: &Ctx, job: &Job, worker: &str) -> Result<Value, JobError> {
    match job.kind.as_str() {
        BACKTEST => backtest::run(ctx, job, worker, RunKind::Backtest).await,
        SWEEP => backtest::run(ctx, job, worker, RunKind::Sweep).await,
        MARKET_FETCH => fetch::run(ctx, job).await,
        other => Err(JobError::Permanent(format!(
            "this worker does not know jobs of kind \"{other}\""
        ))),
    }
}

/// The run a job computes, if it computes one.
pub(crate) fn run_id(job: &Job) -> Option<&str> {
    matches!(job.kind.as_str(), BACKTEST | SWEEP)
        .then(|| job.payload.get("run_id").and_then(Value::as_str))
        .flatten()
}

/// The job failed for good: so does its run, and the user is told.
pub(crate) async fn failed(ctx: &Ctx, job: &Job, message: &str) {
    let Some(id) = run_id(job) else { return };
    let runs = ctx.db.runs();
    let Ok(run) = runs.get(id).await else { return };
    let what = match run.kind {
        RunKind::Backtest => "Backtest",
        RunKind::Sweep => "Sweep",
    };
    let note = NewNotification {
        user_id: run.user_id.clone(),
        kind: format!("{}.failed", run.kind.as_str()),
        title: format!("{what} failed"),
        body: message.to_owned(),
        link: Some(crate::run_link(&run)),
        payload: json!({ "run_id": run.id, "kind": run.kind, "status": "failed", "error": message }),
    };
    if let Err(e) = runs.fail(id, message, note).await {
        tracing::warn!(run = %id, error = %e, "recording a failed run failed");
    }
}

/// The job will be tried again: the run says so.
pub(crate) async fn retrying(ctx: &Ctx, job: &Job, message: &str) {
    if let Some(id) = run_id(job)
        && let Err(e) = ctx
            .db
            .runs()
            .retrying(
                id,
                &format!("Attempt {} failed ({message}); trying again.", job.attempts),
            )
            .await
    {
        tracing::warn!(run = %id, error = %e, "recording a retry failed");
    }
}

/// The job stopped on request: its run is cancelled (usually it already is).
pub(crate) async fn cancelled(ctx: &Ctx, job: &Job) {
    if let Some(id) = run_id(job)
        && let Err(e) = ctx.db.runs().cancel(id).await
    {
        tracing::warn!(run = %id, error = %e, "recording a cancelled run failed");
    }
}
