//! The OpenAPI description of every route (collected from the handlers' `#[utoipa::path]`),
//! served at `/api/v1/openapi.json`, with a Swagger UI at `/api/docs` whose files are
//! compiled into the binary (no CDN, works offline).

use crate::error::ErrorEnvelope;
use crate::state::AppState;
use axum::Router;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

pub const SPEC_PATH: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Blockbuilders API",
        description = "Build, check and share trading strategies made of blocks. Errors always \
            answer `{\"error\": {\"code\", \"message\", \"details\", \"timestamp\", \"requestId\"}}` \
            with a stable `code`.",
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorEnvelope)),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "strategies", description = "Strategies, versions and validation"),
        (name = "blocks", description = "The block catalogue"),
        (name = "market", description = "Candle datasets: coverage, quality, candles for charts, file imports, connector fetches"),
        (name = "backtests", description = "Backtests as jobs: submit, live events (SSE), results, trades, cancel, compare"),
        (name = "sweeps", description = "Parameter sweeps as jobs: submit, live events (SSE), every combination's metrics"),
        (name = "plans", description = "The caller's plan, its limits and usage"),
        (name = "notifications", description = "The in-app notification center and its push stream"),
        (name = "admin", description = "Administration (admins only)"),
        (name = "ops", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from /api/v1/auth/login, /register or /refresh, or a \
                         Supabase access token when Supabase sign-in is configured.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole spec.
pub fn spec() -> utoipa::openapi::OpenApi {
    crate::routes::api().into_openapi()
}

/// The spec as the committed `openapi/openapi.json` holds it.
pub fn spec_json() -> String {
    let mut text = spec()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The spec's JSON route and the docs page.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router<AppState> {
    // No validator badge: it would load an image from validator.swagger.io.
    let config = utoipa_swagger_ui::Config::default().validator_url("none");
    SwaggerUi::new(DOCS_PATH)
        .url(SPEC_PATH, spec)
        .config(config)
        .into()
}
