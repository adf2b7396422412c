//! The execution plan: an immutable, topologically ordered list of steps with resolved
//! inputs. The simulator and the inspector only ever see plans, never raw documents.

use bb_domain::{RiskRules, Timeframe};

use crate::diagnostic::Diagnostic;

/// An output of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    pub step: usize,
    pub output: usize,
}

/// Which candles a step runs on: the data's own bars (context 0) or bars resampled to a
/// higher timeframe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Base,
    Higher(Timeframe),
}

/// A candle field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Open,
    High,
    Low,
    Close,
    Volume,
    Hl2,
    Hlc3,
    Ohlc4,
}

/// A technical indicator with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Indicator {
    Sma(usize),
    Ema(usize),
    Wma(usize),
    Dema(usize),
    Tema(usize),
    Kama(usize),
    Rsi(usize),
    Stochastic {
        fastk: usize,
        slowk: usize,
        slowd: usize,
    },
    StochasticRsi {
        period: usize,
        fastk: usize,
        fastd: usize,
    },
    Macd {
        fast: usize,
        slow: usize,
        signal: usize,
    },
    Ppo {
        fast: usize,
        slow: usize,
    },
    Roc(usize),
    Momentum(usize),
    WilliamsR(usize),
    Cci(usize),
    Mfi(usize),
    Adx(usize),
    Aroon(usize),
    Bollinger {
        period: usize,
        deviations: f64,
    },
    Atr(usize),
    Natr(usize),
    StdDev {
        period: usize,
        deviations: f64,
    },
    ParabolicSar {
        acceleration: f64,
        maximum: f64,
    },
    Obv,
    ChaikinAd,
    Vwap(usize),
    Donchian(usize),
    LinregSlope(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arithmetic {
    Add,
    Subtract,
    Multiply,
    Divide,
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    BarsAgo,
    Highest,
    Lowest,
    PercentChange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Down,
}

/// What a step computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Field(Field),
    Constant(f64),
    /// Maps the input (computed in `Context::Higher`) onto base bars, exposing only closed
    /// higher bars.
    HigherTimeframe(Timeframe),
    Indicator(Indicator),
    Arithmetic(Arithmetic),
    Absolute,
    Window(Window, usize),
    Compare(Comparison),
    Cross(Direction),
    Trend(Direction, usize),
    Between,
    And,
    Or,
    Not,
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub op: Op,
    pub inputs: Vec<Slot>,
    pub context: Context,
    /// Number of outputs (ports) the step produces.
    pub outputs: usize,
    /// Bars before each output has its first value, in base bars.
    pub warmup: Vec<usize>,
    /// What the step computes, spelled out with its inputs' keys recursively: equal keys
    /// mean equal outputs on the same candles, in this plan or any other. Used to merge
    /// identical blocks and to share indicator results across the plans of a sweep.
    pub key: String,
}

impl Step {
    /// Whether the step is worth sharing between plans through a [`crate::StepCache`]:
    /// indicators, candle fields and higher-timeframe values (costly, and the same across
    /// the combinations of a sweep). Element-wise conditions and math are cheaper to
    /// recompute than to keep.
    pub fn is_shareable(&self) -> bool {
        matches!(
            self.op,
            Op::Indicator(_) | Op::Field(_) | Op::HigherTimeframe(_)
        )
    }
}

/// Where a document node's outputs live in the plan (a node upstream of a higher-timeframe
/// block lives in that context; shared sub-expressions point several nodes at one step).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeOutputs {
    pub node: String,
    pub step: usize,
    /// Output port names, in step output order.
    pub ports: Vec<&'static str>,
}

/// A compiled strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub enter_long: Vec<Slot>,
    pub exit_long: Vec<Slot>,
    pub enter_short: Vec<Slot>,
    pub exit_short: Vec<Slot>,
    pub risk: RiskRules,
    /// Bars before every action input has a value (base bars).
    pub warmup_bars: usize,
    pub nodes: Vec<NodeOutputs>,
    /// The data timeframe the plan was compiled for, when known.
    pub base_timeframe: Option<Timeframe>,
    /// Warnings found while validating (errors prevent a plan).
    pub warnings: Vec<Diagnostic>,
}
