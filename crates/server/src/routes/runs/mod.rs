//! Backtests and sweeps as durable jobs: submit (quota and validation first, then `202`),
//! the history, one run with its report, equity, trades (paged, CSV), cancellation, live
//! events (SSE) and comparison.
//!
//! Who may do what: a run is its submitter's alone; anybody else's answers 404. A run may be
//! made of the caller's own strategies and of public ones (the starters), on the datasets the
//! caller can see.

mod compare;
pub(crate) mod events;
mod inspect;
pub(crate) mod read;
pub(crate) mod submit;
pub mod types;

pub(crate) use events::next_on;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit::create_backtest, read::list_backtests))
        .routes(routes!(compare::compare))
        .routes(routes!(read::get_backtest))
        .routes(routes!(read::get_equity))
        .routes(routes!(read::get_trades))
        .routes(routes!(read::get_trades_csv))
        .routes(routes!(inspect::inspect_backtest))
        .routes(routes!(read::cancel_backtest))
        .routes(routes!(events::backtest_events))
        .routes(routes!(submit::create_sweep, read::list_sweeps))
        .routes(routes!(read::get_sweep))
        .routes(routes!(read::cancel_sweep))
        .routes(routes!(events::sweep_events))
}
