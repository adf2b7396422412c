//! Plain verdicts: each check's number, what it means for a non-coder, and the thresholds.
//!
//! The thresholds are product choices (reference notes Part 3, "Verdict wording"), not
//! from the papers; each is a named constant here and is stated in the verdict itself.

use bb_metrics::display::signed_pct;
use serde::{Deserialize, Serialize};

use crate::montecarlo::random_entry::RandomBaseline;
use crate::montecarlo::{MonteCarlo, Resampling};
use crate::pbo::Pbo;
use crate::sharpe::DeflatedSharpe;
use crate::stability::Stability;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No warning sign.
    Pass,
    /// A warning sign worth a look.
    Caution,
    /// The result is likely luck or overfitting.
    Fail,
    /// The data cannot tell (too few trades, undefined statistic).
    Unknown,
}

impl Level {
    /// How bad a level is, for ordering worst first: fail, caution, pass, then unknown.
    pub fn severity(self) -> u8 {
        match self {
            Level::Fail => 3,
            Level::Caution => 2,
            Level::Pass => 1,
            Level::Unknown => 0,
        }
    }
}

/// The robustness checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Check {
    WalkForward,
    Holdout,
    TradeShuffle,
    Bootstrap,
    BarBootstrap,
    RandomEntry,
    DeflatedSharpe,
    Pbo,
    Stability,
}

impl Check {
    /// The check's name as the web app shows it.
    pub fn title(self) -> &'static str {
        match self {
            Check::WalkForward => "Walk-forward",
            Check::Holdout => "Holdout",
            Check::TradeShuffle => "Trades reshuffled",
            Check::Bootstrap => "Trades redrawn",
            Check::BarBootstrap => "Candles redrawn",
            Check::RandomEntry => "Random entries",
            Check::DeflatedSharpe => "Deflated Sharpe",
            Check::Pbo => "Overfitting (PBO)",
            Check::Stability => "Neighbouring settings",
        }
    }
}

/// A check's verdict, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Which check.
    pub check: Check,
    /// The outcome.
    pub level: Level,
    /// One plain sentence with the number, for a non-coder.
    pub headline: String,
    /// One sentence: what was computed, on what, citing the source.
    pub method: String,
    /// The thresholds the level was decided by.
    pub thresholds: String,
}

/// DSR at or above this passes.
pub const DSR_PASS: f64 = 0.95;
/// DSR below this fails (between: caution).
pub const DSR_FAIL: f64 = 0.5;
/// PBO below this passes.
pub const PBO_PASS: f64 = 0.3;
/// PBO above this fails (between: caution).
pub const PBO_FAIL: f64 = 0.5;
/// A share of good neighbours at or above this passes.
pub const STABILITY_PASS: f64 = 0.7;
/// A share of good neighbours below this fails (between: caution).
pub const STABILITY_FAIL: f64 = 0.4;
/// The backtest's order passes when at least this share (percent) of reorderings of its
/// trades draw down less than it does.
pub const ORDER_PERCENTILE_PASS: f64 = 25.0;
/// Below this share (percent) the backtest's order was lucky: fail (between: caution).
pub const ORDER_PERCENTILE_FAIL: f64 = 10.0;
/// The loss (percent of capital) whose probability the bootstraps are judged on.
pub const LOSS_PCT: f64 = 25.0;
/// A probability of losing more than [`LOSS_PCT`]% at or below this passes.
pub const LOSS_PROBABILITY_PASS: f64 = 0.05;
/// A probability of losing more than [`LOSS_PCT`]% above this fails (between: caution).
pub const LOSS_PROBABILITY_FAIL: f64 = 0.2;
/// A random-entry p-value at or below this passes.
pub const RANDOM_P_PASS: f64 = 0.05;
/// A random-entry p-value above this fails (between: caution).
pub const RANDOM_P_FAIL: f64 = 0.2;

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Deflated Sharpe: pass ≥ 0.95, caution 0.5–0.95, fail below 0.5; unknown when undefined.
pub fn deflated_sharpe_verdict(dsr: Option<&DeflatedSharpe>) -> Verdict {
    let thresholds = format!(
        "pass at {DSR_PASS} or above, caution {DSR_FAIL}–{DSR_PASS}, fail below {DSR_FAIL}"
    );
    let method = "The selected configuration's per-bar Sharpe ratio, tested against the best Sharpe that luck alone would give among the configurations tried, allowing for skew and fat tails (Deflated Sharpe Ratio, Bailey & López de Prado 2014).".to_string();
    let Some(d) = dsr else {
        return Verdict {
            check: Check::DeflatedSharpe,
            level: Level::Unknown,
            headline: "Deflated Sharpe unavailable: too few returns, or their shape makes the test inapplicable.".into(),
            method,
            thresholds,
        };
    };
    let level = if d.dsr >= DSR_PASS {
        Level::Pass
    } else if d.dsr >= DSR_FAIL {
        Level::Caution
    } else {
        Level::Fail
    };
    let tail = match level {
        Level::Pass => "the edge survives the search",
        Level::Caution => "not conclusive",
        _ => "the result is what trying many settings produces by chance",
    };
    Verdict {
        check: Check::DeflatedSharpe,
        level,
        headline: format!(
            "DSR {:.2}: {} chance the true Sharpe beats the best of {} lucky tries: {tail}.",
            d.dsr,
            pct(d.dsr),
            d.trials
        ),
        method,
        thresholds,
    }
}

