//! The running screener: each feed (the configured live one, and replays admins upload)
//! drives its own [`Screener`] in a task; its alerts are stored in batches (and so published
//! on the bus for the live streams), users' block screens run inside it, and the owners of
//! screens that watch an alert's symbol are notified. Health (events, alerts, gaps, errors)
//! is kept per feed for `/api/v1/screener/health`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use bb_feeds::{DbnReplay, Feed, Pace};
use bb_screener::{Alert, AlertType, BlockScreen, FeedEvent, Gap, Screener, ScreenerConfig};
use bb_store::{Db, NewNotification, NewScreenerAlert, SCREENS_TOPIC, Screen};
use bb_strategy::{CompileOptions, Limits, StrategyDocument};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Config;

/// The demo feed (see `data/demo/README.md`).
const DEMO_FEED: &[u8] = include_bytes!(
    "../../../data/demo/databento/futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst"
);
const DEMO_FEED_NAME: &str = "demo: CME ES and NQ 1-minute bars, 2024-07-01";

/// Gaps kept per feed for the health report.
const GAPS_KEPT: usize = 20;
/// Feeds kept in the health report (the newest).
const FEEDS_KEPT: usize = 10;
/// Most records an uploaded replay may hold.
pub const MAX_REPLAY_RECORDS: usize = 250_000;

/// One feed's state.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedHealth {
    pub id: String,
    /// `live` (the configured feed) or `replay` (an upload).
    pub kind: String,
    pub description: String,
    /// `running`, `finished` or `failed`.
    pub state: String,
    /// Unix ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub events: u64,
    pub alerts: u64,
    pub symbols: u64,
    /// Trades stamped before their symbol's open bar (not folded in).
    pub late_events: u64,
    /// The newest event's time (Unix ms, the feed's clock).
    pub last_event_at: Option<i64>,
    /// What the feed reported missing (disconnects, sequence jumps), newest last.
    pub gaps: Vec<Gap>,
    pub error: Option<String>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    config: ScreenerConfig,
    feeds: Mutex<VecDeque<FeedHealth>>,
    replaying: AtomicBool,
    /// Bumped on every health change (tests and waiters follow it).
    changes: tokio::sync::watch::Sender<u64>,
}

/// The screener of this process.
#[derive(Clone, Debug)]
pub struct ScreenerRuntime(Arc<Inner>);

impl ScreenerRuntime {
    /// The runtime with the configured settings (checked), and its live feed started when
    /// one is configured.
    pub fn start(db: Db, config: &Config) -> anyhow::Result<ScreenerRuntime> {
        let settings: ScreenerConfig = match &config.screener_settings {
            Some(text) => serde_json::from_str(text)
                .context("BB_SCREENER_SETTINGS is not valid settings JSON")?,
            None => ScreenerConfig::default(),
        };
        settings
            .check()
            .map_err(|e| anyhow::anyhow!("BB_SCREENER_SETTINGS: {e}"))?;
        let runtime = ScreenerRuntime(Arc::new(Inner {
            db,
            config: settings,
            feeds: Mutex::new(VecDeque::new()),
            replaying: AtomicBool::new(false),
            changes: tokio::sync::watch::Sender::new(0),
        }));
        if let Some(spec) = config.screener_feed.as_deref().filter(|s| *s != "off") {
            let feed = live_feed(spec, config)?;
            let runtime2 = runtime.clone();
            let name = spec.split(':').next().unwrap_or("live").to_owned();
            tokio::spawn(async move { runtime2.run(feed, "live", &name).await });
        }
        Ok(runtime)
    }

