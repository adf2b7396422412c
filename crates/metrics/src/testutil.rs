//! Helpers shared by the unit tests of every metric.

use bb_domain::{ExitReason, Side, Trade};

/// A long trade with the given profit (quote currency) and profit in percent; everything
/// else is filler.
pub(crate) fn trade(pnl: f64, pnl_pct: f64) -> Trade {
    Trade {
        side: Side::Long,
        entry_index: 0,
        entry_ts: 0,
        entry_price: 100.0,
        exit_index: 1,
        exit_ts: 60_000,
        exit_price: 100.0 * (1.0 + pnl_pct / 100.0),
        quantity: 1.0,
        pnl,
        pnl_pct,
        fees: 0.0,
        slippage: 0.0,
        exit_reason: ExitReason::Signal,
    }
}

/// Trades with these profits (quote currency); `pnl_pct` is the same number.
pub(crate) fn trades(pnls: &[f64]) -> Vec<Trade> {
    pnls.iter().map(|&p| trade(p, p)).collect()
}

/// True when `a` and `b` agree to 1e-9, relative to their size (absolute below 1).
pub(crate) fn close_enough(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Panics unless both are `None` or both are `Some` and [`close_enough`].
#[track_caller]
pub(crate) fn assert_close(got: Option<f64>, want: Option<f64>) {
    let ok = match (got, want) {
        (None, None) => true,
        (Some(g), Some(w)) => close_enough(g, w),
        _ => false,
    };
    assert!(ok, "got {got:?}, want {want:?}");
}

/// Runs a table of named cases: `metric(input)` must be [`assert_close`] to the expectation.
#[track_caller]
pub(crate) fn check<I: ?Sized, F>(metric: F, cases: &[(&str, &I, Option<f64>)])
where
    F: Fn(&I) -> Option<f64>,
{
    for &(name, input, want) in cases {
        let got = metric(input);
        let ok = match (got, want) {
            (None, None) => true,
            (Some(g), Some(w)) => close_enough(g, w),
            _ => false,
        };
        assert!(ok, "case {name:?}: got {got:?}, want {want:?}");
    }
}
