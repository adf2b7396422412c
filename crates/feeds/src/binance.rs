//! Binance's public WebSocket market streams (spot, combined streams): trades and book
//! tickers of a list of symbols on one connection.
//!
//! The feed connects to `{url}/stream`, subscribes with `SUBSCRIBE` requests (at most
//! [`STREAMS_PER_SUBSCRIBE`] streams each, at most four a second: Binance drops a connection
//! that sends more than five messages a second) and subscribes again on every reconnection.
//! A lost connection (an error, a close, Binance's daily cut, nothing heard for a minute) is
//! re-established with exponential backoff and reported as a feed-wide [`Gap`]. Nothing is
//! given twice: per symbol the last trade id and the last book ticker update id are kept, and
//! anything not newer is dropped. A trade id that skips ahead is reported as a [`Gap`] of that
//! symbol with the number of trades missing. A message that cannot be read is skipped and
//! counted, never the end of the feed.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bb_screener::event::NANOS_PER_MILLI;
use bb_screener::{EventKind, FeedEvent, Gap, MarketEvent, Nanos, Quote};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{BatchFuture, Feed, FeedError};

/// Binance's public market data endpoint (spot).
pub const DEFAULT_URL: &str = "wss://stream.binance.com:9443";
/// Most streams one Binance connection takes.
pub const MAX_STREAMS: usize = 1024;
/// Most streams one `SUBSCRIBE` request names.
pub const STREAMS_PER_SUBSCRIBE: usize = 200;
/// `SUBSCRIBE` requests sent before waiting a second (Binance takes five messages a second,
/// pongs included).
const SUBSCRIBES_PER_SECOND: usize = 4;
/// Events one batch gives at most.
const MAX_BATCH: usize = 1024;
/// How long the handshake, or sending one request, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Binance pings every 20 s: a connection that says nothing for this long is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What to stream from where.
#[derive(Clone, Debug, PartialEq)]
pub struct BinanceConfig {
    /// The endpoint without the path (`/stream` is added): `wss://…` or `ws://…`.
    pub url: String,
    /// Binance symbols (`BTCUSDT`, any case); instrument numbers are their indices.
    pub symbols: Vec<String>,
    /// Subscribe to `<symbol>@trade`.
    pub trades: bool,
    /// Subscribe to `<symbol>@bookTicker`.
    pub book_ticker: bool,
    /// The first wait before reconnecting; it doubles after each attempt and goes back to this
    /// after a connection that delivered data.
    pub reconnect_delay: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for BinanceConfig {
    fn default() -> Self {
        BinanceConfig {
            url: DEFAULT_URL.into(),
            symbols: Vec::new(),
            trades: true,
            book_ticker: true,
            reconnect_delay: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// What a [`BinanceFeed`] has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinanceStats {
    /// Text messages received: data, answers to requests and the malformed ones.
    pub messages: u64,
    /// Trades and book tickers dropped because one as new had been given already.
    pub duplicates: u64,
    /// Messages skipped because they could not be read (not JSON, a field missing or bad).
    pub malformed: u64,
    /// Data messages of a stream this feed did not subscribe to, skipped.
    pub unknown_streams: u64,
    /// Connections re-established after one was lost.
    pub reconnects: u64,
}

/// Per instrument: its name and what was given last.
#[derive(Debug)]
struct Instrument {
    symbol: String,
    /// The last trade's id and time.
    last_trade: Option<(u64, Nanos)>,
    /// The last book ticker's update id.
    last_update: Option<u64>,
    /// Reconnected since its last trade: a skip in trade ids is the disconnection's.
    resumed: bool,
}

/// Binance's public trade and book ticker streams as a [`Feed`].
pub struct BinanceFeed {
    config: BinanceConfig,
    /// `{url}/stream`.
    endpoint: String,
    /// The stream names subscribed to (`btcusdt@trade`, …).
    streams: Vec<String>,
    instruments: Vec<Instrument>,
    /// Lowercase symbol → instrument number.
    by_name: HashMap<String, u32>,
    tls: Option<Arc<rustls::ClientConfig>>,
    socket: Option<Socket>,
    /// The `Symbol` events were given.
    announced: bool,
    /// The next wait before connecting.
    backoff: Duration,
    /// Wait before the next attempt (not before the first one).
    wait: bool,
    /// The current connection gave an event.
    delivered: bool,
    /// Why the last connection was lost, until another one is made.
    lost: Option<String>,
    /// The time of the last event given.
    last_ts: Option<Nanos>,
    /// The last request id used.
    request_id: u64,
    stats: BinanceStats,
}

impl fmt::Debug for BinanceFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinanceFeed")
            .field("endpoint", &self.endpoint)
            .field("symbols", &self.instruments.len())
            .field("streams", &self.streams.len())
            .field("connected", &self.socket.is_some())
            .field("backoff", &self.backoff)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl BinanceFeed {
    /// Checks the configuration; it connects on the first [`Feed::next_batch`].
    pub fn new(config: BinanceConfig) -> Result<BinanceFeed, FeedError> {
        let refuse = |why: String| Err(FeedError::Format(format!("Binance feed: {why}")));
        if config.symbols.is_empty() {
            return refuse("no symbols to stream".into());
        }
        if !config.trades && !config.book_ticker {
            return refuse("neither trades nor book tickers asked for".into());
        }
        let per_symbol = usize::from(config.trades) + usize::from(config.book_ticker);
        let count = config.symbols.len() * per_symbol;
        if count > MAX_STREAMS {
            return refuse(format!(
                "{count} streams ({} symbols × {per_symbol}) are more than the {MAX_STREAMS} \
                 one connection takes",
                config.symbols.len()
            ));
        }
        let mut by_name = HashMap::with_capacity(config.symbols.len());
        let mut instruments = Vec::with_capacity(config.symbols.len());
        for (i, symbol) in config.symbols.iter().enumerate() {
            let valid = (2..=20).contains(&symbol.len())
                && symbol.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid {
                return refuse(format!(
                    "{symbol:?} is not a Binance symbol (2 to 20 letters and digits)"
                ));
            }
            // At most MAX_STREAMS symbols: the index fits.
            if by_name
                .insert(symbol.to_ascii_lowercase(), i as u32)
                .is_some()
            {
                return refuse(format!("{symbol} is listed twice"));
            }
            instruments.push(Instrument {
                symbol: symbol.to_ascii_uppercase(),
                last_trade: None,
                last_update: None,
                resumed: false,
            });
        }
        let mut streams = Vec::with_capacity(count);
        for symbol in &config.symbols {
            let name = symbol.to_ascii_lowercase();
            if config.trades {
                streams.push(format!("{name}@trade"));
            }
            if config.book_ticker {
                streams.push(format!("{name}@bookTicker"));
            }
        }

        let secure = config.url.starts_with("wss://");
        if !secure && !config.url.starts_with("ws://") {
            return refuse(format!("{} is not a ws:// or wss:// address", config.url));
        }
        let endpoint = format!("{}/stream", config.url.trim_end_matches('/'));
        if let Err(e) = endpoint.as_str().into_client_request() {
            return refuse(format!("{endpoint}: {e}"));
        }
        if config.reconnect_delay.is_zero() || config.max_backoff < config.reconnect_delay {
            return refuse(format!(
                "the reconnect delay ({:?}) must be above zero and at most the longest \
                 backoff ({:?})",
                config.reconnect_delay, config.max_backoff
            ));
        }
        let tls = if secure { Some(tls_config()?) } else { None };
        Ok(BinanceFeed {
            endpoint,
            streams,
            instruments,
            by_name,
            tls,
            socket: None,
            announced: false,
            backoff: config.reconnect_delay,
            wait: false,
            delivered: false,
            lost: None,
            last_ts: None,
            request_id: 0,
            stats: BinanceStats::default(),
            config,
        })
    }

    /// What the feed has seen so far.
    pub fn stats(&self) -> BinanceStats {
        self.stats
    }

    /// Connects (waiting the backoff first unless it is the first attempt) until it has a
    /// connection with every stream subscribed; after a lost one, says so with a [`Gap`].
    async fn connect(&mut self, out: &mut Vec<FeedEvent>) {
        loop {
            if self.wait {
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(self.config.max_backoff);
            }
            self.wait = true;
            match self.open().await {
                Ok(socket) => {
                    self.socket = Some(socket);
                    self.delivered = false;
                    if let Some(why) = self.lost.take() {
                        self.stats.reconnects += 1;
                        for instrument in &mut self.instruments {
                            instrument.resumed = true;
                        }
                        tracing::info!(url = %self.endpoint, "Binance: reconnected after: {why}");
                        out.push(FeedEvent::Gap(Gap {
                            symbol: None,
                            from: self.last_ts,
                            to: now_nanos(),
                            missing: None,
                            reason: format!("disconnected: {why}"),
                        }));
                    }
                    return;
                }
                Err(why) => tracing::warn!(
                    url = %self.endpoint,
                    retry_in = ?self.backoff,
                    "Binance: cannot connect: {why}"
                ),
            }
        }
    }

    /// One connection with every stream subscribed.
    async fn open(&mut self) -> Result<Socket, String> {
        let connector = self.tls.clone().map(Connector::Rustls);
        let handshake = tokio_tungstenite::connect_async_tls_with_config(
            self.endpoint.as_str(),
            None,
            true,
            connector,
        );
        let (mut socket, _) = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
            .await
            .map_err(|_| format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()))?
            .map_err(|e| e.to_string())?;
        for (n, params) in self.streams.chunks(STREAMS_PER_SUBSCRIBE).enumerate() {
            if n > 0 && n % SUBSCRIBES_PER_SECOND == 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            self.request_id += 1;
            let request = serde_json::json!({
                "method": "SUBSCRIBE",
                "params": params,
                "id": self.request_id,
            });
            tokio::time::timeout(
                CONNECT_TIMEOUT,
                socket.send(Message::text(request.to_string())),
            )
            .await
            .map_err(|_| "the subscription could not be sent in time".to_string())?
            .map_err(|e| format!("subscribing: {e}"))?;
        }
        Ok(socket)
    }

    fn lose(&mut self, why: String) {
        tracing::warn!(url = %self.endpoint, "Binance: connection lost: {why}");
        self.socket = None;
        self.lost.get_or_insert(why);
    }

    fn on_text(&mut self, text: &str, out: &mut Vec<FeedEvent>) {
        self.stats.messages += 1;
        let received = now_nanos();
        let envelope: Envelope = match serde_json::from_str(text) {
            Ok(envelope) => envelope,
            Err(e) => return self.malformed(text, &e.to_string()),
        };
        let (stream, data) = match (envelope.stream, envelope.data) {
            (Some(stream), Some(data)) => (stream, data),
            (None, None) if envelope.id.is_some() => {
                // The answer to a request: `{"result":null,"id":N}`, or an error.
                if let Some(error) = envelope.error {
                    tracing::error!(url = %self.endpoint, "Binance refused a request: {error}");
                }
                return;
            }
            _ => return self.malformed(text, "neither a stream's data nor an answer"),
        };
        let known = stream.split_once('@').and_then(|(name, kind)| {
            let instrument = *self.by_name.get(name)?;
            match kind {
                "trade" if self.config.trades => Some((instrument, true)),
                "bookTicker" if self.config.book_ticker => Some((instrument, false)),
                _ => None,
            }
        });
        match known {
            Some((instrument, true)) => self.on_trade(instrument, data.get(), out),
            Some((instrument, false)) => self.on_book_ticker(instrument, data.get(), received, out),
            None => {
                self.stats.unknown_streams += 1;
                if self.stats.unknown_streams <= 10 {
                    tracing::warn!(url = %self.endpoint, stream, "Binance: data of an unknown stream skipped");
                }
            }
        }
    }

    fn on_trade(&mut self, instrument: u32, data: &str, out: &mut Vec<FeedEvent>) {
        let trade: TradeData = match serde_json::from_str(data) {
            Ok(trade) => trade,
            Err(e) => return self.malformed(data, &format!("trade: {e}")),
        };
        let (Some(price), Some(size)) = (decimal(trade.price), decimal(trade.quantity)) else {
            return self.malformed(data, "trade: a bad price or quantity");
        };
        let state = &mut self.instruments[instrument as usize];
        if !trade.symbol.eq_ignore_ascii_case(&state.symbol) {
            return self.malformed(data, "trade: another symbol than its stream's");
        }
        let ts = trade.time.saturating_mul(NANOS_PER_MILLI);
        if let Some((last, last_ts)) = state.last_trade {
            if trade.id <= last {
                self.stats.duplicates += 1;
                return;
            }
            if trade.id > last + 1 {
                let reason = if state.resumed {
                    "disconnected: trade ids skipped"
                } else {
                    "sequence jump: trade ids skipped"
                };
                out.push(FeedEvent::Gap(Gap {
                    symbol: Some(state.symbol.clone()),
                    from: Some(last_ts),
                    to: ts,
                    missing: Some(trade.id - last - 1),
                    reason: reason.into(),
                }));
            }
        }
        state.resumed = false;
        state.last_trade = Some((trade.id, ts));
        self.give(instrument, ts, EventKind::Trade { price, size }, out);
    }

    fn on_book_ticker(
        &mut self,
        instrument: u32,
        data: &str,
        received: Nanos,
        out: &mut Vec<FeedEvent>,
    ) {
        let ticker: BookTickerData = match serde_json::from_str(data) {
            Ok(ticker) => ticker,
            Err(e) => return self.malformed(data, &format!("book ticker: {e}")),
        };
        let values = [ticker.bid, ticker.bid_size, ticker.ask, ticker.ask_size].map(decimal);
        let [Some(bid), Some(bid_size), Some(ask), Some(ask_size)] = values else {
            return self.malformed(data, "book ticker: a bad price or quantity");
        };
        let state = &mut self.instruments[instrument as usize];
        if !ticker.symbol.eq_ignore_ascii_case(&state.symbol) {
            return self.malformed(data, "book ticker: another symbol than its stream's");
        }
        if state
            .last_update
            .is_some_and(|last| ticker.update_id <= last)
        {
            self.stats.duplicates += 1;
            return;
        }
        state.last_update = Some(ticker.update_id);
        // An empty side comes as a price of 0.
        let side = |price: f64| if price > 0.0 { price } else { f64::NAN };
        let quote = Quote {
            bid: side(bid),
            ask: side(ask),
            bid_size,
            ask_size,
        };
        // Spot book tickers carry no time: the time received stands for it.
        self.give(instrument, received, EventKind::Quote(quote), out);
    }

    fn give(&mut self, instrument: u32, ts: Nanos, kind: EventKind, out: &mut Vec<FeedEvent>) {
        out.push(FeedEvent::Market(MarketEvent {
            instrument,
            ts,
            kind,
        }));
        self.last_ts = Some(ts);
        if !self.delivered {
            self.delivered = true;
            self.backoff = self.config.reconnect_delay;
        }
    }

    fn malformed(&mut self, text: &str, why: &str) {
        self.stats.malformed += 1;
        let n = self.stats.malformed;
        if n <= 10 || n.is_multiple_of(1000) {
            let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
            tracing::warn!(
                url = %self.endpoint,
                skipped = n,
                "Binance: a malformed message skipped ({why}): {}",
                &text[..end]
            );
        }
    }
}

impl Feed for BinanceFeed {
    fn describe(&self) -> String {
        let what = match (self.config.trades, self.config.book_ticker) {
            (true, true) => "trades and book tickers",
            (true, false) => "trades",
            _ => "book tickers",
        };
        let n = self.instruments.len();
        let plural = if n == 1 { "" } else { "s" };
        format!("Binance {what} of {n} symbol{plural} ({})", self.config.url)
    }

    fn next_batch<'a>(&'a mut self, out: &'a mut Vec<FeedEvent>) -> BatchFuture<'a> {
        Box::pin(async move {
            if !self.announced {
                self.announced = true;
                out.extend(self.instruments.iter().enumerate().map(|(i, instrument)| {
                    FeedEvent::Symbol {
                        instrument: i as u32,
                        symbol: instrument.symbol.clone(),
                    }
                }));
            }
            let floor = out.len();
            while out.len() - floor < MAX_BATCH {
                // Wait for the first event of the batch, then take only what is ready.
                let waiting = out.len() == floor;
                let Some(socket) = self.socket.as_mut() else {
                    if !waiting {
                        break;
                    }
                    self.connect(out).await;
                    continue;
                };
                let message = if waiting {
                    match tokio::time::timeout(IDLE_TIMEOUT, socket.next()).await {
                        Ok(message) => message,
                        Err(_) => {
                            let secs = IDLE_TIMEOUT.as_secs();
                            self.lose(format!("nothing received for {secs} s"));
                            continue;
                        }
                    }
                } else {
                    // A zero timeout polls the read once: a message if one is ready.
                    match tokio::time::timeout(Duration::ZERO, socket.next()).await {
                        Ok(message) => message,
                        Err(_) => break,
                    }
                };
                match message {
                    Some(Ok(Message::Text(text))) => self.on_text(text.as_str(), out),
                    Some(Ok(Message::Ping(_))) => {
                        // tungstenite queued the pong: send it now, not at the next read.
                        if let Err(e) = socket.flush().await {
                            self.lose(format!("answering a ping: {e}"));
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        // Send the close tungstenite queued in reply, then hang up.
                        let _ = tokio::time::timeout(CONNECT_TIMEOUT, socket.flush()).await;
                        self.lose(match frame {
                            Some(frame) => {
                                format!("closed by the server ({} {})", frame.code, frame.reason)
                            }
                            None => "closed by the server".into(),
                        });
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => self.lose(e.to_string()),
                    None => self.lose("the connection ended".into()),
                }
            }
            Ok(true)
        })
    }
}

/// A combined stream's message, or the answer to a request.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    stream: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// `<symbol>@trade`'s data (fields not read are ignored).
#[derive(Deserialize)]
struct TradeData<'a> {
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "t")]
    id: u64,
    #[serde(rename = "p")]
    price: &'a str,
    #[serde(rename = "q")]
    quantity: &'a str,
    /// Trade time, ms.
    #[serde(rename = "T")]
    time: i64,
}

/// `<symbol>@bookTicker`'s data.
#[derive(Deserialize)]
struct BookTickerData<'a> {
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "u")]
    update_id: u64,
    #[serde(rename = "b")]
    bid: &'a str,
    #[serde(rename = "B")]
    bid_size: &'a str,
    #[serde(rename = "a")]
    ask: &'a str,
    #[serde(rename = "A")]
    ask_size: &'a str,
}

/// A price or quantity: a decimal string, finite and not negative.
fn decimal(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

fn now_nanos() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// rustls with ring (no aws-lc) and the webpki roots.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, FeedError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FeedError::Connection(format!("Binance feed: TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
