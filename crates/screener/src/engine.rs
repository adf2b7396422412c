//! The screen engine: per-symbol state fed one event at a time, one-minute bars built from
//! trades, the built-in screens and block screens run on each event or closed bar, and a
//! cooldown per symbol × screen.
//!
//! Events are taken in the order given. A bar closes when its symbol trades in a later minute
//! or when any event shows the clock has passed its end ([`Screener::advance`]), so quiet
//! symbols close their bars too. A trade stamped before the open bar's minute is late: it is
//! counted, not folded into a bar already given to the screens.

use std::collections::HashMap;

use crate::alert::{Alert, AlertType, Conditions, QuoteMeta};
use crate::blocks::BlockScreen;
use crate::config::ScreenerConfig;
use crate::event::{
    BarEvent, EventKind, FeedEvent, MarketEvent, NANOS_PER_DAY, NANOS_PER_MINUTE, Nanos, Quote,
};

/// Half-hour buckets of the time-of-day volume baseline.
const BUCKETS: usize = 48;
const RECENT: usize = 20;
/// Quotes the spread baseline averages over (exponential weight 1/100).
const SPREAD_WEIGHT: f64 = 0.01;

/// Counts the engine keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScreenerStats {
    pub events: u64,
    pub quotes: u64,
    pub trades: u64,
    pub bars: u64,
    pub alerts: u64,
    /// Trades stamped before their symbol's open bar (not folded in).
    pub late_events: u64,
    /// Events of an instrument no symbol was given for (named by number instead).
    pub unnamed_instruments: u64,
    /// Bars a block screen refused (out of order, not finite).
    pub block_errors: u64,
    pub symbols: u64,
}

#[derive(Clone, Copy, Debug)]
struct OpenBar {
    start: Nanos,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

#[derive(Clone, Debug)]
struct SymbolState {
    name: String,
    bid: f64,
    ask: f64,
    spread_bps: f64,
    quotes: u32,
    bar: Option<OpenBar>,
    /// Session day number of the latest event, `i64::MIN` before the first.
    session: i64,
    session_start: Nanos,
    previous_close: f64,
    last_price: f64,
    day_high: f64,
    day_low: f64,
    gaps_fired: u8,
    /// Per half hour of the day: the mean minute volume over earlier sessions (exponential
    /// over about 20), the sessions and minutes behind it, and this session's sum and count.
    volume_mean: [f32; BUCKETS],
    volume_days: [u8; BUCKETS],
    volume_minutes: [u16; BUCKETS],
    today_sum: [f32; BUCKETS],
    today_count: [u8; BUCKETS],
    recent: [f32; RECENT],
    recent_len: u8,
    recent_next: u8,
    cooldown_until: [Nanos; AlertType::ALL.len()],
    blocks: Vec<Option<bb_strategy::PlanStream>>,
}

impl SymbolState {
    fn new(name: String) -> SymbolState {
        SymbolState {
            name,
            bid: f64::NAN,
            ask: f64::NAN,
            spread_bps: f64::NAN,
            quotes: 0,
            bar: None,
            session: i64::MIN,
            session_start: 0,
            previous_close: f64::NAN,
            last_price: f64::NAN,
            day_high: f64::NAN,
            day_low: f64::NAN,
            gaps_fired: 0,
            volume_mean: [0.0; BUCKETS],
            volume_days: [0; BUCKETS],
            volume_minutes: [0; BUCKETS],
            today_sum: [0.0; BUCKETS],
            today_count: [0; BUCKETS],
            recent: [0.0; RECENT],
            recent_len: 0,
            recent_next: 0,
            cooldown_until: [Nanos::MIN; AlertType::ALL.len()],
            blocks: Vec::new(),
        }
    }

