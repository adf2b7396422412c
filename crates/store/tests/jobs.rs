//! The job queue, schedules and event bus, on SQLite AND on PostgreSQL (`NAME::sqlite`,
//! `NAME::postgres`). The postgres half needs a server (see `harness`).
//!
//! Nothing here sleeps: time moves through the `*_at(now)` methods, and waits for events are
//! bounded by a timeout that only fires when the test is failing.

#[macro_use]
mod harness;

use std::collections::BTreeSet;
use std::time::Duration;

use bb_store::{
    Backend, BusEvent, Db, Heartbeat, JOBS_TOPIC, Job, JobStatus, MAX_EVENT_BYTES, MAX_LOST_LEASES,
    NewJob, NewUser, PlanTier, QuotaCharge, RECONNECTED_TOPIC, RETRY_BACKOFF_BASE_MS, Role,
    STOPPED_ITS_WORKER, Shared, StoreError, User, now_ms, retry_backoff_ms,
};
use serde_json::json;
use tokio::sync::broadcast;

// ---------------------------------------------------------------------------------------
// helpers

/// How long a test waits for an event before it fails.
const EVENT_TIMEOUT: Duration = Duration::from_secs(15);
const LEASE: i64 = 30_000;

async fn user(db: &Db, email: &str) -> User {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some("hash".to_owned()),
            display_name: "someone".to_owned(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .expect("create user")
}

async fn enqueue(db: &Db, new: NewJob) -> Job {
    db.jobs().enqueue(new).await.expect("enqueue")
}

async fn claim_at(db: &Db, worker: &str, now: i64) -> Option<Job> {
    db.jobs()
        .claim_at(worker, LEASE, &[], now)
        .await
        .expect("claim")
}

async fn get(db: &Db, id: &str) -> Job {
    db.jobs().get(id).await.expect("get job")
}

/// The next event on `topic` (others are skipped); fails after [`EVENT_TIMEOUT`].
async fn next_on(rx: &mut broadcast::Receiver<BusEvent>, topic: &str) -> BusEvent {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(event) if event.topic == topic => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the bus closed"),
            }
        }
    };
    tokio::time::timeout(EVENT_TIMEOUT, wait)
        .await
        .unwrap_or_else(|_| panic!("no event on {topic:?} within {EVENT_TIMEOUT:?}"))
}

