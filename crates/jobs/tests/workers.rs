//! The workers on a test clock, on SQLite AND on PostgreSQL (`NAME::sqlite`, `NAME::postgres`;
//! the postgres half needs a server, see the store's `tests/harness`).
//!
//! Nothing here sleeps. Time moves only when a test advances a [`TestClock`]; a worker that
//! "hangs" or "dies" is one whose clock stands still or whose task is aborted. The test knows
//! a background loop has done its round when it waits on the clock again
//! ([`TestClock::sleeping_until`]), and hears from jobs through a handler that reports every
//! attempt and waits for the test's verdict. Waits are bounded by [`WAIT`], which only runs
//! out when a test is failing.

#[macro_use]
#[path = "../../store/tests/harness/mod.rs"]
mod harness;

use std::future::Future;
use std::time::Duration;

use bb_jobs::{
    BoxFuture, Clock, Handler, Handlers, JobContext, JobError, Ran, TestClock, Worker,
    WorkerConfig, Workers,
};
use bb_store::{
    Db, JOB_CANCEL_TOPIC, Job, JobStatus, NewJob, STOPPED_ITS_WORKER, StoreError, job_topic,
    now_ms, retry_backoff_ms,
};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------------------
// helpers

/// How long a test waits for something before it fails.
const WAIT: Duration = Duration::from_secs(15);
const LEASE: Duration = Duration::from_secs(30);
/// The lease keeper's period: a third of the lease.
const BEAT: i64 = 10_000;
const POLL: Duration = Duration::from_secs(1);
/// A job kind whose every attempt is reported to the test, which answers it.
const GATE: &str = "test.gate";
/// A job kind that panics.
const PANICS: &str = "test.panic";

fn ms(n: i64) -> Duration {
    Duration::from_millis(u64::try_from(n).expect("positive"))
}

/// One attempt of a [`GATE`] job, waiting for the test's verdict. Dropping it without a
/// verdict leaves the job hanging (as a stuck computation would).
#[derive(Debug)]
struct Attempt {
    job: Job,
    worker: String,
    verdict: oneshot::Sender<Result<Value, JobError>>,
}

impl Attempt {
    fn answer(self, verdict: Result<Value, JobError>) {
        self.verdict
            .send(verdict)
            .expect("the attempt is still running");
    }
}

#[derive(Debug)]
struct Gate(mpsc::UnboundedSender<Attempt>);

impl Handler for Gate {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let (verdict, answer) = oneshot::channel();
            let attempt = Attempt {
                job: job.clone(),
                worker: cx.worker().to_owned(),
                verdict,
            };
            self.0.send(attempt).expect("the test listens");
            match answer.await {
                Ok(verdict) => verdict,
                Err(_) => std::future::pending().await,
            }
        })
    }
}

#[derive(Debug)]
struct Panics;

impl Handler for Panics {
    fn run<'a>(
        &'a self,
        _: JobContext<'a>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            panic!("boom in {}", job.kind)
        })
    }
}

/// The test's side: the clock everyone shares unless a test gives a worker its own, and the
/// attempts of [`GATE`] jobs.
struct Kit {
    db: Db,
    time: TestClock,
    attempts_tx: mpsc::UnboundedSender<Attempt>,
    attempts: mpsc::UnboundedReceiver<Attempt>,
}

impl Kit {
    fn new(db: Db) -> Kit {
        let (_, time) = Clock::test(now_ms());
        let (attempts_tx, attempts) = mpsc::unbounded_channel();
        Kit {
            db,
            time,
            attempts_tx,
            attempts,
        }
    }

    fn config(&self, name: &str, clock: Clock) -> WorkerConfig {
        WorkerConfig {
            concurrency: 1,
            lease: LEASE,
            poll: POLL,
            name: name.to_owned(),
            clock,
            handlers: Handlers::none()
                .with(GATE, Gate(self.attempts_tx.clone()))
                .with(PANICS, Panics),
            ..WorkerConfig::default()
        }
    }

    /// A worker on the shared clock.
    fn worker(&self, name: &str) -> Worker {
        Worker::new(self.db.clone(), self.config(name, self.time.clock()))
    }

    /// A worker on a clock of its own, standing at `at`.
    fn worker_at(&self, name: &str, at: i64) -> (Worker, TestClock) {
        let (clock, time) = Clock::test(at);
        (Worker::new(self.db.clone(), self.config(name, clock)), time)
    }

