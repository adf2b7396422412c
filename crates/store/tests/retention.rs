//! Retention (`Db::prune`) on SQLite AND PostgreSQL: every category's old, finished rows go
//! and nothing else does — not live work, not recent rows, never users, strategies, versions
//! or the audit log — and a pruned run still reads back.
//!
//! Everything is created at the real time through the store (or by SQL where the store has
//! no writer that takes a time), and the prune runs 200 days later, so what was created now
//! is older than every window; the rows meant to stay "recent" are stamped a day before the
//! prune.

#[macro_use]
mod harness;

use std::collections::BTreeSet;

use bb_store::{
    Db, NewAuditEntry, NewNotification, NewRun, NewStrategy, NewUser, NewVersion, PlanTier,
    PruneReport, RetentionPolicy, Role, RunKind, RunLimits, User, Visibility, now_ms,
};
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

const DAY: i64 = 86_400_000;

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

fn note(owner: &User) -> NewNotification {
    NewNotification {
        user_id: owner.id.clone(),
        kind: "backtest.succeeded".into(),
        title: "Backtest finished".into(),
        body: "+3.00% over 1 trade".into(),
        link: None,
        payload: json!({}),
    }
}

/// A backtest run taken to success with two progress events; returns its id.
async fn finished_run(db: &Db, owner: &User, strategy: &str) -> String {
    let runs = db.runs();
    let run = runs
        .submit(
            NewRun {
                kind: RunKind::Backtest,
                user_id: owner.id.clone(),
                strategy_id: strategy.to_owned(),
                version: 1,
                dataset_id: None,
                config: json!({ "fee_pct": 0.1 }),
            },
            &RunLimits {
                charges: vec![],
                max_live: None,
            },
            0,
        )
        .await
        .unwrap()
        .unwrap();
    runs.start(&run.id, 1).await.unwrap().unwrap();
    runs.progress(&run.id, 40, "evaluating")
        .await
        .unwrap()
        .unwrap();
    runs.progress(&run.id, 80, "simulating")
        .await
        .unwrap()
        .unwrap();
    runs.succeed(&run.id, &summary(), &report(), note(owner), None)
        .await
        .unwrap()
        .unwrap();
    run.id
}

fn summary() -> serde_json::Value {
    json!({ "metrics": { "trades": 1, "total_return_pct": 3.0 } })
}

fn report() -> serde_json::Value {
    json!({
        "equity": [{ "ts": 0, "equity": 100.0, "drawdown_pct": 0.0 },
                   { "ts": 86_400_000, "equity": 103.0, "drawdown_pct": 0.0 }],
        "trades": [{ "pnl": 3.0 }],
    })
}

/// SQL straight on the test's database.
struct Sql(AnyConnection);

impl Sql {
    async fn open() -> Sql {
        Sql(AnyConnection::connect(&harness::database_url())
            .await
            .unwrap())
    }

    async fn run(&mut self, sql: String) {
        sqlx::query(AssertSqlSafe(sql.clone()))
            .execute(&mut self.0)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of every row, as text.
    async fn keys(&mut self, sql: &str) -> BTreeSet<String> {
        sqlx::query(AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut self.0)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect()
    }

    async fn count(&mut self, table: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut self.0)
            .await
            .unwrap()
    }
}

