//! The screen engine on a synthetic full market (9,000 symbols, 30 minutes of pre-market,
//! a 3× burst in the five minutes after the open, then a quiet minute): events per second on
//! one core, the per-event time's percentiles, and memory per symbol.
//!
//! `cargo bench -p bb-screener --bench screener` (prints numbers; asserts nothing).

#![allow(clippy::print_stdout)]

use std::time::Instant;

use bb_screener::synthetic::{SyntheticMarket, SyntheticSpec};
use bb_screener::{FeedEvent, Screener, ScreenerConfig};

/// The process's resident memory in bytes (Linux), 0 elsewhere.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    let spec = SyntheticSpec::full_market(6);
    let symbols = spec.symbols;
    let mut samples: Vec<u32> = vec![0; 1 << 23];
    samples.clear();
    let mut market = SyntheticMarket::new(spec);
    let mut out = Vec::with_capacity(1024);
    let before = rss();
    let mut screener = Screener::new(ScreenerConfig::default(), Vec::new()).expect("defaults");
    // names and previous closes first: every symbol's state exists after them
    let mut first = Vec::new();
    for event in market.by_ref() {
        let done = matches!(&event, FeedEvent::Market(m) if m.instrument + 1 == symbols);
        first.push(event);
        if done {
            break;
        }
    }
    for event in &first {
        screener.push(event, &mut out);
    }
    let state = rss().saturating_sub(before);
    out.clear();
    let mut busy = 0u128;
    let mut events = 0u64;
    let mut alerts = 0usize;
    for (k, event) in market.enumerate() {
        let start = Instant::now();
        screener.push(&event, &mut out);
        let ns = start.elapsed().as_nanos();
        busy += ns;
        events += 1;
        // every 16th event's time kept for the percentiles (bounded memory)
        if k % 16 == 0 && samples.len() < samples.capacity() {
            samples.push(u32::try_from(ns).unwrap_or(u32::MAX));
        }
        alerts += out.len();
        out.clear();
    }
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    let rate = events as f64 / (busy as f64 / 1e9);
    println!("screener: {events} events, {symbols} symbols, {alerts} alerts");
    println!(
        "screener: {:.0} events/s on one core (engine time {:.2} s, clock read per event included)",
        rate,
        busy as f64 / 1e9
    );
    println!(
        "screener: per event p50 {} ns, p99 {} ns, p99.9 {} ns, max sampled {} ns",
        pct(0.5),
        pct(0.99),
        pct(0.999),
        samples.last().copied().unwrap_or(0)
    );
    println!(
        "screener: memory {} bytes per symbol (resident growth over {symbols} symbols; {} bytes of fixed state each)",
        state / symbols as usize,
        Screener::bytes_per_symbol()
    );
    let stats = screener.stats();
    println!(
        "screener: {} quotes, {} trades, {} bars closed, {} late",
        stats.quotes, stats.trades, stats.bars, stats.late_events
    );
}