    /// A job of `kind` due at the shared clock's now.
    async fn enqueue(&self, kind: &str, max_attempts: u32) -> Job {
        self.db
            .jobs()
            .enqueue(NewJob {
                run_at: Some(self.time.now_ms()),
                max_attempts,
                ..NewJob::new(kind, json!({ "n": 1 }))
            })
            .await
            .expect("enqueue")
    }

    async fn next_attempt(&mut self) -> Attempt {
        within("an attempt", self.attempts.recv())
            .await
            .expect("the attempts channel is open")
    }

    async fn get(&self, id: &str) -> Job {
        self.db.jobs().get(id).await.expect("get job")
    }
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {WAIT:?}"))
}

/// Runs the worker's next job in the background (its handler waits for the test).
fn claim_and_run(worker: &Worker) -> JoinHandle<Result<Option<Ran>, StoreError>> {
    let worker = worker.clone();
    tokio::spawn(async move { worker.claim_and_run_one().await })
}

/// What a background [`claim_and_run`] came to.
async fn ran(task: JoinHandle<Result<Option<Ran>, StoreError>>) -> Ran {
    within("the job's end", task)
        .await
        .expect("the task ran")
        .expect("claim")
        .expect("a job was claimed")
}

/// The worker finds nothing to claim (were it to claim a [`GATE`] job, nobody would answer
/// and this fails after [`WAIT`]).
async fn claims_nothing(worker: &Worker) {
    let claimed = within("claiming", worker.claim_and_run_one()).await;
    assert_eq!(claimed.expect("claim"), None);
}

// ---------------------------------------------------------------------------------------
// the suite: scenarios grouped so that each backend needs few fresh databases (a PostgreSQL
// one costs about a second to create, migrate and drop). Every scenario but the last of its
// group leaves no job queued or running behind it, so the next one starts clean.

conformance!(
    /// Leases: renewed on the beat, taken back from a hung or dead worker, never recorded
    /// twice.
    async fn leases(db) {
        a_hung_workers_job_is_reclaimed_and_its_late_result_dropped(db.clone()).await;
        a_lost_lease_stops_the_job(db.clone()).await;
        a_job_that_kills_two_workers_is_dead_lettered(db).await;
    }
);

conformance!(
    /// Failures: retried after the back-off, dead-lettered when they persist, a panic is
    /// one plain failure.
    async fn retries_and_poison_jobs(db) {
        a_transient_error_is_retried_after_the_backoff(db.clone()).await;
        a_poison_job_is_dead_lettered(db.clone()).await;
        a_panicking_job_fails_plainly(db).await;
    }
);

conformance!(
    /// Cancellation, queued and running.
    async fn cancellation(db) {
        cancelling_a_queued_or_running_job(db).await;
    }
);

conformance!(
    /// Housekeeping: the spawned loops on the test clock, then schedules across two
    /// workers (which leave their jobs queued, so they come last).
    async fn housekeeping_and_the_loops(db) {
        spawned_workers_run_on_the_test_clock(db.clone()).await;
        a_schedule_fires_once_across_two_workers(db).await;
    }
);

// ---------------------------------------------------------------------------------------
// leases

