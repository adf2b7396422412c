//! Strategies and their versions.
//!
//! Who may do what:
//! - anyone (even anonymous) may read public strategies; the owner reads their own;
//! - a strategy the caller may not read answers 404, as if it did not exist;
//! - only the owner may change it, archive it or add versions (403 for other readers);
//! - any reader may clone it into a private copy of their own.
//!
//! A saved graph is validated first. A graph with errors is refused (422, with every
//! diagnostic) unless `allow_invalid` is set; it is then saved with `valid: false` and the
//! strategy is (or becomes) a draft.
//!
//! A strategy exports as one file with all its versions (`exports`), kept in the object
//! store; importing such a file makes a new private strategy with every version.

pub mod access;
pub mod exports;
mod handlers;
mod saving;
pub mod types;
mod versions;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            handlers::list_strategies,
            handlers::create_strategy
        ))
        .routes(routes!(handlers::get_strategy, handlers::update_strategy))
        .routes(routes!(handlers::archive_strategy))
        .routes(routes!(versions::list_versions, versions::add_version))
        .routes(routes!(versions::get_version))
        .routes(routes!(handlers::clone_strategy))
        .routes(routes!(exports::create_export))
        .routes(routes!(exports::get_export))
        .routes(routes!(exports::import_strategy))
}
