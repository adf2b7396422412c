//! `bb-jobs`: the background workers (outer ring).
//!
//! [`Workers::spawn`] starts a pool of slots in the current process that claim jobs from the
//! durable queue in the store (`bb_store::Jobs`) and run them: backtests and sweeps
//! (computed on engine threads with a large stack, never on the async runtime's threads;
//! a panic becomes a failed run), and market-data
//! fetches. Each claimed job holds a lease renewed by heartbeats; a worker that dies stops
//! renewing, and the housekeeping task of any live worker re-queues its job once the lease
//! has expired. Results are written idempotently: a run computed twice records one result
//! and one notification.
//!
//! The workers read the time and wait on the [`Clock`] of their [`WorkerConfig`] (the system
//! clock unless told otherwise) and run the job kinds of its [`Handlers`] (the product's
//! unless told otherwise). A test gives them [`Clock::test`] and its own kinds, and drives a
//! [`Worker`] a step at a time or lets [`Workers`] loop on the test clock (see
//! `tests/workers.rs`).
//!
//! `blockbuilders serve` runs the workers in-process; `blockbuilders worker` runs them alone,
//! so a PostgreSQL deployment scales to many worker processes.
//!
//! Architecture Invariant: the engine crates know nothing of this one; it hands them plans
//! and candles and stores what they return.

mod backtest;
mod clock;
pub mod drift;
mod email;
mod engine;
mod engine_cache;
pub mod expectation;
mod fetch;
pub mod inspect;
pub mod paper;
mod paper_basket;
pub mod paper_metrics;
pub mod paper_types;
pub mod report;
pub mod request;
mod retention;
mod run;
mod webhook;
mod worker;

pub use backtest::compute_backtest;
pub use bb_market::BoxFuture;
pub use clock::{Clock, TestClock};
pub use email::MailSetup;
pub use engine::ENGINE_STACK_BYTES;
pub use fetch::{FetchProgress, FetchRequest};
pub use inspect::{InspectColumn, Inspection, inspect};
pub use report::{
    BacktestSummary, REPORT_VERSION, ReadError, RobustnessReport, RobustnessSummary, RunParameters,
    RunReport, RunSummary, Stored, SweepBest, SweepSummary, VerdictLevel,
};
pub use request::{BacktestRequest, RobustnessRequest, SweepRequest};
pub use retention::{Prune, RETENTION};
pub use run::{BACKTEST, Handler, Handlers, JobContext, JobError, MARKET_FETCH, ROBUSTNESS, SWEEP};
pub use worker::{Housekeeping, Ran, Worker, WorkerConfig, Workers, default_name};

/// Where a run's candles came from and their quality report, for its assumptions card.
pub fn provenance(loaded: &bb_market::loading::LoadedCandles) -> bb_backtest::DataProvenance {
    bb_backtest::DataProvenance {
        source: Some(loaded.label.clone()),
        dataset_id: Some(loaded.dataset.id.clone()),
        quality: Some(bb_backtest::DataQuality::of(&loaded.quality)),
    }
}

/// Where the web app shows a run.
pub fn run_link(run: &bb_store::Run) -> String {
    match run.kind {
        bb_store::RunKind::Backtest => format!("/backtests/{}", run.id),
        bb_store::RunKind::Sweep => format!("/sweeps/{}", run.id),
        bb_store::RunKind::Robustness => format!("/robustness/{}", run.id),
    }
}