/// A claimed job is held under a lease that the lease keeper renews on the clock's beat.
/// When the worker hangs (its clock stands still) the lease runs out, another worker's
/// housekeeping takes the job back and that worker runs it; the first worker's late
/// result is not recorded.
async fn a_hung_workers_job_is_reclaimed_and_its_late_result_dropped(db: Db) {
    let mut kit = Kit::new(db);
    let t = kit.time.now_ms();
    let (a, time_a) = kit.worker_at("a", t);
    let (b, time_b) = kit.worker_at("b", t);
    let job = kit.enqueue(GATE, 3).await;

    let run_a = claim_and_run(&a);
    let first = kit.next_attempt().await;
    assert_eq!(
        (first.job.id.as_str(), first.worker.as_str()),
        (job.id.as_str(), "a")
    );
    assert_eq!(first.job.attempts, 1);
    let held = kit.get(&job.id).await;
    assert_eq!(held.status, JobStatus::Running);
    assert_eq!(held.worker_id.as_deref(), Some("a"));
    assert_eq!(
        (held.heartbeat_at, held.lease_until),
        (Some(t), Some(t + 30_000))
    );

    // The keeper beats every third of the lease, on a's clock.
    time_a.sleeping_until(t + BEAT).await;
    time_a.advance(ms(BEAT));
    time_a.sleeping_until(t + 2 * BEAT).await;
    let beaten = kit.get(&job.id).await;
    assert_eq!(
        (beaten.heartbeat_at, beaten.lease_until),
        (Some(t + BEAT), Some(t + BEAT + 30_000))
    );

    // Past the first lease but within the renewed one: nothing to take back.
    time_b.advance(ms(35_000));
    assert!(b.housekeep_once().await.reaped.is_empty());
    claims_nothing(&b).await;

    // a hangs: its clock stands still, it beats no more. Once the renewed lease is over,
    // b's housekeeping re-queues the job and b runs it.
    time_b.advance(ms(5_001));
    assert_eq!(b.housekeep_once().await.reaped, vec![job.id.clone()]);
    let reaped = kit.get(&job.id).await;
    assert_eq!(reaped.status, JobStatus::Queued);
    assert_eq!(reaped.worker_id, None);
    assert!(
        reaped
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("lease expired")
    );

    let run_b = claim_and_run(&b);
    let second = kit.next_attempt().await;
    assert_eq!((second.worker.as_str(), second.job.attempts), ("b", 2));
    second.answer(Ok(json!({ "by": "b" })));
    let by_b = ran(run_b).await;
    assert_eq!(by_b.status, Some(JobStatus::Succeeded));

    // a wakes up and finishes: too late, nothing of it is recorded.
    first.answer(Ok(json!({ "by": "a" })));
    let by_a = ran(run_a).await;
    assert_eq!(by_a.job.id, job.id);
    assert_eq!(by_a.status, None);
    let done = kit.get(&job.id).await;
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(json!({ "by": "b" })));
    assert_eq!(done.worker_id.as_deref(), Some("b"));
    assert_eq!(done.attempts, 2);
}

/// A worker whose job was taken from it learns so at its next beat and stops the job at
/// once, writing nothing.
async fn a_lost_lease_stops_the_job(db: Db) {
    let mut kit = Kit::new(db);
    let t = kit.time.now_ms();
    let (a, time_a) = kit.worker_at("a", t);
    let (b, _) = kit.worker_at("b", t + 30_001);
    let job = kit.enqueue(GATE, 3).await;

    let run_a = claim_and_run(&a);
    let first = kit.next_attempt().await;
    time_a.sleeping_until(t + BEAT).await;

    // a's lease (until t + 30 s) has run out for b, which takes the job.
    assert_eq!(b.housekeep_once().await.reaped, vec![job.id.clone()]);
    let run_b = claim_and_run(&b);
    let second = kit.next_attempt().await;
    assert_eq!(second.worker, "b");

    // a's next beat finds the job gone: a drops the job without an answer.
    time_a.advance(ms(BEAT));
    let by_a = ran(run_a).await;
    assert_eq!(by_a.status, None);
    assert!(first.verdict.is_closed(), "a's handler was stopped");
    assert!(time_a.sleepers().is_empty(), "a's lease keeper ended");
    let held = kit.get(&job.id).await;
    assert_eq!(held.status, JobStatus::Running);
    assert_eq!(held.worker_id.as_deref(), Some("b"));

    second.answer(Ok(json!("b's")));
    assert_eq!(ran(run_b).await.status, Some(JobStatus::Succeeded));
    assert_eq!(kit.get(&job.id).await.result, Some(json!("b's")));
}

// ---------------------------------------------------------------------------------------
// retries and poison jobs

/// A transient error re-queues the job for after the back-off (1 s, then 2 s): a worker
/// looking a millisecond before finds nothing, at the back-off it runs the job again.
async fn a_transient_error_is_retried_after_the_backoff(db: Db) {
    let mut kit = Kit::new(db);
    let w = kit.worker("w");
    let job = kit.enqueue(GATE, 3).await;
    let mut failed_at = kit.time.now_ms();

    for attempt in 1..=2_i64 {
        let run = claim_and_run(&w);
        let try_n = kit.next_attempt().await;
        assert_eq!(try_n.job.attempts, attempt);
        try_n.answer(Err(JobError::Transient(format!("flaky {attempt}"))));
        assert_eq!(ran(run).await.status, Some(JobStatus::Queued));

        let backoff = retry_backoff_ms(attempt);
        let queued = kit.get(&job.id).await;
        assert_eq!(queued.status, JobStatus::Queued);
        assert_eq!(queued.run_at, failed_at + backoff);
        assert_eq!(queued.last_error, Some(format!("flaky {attempt}")));
        assert_eq!(queued.worker_id, None);

        kit.time.advance(ms(backoff - 1));
        claims_nothing(&w).await;
        assert_eq!(kit.get(&job.id).await.status, JobStatus::Queued);
        kit.time.advance(ms(1));
        failed_at = kit.time.now_ms();
    }
    assert_eq!(retry_backoff_ms(1), 1_000);
    assert_eq!(retry_backoff_ms(2), 2_000);

    let run = claim_and_run(&w);
    let third = kit.next_attempt().await;
    assert_eq!(third.job.attempts, 3);
    third.answer(Ok(json!({ "third": "time lucky" })));
    assert_eq!(ran(run).await.status, Some(JobStatus::Succeeded));
    let done = kit.get(&job.id).await;
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(json!({ "third": "time lucky" })));
}

