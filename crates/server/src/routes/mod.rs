//! The HTTP routes, one module per resource. Each owns its request and response types and
//! a `router()` whose handlers carry their OpenAPI description, so the spec and the routes
//! cannot drift apart.

pub mod account_deletion;
pub mod account_export;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod blocks;
pub mod cohorts;
pub mod compliance;
pub mod email;
pub mod market;
pub mod notifications;
pub mod operations;
pub mod ops;
pub mod paper;
pub mod paper_basket;
pub mod plan_usage;
pub mod robustness;
pub mod runs;
pub mod schemas;
pub mod screener;
pub mod settings;
pub mod strategies;
pub mod templates;
pub mod validate;
pub mod web;
pub mod webhooks;

use crate::openapi::ApiDoc;
use crate::state::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every documented route, with the spec they make.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(account_export::router())
        .merge(strategies::router())
        .merge(validate::router())
        .merge(blocks::router())
        .merge(market::router())
        .merge(runs::router())
        .merge(paper::router())
        .merge(robustness::router())
        .merge(templates::router())
        .merge(cohorts::router())
        .merge(webhooks::router())
        .merge(billing::router())
        .merge(compliance::router())
        .merge(settings::router())
        .merge(plan_usage::router())
        .merge(notifications::router())
        .merge(screener::router())
        .merge(email::router())
        .merge(admin::router())
        .merge(account_deletion::router())
        .merge(audit::router())
        .merge(operations::router())
        .merge(ops::router())
}
