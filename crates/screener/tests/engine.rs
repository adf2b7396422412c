//! The screen engine on hand-made events: each built-in screen fires where its rule says and
//! nowhere else, cooldowns and once-per-session rules hold, quiet symbols' bars close on the
//! clock, late trades are not folded in, and block screens fire on closed bars only.

use bb_screener::{
    Alert, AlertType, BlockScreen, EventKind, FeedEvent, GapSettings, HighLowSettings, MarketEvent,
    Quote, Screener, ScreenerConfig, Signal, SpreadSettings, VolumeSpikeSettings,
};

const MIN: i64 = 60_000_000_000;
/// 2024-07-02 00:00 UTC.
const DAY2: i64 = 1_719_878_400 * 1_000_000_000;

fn only(kind: &str) -> ScreenerConfig {
    ScreenerConfig {
        session_offset_minutes: 0,
        cooldown_seconds: 300,
        gap: (kind == "gap").then(GapSettings::default),
        volume_spike: (kind == "volume").then(VolumeSpikeSettings::default),
        high_low: (kind == "high_low").then(HighLowSettings::default),
        spread: (kind == "spread").then(SpreadSettings::default),
    }
}

fn trade(instrument: u32, ts: i64, price: f64, size: f64) -> FeedEvent {
    FeedEvent::Market(MarketEvent {
        instrument,
        ts,
        kind: EventKind::Trade { price, size },
    })
}

fn quote(instrument: u32, ts: i64, bid: f64, ask: f64) -> FeedEvent {
    FeedEvent::Market(MarketEvent {
        instrument,
        ts,
        kind: EventKind::Quote(Quote {
            bid,
            ask,
            bid_size: 1.0,
            ask_size: 1.0,
        }),
    })
}

fn named(instrument: u32, symbol: &str) -> FeedEvent {
    FeedEvent::Symbol {
        instrument,
        symbol: symbol.into(),
    }
}

fn run(screener: &mut Screener, events: &[FeedEvent]) -> Vec<Alert> {
    let mut out = Vec::new();
    for e in events {
        screener.push(e, &mut out);
    }
    out
}

#[test]
fn a_gap_up_fires_once_per_session_from_the_previous_close_pre_market_included() {
    let mut s = Screener::new(only("gap"), Vec::new()).unwrap();
    let alerts = run(
        &mut s,
        &[
            named(1, "ABC"),
            trade(1, DAY2 - 10 * MIN, 100.0, 10.0),
            trade(1, DAY2 - 5 * MIN, 101.0, 10.0), // the previous close
            trade(1, DAY2 + 60 * MIN, 102.0, 10.0), // +0.99%: nothing
            trade(1, DAY2 + 61 * MIN, 103.2, 10.0), // +2.18%: the gap (04:00 pre-market in UTC terms)
            trade(1, DAY2 + 62 * MIN, 104.0, 10.0), // still up: no second alert
        ],
    );
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.symbol, "ABC");
    assert_eq!(a.alert_type, AlertType::GapUp);
    assert_eq!(a.trigger_price, 103.2);
    assert_eq!(a.trigger_time, DAY2 + 61 * MIN);
    assert_eq!(a.conditions.previous_close, Some(101.0));
    assert!((a.conditions.pct_move.unwrap() - (103.2 / 101.0 - 1.0) * 100.0).abs() < 1e-12);
    assert_eq!(a.conditions.threshold, 2.0);
    // the next session measures from this session's last trade, and a gap down fires too
    let next = run(&mut s, &[trade(1, DAY2 + 1440 * MIN + 1, 101.0, 1.0)]);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].alert_type, AlertType::GapDown);
    assert_eq!(next[0].conditions.previous_close, Some(104.0));
}

#[test]
fn the_session_offset_moves_the_day_boundary() {
    // sessions start at 22:00 UTC (CME's 17:00 Chicago in summer): midnight is mid-session
    let mut config = only("gap");
    config.session_offset_minutes = 120;
    let mut s = Screener::new(config, Vec::new()).unwrap();
    let alerts = run(
        &mut s,
        &[
            trade(1, DAY2 - 3 * 60 * MIN, 100.0, 1.0),
            trade(1, DAY2 + MIN, 110.0, 1.0),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].symbol, "#1",
        "an instrument never named is shown by number"
    );
    assert_eq!(s.stats().unnamed_instruments, 1);
    let mut same = Screener::new(
        ScreenerConfig {
            session_offset_minutes: 0,
            ..only("gap")
        },
        Vec::new(),
    )
    .unwrap();
    let quiet = run(
        &mut same,
        &[
            trade(1, DAY2 - 3 * 60 * MIN + 5 * MIN, 100.0, 1.0),
            trade(1, DAY2 - 30 * MIN, 110.0, 1.0),
        ],
    );
    assert!(quiet.is_empty(), "one UTC day: no previous close");
}