/// A job that fails on every attempt is dead-lettered after its last one and never runs
/// again; a permanent error dead-letters it at once, attempts left or not.
async fn a_poison_job_is_dead_lettered(db: Db) {
    let mut kit = Kit::new(db);
    let w = kit.worker("w");
    let poison = kit.enqueue(GATE, 2).await;

    let run = claim_and_run(&w);
    kit.next_attempt()
        .await
        .answer(Err(JobError::Transient("broken".into())));
    assert_eq!(ran(run).await.status, Some(JobStatus::Queued));
    kit.time.advance(ms(retry_backoff_ms(1)));
    let run = claim_and_run(&w);
    let last = kit.next_attempt().await;
    assert_eq!(last.job.attempts, 2);
    last.answer(Err(JobError::Transient("still broken".into())));
    assert_eq!(ran(run).await.status, Some(JobStatus::Failed));

    let dead = kit.get(&poison.id).await;
    assert_eq!(dead.status, JobStatus::Failed);
    assert_eq!(dead.attempts, 2);
    assert_eq!(dead.last_error.as_deref(), Some("still broken"));
    assert!(dead.finished_at.is_some());
    kit.time.advance(Duration::from_secs(3_600));
    claims_nothing(&w).await;
    assert!(w.housekeep_once().await.reaped.is_empty());
    assert_eq!(kit.get(&poison.id).await.status, JobStatus::Failed);

    let hopeless = kit.enqueue(GATE, 3).await;
    let run = claim_and_run(&w);
    kit.next_attempt()
        .await
        .answer(Err(JobError::Permanent("no candles in that period".into())));
    assert_eq!(ran(run).await.status, Some(JobStatus::Failed));
    let dead = kit.get(&hopeless.id).await;
    assert_eq!((dead.status, dead.attempts), (JobStatus::Failed, 1));
    assert_eq!(
        dead.last_error.as_deref(),
        Some("no candles in that period")
    );
    kit.time.advance(Duration::from_secs(3_600));
    claims_nothing(&w).await;
}

/// A job that panics fails for good with a plain reason, not retried, and the worker
/// goes on to the next job.
async fn a_panicking_job_fails_plainly(db: Db) {
    let mut kit = Kit::new(db);
    let w = kit.worker("w");
    let job = kit.enqueue(PANICS, 3).await;

    let outcome = within("the panicking job", w.claim_and_run_one())
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!(outcome.status, Some(JobStatus::Failed));
    let dead = kit.get(&job.id).await;
    assert_eq!((dead.status, dead.attempts), (JobStatus::Failed, 1));
    let reason = dead.last_error.unwrap_or_default();
    assert!(
        reason.contains("internal error (boom in test.panic)"),
        "{reason}"
    );
    assert!(reason.contains("bug on our side"), "{reason}");
    kit.time.advance(Duration::from_secs(3_600));
    claims_nothing(&w).await;

    let next = kit.enqueue(GATE, 3).await;
    let run = claim_and_run(&w);
    kit.next_attempt().await.answer(Ok(json!("fine")));
    assert_eq!(ran(run).await.status, Some(JobStatus::Succeeded));
    assert_eq!(kit.get(&next.id).await.status, JobStatus::Succeeded);
}

