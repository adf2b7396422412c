//! A list of sources for one dataset: the first that answers serves each request.
//!
//! A source is skipped for a request when it fails (any error, after its own retries). It is
//! demoted when it fails twice in a row or answers slowly (over `slow_after`) `slow_strikes`
//! times in a row: a demoted source goes to the back of the list for the next `cooldown`
//! requests, then gets its place back. Latency is measured on the injected clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bb_domain::{Candles, Timeframe};

use crate::clock::Clock;
use crate::error::SourceError;
use crate::source::CandleSource;

/// Candles and the source that delivered them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub candles: Candles,
    pub source: String,
    /// The sources tried before it, and why each was passed over.
    pub skipped: Vec<SourceError>,
}

/// Consecutive failures that demote a source.
const FAILURE_STRIKES: u32 = 2;

#[derive(Debug, Default, Clone, Copy)]
struct Health {
    slow_in_a_row: u32,
    failed_in_a_row: u32,
    /// Requests left before a demoted source gets its place back.
    demoted_for: u32,
}

/// Sources in order of preference, with their recent health.
#[derive(Debug)]
pub struct Failover {
    sources: Vec<Arc<dyn CandleSource>>,
    clock: Arc<dyn Clock>,
    slow_after: Duration,
    slow_strikes: u32,
    cooldown: u32,
    health: Mutex<Vec<Health>>,
}

impl Failover {
    /// `sources` in order of preference (at least one).
    pub fn new(sources: Vec<Arc<dyn CandleSource>>, clock: Arc<dyn Clock>) -> Failover {
        let n = sources.len();
        Failover {
            sources,
            clock,
            slow_after: Duration::from_secs(10),
            slow_strikes: 3,
            cooldown: 10,
            health: Mutex::new(vec![Health::default(); n]),
        }
    }

    /// A response slower than `after`, `strikes` times in a row, demotes a source for
    /// `cooldown` requests.
    pub fn with_latency_rule(mut self, after: Duration, strikes: u32, cooldown: u32) -> Failover {
        self.slow_after = after;
        self.slow_strikes = strikes.max(1);
        self.cooldown = cooldown;
        self
    }

    /// The sources' names, in order of preference.
    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name().to_owned()).collect()
    }

    /// The primary source's name.
    pub fn primary(&self) -> &str {
        self.sources.first().map_or("", |s| s.name())
    }

    /// The order to try the sources in for the next request: healthy ones in preference
    /// order, then demoted ones.
    fn order(&self) -> Vec<usize> {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let mut healthy = Vec::new();
        let mut demoted = Vec::new();
        for (i, h) in health.iter_mut().enumerate() {
            if h.demoted_for > 0 {
                h.demoted_for -= 1;
                demoted.push(i);
            } else {
                healthy.push(i);
            }
        }
        healthy.extend(demoted);
        healthy
    }

    fn record(&self, i: usize, elapsed_ms: i64, ok: bool) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let h = &mut health[i];
        if !ok {
            h.failed_in_a_row += 1;
            if h.failed_in_a_row >= FAILURE_STRIKES {
                h.demoted_for = self.cooldown;
                h.failed_in_a_row = 0;
            }
            return;
        }
        h.failed_in_a_row = 0;
        let slow = u128::try_from(elapsed_ms).unwrap_or(0) > self.slow_after.as_millis();
        if slow {
            h.slow_in_a_row += 1;
            if h.slow_in_a_row >= self.slow_strikes {
                h.demoted_for = self.cooldown;
                h.slow_in_a_row = 0;
            }
        } else {
            h.slow_in_a_row = 0;
        }
    }

    /// Fetches from the first source that answers. `Err` holds every source's error when
    /// none does.
    pub async fn fetch(
        &self,
        symbol: &str,
        timeframe: Timeframe,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Fetched, Vec<SourceError>> {
        let mut skipped = Vec::new();
        for i in self.order() {
            let source = &self.sources[i];
            let started = self.clock.now_ms();
            let result = source.fetch(symbol, timeframe, from_ms, to_ms).await;
            self.record(i, self.clock.now_ms() - started, result.is_ok());
            match result {
                Ok(candles) => {
                    return Ok(Fetched {
                        candles,
                        source: source.name().to_owned(),
                        skipped,
                    });
                }
                Err(e) => skipped.push(e),
            }
        }
        Err(skipped)
    }
}