#[test]
fn a_volume_spike_is_judged_against_recent_bars_then_the_time_of_day() {
    let mut s = Screener::new(only("volume"), Vec::new()).unwrap();
    let mut events = vec![named(7, "XYZ")];
    // five quiet minutes of 100, then 350 (3.5×), then 250 (2.5×, below 3×)
    for (m, volume) in [100.0, 100.0, 100.0, 100.0, 100.0, 350.0, 250.0, 100.0]
        .into_iter()
        .enumerate()
    {
        events.push(trade(7, DAY2 + m as i64 * MIN + 1, 50.0, volume));
    }
    let alerts = run(&mut s, &events);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.alert_type, AlertType::VolumeSpike);
    assert_eq!(a.conditions.volume, Some(350.0));
    assert_eq!(a.conditions.baseline_volume, Some(100.0));
    assert_eq!(a.conditions.baseline.as_deref(), Some("recent_bars"));
    assert_eq!(a.conditions.multiple, Some(3.5));
    // stamped at the bar's close: minute 5 ends at minute 6
    assert_eq!(a.trigger_time, DAY2 + 6 * MIN);

    // the next day the same half hour's mean (1,200 over eight minutes: 150) is the baseline:
    // 400 is 2.7×, 500 is 3.3×
    let day3 = DAY2 + 1440 * MIN;
    let next = run(
        &mut s,
        &[
            trade(7, day3 + 1, 50.0, 400.0),
            trade(7, day3 + MIN + 1, 50.0, 500.0),
            trade(7, day3 + 2 * MIN + 1, 50.0, 1.0),
        ],
    );
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0].conditions.baseline.as_deref(), Some("time_of_day"));
    assert_eq!(next[0].conditions.baseline_volume, Some(150.0));
    assert_eq!(next[0].conditions.volume, Some(500.0));
}

#[test]
fn a_quiet_symbols_bar_closes_when_the_clock_passes_it() {
    let mut s = Screener::new(only("volume"), Vec::new()).unwrap();
    let mut events = Vec::new();
    for m in 0..5 {
        events.push(trade(1, DAY2 + m * MIN, 10.0, 10.0));
    }
    events.push(trade(1, DAY2 + 5 * MIN, 10.0, 100.0)); // the spike, in minute 5
    assert!(run(&mut s, &events).is_empty(), "the bar is still open");
    // another symbol's quote in minute 6 closes it
    let alerts = run(&mut s, &[quote(2, DAY2 + 6 * MIN + 5, 1.0, 1.1)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].conditions.volume, Some(100.0));
    // a trade stamped in a closed minute is late: counted, not folded in
    let late = run(
        &mut s,
        &[
            trade(1, DAY2 + 6 * MIN + 10, 10.0, 1.0),
            trade(1, DAY2 + 5 * MIN, 10.0, 1e6),
        ],
    );
    assert!(late.is_empty());
    assert_eq!(s.stats().late_events, 1);
}

#[test]
fn new_highs_wait_for_the_range_and_respect_the_cooldown() {
    let mut s = Screener::new(only("high_low"), Vec::new()).unwrap();
    let alerts = run(
        &mut s,
        &[
            trade(1, DAY2, 10.0, 1.0),
            trade(1, DAY2 + 2 * MIN, 11.0, 1.0), // within the first 5 minutes: sets the range
            trade(1, DAY2 + 6 * MIN, 12.0, 1.0), // new high
            trade(1, DAY2 + 7 * MIN, 13.0, 1.0), // higher, but in the cooldown
            trade(1, DAY2 + 8 * MIN, 9.0, 1.0),  // new low (its own cooldown)
            trade(1, DAY2 + 12 * MIN, 14.0, 1.0), // after 5 minutes: fires again
        ],
    );
    let got: Vec<(AlertType, f64, Option<f64>)> = alerts
        .iter()
        .map(|a| (a.alert_type, a.trigger_price, a.conditions.previous_extreme))
        .collect();
    assert_eq!(
        got,
        vec![
            (AlertType::NewHigh, 12.0, Some(11.0)),
            (AlertType::NewLow, 9.0, Some(10.0)),
            (AlertType::NewHigh, 14.0, Some(13.0)),
        ]
    );
}

