//! File imports: a candle file as the request body, stored all or nothing.

use super::access::{Viewer, field_error};
use super::types::{CandleFile, DatasetView, ImportCounts, ImportQuery, ImportResult};
use super::{IMPORT_BODY_LIMIT, IMPORTS_PATH};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Lines, Query, check_text};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use bb_data::{DataError, Format, ReadOptions, TimestampUnit};
use bb_domain::Timeframe;
use bb_market::MarketError;
use bb_market::datasets::import_candles_into;
use bb_store::{Dataset, NewDataset, StoreError};
use serde_json::json;

/// Source names only admins may import under: those of the bundled data and of the
/// providers candles are fetched from, whose datasets are shared.
const RESERVED_SOURCES: &[&str] = &["demo", "binance", "coindesk", "coinmetrics"];

/// Import a candle file into a dataset.
///
/// The body is the file itself (`curl --data-binary @candles.csv`; any content type):
/// CSV with a header (time, open, high, low, close, volume in any order and case; ISO-8601
/// or Unix s/ms/µs times), a Yahoo export, a Binance dump, ccxt JSON, Databento DBN when
/// the server is built with it, each optionally gzip-compressed; at most 64 MiB, expanding
/// to at most 256 MiB (the server's `BB_MAX_DECOMPRESSED`). The
/// dataset is `symbol` at the timeframe (the file's own, or `timeframe`) from `source`; it
/// is created when missing (yours, or shared when you are an admin). Nothing is stored
/// unless every row is good.
#[utoipa::path(
    post,
    path = "/api/v1/market/imports",
    tag = "market",
    params(ImportQuery),
    request_body(content = CandleFile, content_type = "application/octet-stream", description = "The candle file, as is (CSV, Yahoo, Binance, ccxt JSON or DBN; gzip allowed)"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = ImportResult),
        (status = 400, description = "An unknown query parameter", body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The dataset belongs to someone else, or is shared (admins only); or a reserved `source`", body = ErrorEnvelope),
        (status = 409, description = "A candle differs from the one stored at its time; nothing was stored", body = ErrorEnvelope),
        (status = 413, description = "The file is larger than 64 MiB, or is compressed and expands to more than the server's limit (`BB_MAX_DECOMPRESSED`, 256 MiB by default); nothing was stored", body = ErrorEnvelope),
        (status = 422, description = "A bad file (`details.line` and `details.reason`) or parameter (`details.field`); nothing was stored", body = ErrorEnvelope),
    )
)]
pub async fn import_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportResult>), ApiError> {
    let params = Params::check(query, &viewer)?;
    let bytes = body.map_err(body_error)?;
    if bytes.is_empty() {
        return Err(ApiError::validation(
            "The request body is empty: send the candle file as the body, e.g. \
             `curl --data-binary @candles.csv`.",
            Some(json!({ "reason": "empty body" })),
        ));
    }
    // Decompression and parsing run on the blocking pool; when this handler is dropped
    // (the client went away, the request timed out) the guard stops them between two chunks.
    let cancel = CancelOnDrop(bb_data::Cancel::new());
    let limit = state.config().max_decompressed;
    let options = ReadOptions {
        max_decompressed: Some(limit),
        cancel: Some(cancel.0.clone()),
        ..params.read.clone()
    };
    let file = tokio::task::spawn_blocking(move || bb_data::parse_bytes(&bytes, &options))
        .await?
        .map_err(file_error)?;
    drop(cancel);
    let timeframe = match params.timeframe.or_else(|| file.candles.timeframe()) {
        Some(t) => t,
        None => {
            return Err(field_error(
                "timeframe",
                "The file's timeframe cannot be told (it has fewer than two candles); give \
                 `timeframe`.",
            ));
        }
    };
    let provenance = params
        .provenance
        .clone()
        .unwrap_or_else(|| format!("uploaded file ({})", file.notes.format));
    let (target, created) = target(&state, &viewer, &params, timeframe, &provenance).await?;

    let imported = import_candles_into(
        state.db(),
        &target,
        &file.candles,
        Some(&file.notes),
        &params.source,
    )
    .await;
    let done = match imported {
        Ok(done) => done,
        Err(e) => {
            if created {
                // Undo the creation: the dataset holds nothing (the import was one
                // transaction), so no trace of the failed upload is left.
                if let Err(undo) = state.db().candles().delete_empty_dataset(&target.id).await {
                    tracing::warn!(dataset_id = %target.id, error = %undo, "could not remove an empty dataset");
                }
            }
            return Err(import_error(e));
        }
    };
    tracing::info!(
        dataset_id = %done.dataset.id,
        inserted = done.summary.inserted,
        created,
        "candles imported"
    );
    Ok((
        StatusCode::CREATED,
        Json(ImportResult {
            dataset: DatasetView::from(&done.dataset),
            created,
            import: ImportCounts::new(&done.summary, &file.notes),
            resampled_from: done.resampled_from.map(|t| t.to_string()),
            quality: done.quality,
        }),
    ))
}

/// The query parameters, checked.
#[derive(Debug)]
struct Params {
    symbol: String,
    source: String,
    timeframe: Option<Timeframe>,
    provenance: Option<String>,
    read: ReadOptions,
}

