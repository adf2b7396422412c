//! `bb-market`: market data for Blockbuilders (outer ring).
//!
//! - Connectors behind one trait, [`CandleSource`], each speaking its provider's real wire
//!   format: [`Binance`] (public REST klines), [`CoinDesk`] (Data API spot OHLCV+, the
//!   primary vendor) and [`CoinMetrics`] (API v4 market candles, the fallback vendor). Shared
//!   HTTP behaviour: bounded retries, `Retry-After` honoured on 429/418, exponential backoff
//!   on 5xx, all waiting on an injected [`Clock`].
//! - [`Failover`]: a source list per dataset; the first healthy source serves each window,
//!   and the stored chunks record which candles came from which source.
//! - [`fetch_into`]: backfill or incremental update of a dataset in the candle store.
//! - [`datasets`]: file imports into datasets, and their quality reports.
//! - [`loading`]: a stored dataset's candles and quality report for a backtest.
//! - [`demo::load_demo`]: the bundled demo datasets, loaded without a network.
//!
//! API keys come from [`MarketConfig`] (`BB_COINDESK_API_KEY`, `BB_COINMETRICS_API_KEY`) as
//! [`ApiKey`]s, which never show in `Debug` or in error messages.
//!
//! Architecture Invariant: the engine crates never depend on this crate; it hands them
//! [`bb_domain::Candles`] through the store.

mod binance;
mod clock;
mod coindesk;
mod coinmetrics;
mod config;
pub mod datasets;
pub mod demo;
pub mod dumps;
mod error;
mod failover;
mod fetch;
mod http;
pub mod loading;
mod source;

pub use binance::{
    Binance, INTERVALS as BINANCE_INTERVALS, ListedSymbol, binance_symbol,
    interval as binance_interval,
};
pub use clock::{BoxFuture, Clock, ManualClock, SystemClock};
pub use coindesk::CoinDesk;
pub use coinmetrics::CoinMetrics;
pub use config::{
    ApiKey, BINANCE_DUMPS_URL, BINANCE_URL, COINDESK_URL, COINMETRICS_COMMUNITY_URL,
    COINMETRICS_URL, MarketConfig, is_fetched,
};
pub use dumps::BinanceDumps;
pub use error::{MarketError, SourceError, SourceErrorKind};
pub use failover::{Failover, Fetched};
pub use fetch::{FetchRange, FetchReport, Progress, WINDOW_BARS, fetch_into, missing_ranges};
pub use http::RetryPolicy;
pub use source::CandleSource;
