//! A synthetic full-market top-of-book feed for benchmarks and tests: thousands of symbols
//! with skewed activity (a few names take most of the messages, as on a real exchange), a
//! quiet pre-market and a burst at the open, random-walk prices, some names gapping at the
//! open. Seeded, so every run gives the same events.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::event::{
    EventKind, FeedEvent, MarketEvent, NANOS_PER_DAY, NANOS_PER_MINUTE, Nanos, Quote,
};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SyntheticSpec {
    pub symbols: u32,
    pub seed: u64,
    /// The regular open, as an epoch nanosecond (the feed starts `premarket_minutes` before).
    pub open: Nanos,
    pub premarket_minutes: u32,
    /// Minutes after the open.
    pub minutes: u32,
    /// Whole-market messages per second after the burst.
    pub rate: f64,
    /// How many times the rate during the first five minutes after the open (the pre-market
    /// runs at a tenth of the rate).
    pub open_burst: f64,
    /// Share of messages that are trades (the rest are quotes).
    pub trade_share: f64,
}

impl SyntheticSpec {
    /// A full US-equity-like market: 9,000 symbols, 13:30 UTC open on 2024-07-02, half an hour
    /// of pre-market, `minutes` after the open, 30,000 messages a second, 3× at the open.
    pub fn full_market(minutes: u32) -> SyntheticSpec {
        SyntheticSpec {
            symbols: 9_000,
            seed: 42,
            open: 1_719_927_000 * 1_000_000_000,
            premarket_minutes: 30,
            minutes,
            rate: 30_000.0,
            open_burst: 3.0,
            trade_share: 0.2,
        }
    }
}

/// The feed: first every symbol's name and its previous session's last trade, then the
/// session's messages in time order.
#[derive(Debug)]
pub struct SyntheticMarket {
    spec: SyntheticSpec,
    rng: ChaCha8Rng,
    /// Cumulative activity weights (Zipf, exponent 1).
    cumulative: Vec<f64>,
    price: Vec<f64>,
    half_spread: Vec<f64>,
    now: Nanos,
    end: Nanos,
    pending: std::collections::VecDeque<FeedEvent>,
}

impl SyntheticMarket {
    pub fn new(spec: SyntheticSpec) -> SyntheticMarket {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let n = spec.symbols as usize;
        let mut cumulative = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 0..n {
            total += 1.0 / (k as f64 + 1.0);
            cumulative.push(total);
        }
        let mut price = Vec::with_capacity(n);
        let mut half_spread = Vec::with_capacity(n);
        let mut pending = std::collections::VecDeque::with_capacity(2 * n);
        let start = spec.open - i64::from(spec.premarket_minutes) * NANOS_PER_MINUTE;
        let previous_close_time = start - NANOS_PER_DAY / 2;
        for k in 0..spec.symbols {
            let p = 5.0 + 295.0 * unit(&mut rng);
            pending.push_back(FeedEvent::Symbol {
                instrument: k,
                symbol: ticker(k),
            });
            pending.push_back(FeedEvent::Market(MarketEvent {
                instrument: k,
                ts: previous_close_time + i64::from(k),
                kind: EventKind::Trade {
                    price: p,
                    size: 100.0,
                },
            }));
            // one name in fifty opens 2–10% away from its close
            let opening = if rng.next_u32().is_multiple_of(50) {
                let sign = if rng.next_u32().is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                };
                p * (1.0 + sign * (0.02 + 0.08 * unit(&mut rng)))
            } else {
                p
            };
            price.push(opening);
            half_spread.push(opening * (0.0001 + 0.0009 * unit(&mut rng)));
        }
        SyntheticMarket {
            end: spec.open + i64::from(spec.minutes) * NANOS_PER_MINUTE,
            now: start,
            spec,
            rng,
            cumulative,
            price,
            half_spread,
            pending,
        }
    }

    fn rate_at(&self, ts: Nanos) -> f64 {
        if ts < self.spec.open {
            self.spec.rate * 0.1
        } else if ts < self.spec.open + 5 * NANOS_PER_MINUTE {
            self.spec.rate * self.spec.open_burst
        } else {
            self.spec.rate
        }
    }

    fn pick(&mut self) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = unit(&mut self.rng) * total;
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }
}

impl Iterator for SyntheticMarket {
    type Item = FeedEvent;

    fn next(&mut self) -> Option<FeedEvent> {
        if let Some(event) = self.pending.pop_front() {
            return Some(event);
        }
        if self.spec.symbols == 0 {
            return None;
        }
        let gap = -(1.0 - unit(&mut self.rng)).ln() / self.rate_at(self.now);
        self.now += (gap * 1e9).max(1.0) as i64;
        if self.now >= self.end {
            return None;
        }
        let k = self.pick();
        // a step of about 2 basis points, with rare jumps
        let shock = (unit(&mut self.rng) - 0.5) * 0.0004;
        let jump = if self.rng.next_u32().is_multiple_of(20_000) {
            0.03
        } else {
            0.0
        };
        self.price[k] *= 1.0 + shock + jump;
        let price = self.price[k];
        let half = self.half_spread[k]
            * if self.rng.next_u32().is_multiple_of(5_000) {
                20.0
            } else {
                1.0
            };
        let kind = if unit(&mut self.rng) < self.spec.trade_share {
            let size = f64::from(1 + self.rng.next_u32() % 500);
            EventKind::Trade { price, size }
        } else {
            EventKind::Quote(Quote {
                bid: price - half,
                ask: price + half,
                bid_size: f64::from(1 + self.rng.next_u32() % 1_000),
                ask_size: f64::from(1 + self.rng.next_u32() % 1_000),
            })
        };
        Some(FeedEvent::Market(MarketEvent {
            instrument: k as u32,
            ts: self.now,
            kind,
        }))
    }
}

/// In [0, 1).
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A ticker-like name for symbol `k`: A, B, …, Z, AA, AB, …
pub fn ticker(k: u32) -> String {
    let mut n = k + 1;
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}
