//! `BlockKind`: the closed set of blocks the language knows, with their wire names.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! block_kinds {
    ($($variant:ident => $name:literal,)*) => {
        /// Every block a strategy can contain. The wire name (`"sma"`, `"crosses_above"`) is
        /// what documents store in a node's `kind`, and the only name serde reads or writes
        /// (the catalogue served to the canvas uses the same one).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BlockKind { $($variant,)* }

        impl BlockKind {
            /// All kinds, in catalogue order.
            pub const ALL: &'static [BlockKind] = &[$(BlockKind::$variant,)*];

            /// The wire name used in strategy documents.
            pub fn as_str(self) -> &'static str {
                match self { $(BlockKind::$variant => $name,)* }
            }

            /// The kind with this wire name.
            pub fn from_name(name: &str) -> Option<BlockKind> {
                match name { $($name => Some(BlockKind::$variant),)* _ => None }
            }
        }
    };
}

block_kinds! {
    CandleField => "candle_field",
    Constant => "constant",
    HigherTimeframe => "higher_timeframe",
    Sma => "sma",
    Ema => "ema",
    Wma => "wma",
    Dema => "dema",
    Tema => "tema",
    Kama => "kama",
    Rsi => "rsi",
    Stochastic => "stochastic",
    StochasticRsi => "stochastic_rsi",
    Macd => "macd",
    Ppo => "ppo",
    Roc => "roc",
    Momentum => "momentum",
    WilliamsR => "williams_r",
    Cci => "cci",
    Mfi => "mfi",
    Adx => "adx",
    Aroon => "aroon",
    Bollinger => "bollinger",
    Atr => "atr",
    Natr => "natr",
    StdDev => "stddev",
    ParabolicSar => "parabolic_sar",
    Obv => "obv",
    ChaikinAd => "chaikin_ad",
    Vwap => "vwap",
    Donchian => "donchian",
    LinregSlope => "linreg_slope",
    Add => "add",
    Subtract => "subtract",
    Multiply => "multiply",
    Divide => "divide",
    Absolute => "absolute",
    Min => "min",
    Max => "max",
    BarsAgo => "bars_ago",
    Highest => "highest",
    Lowest => "lowest",
    PercentChange => "percent_change",
    GreaterThan => "greater_than",
    GreaterOrEqual => "greater_or_equal",
    LessThan => "less_than",
    LessOrEqual => "less_or_equal",
    CrossesAbove => "crosses_above",
    CrossesBelow => "crosses_below",
    Rising => "rising",
    Falling => "falling",
    Between => "between",
    And => "and",
    Or => "or",
    Not => "not",
    EnterLong => "enter_long",
    ExitLong => "exit_long",
    EnterShort => "enter_short",
    ExitShort => "exit_short",
    PositionSize => "position_size",
    StopLoss => "stop_loss",
    TakeProfit => "take_profit",
    TrailingStop => "trailing_stop",
    TimeStop => "time_stop",
    BreakEven => "break_even",
}

impl Serialize for BlockKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BlockKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        BlockKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("there is no block called \"{name}\"")))
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl BlockKind {
    /// Action blocks turn a condition into an order.
    pub fn is_action(self) -> bool {
        matches!(
            self,
            BlockKind::EnterLong
                | BlockKind::ExitLong
                | BlockKind::EnterShort
                | BlockKind::ExitShort
        )
    }

    /// Risk blocks configure every position; they have no ports.
    pub fn is_risk(self) -> bool {
        matches!(
            self,
            BlockKind::PositionSize
                | BlockKind::StopLoss
                | BlockKind::TakeProfit
                | BlockKind::TrailingStop
                | BlockKind::TimeStop
                | BlockKind::BreakEven
        )
    }
}
