//! Screens written as block graphs: a strategy's plan streamed per symbol over closed
//! one-minute bars (the same `PlanStream` paper trading runs, so a screen sees only closed
//! bars and never the future). The screen fires on a bar where the plan's entry condition
//! holds.

use std::collections::HashSet;

use bb_domain::Timeframe;
use bb_strategy::{BarOutput, Plan, PlanStream};
use serde::{Deserialize, Serialize};

/// Which of the plan's signals is the screen's condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    EnterLong,
    EnterShort,
    /// Either entry.
    Either,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::EnterLong => "enter_long",
            Signal::EnterShort => "enter_short",
            Signal::Either => "either",
        }
    }

    pub fn parse(text: &str) -> Option<Signal> {
        [Signal::EnterLong, Signal::EnterShort, Signal::Either]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A block screen, ready to stream.
#[derive(Clone, Debug)]
pub struct BlockScreen {
    /// The screen's id (alerts name it).
    pub id: String,
    /// The strategy version it was built from.
    pub version: i64,
    pub signal: Signal,
    /// The symbols it runs on (upper-case); empty: every symbol.
    pub symbols: HashSet<String>,
    template: PlanStream,
}

impl BlockScreen {
    /// A screen from a compiled plan, streamed on one-minute bars.
    pub fn new(
        id: String,
        version: i64,
        signal: Signal,
        symbols: HashSet<String>,
        plan: &Plan,
    ) -> Result<BlockScreen, String> {
        let template = plan
            .stream(Timeframe::MINUTE)
            .map_err(|e| format!("the strategy cannot run as a screen on one-minute bars: {e}"))?;
        Ok(BlockScreen {
            id,
            version,
            signal,
            symbols,
            template,
        })
    }

    /// A fresh stream for one more symbol.
    pub(crate) fn stream(&self) -> PlanStream {
        self.template.clone()
    }

    pub(crate) fn applies(&self, symbol: &str) -> bool {
        self.symbols.is_empty() || self.symbols.contains(symbol)
    }

    pub(crate) fn fires(&self, output: &BarOutput) -> bool {
        match self.signal {
            Signal::EnterLong => output.enter_long,
            Signal::EnterShort => output.enter_short,
            Signal::Either => output.enter_long || output.enter_short,
        }
    }
}
