//! What each kind of job does (a [`Handler`] per kind), and how a job's end is recorded on
//! its run.

use std::collections::BTreeMap;
use std::sync::Arc;

use bb_market::BoxFuture;
use bb_store::{Db, Job, NewNotification, RunKind, StoreError};
use serde_json::{Value, json};

use crate::clock::Clock;
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
pub const ROBUSTNESS: &str = "robustness";
pub const MARKET_FETCH: &str = "market_fetch";

/// Runs one kind of job. A worker claims only the kinds its [`Handlers`] name.
pub trait Handler: Send + Sync + std::fmt::Debug + 'static {
    /// Runs a claimed job; the value is stored as the job's result. A panic is a
    /// [`JobError::Permanent`]; a cancellation or a lost lease drops the future.
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>>;
}

/// What a [`Handler`] gets besides its job.
#[derive(Clone, Copy, Debug)]
pub struct JobContext<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) worker: &'a str,
}

impl JobContext<'_> {
    /// The database.
    pub fn db(&self) -> &Db {
        &self.ctx.db
    }

    /// The worker (slot) holding the job.
    pub fn worker(&self) -> &str {
        self.worker
    }

    /// The workers' clock.
    pub fn clock(&self) -> &Clock {
        &self.ctx.config.clock
    }
}

/// The job kinds a worker runs, each with its [`Handler`]. The default is the product's:
/// [`BACKTEST`], [`SWEEP`], [`MARKET_FETCH`] and `paper_tick`.
#[derive(Clone)]
pub struct Handlers(BTreeMap<String, Arc<dyn Handler>>);

impl Handlers {
    /// No kinds at all (a worker with none claims nothing).
    pub fn none() -> Handlers {
        Handlers(BTreeMap::new())
    }

    /// These handlers and `handler` for `kind` (replacing any before it).
    pub fn with(mut self, kind: impl Into<String>, handler: impl Handler) -> Handlers {
        self.0.insert(kind.into(), Arc::new(handler));
        self
    }

    /// The kinds, in order.
    pub fn kinds(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    fn get(&self, kind: &str) -> Option<&dyn Handler> {
        self.0.get(kind).map(AsRef::as_ref)
    }
}

impl Default for Handlers {
    fn default() -> Self {
        Handlers::none()
            .with(BACKTEST, Compute(RunKind::Backtest))
            .with(SWEEP, Compute(RunKind::Sweep))
            .with(ROBUSTNESS, Compute(RunKind::Robustness))
            .with(MARKET_FETCH, Fetch)
            .with(bb_store::PAPER_TICK, PaperTick)
            .with(bb_store::PAPER_MARKET_TICK, PaperMarketTick)
            .with(
                bb_store::WEBHOOK_DELIVERY,
                crate::webhook::Deliver::default(),
            )
            .with(bb_store::EMAIL_DELIVERY, crate::email::SendEmail)
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

/// Backtests and sweeps.
#[derive(Debug)]
struct Compute(RunKind);

impl Handler for Compute {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(backtest::run(cx.ctx, job, cx.worker, self.0))
    }
}

/// Market-data fetches.
#[derive(Debug)]
struct Fetch;

impl Handler for Fetch {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(fetch::run(cx.ctx, job))
    }
}

/// Paper runs' ticks.
#[derive(Debug)]
struct PaperTick;

impl Handler for PaperTick {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(crate::paper::run(cx.ctx, job))
    }
}

/// Live paper runs' ticks, a market at a time.
#[derive(Debug)]
struct PaperMarketTick;

impl Handler for PaperMarketTick {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(crate::paper::run_market(cx.ctx, job))
    }
}

/// Runs a claimed job with the handler of its kind; the value is stored as the job's result.
pub(crate) async fn run(ctx: &Ctx, job: &Job, worker: &str) -> Result<Value, JobError> {
    match ctx.config.handlers.get(&job.kind) {
        Some(handler) => handler.run(JobContext { ctx, worker }, job).await,
        None => Err(JobError::Permanent(format!(
            "this worker does not know jobs of kind \"{}\"",
            job.kind
        ))),
    }
}

/// The run a job computes, if it computes one.
pub(crate) fn run_id(job: &Job) -> Option<&str> {
    matches!(job.kind.as_str(), BACKTEST | SWEEP | ROBUSTNESS)
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
        RunKind::Robustness => "Robustness check",
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
