//! The connection pool and the choice of backend.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::bus::Bus;
use crate::error::map_err;
use crate::{CandleStore, Jobs, Plans, RefreshTokens, Schedules, StoreError, Strategies, Users};

/// Which database a [`Db`] talks to; chosen once, from the URL, at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (a file, or `sqlite::memory:`).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Invalid(format!(
                "unsupported database URL {:?}: use sqlite://PATH, sqlite::memory: or \
                 postgres://USER@HOST:PORT/DB",
                redact_url(url)
            )))
        }
    }
}

/// The database: a connection pool plus the backend it talks to. Cheap to clone.
///
/// Get repositories from it: [`Db::users`], [`Db::tokens`], [`Db::strategies`],
/// [`Db::plans`], [`Db::candles`], [`Db::jobs`], [`Db::schedules`]; events from
/// [`Db::publish`] and [`Db::subscribe`].
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// The URL with any password replaced by `***`, for `Debug`.
    redacted_url: Arc<str>,
    /// The event bus (see `bus.rs`), shared by the clones.
    pub(crate) bus: Arc<Bus>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("url", &self.redacted_url)
            .field("pool_size", &self.pool.size())
            .field("pool_idle", &self.pool.num_idle())
            .finish()
    }
}

/// Connections in a file SQLite pool. SQLite serialises writers anyway (WAL lets readers go
/// on while one writer writes), so a few connections are enough.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Connections in a PostgreSQL pool, per process.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
/// Per-connection SQLite settings: wait up to 5 s for another writer's lock, enforce foreign
/// keys, write-ahead log (readers do not block the writer). busy_timeout comes first so that
/// switching the journal to WAL waits for other connections instead of failing.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;";

impl Db {
    /// Connects to `url` and checks that one connection works.
    ///
    /// - `sqlite://path/to/file.db`: the file is created if missing (`mode=rwc` is added unless
    ///   the URL sets a `mode`); WAL journal, 5 s busy timeout, foreign keys on.
    /// - `sqlite::memory:`: a private in-memory database, on exactly one connection (each
    ///   connection would otherwise get its own empty database), kept open for the life of
    ///   the pool.
    /// - `postgres://user[:password]@host:port/db`. Besides the pool, one connection
    ///   `LISTEN`s for the event bus (see [`Db::publish`]); it is listening when this returns.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        // Idempotent: only the first call installs the compiled-in drivers.
        sqlx::any::install_default_drivers();