    fn quote_meta(&self) -> QuoteMeta {
        let finite = |v: f64| v.is_finite().then_some(v);
        QuoteMeta {
            bid: finite(self.bid),
            ask: finite(self.ask),
            spread: finite(self.ask - self.bid),
        }
    }
}

/// The screener over every symbol of one feed.
#[derive(Debug)]
pub struct Screener {
    config: ScreenerConfig,
    version: i64,
    blocks: Vec<BlockScreen>,
    index: HashMap<u32, usize>,
    symbols: Vec<SymbolState>,
    /// Names given before the instrument's first event.
    names: HashMap<u32, String>,
    /// The latest event time seen, and the minute whose bars were last swept.
    clock: Nanos,
    swept_minute: i64,
    stats: ScreenerStats,
}

impl Screener {
    /// A screener with these built-in settings (checked) and block screens.
    pub fn new(config: ScreenerConfig, blocks: Vec<BlockScreen>) -> Result<Screener, String> {
        config.check()?;
        Ok(Screener {
            version: config.fingerprint(),
            config,
            blocks,
            index: HashMap::new(),
            symbols: Vec::new(),
            names: HashMap::new(),
            clock: Nanos::MIN,
            swept_minute: i64::MIN,
            stats: ScreenerStats::default(),
        })
    }

    /// The name of an instrument the feed named or sent events for.
    pub fn symbol(&self, instrument: u32) -> Option<&str> {
        match self.index.get(&instrument) {
            Some(&slot) => Some(self.symbols[slot].name.as_str()),
            None => self.names.get(&instrument).map(String::as_str),
        }
    }

    /// Replaces the block screens (their per-symbol streams start again).
    pub fn set_blocks(&mut self, blocks: Vec<BlockScreen>) {
        for state in &mut self.symbols {
            state.blocks = vec![None; blocks.len()];
        }
        self.blocks = blocks;
    }

    pub fn config(&self) -> &ScreenerConfig {
        &self.config
    }

    pub fn stats(&self) -> &ScreenerStats {
        &self.stats
    }

    /// Bytes of state per symbol (excluding block screens' streams and the name's text).
    pub fn bytes_per_symbol() -> usize {
        std::mem::size_of::<SymbolState>() + std::mem::size_of::<(u32, usize)>() * 2
    }

    /// Seeds a symbol's previous close (e.g. from stored daily candles when a live feed starts
    /// mid-session), so gaps are measured from the first event.
    pub fn set_previous_close(&mut self, instrument: u32, symbol: &str, close: f64, ts: Nanos) {
        self.names.insert(instrument, symbol.to_owned());
        let slot = self.slot(instrument);
        let session = self.session_of(ts);
        let state = &mut self.symbols[slot];
        state.previous_close = close;
        state.session = session;
        state.session_start = ts;
    }

    /// Takes one feed event; alerts it fires are appended to `out`.
    pub fn push(&mut self, event: &FeedEvent, out: &mut Vec<Alert>) {
        match event {
            FeedEvent::Symbol { instrument, symbol } => {
                if let Some(&slot) = self.index.get(instrument) {
                    self.symbols[slot].name.clone_from(symbol);
                }
                self.names.insert(*instrument, symbol.clone());
            }
            FeedEvent::Market(market) => self.market(market, out),
            FeedEvent::Gap(_) => {}
        }
    }

    /// Takes one market event.
    pub fn market(&mut self, event: &MarketEvent, out: &mut Vec<Alert>) {
        self.stats.events += 1;
        self.advance(event.ts, out);
        let slot = self.slot(event.instrument);
        self.roll_session(slot, event.ts);
        match event.kind {
            EventKind::Quote(quote) => {
                self.stats.quotes += 1;
                self.quote(slot, event.ts, &quote, out);
            }
            EventKind::Trade { price, size } => {
                if !(price.is_finite() && price > 0.0) {
                    return;
                }
                self.stats.trades += 1;
                self.trade(slot, event.ts, price, size, out);
            }
            EventKind::Bar(bar) => {
                if !(bar.close.is_finite() && bar.close > 0.0) {
                    return;
                }
                self.venue_bar(slot, event.ts, &bar, out);
            }
        }
    }

    /// Moves the clock to `now`: every open bar of a minute that has ended closes.
    pub fn advance(&mut self, now: Nanos, out: &mut Vec<Alert>) {
        if now <= self.clock {
            return;
        }
        self.clock = now;
        let minute = now.div_euclid(NANOS_PER_MINUTE);
        if minute == self.swept_minute {
            return;
        }
        self.swept_minute = minute;
        let boundary = minute * NANOS_PER_MINUTE;
        for slot in 0..self.symbols.len() {
            if let Some(bar) = self.symbols[slot].bar
                && bar.start + NANOS_PER_MINUTE <= boundary
            {
                self.symbols[slot].bar = None;
                self.close_bar(slot, &bar, out);
            }
        }
    }

