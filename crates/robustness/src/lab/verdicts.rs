//! The lab's verdicts: the walk-forward's and the holdout's (written here, from the
//! efficiency of out-of-sample results), and those of the statistics (`crate::verdict`).

use bb_backtest::walk_forward::WalkForwardReport;
use bb_metrics::Metrics;
use bb_metrics::display::signed_pct;

use super::LabReport;
use crate::verdict::{self, Check, Level, Verdict};

/// Out-of-sample efficiency at or above this passes.
pub const EFFICIENCY_PASS: f64 = 0.6;
/// Out-of-sample efficiency below this fails (between the two: caution).
pub const EFFICIENCY_FAIL: f64 = 0.4;

fn efficiency_level(efficiency: f64) -> Level {
    if efficiency >= EFFICIENCY_PASS {
        Level::Pass
    } else if efficiency >= EFFICIENCY_FAIL {
        Level::Caution
    } else {
        Level::Fail
    }
}

fn thresholds() -> String {
    format!(
        "pass at {:.0}% or more of the in-sample rate, caution from {:.0}%, fail below {:.0}% \
         or on a loss",
        EFFICIENCY_PASS * 100.0,
        EFFICIENCY_FAIL * 100.0,
        EFFICIENCY_FAIL * 100.0
    )
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The walk-forward's verdict: out-of-sample growth against in-sample growth.
pub fn walk_forward(report: &WalkForwardReport) -> Verdict {
    let method = format!(
        "Walk-forward (Pardo, 2008): {} {} windows, {:.0}% in sample; in each, the {} of {} \
         combinations chose the parameters, then they traded the next out-of-sample part. \
         Efficiency is the stitched out-of-sample growth rate divided by the in-sample one \
         (log returns per unit of time).",
        report.windows.len(),
        match report.spec.mode {
            bb_backtest::walk_forward::WindowMode::Rolling => "rolling",
            bb_backtest::walk_forward::WindowMode::Anchored => "anchored",
        },
        report.spec.in_sample_pct,
        report.spec.objective.label(),
        report.combinations
    );
    let windows = format!(
        "{} of {} windows made money out of sample",
        report.profitable_windows,
        report.windows.len()
    );
    let oos = report.stitched.as_ref().map(|m| m.total_return_pct);
    let (level, headline) = match (report.efficiency, oos) {
        (_, None) => (
            Level::Unknown,
            "The walk-forward traded nothing out of sample.".to_string(),
        ),
        (_, Some(r)) if r <= 0.0 => (
            Level::Fail,
            format!(
                "Out of sample it returned {}; {windows}: likely overfit.",
                signed_pct(r)
            ),
        ),
        (None, Some(r)) => (
            Level::Caution,
            format!(
                "Out of sample it returned {} while the chosen parameters did not make money in \
                 sample; {windows}.",
                signed_pct(r)
            ),
        ),
        (Some(e), Some(_)) => {
            let level = efficiency_level(e);
            let tail = match level {
                Level::Pass => "holds up out of sample",
                Level::Caution => "possibly overfit",
                _ => "likely overfit",
            };
            (
                level,
                format!(
                    "Out of sample it made {} of what it made in sample; {windows}: {tail}.",
                    percent(e)
                ),
            )
        }
    };
    Verdict {
        check: Check::WalkForward,
        level,
        headline,
        method,
        thresholds: thresholds(),
    }
}

/// The holdout's verdict: the chosen combination on the candles set aside.
pub fn holdout(efficiency: Option<f64>, metrics: &Metrics) -> Verdict {
    let r = metrics.total_return_pct;
    let (level, headline) = match efficiency {
        _ if r <= 0.0 => (
            Level::Fail,
            format!(
                "On the holdout it returned {} over {} trades: what was found does not carry over.",
                signed_pct(r),
                metrics.trades
            ),
        ),
        None => (
            Level::Caution,
            format!(
                "On the holdout it returned {}, though the chosen combination did not make money \
                 on the development data.",
                signed_pct(r)
            ),
        ),
        Some(e) => (
            efficiency_level(e),
            format!(
                "On the holdout it made {} of its development growth rate ({} over {} trades).",
                percent(e),
                signed_pct(r),
                metrics.trades
            ),
        ),
    };
    Verdict {
        check: Check::Holdout,
        level,
        headline,
        method: "The combination chosen on the development data traded the candles held out \
                 at the end, which no other check saw; its growth rate is compared with the \
                 development data's (log returns per unit of time)."
            .into(),
        thresholds: thresholds(),
    }
}

/// Every verdict of a report (but the holdout's), worst first.
pub fn verdicts(report: &LabReport) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(w) = &report.walk_forward {
        out.push(walk_forward(w));
    }
    if let Some(p) = &report.pbo {
        out.push(verdict::pbo_verdict(p));
    }
    if report.chosen.is_some() {
        out.push(verdict::deflated_sharpe_verdict(
            report.deflated_sharpe.as_ref(),
        ));
    }
    if let Some(s) = &report.stability {
        out.push(verdict::stability_verdict(s));
    }
    if let Some(b) = &report.random_entry {
        out.push(verdict::random_entry_verdict(b));
    }
    for m in [
        &report.trade_shuffle,
        &report.trade_bootstrap,
        &report.bar_bootstrap,
    ]
    .into_iter()
    .flatten()
    {
        out.push(verdict::monte_carlo_verdict(m));
    }
    // worst first; a stable sort keeps the order above among equals
    out.sort_by_key(|v| std::cmp::Reverse(v.level.severity()));
    out
}

