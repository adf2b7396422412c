//! `bb-store`: the storage layer of Blockbuilders.
//!
//! One repository code path serves two databases: embedded **SQLite** on a laptop and
//! **PostgreSQL** when the service scales out. The backend is chosen once, from the URL given
//! to [`Db::connect`], and every query is a single SQL string with `$1`-style placeholders run
//! through sqlx's `Any` driver.
//!
//! **Architecture Invariant:** this is the only crate that talks SQL. Other crates see
//! repositories ([`Users`], [`RefreshTokens`], [`Audit`], [`Strategies`], [`Plans`], [`CandleStore`]) and plain Rust
//! types; no SQL string, pool or row type crosses this crate's boundary.
//!
//! **Architecture Invariant:** the schema keeps to a *portable subset* so one migration file
//! runs on both databases: ids are `TEXT` (uuid v7 strings), timestamps are `BIGINT` Unix
//! milliseconds, booleans are `INTEGER` 0/1 (decoded as `i64`), JSON is `TEXT`, bytes are
//! `BYTEA` (PostgreSQL's type; SQLite gives the column NUMERIC affinity, which stores a BLOB
//! unchanged; both decode as `Vec<u8>` through `Any`). No column is
//! ever declared `UUID` or `BOOLEAN` (SQLite would give a `UUID` column numeric affinity and
//! silently turn a numeric-looking id into a number; the `Any` driver cannot decode `BOOLEAN`).
//!
//! Backend-specific SQL is allowed only here and only where unavoidable. Today there are
//! four such places, all marked `BACKEND-SPECIFIC`: the SQLite connection pragmas in
//! [`Db::connect`], the "does the bookkeeping table exist" check in
//! [`Db::pending_migrations`], `FOR UPDATE SKIP LOCKED` in [`Jobs::claim_at`] (PostgreSQL
//! only) and `pg_notify` in [`Db::publish`] (PostgreSQL; SQLite's bus is in-process).
//!
//! Background work goes through the durable job queue ([`Jobs`], [`Schedules`]); the event
//! bus ([`Db::publish`], [`Db::subscribe`], [`BusEvent`]) wakes workers and streams up at
//! once, in every process on PostgreSQL (`LISTEN`/`NOTIFY`), in-process only on SQLite.
//!
//! Migrations are append-only SQL files in the workspace's `migrations/` folder, embedded at
//! build time and applied in order by [`Db::migrate`]; changing an applied one is an error.
//!
//! The store reads the clock itself (it is in the outer ring): timestamps are Unix
//! milliseconds, strictly increasing within one process (see [`now_ms`]).

mod account;
mod audit;
mod audit_chain;
pub mod backup;
mod billing;
mod bus;
mod candles;
mod chunk;
mod clock;
mod cohorts;
mod compliance;
mod db;
mod emails;
mod erasure;
mod error;
mod export;
mod holdout;
mod jobs;
mod migrate;
mod model;
mod notifications;
mod paper;
mod plans;
mod retention;
mod revisions;
mod runs;
mod screener;
mod screener_trades;
mod sql;
mod strategies;
mod templates;
mod tokens;
mod users;
mod webhooks;

