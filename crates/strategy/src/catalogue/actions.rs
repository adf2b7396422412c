//! Catalogue entries for actions (orders) and risk and sizing rules.

use super::kind::BlockKind;
use super::spec::*;

const fn action(kind: BlockKind, name: &'static str, explanation: &'static str) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Actions,
        name,
        explanation,
        params: &[],
        inputs: WHEN,
        outputs: NONE,
        warmup: "0",
    }
}

const fn risk(
    kind: BlockKind,
    name: &'static str,
    explanation: &'static str,
    params: &'static [ParamSpec],
) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Risk,
        name,
        explanation,
        params,
        inputs: NONE,
        outputs: NONE,
        warmup: "0",
    }
}

const ATR_PERIOD: ParamSpec =
    int("atr_period", "ATR period", 2, 1000, 14, BARS).when("mode", ATR_MODE);
const ATR_MODE: &[&str] = &["atr"];
const PERCENT_MODE: &[&str] = &["percent"];

pub(super) const BLOCKS: &[BlockSpec] = &[
    action(
        BlockKind::EnterLong,
        "Buy (enter long)",
        "Opens a long position (you profit when the price rises) when the connected condition is yes at a bar's close. The order fills at the next bar's open by default. While a position is open, further buy signals are ignored and counted.",
    ),
    action(
        BlockKind::ExitLong,
        "Sell (exit long)",
        "Closes the open long position when the connected condition is yes at a bar's close.",
    ),
    action(
        BlockKind::EnterShort,
        "Sell short (enter short)",
        "Opens a short position (you profit when the price falls) when the connected condition is yes at a bar's close.",
    ),
    action(
        BlockKind::ExitShort,
        "Buy to cover (exit short)",
        "Closes the open short position when the connected condition is yes at a bar's close.",
    ),
    risk(
        BlockKind::PositionSize,
        "Position size",
        "How much to put into each trade: a percentage of your equity, a fixed amount of the quote currency, or 'risk %' which sizes the trade so that hitting the stop loss loses that percentage of equity (needs a stop loss). Without this block every trade uses 100% of equity. Never borrows: a trade is capped by the cash you have.",
        &[
            choice(
                "mode",
                "Mode",
                &["percent_of_equity", "fixed_amount", "risk_percent"],
                "percent_of_equity",
            ),
            num("percent", "Percent", 0.01, 100.0, 100.0, PERCENT)
                .when("mode", &["percent_of_equity", "risk_percent"]),
            num(
                "amount",
                "Amount",
                0.01,
                1e12,
                1000.0,
                Some("quote currency"),
            )
            .when("mode", &["fixed_amount"]),
        ],
    ),
    risk(
        BlockKind::StopLoss,
        "Stop loss",
        "Closes a losing position once the price moves against you by a set distance: a percentage of the entry price, or a multiple of the ATR (so the stop is wider when the market is wilder). Checked inside every bar, not only at the close; if the price gaps past the stop, the fill is at the open, which is worse than the stop price, as in real trading.",
        &[
            choice("mode", "Mode", &["percent", "atr"], "percent"),
            num("percent", "Distance", 0.01, 99.0, 2.0, PERCENT).when("mode", PERCENT_MODE),
            ATR_PERIOD,
            num(
                "atr_multiple",
                "ATR multiple",
                0.1,
                50.0,
                2.0,
                Some("× ATR"),
            )
            .when("mode", ATR_MODE),
        ],
    ),
    risk(
        BlockKind::TakeProfit,
        "Take profit",
        "Closes a winning position once the price reaches a target: a percentage above the entry, a multiple of the ATR, or a reward/risk multiple of the stop-loss distance (2 means 'aim to win twice what you risk'; needs a stop loss).",
        &[
            choice(
                "mode",
                "Mode",
                &["percent", "atr", "reward_risk"],
                "percent",
            ),
            num("percent", "Distance", 0.01, 1000.0, 4.0, PERCENT).when("mode", PERCENT_MODE),
            ATR_PERIOD,
            num(
                "atr_multiple",
                "ATR multiple",
                0.1,
                100.0,
                3.0,
                Some("× ATR"),
            )
            .when("mode", ATR_MODE),
            num(
                "ratio",
                "Reward/risk",
                0.1,
                100.0,
                2.0,
                Some("× stop distance"),
            )
            .when("mode", &["reward_risk"]),
        ],
    ),
    risk(
        BlockKind::TrailingStop,
        "Trailing stop",
        "A stop that follows the best price since you entered, at a fixed distance (a percentage or an ATR multiple), and never moves back. It lets winners run and locks in part of the gain when the trend turns.",
        &[
            choice("mode", "Mode", &["percent", "atr"], "percent"),
            num("percent", "Distance", 0.01, 99.0, 3.0, PERCENT).when("mode", PERCENT_MODE),
            ATR_PERIOD,
            num(
                "atr_multiple",
                "ATR multiple",
                0.1,
                50.0,
                3.0,
                Some("× ATR"),
            )
            .when("mode", ATR_MODE),
        ],
    ),
    risk(
        BlockKind::TimeStop,
        "Time stop",
        "Closes any position that has been open for N bars, whatever its result, so money is not stuck in trades that go nowhere.",
        &[int("bars", "Bars", 1, 100_000, 20, BARS)],
    ),
    risk(
        BlockKind::BreakEven,
        "Move stop to break-even",
        "Once a position has gained the set percentage, its stop moves to the entry price, so the trade can no longer turn into a loss (apart from fees and slippage).",
        &[num(
            "after_percent",
            "After a gain of",
            0.01,
            1000.0,
            1.0,
            PERCENT,
        )],
    ),
];
