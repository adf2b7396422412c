//! Market data: candle datasets, their coverage and quality, candles for charts, file
//! imports, market data on demand for every user, and connector fetches queued as jobs.
//!
//! Who may do what (every route needs a signed-in caller; anonymous calls are 401):
//! - a dataset with no owner is **shared** (the demo data, imports by admins): every
//!   signed-in user sees it; a dataset imported by a user is theirs and only they see it;
//!   admins see every dataset;
//! - a dataset the caller may not see answers 404, as if it did not exist;
//! - any user may ask for a market Binance lists (`requests.rs`): it is fetched into the
//!   shared dataset of its symbol and timeframe, so one fetch serves everyone;
//! - a user may import into a new dataset (it becomes theirs) or into one they own; an
//!   admin may import into any, and the datasets an admin creates are shared; importing into
//!   anyone else's dataset (shared ones included) is 403.
//!
//! The admin role is re-checked in the database on every request ([`access::Viewer`]).

pub mod access;
mod candles;
mod datasets;
mod downsample;
mod fetches;
mod imports;
mod requests;
mod symbols;
pub mod types;

pub use requests::DATA_FETCHES_METRIC;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where files are uploaded; this route accepts bodies up to [`IMPORT_BODY_LIMIT`].
pub const IMPORTS_PATH: &str = "/api/v1/market/imports";

/// The largest file an import takes (64 MiB, about a million CSV rows; gzip files hold
/// several times that).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The most candles one candles request answers without `max_points`.
pub const MAX_CANDLES: usize = 50_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(datasets::list_datasets))
        .routes(routes!(datasets::get_dataset))
        .routes(routes!(candles::get_candles))
        .routes(routes!(imports::import_file))
        .routes(routes!(fetches::create_fetch))
        .routes(routes!(fetches::get_fetch))
        .routes(routes!(requests::request_market_data))
        .routes(routes!(symbols::list_symbols))
}