/// A job whose worker dies while running it is re-queued once; when it takes down its
/// second worker too, housekeeping dead-letters it, attempts left or not.
async fn a_job_that_kills_two_workers_is_dead_lettered(db: Db) {
    let mut kit = Kit::new(db);
    let t = kit.time.now_ms();
    let keeper = kit.worker("keeper");
    let job = kit.enqueue(GATE, 5).await;

    // a claims it and dies (its task is gone, its clock stands still).
    let (a, _) = kit.worker_at("a", t);
    let run_a = claim_and_run(&a);
    let _hangs = kit.next_attempt().await;
    run_a.abort();
    kit.time.advance(ms(30_001));
    assert_eq!(keeper.housekeep_once().await.reaped, vec![job.id.clone()]);
    assert_eq!(kit.get(&job.id).await.status, JobStatus::Queued);

    // b claims it and dies the same way.
    let (b, _) = kit.worker_at("b", kit.time.now_ms());
    let run_b = claim_and_run(&b);
    let again = kit.next_attempt().await;
    assert_eq!((again.worker.as_str(), again.job.attempts), ("b", 2));
    run_b.abort();
    kit.time.advance(ms(30_001));
    assert_eq!(keeper.housekeep_once().await.reaped, vec![job.id.clone()]);
    let dead = kit.get(&job.id).await;
    assert_eq!((dead.status, dead.attempts), (JobStatus::Failed, 2));
    assert_eq!(dead.last_error.as_deref(), Some(STOPPED_ITS_WORKER));
    claims_nothing(&keeper).await;
}

// ---------------------------------------------------------------------------------------
// cancellation

/// A queued job cancelled is never claimed. A running one stops at its worker's next
/// beat after the request, or at once when the request is announced on the bus; either
/// way the handler is dropped and the job ends cancelled.
async fn cancelling_a_queued_or_running_job(db: Db) {
    let mut kit = Kit::new(db);
    let w = kit.worker("w");

    let queued = kit.enqueue(GATE, 3).await;
    let cancelled = kit.db.jobs().cancel(&queued.id).await.unwrap().unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    claims_nothing(&w).await;

    // Seen on the beat.
    let t = kit.time.now_ms();
    let running = kit.enqueue(GATE, 3).await;
    let run = claim_and_run(&w);
    let attempt = kit.next_attempt().await;
    kit.time.sleeping_until(t + BEAT).await;
    let requested = kit.db.jobs().cancel(&running.id).await.unwrap().unwrap();
    assert_eq!(requested.status, JobStatus::Running);
    assert!(requested.cancel_requested);
    kit.time.advance(ms(BEAT));
    let ended = ran(run).await;
    assert_eq!(ended.status, Some(JobStatus::Cancelled));
    assert!(attempt.verdict.is_closed(), "the handler was stopped");
    let stored = kit.get(&running.id).await;
    assert_eq!(stored.status, JobStatus::Cancelled);
    assert!(stored.finished_at.is_some());

    // Announced on the bus (as cancelling a run does): no need to wait for the beat.
    let t = kit.time.now_ms();
    let announced = kit.enqueue(GATE, 3).await;
    let run = claim_and_run(&w);
    let attempt = kit.next_attempt().await;
    kit.time.sleeping_until(t + BEAT).await;
    kit.db.jobs().cancel(&announced.id).await.unwrap();
    kit.db
        .publish(JOB_CANCEL_TOPIC, &announced.id)
        .await
        .unwrap();
    let ended = ran(run).await;
    assert_eq!(ended.status, Some(JobStatus::Cancelled));
    assert!(attempt.verdict.is_closed());
    assert_eq!(kit.time.now_ms(), t);
    assert_eq!(kit.get(&announced.id).await.status, JobStatus::Cancelled);
}

// ---------------------------------------------------------------------------------------
// schedules

