//! Catalogue entries for math, conditions and logic.

use super::kind::BlockKind;
use super::spec::*;

const WINDOW_BARS: &[ParamSpec] = &[int("bars", "Bars", 1, 10_000, 1, BARS)];
const TREND_BARS: &[ParamSpec] = &[int("bars", "Bars", 1, 1000, 3, BARS)];

const fn math(kind: BlockKind, name: &'static str, explanation: &'static str) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Math,
        name,
        explanation,
        params: &[],
        inputs: AB,
        outputs: OUT,
        warmup: "0",
    }
}

const fn window(
    kind: BlockKind,
    name: &'static str,
    explanation: &'static str,
    warmup: &'static str,
) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Math,
        name,
        explanation,
        params: WINDOW_BARS,
        inputs: IN,
        outputs: OUT,
        warmup,
    }
}

const fn compare(
    kind: BlockKind,
    name: &'static str,
    explanation: &'static str,
    warmup: &'static str,
) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Conditions,
        name,
        explanation,
        params: &[],
        inputs: AB,
        outputs: YES_NO,
        warmup,
    }
}

const fn trend(kind: BlockKind, name: &'static str, explanation: &'static str) -> BlockSpec {
    BlockSpec {
        kind,
        category: Category::Conditions,
        name,
        explanation,
        params: TREND_BARS,
        inputs: IN,
        outputs: YES_NO,
        warmup: "bars",
    }
}

const BOOL_AB: &[PortSpec] = &[boolean_port("a", "A"), boolean_port("b", "B")];

pub(super) const BLOCKS: &[BlockSpec] = &[
    math(
        BlockKind::Add,
        "Add",
        "Adds A and B on every bar, for example a moving average plus a fixed offset.",
    ),
    math(
        BlockKind::Subtract,
        "Subtract",
        "A - B on every bar, for example the distance between two moving averages.",
    ),
    math(
        BlockKind::Multiply,
        "Multiply",
        "A × B on every bar, for example an ATR times 2.",
    ),
    math(
        BlockKind::Divide,
        "Divide",
        "A ÷ B on every bar. Where B is zero there is no value (the bar is skipped by conditions).",
    ),
    BlockSpec {
        kind: BlockKind::Absolute,
        category: Category::Math,
        name: "Absolute value",
        explanation: "Drops the minus sign: -3 becomes 3. Useful for 'how far', whichever direction.",
        params: &[],
        inputs: IN,
        outputs: OUT,
        warmup: "0",
    },
    math(
        BlockKind::Min,
        "Smaller of two",
        "The smaller of A and B on every bar.",
    ),
    math(
        BlockKind::Max,
        "Larger of two",
        "The larger of A and B on every bar.",
    ),
    window(
        BlockKind::BarsAgo,
        "Value N bars ago",
        "The input's value N bars earlier. Compare the close with a channel one bar ago to detect a breakout, or today's RSI with yesterday's.",
        "bars",
    ),
    window(
        BlockKind::Highest,
        "Highest over N bars",
        "The highest value of the input over the last N bars, including the current one.",
        "bars - 1",
    ),
    window(
        BlockKind::Lowest,
        "Lowest over N bars",
        "The lowest value of the input over the last N bars, including the current one.",
        "bars - 1",
    ),
    window(
        BlockKind::PercentChange,
        "Percent change over N bars",
        "How much the input changed over the last N bars, in percent: (now / N bars ago - 1) × 100.",
        "bars",
    ),
    compare(
        BlockKind::GreaterThan,
        "Is above",
        "Yes on every bar where A is greater than B. For example 'close is above the 200-bar SMA'. No while either side has no value yet.",
        "0",
    ),
    compare(
        BlockKind::GreaterOrEqual,
        "Is at or above",
        "Yes on every bar where A is greater than or equal to B.",
        "0",
    ),
    compare(
        BlockKind::LessThan,
        "Is below",
        "Yes on every bar where A is less than B. For example 'RSI is below 30'.",
        "0",
    ),
    compare(
        BlockKind::LessOrEqual,
        "Is at or below",
        "Yes on every bar where A is less than or equal to B.",
        "0",
    ),
    compare(
        BlockKind::CrossesAbove,
        "Crosses above",
        "Yes only on the bar where A moves from below B to above B. Bars where A equals B exactly do not count as a side: below, equal, above fires once, on the 'above' bar; above, equal, above never fires.",
        "1",
    ),
    compare(
        BlockKind::CrossesBelow,
        "Crosses below",
        "Yes only on the bar where A moves from above B to below B. Bars where A equals B exactly do not count as a side.",
        "1",
    ),
    trend(
        BlockKind::Rising,
        "Rising for N bars",
        "Yes when the input went up on each of the last N bars (each value higher than the one before).",
    ),
    trend(
        BlockKind::Falling,
        "Falling for N bars",
        "Yes when the input went down on each of the last N bars.",
    ),
    BlockSpec {
        kind: BlockKind::Between,
        category: Category::Conditions,
        name: "Is between",
        explanation: "Yes when the input is at or above the lower bound and at or below the upper bound, for example 'RSI between 40 and 60'.",
        params: &[],
        inputs: &[
            number_port("in", "Value"),
            number_port("lower", "Lower bound"),
            number_port("upper", "Upper bound"),
        ],
        outputs: YES_NO,
        warmup: "0",
    },
    BlockSpec {
        kind: BlockKind::And,
        category: Category::Logic,
        name: "And",
        explanation: "Yes only when both conditions are yes on the same bar, for example 'RSI is low and the trend is up'.",
        params: &[],
        inputs: BOOL_AB,
        outputs: YES_NO,
        warmup: "0",
    },
    BlockSpec {
        kind: BlockKind::Or,
        category: Category::Logic,
        name: "Or",
        explanation: "Yes when at least one of the two conditions is yes on a bar; use it to give an entry several triggers.",
        params: &[],
        inputs: BOOL_AB,
        outputs: YES_NO,
        warmup: "0",
    },
    BlockSpec {
        kind: BlockKind::Not,
        category: Category::Logic,
        name: "Not",
        explanation: "Turns yes into no and no into yes, for example 'not in an uptrend'.",
        params: &[],
        inputs: &[boolean_port("in", "Condition")],
        outputs: YES_NO,
        warmup: "0",
    },
];
