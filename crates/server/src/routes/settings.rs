//! The settings a backtest or sweep takes, with their defaults and ranges, for forms: the
//! web app's run dialog reads them here rather than repeating them.

use crate::state::AppState;
use axum::Json;
use bb_backtest::SettingsRanges;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(backtest_settings))
}

/// The defaults and ranges of a backtest's settings (capital, fee, slippage, fill rule,
/// shorts, gaps): the same values the API applies when a field is left out and checks
/// when one is given.
#[utoipa::path(
    get,
    path = "/api/v1/settings/backtest",
    tag = "backtests",
    responses((status = 200, body = SettingsRanges))
)]
async fn backtest_settings() -> Json<SettingsRanges> {
    Json(SettingsRanges::get())
}
