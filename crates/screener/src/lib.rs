//! The real-time screener's core: what feeds give ([`event`]), the screen engine
//! ([`Screener`]) with its built-in screens ([`config`]) and block-graph screens
//! ([`BlockScreen`]), the alerts it makes ([`Alert`]) and a seeded full-market feed for
//! benchmarks ([`synthetic`]).
//!
//! Architecture Invariant: no IO, no clock, no unseeded randomness. Feeds (files, sockets)
//! live in `bb-feeds`; storing and serving alerts in `bb-store` and `bb-server`. The engine
//! is deterministic: the same events in the same order give the same alerts.

mod alert;
mod blocks;
mod config;
mod engine;
pub mod event;
pub mod synthetic;

pub use alert::{Alert, AlertType, Conditions, QuoteMeta};
pub use blocks::{BlockScreen, Signal};
pub use config::{
    GapSettings, HighLowSettings, ScreenerConfig, SpreadSettings, VolumeSpikeSettings,
};
pub use engine::{Screener, ScreenerStats};
pub use event::{BarEvent, EventKind, FeedEvent, Gap, MarketEvent, Nanos, Quote};
