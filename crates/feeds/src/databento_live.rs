//! Databento's live market data (the Live Subscription Gateway) with the official `databento`
//! client: MBP-1, trades or 1-minute bars of a list of raw symbols (or every symbol) of one
//! dataset, as feed events.
//!
//! The feed connects on its first [`Feed::next_batch`]: CRAM authentication with the API key,
//! one subscription, `start_session`, then DBN records until the connection ends. Records
//! become events with the same conversion as the DBN replay; instrument names come from the
//! session's symbol mapping records (and from the metadata's mappings when it has any).
//!
//! A lost connection (a close, an I/O or decoding error, no heartbeat) is re-established with
//! exponential backoff, authenticating and subscribing again, and reported as a feed-wide
//! [`Gap`] from the last event given before to the first one after. Should the gateway send
//! records again, nothing is given twice: per publisher and instrument the last index key
//! given (`ts_recv` and `sequence`; `ts_event` for bars) is kept and anything older is
//! dropped, as are as many records with the last key as were given before the disconnection.
//! A refused API key (the authentication answer, or an error record saying so) is the one
//! error the feed stops on; other gateway errors are logged as warnings.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use bb_screener::{FeedEvent, Gap, Nanos};
use databento::dbn::{
    ErrorCode, ErrorMsg, Metadata, RecordRef, RecordRefEnum, SType, Schema, SystemCode, SystemMsg,
    VersionUpgradePolicy,
};
use databento::live::Subscription;
use databento::{LiveClient, Symbols};

use crate::dbn_records::convert;
use crate::{BatchFuture, Feed, FeedError};

/// The length of a Databento API key (`db-` and 29 letters and digits), as the client checks.
pub const API_KEY_LENGTH: usize = 32;
/// Most symbols one feed subscribes to.
pub const MAX_SYMBOLS: usize = 2_000;
/// The longest raw symbol taken.
pub const MAX_SYMBOL_LENGTH: usize = 64;
/// The symbol that subscribes to every instrument of the dataset (alone in the list).
pub const ALL_SYMBOLS: &str = "ALL_SYMBOLS";
/// The schemas this feed turns into events.
pub const SCHEMAS: [Schema; 3] = [Schema::Mbp1, Schema::Trades, Schema::Ohlcv1M];
/// Events one batch gives at most.
const MAX_BATCH: usize = 1024;
/// How long connecting, authenticating, subscribing and receiving the session's metadata may
/// take together (the client has its own 10 s connect and 30 s authentication timeouts).
const OPEN_TIMEOUT: Duration = Duration::from_secs(45);

