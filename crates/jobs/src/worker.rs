//! The worker pool: `concurrency` slots that claim jobs, a lease keeper per job, and a
//! housekeeping task (reaper and schedules).
//!
//! A slot claims the best queued job, runs it, and claims again; with nothing to do it waits
//! for a `jobs` wake-up on the bus or the poll interval, whichever comes first (the poll
//! covers wake-ups lost between processes on SQLite). While a job runs, its lease keeper
//! renews the lease every third of the lease and watches for a cancellation request; a lost
//! lease (the reaper gave the job to another worker) stops the job without writing anything.

use std::sync::Arc;
use std::time::Duration;

use bb_market::MarketConfig;
use bb_store::{Db, Heartbeat, Job, JobStatus};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::engine::{CatchUnwind, panicked};
use crate::run::{self, JobError};

/// How the workers run.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Jobs run at once in this process.
    pub concurrency: usize,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// How often an idle slot looks for work when no wake-up arrives.
    pub poll: Duration,
    /// Names this process in the jobs it claims (host, pid and a random suffix by default).
    pub name: String,
    /// Connectors for market-data fetches.
    pub market: MarketConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 2,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
            name: default_name(),
            market: MarketConfig::default(),
        }
    }
}

/// `worker-<pid>-<random>`.
pub fn default_name() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("worker-{}-{}", std::process::id(), &id[id.len() - 6..])
}

/// The job kinds these workers run.
const KINDS: &[&str] = &[run::BACKTEST, run::SWEEP, run::MARKET_FETCH];

/// What a job's lease keeper has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeaseState {
    Held,
    CancelRequested,
    Lost,
}

/// The running workers of this process.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    name: String,
}

pub(crate) struct Ctx {
    pub db: Db,
    pub config: WorkerConfig,
}

impl Workers {
    /// Starts the slots and the housekeeping task on the current tokio runtime.
    pub fn spawn(db: Db, config: WorkerConfig) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let name = config.name.clone();
        let ctx = Arc::new(Ctx { db, config });
        let mut tasks = Vec::new();
        for slot in 0..ctx.config.concurrency.max(1) {
            tasks.push(tokio::spawn(slot_loop(ctx.clone(), slot, stopped.clone())));
        }
        tasks.push(tokio::spawn(housekeeping(ctx.clone(), stopped)));
        tracing::info!(worker = %name, slots = ctx.config.concurrency, "workers started");
        Workers { stop, tasks, name }
    }

    /// This process's worker name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stops claiming and waits for the jobs in flight to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        tracing::info!(worker = %self.name, "workers stopped");
    }
}

async fn slot_loop(ctx: Arc<Ctx>, slot: usize, mut stopped: watch::Receiver<bool>) {
    let mut bus = ctx.db.subscribe();
    let worker = format!("{}/{slot}", ctx.config.name);
    let lease_ms = millis(ctx.config.lease);
    loop {
        if *stopped.borrow() {
            return;
        }
        match ctx.db.jobs().claim(&worker, lease_ms, KINDS).await {
            Ok(Some(job)) => {
                run_one(&ctx, &worker, job).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(%worker, error = %e, "claiming a job failed"),
        }
        // Nothing to do: wait for a wake-up, the poll interval, or the stop.
        let wait = tokio::time::sleep(ctx.config.poll);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                _ = stopped.changed() => break,
                event = bus.recv() => match event {
                    Ok(e) if e.topic == bb_store::JOBS_TOPIC => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        bus = ctx.db.subscribe();
                        break;
                    }
                },
            }
        }
    }
}

/// Runs one claimed job to its end: result, retry, dead letter or cancellation.
async fn run_one(ctx: &Ctx, worker: &str, job: Job) {
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    run_one_in_span(ctx, worker, job).instrument(span).await;
}