/// PBO: pass below 0.3, caution 0.3–0.5, fail above 0.5.
pub fn pbo_verdict(p: &Pbo) -> Verdict {
    let level = if p.pbo < PBO_PASS {
        Level::Pass
    } else if p.pbo <= PBO_FAIL {
        Level::Caution
    } else {
        Level::Fail
    };
    let meaning = match level {
        Level::Pass => "the sweep's winner usually stays in the top half on unseen data",
        Level::Caution => "the sweep's winner often drops to the bottom half on unseen data",
        _ => "the sweep's winner usually lands in the bottom half on unseen data: likely overfit",
    };
    Verdict {
        check: Check::Pbo,
        level,
        headline: format!("PBO {:.2}: {meaning}.", p.pbo),
        method: format!(
            "Each of {} configurations ranked on {} ways of splitting the history into {} blocks, half to pick the winner and half to test it (CSCV, Bailey, Borwein, López de Prado & Zhu 2017).",
            p.configurations, p.splits, p.blocks
        ),
        thresholds: format!(
            "pass below {PBO_PASS}, caution {PBO_PASS}–{PBO_FAIL}, fail above {PBO_FAIL}"
        ),
    }
}

/// Stability: pass when ≥ 70% of neighbours are good, caution 40–70%, fail below 40%;
/// unknown without neighbours.
pub fn stability_verdict(s: &Stability) -> Verdict {
    let thresholds = format!(
        "pass when {} or more of the neighbours are good, caution {}–{}, fail below {}",
        pct(STABILITY_PASS),
        pct(STABILITY_FAIL),
        pct(STABILITY_PASS),
        pct(STABILITY_FAIL)
    );
    let losing = s.chosen_value <= 0.0;
    let method = if losing {
        format!(
            "The settings one step away on every parameter (diagonals included) compared with the chosen one; a neighbour is good when it scores above zero (the chosen settings score {:.4}).",
            s.chosen_value
        )
    } else {
        format!(
            "The settings one step away on every parameter (diagonals included) compared with the chosen one; a neighbour is good at {:.4} or better.",
            s.threshold
        )
    };
    let Some(share) = s.share else {
        return Verdict {
            check: Check::Stability,
            level: Level::Unknown,
            headline: "Stability unknown: no neighbouring setting was tested.".into(),
            method,
            thresholds,
        };
    };
    if losing && share < STABILITY_PASS {
        return Verdict {
            check: Check::Stability,
            level: Level::Fail,
            headline: format!(
                "The chosen settings score {:.2}, not above zero, and {} of {} neighbouring settings score above zero: there is no good region here to be stable.",
                s.chosen_value, s.good, s.neighbours
            ),
            method,
            thresholds,
        };
    }
    let (level, meaning) = if share >= STABILITY_PASS {
        (Level::Pass, "a broad plateau, not a lucky spike")
    } else if share >= STABILITY_FAIL {
        (Level::Caution, "the good region is narrow")
    } else {
        (Level::Fail, "a lone spike: small changes break it")
    };
    Verdict {
        check: Check::Stability,
        level,
        headline: format!(
            "{} of {} neighbouring settings are also good ({}): {meaning}.",
            s.good,
            s.neighbours,
            pct(share)
        ),
        method,
        thresholds,
    }
}