/// What to stream from where.
#[derive(Clone, PartialEq)]
pub struct DatabentoConfig {
    /// The API key (`db-…`, 32 characters). Never logged: `Debug` shows its last 5 characters.
    pub api_key: String,
    /// The dataset: `GLBX.MDP3`, `XNAS.ITCH`, …
    pub dataset: String,
    /// [`Schema::Mbp1`], [`Schema::Trades`] or [`Schema::Ohlcv1M`].
    pub schema: Schema,
    /// Raw symbols (`ESU4`, `AAPL`), or [`ALL_SYMBOLS`] alone.
    pub symbols: Vec<String>,
    /// The gateway as `host:port`; `None` is the client's default for the dataset
    /// (`glbx-mdp3.lsg.databento.com:13000`, …).
    pub gateway: Option<String>,
    /// The first wait before reconnecting; it doubles after each attempt and goes back to this
    /// after a connection that delivered data.
    pub reconnect_delay: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for DatabentoConfig {
    fn default() -> Self {
        DatabentoConfig {
            api_key: String::new(),
            dataset: String::new(),
            schema: Schema::Mbp1,
            symbols: Vec::new(),
            gateway: None,
            reconnect_delay: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for DatabentoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabentoConfig")
            .field("api_key", &redacted(&self.api_key))
            .field("dataset", &self.dataset)
            .field("schema", &self.schema)
            .field("symbols", &self.symbols.len())
            .field("gateway", &self.gateway)
            .field("reconnect_delay", &self.reconnect_delay)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

/// The last 5 characters of a key (Databento's bucket id), as the client shows it.
fn redacted(key: &str) -> String {
    let tail = key
        .char_indices()
        .rev()
        .nth(4)
        .map_or(key, |(i, _)| &key[i..]);
    format!("…{tail}")
}

/// What a [`DatabentoLive`] has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DatabentoStats {
    /// Records received from the gateway: market data, symbol mappings, system and error
    /// messages, duplicates included.
    pub records: u64,
    /// Market records dropped because one as new had been given already (sent again after a
    /// reconnection).
    pub duplicates: u64,
    /// Connections re-established after one was lost.
    pub reconnects: u64,
}

/// The index key of a market record, compared per publisher and instrument.
type Key = (u64, u32);

/// Per publisher and instrument: the last key given and how many records had it.
#[derive(Debug, Clone, Copy)]
struct Last {
    key: Key,
    /// Records given with `key`.
    given: u64,
    /// Records with `key` still to drop: the ones given before a reconnection, if the gateway
    /// sends them again.
    to_skip: u64,
}

/// What the records of all connections have shown: the last keys, the pending gap, the counts.
#[derive(Debug, Default)]
struct Tracker {
    last: HashMap<(u16, u32), Last>,
    /// The time of the last market event given.
    last_ts: Option<Nanos>,
    /// Why the connection was lost, until the first event after the new one.
    gap: Option<String>,
    /// The current connection gave an event.
    delivered: bool,
    /// Records skipped because they could not be converted.
    unreadable: u64,
    stats: DatabentoStats,
}

impl Tracker {
    /// A new connection after a lost one: records with the last key given may come again.
    fn resume(&mut self, why: String) {
        for last in self.last.values_mut() {
            last.to_skip = last.given;
        }
        self.gap.get_or_insert(why);
    }

    /// Whether a market record is new; if not it is counted as a duplicate.
    fn is_new(&mut self, publisher: u16, instrument: u32, key: Key) -> bool {
        let new = match self.last.get_mut(&(publisher, instrument)) {
            None => {
                let first = Last {
                    key,
                    given: 1,
                    to_skip: 0,
                };
                self.last.insert((publisher, instrument), first);
                true
            }
            Some(last) if key > last.key => {
                *last = Last {
                    key,
                    given: 1,
                    to_skip: 0,
                };
                true
            }
            Some(last) if key == last.key && last.to_skip == 0 => {
                last.given += 1;
                true
            }
            Some(last) => {
                if key == last.key {
                    last.to_skip -= 1;
                }
                false
            }
        };
        if !new {
            self.stats.duplicates += 1;
        }
        new
    }

    /// One record from the gateway; an error only for a refused API key.
    fn on_record(
        &mut self,
        dataset: &str,
        record: &RecordRef,
        out: &mut Vec<FeedEvent>,
    ) -> Result<(), FeedError> {
        self.stats.records += 1;
        let hd = record.header();
        let key = match record.as_enum() {
            Ok(RecordRefEnum::Error(error)) => return on_error(dataset, error),
            Ok(RecordRefEnum::System(system)) => {
                on_system(dataset, system);
                return Ok(());
            }
            Ok(RecordRefEnum::Mbp1(m)) => Some((m.ts_recv, m.sequence)),
            Ok(RecordRefEnum::Trade(t)) => Some((t.ts_recv, t.sequence)),
            Ok(RecordRefEnum::Ohlcv(o)) => Some((o.hd.ts_event, 0)),
            _ => None,
        };
        if let Some(key) = key
            && !self.is_new(hd.publisher_id, hd.instrument_id, key)
        {
            return Ok(());
        }
        match convert(record, 1) {
            Ok(Some((_, event))) => {
                if let FeedEvent::Market(market) = &event {
                    if let Some(why) = self.gap.take() {
                        out.push(FeedEvent::Gap(Gap {
                            symbol: None,
                            from: self.last_ts,
                            to: market.ts,
                            missing: None,
                            reason: format!("disconnected: {why}"),
                        }));
                    }
                    self.last_ts = Some(market.ts);
                    self.delivered = true;
                }
                out.push(event);
            }
            Ok(None) => {}
            Err(e) => {
                self.unreadable += 1;
                let n = self.unreadable;
                if n <= 10 || n.is_multiple_of(1000) {
                    tracing::warn!(
                        dataset,
                        rtype = hd.rtype,
                        skipped = n,
                        "Databento: a record skipped: {e}"
                    );
                }
            }
        }
        Ok(())
    }
}

fn on_error(dataset: &str, error: &ErrorMsg) -> Result<(), FeedError> {
    let message = error.err().unwrap_or("(not UTF-8)");
    match error.code() {
        Ok(ErrorCode::AuthFailed | ErrorCode::ApiKeyDeactivated) => {
            tracing::error!(dataset, "Databento refused the API key: {message}");
            Err(FeedError::Connection(format!(
                "Databento refused the API key: {message}"
            )))
        }
        code => {
            let code = code.map_or("unknown", |c| c.as_str());
            tracing::warn!(dataset, code, "Databento gateway error: {message}");
            Ok(())
        }
    }
}

fn on_system(dataset: &str, system: &SystemMsg) {
    let message = system.msg().unwrap_or("(not UTF-8)");
    match system.code() {
        Ok(SystemCode::Heartbeat) => tracing::trace!(dataset, "Databento: heartbeat"),
        Ok(SystemCode::EndOfInterval) => tracing::debug!(dataset, "Databento: {message}"),
        Ok(SystemCode::SlowReaderWarning) => {
            tracing::warn!(dataset, "Databento: the feed is read too slowly: {message}");
        }
        code => {
            let code = code.map_or("unknown", |c| c.as_str());
            tracing::info!(dataset, code, "Databento: {message}");
        }
    }
}

/// Databento's live gateway as a [`Feed`].
pub struct DatabentoLive {
    config: DatabentoConfig,
    symbols: Symbols,
    client: Option<LiveClient>,
    /// Wait before the next attempt (not before the first one).
    wait: bool,
    /// The next wait before connecting.
    backoff: Duration,
    /// Why the last connection was lost, until another one is made.
    lost: Option<String>,
    /// The gateway refused the API key: every later call says so again.
    refused: Option<String>,
    tracker: Tracker,
}

impl fmt::Debug for DatabentoLive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabentoLive")
            .field("config", &self.config)
            .field("connected", &self.client.is_some())
            .field("backoff", &self.backoff)
            .field("refused", &self.refused.is_some())
            .field("stats", &self.tracker.stats)
            .finish_non_exhaustive()
    }
}

impl DatabentoLive {
    /// Checks the configuration; it connects on the first [`Feed::next_batch`].
    pub fn new(config: DatabentoConfig) -> Result<DatabentoLive, FeedError> {
        let refuse = |field: &str, why: String| {
            Err(FeedError::Format(format!("Databento feed: {field}: {why}")))
        };
        let key = &config.api_key;
        if key.is_empty() {
            return refuse("api_key", "missing".into());
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return refuse(
                "api_key",
                "a Databento API key is ASCII letters, digits and dashes (db-…), without \
                 spaces"
                    .into(),
            );
        }
        if key.len() != API_KEY_LENGTH {
            return refuse(
                "api_key",
                format!(
                    "a Databento API key is {API_KEY_LENGTH} characters (db-…), not {}",
                    key.len()
                ),
            );
        }
        let dataset = &config.dataset;
        if dataset.is_empty() {
            return refuse("dataset", "missing (GLBX.MDP3, XNAS.ITCH, …)".into());
        }
        if dataset.len() > 16
            || !dataset
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return refuse(
                "dataset",
                format!("{dataset:?} is not a dataset name (GLBX.MDP3, XNAS.ITCH, …)"),
            );
        }
        if !SCHEMAS.contains(&config.schema) {
            return refuse(
                "schema",
                format!(
                    "{} is not one this feed reads (mbp-1, trades or ohlcv-1m)",
                    config.schema
                ),
            );
        }
        let count = config.symbols.len();
        if count == 0 {
            return refuse("symbols", "none to subscribe to".into());
        }
        if count > MAX_SYMBOLS {
            return refuse(
                "symbols",
                format!("{count} are more than the {MAX_SYMBOLS} one feed takes"),
            );
        }
        let mut seen = std::collections::HashSet::with_capacity(count);
        for symbol in &config.symbols {
            let valid = (1..=MAX_SYMBOL_LENGTH).contains(&symbol.len())
                && symbol
                    .bytes()
                    .all(|b| (b' '..=b'~').contains(&b) && b != b',' && b != b'|')
                && !symbol.trim().is_empty();
            if !valid {
                return refuse(
                    "symbols",
                    format!(
                        "{symbol:?} is not a raw symbol (1 to {MAX_SYMBOL_LENGTH} printable \
                         ASCII characters, no comma or |)"
                    ),
                );
            }
            if !seen.insert(symbol.as_str()) {
                return refuse("symbols", format!("{symbol} is listed twice"));
            }
        }
        let symbols = if config.symbols.iter().any(|s| s == ALL_SYMBOLS) {
            if count > 1 {
                return refuse(
                    "symbols",
                    format!("{ALL_SYMBOLS} subscribes to every symbol: list it alone"),
                );
            }
            Symbols::All
        } else {
            Symbols::Symbols(config.symbols.clone())
        };
        if let Some(gateway) = &config.gateway {
            let valid = gateway
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                return refuse("gateway", format!("{gateway:?} is not host:port"));
            }
        }
        if config.reconnect_delay.is_zero() || config.max_backoff < config.reconnect_delay {
            return refuse(
                "reconnect_delay",
                format!(
                    "{:?} must be above zero and at most max_backoff ({:?})",
                    config.reconnect_delay, config.max_backoff
                ),
            );
        }
        Ok(DatabentoLive {
            symbols,
            client: None,
            wait: false,
            backoff: config.reconnect_delay,
            lost: None,
            refused: None,
            tracker: Tracker::default(),
            config,
        })
    }

    /// What the feed has seen so far.
    pub fn stats(&self) -> DatabentoStats {
        self.tracker.stats
    }

    /// Connects (waiting the backoff first unless it is the first attempt) until a session is
    /// started; names the instruments of its metadata. Fails only on a refused API key.
    async fn connect(&mut self, out: &mut Vec<FeedEvent>) -> Result<(), FeedError> {
        let where_ = self.config.gateway.as_deref().unwrap_or("default gateway");
        loop {
            if self.wait {
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(self.config.max_backoff);
            }
            self.wait = true;
            let opened = tokio::time::timeout(OPEN_TIMEOUT, self.open()).await;
            match opened {
                Ok(Ok((client, metadata))) => {
                    tracing::info!(
                        dataset = %self.config.dataset,
                        gateway = where_,
                        session = client.session_id(),
                        "Databento: session started"
                    );
                    self.client = Some(client);
                    self.tracker.delivered = false;
                    name_instruments(&metadata, out);
                    if let Some(why) = self.lost.take() {
                        self.tracker.stats.reconnects += 1;
                        self.tracker.resume(why);
                    }
                    return Ok(());
                }
                Ok(Err(databento::Error::Auth(message))) => {
                    let why = format!("Databento refused the API key: {message}");
                    tracing::error!(dataset = %self.config.dataset, gateway = where_, "{why}");
                    self.refused = Some(why.clone());
                    return Err(FeedError::Connection(why));
                }
                Ok(Err(e)) => tracing::warn!(
                    dataset = %self.config.dataset,
                    gateway = where_,
                    retry_in = ?self.backoff,
                    "Databento: cannot start a session: {e}"
                ),
                Err(_) => tracing::warn!(
                    dataset = %self.config.dataset,
                    gateway = where_,
                    retry_in = ?self.backoff,
                    "Databento: no session within {} s",
                    OPEN_TIMEOUT.as_secs()
                ),
            }
        }
    }

    /// One authenticated connection with the subscription sent and the session started.
    async fn open(&self) -> databento::Result<(LiveClient, Metadata)> {
        let builder = LiveClient::builder()
            .key(&self.config.api_key)?
            .dataset(&self.config.dataset)
            .upgrade_policy(VersionUpgradePolicy::UpgradeToV3);
        let builder = match &self.config.gateway {
            Some(gateway) => builder.addr(gateway.as_str()).await?,
            None => builder,
        };
        let mut client = builder.build().await?;
        let subscription = Subscription::builder()
            .symbols(self.symbols.clone())
            .schema(self.config.schema)
            .stype_in(SType::RawSymbol)
            .build();
        client.subscribe(subscription).await?;
        let metadata = client.start().await?;
        Ok((client, metadata))
    }

    fn lose(&mut self, why: String) {
        tracing::warn!(dataset = %self.config.dataset, "Databento: connection lost: {why}");
        self.client = None;
        self.lost.get_or_insert(why);
    }
}

