//! What a feed gives the screener: market events keyed by a small instrument number, the
//! names of those instruments, and the gaps a feed knows it has.

use serde::{Deserialize, Serialize};

/// Nanoseconds since the Unix epoch, UTC (Databento's unit; Binance's milliseconds are scaled).
pub type Nanos = i64;

pub const NANOS_PER_MILLI: i64 = 1_000_000;
pub const NANOS_PER_MINUTE: i64 = 60_000_000_000;
pub const NANOS_PER_DAY: i64 = 1_440 * NANOS_PER_MINUTE;

/// One market event of one instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketEvent {
    /// The feed's instrument number; its name comes in a [`FeedEvent::Symbol`] first.
    pub instrument: u32,
    /// When the event happened at the venue.
    pub ts: Nanos,
    pub kind: EventKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventKind {
    /// The top of the book after a change. A side with no order is `NaN`.
    Quote(Quote),
    /// A trade.
    Trade { price: f64, size: f64 },
    /// A closed bar the venue built (OHLCV feeds): `minutes` long, opening at the event's `ts`.
    Bar(BarEvent),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quote {
    pub bid: f64,
    pub ask: f64,
    pub bid_size: f64,
    pub ask_size: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarEvent {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub minutes: u32,
}

/// Everything a feed can say.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedEvent {
    /// Instrument `instrument` is called `symbol` from now on.
    Symbol {
        instrument: u32,
        symbol: String,
    },
    Market(MarketEvent),
    /// Events between `from` and `to` may be missing (a disconnect, a sequence jump): what the
    /// feed knows, said rather than hidden.
    Gap(Gap),
}

/// A stretch of a feed that may have lost events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    /// The instrument, or every instrument of the feed when absent.
    pub symbol: Option<String>,
    /// The last event seen before the gap (ns), when there was one.
    pub from: Option<Nanos>,
    /// The first event seen after it (ns).
    pub to: Nanos,
    /// How many events are known to be missing (from sequence numbers), when known.
    pub missing: Option<u64>,
    /// Why: "disconnected", "sequence jump", …
    pub reason: String,
}
