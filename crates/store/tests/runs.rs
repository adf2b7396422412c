//! Runs, their event logs, quotas and notifications, on SQLite AND PostgreSQL.

#[macro_use]
mod harness;

use bb_store::{
    Db, NewNotification, NewRun, NewStrategy, NewUser, NewVersion, PlanTier, QuotaCharge, Role,
    RunFilter, RunKind, RunLimits, RunStatus, User, Visibility,
};
use serde_json::json;

async fn user(db: &Db, email: &str) -> User {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some("hash".into()),
            display_name: "someone".into(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .unwrap()
}

/// A strategy with version 1; returns its id.
async fn strategy(db: &Db, owner: &User) -> String {
    let (s, _) = db
        .strategies()
        .create(
            NewStrategy {
                owner_id: owner.id.clone(),
                title: "Crossover".into(),
                description: String::new(),
                tags: vec![],
                visibility: Visibility::Private,
            },
            Some(NewVersion {
                author_id: owner.id.clone(),
                graph: json!({ "schema_version": 2, "nodes": [], "edges": [] }),
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            }),
        )
        .await
        .unwrap();
    s.id
}

fn new_run(owner: &User, strategy: &str) -> NewRun {
    NewRun {
        kind: RunKind::Backtest,
        user_id: owner.id.clone(),
        strategy_id: strategy.to_owned(),
        version: 1,
        dataset_id: None,
        config: json!({ "fee_pct": 0.1 }),
    }
}

fn daily(limit: i64) -> RunLimits {
    RunLimits {
        charges: vec![QuotaCharge {
            period: "2026-12-01".into(),
            metric: "backtests".into(),
            by: 1,
            limit,
        }],
        max_live: None,
    }
}

fn note(owner: &User, kind: &str) -> NewNotification {
    NewNotification {
        user_id: owner.id.clone(),
        kind: kind.into(),
        title: "Backtest finished".into(),
        body: "+3.00% over 4 trades".into(),
        link: Some("/backtests/x".into()),
        payload: json!({ "n": 1 }),
    }
}

conformance!(
    /// A submission stores the run, its `queued` event and its job, in one go.
    async fn submit_stores_the_run_its_first_event_and_its_job(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = strategy(&db, &ada).await;
        let run = db.runs().submit(new_run(&ada, &s), &daily(5), 3).await.unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Queued);
        assert_eq!(run.config, json!({ "fee_pct": 0.1 }));
        let events = db.runs().events_after(&run.id, 0).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].seq, events[0].kind.as_str()), (1, "queued"));
        let job = db.jobs().get(run.job_id.as_deref().unwrap()).await.unwrap();
        assert_eq!(job.kind, "backtest");
        assert_eq!(job.priority, 3);
        assert_eq!(job.payload, json!({ "run_id": run.id }));
        assert_eq!(job.user_id.as_deref(), Some(ada.id.as_str()));
        assert_eq!(db.plans().usage(&ada.id, "2026-12-01", "backtests").await.unwrap(), 1);
        // a missing strategy version is refused, and nothing is kept
        let mut bad = new_run(&ada, &s);
        bad.version = 7;
        let refused = db.runs().submit(bad, &daily(5), 0).await;
        assert!(matches!(refused, Err(bb_store::StoreError::Invalid(_))), "{refused:?}");
        assert_eq!(db.plans().usage(&ada.id, "2026-12-01", "backtests").await.unwrap(), 1);
        assert_eq!(db.runs().live_count(&ada.id).await.unwrap(), 1);
    }
);

conformance!(
    /// Concurrent submissions never take more than the quota: exactly the units left succeed.
    async fn the_quota_holds_at_its_limit_under_concurrent_submissions(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = strategy(&db, &ada).await;
        db.plans().increment(&ada.id, "2026-12-01", "backtests", 7).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (db, run) = (db.clone(), new_run(&ada, &s));
            tasks.push(tokio::spawn(async move { db.runs().submit(run, &daily(10), 0).await }));
        }
        let mut ok = 0;
        let mut refused = Vec::new();
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Ok(_) => ok += 1,
                Err(e) => refused.push(e),
            }
        }
        assert_eq!(ok, 3);
        assert_eq!(refused.len(), 5);
        for e in &refused {
            assert_eq!((e.metric.as_str(), e.limit, e.used, e.requested), ("backtests", 10, 10, 1));
        }
        assert_eq!(db.plans().usage(&ada.id, "2026-12-01", "backtests").await.unwrap(), 10);
        let page = db
            .runs()
            .list(&RunFilter { user_id: ada.id.clone(), limit: 50, ..RunFilter::default() })
            .await
            .unwrap();
        assert_eq!(page.total, 3);
    }
);

