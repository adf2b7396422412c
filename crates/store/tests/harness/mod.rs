//! Runs one test body against both backends.
//!
//! - SQLite: a fresh database file in a temporary directory, removed afterwards.
//! - PostgreSQL: a fresh database `bb_test_<uuid>` on the server at `BB_TEST_POSTGRES_URL`
//!   (default `postgres://postgres@127.0.0.1:5432/postgres`; the user must be allowed to
//!   create databases), dropped afterwards with `WITH (FORCE)`, even when the body panics.
//!   An unreachable server FAILS the postgres tests; they are never skipped.

use std::future::Future;

use bb_store::{Backend, Db, redact_url};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The server the postgres half runs against when `BB_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

tokio::task_local! {
    /// The URL of the database the running test body got.
    static DATABASE_URL: String;
}

/// The URL of the test's database, for a body that needs a second [`Db`] on it (as a second
/// process would have). Only inside the body's own task (not in tasks it spawns).
#[allow(dead_code)]
pub fn database_url() -> String {
    DATABASE_URL.with(Clone::clone)
}

/// `conformance!(async fn NAME(db) { .. });` expands to a module `NAME` with two tests,
/// `NAME::sqlite` and `NAME::postgres`, that run the body on a fresh database of each
/// backend. The body gets a migrated [`Db`]; `unmigrated async fn` gives an empty one.
macro_rules! conformance {
    (@expand $migrate:expr, [$($doc:literal)*], $name:ident, $db:ident, $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($db: bb_store::Db) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::harness::on_sqlite($migrate, body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::harness::on_postgres($migrate, body).await;
            }
        }
    };
    ($(#[doc = $doc:literal])* async fn $name:ident($db:ident) $body:block) => {
        conformance!(@expand true, [$($doc)*], $name, $db, $body);
    };
    ($(#[doc = $doc:literal])* unmigrated async fn $name:ident($db:ident) $body:block) => {
        conformance!(@expand false, [$($doc)*], $name, $db, $body);
    };
}

/// Runs `body` on a fresh SQLite file.
pub async fn on_sqlite<F, Fut>(migrate: bool, body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("create a temporary directory");
    // The file does not exist yet: connect must create it.
    let url = format!("sqlite://{}", dir.path().join("bb.db").display());
    let db = Db::connect(&url).await.expect("open a fresh SQLite file");
    assert_eq!(db.backend(), Backend::Sqlite);
    let outcome = run(db, &url, migrate, body).await;
    drop(dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `body` on a fresh PostgreSQL database, dropped afterwards.
pub async fn on_postgres<F, Fut>(migrate: bool, body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url =
        std::env::var("BB_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    // One plain connection (no pool, no retries): an unreachable server fails at once.
    let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {} ({e}). The postgres half of the bb-store \
             conformance suite needs a server where this user may CREATE DATABASE: start one \
             or set BB_TEST_POSTGRES_URL. These tests are never skipped.",
            redact_url(&admin_url)
        )
    });
    let name = format!("bb_test_{}", uuid::Uuid::now_v7().simple());
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
    let url = with_database(&admin_url, &name);
    let outcome = match Db::connect(&url).await {
        Ok(db) => {
            assert_eq!(db.backend(), Backend::Postgres);
            run(db, &url, migrate, body).await
        }
        Err(e) => Err(Box::new(format!("connect to the test database {name}: {e}")) as Panic),
    };
    // Dropped whatever happened in the body.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap_or_else(|e| panic!("DROP DATABASE {name} failed: {e}"));
    let _ = admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

type Panic = Box<dyn std::any::Any + Send>;

/// Migrates (when asked) and runs the body in its own task, so that a panic is caught and
/// returned; closes the pool either way.
async fn run<F, Fut>(db: Db, url: &str, migrate: bool, body: F) -> Result<(), Panic>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if migrate && let Err(e) = db.migrate().await {
        db.close().await;
        return Err(Box::new(format!("migrate a fresh database: {e}")));
    }
    let outcome = tokio::spawn(DATABASE_URL.scope(url.to_owned(), body(db.clone()))).await;
    db.close().await;
    outcome.map_err(|e| {
        if e.is_panic() {
            e.into_panic()
        } else {
            Box::new(format!("test task failed: {e}")) as Panic
        }
    })
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..path_start]),
        None => format!("{}/{name}", &base[..path_start]),
    }
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}