impl Params {
    fn check(q: ImportQuery, viewer: &Viewer) -> Result<Params, ApiError> {
        let symbol = name("symbol", q.symbol.as_deref().unwrap_or(""), 64)?;
        let source = name("source", q.source.as_deref().unwrap_or("file"), 32)?;
        if !viewer.admin && RESERVED_SOURCES.contains(&source.to_ascii_lowercase().as_str()) {
            return Err(ApiError::Forbidden(format!(
                "The source name `{source}` is kept for shared data; only admins import under \
                 it. Leave `source` out (it defaults to `file`) or choose another name."
            )));
        }
        let timeframe = q
            .timeframe
            .as_deref()
            .map(|t| {
                t.parse::<Timeframe>()
                    .map_err(|e| field_error("timeframe", e.to_string()))
            })
            .transpose()?;
        let format = q
            .format
            .as_deref()
            .map(|f| {
                f.trim()
                    .parse::<Format>()
                    .map_err(|e| field_error("format", e))
            })
            .transpose()?;
        let unit = q
            .timestamp_unit
            .as_deref()
            .map(|u| {
                u.trim()
                    .parse::<TimestampUnit>()
                    .map_err(|e| field_error("timestamp_unit", e))
            })
            .transpose()?;
        let provenance = q
            .provenance
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        if let Some(p) = &provenance {
            check_text("provenance", p, Lines::One)?;
        }
        if provenance.as_ref().is_some_and(|p| p.chars().count() > 500) {
            return Err(field_error(
                "provenance",
                "`provenance` is limited to 500 characters.",
            ));
        }
        Ok(Params {
            symbol,
            source,
            timeframe,
            provenance,
            read: ReadOptions {
                unit,
                format,
                instrument: q.instrument.filter(|i| !i.trim().is_empty()),
                ..ReadOptions::default()
            },
        })
    }
}

/// A symbol or source name: not blank, at most `max` characters, no spaces or colons (the
/// command line names datasets `SYMBOL:TIMEFRAME:SOURCE`).
fn name(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(field_error(field, format!("`{field}` is required.")));
    }
    check_text(field, value, Lines::One)?;
    if value.chars().count() > max
        || value
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(field_error(
            field,
            format!("`{field}` must be at most {max} characters, without spaces or colons."),
        ));
    }
    Ok(value.to_string())
}

/// The dataset the candles go to, and whether it was created now. Names are per owner
/// (migration 0010): a user imports into their own dataset of that name (created when
/// missing); another user's dataset of the same name is never looked at, so no answer can
/// reveal it. A shared dataset of that name takes precedence and only admins add to it
/// (else 403: shared datasets are visible to everyone anyway).
async fn target(
    state: &AppState,
    viewer: &Viewer,
    params: &Params,
    timeframe: Timeframe,
    provenance: &str,
) -> Result<(Dataset, bool), ApiError> {
    let store = state.db().candles();
    let shared = store
        .find_owned_dataset(&params.symbol, timeframe, &params.source, None)
        .await?;
    if let Some(shared) = shared {
        if !viewer.can_import_into(&shared) {
            return Err(ApiError::Forbidden(format!(
                "The dataset {} from source `{}` is shared; only admins add to shared \
                 datasets. Import under another `source` name to make a dataset of your own.",
                shared.spec(),
                shared.source
            )));
        }
        return Ok((shared, false));
    }
    let owner = viewer.new_owner();
    let find = || store.find_owned_dataset(&params.symbol, timeframe, &params.source, owner);
    if let Some(own) = find().await? {
        return Ok((own, false));
    }
    let new = NewDataset {
        source: params.source.clone(),
        symbol: params.symbol.clone(),
        timeframe,
        provenance: provenance.to_string(),
    };
    match store.create_owned_dataset(new, owner).await {
        Ok(d) => Ok((d, true)),
        // the same owner created it in the meantime
        Err(StoreError::Conflict(_)) => find()
            .await?
            .map(|d| (d, false))
            .ok_or_else(|| ApiError::Conflict("The dataset changed meanwhile; try again.".into())),
        Err(e) => Err(e.into()),
    }
}

/// Cancels a read when dropped.
struct CancelOnDrop(bb_data::Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A file bb-data cannot read: 422 with the line and the reason; 413 when it expands past
/// the limit.
fn file_error(e: DataError) -> ApiError {
    if let DataError::TooLarge { compression, limit } = &e {
        return ApiError::PayloadTooLarge(format!(
            "The file is {compression}-compressed and expands to more than {} (the most an \
             import accepts), so nothing was stored; split it into smaller files.",
            human_bytes(*limit)
        ));
    }
    let details = match &e {
        DataError::Row { line, message } => json!({ "line": line, "reason": message }),
        DataError::MissingColumn { column, found } => {
            json!({ "reason": e.to_string(), "column": column, "found": found })
        }
        other => json!({ "reason": other.to_string() }),
    };
    ApiError::validation(
        format!("The file could not be read, so nothing was stored: {e}"),
        Some(details),
    )
}

fn import_error(e: MarketError) -> ApiError {
    match e {
        MarketError::Store(StoreError::Conflict(message)) => ApiError::Conflict(message),
        MarketError::Store(StoreError::Invalid(message)) => ApiError::validation(
            format!("The candles could not be stored, so nothing was: {message}"),
            Some(json!({ "reason": message })),
        ),
        // import_candles' own refusals are about the timeframe asked for
        MarketError::Invalid(message) => field_error("timeframe", message),
        MarketError::Data(e) => file_error(e),
        MarketError::Store(other) => other.into(),
        other => ApiError::internal(other),
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!(
            "The file is larger than the {} MiB an import accepts; split it (by month, for \
             example) and import the parts one after another into the same dataset.",
            IMPORT_BODY_LIMIT >> 20
        ))
    } else {
        ApiError::bad_request(format!(
            "The upload to {IMPORTS_PATH} could not be read: {}",
            rejection.body_text()
        ))
    }
}

/// `256 MiB`, `512 KiB`, `1000 bytes`.
fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}
