//! The markets a source lists, for the symbol picker: Binance's `exchangeInfo`, fetched once
//! an hour per process and shared by every request (concurrent requests wait for one fetch).
//! When Binance cannot be reached, the last list is served as `stale`; with none yet, the
//! answer is `upstream_unavailable` and stored data keeps working.

use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use bb_market::{Binance, ListedSymbol, RetryPolicy, SystemClock};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Mutex;
use utoipa::{IntoParams, ToSchema};

/// How long a fetched list is served before asking Binance again.
const FRESH_MS: i64 = 3_600_000;

/// After a failed fetch, requests within this long are answered at once without asking
/// again, so an unreachable exchange costs one attempt, not one per request.
const RETRY_AFTER_FAILURE_MS: i64 = 30_000;

/// What is known of a source, by base URL: the last list and when, the last failure.
#[derive(Default)]
struct Known {
    list: Option<(i64, Arc<Vec<ListedSymbol>>)>,
    failed: Option<(i64, String)>,
}

static CACHE: LazyLock<Mutex<HashMap<String, Known>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SymbolQuery {
    /// Part of the symbol, any case, e.g. `eth` or `ETH-U`.
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub q: Option<String>,
    /// Only markets quoted in this currency, e.g. `USDT`.
    #[serde(default, deserialize_with = "crate::extract::empty_as_none")]
    pub quote: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 500>")]
    pub limit: Option<u32>,
    /// 0 to 1,000,000 (default 0).
    #[param(maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::bounded_offset")]
    pub offset: Option<u32>,
}

/// A market a source lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolView {
    /// e.g. `ETH-USDT`: what to give as `symbol` elsewhere in the API.
    pub symbol: String,
    pub base: String,
    /// The currency prices are in.
    pub quote: String,
}

/// The markets of a source, a page at a time.
#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolList {
    /// `binance`.
    pub source: String,
    /// Every timeframe the source offers candles in.
    pub timeframes: Vec<String>,
    pub items: Vec<SymbolView>,
    /// Markets matching the query.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
    /// When the list was fetched from the source, Unix ms.
    pub fetched_at: i64,
    /// The source could not be reached just now; this is the last list it gave.
    pub stale: bool,
}

/// The markets Binance lists, for picking a symbol to fetch.
#[utoipa::path(
    get,
    path = "/api/v1/market/symbols",
    tag = "market",
    params(SymbolQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SymbolList),
        (status = 502, description = "Binance cannot be reached and no list was fetched before (`upstream_unavailable`)", body = ErrorEnvelope),
    )
)]
pub async fn list_symbols(
    State(state): State<AppState>,
    _caller: AuthUser,
    Query(query): Query<SymbolQuery>,
) -> Result<Json<SymbolList>, ApiError> {
    let (fetched_at, list, stale) = listed_markets(&state).await?;
    let needle = query.q.as_deref().map(|q| {
        q.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    });
    let quote = query.quote.as_deref().map(str::to_ascii_uppercase);
    let matching: Vec<&ListedSymbol> = list
        .iter()
        .filter(|s| {
            needle
                .as_deref()
                .is_none_or(|n| format!("{}{}", s.base, s.quote).contains(n))
        })
        .filter(|s| quote.as_deref().is_none_or(|q| s.quote == q))
        .collect();
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let offset = query.offset.unwrap_or(0);
    Ok(Json(SymbolList {
        source: "binance".into(),
        timeframes: bb_market::BINANCE_INTERVALS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        total: matching.len() as u64,
        items: matching
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|s| SymbolView {
                symbol: s.symbol.clone(),
                base: s.base.clone(),
                quote: s.quote.clone(),
            })
            .collect(),
        limit,
        offset,
        fetched_at,
        stale,
    }))
}

/// Binance's markets: `(fetched at, list, stale)`, from the shared cache or fetched now
/// (concurrent callers wait for one fetch); `upstream_unavailable` when Binance cannot be
/// reached and nothing was fetched before.
pub async fn listed_markets(
    state: &AppState,
) -> Result<(i64, Arc<Vec<ListedSymbol>>, bool), ApiError> {
    let config = state.market_config();
    let now = bb_store::now_ms();
    let found = {
        // Held while fetching: concurrent requests share one fetch.
        let mut cache = CACHE.lock().await;
        let known = cache.entry(config.binance_url.clone()).or_default();
        let recent_failure = known
            .failed
            .as_ref()
            .filter(|(at, _)| now - at < RETRY_AFTER_FAILURE_MS)
            .map(|(_, e)| e.clone());
        match (&known.list, recent_failure) {
            (Some((at, list)), _) if now - at < FRESH_MS => (*at, list.clone(), false),
            (Some((at, list)), Some(_)) => (*at, list.clone(), true),
            (None, Some(e)) => return Err(unavailable(&e)),
            (cached, None) => {
                let cached = cached.clone();
                // One quick retry: a person is waiting for the picker.
                let binance =
                    Binance::new(&config, Arc::new(SystemClock)).with_retry(RetryPolicy {
                        max_retries: 1,
                        base_delay: Duration::from_millis(200),
                        max_wait: Duration::from_secs(1),
                    });
                match binance.symbols().await {
                    Ok(list) => {
                        let list = Arc::new(list);
                        known.list = Some((now, list.clone()));
                        known.failed = None;
                        (now, list, false)
                    }
                    Err(e) => {
                        known.failed = Some((now, e.to_string()));
                        match cached {
                            Some((at, list)) => {
                                tracing::warn!(error = %e, "serving the last market list");
                                (at, list, true)
                            }
                            None => return Err(unavailable(&e.to_string())),
                        }
                    }
                }
            }
        }
    };
    Ok(found)
}

/// In plain words for the person waiting; what failed goes to the log.
fn unavailable(error: &str) -> ApiError {
    tracing::warn!(error, "Binance's market list cannot be fetched");
    ApiError::UpstreamUnavailable(
        "Binance cannot be reached right now, so its markets cannot be listed or fetched. \
         Stored datasets still work; try again in a minute."
            .to_owned(),
    )
}