pub use account::{Account, TokenPurpose};
pub use audit::{Audit, DELETED_USER, NewAuditEntry, VerifiedChain};
pub use audit_chain::{
    AUDIT_PACKAGE_FORMAT, AuditEntry, AuditManifest, AuditPackage, ChainError, ChainPoint,
    GENESIS_HASH, PackageError, PackageSummary, canonical_json, check_recorded_heads, entry_hash,
    sha256_hex, verify_chain, verify_package,
};
pub use backup::{BackupDetail, BackupRun, Manifest, NewBackupRun, RestoreOptions, RestoreReport};
pub use billing::{
    Access, Applied, Billing, BillingSubscription, EventSeen, NewStripeEvent, SubscriptionSnapshot,
    access, current as current_subscription, plan_from,
};
pub use bus::{BusEvent, MAX_EVENT_BYTES, RECONNECTED_TOPIC};
pub use candles::{
    CHUNK_ROWS, CandleStore, ChunkInfo, Dataset, ImportSummary, NewDataset, SourceRange,
};
pub use clock::now_ms;
pub use cohorts::{
    COHORT_MEMBERS_METRIC, COHORTS_METRIC, Cohort, Cohorts, MAX_COHORT_NAME_LEN, Member,
    MemberBacktest,
};
pub use compliance::{Compliance, ComplianceEvent, Decided, Decision, EventFilter};
pub use db::{Backend, Db, redact_url};
pub use emails::{
    AccountEmail, DIGEST_KIND, EMAIL_DELIVERY, EMAIL_MAX_ATTEMPTS, EmailMode, EmailRecord, Emails,
    PendingEmail, Preference, email_topic,
};
pub use erasure::{Erasure, ErasureReport, erasure_subject};
pub use error::StoreError;
pub use export::{EXPORT_PAGE, ExportPage, ExportSection, Owned, UserExport};
pub use holdout::{HoldoutLook, Holdouts};
pub use jobs::{
    DEFAULT_MAX_ATTEMPTS, Heartbeat, Job, JobStatus, Jobs, MAX_KIND_LEN, MAX_LOST_LEASES, NewJob,
    RETRY_BACKOFF_BASE_MS, RETRY_BACKOFF_MAX_MS, STOPPED_ITS_WORKER, Schedule, Schedules, Shared,
    WAKE_TOPIC as JOBS_TOPIC, retry_backoff_ms, system_schedule_id,
};
pub use migrate::{MIGRATIONS, Migration};
pub use model::{
    Audience, ComplianceEntity, ComplianceEventType, ComplianceStatus, PlanTier, Role, RunKind,
    RunStatus, StrategyStatus, TemplateStatus, Visibility,
};
pub use notifications::{
    NOTIFICATION_KINDS, NewNotification, Notification, Notifications, describe_kind, notify_topic,
};
pub use paper::{
    NewPaperEvent, NewPaperRun, PAPER_MARKET_TICK, PAPER_RUNS_METRIC, PAPER_TICK, PaperBasket,
    PaperEvent, PaperMember, PaperRun, PaperRuns, Tick, paper_topic,
};
pub use plans::{PlanLimits, Plans, QuotaCharge, QuotaExceeded};
pub use retention::{PruneReport, RetentionPolicy};
pub use revisions::Revision;
pub use runs::{
    JOB_CANCEL_TOPIC, LIVE_RUNS_METRIC, NewRun, Run, RunEvent, RunFilter, RunLimits, Runs,
    job_topic, run_topic,
};
pub use screener::{
    ALERT_TOPIC, AlertFilter, AlertPage, AlertStats, MAX_SCREENS_PER_USER, MAX_SYMBOLS_PER_SCREEN,
    NewScreenerAlert, SCREENS_TOPIC, Screen, ScreenSpec, ScreenerAlert, ScreenerStore,
};
pub use screener_trades::{
    MAX_OPEN_TRADES_PER_USER, ScreenerTrades, TRADES_TOPIC, TradeLevels, TradeOutcome, TradeSide,
    WatchedTrade,
};
pub use strategies::{
    MAX_IMPORTED_VERSIONS, MAX_TAG_LEN, MAX_TAGS, MAX_TITLE_LEN, NewStrategy, NewVersion, Page,
    Strategies, Strategy, StrategyFilter, StrategyPatch, StrategyVersion,
};
pub use templates::{
    MAX_DISCLOSURE_LEN, MIN_DISCLOSURE_LEN, NewTemplate, Publication, Template, TemplateFilter,
    TemplateSort, Templates,
};
pub use tokens::{RefreshToken, RefreshTokens};
pub use users::{NewUser, SessionCheck, TotpState, User, Users};
pub use webhooks::{
    AttemptRecord, Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, EndpointPatch,
    MAX_ENDPOINTS_PER_USER, NewEndpoint, Next, ROTATION_OVERLAP_MS, TEST_EVENT, WEBHOOK_DELIVERY,
    Webhooks, webhook_topic,
};
