//! **Average win** and **average loss**, in quote currency.
//!
//! - *Average win*: the mean P&L of the trades with a profit above 0. `None` if no trade won.
//! - *Average loss*: the mean P&L of the trades with a profit below 0, reported as a negative
//!   number (`−40` means losing trades lost 40 on average). `None` if no trade lost.
//!
//! P&L is after fees and slippage. Break-even trades (P&L exactly 0) are in neither average.
//! No trades: both `None`.

use bb_domain::Trade;

/// `(average win, average loss)` in quote currency; see the module documentation.
pub fn average_win_loss(trades: &[Trade]) -> (Option<f64>, Option<f64>) {
    let (mut win_sum, mut wins, mut loss_sum, mut losses) = (0.0, 0usize, 0.0, 0usize);
    for t in trades {
        if t.pnl > 0.0 {
            win_sum += t.pnl;
            wins += 1;
        } else if t.pnl < 0.0 {
            loss_sum += t.pnl;
            losses += 1;
        }
    }
    let mean = |sum: f64, n: usize| (n > 0).then(|| sum / n as f64);
    (mean(win_sum, wins), mean(loss_sum, losses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check, trades};

    /// (name, P&L per trade, average win, average loss)
    type Case = (&'static str, &'static [f64], Option<f64>, Option<f64>);

    const CASES: &[Case] = &[
        ("no trades", &[], None, None),
        ("one winner", &[10.0], Some(10.0), None),
        ("one loser", &[-10.0], None, Some(-10.0)),
        ("all losers", &[-1.0, -2.0, -6.0], None, Some(-3.0)),
        ("break-even only", &[0.0], None, None),
        (
            "mixed",
            &[30.0, -10.0, 15.0, -5.0, 0.0],
            Some(22.5),
            Some(-7.5),
        ),
    ];

    #[test]
    fn average_win_cases() {
        let cases: Vec<_> = CASES.iter().map(|&(n, p, win, _)| (n, p, win)).collect();
        check(|pnls: &[f64]| average_win_loss(&trades(pnls)).0, &cases);
    }

    #[test]
    fn average_loss_cases() {
        let cases: Vec<_> = CASES.iter().map(|&(n, p, _, loss)| (n, p, loss)).collect();
        check(|pnls: &[f64]| average_win_loss(&trades(pnls)).1, &cases);
    }
}
