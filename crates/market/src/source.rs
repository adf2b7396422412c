//! The one seam every market data provider plugs into.

use std::fmt::Debug;

use bb_domain::{Candles, Timeframe};

use crate::clock::BoxFuture;
use crate::error::SourceError;

/// A provider of historical candles.
///
/// `fetch` returns a boxed future (not `async fn`) so that sources can be held as
/// `Arc<dyn CandleSource>` in a failover list.
pub trait CandleSource: Send + Sync + Debug {
    /// The name recorded as the candles' provenance: "binance", "coindesk", "coinmetrics".
    fn name(&self) -> &str;

    /// Every *complete* candle of `symbol` at `timeframe` whose open time is in
    /// `[from_ms, to_ms)`, oldest first, following the provider's pagination. A candle still
    /// forming (closing after now) is left out. `symbol` is `BASE-QUOTE` ("BTC-USD",
    /// "BTC-USDT") or the provider's own spelling ("BTCUSDT").
    fn fetch<'a>(
        &'a self,
        symbol: &'a str,
        timeframe: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxFuture<'a, Result<Candles, SourceError>>;
}