    /// Closes every open bar (the end of a replay).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        for slot in 0..self.symbols.len() {
            if let Some(bar) = self.symbols[slot].bar.take() {
                self.close_bar(slot, &bar, out);
            }
        }
    }

    fn slot(&mut self, instrument: u32) -> usize {
        if let Some(&slot) = self.index.get(&instrument) {
            return slot;
        }
        let name = match self.names.get(&instrument) {
            Some(name) => name.clone(),
            None => {
                self.stats.unnamed_instruments += 1;
                format!("#{instrument}")
            }
        };
        let mut state = SymbolState::new(name);
        state.blocks = vec![None; self.blocks.len()];
        self.symbols.push(state);
        self.stats.symbols += 1;
        let slot = self.symbols.len() - 1;
        self.index.insert(instrument, slot);
        slot
    }

    fn session_of(&self, ts: Nanos) -> i64 {
        (ts + i64::from(self.config.session_offset_minutes) * NANOS_PER_MINUTE)
            .div_euclid(NANOS_PER_DAY)
    }

    fn roll_session(&mut self, slot: usize, ts: Nanos) {
        let session = self.session_of(ts);
        let state = &mut self.symbols[slot];
        if session <= state.session {
            return;
        }
        if state.session != i64::MIN && state.last_price.is_finite() {
            state.previous_close = state.last_price;
        }
        // the ended session's minutes join the time-of-day baseline
        for b in 0..BUCKETS {
            let n = state.today_count[b];
            if n == 0 {
                continue;
            }
            let days = state.volume_days[b].saturating_add(1);
            let weight = 1.0 / f32::from(days.min(20));
            let mean = state.today_sum[b] / f32::from(n);
            state.volume_mean[b] += weight * (mean - state.volume_mean[b]);
            state.volume_days[b] = days;
            state.volume_minutes[b] = state.volume_minutes[b].saturating_add(u16::from(n));
            state.today_sum[b] = 0.0;
            state.today_count[b] = 0;
        }
        state.session = session;
        state.session_start = ts;
        state.day_high = f64::NAN;
        state.day_low = f64::NAN;
        state.gaps_fired = 0;
    }

    fn quote(&mut self, slot: usize, ts: Nanos, quote: &Quote, out: &mut Vec<Alert>) {
        let version = self.version;
        let cooldown = self.cooldown();
        let settings = self.config.spread.clone();
        let state = &mut self.symbols[slot];
        state.bid = quote.bid;
        state.ask = quote.ask;
        if !(quote.bid.is_finite()
            && quote.ask.is_finite()
            && quote.bid > 0.0
            && quote.ask > quote.bid)
        {
            return;
        }
        let mid = 0.5 * (quote.bid + quote.ask);
        let bps = (quote.ask - quote.bid) / mid * 10_000.0;
        let baseline = state.spread_bps;
        state.quotes = state.quotes.saturating_add(1);
        // a running mean over the first quotes, then exponential
        let weight = (1.0 / f64::from(state.quotes)).max(SPREAD_WEIGHT);
        state.spread_bps = if baseline.is_finite() {
            baseline + weight * (bps - baseline)
        } else {
            bps
        };
        let Some(settings) = settings else { return };
        if state.quotes <= settings.min_quotes || baseline.is_nan() || baseline <= 0.0 {
            return;
        }
        let multiple = bps / baseline;
        if multiple >= settings.multiple
            && take_cooldown(state, AlertType::SpreadBlowout, ts, cooldown)
        {
            let conditions = Conditions {
                spread_bps: Some(bps),
                baseline_spread_bps: Some(baseline),
                multiple: Some(multiple),
                threshold: settings.multiple,
                ..move_from_close(state, mid)
            };
            out.push(builtin(
                state,
                AlertType::SpreadBlowout,
                mid,
                ts,
                conditions,
                version,
            ));
            self.stats.alerts += 1;
        }
    }

    fn trade(&mut self, slot: usize, ts: Nanos, price: f64, size: f64, out: &mut Vec<Alert>) {
        let minute = ts.div_euclid(NANOS_PER_MINUTE) * NANOS_PER_MINUTE;
        match self.symbols[slot].bar {
            Some(bar) if minute > bar.start => {
                self.symbols[slot].bar = None;
                self.close_bar(slot, &bar, out);
            }
            Some(bar) if minute < bar.start => {
                self.stats.late_events += 1;
                return;
            }
            _ => {}
        }
        let size = if size.is_finite() && size > 0.0 {
            size
        } else {
            0.0
        };
        let state = &mut self.symbols[slot];
        match &mut state.bar {
            Some(bar) => {
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += size;
            }
            None => {
                state.bar = Some(OpenBar {
                    start: minute,
                    open: price,
                    high: price,
                    low: price,
                    close: price,
                    volume: size,
                });
            }
        }
        self.price_screens(slot, ts, price, price, price, out);
    }

    /// A bar the venue built: the price screens on its high, low and close, then the bar
    /// screens.
    fn venue_bar(&mut self, slot: usize, ts: Nanos, bar: &BarEvent, out: &mut Vec<Alert>) {
        let end = ts + i64::from(bar.minutes.max(1)) * NANOS_PER_MINUTE;
        self.price_screens(slot, end, bar.high, bar.low, bar.close, out);
        let open = OpenBar {
            start: ts,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume.max(0.0),
        };
        self.close_bar(slot, &open, out);
    }

    /// Gaps and new highs and lows, on a trade (high = low = last) or a venue bar.
    fn price_screens(
        &mut self,
        slot: usize,
        ts: Nanos,
        high: f64,
        low: f64,
        last: f64,
        out: &mut Vec<Alert>,
    ) {
        let version = self.version;
        let cooldown = self.cooldown();
        let gap = self.config.gap.clone();
        let high_low = self.config.high_low.clone();
        let state = &mut self.symbols[slot];
        state.last_price = last;
        let mut fired = 0;
        if let Some(gap) = gap
            && state.previous_close > 0.0
        {
            for (bit, kind, price) in [
                (1u8, AlertType::GapUp, high),
                (2u8, AlertType::GapDown, low),
            ] {
                let pct = (price / state.previous_close - 1.0) * 100.0;
                let hit = if kind == AlertType::GapUp {
                    pct >= gap.min_pct
                } else {
                    -pct >= gap.min_pct
                };
                if hit && state.gaps_fired & bit == 0 {
                    state.gaps_fired |= bit;
                    let conditions = Conditions {
                        threshold: gap.min_pct,
                        ..move_from_close(state, price)
                    };
                    out.push(builtin(state, kind, price, ts, conditions, version));
                    fired += 1;
                }
            }
        }
        if let Some(settings) = high_low {
            let settled =
                ts - state.session_start >= i64::from(settings.after_minutes) * NANOS_PER_MINUTE;
            let (previous_high, previous_low) = (state.day_high, state.day_low);
            for (kind, price, previous) in [
                (AlertType::NewHigh, high, previous_high),
                (AlertType::NewLow, low, previous_low),
            ] {
                let beyond = if kind == AlertType::NewHigh {
                    price > previous
                } else {
                    price < previous
                };
                if settled && beyond && take_cooldown(state, kind, ts, cooldown) {
                    let conditions = Conditions {
                        previous_extreme: Some(previous),
                        threshold: f64::from(settings.after_minutes),
                        ..move_from_close(state, price)
                    };
                    out.push(builtin(state, kind, price, ts, conditions, version));
                    fired += 1;
                }
            }
        }
        state.day_high = if state.day_high.is_finite() {
            state.day_high.max(high)
        } else {
            high
        };
        state.day_low = if state.day_low.is_finite() {
            state.day_low.min(low)
        } else {
            low
        };
        self.stats.alerts += fired;
    }

    /// A closed one-minute (or venue) bar: the volume spike and the block screens.
    fn close_bar(&mut self, slot: usize, bar: &OpenBar, out: &mut Vec<Alert>) {
        self.stats.bars += 1;
        let version = self.version;
        let cooldown = self.cooldown();
        let end = bar.start + NANOS_PER_MINUTE;
        let bucket =
            (bar.start.rem_euclid(NANOS_PER_DAY) / (NANOS_PER_DAY / BUCKETS as i64)) as usize;
        let spike = self.config.volume_spike.clone();
        let state = &mut self.symbols[slot];
        if let Some(settings) = spike {
            let min = settings.min_history.min(u32::from(u16::MAX)) as u16;
            let (baseline, kind) =
                if state.volume_days[bucket] > 0 && state.volume_minutes[bucket] >= min {
                    (f64::from(state.volume_mean[bucket]), "time_of_day")
                } else if u32::from(state.recent_len) >= settings.min_history.min(RECENT as u32) {
                    let n = usize::from(state.recent_len);
                    (
                        state.recent[..n].iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64,
                        "recent_bars",
                    )
                } else {
                    (f64::NAN, "")
                };
            if baseline > 0.0
                && bar.volume >= settings.min_volume
                && bar.volume >= settings.multiple * baseline
                && take_cooldown(state, AlertType::VolumeSpike, end, cooldown)
            {
                let conditions = Conditions {
                    volume: Some(bar.volume),
                    baseline_volume: Some(baseline),
                    baseline: Some(kind.to_owned()),
                    multiple: Some(bar.volume / baseline),
                    threshold: settings.multiple,
                    ..move_from_close(state, bar.close)
                };
                out.push(builtin(
                    state,
                    AlertType::VolumeSpike,
                    bar.close,
                    end,
                    conditions,
                    version,
                ));
                self.stats.alerts += 1;
            }
        }
        // the baselines learn this bar after it was judged
        state.today_sum[bucket] += bar.volume as f32;
        state.today_count[bucket] = state.today_count[bucket].saturating_add(1);
        state.recent[usize::from(state.recent_next)] = bar.volume as f32;
        state.recent_next = ((usize::from(state.recent_next) + 1) % RECENT) as u8;
        state.recent_len = (usize::from(state.recent_len) + 1).min(RECENT) as u8;
        self.block_screens(slot, bar, end, out);
    }

    fn block_screens(&mut self, slot: usize, bar: &OpenBar, end: Nanos, out: &mut Vec<Alert>) {
        for (k, screen) in self.blocks.iter().enumerate() {
            let state = &mut self.symbols[slot];
            if !screen.applies(&state.name) {
                continue;
            }
            let stream = state.blocks[k].get_or_insert_with(|| screen.stream());
            let fired = match stream.push(
                bar.start.div_euclid(1_000_000),
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
            ) {
                Ok(output) => screen.fires(&output),
                Err(_) => {
                    self.stats.block_errors += 1;
                    false
                }
            };
            if fired
                && take_cooldown(
                    state,
                    AlertType::BlockScreen,
                    end,
                    i64::from(self.config.cooldown_seconds) * 1_000_000_000,
                )
            {
                let conditions = Conditions {
                    threshold: 0.0,
                    ..move_from_close(state, bar.close)
                };
                let mut alert = builtin(
                    state,
                    AlertType::BlockScreen,
                    bar.close,
                    end,
                    conditions,
                    screen.version,
                );
                alert.screen.clone_from(&screen.id);
                out.push(alert);
                self.stats.alerts += 1;
            }
        }
    }

    fn cooldown(&self) -> Nanos {
        i64::from(self.config.cooldown_seconds) * 1_000_000_000
    }
}

/// True (and the cooldown restarted) when `kind` may fire for this symbol at `ts`.
fn take_cooldown(state: &mut SymbolState, kind: AlertType, ts: Nanos, cooldown: Nanos) -> bool {
    let until = &mut state.cooldown_until[kind.index()];
    if ts < *until {
        return false;
    }
    *until = ts.saturating_add(cooldown);
    true
}

/// The move from the previous close, when it is known.
fn move_from_close(state: &SymbolState, price: f64) -> Conditions {
    if state.previous_close > 0.0 {
        Conditions {
            pct_move: Some((price / state.previous_close - 1.0) * 100.0),
            previous_close: Some(state.previous_close),
            ..Conditions::default()
        }
    } else {
        Conditions::default()
    }
}

fn builtin(
    state: &SymbolState,
    kind: AlertType,
    price: f64,
    ts: Nanos,
    conditions: Conditions,
    version: i64,
) -> Alert {
    Alert {
        symbol: state.name.clone(),
        alert_type: kind,
        trigger_price: price,
        trigger_time: ts,
        conditions,
        metadata: state.quote_meta(),
        screen: kind.as_str().to_owned(),
        screen_version: version,
    }
}
