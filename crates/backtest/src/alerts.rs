//! Paper trading's alert thresholds: checked after every candle on what the run has done so
//! far. Each alert fires once per episode: when its condition becomes true, not again while
//! it stays true, and again only after it has been false.

use bb_domain::Timeframe;
use serde::{Deserialize, Serialize};

use crate::paper::PaperEngine;

/// The thresholds; a missing one is not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Alert when the equity is this many percent below its peak (e.g. 20).
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0.0, exclusive_maximum = 100.0)
    )]
    pub max_drawdown_pct: Option<f64>,
    /// Alert when the equity fell this many percent over the last 24 hours.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0.0, exclusive_maximum = 100.0)
    )]
    pub max_daily_loss_pct: Option<f64>,
    /// Alert when the equity fell this many percent over the last 7 days.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0.0, exclusive_maximum = 100.0)
    )]
    pub max_weekly_loss_pct: Option<f64>,
    /// Alert after this many losing trades in a row.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub max_consecutive_losses: Option<u32>,
    /// Alert when no trade opened or closed for this many candles.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub no_trade_bars: Option<u32>,
    /// Alert when the open position is worth this many percent of the equity or more
    /// (e.g. 90: nearly everything is in one trade).
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0.0, maximum = 1000.0))]
    pub max_exposure_pct: Option<f64>,
    /// Alert when candles the run already processed change at the source (a correction, a
    /// missing candle stored later), so a backtest of its window may now differ from what
    /// it did (live runs; `true` to be told).
    pub drift: Option<bool>,
    /// Alert when the newest candle is this many candles late (live runs).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub stale_data_bars: Option<u32>,
}

impl AlertConfig {
    /// The thresholds a run starts with: drawdown 20%, daily loss 10%, 5 losses in a row,
    /// data 3 candles late, processed candles changing.
    pub fn defaults() -> AlertConfig {
        AlertConfig {
            max_drawdown_pct: Some(20.0),
            max_daily_loss_pct: Some(10.0),
            max_weekly_loss_pct: None,
            max_consecutive_losses: Some(5),
            no_trade_bars: None,
            max_exposure_pct: None,
            drift: Some(true),
            stale_data_bars: Some(3),
        }
    }

    /// Refuses thresholds that could never make sense, naming the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let pct = |name: &'static str, v: Option<f64>| match v {
            Some(x) if !(x > 0.0 && x < 100.0) => Err((
                name,
                format!("{name} must be above 0 and below 100 (percent), not {x}"),
            )),
            _ => Ok(()),
        };
        pct("max_drawdown_pct", self.max_drawdown_pct)?;
        pct("max_daily_loss_pct", self.max_daily_loss_pct)?;
        pct("max_weekly_loss_pct", self.max_weekly_loss_pct)?;
        if let Some(x) = self.max_exposure_pct
            && !(x > 0.0 && x <= 1000.0)
        {
            return Err((
                "max_exposure_pct",
                format!("max_exposure_pct must be above 0 and at most 1000 (percent), not {x}"),
            ));
        }
        let count = |name: &'static str, v: Option<u32>, max: u32| match v {
            Some(n) if n == 0 || n > max => {
                Err((name, format!("{name} must be from 1 to {max}, not {n}")))
            }
            _ => Ok(()),
        };
        count("max_consecutive_losses", self.max_consecutive_losses, 1_000)?;
        count("no_trade_bars", self.no_trade_bars, 1_000_000)?;
        count("stale_data_bars", self.stale_data_bars, 10_000)?;
        Ok(())
    }
}

/// An alert whose condition holds now.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// A stable name: `drawdown`, `daily_loss`, `weekly_loss`, `consecutive_losses`,
    /// `no_trade`, `exposure`, `stale_data`, `drift`.
    pub kind: &'static str,
    /// In words, with the numbers.
    pub message: String,
}

