//! The worker pool: `concurrency` slots that claim jobs, a lease keeper per job, and a
//! housekeeping task (reaper and schedules).
//!
//! A slot claims the best queued job, runs it, and claims again; with nothing to do it waits
//! for a `jobs` wake-up on the bus or the poll interval, whichever comes first (the poll
//! covers wake-ups lost between processes on SQLite). While a job runs, its lease keeper
//! renews the lease every third of the lease and watches for a cancellation request; a lost
//! lease (the reaper gave the job to another worker) stops the job without writing anything.
//!
//! Each of these loops repeats one step of a [`Worker`]: [`Worker::claim_and_run_one`],
//! [`Worker::heartbeat_once`] and [`Worker::housekeep_once`], which a test can also call
//! itself. Every time handed to the store and every wait comes from the configured
//! [`Clock`].

use std::sync::Arc;
use std::time::Duration;

use bb_market::MarketConfig;
use bb_store::{Db, Heartbeat, Job, JobStatus, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::clock::{Clock, millis};
use crate::engine::{CatchUnwind, panicked};
use crate::run::{self, Handlers, JobError};

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
    /// What the workers read the time from and wait on ([`Clock::system`] by default).
    pub clock: Clock,
    /// The job kinds the workers run (the product's by default).
    pub handlers: Handlers,
    /// How webhooks are delivered (public addresses only by default).
    pub webhooks: bb_webhooks::Policy,
    /// How email is sent; `None`: this process sends none.
    pub mail: Option<crate::email::MailSetup>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 2,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
            name: default_name(),
            market: MarketConfig::default(),
            clock: Clock::system(),
            handlers: Handlers::default(),
            webhooks: bb_webhooks::Policy::default(),
            mail: None,
        }
    }
}

/// `worker-<pid>-<random>`.
pub fn default_name() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("worker-{}-{}", std::process::id(), &id[id.len() - 6..])
}

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

#[derive(Debug)]
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
            let worker = Worker {
                ctx: ctx.clone(),
                name: format!("{name}/{slot}"),
            };
            tasks.push(tokio::spawn(slot_loop(worker, stopped.clone())));
        }
        let housekeeper = Worker {
            ctx: ctx.clone(),
            name: name.clone(),
        };
        tasks.push(tokio::spawn(housekeeping(housekeeper, stopped)));
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

/// One worker driven a step at a time: what a slot of [`Workers`] and the housekeeping task
/// do in their loops, for a caller that decides when (a test on a [`Clock::test`]). Its
/// name is the configured one, as is; cheap to clone.
#[derive(Clone, Debug)]
pub struct Worker {
    ctx: Arc<Ctx>,
    name: String,
}

/// A job a [`Worker`] claimed and ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Ran {
    /// The job as claimed (with this attempt counted).
    pub job: Job,
    /// What the worker recorded: `Succeeded`, `Queued` (retried after the back-off),
    /// `Failed` or `Cancelled`; `None` when nothing was recorded (the lease was lost and
    /// another worker may have the job, or the database failed, which is logged).
    pub status: Option<JobStatus>,
}

/// What one housekeeping round did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Housekeeping {
    /// Jobs whose lease had run out, re-queued or dead-lettered.
    pub reaped: Vec<String>,
    /// Jobs enqueued by due schedules.
    pub enqueued: Vec<Job>,
}

impl Worker {
    /// A worker named `config.name`; nothing runs until its steps are called.
    pub fn new(db: Db, config: WorkerConfig) -> Worker {
        let name = config.name.clone();
        Worker {
            ctx: Arc::new(Ctx { db, config }),
            name,
        }
    }

    /// The name it claims jobs under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Claims the best ready job of a kind it has a handler for (ready at the clock's now)
    /// and runs it to its end under a lease kept by heartbeats: a result, a retry, a dead
    /// letter or a cancellation. `None` when no job was ready.
    pub async fn claim_and_run_one(&self) -> Result<Option<Ran>, StoreError> {
        let kinds = self.ctx.config.handlers.kinds();
        if kinds.is_empty() {
            // An empty list would claim every kind.
            return Ok(None);
        }
        let now = self.ctx.config.clock.now_ms();
        let lease_ms = millis(self.ctx.config.lease);
        let Some(job) = self
            .ctx
            .db
            .jobs()
            .claim_at(&self.name, lease_ms, &kinds, now)
            .await?
        else {
            return Ok(None);
        };
        let span =
            tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
        let status = self.run_one(&job).instrument(span).await;
        Ok(Some(Ran { job, status }))
    }

    /// Renews the lease of a job this worker holds, at the clock's now: what the lease
    /// keeper of a running job does every third of the lease.
    pub async fn heartbeat_once(&self, job_id: &str) -> Result<Heartbeat, StoreError> {
        let now = self.ctx.config.clock.now_ms();
        self.ctx
            .db
            .jobs()
            .heartbeat_at(job_id, &self.name, millis(self.ctx.config.lease), now)
            .await
    }

