//! Backups and restores on SQLite AND PostgreSQL: taken while a writer commits, restored into
//! an empty database of either engine, checked table by table against the manifest.

#[macro_use]
mod harness;

use std::path::Path;

use bb_store::backup::{self, Manifest, RestoreOptions};
use bb_store::{Db, NewStrategy, NewUser, NewVersion, PlanTier, Role, StoreError, Visibility};
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

async fn user(db: &Db, email: &str) -> String {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some("hash".into()),
            display_name: format!("name of {email}"),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .unwrap()
        .id
}

/// A user with a strategy and its first version, in the store's own transactions.
async fn user_with_strategy(db: &Db, email: &str) {
    let owner = user(db, email).await;
    db.strategies()
        .create(
            NewStrategy {
                owner_id: owner.clone(),
                title: format!("Crossover of {email} \u{e9}\u{1F680}"),
                description: "line one\nline \"two\"".into(),
                tags: vec!["trend".into()],
                visibility: Visibility::Private,
            },
            Some(NewVersion {
                author_id: owner,
                graph: json!({ "schema_version": 2, "nodes": [], "edges": [] }),
                notes: String::new(),
                valid: true,
                diagnostics: json!([]),
            }),
        )
        .await
        .unwrap();
}

async fn count(db: &Db, table: &str) -> u64 {
    // Through a backup of nothing else: the manifest counts rows; here a direct count.
    db.count_rows(table).await.unwrap()
}

/// A fresh PostgreSQL database for a restore target, and how to drop it.
struct Scratch {
    admin: PgConnection,
    name: String,
    url: String,
}

impl Scratch {
    async fn new() -> Scratch {
        let admin_url = std::env::var("BB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| harness::DEFAULT_POSTGRES_URL.to_owned());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        let name = format!("bb_test_{}", uuid::Uuid::now_v7().simple());
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        Scratch { admin, name, url }
    }

    async fn drop(mut self) {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut self.admin)
        .await
        .unwrap();
    }
}

/// Restores `dir` into `target` and checks it against the manifest by backing the restored
/// database up again: same tables, same row counts, same hashes.
async fn restore_and_compare(dir: &Path, manifest: &Manifest, target: &Db) {
    backup::check_files(dir, manifest).unwrap();
    let report = target
        .restore_from_dir(dir, RestoreOptions::default())
        .await
        .unwrap();
    assert_eq!(report.rows, manifest.total_rows());
    assert!(report.migrated.is_empty(), "{:?}", report.migrated);
    let again = tempfile::tempdir().unwrap();
    let copy = target.backup_to_dir(again.path(), "copy").await.unwrap();
    assert_eq!(copy.schema_version, manifest.schema_version);
    assert_eq!(
        copy.tables, manifest.tables,
        "the restored tables differ from the backup's"
    );
}

