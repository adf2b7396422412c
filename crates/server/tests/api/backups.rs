//! Backups of a running deployment (`bb_server::backup`, what `blockbuilders backup`, the
//! scheduled job and the drill call): a database seeded through the API and written to while
//! the backup runs is restored into a fresh database of the same engine, every table equal to
//! the manifest row for row (its content hash), the API boots on the copy, a user deleted
//! after the backup stays deleted, and a corrupted backup fails its drill loudly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::common::{PASSWORD, PostgresDb, SMA_CROSSOVER, TestApp, graph};
use bb_server::backup::{self, Destination, Schedule};
use bb_store::Db;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Seeds through the API: three users with strategies and versions, a backtest (its run,
/// report, trades and notification), a paper run and an audit entry (an export). Returns
/// the users' tokens and ids.
async fn seed(app: &TestApp) -> Vec<crate::common::Account> {
    bb_market::demo::load_demo(app.state.db())
        .await
        .expect("demo data");
    let mut accounts = Vec::new();
    for name in ["ada", "bob", "cyd"] {
        let account = app.register(&format!("{name}.backup@example.com")).await;
        let id = app
            .create_strategy(&account.token, &format!("{name}'s crossover"), "private")
            .await;
        let version = app
            .post(
                &format!("/api/v1/strategies/{id}/versions"),
                Some(&account.token),
                json!({ "graph": graph(SMA_CROSSOVER), "notes": "second" }),
            )
            .await;
        assert_eq!(version.status, StatusCode::CREATED, "{}", version.text);
        let run = app
            .post(
                "/api/v1/backtests",
                Some(&account.token),
                json!({ "strategy_id": id, "symbol": "BTC-USD", "timeframe": "1d" }),
            )
            .await;
        assert_eq!(run.status, StatusCode::ACCEPTED, "{}", run.text);
        let run_id = run.body["id"].as_str().unwrap().to_owned();
        let events = crate::runs::SseStream::open(
            app,
            &format!("/api/v1/backtests/{run_id}/events"),
            &account.token,
        )
        .await
        .collect()
        .await;
        assert_eq!(events.last().map(|e| e.event.as_str()), Some("succeeded"));
        if name == "ada" {
            let datasets = app
                .get("/api/v1/market/datasets", Some(&account.token))
                .await;
            let daily = datasets.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["symbol"] == "BTC-USD" && d["timeframe"] == "1d")
                .expect("the demo's daily BTC")["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let paper = app
                .post(
                    "/api/v1/paper-trades",
                    Some(&account.token),
                    json!({ "strategy_id": id, "dataset_id": daily, "replay_from": "2021-07-20" }),
                )
                .await;
            assert_eq!(paper.status, StatusCode::CREATED, "{}", paper.text);
            let export = app.get("/api/v1/me/export", Some(&account.token)).await;
            assert_eq!(export.status, StatusCode::OK, "{}", export.text);
        }
        accounts.push(account);
    }
    accounts
}

/// Creates strategies through the API until told to stop; counts them.
fn spawn_writer(
    app: &TestApp,
    token: &str,
) -> (
    Arc<AtomicBool>,
    Arc<AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicUsize::new(0));
    let (client, base, token) = (app.client.clone(), app.url(""), token.to_owned());
    let (stop2, made2) = (stop.clone(), made.clone());
    let task = tokio::spawn(async move {
        let mut i = 0;
        // The educator plan allows 200 strategies.
        while !stop2.load(Ordering::SeqCst) && i < 190 {
            i += 1;
            let reply = client
                .post(format!("{base}/api/v1/strategies"))
                .bearer_auth(&token)
                .json(&json!({ "title": format!("written during the backup {i}"),
                               "graph": graph(SMA_CROSSOVER) }))
                .send()
                .await
                .expect("the writer's request");
            assert_eq!(reply.status(), StatusCode::CREATED);
            made2.fetch_add(1, Ordering::SeqCst);
        }
    });
    (stop, made, task)
}

#[tokio::test]
async fn a_backup_taken_under_writes_restores_equal_on_sqlite() {
    let app = TestApp::spawn().await;
    let target_dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        target_dir.path().join("restored.db").display()
    );
    backup_and_restore(&app, &url).await;
}

#[tokio::test]
async fn a_backup_taken_under_writes_restores_equal_on_postgres() {
    let app = TestApp::spawn_postgres().await;
    let target = PostgresDb::create().await;
    backup_and_restore(&app, &target.url).await;
}