    /// One housekeeping round at the clock's now: re-queues jobs whose worker died (and
    /// fails the runs of those that died too often), then enqueues due schedules. Errors are
    /// logged; the round does what it can.
    pub async fn housekeep_once(&self) -> Housekeeping {
        let ctx = &self.ctx;
        let now = ctx.config.clock.now_ms();
        let mut done = Housekeeping::default();
        match ctx.db.jobs().reap_at(now).await {
            Ok(ids) => {
                for id in &ids {
                    tracing::warn!(job = %id, "re-queued or failed a job whose worker stopped");
                    if let Ok(job) = ctx.db.jobs().get(id).await
                        && job.status == JobStatus::Failed
                    {
                        let message = job.last_error.clone().unwrap_or_else(|| {
                            "the worker running it stopped responding".to_owned()
                        });
                        run::failed(ctx, &job, &message).await;
                    }
                }
                done.reaped = ids;
            }
            Err(e) => tracing::warn!(error = %e, "reaping expired leases failed"),
        }
        match ctx.db.schedules().enqueue_due_at(now).await {
            Ok(jobs) => done.enqueued = jobs,
            Err(e) => tracing::warn!(error = %e, "enqueuing due schedules failed"),
        }
        done
    }

    /// Runs one claimed job to its end; returns what was recorded.
    async fn run_one(&self, job: &Job) -> Option<JobStatus> {
        let ctx = &*self.ctx;
        let worker = self.name.as_str();
        let (lease_tx, mut lease) = watch::channel(LeaseState::Held);
        let keeper = AbortOnDrop(tokio::spawn(keep_lease(
            self.clone(),
            job.id.clone(),
            job.heartbeat_at
                .unwrap_or_else(|| ctx.config.clock.now_ms()),
            lease_tx,
        )));
        // A panic anywhere in the job is a permanent failure of the job, not of this slot.
        let work = async {
            match CatchUnwind(Box::pin(run::run(ctx, job, worker))).await {
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
        drop(keeper);
        let jobs = ctx.db.jobs();
        let now = ctx.config.clock.now_ms();
        // What became of the job, as its status: `None` when another worker has it now.
        let done: Result<Option<JobStatus>, _> = match outcome {
            Ok(Ok(result)) => match jobs.complete(&job.id, worker, result).await {
                Ok(true) => Ok(Some(JobStatus::Succeeded)),
                // Either the job's handler completed it in its own transaction (a backtest
                // records its run and its job together), or the job is not ours any more.
                Ok(false) => jobs.get(&job.id).await.map(|stored| {
                    (stored.status == JobStatus::Succeeded
                        && stored.worker_id.as_deref() == Some(worker))
                    .then_some(JobStatus::Succeeded)
                }),
                Err(e) => Err(e),
            },
            Ok(Err(JobError::Permanent(message))) => {
                tracing::info!(%message, "job failed");
                run::failed(ctx, job, &message).await;
                jobs.fail_at(&job.id, worker, &message, false, now).await
            }
            Ok(Err(JobError::Transient(message))) => {
                tracing::warn!(%message, "job attempt failed");
                let status = jobs.fail_at(&job.id, worker, &message, true, now).await;
                match status {
                    Ok(Some(JobStatus::Queued)) => run::retrying(ctx, job, &message).await,
                    Ok(Some(JobStatus::Failed)) => run::failed(ctx, job, &message).await,
                    _ => {}
                }
                status
            }
            Err(LeaseState::CancelRequested) => {
                tracing::info!("job cancelled");
                run::cancelled(ctx, job).await;
                jobs.finish_cancelled(&job.id, worker)
                    .await
                    .map(|done| done.then_some(JobStatus::Cancelled))
            }
            Err(_) => Ok(None),
        };
        match done {
            // Whoever waits on this job (an API answering about a fetch) re-reads it.
            Ok(Some(status)) => {
                let _ = ctx
                    .db
                    .publish(&bb_store::job_topic(&job.id), status.as_str())
                    .await;
                Some(status)
            }
            Ok(None) => {
                tracing::warn!("lost the job's lease; another worker has it");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "recording the job's outcome failed");
                None
            }
        }
    }
}

/// Aborts a task when dropped: a job's lease keeper never outlives the job's run, even when
/// the run is dropped half-way.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn slot_loop(worker: Worker, mut stopped: watch::Receiver<bool>) {
    let mut bus = worker.ctx.db.subscribe();
    let clock = &worker.ctx.config.clock;
    loop {
        if *stopped.borrow() {
            return;
        }
        let looked = clock.now_ms();
        match worker.claim_and_run_one().await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::warn!(worker = %worker.name, error = %e, "claiming a job failed"),
        }
        // Nothing to do: wait for a wake-up, the poll interval, or the stop.
        let wait = clock.sleep_after(looked, worker.ctx.config.poll);
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
                        bus = worker.ctx.db.subscribe();
                        break;
                    }
                },
            }
        }
    }
}

/// Renews the lease every third of it; reports a cancellation request or a lost lease.
async fn keep_lease(worker: Worker, id: String, claimed_at: i64, state: watch::Sender<LeaseState>) {
    let mut bus = worker.ctx.db.subscribe();
    let clock = &worker.ctx.config.clock;
    let every = worker.ctx.config.lease / 3;
    let mut beat = claimed_at;
    loop {
        let tick = clock.sleep_after(beat, every);
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
        beat = clock.now_ms();
        match worker.heartbeat_once(&id).await {
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
/// enqueues due schedules, every second (or every half lease, when that is shorter): a
/// schedule's job is enqueued at most a second late (a paper run's tick, a replay's next
/// candle).
async fn housekeeping(worker: Worker, mut stopped: watch::Receiver<bool>) {
    let every = (worker.ctx.config.lease / 2)
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(200));
    let clock = &worker.ctx.config.clock;
    loop {
        let round = clock.now_ms();
        worker.housekeep_once().await;
        tokio::select! {
            () = clock.sleep_after(round, every) => {}
            _ = stopped.changed() => return,
        }
    }
}