    /// `serve --demo`: replays the bundled Databento file once (ES and NQ futures, 1-minute
    /// bars around midnight UTC on 2024-07-01) when no feed is configured and no alert is
    /// stored, so the Screener page shows real alerts on a fresh install.
    pub async fn replay_demo(&self) {
        let stored = self
            .0
            .db
            .screener()
            .stats("", &bb_store::AlertFilter::default())
            .await;
        if !matches!(stored, Ok(ref s) if s.total == 0) {
            return;
        }
        if let Err(e) = self.replay(DEMO_FEED_NAME.to_owned(), DEMO_FEED.to_vec(), Pace::Full) {
            tracing::warn!(error = ?e, "the demo feed could not be replayed");
        }
    }

    pub fn settings(&self) -> &ScreenerConfig {
        &self.0.config
    }

    /// Every feed's health, newest first.
    pub fn health(&self) -> Vec<FeedHealth> {
        let feeds = self
            .0
            .feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        feeds.iter().rev().cloned().collect()
    }

    /// Starts a replay of uploaded DBN bytes (one at a time); its feed id.
    pub fn replay(&self, name: String, bytes: Vec<u8>, pace: Pace) -> Result<String, ReplayError> {
        if self.0.replaying.swap(true, Ordering::SeqCst) {
            return Err(ReplayError::Busy);
        }
        let replay =
            match DbnReplay::from_bytes_limited(vec![(name, bytes)], pace, MAX_REPLAY_RECORDS) {
                Ok(r) => r,
                Err(e) => {
                    self.0.replaying.store(false, Ordering::SeqCst);
                    return Err(ReplayError::Invalid(e.to_string()));
                }
            };
        if replay.is_empty() {
            self.0.replaying.store(false, Ordering::SeqCst);
            return Err(ReplayError::Invalid(
                "the file holds no records the screener reads".into(),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let runtime = self.clone();
        let feed_id = id.clone();
        tokio::spawn(async move {
            runtime
                .run_with_id(Box::new(replay), "replay", "replay", feed_id)
                .await;
            runtime.0.replaying.store(false, Ordering::SeqCst);
        });
        Ok(id)
    }

    async fn run(&self, feed: Box<dyn Feed>, kind: &str, name: &str) {
        let id = uuid::Uuid::now_v7().to_string();
        self.run_with_id(feed, kind, name, id).await;
    }

    /// Drives one feed to its end (a live feed: forever).
    async fn run_with_id(&self, mut feed: Box<dyn Feed>, kind: &str, feed_name: &str, id: String) {
        let db = self.0.db.clone();
        self.update(&id, |feeds| {
            feeds.push_back(FeedHealth {
                id: id.clone(),
                kind: kind.to_owned(),
                description: feed.describe(),
                state: "running".into(),
                started_at: bb_store::now_ms(),
                finished_at: None,
                events: 0,
                alerts: 0,
                symbols: 0,
                late_events: 0,
                last_event_at: None,
                gaps: Vec::new(),
                error: None,
            });
            while feeds.len() > FEEDS_KEPT {
                feeds.pop_front();
            }
        });
        let mut bus = db.subscribe();
        let mut trades = load_trades(&db).await;
        let mut screens = Arc::new(load_screens(&db).await);
        let blocks = build_blocks(&db, &screens).await;
        // Alerts are stored by a writer task, so a slow commit never holds up the screening;
        // batches that queued meanwhile are stored together (one commit).
        let (to_writer, writer_rx) = tokio::sync::mpsc::unbounded_channel();
        let writer = tokio::spawn(write_alerts(db.clone(), feed_name.to_owned(), writer_rx));
        let mut screener = match Screener::new(self.0.config.clone(), blocks) {
            Ok(s) => s,
            Err(e) => return self.fail(&id, e),
        };
        let mut events = Vec::with_capacity(4096);
        let mut alerts = Vec::new();
        let mut alerts_total = 0u64;
        loop {
            // users' screens changed: reload them between batches
            let (mut changed, mut trades_changed) = (false, false);
            while let Ok(event) = bus.try_recv() {
                changed |= event.topic == SCREENS_TOPIC;
                trades_changed |= event.topic == bb_store::TRADES_TOPIC;
            }
            if trades_changed {
                trades = load_trades(&db).await;
            }
            if changed {
                screens = Arc::new(load_screens(&db).await);
                screener.set_blocks(build_blocks(&db, &screens).await);
            }
            events.clear();
            let more = match feed.next_batch(&mut events).await {
                Ok(more) => more,
                Err(e) => return self.fail(&id, e.to_string()),
            };
            let mut gaps = Vec::new();
            let mut last_ts = None;
            let mut hits = Vec::new();
            for event in &events {
                match event {
                    FeedEvent::Gap(gap) => gaps.push(gap.clone()),
                    FeedEvent::Market(m) => {
                        last_ts = Some(m.ts);
                        if let bb_screener::EventKind::Trade { price, .. } = m.kind
                            && !trades.is_empty()
                            && let Some(symbol) = screener.symbol(m.instrument)
                            && let Some(open) = trades.get_mut(symbol)
                        {
                            open.retain(|t| match t.hit(price) {
                                Some(status) => {
                                    hits.push((
                                        t.clone(),
                                        status,
                                        bb_store::TradeOutcome {
                                            price,
                                            time_ns: m.ts,
                                        },
                                    ));
                                    false
                                }
                                None => true,
                            });
                        }
                    }
                    FeedEvent::Symbol { .. } => {}
                }
                screener.push(event, &mut alerts);
            }
            for (trade, status, outcome) in hits {
                let note = trade_notification(&trade, status, &outcome);
                if let Err(e) = db
                    .screener_trades()
                    .close(&trade.id, status, outcome, note)
                    .await
                {
                    tracing::warn!(error = %e, "a watched trade could not be closed");
                }
            }
            if !more {
                screener.finish(&mut alerts);
            }
            alerts_total += alerts.len() as u64;
            let stats = screener.stats().clone();
            self.update(&id, |feeds| {
                if let Some(h) = feeds.iter_mut().find(|h| h.id == id) {
                    h.events = stats.events;
                    h.alerts = alerts_total;
                    h.symbols = stats.symbols;
                    h.late_events = stats.late_events;
                    if let Some(ts) = last_ts {
                        h.last_event_at = Some(ts.div_euclid(1_000_000));
                    }
                    h.gaps.extend(gaps);
                    let excess = h.gaps.len().saturating_sub(GAPS_KEPT);
                    h.gaps.drain(..excess);
                }
            });
            if !alerts.is_empty() {
                let _ = to_writer.send((screens.clone(), std::mem::take(&mut alerts)));
            }
            if !more {
                drop(to_writer);
                let _ = writer.await;
                self.update(&id, |feeds| {
                    if let Some(h) = feeds.iter_mut().find(|h| h.id == id) {
                        h.state = "finished".into();
                        h.finished_at = Some(bb_store::now_ms());
                    }
                });
                return;
            }
        }
    }

    fn fail(&self, id: &str, error: String) {
        tracing::warn!(feed = id, %error, "a screener feed stopped");
        self.update(id, |feeds| {
            if let Some(h) = feeds.iter_mut().find(|h| h.id == id) {
                h.state = "failed".into();
                h.error = Some(error);
                h.finished_at = Some(bb_store::now_ms());
            }
        });
    }

    fn update(&self, _id: &str, f: impl FnOnce(&mut VecDeque<FeedHealth>)) {
        let mut feeds = self
            .0
            .feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut feeds);
        drop(feeds);
        self.0.changes.send_modify(|n| *n += 1);
    }

    /// Wakes on every change of the feeds' health.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.changes.subscribe()
    }
}

/// Why a replay was not started.
#[derive(Debug)]
pub enum ReplayError {
    Busy,
    Invalid(String),
}

fn live_feed(spec: &str, config: &Config) -> anyhow::Result<Box<dyn Feed>> {
    let (kind, rest) = spec
        .split_once(':')
        .context("BB_SCREENER_FEED is `binance:SYMBOL,…` or `replay:FILE,…`")?;
    let items: Vec<String> = rest
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match kind {
        "binance" => {
            let feed = bb_feeds::binance::BinanceFeed::new(bb_feeds::binance::BinanceConfig {
                url: config.screener_binance_url.clone(),
                symbols: items,
                ..bb_feeds::binance::BinanceConfig::default()
            })
            .map_err(|e| anyhow::anyhow!("BB_SCREENER_FEED: {e}"))?;
            Ok(Box::new(feed))
        }
        "databento" => databento_feed(rest, config),
        "synthetic" => {
            let symbols: u32 = items
                .first()
                .and_then(|n| n.parse().ok())
                .filter(|n| (1..=100_000).contains(n))
                .context(
                    "BB_SCREENER_FEED: synthetic:SYMBOLS (1 to 100000), e.g. synthetic:9000",
                )?;
            Ok(Box::new(bb_feeds::SyntheticFeed::live(symbols, 24 * 60)))
        }
        "replay" => {
            let speed = config.screener_replay_speed;
            let pace = if speed == 0.0 {
                Pace::Full
            } else {
                Pace::Recorded { speed }
            };
            let replay = DbnReplay::open(&items, pace)
                .map_err(|e| anyhow::anyhow!("BB_SCREENER_FEED: {e}"))?;
            Ok(Box::new(replay))
        }
        other => {
            anyhow::bail!("BB_SCREENER_FEED: unknown feed {other:?} (binance, replay or synthetic)")
        }
    }
}

/// Open watched trades by symbol.
async fn load_trades(db: &Db) -> std::collections::HashMap<String, Vec<bb_store::WatchedTrade>> {
    let mut by_symbol: std::collections::HashMap<String, Vec<bb_store::WatchedTrade>> =
        std::collections::HashMap::new();
    match db.screener_trades().all_open().await {
        Ok(open) => {
            for trade in open {
                by_symbol
                    .entry(trade.symbol.clone())
                    .or_default()
                    .push(trade);
            }
        }
        Err(e) => tracing::warn!(error = %e, "watched trades could not be read"),
    }
    by_symbol
}

/// "ESU4 reached your take profit at 5531 (long from 5529.25: +0.03%)."
fn trade_notification(
    trade: &bb_store::WatchedTrade,
    status: &str,
    outcome: &bb_store::TradeOutcome,
) -> NewNotification {
    let l = &trade.levels;
    let sign = if trade.side == bb_store::TradeSide::Long {
        1.0
    } else {
        -1.0
    };
    let pct = sign * (outcome.price / l.entry - 1.0) * 100.0;
    let what = if status == "target" {
        "reached your take profit"
    } else {
        "hit your stop loss"
    };
    let side = trade.side.as_str();
    let title = format!("{} {what}", trade.symbol);
    NewNotification {
        user_id: trade.user_id.clone(),
        kind: "screener_alert".into(),
        body: format!(
            "{title} at {} ({side} from {}: {pct:+.2}%).",
            outcome.price, l.entry
        ),
        title,
        link: Some(format!("/screener?symbol={}", trade.symbol)),
        payload: serde_json::json!({
            "trade_id": trade.id,
            "symbol": trade.symbol,
            "status": status,
            "price": outcome.price,
            "entry": l.entry,
        }),
    }
}

/// `databento:DATASET:SCHEMA:SYMBOL,…` with `BB_DATABENTO_API_KEY`.
#[cfg(feature = "databento-live")]
fn databento_feed(rest: &str, config: &Config) -> anyhow::Result<Box<dyn Feed>> {
    use bb_feeds::databento_live::{DatabentoConfig, DatabentoLive};
    let usage = "BB_SCREENER_FEED=databento:DATASET:SCHEMA:SYMBOL,… (e.g. databento:GLBX.MDP3:mbp-1:ESU4,NQU4)";
    let (dataset, rest) = rest.split_once(':').with_context(|| usage.to_owned())?;
    let (schema, symbols) = rest.split_once(':').with_context(|| usage.to_owned())?;
    let schema: dbn::Schema = schema.parse().map_err(|_| {
        anyhow::anyhow!(
            "BB_SCREENER_FEED: {schema:?} is not a Databento schema (mbp-1, trades, ohlcv-1m)"
        )
    })?;
    let api_key = config
        .databento_api_key
        .clone()
        .context("a databento feed needs BB_DATABENTO_API_KEY")?;
    let feed = DatabentoLive::new(DatabentoConfig {
        api_key,
        dataset: dataset.to_owned(),
        schema,
        symbols: symbols
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        gateway: config.databento_gateway.clone(),
        ..DatabentoConfig::default()
    })
    .map_err(|e| anyhow::anyhow!("BB_SCREENER_FEED: {e}"))?;
    Ok(Box::new(feed))
}

#[cfg(not(feature = "databento-live"))]
fn databento_feed(_rest: &str, _config: &Config) -> anyhow::Result<Box<dyn Feed>> {
    anyhow::bail!("this build has no Databento live feed (build with the `databento-live` feature)")
}

async fn load_screens(db: &Db) -> Vec<Screen> {
    match db.screener().all_screens().await {
        Ok(screens) => screens,
        Err(e) => {
            tracing::warn!(error = %e, "users' screens could not be read");
            Vec::new()
        }
    }
}

/// The block screens among users' screens, compiled with their owners' plan limits; one that
/// cannot run is skipped with a warning.
async fn build_blocks(db: &Db, screens: &[Screen]) -> Vec<BlockScreen> {
    let mut blocks = Vec::new();
    for screen in screens {
        let (Some(strategy), Some(version), Some(signal)) =
            (&screen.strategy_id, screen.version, screen.signal)
        else {
            continue;
        };
        match compile_block(db, screen, strategy, version, signal).await {
            Ok(block) => blocks.push(block),
            Err(e) => tracing::warn!(screen = %screen.id, error = %e, "a block screen cannot run"),
        }
    }
    blocks
}

async fn compile_block(
    db: &Db,
    screen: &Screen,
    strategy: &str,
    version: i64,
    signal: bb_screener::Signal,
) -> anyhow::Result<BlockScreen> {
    let plan = compile_version(db, &screen.user_id, strategy, version).await?;
    BlockScreen::new(
        screen.id.clone(),
        version,
        signal,
        screen.symbols.iter().cloned().collect(),
        &plan,
    )
    .map_err(|e| anyhow::anyhow!(e))
}

/// A strategy version compiled for one-minute bars under its owner's plan limits.
pub async fn compile_version(
    db: &Db,
    user_id: &str,
    strategy: &str,
    version: i64,
) -> anyhow::Result<bb_strategy::Plan> {
    let stored = db.strategies().version(strategy, version).await?;
    let doc = StrategyDocument::from_json(&stored.graph.to_string())
        .map_err(|e| anyhow::anyhow!("version {version} cannot be read: {e}"))?;
    let limits = match db.users().get(user_id).await {
        Ok(user) => Limits::for_plan(user.plan.as_str()),
        Err(_) => Limits::FREE,
    };
    let options = CompileOptions {
        base_timeframe: Some(bb_domain::Timeframe::MINUTE),
        bar_count: None,
    };
    bb_strategy::compile(&bb_strategy::validate_with(&doc, &limits), &options).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the strategy cannot run as a screen: {}", list.join("; "))
    })
}

