//! The seeded synthetic full market ([`bb_screener::synthetic`]) as a live feed: its session
//! opens when the feed starts and its events are given at the wall-clock time they carry,
//! so the screener sees a full market's rate and bursts as it would live (benchmarks, demos).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bb_screener::FeedEvent;
use bb_screener::synthetic::{SyntheticMarket, SyntheticSpec};

use crate::{BatchFuture, Feed};

const BATCH: usize = 4_096;

/// A synthetic market paced in real time.
#[derive(Debug)]
pub struct SyntheticFeed {
    symbols: u32,
    market: SyntheticMarket,
    pending: Option<FeedEvent>,
    origin: (tokio::time::Instant, i64),
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl SyntheticFeed {
    /// `symbols` names whose session opens now and lasts `minutes` (the first five at three
    /// times the rate), 30,000 messages a second after the burst.
    pub fn live(symbols: u32, minutes: u32) -> SyntheticFeed {
        let now = now_ns();
        let spec = SyntheticSpec {
            symbols,
            open: now,
            premarket_minutes: 0,
            minutes,
            ..SyntheticSpec::full_market(minutes)
        };
        SyntheticFeed {
            symbols,
            market: SyntheticMarket::new(spec),
            pending: None,
            origin: (tokio::time::Instant::now(), now),
        }
    }

    fn due(&self, ts: i64) -> tokio::time::Instant {
        let (instant, ns) = self.origin;
        instant + Duration::from_nanos(u64::try_from(ts - ns).unwrap_or(0))
    }
}

fn market_ts(event: &FeedEvent) -> Option<i64> {
    match event {
        FeedEvent::Market(m) => Some(m.ts),
        _ => None,
    }
}

impl Feed for SyntheticFeed {
    fn describe(&self) -> String {
        format!("synthetic market of {} symbols, live-paced", self.symbols)
    }

    fn next_batch<'a>(&'a mut self, out: &'a mut Vec<FeedEvent>) -> BatchFuture<'a> {
        Box::pin(async move {
            let Some(first) = self.pending.take().or_else(|| self.market.next()) else {
                return Ok(false);
            };
            if let Some(ts) = market_ts(&first) {
                tokio::time::sleep_until(self.due(ts)).await;
            }
            out.push(first);
            let now = tokio::time::Instant::now();
            while out.len() < BATCH {
                let Some(event) = self.market.next() else {
                    return Ok(false);
                };
                if market_ts(&event).is_some_and(|ts| self.due(ts) > now) {
                    self.pending = Some(event);
                    break;
                }
                out.push(event);
            }
            Ok(true)
        })
    }
}