#[test]
fn a_spread_blow_out_needs_a_baseline_and_carries_the_book() {
    let mut config = only("spread");
    config.spread = Some(SpreadSettings {
        multiple: 5.0,
        min_quotes: 10,
    });
    let mut s = Screener::new(config, Vec::new()).unwrap();
    let mut events = vec![quote(1, DAY2, 99.0, 101.0)]; // wide from the start: no baseline yet
    for k in 1..=10 {
        events.push(quote(1, DAY2 + k, 99.99, 100.01));
    }
    events.push(quote(1, DAY2 + 20, 99.0, 101.0));
    events.push(quote(1, DAY2 + 21, 100.0, 99.0)); // crossed: ignored
    let alerts = run(&mut s, &events);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.alert_type, AlertType::SpreadBlowout);
    assert_eq!(a.metadata.bid, Some(99.0));
    assert_eq!(a.metadata.ask, Some(101.0));
    assert_eq!(a.metadata.spread, Some(2.0));
    assert!(a.conditions.multiple.unwrap() >= 5.0);
    assert_eq!(a.trigger_price, 100.0);
}

#[test]
fn settings_out_of_range_are_refused_by_name() {
    let config = ScreenerConfig {
        gap: Some(GapSettings { min_pct: -1.0 }),
        ..ScreenerConfig::default()
    };
    assert!(
        Screener::new(config, Vec::new())
            .unwrap_err()
            .contains("gap.min_pct")
    );
    let config = ScreenerConfig {
        session_offset_minutes: 5000,
        ..ScreenerConfig::default()
    };
    assert!(
        Screener::new(config, Vec::new())
            .unwrap_err()
            .contains("session_offset_minutes")
    );
    // and the settings' fingerprint tells versions apart
    assert_ne!(
        ScreenerConfig::default().fingerprint(),
        only("gap").fingerprint()
    );
}

/// Enters long when the close crosses above its 3-bar SMA.
const CROSS: &str = r#"{
  "schema_version": 2,
  "name": "close over sma",
  "nodes": [
    { "id": "close", "kind": "candle_field", "params": { "field": "close" } },
    { "id": "sma", "kind": "sma", "params": { "period": 3 } },
    { "id": "up", "kind": "crosses_above" },
    { "id": "down", "kind": "crosses_below" },
    { "id": "buy", "kind": "enter_long" },
    { "id": "sell", "kind": "exit_long" }
  ],
  "edges": [
    { "from": { "node": "close", "port": "out" }, "to": { "node": "sma", "port": "in" } },
    { "from": { "node": "close", "port": "out" }, "to": { "node": "up", "port": "a" } },
    { "from": { "node": "sma", "port": "out" }, "to": { "node": "up", "port": "b" } },
    { "from": { "node": "close", "port": "out" }, "to": { "node": "down", "port": "a" } },
    { "from": { "node": "sma", "port": "out" }, "to": { "node": "down", "port": "b" } },
    { "from": { "node": "up", "port": "out" }, "to": { "node": "buy", "port": "when" } },
    { "from": { "node": "down", "port": "out" }, "to": { "node": "sell", "port": "when" } }
  ]
}"#;

#[test]
fn a_block_screen_fires_on_the_closed_bar_where_its_condition_holds() {
    let plan = bb_strategy::load(CROSS, &Default::default()).expect("the screen compiles");
    let screen = BlockScreen::new(
        "screen-1".into(),
        4,
        Signal::EnterLong,
        ["ABC".to_owned()].into_iter().collect(),
        &plan,
    )
    .unwrap();
    let config = ScreenerConfig {
        gap: None,
        volume_spike: None,
        high_low: None,
        spread: None,
        ..ScreenerConfig::default()
    };
    let mut s = Screener::new(config, vec![screen]).unwrap();
    let mut events = vec![named(1, "ABC"), named(2, "OTHER")];
    // closes 10, 9, 8, 7, then 12: the cross is on the fifth bar
    for (m, close) in [10.0, 9.0, 8.0, 7.0, 12.0].into_iter().enumerate() {
        let ts = DAY2 + m as i64 * MIN + 1;
        events.push(trade(1, ts, close, 1.0));
        events.push(trade(2, ts, close, 1.0)); // the same prices, not on the screen's list
    }
    let before_close = run(&mut s, &events);
    assert!(
        before_close.is_empty(),
        "the fifth bar is still open: {before_close:?}"
    );
    let mut alerts = Vec::new();
    s.finish(&mut alerts);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].symbol, "ABC");
    assert_eq!(alerts[0].alert_type, AlertType::BlockScreen);
    assert_eq!(alerts[0].screen, "screen-1");
    assert_eq!(alerts[0].screen_version, 4);
    assert_eq!(alerts[0].trigger_price, 12.0);
    assert_eq!(alerts[0].trigger_time, DAY2 + 5 * MIN);
}