/// `Symbol` events for the instrument ids of the metadata's mappings (a live session's
/// metadata usually has none: its symbol mapping records name the instruments).
fn name_instruments(metadata: &Metadata, out: &mut Vec<FeedEvent>) {
    for mapping in &metadata.mappings {
        let mut ids: Vec<u32> = mapping
            .intervals
            .iter()
            .filter_map(|interval| interval.symbol.parse().ok())
            .collect();
        ids.dedup();
        out.extend(ids.into_iter().map(|instrument| FeedEvent::Symbol {
            instrument,
            symbol: mapping.raw_symbol.clone(),
        }));
    }
}

impl Feed for DatabentoLive {
    fn describe(&self) -> String {
        let symbols = match &self.symbols {
            Symbols::All => "all symbols".to_string(),
            _ => {
                let n = self.config.symbols.len();
                format!("{n} symbol{}", if n == 1 { "" } else { "s" })
            }
        };
        format!(
            "Databento live {} {}, {symbols}",
            self.config.dataset, self.config.schema
        )
    }

    fn next_batch<'a>(&'a mut self, out: &'a mut Vec<FeedEvent>) -> BatchFuture<'a> {
        Box::pin(async move {
            if let Some(why) = &self.refused {
                return Err(FeedError::Connection(why.clone()));
            }
            let floor = out.len();
            while out.len() - floor < MAX_BATCH {
                // Wait for the first event of the batch, then take only what is ready.
                let waiting = out.len() == floor;
                let Some(client) = self.client.as_mut() else {
                    if !waiting {
                        break;
                    }
                    self.connect(out).await?;
                    continue;
                };
                let next = if waiting {
                    // The client gives up after its heartbeat timeout (35 s by default).
                    client.next_record().await
                } else {
                    // A zero timeout polls once: a record if one is buffered or readable.
                    match tokio::time::timeout(Duration::ZERO, client.next_record()).await {
                        Ok(next) => next,
                        Err(_) => break,
                    }
                };
                let lost = match next {
                    Ok(Some(record)) => {
                        let result = self.tracker.on_record(&self.config.dataset, &record, out);
                        if let Err(e) = result {
                            self.refused = Some(e.to_string());
                            self.client = None;
                            if out.len() == floor {
                                return Err(e);
                            }
                            // Give what came before it; the next call says why it ended.
                            break;
                        }
                        if self.tracker.delivered {
                            self.backoff = self.config.reconnect_delay;
                        }
                        continue;
                    }
                    Ok(None) => "closed by the gateway".to_string(),
                    Err(e) => e.to_string(),
                };
                self.lose(lost);
            }
            Ok(true)
        })
    }
}