async fn run_one_in_span(ctx: &Ctx, worker: &str, job: Job) {
    let (lease_tx, mut lease) = watch::channel(LeaseState::Held);
    let keeper = tokio::spawn(keep_lease(
        ctx.db.clone(),
        job.id.clone(),
        worker.to_owned(),
        ctx.config.lease,
        lease_tx,
    ));
    // A panic anywhere in the job is a permanent failure of the job, not of this slot.
    let work = async {
        match CatchUnwind(Box::pin(run::run(ctx, &job, worker))).await {
            Ok(result) => result,
            Err(panic) => Err(panicked(panic.as_ref())),
        }
    };
    tokio::pin!(work);
    let outcome = loop {
        tokio::select! {
            result = &mut work => break Ok(result),
            changed = lease.changed() => {
                let state = *lease.borrow();
                if changed.is_err() || state != LeaseState::Held {
                    break Err(state);
                }
            }
        }
    };
    keeper.abort();
    let jobs = ctx.db.jobs();
    // What became of the job, as its status: `None` when another worker has it now.
    let done: Result<Option<JobStatus>, _> = match outcome {
        Ok(Ok(result)) => jobs
            .complete(&job.id, worker, result)
            .await
            .map(|_| Some(JobStatus::Succeeded)),
        Ok(Err(JobError::Permanent(message))) => {
            tracing::info!(%message, "job failed");
            run::failed(ctx, &job, &message).await;
            jobs.fail(&job.id, worker, &message, false).await
        }
        Ok(Err(JobError::Transient(message))) => {
            tracing::warn!(%message, "job attempt failed");
            let status = jobs.fail(&job.id, worker, &message, true).await;
            match status {
                Ok(Some(JobStatus::Queued)) => run::retrying(ctx, &job, &message).await,
                Ok(Some(JobStatus::Failed)) => run::failed(ctx, &job, &message).await,
                _ => {}
            }
            status
        }
        Err(LeaseState::CancelRequested) => {
            tracing::info!("job cancelled");
            run::cancelled(ctx, &job).await;
            jobs.finish_cancelled(&job.id, worker)
                .await
                .map(|_| Some(JobStatus::Cancelled))
        }
        Err(_) => {
            tracing::warn!("lost the job's lease; another worker has it");
            Ok(None)
        }
    };
    match done {
        // Whoever waits on this job (an API answering about a fetch) re-reads it.
        Ok(Some(status)) => {
            let _ = ctx
                .db
                .publish(&bb_store::job_topic(&job.id), status.as_str())
                .await;
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "recording the job's outcome failed"),
    }
}

/// Renews the lease every third of it; reports a cancellation request or a lost lease.
async fn keep_lease(
    db: Db,
    id: String,
    worker: String,
    lease: Duration,
    state: watch::Sender<LeaseState>,
) {
    let mut bus = db.subscribe();
    let every = lease / 3;
    loop {
        let tick = tokio::time::sleep(every);
        tokio::pin!(tick);
        // A cancellation is announced on the bus so the worker need not wait for the tick.
        loop {
            tokio::select! {
                () = &mut tick => break,
                event = bus.recv() => match event {
                    Ok(e) if e.topic == bb_store::JOB_CANCEL_TOPIC && e.payload == id => break,
                    Ok(_) => {}
                    Err(_) => break,
                },
            }
        }
        match db.jobs().heartbeat(&id, &worker, millis(lease)).await {
            Ok(Heartbeat::Extended) => {}
            Ok(Heartbeat::CancelRequested) => {
                let _ = state.send(LeaseState::CancelRequested);
                return;
            }
            Ok(Heartbeat::Lost) => {
                let _ = state.send(LeaseState::Lost);
                return;
            }
            Err(e) => tracing::warn!(error = %e, "heartbeat failed; retrying"),
        }
    }
}

/// Re-queues jobs whose worker died, fails the runs of jobs that died too often, and
/// enqueues due schedules.
async fn housekeeping(ctx: Arc<Ctx>, mut stopped: watch::Receiver<bool>) {
    let every = (ctx.config.lease / 2).max(Duration::from_millis(200));
    loop {
        match ctx.db.jobs().reap().await {
            Ok(ids) => {
                for id in ids {
                    tracing::warn!(job = %id, "re-queued or failed a job whose worker stopped");
                    if let Ok(job) = ctx.db.jobs().get(&id).await
                        && job.status == JobStatus::Failed
                    {
                        let message = job.last_error.clone().unwrap_or_else(|| {
                            "the worker running it stopped responding".to_owned()
                        });
                        run::failed(&ctx, &job, &message).await;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reaping expired leases failed"),
        }
        if let Err(e) = ctx.db.schedules().enqueue_due().await {
            tracing::warn!(error = %e, "enqueuing due schedules failed");
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