async fn backup_and_restore(app: &TestApp, target_url: &str) {
    let accounts = seed(app).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = Destination::open(dir.path().to_str().unwrap(), app.state.config()).unwrap();

    // A writer keeps inserting through the API while the backup runs.
    app.state
        .db()
        .users()
        .set_plan(&accounts[1].id, bb_store::PlanTier::Educator, None)
        .await
        .unwrap();
    let (stop, made, writer) = spawn_writer(app, &accounts[1].token);
    while made.load(Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
    }
    let before = made.load(Ordering::SeqCst);
    let manifest = backup::backup(app.state.db(), &dest)
        .await
        .expect("the backup");
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let total = made.load(Ordering::SeqCst);

    // The manifest is the database at one instant: every table's count in it.
    for table in [
        "users",
        "strategies",
        "strategy_versions",
        "backtest_runs",
        "notifications",
        "audit_log",
        "paper_runs",
    ] {
        let t = manifest
            .tables
            .iter()
            .find(|t| t.name == table)
            .unwrap_or_else(|| panic!("{table} is in the manifest"));
        assert!(t.rows > 0, "{table} has rows");
    }
    let listed = backup::list(&dest).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, manifest.id);

    // Ada leaves after the backup; the destination's ledger learns it at once.
    let ada = &accounts[0];
    let deleted = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me",
            Some(&ada.token),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let subject = bb_store::erasure_subject(&ada.id);
    backup::record_erasure(&dest, &subject).await.unwrap();

    // Restored into a fresh database: checked against the manifest, Ada erased again.
    let target = Db::connect(target_url).await.unwrap();
    let (report, erased) = backup::restore(&dest, None, &target, false)
        .await
        .expect("restore");
    assert_eq!(report.backup_id, manifest.id);
    assert_eq!(report.rows, manifest.total_rows());
    assert!(report.migrated.is_empty(), "{:?}", report.migrated);
    assert_eq!(erased, 1);
    assert!(matches!(
        target.users().get(&ada.id).await,
        Err(bb_store::StoreError::NotFound)
    ));
    // Bob's strategies written before the backup began are all there; those after it
    // ended are not; at most the ones in flight differ.
    let in_backup = manifest
        .tables
        .iter()
        .find(|t| t.name == "strategies")
        .unwrap()
        .rows;
    let during = in_backup as usize - accounts.len();
    assert!(
        during >= before && during <= total,
        "{before} <= {during} <= {total}"
    );
    assert_eq!(
        target.count_rows("strategies").await.unwrap(),
        in_backup - 1,
        "Ada's went"
    );

    // Row for row: a backup of the restored copy has the same content hash per table as the
    // manifest, except the tables Ada's erasure changed.
    let again_dir = tempfile::tempdir().unwrap();
    let again = target
        .backup_to_dir(again_dir.path(), "again")
        .await
        .unwrap();
    let changed_by_erasure = erased_tables(&manifest, &again);
    for table in &manifest.tables {
        let copy = again.tables.iter().find(|t| t.name == table.name).unwrap();
        if changed_by_erasure.contains(&table.name) {
            continue;
        }
        assert_eq!(
            (copy.rows, &copy.hash),
            (table.rows, &table.hash),
            "{}",
            table.name
        );
    }
    assert!(changed_by_erasure.contains(&"users".to_owned()));
    target.close().await;

    // A second restore into the now non-empty database is refused by name.
    let target = Db::connect(target_url).await.unwrap();
    let refused = backup::restore(&dest, None, &target, false)
        .await
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("only into an empty database"),
        "{refused:#}"
    );
    target.close().await;
}

/// The tables whose content differs between two manifests.
fn erased_tables(a: &bb_store::Manifest, b: &bb_store::Manifest) -> Vec<String> {
    a.tables
        .iter()
        .filter(|t| {
            b.tables
                .iter()
                .find(|u| u.name == t.name)
                .is_none_or(|u| u.hash != t.hash)
        })
        .map(|t| t.name.clone())
        .collect()
}