conformance!(
    /// A backup taken while a writer commits users with strategies is consistent (every
    /// strategy has its version, every user but the one being written has its strategy), and
    /// restores exactly into SQLite and PostgreSQL.
    async fn a_backup_under_writes_restores_into_both_engines(db) {
        for i in 0..20 {
            user_with_strategy(&db, &format!("seed{i}@example.com")).await;
        }
        let writer_db = db.clone();
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let writer = tokio::spawn(async move {
            let mut i = 0;
            loop {
                user_with_strategy(&writer_db, &format!("live{i}@example.com")).await;
                i += 1;
                if *stop_rx.borrow_and_update() {
                    return i;
                }
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let manifest = db.backup_to_dir(dir.path(), "b1").await.unwrap();
        stop_tx.send(true).unwrap();
        let written = writer.await.unwrap();
        assert!(written > 0);

        let rows = |name: &str| manifest.tables.iter().find(|t| t.name == name).unwrap().rows;
        assert!(rows("users") >= 20);
        // The writer creates a user, then (another transaction) its strategy with its version
        // (one transaction): the snapshot may hold the one user whose strategy is still being
        // written, never a strategy without its version.
        let (users, strategies) = (rows("users"), rows("strategies"));
        assert!(
            strategies == users || strategies + 1 == users,
            "{users} users, {strategies} strategies: one snapshot has at most one user in flight"
        );
        assert_eq!(rows("strategy_versions"), strategies);
        assert_eq!(manifest.schema_version, bb_store::MIGRATIONS.last().unwrap().version);
        assert!(manifest.tables.iter().all(|t| t.name != "schema_migrations"));
        assert!(count(&db, "users").await > rows("users") - 1);

        let sqlite_dir = tempfile::tempdir().unwrap();
        let sqlite = Db::connect(&format!("sqlite://{}", sqlite_dir.path().join("r.db").display()))
            .await
            .unwrap();
        restore_and_compare(dir.path(), &manifest, &sqlite).await;
        let scratch = Scratch::new().await;
        let postgres = Db::connect(&scratch.url).await.unwrap();
        restore_and_compare(dir.path(), &manifest, &postgres).await;
        // The restored database works: the store reads it and takes new writes.
        user_with_strategy(&postgres, "after@example.com").await;
        postgres.close().await;
        scratch.drop().await;

        // Not empty any more: refused, nothing touched; with force, replaced.
        let err = sqlite
            .restore_from_dir(dir.path(), RestoreOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert!(err.to_string().contains("--force"), "{err}");
        user_with_strategy(&sqlite, "extra@example.com").await;
        let report = sqlite
            .restore_from_dir(dir.path(), RestoreOptions { force: true })
            .await
            .unwrap();
        assert!(report.dropped.contains(&"users".to_owned()));
        assert_eq!(count(&sqlite, "users").await, rows("users"));
        sqlite.close().await;
    }
);

conformance!(
    /// A damaged file is found by its hash; a row changed inside a consistent file is found
    /// by its table's hash, and the restore writes nothing.
    async fn damage_is_found_and_nothing_is_written(db) {
        for i in 0..3 {
            user_with_strategy(&db, &format!("u{i}@example.com")).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = db.backup_to_dir(dir.path(), "b2").await.unwrap();
        let file = &manifest.files[0];
        let path = dir.path().join(&file.path);
        let mut bytes = std::fs::read(&path).unwrap();
        let original = bytes.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = backup::check_files(dir.path(), &manifest).unwrap_err();
        assert!(err.to_string().contains(&file.path), "{err}");
        assert!(err.to_string().contains("damaged"), "{err}");
        std::fs::write(&path, &original).unwrap();

        // A manifest that disagrees with the data (as a tampered row would).
        let users = manifest.tables.iter_mut().find(|t| t.name == "users").unwrap();
        users.rows += 1;
        std::fs::write(
            dir.path().join(backup::MANIFEST),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
        let target_dir = tempfile::tempdir().unwrap();
        let target = Db::connect(&format!("sqlite://{}", target_dir.path().join("t.db").display()))
            .await
            .unwrap();
        let err = target
            .restore_from_dir(dir.path(), RestoreOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("table users"), "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        assert_eq!(count(&target, "users").await, 0);
        target.close().await;
    }
);

conformance!(
    /// A backup made at an older schema version restores at that version and is migrated
    /// forward; one from a newer build is refused by name.
    unmigrated async fn an_older_backup_is_migrated_forward(db) {
        let older = &bb_store::MIGRATIONS[..bb_store::MIGRATIONS.len() - 2];
        db.migrate_with(older).await.unwrap();
        for i in 0..3 {
            user_with_strategy(&db, &format!("old{i}@example.com")).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let manifest = db.backup_to_dir(dir.path(), "old").await.unwrap();
        assert_eq!(manifest.schema_version, older.last().unwrap().version);
        let target_dir = tempfile::tempdir().unwrap();
        let target = Db::connect(&format!("sqlite://{}", target_dir.path().join("t.db").display()))
            .await
            .unwrap();
        let report = target
            .restore_from_dir(dir.path(), RestoreOptions::default())
            .await
            .unwrap();
        let newest: Vec<String> = bb_store::MIGRATIONS[older.len()..]
            .iter()
            .map(|m| m.name.to_owned())
            .collect();
        assert_eq!(report.migrated, newest);
        assert_eq!(target.pending_migrations().await.unwrap(), 0);
        assert_eq!(count(&target, "users").await, 3);
        target.close().await;

        let mut newer = manifest.clone();
        newer.migrations.push(bb_store::backup::MigrationRef {
            version: 9999,
            name: "9999_future".into(),
            checksum: "x".into(),
        });
        for _ in 0..bb_store::MIGRATIONS.len() {
            newer.migrations.push(newer.migrations[0].clone());
        }
        std::fs::write(
            dir.path().join(backup::MANIFEST),
            serde_json::to_string(&newer).unwrap(),
        )
        .unwrap();
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = Db::connect(&format!("sqlite://{}", fresh_dir.path().join("f.db").display()))
            .await
            .unwrap();
        let err = fresh
            .restore_from_dir(dir.path(), RestoreOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("newer build"), "{err}");
        fresh.close().await;
    }
);

/// The committed backup made at schema version 23 (the last schema before backups
/// existed), on PostgreSQL: three users with strategies, versions and notifications.
/// Regenerate with `BB_WRITE_BACKUP_FIXTURE=1 cargo test -p bb-store --test backup
/// the_schema_23_backup_restores_and_migrates_forward::postgres` (it needs PostgreSQL).
fn schema_23_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backup-schema-23")
}

/// The schema the fixture was taken at.
const FIXTURE_SCHEMA: i64 = 23;

async fn write_schema_23_fixture() {
    let scratch = Scratch::new().await;
    let db = Db::connect(&scratch.url).await.unwrap();
    let older: Vec<_> = bb_store::MIGRATIONS
        .iter()
        .filter(|m| m.version <= FIXTURE_SCHEMA)
        .cloned()
        .collect();
    db.migrate_with(&older).await.unwrap();
    for i in 0..3 {
        user_with_strategy(&db, &format!("fixture{i}@example.com")).await;
    }
    let dir = schema_23_fixture();
    let _ = std::fs::remove_dir_all(&dir);
    let manifest = db.backup_to_dir(&dir, "schema-23-fixture").await.unwrap();
    assert_eq!(manifest.schema_version, FIXTURE_SCHEMA);
    db.close().await;
    scratch.drop().await;
}

conformance!(
    /// An upgrade: the backup committed at schema version 23 restores into either engine,
    /// is checked against its manifest at that version, and is migrated forward to this
    /// build's schema with its rows intact.
    unmigrated async fn the_schema_23_backup_restores_and_migrates_forward(db) {
        if std::env::var_os("BB_WRITE_BACKUP_FIXTURE").is_some() && db.backend() == bb_store::Backend::Postgres {
            write_schema_23_fixture().await;
        }
        let dir = schema_23_fixture();
        let manifest = backup::read_manifest(&dir).unwrap();
        assert_eq!(manifest.schema_version, FIXTURE_SCHEMA);
        let report = db
            .restore_from_dir(&dir, RestoreOptions::default())
            .await
            .unwrap();
        assert_eq!(report.schema_version, FIXTURE_SCHEMA);
        assert_eq!(report.rows, manifest.total_rows());
        let newer: Vec<String> = bb_store::MIGRATIONS
            .iter()
            .filter(|m| m.version > FIXTURE_SCHEMA)
            .map(|m| m.name.to_owned())
            .collect();
        assert!(!newer.is_empty());
        assert_eq!(report.migrated, newer);
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
        assert_eq!(count(&db, "users").await, 3);
        assert_eq!(count(&db, "strategies").await, 3);
        assert_eq!(count(&db, "strategy_versions").await, 3);
        // The migrated copy works through the store: a user reads back and can be erased.
        let (user, _) = db.users().by_email("fixture1@example.com").await.unwrap().unwrap();
        assert!(user.display_name.contains("fixture1"));
        let erased = db
            .erase_user(&user.id, bb_store::Erasure::SelfService)
            .await
            .unwrap();
        assert_eq!(count(&db, "users").await, 2, "{erased:?}");
    }
);
