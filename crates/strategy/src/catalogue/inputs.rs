//! Catalogue entries for inputs: candle fields, constants and higher-timeframe values.

use super::kind::BlockKind;
use super::spec::*;

/// Fields a candle-field block can read.
pub const CANDLE_FIELDS: &[&str] = &[
    "open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4",
];

/// Timeframes a higher-timeframe block can use.
pub const HIGHER_TIMEFRAMES: &[&str] = &["5m", "15m", "30m", "1h", "4h", "1d", "1w"];

pub(super) const BLOCKS: &[BlockSpec] = &[
    BlockSpec {
        kind: BlockKind::CandleField,
        category: Category::Inputs,
        name: "Price / volume",
        explanation: "Reads one value from each candle: the open, high, low or close price, the traded volume, or a blend (hl2 is the middle of the bar's range, hlc3 the typical price, ohlc4 the average of all four prices). Most strategies start here: connect 'close' to an indicator.",
        params: &[choice("field", "Field", CANDLE_FIELDS, "close")],
        inputs: NONE,
        outputs: OUT,
        warmup: "0",
    },
    BlockSpec {
        kind: BlockKind::Constant,
        category: Category::Inputs,
        name: "Number",
        explanation: "A fixed number, the same on every bar. Use it for thresholds such as 'RSI below 30' or 'ADX above 25'.",
        params: &[num("value", "Value", -1e12, 1e12, 0.0, None)],
        inputs: NONE,
        outputs: OUT,
        warmup: "0",
    },
    BlockSpec {
        kind: BlockKind::HigherTimeframe,
        category: Category::Inputs,
        name: "Higher timeframe",
        explanation: "Computes whatever is connected to it on bigger candles (for example the daily trend while you trade hourly bars). It only ever shows the value of the last higher-timeframe candle that has fully closed, so it can never peek at the future: at 14:00 a daily value is still yesterday's.",
        params: &[choice("timeframe", "Timeframe", HIGHER_TIMEFRAMES, "1d")],
        inputs: &[number_port("in", "Value on the higher timeframe")],
        outputs: OUT,
        warmup: "(warm-up of the input + 1) × (higher timeframe / data timeframe)",
    },
];
