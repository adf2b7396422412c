//! The block catalogue: every block's ports, parameters, ranges and explanation, as the
//! canvas needs it. Serialised once per process.

use crate::state::AppState;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(blocks))
}

/// The block catalogue.
#[utoipa::path(
    get,
    path = "/api/v1/blocks",
    tag = "blocks",
    responses((status = 200, description = "Every block, by category, with its ports and parameters", body = bb_strategy::catalogue::Catalogue))
)]
async fn blocks() -> Response {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| bb_strategy::catalogue::to_json().to_string());
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body.as_str(),
    )
        .into_response()
}