        let backend = Backend::from_url(url)?;
        let redacted_url: Arc<str> = redact_url(url).into();
        let (url, options) = match backend {
            Backend::Sqlite if is_sqlite_memory(url) => (
                url.to_owned(),
                AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None),
            ),
            Backend::Sqlite => (
                with_create_mode(url),
                AnyPoolOptions::new().max_connections(SQLITE_MAX_CONNECTIONS),
            ),
            Backend::Postgres => (
                url.to_owned(),
                AnyPoolOptions::new().max_connections(POSTGRES_MAX_CONNECTIONS),
            ),
        };
        let options = options.acquire_timeout(Duration::from_secs(30));
        let options = if backend == Backend::Sqlite {
            // BACKEND-SPECIFIC: SQLite pragmas. They are per connection, so they run on every
            // new connection of the pool.
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut *conn).await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(&url)
            .await
            .map_err(|e| connect_error(&redacted_url, e))?;
        let bus = match backend {
            Backend::Sqlite => Bus::local(),
            Backend::Postgres => match Bus::postgres(&url).await {
                Ok(bus) => bus,
                Err(e) => {
                    pool.close().await;
                    return Err(e);
                }
            },
        };
        Ok(Db {
            pool,
            backend,
            redacted_url,
            bus: Arc::new(bus),
        })
    }

    /// The URL it was opened with, any password replaced by `***`.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    /// The backend chosen at connect.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs a trivial query, to check the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err(e, &[], ""))?;
        if one == 1 {
            Ok(())
        } else {
            Err(StoreError::Database(format!("SELECT 1 returned {one}")))
        }
    }

    /// Connections currently open (idle or in use).
    pub fn pool_size(&self) -> u32 {
        self.pool.size()
    }

    /// Connections open and idle.
    pub fn pool_idle(&self) -> usize {
        self.pool.num_idle()
    }

    /// Closes the pool: waits for connections in use to come back, then closes them all.
    /// Later calls fail. Stops the event bus's listener first (subscribers then receive
    /// nothing more). (Graceful shutdown; the test harness closes before dropping a test
    /// database.)
    pub async fn close(&self) {
        self.bus.stop().await;
        self.pool.close().await;
    }

    /// Users and their accounts.
    pub fn users(&self) -> Users<'_> {
        Users { db: self }
    }

    /// Refresh tokens (rotation, reuse detection, revocation).
    pub fn tokens(&self) -> RefreshTokens<'_> {
        RefreshTokens { db: self }
    }

    /// Strategies, their tags and their versions.
    pub fn strategies(&self) -> Strategies<'_> {
        Strategies { db: self }
    }

    /// Plan limits and usage counters.
    pub fn plans(&self) -> Plans<'_> {
        Plans { db: self }
    }

    /// The job queue.
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { db: self }
    }

    /// Recurring jobs.
    pub fn schedules(&self) -> Schedules<'_> {
        Schedules { db: self }
    }

    /// Backtest and sweep runs and their event logs.
    pub fn runs(&self) -> crate::Runs<'_> {
        crate::Runs { db: self }
    }

    /// Holdout looks of robustness runs.
    pub fn holdouts(&self) -> crate::Holdouts<'_> {
        crate::Holdouts { db: self }
    }

    /// Paper runs and their ledgers.
    pub fn paper_runs(&self) -> crate::PaperRuns<'_> {
        crate::PaperRuns { db: self }
    }

    /// Templates and their clones.
    pub fn templates(&self) -> crate::Templates<'_> {
        crate::Templates { db: self }
    }

    /// Cohorts and their members.
    pub fn cohorts(&self) -> crate::Cohorts<'_> {
        crate::Cohorts { db: self }
    }

    /// Compliance events: reviews and takedowns.
    pub fn compliance(&self) -> crate::Compliance<'_> {
        crate::Compliance { db: self }
    }

    /// The audit log (a hash chain) and its export.
    pub fn audit(&self) -> crate::Audit<'_> {
        crate::Audit { db: self }
    }

    /// Verification and password-reset tokens, verified addresses, known devices.
    pub fn account(&self) -> crate::Account<'_> {
        crate::Account { db: self }
    }

    /// Notification preferences and the email outbox.
    pub fn emails(&self) -> crate::Emails<'_> {
        crate::Emails { db: self }
    }

    /// Stripe customers, subscriptions and events.
    pub fn billing(&self) -> crate::Billing<'_> {
        crate::Billing { db: self }
    }

    /// Webhook endpoints, deliveries and attempts.
    pub fn webhooks(&self) -> crate::Webhooks<'_> {
        crate::Webhooks { db: self }
    }

    /// The screener's alerts and users' screens.
    pub fn screener(&self) -> crate::ScreenerStore<'_> {
        crate::ScreenerStore { db: self }
    }

    /// Trades watched from screener alerts.
    pub fn screener_trades(&self) -> crate::ScreenerTrades<'_> {
        crate::ScreenerTrades { db: self }
    }

    /// In-app notifications.
    pub fn notifications(&self) -> crate::Notifications<'_> {
        crate::Notifications { db: self }
    }

    /// Candle datasets and their compressed chunks.
    pub fn candles(&self) -> CandleStore<'_> {
        CandleStore {
            db: self,
            chunk_rows: crate::CHUNK_ROWS,
        }
    }
}

fn connect_error(redacted_url: &str, err: sqlx::Error) -> StoreError {
    StoreError::Database(format!("cannot connect to {redacted_url}: {err}"))
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Adds `mode=rwc` (create the file if missing) unless the URL chooses a mode.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The URL with the password (in the user info or a `password=` parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = url.find("://") {
        let rest_start = scheme_end + 3;
        let rest = &url[rest_start..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            out = format!(
                "{}***{}",
                &url[..rest_start + colon + 1],
                &url[rest_start + at..]
            );
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{base}{query}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(Backend::from_url("sqlite://bb.db"), Ok(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://u@h:5432/d"),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/d"),
            Ok(Backend::Postgres)
        );
        assert!(matches!(
            Backend::from_url("mysql://u:secret@h/d"),
            Err(StoreError::Invalid(m)) if !m.contains("secret")
        ));
    }

    #[test]
    fn redaction_hides_passwords() {
        assert_eq!(
            redact_url("postgres://bb:s3cr%40t@db.example:5432/bb?sslmode=require"),
            "postgres://bb:***@db.example:5432/bb?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://bb@db/bb?password=hunter2&sslmode=require"),
            "postgres://bb@db/bb?password=***&sslmode=require"
        );
        assert_eq!(redact_url("postgres://bb@db/bb"), "postgres://bb@db/bb");
        assert_eq!(redact_url("sqlite://bb.db"), "sqlite://bb.db");
    }

    #[test]
    fn create_mode_is_added_once() {
        assert_eq!(with_create_mode("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            with_create_mode("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }

    #[tokio::test]
    async fn in_memory_sqlite_keeps_one_connection() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        assert_eq!(db.backend(), Backend::Sqlite);
        let shown = format!("{db:?}");
        assert!(shown.contains("Sqlite"), "{shown}");
        db.ping().await.unwrap();
        assert_eq!(db.pool_size(), 1);
        // the schema lives as long as the pool: migrate, then the tables are still there
        db.migrate().await.unwrap();
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
        assert_eq!(db.plans().count_strategies("nobody").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn sqlite_file_is_created_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        assert!(!path.exists());
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        assert!(path.exists(), "mode=rwc creates the file");
        assert!(
            dir.path().join("new.db-wal").exists(),
            "the journal is a write-ahead log"
        );
        db.close().await;
    }
}
