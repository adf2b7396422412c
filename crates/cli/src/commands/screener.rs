//! `blockbuilders screener`: the screen engine over a recorded Databento feed (`--replay`,
//! at full speed or the recorded pace) or Binance's live streams (`--binance`), printing
//! each alert as it fires and a summary at the end.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use bb_feeds::{DbnReplay, Feed, Pace};
use bb_screener::{Alert, BlockScreen, FeedEvent, Screener, ScreenerConfig, Signal};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Databento DBN files to replay (MBP-1, trades, OHLCV, definitions; `.dbn` or
    /// `.dbn.zst`), merged in time order.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    replay: Vec<PathBuf>,
    /// Binance symbols to watch live instead (e.g. `btcusdt,ethusdt`); Ctrl-C stops.
    #[arg(long, value_delimiter = ',', conflicts_with = "replay")]
    binance: Vec<String>,
    /// Replay at the recorded pace, this many times real time (default: as fast as it goes).
    #[arg(long)]
    speed: Option<f64>,
    /// The built-in screens' settings (JSON: `session_offset_minutes`, `cooldown_seconds`,
    /// `gap`, `volume_spike`, `high_low`, `spread`; a screen set to null is off).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// A strategy whose entry condition is a block screen, run on closed one-minute bars.
    #[arg(long, value_name = "FILE")]
    strategy: Option<PathBuf>,
    /// The symbols the block screen runs on (default: every symbol).
    #[arg(long, value_delimiter = ',', requires = "strategy")]
    symbols: Vec<String>,
    /// Print each alert as a JSON line (the summary goes to stderr).
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if args.replay.is_empty() && args.binance.is_empty() {
        bail!("give --replay FILE… (recorded Databento files) or --binance SYMBOL,… (live)");
    }
    let settings: ScreenerConfig = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not screener settings", path.display()))?
        }
        None => ScreenerConfig::default(),
    };
    let mut blocks = Vec::new();
    if let Some(path) = &args.strategy {
        let doc = crate::input::document(path)?;
        let options = bb_strategy::CompileOptions {
            base_timeframe: Some(bb_domain::Timeframe::MINUTE),
            bar_count: None,
        };
        let plan =
            bb_strategy::compile(&bb_strategy::validate(&doc), &options).map_err(|problems| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("{}: {}", path.display(), list.join("; "))
            })?;
        let symbols = args
            .symbols
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .collect();
        let name = path
            .file_stem()
            .map_or_else(|| "strategy".into(), |s| s.to_string_lossy().into_owned());
        blocks.push(
            BlockScreen::new(name, 1, Signal::EnterLong, symbols, &plan)
                .map_err(anyhow::Error::msg)?,
        );
    }
    let screener = Screener::new(settings, blocks).map_err(|e| anyhow::anyhow!("settings: {e}"))?;
    let pace = match args.speed {
        None => Pace::Full,
        Some(speed) if speed.is_finite() && speed > 0.0 => Pace::Recorded { speed },
        Some(_) => bail!("--speed must be a positive number"),
    };
    let feed: Box<dyn Feed> = if args.binance.is_empty() {
        Box::new(DbnReplay::open(&args.replay, pace)?)
    } else {
        Box::new(bb_feeds::binance::BinanceFeed::new(
            bb_feeds::binance::BinanceConfig {
                symbols: args.binance.clone(),
                ..bb_feeds::binance::BinanceConfig::default()
            },
        )?)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(drive(feed, screener, args.json))
}

async fn drive(mut feed: Box<dyn Feed>, mut screener: Screener, json: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut events = Vec::with_capacity(4096);
    let mut alerts = Vec::new();
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut gaps = Vec::new();
    let started = std::time::Instant::now();
    loop {
        events.clear();
        let more = feed.next_batch(&mut events).await?;
        for event in &events {
            if let FeedEvent::Gap(gap) = event {
                gaps.push(gap.clone());
            }
            screener.push(event, &mut alerts);
        }
        if !more {
            screener.finish(&mut alerts);
        }
        for alert in alerts.drain(..) {
            *by_type.entry(alert.alert_type.to_string()).or_default() += 1;
            if json {
                writeln!(out, "{}", serde_json::to_string(&alert)?)?;
            } else {
                writeln!(out, "{}", line(&alert))?;
            }
        }
        if !more {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = screener.stats();
    let mut summary = format!(
        "{}: {} events ({} quotes, {} trades; {} bars closed) of {} symbols in {:.3} s; {} alerts",
        feed.describe(),
        stats.events,
        stats.quotes,
        stats.trades,
        stats.bars,
        stats.symbols,
        elapsed,
        stats.alerts
    );
    if !by_type.is_empty() {
        let parts: Vec<String> = by_type.iter().map(|(k, n)| format!("{k} {n}")).collect();
        summary.push_str(&format!(" ({})", parts.join(", ")));
    }
    if stats.late_events > 0 {
        summary.push_str(&format!(
            "; {} late trades not folded into closed bars",
            stats.late_events
        ));
    }
    for gap in &gaps {
        summary.push_str(&format!(
            "\nfeed gap{}: {}{}",
            gap.symbol
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default(),
            gap.reason,
            gap.missing
                .map(|n| format!(" ({n} events missing)"))
                .unwrap_or_default()
        ));
    }
    if json {
        writeln!(std::io::stderr(), "{summary}")?;
    } else {
        writeln!(out, "{summary}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `2024-07-02 00:00:01.496 UTC  ESU4  gap_up  5529.25  +0.01% from 5528.75`
fn line(alert: &Alert) -> String {
    let ms = alert.trigger_time.div_euclid(1_000_000);
    let mut text = format!(
        "{}.{:03} UTC  {:<10} {:<15} {}",
        crate::commands::format::time(ms),
        ms.rem_euclid(1000),
        alert.symbol,
        alert.alert_type.as_str(),
        alert.trigger_price
    );
    let c = &alert.conditions;
    if let Some(multiple) = c.multiple {
        text.push_str(&format!("  {multiple:.1}× its baseline"));
    }
    if let (Some(pct), Some(close)) = (c.pct_move, c.previous_close) {
        text.push_str(&format!("  {pct:+.2}% from {close}"));
    }
    if alert.screen != alert.alert_type.as_str() {
        text.push_str(&format!("  [{}]", alert.screen));
    }
    text
}
