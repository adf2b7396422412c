//! The mapping from a block kind and its checked parameters to a plan operation.

use crate::catalogue::BlockKind;
use crate::params::ParamValues;
use crate::plan::{Arithmetic, Comparison, Direction, Field, Indicator, Op, Window};

/// The operation a (non-higher-timeframe) block performs.
pub(crate) fn op_for(kind: BlockKind, p: &ParamValues) -> Op {
    let period = || p.usize("period");
    let bars = || p.usize("bars");
    use BlockKind as K;
    match kind {
        K::CandleField => Op::Field(match p.choice("field") {
            "open" => Field::Open,
            "high" => Field::High,
            "low" => Field::Low,
            "volume" => Field::Volume,
            "hl2" => Field::Hl2,
            "hlc3" => Field::Hlc3,
            "ohlc4" => Field::Ohlc4,
            _ => Field::Close,
        }),
        K::Constant => Op::Constant(p.f64("value")),
        K::Sma => Op::Indicator(Indicator::Sma(period())),
        K::Ema => Op::Indicator(Indicator::Ema(period())),
        K::Wma => Op::Indicator(Indicator::Wma(period())),
        K::Dema => Op::Indicator(Indicator::Dema(period())),
        K::Tema => Op::Indicator(Indicator::Tema(period())),
        K::Kama => Op::Indicator(Indicator::Kama(period())),
        K::Rsi => Op::Indicator(Indicator::Rsi(period())),
        K::Stochastic => Op::Indicator(Indicator::Stochastic {
            fastk: p.usize("fastk_period"),
            slowk: p.usize("slowk_period"),
            slowd: p.usize("slowd_period"),
        }),
        K::StochasticRsi => Op::Indicator(Indicator::StochasticRsi {
            period: period(),
            fastk: p.usize("fastk_period"),
            fastd: p.usize("fastd_period"),
        }),
        K::Macd => Op::Indicator(Indicator::Macd {
            fast: p.usize("fast"),
            slow: p.usize("slow"),
            signal: p.usize("signal"),
        }),
        K::Ppo => Op::Indicator(Indicator::Ppo {
            fast: p.usize("fast"),
            slow: p.usize("slow"),
        }),
        K::Roc => Op::Indicator(Indicator::Roc(period())),
        K::Momentum => Op::Indicator(Indicator::Momentum(period())),
        K::WilliamsR => Op::Indicator(Indicator::WilliamsR(period())),
        K::Cci => Op::Indicator(Indicator::Cci(period())),
        K::Mfi => Op::Indicator(Indicator::Mfi(period())),
        K::Adx => Op::Indicator(Indicator::Adx(period())),
        K::Aroon => Op::Indicator(Indicator::Aroon(period())),
        K::Bollinger => Op::Indicator(Indicator::Bollinger {
            period: period(),
            deviations: p.f64("deviations"),
        }),
        K::Atr => Op::Indicator(Indicator::Atr(period())),
        K::Natr => Op::Indicator(Indicator::Natr(period())),
        K::StdDev => Op::Indicator(Indicator::StdDev {
            period: period(),
            deviations: p.f64("deviations"),
        }),
        K::ParabolicSar => Op::Indicator(Indicator::ParabolicSar {
            acceleration: p.f64("acceleration"),
            maximum: p.f64("maximum"),
        }),
        K::Obv => Op::Indicator(Indicator::Obv),
        K::ChaikinAd => Op::Indicator(Indicator::ChaikinAd),
        K::Vwap => Op::Indicator(Indicator::Vwap(period())),
        K::Donchian => Op::Indicator(Indicator::Donchian(period())),
        K::LinregSlope => Op::Indicator(Indicator::LinregSlope(period())),
        K::Add => Op::Arithmetic(Arithmetic::Add),
        K::Subtract => Op::Arithmetic(Arithmetic::Subtract),
        K::Multiply => Op::Arithmetic(Arithmetic::Multiply),
        K::Divide => Op::Arithmetic(Arithmetic::Divide),
        K::Min => Op::Arithmetic(Arithmetic::Min),
        K::Max => Op::Arithmetic(Arithmetic::Max),
        K::Absolute => Op::Absolute,
        K::BarsAgo => Op::Window(Window::BarsAgo, bars()),
        K::Highest => Op::Window(Window::Highest, bars()),
        K::Lowest => Op::Window(Window::Lowest, bars()),
        K::PercentChange => Op::Window(Window::PercentChange, bars()),
        K::GreaterThan => Op::Compare(Comparison::Greater),
        K::GreaterOrEqual => Op::Compare(Comparison::GreaterOrEqual),
        K::LessThan => Op::Compare(Comparison::Less),
        K::LessOrEqual => Op::Compare(Comparison::LessOrEqual),
        K::CrossesAbove => Op::Cross(Direction::Up),
        K::CrossesBelow => Op::Cross(Direction::Down),
        K::Rising => Op::Trend(Direction::Up, bars()),
        K::Falling => Op::Trend(Direction::Down, bars()),
        K::Between => Op::Between,
        K::And => Op::And,
        K::Or => Op::Or,
        K::Not => Op::Not,
        // Higher-timeframe blocks are lowered by the compiler (they open a context);
        // actions and risk blocks are not steps.
        K::HigherTimeframe
        | K::EnterLong
        | K::ExitLong
        | K::EnterShort
        | K::ExitShort
        | K::PositionSize
        | K::StopLoss
        | K::TakeProfit
        | K::TrailingStop
        | K::TimeStop
        | K::BreakEven => Op::Constant(f64::NAN),
    }
}