/// Monte Carlo. The trade reshuffle keeps the final result, so it is judged on how
/// flattering the backtest's own order was: the share of reorderings whose worst drop is
/// smaller than the backtest's (pass at [`ORDER_PERCENTILE_PASS`]% or more, fail below
/// [`ORDER_PERCENTILE_FAIL`]%). The bootstraps (whose final equity varies) are judged on the
/// probability of losing more than [`LOSS_PCT`]% (pass ≤ 5%, fail > 20%). Every headline
/// also gives the 95th-percentile drawdown, a risk to know rather than a verdict: a
/// strategy that holds crypto draws down as crypto does.
pub fn monte_carlo_verdict(mc: &MonteCarlo) -> Verdict {
    let dd = mc.max_drawdown.p95;
    let loss = mc
        .loss_probabilities
        .iter()
        .find(|l| l.loss_pct == LOSS_PCT)
        .map(|l| l.probability)
        .unwrap_or(0.0);
    // A path of trades only knows the equity between trades: its drops leave out the dips
    // while a trade is open, so they are said to be counted from trade to trade.
    let between = match mc.method {
        Resampling::StationaryBootstrapBars => "",
        Resampling::ReshuffleTrades | Resampling::BootstrapTrades => " (from trade to trade)",
    };
    let tail = format!(
        "1 history in 20 drops {} or more from a high{between}",
        pct(dd)
    );
    let loss_level = if loss <= LOSS_PROBABILITY_PASS {
        Level::Pass
    } else if loss <= LOSS_PROBABILITY_FAIL {
        Level::Caution
    } else {
        Level::Fail
    };
    let loss_thresholds = format!(
        "losing more than {LOSS_PCT:.0}% of the capital: pass at {} chance or less, caution up \
         to {}, fail above",
        pct(LOSS_PROBABILITY_PASS),
        pct(LOSS_PROBABILITY_FAIL)
    );
    let loss_headline = |what: &str| {
        format!(
            "{what} {} times: {} of the histories lose more than {LOSS_PCT:.0}% of the \
             capital; {tail}.",
            mc.runs,
            pct(loss)
        )
    };
    let (check, level, headline, method, thresholds) = match mc.method {
        Resampling::ReshuffleTrades => {
            let share = mc.original_drawdown_percentile;
            let level = if share >= ORDER_PERCENTILE_PASS {
                Level::Pass
            } else if share >= ORDER_PERCENTILE_FAIL {
                Level::Caution
            } else {
                Level::Fail
            };
            let meaning = match level {
                Level::Pass => "its order did not flatter it",
                Level::Caution => "its order was on the lucky side",
                _ => "its order was lucky: expect deeper drops",
            };
            (
                Check::TradeShuffle,
                level,
                format!(
                    "The backtest's worst drop from trade to trade ({}) is deeper than in \
                     {share:.0}% of {} reorderings of its trades, so {meaning}; {tail}.",
                    pct(mc.original_max_drawdown),
                    mc.runs
                ),
                format!(
                    "The {} trades replayed in {} random orders (seed {}): the final result is \
                     the same, the path differs.",
                    mc.samples, mc.runs, mc.seed
                ),
                format!(
                    "pass when {ORDER_PERCENTILE_PASS:.0}% or more of the orders drop less \
                     than the backtest, caution from {ORDER_PERCENTILE_FAIL:.0}%, fail below"
                ),
            )
        }
        Resampling::BootstrapTrades => (
            Check::Bootstrap,
            loss_level,
            loss_headline("Its trades redrawn"),
            format!(
                "{} histories of {} trades drawn at random with replacement from the \
                 strategy's trades (seed {}, IID bootstrap).",
                mc.runs, mc.samples, mc.seed
            ),
            loss_thresholds,
        ),
        Resampling::StationaryBootstrapBars => (
            Check::BarBootstrap,
            loss_level,
            loss_headline("Its bar returns redrawn in blocks"),
            format!(
                "{} histories of {} bars redrawn in blocks of about {} bars (seed {}, \
                 stationary bootstrap, Politis & Romano 1994).",
                mc.runs,
                mc.samples,
                mc.block_len.unwrap_or(1),
                mc.seed
            ),
            loss_thresholds,
        ),
    };
    Verdict {
        check,
        level,
        headline,
        method,
        thresholds,
    }
}

/// Random entry: pass when p ≤ 0.05, caution 0.05–0.2, fail above 0.2. Timing that beats
/// chance while the strategy still loses (its costs outweigh the edge, say) is a caution,
/// not a pass: the check would otherwise read as praise for a losing strategy.
pub fn random_entry_verdict(b: &RandomBaseline) -> Verdict {
    let losing = format!(
        "the timing beats chance, but the strategy still loses ({} in this test's model, random entries {} at the median)",
        signed_pct(b.strategy_return * 100.0),
        signed_pct(b.random_return.p50 * 100.0)
    );
    let (level, meaning) = if b.p_value <= RANDOM_P_PASS && b.strategy_return <= 0.0 {
        (Level::Caution, losing.as_str())
    } else if b.p_value <= RANDOM_P_PASS {
        (Level::Pass, "the timing beats chance")
    } else if b.p_value <= RANDOM_P_FAIL {
        (
            Level::Caution,
            "the timing is only slightly better than chance",
        )
    } else {
        (Level::Fail, "random timing does as well")
    };
    Verdict {
        check: Check::RandomEntry,
        level,
        headline: format!(
            "p = {:.3}: {} of {} random entries with the same trades and holding times did at least as well: {meaning}.",
            b.p_value,
            (b.p_value * (b.runs + 1) as f64).round() as usize - 1,
            b.runs
        ),
        method: format!(
            "The strategy's {} trades placed at random times {} times (seed {}), same holding times, exposure and costs, each entering and leaving at a bar's open and committing all the equity (the strategy's own trades at their fill prices); a permutation test.",
            b.trades, b.runs, b.seed
        ),
        thresholds: format!(
            "pass at p ≤ {RANDOM_P_PASS} with a gain, caution up to {RANDOM_P_FAIL} (or at p ≤ {RANDOM_P_PASS} with a loss), fail above {RANDOM_P_FAIL}"
        ),
    }
}