conformance!(
    /// At most `max_live` runs queued or running; a refusal takes no quota and stores nothing.
    async fn the_live_run_limit_refuses_without_taking_quota(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = strategy(&db, &ada).await;
        let limits = RunLimits { max_live: Some(2), ..daily(10) };
        let first = db.runs().submit(new_run(&ada, &s), &limits, 0).await.unwrap().unwrap();
        db.runs().submit(new_run(&ada, &s), &limits, 0).await.unwrap().unwrap();
        let third = db.runs().submit(new_run(&ada, &s), &limits, 0).await.unwrap();
        let e = third.unwrap_err();
        assert_eq!((e.metric.as_str(), e.limit, e.used), ("concurrent_runs", 2, 2));
        assert_eq!(db.plans().usage(&ada.id, "2026-12-01", "backtests").await.unwrap(), 2);
        let counts = db.jobs().counts().await.unwrap();
        assert_eq!(counts.values().sum::<i64>(), 2, "{counts:?}");
        // a finished run frees its slot
        db.runs().cancel(&first.id).await.unwrap().unwrap();
        db.runs().submit(new_run(&ada, &s), &limits, 0).await.unwrap().unwrap();
    }
);

conformance!(
    /// queued → running → progress → succeeded, numbered events, one result and one
    /// notification even when the run is finished twice.
    async fn a_run_finishes_once_with_one_notification(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = strategy(&db, &ada).await;
        let run = db.runs().submit(new_run(&ada, &s), &daily(5), 0).await.unwrap().unwrap();
        let runs = db.runs();
        let mut bus = db.subscribe();
        assert_eq!(runs.start(&run.id, 1).await.unwrap().unwrap().seq, 2);
        assert_eq!(runs.progress(&run.id, 40, "halfway").await.unwrap().unwrap().seq, 3);
        let report = json!({ "equity": [1, 2, 3], "trades": [{ "pnl": 1.5 }] });
        let summary = json!({ "metrics": { "trades": 1 } });
        let (event, notification) = runs
            .succeed(&run.id, &summary, &report, note(&ada, "backtest.succeeded"), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((event.seq, event.kind.as_str()), (4, "succeeded"));
        assert_eq!(notification.user_id, ada.id);
        // the second attempt of the same job records nothing
        let again = runs.succeed(&run.id, &json!({}), &json!({}), note(&ada, "x"), None).await.unwrap();
        assert!(again.is_none());
        assert!(runs.fail(&run.id, "late", note(&ada, "y")).await.unwrap().is_none());
        assert!(runs.cancel(&run.id).await.unwrap().is_none());
        assert!(runs.progress(&run.id, 99, "late").await.unwrap().is_none());
        let done = runs.get(&run.id).await.unwrap();
        assert_eq!((done.status, done.progress), (RunStatus::Succeeded, 100));
        assert_eq!(done.summary, Some(summary));
        assert!(done.started_at.is_some() && done.finished_at.is_some());
        assert_eq!(runs.report(&run.id).await.unwrap(), Some(report));
        let kinds: Vec<String> = runs
            .events_after(&run.id, 1)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["started", "progress", "succeeded"]);
        let notes = db.notifications().list(&ada.id, false, 10, 0).await.unwrap();
        assert_eq!(notes.total, 1);
        // the changes were announced on the bus
        let mut topics = Vec::new();
        while let Ok(Ok(e)) = tokio::time::timeout(std::time::Duration::from_secs(2), bus.recv()).await {
            topics.push(e.topic);
            if topics.iter().any(|t| t.starts_with("notify.")) {
                break;
            }
        }
        assert!(topics.contains(&format!("run.{}", run.id)), "{topics:?}");
        assert!(topics.contains(&format!("notify.{}", ada.id)), "{topics:?}");
    }
);