/// The overall verdict in a sentence, naming the checks that failed or need caution.
pub fn headline(verdicts: &[Verdict]) -> String {
    let at = |l: Level| -> Vec<&str> {
        verdicts
            .iter()
            .filter(|v| v.level == l)
            .map(|v| v.check.title())
            .collect()
    };
    let (pass, caution, fail) = (at(Level::Pass).len(), at(Level::Caution), at(Level::Fail));
    let judged = pass + caution.len() + fail.len();
    if judged == 0 {
        return "No check could be judged on this data.".into();
    }
    let counts = format!(
        "{pass} of {judged} checks passed, {} need caution, {} failed",
        caution.len(),
        fail.len()
    );
    if !fail.is_empty() {
        format!(
            "{counts}. Failed: {}. One failed check is reason enough to doubt the backtest's \
             numbers.",
            fail.join(", ")
        )
    } else if !caution.is_empty() {
        format!(
            "{counts}: promising, with reasons for caution ({}).",
            caution.join(", ")
        )
    } else {
        format!("{counts}: no sign of overfitting in these checks.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(check: Check, level: Level) -> Verdict {
        Verdict {
            check,
            level,
            headline: String::new(),
            method: String::new(),
            thresholds: String::new(),
        }
    }

    #[test]
    fn the_headline_names_what_failed_or_needs_caution() {
        let failed = headline(&[
            judged(Check::WalkForward, Level::Pass),
            judged(Check::Pbo, Level::Fail),
            judged(Check::Stability, Level::Caution),
            judged(Check::BarBootstrap, Level::Fail),
            judged(Check::Holdout, Level::Unknown),
        ]);
        assert_eq!(
            failed,
            "1 of 4 checks passed, 1 need caution, 2 failed. Failed: Overfitting (PBO), \
             Candles redrawn. One failed check is reason enough to doubt the backtest's numbers."
        );
        let caution = headline(&[
            judged(Check::WalkForward, Level::Pass),
            judged(Check::RandomEntry, Level::Caution),
        ]);
        assert_eq!(
            caution,
            "1 of 2 checks passed, 1 need caution, 0 failed: promising, with reasons for \
             caution (Random entries)."
        );
        assert_eq!(
            headline(&[judged(Check::DeflatedSharpe, Level::Pass)]),
            "1 of 1 checks passed, 0 need caution, 0 failed: no sign of overfitting in these \
             checks."
        );
        assert_eq!(
            headline(&[judged(Check::Holdout, Level::Unknown)]),
            "No check could be judged on this data."
        );
    }
}