#[tokio::test]
async fn the_drill_boots_the_api_on_a_good_copy_and_alerts_on_a_corrupted_one() {
    let app = TestApp::spawn_with(|c| c.metrics_public = true).await;
    let admin = app.register("root.backup@example.com").await;
    app.make_admin(&admin).await;
    let _ = seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = Destination::open(dir.path().to_str().unwrap(), app.state.config()).unwrap();
    let schedule = Schedule {
        dest: dest.clone(),
        every: Duration::from_secs(86_400),
        keep_daily: 7,
        keep_weekly: 4,
        drill: true,
    };

    // A scheduled run: a backup, then its drill (restored, migrated, served, /ready).
    let result = backup::scheduled(app.state.db(), &schedule)
        .await
        .expect("the run");
    assert_eq!(result["drill"]["ready"], "ready", "{result}");
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.text.contains("bb_backup_last_drill_ok 1"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("bb_backup_last_ok 1"),
        "{}",
        metrics.text
    );
    let age: f64 = metric(&metrics.text, "bb_backup_last_success_age_seconds");
    assert!((0.0..60.0).contains(&age), "{age}");

    // A second backup, one of its files corrupted: the drill fails, says why, the metric
    // turns 0 and every admin is told.
    let second = backup::backup(app.state.db(), &dest).await.unwrap();
    let file = second.files.iter().find(|f| f.path == "db.sqlite").unwrap();
    let path = dir.path().join(&second.id).join(&file.path);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let failed = backup::drill(app.state.db(), &dest, Some(&second.id))
        .await
        .unwrap_err();
    assert!(format!("{failed:#}").contains("damaged"), "{failed:#}");
    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics.text.contains("bb_backup_last_drill_ok 0"),
        "{}",
        metrics.text
    );
    let notes = app.get("/api/v1/notifications", Some(&admin.token)).await;
    assert_eq!(notes.status, StatusCode::OK, "{}", notes.text);
    let alert = notes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "operations.backup")
        .unwrap_or_else(|| panic!("an operations alert: {}", notes.text));
    assert_eq!(alert["title"], "A restore drill failed");
    assert!(
        alert["body"].as_str().unwrap().contains(&second.id),
        "{alert}"
    );
    // Users who are not admins are not told.
    let others = app
        .get(
            "/api/v1/notifications",
            Some(&app.register("dee.backup@example.com").await.token),
        )
        .await;
    assert!(
        others.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "operations.backup")
    );

    // `verify` of the good backup still passes; of the damaged one it names the file.
    let first = result["backup_id"].as_str().unwrap().to_owned();
    let good = backup::verify(&dest, Some(&first), false).await.unwrap();
    assert!(good.rows > 0 && good.ready.is_none());
    let bad = backup::verify(&dest, Some(&second.id), false)
        .await
        .unwrap_err();
    assert!(format!("{bad:#}").contains("db.sqlite"), "{bad:#}");
}

#[tokio::test]
async fn backups_are_overdue_once_per_spell_and_only_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|c| {
        c.backup_to = Some(to.clone());
        c.backup_every = Duration::from_secs(3600);
    })
    .await;
    let admin = app.register("root.overdue@example.com").await;
    app.make_admin(&admin).await;
    let db = app.state.db();
    // Configured: the system schedules exist, once each.
    let backup_schedule = db
        .schedules()
        .get("system:backup")
        .await
        .expect("scheduled");
    assert_eq!(backup_schedule.interval_ms, 3_600_000);
    assert!(db.schedules().get("system:retention").await.is_ok());
    assert!(db.schedules().get("system:backup_watch").await.is_ok());

    let schedule = Schedule::from_config(app.state.config()).unwrap().unwrap();
    let now = bb_store::now_ms();
    assert!(
        !backup::check_overdue(db, &schedule, now).await.unwrap(),
        "not yet"
    );
    let later = now + 3 * 3_600_000;
    assert!(backup::check_overdue(db, &schedule, later).await.unwrap());
    assert!(
        !backup::check_overdue(db, &schedule, later + 60_000)
            .await
            .unwrap(),
        "once"
    );
    let notes = app.get("/api/v1/notifications", Some(&admin.token)).await;
    let overdue: Vec<_> = notes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["title"] == "Backups are overdue")
        .collect();
    assert_eq!(overdue.len(), 1, "{}", notes.text);
    // A good backup ends the spell.
    backup::scheduled(
        db,
        &Schedule {
            drill: false,
            ..schedule.clone()
        },
    )
    .await
    .unwrap();
    assert!(
        !backup::check_overdue(db, &schedule, bb_store::now_ms())
            .await
            .unwrap()
    );
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .trim()
        .parse()
        .unwrap()
}

