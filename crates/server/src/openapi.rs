//! The OpenAPI description of every route (collected from the handlers' `#[utoipa::path]`),
//! served at `/api/v1/openapi.json`, with a Swagger UI at `/api/docs` whose files are
//! compiled into the binary (no CDN, works offline).

use crate::error::ErrorEnvelope;
use crate::state::AppState;
use axum::Router;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        (name = "market", description = "Candle datasets: coverage, quality, candles for charts, file imports, any Binance market on demand, connector fetches"),
        (name = "backtests", description = "Backtests as jobs: submit, live events (SSE), results, trades, cancel, compare"),
        (name = "sweeps", description = "Parameter sweeps as jobs: submit, live events (SSE), every combination's metrics"),
        (name = "robustness", description = "The robustness lab as jobs: walk-forward, holdout (each look recorded), Monte Carlo, deflated Sharpe, PBO, parameter stability, plain verdicts"),
        (name = "paper-trades", description = "Paper trading: strategies run forward on candles as they close (or replayed), with an append-only ledger, live events (SSE), pause, resume and stop"),
        (name = "templates", description = "Templates: publish a strategy version (machine gates, then a reviewer, for the public), browse the gallery with verified backtest cards, clone with attribution"),
        (name = "cohorts", description = "Cohorts: an educator's groups of students, joined by invite code, with cohort-only templates and a dashboard of aggregated results"),
        (name = "webhooks", description = "Webhook endpoints: notifications POSTed to your URL, signed per Standard Webhooks, with a delivery log, replay, test send and secret rotation"),
        (name = "billing", description = "Plans bought through Stripe: Checkout, the Customer Portal, cancel and resume, and the endpoint for Stripe's signed events"),
        (name = "compliance", description = "The compliance queue (reviewers and admins): evidence, decisions with reasons, takedowns"),
        (name = "plans", description = "The caller's plan, its limits and usage"),
        (name = "notifications", description = "The in-app notification center and its push stream"),
        (name = "screener", description = "The real-time screener: alerts, live streams, screens and replays"),
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
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "The same access token in the query string, for the event streams \
                 (EventSource cannot send headers).",
            ))),
        );
    }
}

/// The answers every route can give, whatever its handler: 401 where a token is read, 400
/// for a path, query or body that cannot be read (including a body without the JSON content
/// type), 413 for an oversized body and 422 for a body with a wrong field. Added to each
/// operation that lacks them, so the spec lists every status the server can send.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let envelope = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let signed_in = operation.security.as_ref().is_some_and(|requirements| {
                    serde_json::to_string(requirements).is_ok_and(|text| text.contains("bearer"))
                });
                let has_query = operation.parameters.as_ref().is_some_and(|p| {
                    serde_json::to_string(p).is_ok_and(|text| text.contains("\"in\":\"query\""))
                });
                let has_body = operation.request_body.is_some();
                let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| envelope(description));
                };
                if signed_in {
                    add(
                        "401",
                        "Not signed in, or the session has ended (`unauthorized`)",
                    );
                }
                if has_body || has_params {
                    add(
                        "400",
                        "The request cannot be read: a path or query value of the wrong type, \
                         or a body that is not JSON or lacks `Content-Type: application/json` \
                         (`bad_request`)",
                    );
                }
                if has_query {
                    add(
                        "422",
                        "A query value is out of range or unknown (`validation_failed`, \
                         `details.field` names it)",
                    );
                }
                if has_body {
                    add(
                        "413",
                        "The body is larger than the route accepts (`payload_too_large`)",
                    );
                    add(
                        "422",
                        "A field is missing, unknown or out of range (`validation_failed`, \
                         `details.field` names it)",
                    );
                }
            }
        }
    }
}

/// The whole spec.
pub fn spec() -> utoipa::openapi::OpenApi {
    let mut spec = crate::routes::api().into_openapi();
    complete(&mut spec);
    spec
}

/// What is added once the routes are collected: the answers common to every route.
pub fn complete(spec: &mut utoipa::openapi::OpenApi) {
    CommonErrors.modify(spec);
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