fn event(topic: &str, payload: &str) -> BusEvent {
    BusEvent {
        topic: topic.to_owned(),
        payload: payload.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// claiming

conformance!(
    /// A job is claimed once: running, held by the worker under a lease, one attempt.
    async fn enqueue_then_claim_once(db) {
        let owner = user(&db, "owner@example.com").await;
        let job = enqueue(
            &db,
            NewJob {
                user_id: Some(owner.id.clone()),
                ..NewJob::new("backtest", json!({ "run_id": "r1" }))
            },
        )
        .await;
        assert_eq!(job.status, JobStatus::Queued);
        assert_eq!(job.attempts, 0);
        assert_eq!(job.max_attempts, 3);
        assert_eq!(job.priority, 0);
        assert_eq!(job.user_id.as_deref(), Some(owner.id.as_str()));
        assert!(job.run_at <= now_ms());
        assert_eq!(get(&db, &job.id).await, job);

        let claimed = db.jobs().claim("w1", LEASE, &[]).await.unwrap().expect("a job");
        assert_eq!(claimed.id, job.id);
        assert_eq!(claimed.status, JobStatus::Running);
        assert_eq!(claimed.attempts, 1);
        assert_eq!(claimed.worker_id.as_deref(), Some("w1"));
        let beat = claimed.heartbeat_at.expect("heartbeat_at");
        assert_eq!(claimed.lease_until, Some(beat + LEASE));
        assert_eq!(claimed.payload, json!({ "run_id": "r1" }));
        assert_eq!(get(&db, &job.id).await, claimed);

        assert_eq!(db.jobs().claim("w2", LEASE, &[]).await.unwrap(), None);
    }
);

conformance!(
    /// Highest priority first, then earliest run_at; a job due later waits for its time.
    async fn claim_order_respects_priority_and_run_at(db) {
        let t = now_ms();
        let at = |run_at: i64, priority: i64, name: &str| NewJob {
            priority,
            run_at: Some(run_at),
            ..NewJob::new("sweep", json!({ "name": name }))
        };
        let low_old = enqueue(&db, at(t - 3_000, 0, "low_old")).await;
        let high_new = enqueue(&db, at(t - 1_000, 5, "high_new")).await;
        let high_old = enqueue(&db, at(t - 2_000, 5, "high_old")).await;
        let top_later = enqueue(&db, at(t + 60_000, 10, "top_later")).await;

        let mut order = Vec::new();
        while let Some(job) = claim_at(&db, "w", t).await {
            order.push(job.id);
        }
        assert_eq!(order, vec![high_old.id, high_new.id, low_old.id]);

        assert_eq!(claim_at(&db, "w", t + 59_999).await, None);
        let later = claim_at(&db, "w", t + 60_000).await.expect("due now");
        assert_eq!(later.id, top_later.id);
    }
);

conformance!(
    /// A claimer can ask for some kinds only.
    async fn claim_filters_by_kind(db) {
        let fetch = enqueue(&db, NewJob::new("market_fetch", json!({}))).await;
        let backtest = enqueue(&db, NewJob::new("backtest", json!({}))).await;
        let t = now_ms();
        let jobs = db.jobs();
        assert_eq!(jobs.claim_at("w", LEASE, &["sweep"], t).await.unwrap(), None);
        let got = jobs.claim_at("w", LEASE, &["backtest", "sweep"], t).await.unwrap();
        assert_eq!(got.map(|j| j.id), Some(backtest.id));
        let got = jobs.claim_at("w", LEASE, &["market_fetch"], t).await.unwrap();
        assert_eq!(got.map(|j| j.id), Some(fetch.id));
    }
);

conformance!(
    /// 50 jobs, 8 workers claiming at once: every job is claimed exactly once.
    async fn concurrent_claims_take_each_job_once(db) {
        let mut all = BTreeSet::new();
        for i in 0..50 {
            all.insert(enqueue(&db, NewJob::new("backtest", json!({ "i": i }))).await.id);
        }
        let mut workers = Vec::new();
        for w in 0..8 {
            let db = db.clone();
            workers.push(tokio::spawn(async move {
                let worker = format!("worker-{w}");
                let mut mine = Vec::new();
                while let Some(job) = db.jobs().claim(&worker, LEASE, &[]).await.unwrap() {
                    assert_eq!(job.worker_id.as_deref(), Some(worker.as_str()));
                    assert_eq!(job.attempts, 1);
                    mine.push(job.id);
                }
                mine
            }));
        }
        let mut claimed = Vec::new();
        for w in workers {
            claimed.extend(w.await.unwrap());
        }
        let unique: BTreeSet<String> = claimed.iter().cloned().collect();
        assert_eq!(unique.len(), claimed.len(), "a job was claimed twice");
        assert_eq!(unique, all, "every job is claimed");
        let counts = db.jobs().counts().await.unwrap();
        assert_eq!(counts[&JobStatus::Running], 50);
        assert_eq!(counts[&JobStatus::Queued], 0);
    }
);

conformance!(
    /// Ten users asking at once for the same work get one job; only its creator is charged.
    /// Once it finishes, the next request queues a new one; progress is kept while running.
    async fn shared_jobs_are_queued_once_and_charged_once(db) {
        let mut users = Vec::new();
        for i in 0..10 {
            users.push(user(&db, &format!("u{i}@example.com")).await);
        }
        let charge = QuotaCharge {
            period: "2026-12-06".into(),
            metric: "data_fetches".into(),
            by: 1,
            limit: 5,
        };
        let mut tasks = Vec::new();
        for u in &users {
            let (db, id, charge) = (db.clone(), u.id.clone(), charge.clone());
            tasks.push(tokio::spawn(async move {
                let new = NewJob { user_id: Some(id), ..NewJob::new("market_fetch", json!({})) };
                db.jobs().enqueue_shared(new, "market_fetch:d1", Some(&charge)).await.unwrap()
            }));
        }
        let mut queued = Vec::new();
        let mut ids = BTreeSet::new();
        for t in tasks {
            match t.await.unwrap() {
                Shared::Queued(job) => {
                    ids.insert(job.id.clone());
                    queued.push(job);
                }
                Shared::Joined(job) => {
                    ids.insert(job.id);
                }
                Shared::OverQuota(e) => panic!("over quota: {e:?}"),
            }
        }
        assert_eq!(queued.len(), 1, "one request queues the job");
        assert_eq!(ids.len(), 1, "every request gets that one job");
        let job = &queued[0];
        assert_eq!(job.dedupe_key.as_deref(), Some("market_fetch:d1"));
        let mut charged = 0;
        for u in &users {
            charged += db.plans().usage(&u.id, "2026-12-06", "data_fetches").await.unwrap();
        }
        assert_eq!(charged, 1, "only the creator is charged");

        // progress only while running
        assert!(!db.jobs().set_progress(&job.id, &json!({"percent": 5})).await.unwrap());
        let now = now_ms();
        let running = claim_at(&db, "w", now).await.unwrap();
        assert_eq!(running.id, job.id);
        assert!(db.jobs().set_progress(&job.id, &json!({"percent": 40})).await.unwrap());
        assert_eq!(get(&db, &job.id).await.progress, Some(json!({"percent": 40})));
        // still the same job while it runs
        let again = db
            .jobs()
            .enqueue_shared(NewJob::new("market_fetch", json!({})), "market_fetch:d1", None)
            .await
            .unwrap();
        assert_eq!(again, Shared::Joined(get(&db, &job.id).await));
        assert!(db.jobs().complete(&job.id, "w", json!({})).await.unwrap());
        // finished: the key is free again
        match db
            .jobs()
            .enqueue_shared(NewJob::new("market_fetch", json!({})), "market_fetch:d1", None)
            .await
            .unwrap()
        {
            Shared::Queued(next) => assert_ne!(next.id, job.id),
            other => panic!("expected a new job, got {other:?}"),
        }
        // a user over the limit queues nothing and is not charged (one the race did not
        // charge: whichever request won it was)
        let tight = QuotaCharge { limit: 0, ..charge };
        let idle = users.iter().find(|u| Some(&u.id) != job.user_id.as_ref()).unwrap();
        let new = NewJob { user_id: Some(idle.id.clone()), ..NewJob::new("market_fetch", json!({})) };
        match db.jobs().enqueue_shared(new, "market_fetch:d2", Some(&tight)).await.unwrap() {
            Shared::OverQuota(e) => assert_eq!((e.limit, e.used), (0, 0)),
            other => panic!("expected over quota, got {other:?}"),
        }
        assert!(db.jobs().active_with_key("market_fetch:d2").await.unwrap().is_none());
    }
);

// ---------------------------------------------------------------------------------------
// leases

conformance!(
    /// Heartbeats extend the lease; once it runs out the reaper gives the job back, the old
    /// worker has lost it (heartbeat Lost, complete refused) and one result is recorded.
    async fn lost_lease_is_reaped_and_reclaimed(db) {
        let job = enqueue(&db, NewJob::new("backtest", json!({}))).await;
        let jobs = db.jobs();
        let t0 = now_ms();
        let first = jobs.claim_at("w1", 10_000, &[], t0).await.unwrap().unwrap();
        assert_eq!(first.lease_until, Some(t0 + 10_000));

        assert_eq!(
            jobs.heartbeat_at(&job.id, "w1", 10_000, t0 + 5_000).await.unwrap(),
            Heartbeat::Extended
        );
        let beaten = get(&db, &job.id).await;
        assert_eq!(beaten.lease_until, Some(t0 + 15_000));
        assert_eq!(beaten.heartbeat_at, Some(t0 + 5_000));
        // another worker cannot renew it
        assert_eq!(
            jobs.heartbeat_at(&job.id, "w2", 10_000, t0 + 5_000).await.unwrap(),
            Heartbeat::Lost
        );

        // the old lease (t0 + 10 s) would have expired; the renewed one has not
        assert_eq!(jobs.reap_at(t0 + 12_000).await.unwrap(), Vec::<String>::new());
        assert_eq!(jobs.reap_at(t0 + 15_001).await.unwrap(), vec![job.id.clone()]);
        let reaped = get(&db, &job.id).await;
        assert_eq!(reaped.status, JobStatus::Queued);
        assert_eq!(reaped.worker_id, None);
        assert_eq!(reaped.lease_until, None);
        assert_eq!(reaped.run_at, t0 + 15_001);
        assert_eq!(reaped.attempts, 1);
        assert!(reaped.last_error.unwrap().contains("lease expired"));

        assert_eq!(
            jobs.heartbeat_at(&job.id, "w1", 10_000, t0 + 15_002).await.unwrap(),
            Heartbeat::Lost
        );
        let second = jobs.claim_at("w2", 10_000, &[], t0 + 15_002).await.unwrap().unwrap();
        assert_eq!(second.id, job.id);
        assert_eq!(second.attempts, 2);

        // the job ran twice; the old worker's result is refused, the new one's kept, once
        assert!(!jobs.complete(&job.id, "w1", json!({ "by": "w1" })).await.unwrap());
        assert!(jobs.complete(&job.id, "w2", json!({ "by": "w2" })).await.unwrap());
        assert!(!jobs.complete(&job.id, "w2", json!({ "by": "again" })).await.unwrap());
        let done = get(&db, &job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.result, Some(json!({ "by": "w2" })));
        assert!(done.finished_at.is_some());
        assert_eq!(done.lease_until, None);
        assert_eq!(
            jobs.heartbeat(&job.id, "w2", 10_000).await.unwrap(),
            Heartbeat::Lost
        );
        assert_eq!(
            jobs.fail(&job.id, "w2", "late", true).await.unwrap(),
            None,
            "a finished job cannot fail"
        );
        // nothing left to reap, however late
        assert_eq!(jobs.reap_at(t0 + 1_000_000).await.unwrap(), Vec::<String>::new());
    }
);

conformance!(
    /// A job whose worker keeps dying fails for good once its attempts are used up; one
    /// that was being cancelled ends cancelled.
    async fn reaping_exhausted_jobs_fails_them(db) {
        let jobs = db.jobs();
        let job = enqueue(
            &db,
            NewJob {
                max_attempts: 2,
                ..NewJob::new("backtest", json!({}))
            },
        )
        .await;
        let t = now_ms();
        // an ordinary failure first: retried, and it does not count as a dead worker
        jobs.claim_at("w0", 1_000, &[], t).await.unwrap().unwrap();
        assert_eq!(
            jobs.fail_at(&job.id, "w0", "database away", true, t + 10).await.unwrap(),
            Some(JobStatus::Queued)
        );
        let t = get(&db, &job.id).await.run_at;
        jobs.claim_at("w1", 1_000, &[], t).await.unwrap().unwrap();
        assert_eq!(jobs.reap_at(t + 999).await.unwrap(), Vec::<String>::new());
        assert_eq!(jobs.reap_at(t + 1_001).await.unwrap(), vec![job.id.clone()]);
        let dead = get(&db, &job.id).await;
        assert_eq!(dead.status, JobStatus::Failed);
        assert_eq!(dead.attempts, 2);
        assert_eq!(
            dead.last_error.as_deref(),
            Some("the worker stopped responding (lease expired) 2 times")
        );
        assert!(dead.finished_at.is_some());
        assert_eq!(claim_at(&db, "w3", t + 10_000).await, None);

        let cancelling = enqueue(&db, NewJob::new("sweep", json!({}))).await;
        let t = cancelling.run_at;
        jobs.claim_at("w1", 1_000, &[], t).await.unwrap().unwrap();
        assert!(jobs.cancel(&cancelling.id).await.unwrap().unwrap().cancel_requested);
        assert_eq!(jobs.reap_at(t + 1_001).await.unwrap(), vec![cancelling.id.clone()]);
        assert_eq!(get(&db, &cancelling.id).await.status, JobStatus::Cancelled);
    }
);

conformance!(
    /// A job whose worker died twice while running it (its lease ran out twice) is
    /// dead-lettered as "this run stopped its worker" without a third try, however many
    /// attempts it had left: a job that crashes its process cannot take down the fleet one
    /// worker after another.
    async fn a_job_that_killed_two_workers_is_not_tried_a_third_time(db) {
        let jobs = db.jobs();
        let job = enqueue(
            &db,
            NewJob {
                max_attempts: 5,
                ..NewJob::new("backtest", json!({}))
            },
        )
        .await;
        let t = job.run_at;
        jobs.claim_at("w1", 1_000, &[], t).await.unwrap().unwrap();
        assert_eq!(jobs.reap_at(t + 1_001).await.unwrap(), vec![job.id.clone()]);
        let once = get(&db, &job.id).await;
        assert_eq!(once.status, JobStatus::Queued);
        assert!(once.last_error.unwrap().contains("lease expired"));
        jobs.claim_at("w2", 1_000, &[], t + 2_000).await.unwrap().unwrap();
        assert_eq!(jobs.reap_at(t + 3_001).await.unwrap(), vec![job.id.clone()]);
        let dead = get(&db, &job.id).await;
        assert_eq!(dead.status, JobStatus::Failed);
        assert_eq!(dead.attempts, 2);
        assert_eq!(dead.last_error.as_deref(), Some(STOPPED_ITS_WORKER));
        assert!(STOPPED_ITS_WORKER.starts_with("this run stopped its worker"));
        assert!(dead.finished_at.is_some());
        assert_eq!(claim_at(&db, "w3", t + 10_000).await, None);
        assert_eq!(MAX_LOST_LEASES, 2);
    }
);

// ---------------------------------------------------------------------------------------
// retries

conformance!(
    /// Retryable failures come back after 1 s, then 2 s; the third failure is final (dead
    /// letter). A non-retryable failure is final at once.
    async fn retries_back_off_then_dead_letter(db) {
        let jobs = db.jobs();
        let job = enqueue(&db, NewJob::new("market_fetch", json!({}))).await;
        let t1 = now_ms();
        jobs.claim_at("w", LEASE, &[], t1).await.unwrap().unwrap();
        assert_eq!(
            jobs.fail_at(&job.id, "other", "not mine", true, t1).await.unwrap(),
            None,
            "only the owner may fail it"
        );
        assert_eq!(
            jobs.fail_at(&job.id, "w", "boom 1", true, t1).await.unwrap(),
            Some(JobStatus::Queued)
        );
        let retry1 = get(&db, &job.id).await;
        assert_eq!(retry1.status, JobStatus::Queued);
        assert_eq!(retry1.run_at, t1 + RETRY_BACKOFF_BASE_MS);
        assert_eq!(retry1.run_at, t1 + 1_000);
        assert_eq!(retry1.worker_id, None);
        assert_eq!(retry1.lease_until, None);
        assert_eq!(retry1.last_error.as_deref(), Some("boom 1"));
        assert_eq!(retry1.finished_at, None);

        assert_eq!(claim_at(&db, "w", t1 + 999).await, None, "backing off");
        let t2 = t1 + 1_000;
        assert_eq!(claim_at(&db, "w", t2).await.unwrap().attempts, 2);
        assert_eq!(
            jobs.fail_at(&job.id, "w", "boom 2", true, t2).await.unwrap(),
            Some(JobStatus::Queued)
        );
        let retry2 = get(&db, &job.id).await;
        assert_eq!(retry2.run_at, t2 + 2_000);
        assert_eq!(retry2.run_at - t2, retry_backoff_ms(2));
        assert!(retry2.run_at - t2 > retry1.run_at - t1, "the back-off grows");

        assert_eq!(claim_at(&db, "w", t2 + 1_999).await, None, "backing off");
        let t3 = t2 + 2_000;
        assert_eq!(claim_at(&db, "w", t3).await.unwrap().attempts, 3);
        assert_eq!(
            jobs.fail_at(&job.id, "w", "boom 3", true, t3).await.unwrap(),
            Some(JobStatus::Failed)
        );
        let dead = get(&db, &job.id).await;
        assert_eq!(dead.status, JobStatus::Failed);
        assert_eq!(dead.attempts, 3);
        assert_eq!(dead.last_error.as_deref(), Some("boom 3"));
        assert_eq!(dead.finished_at, Some(t3));
        assert_eq!(claim_at(&db, "w", t3 + 1_000_000).await, None);

        let once = enqueue(&db, NewJob::new("backtest", json!({}))).await;
        claim_at(&db, "w", now_ms()).await.unwrap();
        assert_eq!(
            jobs.fail(&once.id, "w", "the strategy is invalid", false).await.unwrap(),
            Some(JobStatus::Failed)
        );
        let once = get(&db, &once.id).await;
        assert_eq!(once.status, JobStatus::Failed);
        assert_eq!(once.attempts, 1);
        assert_eq!(once.last_error.as_deref(), Some("the strategy is invalid"));
    }
);

// ---------------------------------------------------------------------------------------
// cancelling

conformance!(
    /// A queued job is cancelled at once; a running one is asked to stop, learns it on its
    /// heartbeat and then ends cancelled; finished ones are left alone.
    async fn cancel_queued_and_running_jobs(db) {
        let jobs = db.jobs();
        let queued = enqueue(&db, NewJob::new("backtest", json!({}))).await;
        let cancelled = jobs.cancel(&queued.id).await.unwrap().unwrap();
        assert_eq!(cancelled.status, JobStatus::Cancelled);
        assert!(cancelled.finished_at.is_some());
        assert!(!cancelled.cancel_requested);
        assert_eq!(claim_at(&db, "w", now_ms()).await, None, "never claimed");
        // again: unchanged
        assert_eq!(jobs.cancel(&queued.id).await.unwrap().unwrap().status, JobStatus::Cancelled);

        let running = enqueue(&db, NewJob::new("sweep", json!({}))).await;
        claim_at(&db, "w", now_ms()).await.unwrap();
        assert_eq!(
            jobs.heartbeat(&running.id, "w", LEASE).await.unwrap(),
            Heartbeat::Extended
        );
        let asked = jobs.cancel(&running.id).await.unwrap().unwrap();
        assert_eq!(asked.status, JobStatus::Running);
        assert!(asked.cancel_requested);
        assert_eq!(asked.finished_at, None);
        assert_eq!(
            jobs.heartbeat(&running.id, "w", LEASE).await.unwrap(),
            Heartbeat::CancelRequested
        );
        assert!(!jobs.finish_cancelled(&running.id, "other").await.unwrap());
        assert!(jobs.finish_cancelled(&running.id, "w").await.unwrap());
        assert!(!jobs.finish_cancelled(&running.id, "w").await.unwrap());
        let stopped = get(&db, &running.id).await;
        assert_eq!(stopped.status, JobStatus::Cancelled);
        assert!(stopped.finished_at.is_some());
        assert_eq!(
            jobs.heartbeat(&running.id, "w", LEASE).await.unwrap(),
            Heartbeat::Lost
        );

        // a cancel wins over a retry
        let failing = enqueue(&db, NewJob::new("sweep", json!({}))).await;
        claim_at(&db, "w", now_ms()).await.unwrap();
        jobs.cancel(&failing.id).await.unwrap();
        assert_eq!(
            jobs.fail(&failing.id, "w", "interrupted", true).await.unwrap(),
            Some(JobStatus::Cancelled)
        );

        // finished jobs are unchanged; unknown ones are None
        let done = enqueue(&db, NewJob::new("backtest", json!({}))).await;
        claim_at(&db, "w", now_ms()).await.unwrap();
        assert!(jobs.complete(&done.id, "w", json!(1)).await.unwrap());
        let before = get(&db, &done.id).await;
        assert_eq!(jobs.cancel(&done.id).await.unwrap(), Some(before));
        assert_eq!(jobs.cancel("no-such-job").await.unwrap(), None);

        let counts = jobs.counts().await.unwrap();
        assert_eq!(counts[&JobStatus::Cancelled], 3);
        assert_eq!(counts[&JobStatus::Succeeded], 1);
        assert_eq!(counts[&JobStatus::Queued], 0);
        assert_eq!(counts.len(), JobStatus::ALL.len());
    }
);

// ---------------------------------------------------------------------------------------
// input rules

conformance!(
    async fn bad_jobs_are_refused(db) {
        let jobs = db.jobs();
        let invalid = |r: Result<Job, StoreError>| matches!(r, Err(StoreError::Invalid(_)));
        assert!(invalid(
            jobs.enqueue(NewJob {
                user_id: Some("nobody".to_owned()),
                ..NewJob::new("backtest", json!({}))
            })
            .await
        ));
        assert!(invalid(jobs.enqueue(NewJob::new("", json!({}))).await));
        assert!(invalid(jobs.enqueue(NewJob::new("Back Test", json!({}))).await));
        assert!(invalid(
            jobs.enqueue(NewJob {
                max_attempts: 0,
                ..NewJob::new("backtest", json!({}))
            })
            .await
        ));
        assert!(matches!(jobs.claim("w", 0, &[]).await, Err(StoreError::Invalid(_))));
        assert!(matches!(jobs.claim("", LEASE, &[]).await, Err(StoreError::Invalid(_))));
        assert_eq!(jobs.get("missing").await, Err(StoreError::NotFound));
        assert_eq!(jobs.counts().await.unwrap()[&JobStatus::Queued], 0);
    }
);

// ---------------------------------------------------------------------------------------
// schedules

conformance!(
    /// A due schedule enqueues its job once even when two processes look at once, and after
    /// downtime it enqueues one job and skips the missed runs.
    async fn schedules_enqueue_each_due_run_once(db) {
        let owner = user(&db, "paper@example.com").await;
        let t0 = now_ms();
        let every = 60_000;
        let s = db
            .schedules()
            .create("paper_tick", json!({ "paper_run": "p1" }), Some(&owner.id), every, t0)
            .await
            .unwrap();
        assert!(s.enabled);
        assert_eq!(s.next_run_at, t0);
        assert_eq!(db.schedules().get(&s.id).await.unwrap(), s);

        assert_eq!(db.schedules().enqueue_due_at(t0 - 1).await.unwrap(), Vec::<Job>::new());

        let schedules = db.schedules();
        let (a, b, c, d) = tokio::join!(
            schedules.enqueue_due_at(t0 + 5),
            schedules.enqueue_due_at(t0 + 5),
            schedules.enqueue_due_at(t0 + 5),
            schedules.enqueue_due_at(t0 + 5),
        );
        let mut enqueued = a.unwrap();
        enqueued.extend(b.unwrap());
        enqueued.extend(c.unwrap());
        enqueued.extend(d.unwrap());
        assert_eq!(enqueued.len(), 1, "one job per due run: {enqueued:?}");
        let job = &enqueued[0];
        assert_eq!(job.kind, "paper_tick");
        assert_eq!(job.payload, json!({ "paper_run": "p1" }));
        assert_eq!(job.user_id.as_deref(), Some(owner.id.as_str()));
        assert_eq!(job.run_at, t0 + 5);
        assert_eq!(get(&db, &job.id).await, *job);
        let after = db.schedules().get(&s.id).await.unwrap();
        assert_eq!(after.next_run_at, t0 + every);
        assert_eq!(after.last_job_id.as_deref(), Some(job.id.as_str()));
        assert_eq!(db.jobs().counts().await.unwrap()[&JobStatus::Queued], 1);

        // not due again until the next interval
        assert_eq!(
            db.schedules().enqueue_due_at(t0 + every - 1).await.unwrap(),
            Vec::<Job>::new()
        );
        // down for four and a half intervals: one job, next run on the rhythm after now
        let late = t0 + every * 5 + 30_000;
        let caught_up = db.schedules().enqueue_due_at(late).await.unwrap();
        assert_eq!(caught_up.len(), 1);
        assert_eq!(db.schedules().get(&s.id).await.unwrap().next_run_at, t0 + every * 6);

        // paused: nothing; resumed: due again
        let paused = db.schedules().set_enabled(&s.id, false).await.unwrap();
        assert!(!paused.enabled);
        assert!(db.schedules().enqueue_due_at(late + every * 10).await.unwrap().is_empty());
        db.schedules().set_enabled(&s.id, true).await.unwrap();
        assert_eq!(db.schedules().enqueue_due_at(late + every * 10).await.unwrap().len(), 1);

        assert!(db.schedules().delete(&s.id).await.unwrap());
        assert!(!db.schedules().delete(&s.id).await.unwrap());
        assert_eq!(db.schedules().get(&s.id).await, Err(StoreError::NotFound));
        assert!(matches!(
            db.schedules().set_enabled(&s.id, true).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(db.jobs().counts().await.unwrap()[&JobStatus::Queued], 3, "jobs stay");

        assert!(matches!(
            db.schedules().create("paper_tick", json!({}), None, 0, t0).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            db.schedules().create("paper_tick", json!({}), Some("nobody"), every, t0).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

conformance!(
    /// A system schedule is created once however many processes ensure it at once, keeps its
    /// rhythm when ensured again unchanged, and takes a changed interval (the next run no
    /// later than one new interval from now).
    async fn system_schedules_are_created_once_and_follow_the_configuration(db) {
        let t0 = now_ms();
        let day = 86_400_000;
        // a second Db on the same database, as another process would have
        let other = Db::connect(&harness::database_url()).await.unwrap();
        let (mine, theirs) = (db.schedules(), other.schedules());
        let (a, b, c, d) = tokio::join!(
            mine.ensure_system_at("retention", day, t0 + 60_000, t0),
            theirs.ensure_system_at("retention", day, t0 + 60_000, t0),
            mine.ensure_system_at("retention", day, t0 + 60_000, t0),
            theirs.ensure_system_at("retention", day, t0 + 60_000, t0),
        );
        let (a, b, c, d) = (a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap());
        assert_eq!(a.id, "system:retention");
        assert_eq!(a.id, bb_store::system_schedule_id("retention"));
        assert_eq!((&a, &a, &a), (&b, &c, &d), "every caller sees the one schedule");
        assert_eq!(a.kind, "retention");
        assert_eq!(a.payload, json!({}));
        assert_eq!(a.user_id, None);
        assert_eq!(a.interval_ms, day);
        assert_eq!(a.next_run_at, t0 + 60_000);
        assert!(a.enabled);

        // it runs, then a restart ensures it again unchanged: nothing moves
        let jobs = db.schedules().enqueue_due_at(t0 + 60_000).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].kind, "retention");
        assert_eq!(jobs[0].user_id, None);
        let ran = db.schedules().get(&a.id).await.unwrap();
        assert_eq!(ran.next_run_at, t0 + 60_000 + day);
        let again = db
            .schedules()
            .ensure_system_at("retention", day, t0 + 999_999, t0 + 120_000)
            .await
            .unwrap();
        assert_eq!(again, ran, "an unchanged configuration changes nothing");

        // a shorter interval: the next run comes within one new interval of now
        let hour = 3_600_000;
        let now = t0 + 120_000;
        let shorter = db
            .schedules()
            .ensure_system_at("retention", hour, t0, now)
            .await
            .unwrap();
        assert_eq!(shorter.interval_ms, hour);
        assert_eq!(shorter.next_run_at, now + hour);
        assert_eq!(shorter.last_job_id, ran.last_job_id);
        assert_eq!(db.schedules().get(&a.id).await.unwrap(), shorter);
        // a longer one: the run already due stays, the rhythm after it is the new one
        let longer = db
            .schedules()
            .ensure_system_at("retention", day * 7, t0, now + 1)
            .await
            .unwrap();
        assert_eq!(longer.interval_ms, day * 7);
        assert_eq!(longer.next_run_at, now + hour);
        let jobs = db.schedules().enqueue_due_at(now + hour).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            db.schedules().get(&a.id).await.unwrap().next_run_at,
            now + hour + day * 7
        );

        // a paused system schedule stays paused when ensured again
        db.schedules().set_enabled(&a.id, false).await.unwrap();
        let paused = db.schedules().ensure_system("retention", day * 7, t0).await.unwrap();
        assert!(!paused.enabled);

        // another kind is another schedule; bad input is refused
        let backups = db.schedules().ensure_system("backup", day, t0).await.unwrap();
        assert_eq!(backups.id, "system:backup");
        assert!(matches!(
            db.schedules().ensure_system("retention", 0, t0).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            db.schedules().ensure_system("Bad Kind", day, t0).await,
            Err(StoreError::Invalid(_))
        ));
        other.close().await;
    }
);

// ---------------------------------------------------------------------------------------
// the bus

conformance!(
    /// A subscriber receives what is published, and enqueueing announces the job's kind.
    async fn bus_delivers_events(db) {
        let mut rx = db.subscribe();
        db.publish("jobs", "x").await.unwrap();
        assert_eq!(next_on(&mut rx, "jobs").await, event("jobs", "x"));

        enqueue(&db, NewJob::new("market_fetch", json!({}))).await;
        assert_eq!(next_on(&mut rx, JOBS_TOPIC).await, event("jobs", "market_fetch"));

        // a reaped job is announced again
        let t = now_ms();
        let job = claim_at(&db, "w", t).await.unwrap();
        db.jobs().reap_at(t + LEASE + 1).await.unwrap();
        assert_eq!(next_on(&mut rx, JOBS_TOPIC).await, event("jobs", &job.kind));

        // every subscriber gets every event
        let mut late = db.subscribe();
        db.publish("run.r1", "3").await.unwrap();
        assert_eq!(next_on(&mut rx, "run.r1").await, event("run.r1", "3"));
        assert_eq!(next_on(&mut late, "run.r1").await, event("run.r1", "3"));

        // small events only, and a topic
        let big = "x".repeat(MAX_EVENT_BYTES);
        assert!(matches!(db.publish("run.r1", &big).await, Err(StoreError::Invalid(_))));
        assert!(matches!(db.publish("", "x").await, Err(StoreError::Invalid(_))));
    }
);

conformance!(
    /// Two `Db`s on one database, as two processes would have. On PostgreSQL an event
    /// published by one reaches the other; on SQLite it does not (documented: consumers keep
    /// a slow poll).
    async fn bus_crosses_processes_on_postgres(db) {
        let other = Db::connect(&harness::database_url()).await.expect("second Db");
        let mut theirs = other.subscribe();
        let mut ours = db.subscribe();
        db.publish("run.abc", "7").await.unwrap();
        match db.backend() {
            Backend::Postgres => {
                assert_eq!(next_on(&mut theirs, "run.abc").await, event("run.abc", "7"));
                assert_eq!(next_on(&mut ours, "run.abc").await, event("run.abc", "7"));
                // and back
                other.publish("notify.u1", "n1").await.unwrap();
                assert_eq!(next_on(&mut ours, "notify.u1").await, event("notify.u1", "n1"));
                assert_eq!(next_on(&mut theirs, "notify.u1").await, event("notify.u1", "n1"));
            }
            Backend::Sqlite => {
                // in-process delivery is synchronous: no waiting needed to see what arrived
                assert_eq!(ours.try_recv().unwrap(), event("run.abc", "7"));
                assert_eq!(theirs.try_recv(), Err(broadcast::error::TryRecvError::Empty));
            }
        }
        other.close().await;
        assert!(matches!(other.publish("run.abc", "8").await, Err(StoreError::Database(_))));
        // the first Db is not affected
        db.publish("run.abc", "9").await.unwrap();
        assert_eq!(next_on(&mut ours, "run.abc").await, event("run.abc", "9"));
    }
);

conformance!(
    /// When PostgreSQL drops the listening connection, the bus reconnects, says so with
    /// `bus.reconnected`, and delivers again. (SQLite has no connection to lose.)
    async fn bus_reconnects_after_the_listener_is_killed(db) {
        let mut rx = db.subscribe();
        if db.backend() == Backend::Postgres {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&harness::database_url()).await.unwrap();
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND query LIKE 'LISTEN%'",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap();
            assert_eq!(killed, vec![true], "exactly one listening connection");
            admin.close().await.unwrap();
            assert_eq!(next_on(&mut rx, RECONNECTED_TOPIC).await, event(RECONNECTED_TOPIC, ""));
        }
        db.publish("jobs", "after").await.unwrap();
        assert_eq!(next_on(&mut rx, "jobs").await, event("jobs", "after"));
    }
);