/// Stores the alert batches a feed's task sends, merging those that queued while the last
/// commit ran (with the same screens), until the task drops its sender.
async fn write_alerts(
    db: Db,
    feed: String,
    mut batches: tokio::sync::mpsc::UnboundedReceiver<(Arc<Vec<Screen>>, Vec<Alert>)>,
) {
    let mut carried = None;
    loop {
        let (screens, mut alerts) = match carried.take() {
            Some(batch) => batch,
            None => match batches.recv().await {
                Some(batch) => batch,
                None => return,
            },
        };
        while let Ok((next_screens, next)) = batches.try_recv() {
            if Arc::ptr_eq(&screens, &next_screens) && alerts.len() < 10_000 {
                alerts.extend(next);
            } else {
                carried = Some((next_screens, next));
                break;
            }
        }
        if let Err(e) = deliver(&db, &feed, &screens, alerts).await {
            tracing::warn!(error = %e, "screener alerts could not be stored");
        }
    }
}

/// Stores a batch of alerts (a block screen's under its owner) and notifies the owners of
/// the screens that watch them.
async fn deliver(
    db: &Db,
    feed: &str,
    screens: &[Screen],
    alerts: Vec<Alert>,
) -> Result<(), bb_store::StoreError> {
    let new: Vec<NewScreenerAlert> = alerts
        .into_iter()
        .map(|alert| {
            let user_id = if alert.alert_type == AlertType::BlockScreen {
                screens
                    .iter()
                    .find(|s| s.id == alert.screen)
                    .map(|s| s.user_id.clone())
            } else {
                None
            };
            NewScreenerAlert {
                user_id,
                feed: feed.to_owned(),
                alert,
            }
        })
        .collect();
    db.screener()
        .insert_notifying(new, |alert| {
            screens
                .iter()
                .filter(|s| s.notify && watches(s, &alert.alert))
                .map(|screen| notification(alert, screen))
                .collect()
        })
        .await?;
    Ok(())
}