/// The rows of every table a prune may touch, by key.
#[derive(Debug, Clone, PartialEq)]
struct Rows(Vec<(&'static str, BTreeSet<String>)>);

const TABLES: [(&str, &str); 12] = [
    ("jobs", "SELECT id FROM jobs"),
    ("notifications", "SELECT id FROM notifications"),
    ("webhook_deliveries", "SELECT id FROM webhook_deliveries"),
    (
        "webhook_attempts",
        "SELECT delivery_id FROM webhook_attempts",
    ),
    ("emails", "SELECT id FROM emails"),
    (
        "run_events",
        "SELECT run_id || ':' || kind || ':' || CAST(seq AS TEXT) FROM run_events",
    ),
    (
        "paper_events",
        "SELECT run_id || ':' || kind || ':' || CAST(seq AS TEXT) FROM paper_events",
    ),
    ("screener_alerts", "SELECT id FROM screener_alerts"),
    ("stripe_events", "SELECT id FROM stripe_events"),
    ("refresh_tokens", "SELECT id FROM refresh_tokens"),
    ("account_tokens", "SELECT token_hash FROM account_tokens"),
    ("backtest_runs", "SELECT id FROM backtest_runs"),
];

async fn rows(sql: &mut Sql) -> Rows {
    let mut out = Vec::new();
    for (table, query) in TABLES {
        out.push((table, sql.keys(query).await));
    }
    Rows(out)
}

impl Rows {
    /// These rows without `gone` (table, key).
    fn without(&self, gone: &[(&str, String)]) -> Rows {
        let mut out = self.clone();
        for (table, key) in gone {
            let set = &mut out.0.iter_mut().find(|(t, _)| t == table).unwrap().1;
            assert!(set.remove(key), "{table} has no {key} to lose");
        }
        out
    }
}

conformance!(
    /// Old finished rows of every category go, in batches; queued and running work, pending
    /// deliveries, live tokens, recent rows, users, strategies, versions and the audit log
    /// stay; a pruned run still reads back; a second prune deletes nothing.
    async fn prune_deletes_exactly_the_old_finished_rows(db) {
        let mut sql = Sql::open().await;
        let old = now_ms();
        let at = old + 200 * DAY; // when the prune runs: `old` is past every window
        let recent = at - DAY; // inside every window

        let ada = user(&db, "ada@example.com").await;
        let admin = user(&db, "admin@example.com").await;
        let s = strategy(&db, &ada).await;
        db.users().set_role(&admin.id, Role::Admin, None).await.unwrap();
        db.audit()
            .append(NewAuditEntry {
                entity_type: "test".into(),
                entity_id: ada.id.clone(),
                action: "test.happened".into(),
                actor_id: Some(admin.id.clone()),
                payload: json!({ "n": 1 }),
            })
            .await
            .unwrap();

        // runs: one finished long ago, one finished recently, one still running
        let old_run = finished_run(&db, &ada, &s).await;
        let new_run = finished_run(&db, &ada, &s).await;
        sql.run(format!("UPDATE backtest_runs SET finished_at = {recent} WHERE id = '{new_run}'"))
            .await;
        let live_run = db
            .runs()
            .submit(
                NewRun {
                    kind: RunKind::Sweep,
                    user_id: ada.id.clone(),
                    strategy_id: s.clone(),
                    version: 1,
                    dataset_id: None,
                    config: json!({}),
                },
                &RunLimits { charges: vec![], max_live: None },
                0,
            )
            .await
            .unwrap()
            .unwrap();
        db.runs().start(&live_run.id, 1).await.unwrap();
        db.runs().progress(&live_run.id, 10, "sweeping").await.unwrap().unwrap();

        // jobs in every state, old and recent
        for (id, status, finished) in [
            ("j-ok-old", "succeeded", Some(old)),
            ("j-failed-old", "failed", Some(old)),
            ("j-cancelled-old", "cancelled", Some(old)),
            ("j-queued-old", "queued", None),
            ("j-running-old", "running", None),
            ("j-ok-new", "succeeded", Some(recent)),
        ] {
            let finished = finished.map_or("NULL".to_owned(), |t| t.to_string());
            sql.run(format!(
                "INSERT INTO jobs (id, kind, payload, status, run_at, max_attempts, created_at, \
                 updated_at, finished_at) VALUES ('{id}', 'market_fetch', '{{}}', '{status}', \
                 {old}, 3, {old}, {old}, {finished})"
            ))
            .await;
        }

        // paper runs: ticks over two UTC days (three, then two), a fill and a trade
        sql.run(format!(
            "INSERT INTO datasets (id, source, symbol, timeframe, created_at, updated_at) \
             VALUES ('ds', 'test', 'BTCUSDT', '1h', {old}, {old})"
        ))
        .await;
        let day0 = (old / DAY - 10) * DAY;
        for (id, status, stopped) in
            [("p-stopped", "stopped", old.to_string()), ("p-active", "active", "NULL".into())]
        {
            sql.run(format!(
                "INSERT INTO paper_runs (id, user_id, strategy_id, version, dataset_id, symbol, \
                 timeframe, settings, status, mode, start_ts, created_at, updated_at, stopped_at) \
                 VALUES ('{id}', '{}', '{s}', 1, 'ds', 'BTCUSDT', '1h', '{{}}', '{status}', \
                 'replay', {day0}, {old}, {old}, {stopped})",
                ada.id
            ))
            .await;
            let entries = [
                ("tick", day0),
                ("tick", day0 + 3_600_000),
                ("fill", day0 + 3_600_000),
                ("tick", day0 + 7_200_000),
                ("tick", day0 + DAY),
                ("trade", day0 + DAY),
                ("tick", day0 + DAY + 3_600_000),
            ];
            for (seq, (kind, ts)) in entries.iter().enumerate() {
                let equity = 100 + seq;
                sql.run(format!(
                    "INSERT INTO paper_events (run_id, seq, kind, candle_ts, message, payload, \
                     created_at) VALUES ('{id}', {}, '{kind}', {ts}, '', \
                     '{{\"equity\": {equity}}}', {old})",
                    seq + 1
                ))
                .await;
            }
        }

        // notifications, their emails and webhook deliveries
        for (id, created, read) in [
            ("n-read-old", old, Some(old)),
            ("n-unread-old", old, None),
            ("n-email-queued-old", old, None),
            ("n-email-held-old", old, None),
            ("n-webhook-pending-old", old, None),
            ("n-webhook-done-old", old, None),
            ("n-new", recent, None),
        ] {
            let read = read.map_or("NULL".to_owned(), |t| t.to_string());
            sql.run(format!(
                "INSERT INTO notifications (id, user_id, kind, title, body, read_at, created_at) \
                 VALUES ('{id}', '{}', 'backtest.succeeded', 't', 'b', {read}, {created})",
                ada.id
            ))
            .await;
        }
        sql.run(format!(
            "INSERT INTO webhook_endpoints (id, user_id, url, kinds, secret, created_at, \
             updated_at) VALUES ('ep', '{}', 'https://example.com/hook', '[]', 'whsec_x', \
             {old}, {old})",
            ada.id
        ))
        .await;
        for (id, status, notification, created) in [
            ("d-delivered-old", "delivered", "n-webhook-done-old", old),
            ("d-failed-old", "failed", "n-read-old", old),
            ("d-pending-old", "pending", "n-webhook-pending-old", old),
            ("d-delivered-new", "delivered", "n-new", recent),
        ] {
            sql.run(format!(
                "INSERT INTO webhook_deliveries (id, endpoint_id, user_id, event_type, \
                 notification_id, payload, status, created_at, updated_at) VALUES ('{id}', \
                 'ep', '{}', 'backtest.succeeded', '{notification}', '{{}}', '{status}', \
                 {created}, {created})",
                ada.id
            ))
            .await;
            sql.run(format!(
                "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms) \
                 VALUES ('{id}', 1, {created}, 5)"
            ))
            .await;
        }
        for (id, status, notification, created) in [
            ("e-sent-old", "sent", "n-unread-old", old),
            ("e-failed-old", "failed", "n-read-old", old),
            ("e-digested-old", "digested", "n-read-old", old),
            ("e-queued-old", "queued", "n-email-queued-old", old),
            ("e-held-old", "digest", "n-email-held-old", old),
            ("e-sent-new", "sent", "n-new", recent),
        ] {
            sql.run(format!(
                "INSERT INTO emails (id, user_id, kind, notification_id, status, created_at, \
                 updated_at) VALUES ('{id}', '{}', 'backtest.succeeded', '{notification}', \
                 '{status}', {created}, {created})",
                ada.id
            ))
            .await;
        }

        // screener alerts, Stripe events, refresh and email tokens
        for (id, created) in [("a-old", old), ("a-new", recent)] {
            sql.run(format!(
                "INSERT INTO screener_alerts (id, symbol, alert_type, screen, screen_version, \
                 trigger_time, feed, body, created_at) VALUES ('{id}', 'AAPL', 'gap_up', \
                 'gap', 1, {created}, 'replay', '{{}}', {created})"
            ))
            .await;
        }
        for (id, processed, received) in [
            ("evt_old_handled", Some(old), old),
            ("evt_old_unhandled", None, old),
            ("evt_new_handled", Some(recent), recent),
        ] {
            let processed = processed.map_or("NULL".to_owned(), |t| t.to_string());
            sql.run(format!(
                "INSERT INTO stripe_events (id, type, created, livemode, payload, received_at, \
                 processed_at) VALUES ('{id}', 'customer.subscription.updated', 1, 0, '{{}}', \
                 {received}, {processed})"
            ))
            .await;
        }
        for (id, expires, revoked) in [
            ("rt-expired-old", old, None),
            ("rt-revoked-expired-old", old + 1, Some(old)),
            ("rt-revoked-live", at + DAY, Some(old)),
            ("rt-expired-recently", recent, None),
            ("rt-live", at + DAY, None),
        ] {
            let revoked = revoked.map_or("NULL".to_owned(), |t| t.to_string());
            sql.run(format!(
                "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, \
                 created_at, revoked_at) VALUES ('{id}', '{}', 'fam', 'hash-{id}', {expires}, \
                 {old}, {revoked})",
                ada.id
            ))
            .await;
        }
        for (hash, expires, used) in [
            ("at-used-old", at + DAY, Some(old)),
            ("at-expired-old", old, None),
            ("at-used-recently", at + DAY, Some(recent)),
            ("at-live", at + DAY, None),
        ] {
            let used = used.map_or("NULL".to_owned(), |t| t.to_string());
            sql.run(format!(
                "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, used_at, \
                 created_at) VALUES ('{hash}', '{}', 'reset_password', {expires}, {used}, {old})",
                ada.id
            ))
            .await;
        }

        // the runs' own notifications were created now too: old by the prune's time
        let run_notes = sql.keys("SELECT id FROM notifications WHERE id NOT LIKE 'n-%'").await;
        assert_eq!(run_notes.len(), 2);

        let before = rows(&mut sql).await;
        let kept = [
            sql.count("users").await,
            sql.count("strategies").await,
            sql.count("strategy_versions").await,
            sql.count("audit_log").await,
        ];
        let head = db.audit().head().await.unwrap();

        // keeping everything deletes nothing
        let none = db.prune(&RetentionPolicy::keep_everything(), at).await.unwrap();
        assert_eq!(none, PruneReport::default());
        assert_eq!(rows(&mut sql).await, before);

        // the defaults, in batches of two so every category loops
        let policy = RetentionPolicy { batch: 2, ..RetentionPolicy::default() };
        let pruned = db.prune(&policy, at).await.unwrap();
        assert_eq!(
            pruned,
            PruneReport {
                jobs: 3,
                notifications: 5,
                webhook_deliveries: 2,
                emails: 3,
                run_events: 2,
                paper_ticks: 3,
                screener_alerts: 1,
                stripe_events: 1,
                refresh_tokens: 2,
                account_tokens: 2,
            }
        );
        assert_eq!(pruned.total(), 24);

        let key = |table, key: &str| (table, key.to_owned());
        let mut gone: Vec<(&str, String)> =
            run_notes.iter().map(|id| ("notifications", id.clone())).collect();
        gone.extend([
            key("jobs", "j-ok-old"),
            key("jobs", "j-failed-old"),
            key("jobs", "j-cancelled-old"),
            key("notifications", "n-read-old"),
            key("notifications", "n-unread-old"),
            key("notifications", "n-webhook-done-old"),
            key("webhook_deliveries", "d-delivered-old"),
            key("webhook_deliveries", "d-failed-old"),
            key("webhook_attempts", "d-delivered-old"),
            key("webhook_attempts", "d-failed-old"),
            key("emails", "e-sent-old"),
            key("emails", "e-failed-old"),
            key("emails", "e-digested-old"),
            key("run_events", &format!("{old_run}:progress:3")),
            key("run_events", &format!("{old_run}:progress:4")),
            key("paper_events", "p-stopped:tick:1"),
            key("paper_events", "p-stopped:tick:2"),
            key("paper_events", "p-stopped:tick:5"),
            key("screener_alerts", "a-old"),
            key("stripe_events", "evt_old_handled"),
            key("refresh_tokens", "rt-expired-old"),
            key("refresh_tokens", "rt-revoked-expired-old"),
            key("account_tokens", "at-used-old"),
            key("account_tokens", "at-expired-old"),
        ]);
        let expected = before.without(&gone);
        assert_eq!(rows(&mut sql).await, expected);
        assert_eq!(
            [
                sql.count("users").await,
                sql.count("strategies").await,
                sql.count("strategy_versions").await,
                sql.count("audit_log").await,
            ],
            kept,
            "users, strategies, versions and the audit log are never pruned"
        );
        assert_eq!(db.audit().head().await.unwrap(), head);
        let chain = db.audit().verify().await.unwrap().expect("the chain still verifies");
        assert_eq!(chain.entries, u64::try_from(kept[3]).unwrap());

        // the pruned run still opens: status, summary, report (equity and trades) and its
        // status events
        let run = db.runs().get(&old_run).await.unwrap();
        assert_eq!(run.summary, Some(summary()));
        assert_eq!(db.runs().report(&old_run).await.unwrap(), Some(report()));
        let kinds: Vec<String> = db
            .runs()
            .events_after(&old_run, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["queued", "started", "succeeded"]);
        // the stopped paper run keeps each day's last equity point; the active one all
        let equity = db.paper_runs().equity("p-stopped", 100).await.unwrap();
        assert_eq!(equity, vec![(day0 + 7_200_000, 103.0), (day0 + DAY + 3_600_000, 106.0)]);
        assert_eq!(db.paper_runs().equity("p-active", 100).await.unwrap().len(), 5);

        // nothing is left to prune
        assert_eq!(db.prune(&policy, at).await.unwrap(), PruneReport::default());
        assert_eq!(rows(&mut sql).await, expected);
        sql.0.close().await.unwrap();
    }
);

conformance!(
    /// A category whose window is off keeps everything; the others still prune.
    async fn a_window_turned_off_keeps_its_category(db) {
        let mut sql = Sql::open().await;
        let old = now_ms();
        let at = old + 400 * DAY;
        for id in ["a-1", "a-2", "a-3"] {
            sql.run(format!(
                "INSERT INTO screener_alerts (id, symbol, alert_type, screen, screen_version, \
                 trigger_time, feed, body, created_at) VALUES ('{id}', 'AAPL', 'gap_up', \
                 'gap', 1, {old}, 'replay', '{{}}', {old})"
            ))
            .await;
        }
        sql.run(format!(
            "INSERT INTO jobs (id, kind, payload, status, run_at, max_attempts, created_at, \
             updated_at, finished_at) VALUES ('j', 'market_fetch', '{{}}', 'succeeded', {old}, \
             3, {old}, {old}, {old})"
        ))
        .await;
        let policy = RetentionPolicy { screener_alerts: None, ..RetentionPolicy::default() };
        let report = db.prune(&policy, at).await.unwrap();
        assert_eq!(report, PruneReport { jobs: 1, ..PruneReport::default() });
        assert_eq!(sql.count("screener_alerts").await, 3);
        // a window longer than the age keeps it too
        let policy = RetentionPolicy {
            screener_alerts: Some(std::time::Duration::from_secs(401 * 86_400)),
            ..RetentionPolicy::default()
        };
        assert_eq!(db.prune(&policy, at).await.unwrap(), PruneReport::default());
        // a batch of one still takes them all
        let policy = RetentionPolicy { batch: 1, ..RetentionPolicy::default() };
        let report = db.prune(&policy, at).await.unwrap();
        assert_eq!(report.screener_alerts, 3);
        assert_eq!(sql.count("screener_alerts").await, 0);
        sql.0.close().await.unwrap();
    }
);
