//! **Average holding time**, in bars and in milliseconds: how long a trade stays open.
//!
//! - *Bars*: the mean over trades of `exit bar index − entry bar index`. A trade entered and
//!   exited on the same bar held 0 bars; entered on one bar and exited on the next, 1.
//! - *Milliseconds*: the mean over trades of `exit fill time − entry fill time` (the
//!   timestamps the simulator recorded for the fills). Gaps in the data make this longer than
//!   bars × bar length.
//!
//! No trades: both `None`.

use bb_domain::Trade;

/// `(average bars held, average milliseconds held)`; see the module documentation.
pub fn average_holding(trades: &[Trade]) -> (Option<f64>, Option<f64>) {
    if trades.is_empty() {
        return (None, None);
    }
    let (mut bars, mut ms) = (0.0, 0.0);
    for t in trades {
        bars += t.exit_index.saturating_sub(t.entry_index) as f64;
        ms += t.duration_ms() as f64;
    }
    let n = trades.len() as f64;
    (Some(bars / n), Some(ms / n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trade};

    const H: i64 = 3_600_000;

    /// (entry index, exit index, entry ts, exit ts) of one trade.
    type Span = (usize, usize, i64, i64);
    /// (name, trades, average bars, average ms)
    type Case = (&'static str, &'static [Span], Option<f64>, Option<f64>);

    const CASES: &[Case] = &[
        ("no trades", &[], None, None),
        (
            "one trade",
            &[(3, 7, 3 * H, 7 * H)],
            Some(4.0),
            Some(4.0 * H as f64),
        ),
        ("same bar", &[(5, 5, 5 * H, 5 * H)], Some(0.0), Some(0.0)),
        (
            "two trades",
            &[(0, 1, 0, H), (10, 20, 10 * H, 20 * H)],
            Some(5.5),
            Some(5.5 * H as f64),
        ),
        (
            "gap inside a trade",
            &[(0, 2, 0, 50 * H)],
            Some(2.0),
            Some(50.0 * H as f64),
        ),
    ];

    fn run(spans: &[Span]) -> (Option<f64>, Option<f64>) {
        let trades: Vec<_> = spans
            .iter()
            .map(
                |&(entry_index, exit_index, entry_ts, exit_ts)| bb_domain::Trade {
                    entry_index,
                    exit_index,
                    entry_ts,
                    exit_ts,
                    ..trade(-1.0, -1.0)
                },
            )
            .collect();
        average_holding(&trades)
    }

    #[test]
    fn bars_cases() {
        let cases: Vec<_> = CASES.iter().map(|&(n, t, bars, _)| (n, t, bars)).collect();
        check(|t: &[Span]| run(t).0, &cases);
    }

    #[test]
    fn ms_cases() {
        let cases: Vec<_> = CASES.iter().map(|&(n, t, _, ms)| (n, t, ms)).collect();
        check(|t: &[Span]| run(t).1, &cases);
    }
}