/// Two workers' housekeeping rounds at the same clock time enqueue a due schedule's job
/// once; missed runs are one job, not several.
async fn a_schedule_fires_once_across_two_workers(db: Db) {
    let kit = Kit::new(db);
    let t = kit.time.now_ms();
    let every = 60_000;
    let a = kit.worker("a");
    let b = kit.worker("b");
    let schedule = kit
        .db
        .schedules()
        .create(GATE, json!({ "scheduled": true }), None, every, t + every)
        .await
        .unwrap();

    kit.time.advance(ms(every - 1));
    assert!(both_housekeep(&a, &b).await.is_empty());

    let mut jobs = Vec::new();
    // Due to the millisecond; the next interval; two runs missed (at 3 and 4 intervals).
    for (step, next) in [(1, 2), (every, 3), (every * 5 / 2, 5)] {
        kit.time.advance(ms(step));
        let now = kit.time.now_ms();
        let fired = both_housekeep(&a, &b).await;
        assert_eq!(fired.len(), 1, "at {now}: {fired:?}");
        assert_eq!(fired[0].run_at, now);
        assert_eq!(fired[0].payload, json!({ "scheduled": true }));
        let after = kit.db.schedules().get(&schedule.id).await.unwrap();
        assert_eq!(after.next_run_at, t + every * next);
        assert_eq!(after.last_job_id.as_deref(), Some(fired[0].id.as_str()));
        assert!(both_housekeep(&a, &b).await.is_empty(), "at {now}, again");
        jobs.push(fired[0].id.clone());
    }
    let counts = kit.db.jobs().counts().await.unwrap();
    assert_eq!(counts[&JobStatus::Queued], 3);
    for id in &jobs {
        assert_eq!(kit.get(id).await.status, JobStatus::Queued);
    }
}

/// The jobs two housekeeping rounds run at once enqueued.
async fn both_housekeep(a: &Worker, b: &Worker) -> Vec<Job> {
    let (x, y) = tokio::join!(a.housekeep_once(), b.housekeep_once());
    x.enqueued.into_iter().chain(y.enqueued).collect()
}

// ---------------------------------------------------------------------------------------
// the loops

/// `Workers` spawned on a test clock: their housekeeping re-queues a dead worker's job
/// once the clock passes the lease, a slot claims it on the wake-up, and a retried job
/// runs again once the clock reaches its back-off. Shutdown needs no clock.
async fn spawned_workers_run_on_the_test_clock(db: Db) {
    let mut kit = Kit::new(db);
    let t = kit.time.now_ms();
    let mut events = kit.db.subscribe();

    // A worker that dies holding a job.
    let orphan = kit.enqueue(GATE, 3).await;
    let (dead, _) = kit.worker_at("dead", t);
    let run_dead = claim_and_run(&dead);
    let _hangs = kit.next_attempt().await;
    run_dead.abort();

    let workers = Workers::spawn(kit.db.clone(), kit.config("live", kit.time.clock()));
    assert_eq!(workers.name(), "live");
    // Housekeeping's first round is at once (nothing to reap yet), then every second.
    kit.time.sleeping_until(t + 1_000).await;
    assert_eq!(kit.get(&orphan.id).await.worker_id.as_deref(), Some("dead"));
    kit.time.advance(ms(30_001));
    let rerun = kit.next_attempt().await;
    assert_eq!(
        (rerun.job.id.as_str(), rerun.worker.as_str()),
        (orphan.id.as_str(), "live/0")
    );
    assert_eq!(rerun.job.attempts, 2);
    rerun.answer(Ok(json!("recovered")));
    wait_for_status(&mut events, &orphan.id, JobStatus::Succeeded).await;

    // A transient failure, retried when the clock reaches the back-off.
    let flaky = kit.enqueue(GATE, 3).await;
    let failed_at = kit.time.now_ms();
    let first = kit.next_attempt().await;
    assert_eq!(first.job.id, flaky.id);
    first.answer(Err(JobError::Transient("flaky".into())));
    wait_for_status(&mut events, &flaky.id, JobStatus::Queued).await;
    assert_eq!(
        kit.get(&flaky.id).await.run_at,
        failed_at + retry_backoff_ms(1)
    );
    kit.time.advance(ms(retry_backoff_ms(1)));
    let second = kit.next_attempt().await;
    assert_eq!(
        (second.job.id.as_str(), second.job.attempts),
        (flaky.id.as_str(), 2)
    );
    second.answer(Ok(json!("second time")));
    wait_for_status(&mut events, &flaky.id, JobStatus::Succeeded).await;

    within("shutdown", workers.shutdown()).await;
    let done = kit.get(&flaky.id).await;
    assert_eq!(done.result, Some(json!("second time")));
}

/// Waits for the worker's announcement that job `id` became `status`.
async fn wait_for_status(
    events: &mut tokio::sync::broadcast::Receiver<bb_store::BusEvent>,
    id: &str,
    status: JobStatus,
) {
    let topic = job_topic(id);
    within(&format!("{topic} {status}"), async {
        loop {
            match events.recv().await {
                Ok(e) if e.topic == topic => {
                    assert_eq!(e.payload, status.as_str(), "{topic}");
                    return;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("the bus: {e}"),
            }
        }
    })
    .await;
}