/// The notification telling `screen`'s owner of `alert`.
fn notification(alert: &bb_store::ScreenerAlert, screen: &Screen) -> NewNotification {
    let a = &alert.alert;
    let title = format!("{} {}", a.symbol, describe(a, screen));
    let body = match a.conditions.pct_move {
        Some(pct) => format!(
            "{title} at {} ({pct:+.2}% from the previous close).",
            a.trigger_price
        ),
        None => format!("{title} at {}.", a.trigger_price),
    };
    NewNotification {
        user_id: screen.user_id.clone(),
        kind: "screener_alert".into(),
        title,
        body,
        link: Some(format!("/screener?symbol={}", a.symbol)),
        payload: serde_json::json!({
            "alert_id": alert.id,
            "screen_id": screen.id,
            "symbol": a.symbol,
            "alert_type": a.alert_type,
            "trigger_price": a.trigger_price,
        }),
    }
}

/// Whether `screen` asked to hear of `alert`.
fn watches(screen: &Screen, alert: &Alert) -> bool {
    if !screen.symbols.iter().any(|s| s == &alert.symbol) {
        return false;
    }
    if alert.alert_type == AlertType::BlockScreen {
        alert.screen == screen.id
    } else {
        screen.alert_types.contains(&alert.alert_type)
    }
}

fn describe(alert: &Alert, screen: &Screen) -> String {
    match alert.alert_type {
        AlertType::GapUp => "gapped up".into(),
        AlertType::GapDown => "gapped down".into(),
        AlertType::VolumeSpike => format!(
            "volume spike ({:.1}× its usual minute)",
            alert.conditions.multiple.unwrap_or(0.0)
        ),
        AlertType::NewHigh => "made a new high of the day".into(),
        AlertType::NewLow => "made a new low of the day".into(),
        AlertType::SpreadBlowout => "spread blew out".into(),
        AlertType::BlockScreen => format!("matched your screen \"{}\"", screen.name),
    }
}

/// Deletes alerts older than the retention, hourly.
pub fn spawn_retention(db: Db, retention: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let before =
                bb_store::now_ms() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
            loop {
                match db.screener().prune(before, 10_000).await {
                    Ok(10_000) => continue,
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(deleted = n, "pruned old screener alerts");
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "screener alerts could not be pruned");
                        break;
                    }
                }
            }
        }
    })
}