conformance!(
    /// A failed run keeps its error; a cancelled one stays cancelled; the history lists a
    /// user's runs newest first, filtered, and only as deep as `keep`.
    async fn failures_cancellations_and_the_history(db) {
        let ada = user(&db, "ada@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let s = strategy(&db, &ada).await;
        let runs = db.runs();
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(runs.submit(new_run(&ada, &s), &daily(9), 0).await.unwrap().unwrap().id);
        }
        runs.start(&ids[0], 1).await.unwrap();
        let (event, _) = runs.fail(&ids[0], "no candles", note(&ada, "backtest.failed")).await.unwrap().unwrap();
        assert_eq!(event.payload["error"], "no candles");
        assert_eq!(runs.get(&ids[0]).await.unwrap().error.as_deref(), Some("no candles"));
        runs.cancel_with_job(&ids[1]).await.unwrap().unwrap();
        let job = db.jobs().get(runs.get(&ids[1]).await.unwrap().job_id.as_deref().unwrap()).await.unwrap();
        assert_eq!(job.status, bb_store::JobStatus::Cancelled);
        let all = |status: Option<RunStatus>, keep: Option<i64>| RunFilter {
            user_id: ada.id.clone(),
            status,
            keep,
            limit: 10,
            ..RunFilter::default()
        };
        let page = runs.list(&all(None, None)).await.unwrap();
        let listed: Vec<&str> = page.items.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(listed, ids.iter().rev().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(runs.list(&all(Some(RunStatus::Failed), None)).await.unwrap().total, 1);
        let kept = runs.list(&all(None, Some(2))).await.unwrap();
        assert_eq!(kept.total, 2);
        assert_eq!(kept.items[0].id, ids[3]);
        let theirs = runs
            .list(&RunFilter { user_id: bob.id.clone(), limit: 10, ..RunFilter::default() })
            .await
            .unwrap();
        assert_eq!(theirs.total, 0);
    }
);

conformance!(
    /// Notifications: newest first, unread filter and count, mark one and all read; another
    /// user's are out of reach.
    async fn notifications_are_read_and_marked(db) {
        let ada = user(&db, "ada@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let repo = db.notifications();
        let first = repo.create(note(&ada, "a")).await.unwrap();
        let second = repo.create(note(&ada, "b")).await.unwrap();
        repo.create(note(&bob, "c")).await.unwrap();
        let page = repo.list(&ada.id, false, 10, 0).await.unwrap();
        assert_eq!(page.items.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(page.items[0].payload, json!({ "n": 1 }));
        assert_eq!(page.items[0].channel, "in_app");
        assert_eq!(repo.unread_count(&ada.id).await.unwrap(), 2);
        let read = repo.mark_read(&ada.id, &first.id).await.unwrap();
        assert!(read.read_at.is_some());
        assert_eq!(repo.list(&ada.id, true, 10, 0).await.unwrap().items[0].id, second.id);
        assert!(matches!(repo.mark_read(&bob.id, &second.id).await, Err(bb_store::StoreError::NotFound)));
        assert_eq!(repo.mark_all_read(&ada.id).await.unwrap(), 1);
        assert_eq!(repo.unread_count(&ada.id).await.unwrap(), 0);
        assert_eq!(repo.unread_count(&bob.id).await.unwrap(), 1);
    }
);

conformance!(
    /// Holdout looks: one per run however often it is opened, counted per strategy and
    /// dataset over overlapping stretches of candles.
    async fn holdout_looks_are_counted_once_per_run(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = strategy(&db, &ada).await;
        let robustness = |_: ()| NewRun { kind: RunKind::Robustness, ..new_run(&ada, &s) };
        let first = db.runs().submit(robustness(()), &daily(5), 3).await.unwrap().unwrap();
        let second = db.runs().submit(robustness(()), &daily(5), 3).await.unwrap().unwrap();
        let look = |run: &str, from_ts: i64, to_ts: i64| bb_store::HoldoutLook {
            run_id: run.to_owned(),
            user_id: ada.id.clone(),
            strategy_id: s.clone(),
            dataset_id: "ds".into(),
            from_ts,
            to_ts,
        };
        let holdouts = db.holdouts();
        assert!(!holdouts.opened(&first.id).await.unwrap());
        assert_eq!(holdouts.count(&s, "ds", 100, 200).await.unwrap(), 0);
        assert!(holdouts.record(&look(&first.id, 100, 200)).await.unwrap());
        assert!(!holdouts.record(&look(&first.id, 100, 200)).await.unwrap(), "counted once");
        assert!(holdouts.opened(&first.id).await.unwrap());
        assert!(holdouts.record(&look(&second.id, 150, 250)).await.unwrap());
        assert_eq!(holdouts.count(&s, "ds", 100, 200).await.unwrap(), 2);
        assert_eq!(holdouts.count(&s, "ds", 220, 300).await.unwrap(), 1, "only the overlapping one");
        assert_eq!(holdouts.count(&s, "ds", 300, 400).await.unwrap(), 0);
        assert_eq!(holdouts.count(&s, "other", 100, 200).await.unwrap(), 0);
        assert_eq!(first.kind, RunKind::Robustness);
    }
);
