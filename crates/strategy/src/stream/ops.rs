//! The operations of math, condition and window blocks, one bar at a time, with the same
//! arithmetic as `crate::ops` on whole columns.

use std::collections::VecDeque;

use bb_indicators::stream::{Spec, TaStream, Unsupported};

use crate::plan::{Direction, Window};

/// A window over the last `bars + 1` values of the whole column (no leading-NaN skip, as
/// in batch), or TA-Lib's highest/lowest.
#[derive(Clone, Debug)]
pub(super) enum WindowState {
    Past {
        bars: usize,
        seen: usize,
        values: VecDeque<f64>,
    },
    Extreme(TaStream),
    Same,
}

impl WindowState {
    pub(super) fn new(w: Window, bars: usize) -> Self {
        match w {
            Window::Highest | Window::Lowest if bars <= 1 => WindowState::Same,
            Window::Highest => WindowState::Extreme(TaStream::new(Spec::Max(bars))),
            Window::Lowest => WindowState::Extreme(TaStream::new(Spec::Min(bars))),
            Window::BarsAgo | Window::PercentChange => WindowState::Past {
                bars,
                seen: 0,
                values: VecDeque::new(),
            },
        }
    }

    pub(super) fn push(&mut self, w: Window, x: f64) -> Result<f64, Unsupported> {
        match self {
            WindowState::Same => Ok(x),
            WindowState::Extreme(s) => s.push([x, 0.0, 0.0, 0.0]).map(|o| o[0]),
            WindowState::Past { bars, seen, values } => {
                values.push_back(x);
                *seen = seen.saturating_add(1);
                if values.len() > *bars + 1 {
                    values.pop_front();
                }
                if *seen <= *bars {
                    return Ok(f64::NAN);
                }
                let old = values.front().copied().unwrap_or(f64::NAN);
                Ok(match w {
                    Window::PercentChange if old == 0.0 => f64::NAN,
                    Window::PercentChange => (x / old - 1.0) * 100.0,
                    _ => old,
                })
            }
        }
    }
}

/// Strict crossings (see `crate::ops::cross`): fires when above now and, on the most recent
/// earlier bar that was not a tie, below. A bar without a value forgets the side.
#[derive(Clone, Debug, Default)]
pub(super) struct CrossState {
    started: bool,
    below: bool,
}

impl CrossState {
    pub(super) fn push(&mut self, dir: Direction, a: f64, b: f64) -> bool {
        let (a, b) = match dir {
            Direction::Up => (a, b),
            Direction::Down => (b, a),
        };
        let fired = self.started && a > b && self.below;
        self.started = true;
        if a != b {
            self.below = a < b;
        }
        fired
    }
}

/// Rising/falling: consecutive moves in one direction.
#[derive(Clone, Debug, Default)]
pub(super) struct TrendState {
    prev: Option<f64>,
    run: usize,
}

impl TrendState {
    pub(super) fn push(&mut self, dir: Direction, bars: usize, x: f64) -> bool {
        let Some(prev) = self.prev.replace(x) else {
            return false;
        };
        let moved = match dir {
            Direction::Up => x > prev,
            Direction::Down => x < prev,
        };
        self.run = if moved { self.run.saturating_add(1) } else { 0 };
        bars > 0 && self.run >= bars
    }
}