/// A database of its own (no app and so no other workers) with one user.
async fn lone_db(dir: &std::path::Path) -> (Db, String, bb_server::Config) {
    let url = format!("sqlite://{}", dir.join("ops.db").display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let user = db
        .users()
        .create(bb_store::NewUser {
            email: "ops@example.com".into(),
            password_hash: None,
            display_name: "Ops".into(),
            role: bb_store::Role::Builder,
            plan: bb_store::PlanTier::Free,
            external_subject: None,
        })
        .await
        .unwrap();
    (db, user.id, crate::common::test_config(url))
}

#[tokio::test]
async fn the_daily_retention_job_prunes_by_the_configured_windows() {
    let dir = tempfile::tempdir().unwrap();
    let (db, user, mut config) = lone_db(dir.path()).await;
    config.retention_notifications = bb_server::config::Window(Some(Duration::from_secs(86_400)));
    config.retention_jobs = bb_server::config::parse_window("off").unwrap();
    for i in 0..3 {
        db.notifications()
            .create(bb_store::NewNotification {
                user_id: user.clone(),
                kind: "backtest.succeeded".into(),
                title: format!("note {i}"),
                body: String::new(),
                link: None,
                payload: json!({}),
            })
            .await
            .unwrap();
    }
    // What `serve` and `worker` do at start: the system schedules, and the handlers.
    bb_server::operations::ensure_schedules(&db, &config)
        .await
        .unwrap();
    bb_server::operations::ensure_schedules(&db, &config)
        .await
        .unwrap();
    let schedule = db.schedules().get("system:retention").await.unwrap();
    assert_eq!(schedule.interval_ms, 86_400_000);
    assert_eq!(
        schedule.next_run_at.rem_euclid(86_400_000),
        3 * 3_600_000,
        "03:00 UTC"
    );
    assert!(
        db.schedules().get("system:backup").await.is_err(),
        "no BB_BACKUP_TO"
    );

    // Two days on: the housekeeper enqueues the day's prune once; a worker runs it.
    let (clock, _control) = bb_jobs::Clock::test(bb_store::now_ms() + 2 * 86_400_000);
    let worker = bb_jobs::Worker::new(
        db.clone(),
        bb_jobs::WorkerConfig {
            clock,
            handlers: bb_server::operations::handlers(&config).unwrap(),
            ..bb_jobs::WorkerConfig::default()
        },
    );
    let enqueued = worker.housekeep_once().await.enqueued;
    assert_eq!(enqueued.len(), 1);
    assert_eq!(enqueued[0].kind, "retention");
    assert!(
        worker.housekeep_once().await.enqueued.is_empty(),
        "once a day"
    );
    let ran = worker
        .claim_and_run_one()
        .await
        .unwrap()
        .expect("the prune ran");
    assert_eq!(ran.status, Some(bb_store::JobStatus::Succeeded));
    let job = db.jobs().get(&ran.job.id).await.unwrap();
    let result = job.result.expect("the rows deleted");
    assert_eq!(result["notifications"], 3, "{result}");
    assert_eq!(db.count_rows("notifications").await.unwrap(), 0);
    // `off` kept the finished job itself; users are never touched.
    assert_eq!(db.count_rows("users").await.unwrap(), 1);
    assert!(db.count_rows("jobs").await.unwrap() >= 1);
}

#[tokio::test]
async fn admins_see_the_schedule_and_the_latest_backups_and_drills() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|c| c.backup_to = Some(to.clone())).await;
    let root = app.register("root.ops@example.com").await;
    app.make_admin(&root).await;
    let ada = app.register("ada.ops@example.com").await;
    assert_eq!(
        app.get("/api/v1/admin/backups", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other = app.get("/api/v1/admin/backups", Some(&ada.token)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    let empty = app.get("/api/v1/admin/backups", Some(&root.token)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    crate::conform::assert_conforms("BackupsView", &empty.body);
    assert_eq!(empty.body["schedule"]["every_seconds"], 86_400);
    assert_eq!(empty.body["schedule"]["keep_daily"], 7);
    assert_eq!(empty.body["schedule"]["drill"], true);
    assert!(empty.body["schedule"]["next_run_at"].is_i64());
    assert_eq!(empty.body["last_success_at"], serde_json::Value::Null);
    assert_eq!(empty.body["runs"], json!([]));

    // A backup as `blockbuilders backup` makes it, then a drill of it.
    let dest = Destination::open(&to, app.state.config()).unwrap();
    let made = backup::recorded(app.state.db(), &dest).await.unwrap();
    backup::drill(app.state.db(), &dest, Some(&made.id))
        .await
        .unwrap();
    let seen = app.get("/api/v1/admin/backups", Some(&root.token)).await;
    crate::conform::assert_conforms("BackupsView", &seen.body);
    let runs = seen.body["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["kind"], "drill");
    assert_eq!(runs[0]["detail"]["ready"], "ready");
    assert_eq!(runs[1]["kind"], "backup");
    assert_eq!(runs[1]["status"], "ok");
    assert_eq!(runs[1]["backup_id"], made.id.as_str());
    assert!(runs[1]["detail"]["rows"].as_u64().unwrap() > 0);
    assert_eq!(seen.body["last_drill_ok"], true);
    assert!(seen.body["last_success_at"].is_i64());
}
