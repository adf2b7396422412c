//! The screener's market feeds behind one trait, [`Feed`]: Databento DBN replay
//! ([`DbnReplay`], from files at full speed or at the recorded pace) and Binance's public
//! WebSocket streams ([`binance::BinanceFeed`]). Each turns its wire format into
//! [`bb_screener::FeedEvent`]s and reports the gaps it knows of instead of hiding them.

use std::future::Future;
use std::pin::Pin;

use bb_screener::FeedEvent;

pub mod binance;
#[cfg(feature = "databento-live")]
pub mod databento_live;
mod dbn_records;
mod replay;
mod synthetic;

pub use dbn_records::{DbnError, decode_dbn};
pub use replay::{DbnReplay, Pace};
pub use synthetic::SyntheticFeed;

/// Why a feed stopped.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Connection(String),
}

/// The future a feed's [`Feed::next_batch`] returns.
pub type BatchFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, FeedError>> + Send + 'a>>;

/// A source of market events.
pub trait Feed: Send {
    /// What it is, for logs and the health report ("replay of 2 DBN files", …).
    fn describe(&self) -> String;

    /// Appends the next events to `out` (at least one unless the feed ended) and answers
    /// whether more may come. A live feed reconnects by itself and says so with a
    /// [`bb_screener::FeedEvent::Gap`]; an error is one it cannot recover from.
    fn next_batch<'a>(&'a mut self, out: &'a mut Vec<FeedEvent>) -> BatchFuture<'a>;
}