/// What the alerts look at after a run's last candle (or a basket's last time).
#[derive(Clone, Debug, PartialEq)]
pub struct AlertState<'a> {
    /// Equity at each candle so far, and the candles' open times.
    pub equity: &'a [f64],
    pub ts: &'a [i64],
    /// The highest equity so far (kept by the caller, so a check costs the same however long
    /// the run).
    pub peak: f64,
    /// Losing trades in a row, the latest last.
    pub losing_streak: usize,
    /// Open time of the candle of the latest entry or exit, if any.
    pub last_activity_ts: Option<i64>,
    /// Open positions at the last close: `(what, value)`, e.g. `("long position", 9_500.0)`.
    pub positions: Vec<(String, f64)>,
}

impl<'a> AlertState<'a> {
    /// The state of one market's engine.
    pub fn of(engine: &'a PaperEngine, peak: f64) -> AlertState<'a> {
        let trades = engine.trades();
        let candles = engine.candles();
        let entry = engine.position().map(|p| p.entry_ts);
        let exit = trades.last().map(|t| t.exit_ts);
        let positions = match (engine.position(), candles.close.last()) {
            (Some(p), Some(&close)) => vec![(
                format!(
                    "{} position",
                    match p.side {
                        bb_domain::Side::Long => "long",
                        bb_domain::Side::Short => "short",
                    }
                ),
                p.quantity * close,
            )],
            _ => Vec::new(),
        };
        AlertState {
            equity: engine.equity(),
            ts: &candles.ts,
            peak,
            losing_streak: trades.iter().rev().take_while(|t| t.pnl < 0.0).count(),
            last_activity_ts: entry.max(exit),
            positions,
        }
    }
}

/// The alerts whose conditions hold after the engine's last candle (all but `stale_data`,
/// which [`stale`] checks); `peak` is the highest equity so far.
pub fn check(config: &AlertConfig, engine: &PaperEngine, tf: Timeframe, peak: f64) -> Vec<Alert> {
    check_state(config, &AlertState::of(engine, peak), tf)
}

/// The alerts whose conditions hold in `state` (all but `stale_data`).
pub fn check_state(config: &AlertConfig, state: &AlertState, tf: Timeframe) -> Vec<Alert> {
    let mut out = Vec::new();
    let (equity, ts, peak) = (state.equity, state.ts, state.peak);
    let Some(&now) = equity.last() else {
        return out;
    };
    if let Some(limit) = config.max_exposure_pct
        && now > 0.0
        && !state.positions.is_empty()
    {
        let value: f64 = state.positions.iter().map(|(_, v)| v.abs()).sum();
        let exposure = value / now * 100.0;
        if exposure >= limit {
            let what = match state.positions.as_slice() {
                [(one, _)] => format!("The open {one} is"),
                many => format!("The {} open positions are", many.len()),
            };
            out.push(Alert {
                kind: "exposure",
                message: format!(
                    "{what} worth {exposure:.1}% of the equity; your alert is at {limit}%."
                ),
            });
        }
    }
    if let Some(limit) = config.max_drawdown_pct {
        let dd = (1.0 - now / peak) * 100.0;
        if peak > 0.0 && dd >= limit {
            out.push(Alert {
                kind: "drawdown",
                message: format!(
                    "The equity is {dd:.1}% below its peak ({now:.2} against {peak:.2}); your \
                     alert is at {limit}%."
                ),
            });
        }
    }
    let loss_over = |span_ms: i64| -> Option<f64> {
        let last = *ts.last()?;
        // The equity at the close of the last candle at least `span_ms` before the last one.
        let i = ts.partition_point(|&t| t <= last - span_ms);
        let then = equity[i.checked_sub(1)?];
        (then > 0.0).then(|| (1.0 - now / then) * 100.0)
    };
    for (kind, limit, span, words) in [
        (
            "daily_loss",
            config.max_daily_loss_pct,
            86_400_000,
            "24 hours",
        ),
        (
            "weekly_loss",
            config.max_weekly_loss_pct,
            7 * 86_400_000,
            "7 days",
        ),
    ] {
        if let (Some(limit), Some(loss)) = (limit, loss_over(span))
            && loss >= limit
        {
            out.push(Alert {
                kind,
                message: format!(
                    "The equity fell {loss:.1}% over the last {words}; your alert is at {limit}%."
                ),
            });
        }
    }
    if let Some(limit) = config.max_consecutive_losses {
        let losses = state.losing_streak;
        if losses >= limit as usize {
            out.push(Alert {
                kind: "consecutive_losses",
                message: format!("{losses} losing trades in a row; your alert is at {limit}."),
            });
        }
    }
    if let Some(limit) = config.no_trade_bars {
        // Candles after the one of the latest entry or exit (all of them without one).
        let quiet = match state.last_activity_ts {
            Some(t) => ts.len() - ts.partition_point(|&x| x <= t),
            None => ts.len(),
        };
        if quiet >= limit as usize {
            out.push(Alert {
                kind: "no_trade",
                message: format!(
                    "No trade opened or closed for {quiet} candles ({tf} each); your alert is \
                     at {limit}."
                ),
            });
        }
    }
    out
}

/// The `stale_data` alert of a live run whose newest stored candle opened at `last_ts`,
/// when the candle that should be newest opened at `expected_ts`.
pub fn stale(
    config: &AlertConfig,
    tf: Timeframe,
    last_ts: Option<i64>,
    expected_ts: i64,
) -> Option<Alert> {
    let limit = config.stale_data_bars?;
    let late = match last_ts {
        Some(t) => (expected_ts - t) / tf.millis(),
        None => i64::from(limit),
    };
    (late >= i64::from(limit)).then(|| Alert {
        kind: "stale_data",
        message: format!(
            "No new candle for {late} periods of {tf}: the market data is late or missing; \
             your alert is at {limit}."
        ),
    })
}

/// The `drift` alert of a run whose processed candles (open times `changed`, at most the
/// first few named) changed at the source.
pub fn drift(config: &AlertConfig, changed: &[i64]) -> Option<Alert> {
    if config.drift != Some(true) || changed.is_empty() {
        return None;
    }
    let named: Vec<String> = changed
        .iter()
        .take(3)
        .map(|&t| bb_domain::calendar::format_utc(t))
        .collect();
    let more = changed.len().saturating_sub(named.len());
    Some(Alert {
        kind: "drift",
        message: format!(
            "Candles this run already traded changed at the source (corrected, or stored after \
             it passed them): {}{}. A backtest of its window may now differ from what it did; \
             the drift report names each difference.",
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
    })
}

/// Of the alerts holding now, those that start an episode (were not under way), and the
/// alerts under way after this check.
pub fn episodes(active: &[String], holding: Vec<Alert>) -> (Vec<Alert>, Vec<String>) {
    let now: Vec<String> = holding.iter().map(|a| a.kind.to_owned()).collect();
    let new = holding
        .into_iter()
        .filter(|a| !active.iter().any(|k| k == a.kind))
        .collect();
    (new, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_simulator::SimConfig;

    fn engine_on(closes: &[f64]) -> PaperEngine {
        // A strategy that never trades: the equity stays at the capital.
        let doc = bb_strategy::StrategyDocument::from_json(include_str!(
            "../../../strategies/sma_crossover.json"
        ))
        .unwrap();
        let tf = Timeframe::HOUR;
        let plan = bb_strategy::compile(
            &bb_strategy::validate(&doc),
            &bb_strategy::CompileOptions {
                base_timeframe: Some(tf),
                bar_count: None,
            },
        )
        .unwrap();
        let mut e = PaperEngine::new(&plan, tf, &SimConfig::default()).unwrap();
        for (i, c) in closes.iter().enumerate() {
            e.push(i as i64 * 3_600_000, *c, *c, *c, *c, 1.0).unwrap();
        }
        e
    }

    #[test]
    fn quiet_runs_raise_no_trade_and_stale_data_once_per_episode() {
        let e = engine_on(&[100.0; 30]);
        let config = AlertConfig {
            no_trade_bars: Some(24),
            ..AlertConfig::default()
        };
        let holding = check(&config, &e, Timeframe::HOUR, 10_000.0);
        assert_eq!(holding.len(), 1);
        assert_eq!(holding[0].kind, "no_trade");
        let (new, active) = episodes(&[], holding.clone());
        assert_eq!(new.len(), 1);
        // Still holding next candle: no new alert.
        let (again, active) = episodes(&active, holding);
        assert!(again.is_empty());
        // The condition ends; later it holds again: a new episode.
        let (_, cleared) = episodes(&active, vec![]);
        assert!(cleared.is_empty());
        let back = check(&config, &e, Timeframe::HOUR, 10_000.0);
        assert_eq!(episodes(&cleared, back).0.len(), 1);

        let h = 3_600_000;
        let stale_cfg = AlertConfig::defaults();
        assert!(stale(&stale_cfg, Timeframe::HOUR, Some(10 * h), 12 * h).is_none());
        let s = stale(&stale_cfg, Timeframe::HOUR, Some(10 * h), 13 * h).unwrap();
        assert_eq!(s.kind, "stale_data");
        assert!(s.message.contains("3 periods of 1h"), "{}", s.message);
    }

    #[test]
    fn a_position_worth_most_of_the_equity_raises_exposure() {
        // Falling, then rising closes: the SMA crossover enters long and stays in.
        let closes: Vec<f64> = (0..60)
            .map(|i| {
                if i < 40 {
                    200.0 - i as f64
                } else {
                    160.0 + 5.0 * (i - 40) as f64
                }
            })
            .collect();
        let e = engine_on(&closes);
        let p = e.position().expect("the crossover is long");
        let equity = *e.equity().last().unwrap();
        let exposure = p.quantity * closes[59] / equity * 100.0;
        let at = |limit: f64| AlertConfig {
            max_exposure_pct: Some(limit),
            ..AlertConfig::default()
        };
        let peak = e.equity().iter().copied().fold(f64::MIN, f64::max);
        let fired = check(&at(exposure - 1.0), &e, Timeframe::HOUR, peak);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].kind, "exposure");
        assert!(
            fired[0].message.contains("long position"),
            "{}",
            fired[0].message
        );
        assert!(check(&at(exposure + 1.0), &e, Timeframe::HOUR, peak).is_empty());
    }

    #[test]
    fn drift_names_the_candles_that_changed_when_asked_to() {
        let h = 3_600_000;
        let on = AlertConfig::defaults();
        assert!(drift(&on, &[]).is_none());
        assert!(
            drift(&AlertConfig::default(), &[h]).is_none(),
            "off unless asked"
        );
        let a = drift(&on, &[0, h, 2 * h, 3 * h, 4 * h]).unwrap();
        assert_eq!(a.kind, "drift");
        assert!(
            a.message.contains(
                "1970-01-01 00:00:00, 1970-01-01 01:00:00, 1970-01-01 02:00:00 and 2 more"
            ),
            "{}",
            a.message
        );
    }

    #[test]
    fn thresholds_are_checked() {
        assert!(AlertConfig::defaults().check().is_ok());
        let bad = AlertConfig {
            max_drawdown_pct: Some(150.0),
            ..AlertConfig::default()
        };
        assert_eq!(bad.check().unwrap_err().0, "max_drawdown_pct");
        let zero = AlertConfig {
            max_consecutive_losses: Some(0),
            ..AlertConfig::default()
        };
        assert_eq!(zero.check().unwrap_err().0, "max_consecutive_losses");
        let exposure = AlertConfig {
            max_exposure_pct: Some(0.0),
            ..AlertConfig::default()
        };
        assert_eq!(exposure.check().unwrap_err().0, "max_exposure_pct");
        assert!(serde_json::from_str::<AlertConfig>(r#"{"leverage": 5}"#).is_err());
    }
}
