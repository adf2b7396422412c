//! Limits: how big a strategy graph may be (per plan), and how much memory evaluating a plan
//! over some bars may take.
//!
//! Graph limits are checked by [`crate::validate_with`] (a graph over them gets one clear
//! diagnostic naming the limit); the memory budget by [`crate::compile`] when it knows the
//! number of bars, and by [`crate::Plan::evaluate`] in any case, before anything is
//! allocated.

use crate::plan::Plan;

/// How big a strategy graph may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Blocks in the document.
    pub max_nodes: usize,
    /// Connections in the document.
    pub max_edges: usize,
    /// Blocks on the longest chain (a price feeding one SMA feeding a condition is 3).
    pub max_depth: usize,
}

impl Limits {
    /// The free plan: far more than any strategy built by hand on the canvas needs.
    pub const FREE: Limits = Limits {
        max_nodes: 300,
        max_edges: 900,
        max_depth: 200,
    };
    /// Premium and educator plans, and the default of [`crate::validate`] (no plan allows
    /// more). A block has at most three inputs, so three connections per block.
    pub const PREMIUM: Limits = Limits {
        max_nodes: 2_000,
        max_edges: 6_000,
        max_depth: 1_000,
    };
    /// No limit at all; for tests of the algorithms on huge graphs.
    pub const UNLIMITED: Limits = Limits {
        max_nodes: usize::MAX,
        max_edges: usize::MAX,
        max_depth: usize::MAX,
    };

    /// The limits of a plan by its code (`free`, `premium`, `educator`). The one place
    /// the per-plan graph limits live; an unknown plan gets the free plan's.
    pub fn for_plan(plan: &str) -> Limits {
        match plan {
            "premium" | "educator" => Limits::PREMIUM,
            _ => Limits::FREE,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::PREMIUM
    }
}

/// The most memory evaluating one plan over its bars may take: live step columns plus the
/// candles and temporaries (see [`Plan::evaluation_bytes`]). 512 MiB is 64 live columns
/// of 1,000,000 bars.
pub const EVALUATION_BUDGET_BYTES: usize = 512 << 20;

/// Columns counted on top of the live step columns: the candles themselves (time, open,
/// high, low, close, volume), the four signal columns (one byte a bar each, counted as a
/// half column) and the scratch columns of the widest indicator (TEMA, MACD: about three).
pub(crate) const OVERHEAD_COLUMNS: usize = 10;

/// What an evaluation keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Only what the signals need: steps no action depends on are skipped, and a step's
    /// outputs are freed after their last reader (what a backtest or a sweep needs).
    Signals,
    /// Every step's outputs, to the end (what the inspector needs).
    All,
}

impl Plan {
    /// Which steps the four actions depend on.
    pub fn needed_steps(&self) -> Vec<bool> {
        let mut needed = vec![false; self.steps.len()];
        let mut stack: Vec<usize> = self.action_slots().map(|s| s.step).collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut needed[i], true) {
                stack.extend(self.steps[i].inputs.iter().map(|s| s.step));
            }
        }
        needed
    }

    /// For each step, the index of the last step that reads it; `Some(steps.len())` when an
    /// action reads it (kept to the end), `None` when nothing does. Steps are in
    /// topological order, so every reader comes after what it reads.
    pub fn last_uses(&self) -> Vec<Option<usize>> {
        let mut last = vec![None; self.steps.len()];
        for (i, step) in self.steps.iter().enumerate() {
            for input in &step.inputs {
                last[input.step] = Some(i);
            }
        }
        for slot in self.action_slots() {
            last[slot.step] = Some(self.steps.len());
        }
        last
    }

    fn action_slots(&self) -> impl Iterator<Item = &crate::plan::Slot> {
        self.enter_long
            .iter()
            .chain(&self.exit_long)
            .chain(&self.enter_short)
            .chain(&self.exit_short)
    }

    /// The most step output columns alive at once while evaluating with `keep`.
    pub fn peak_columns(&self, keep: Keep) -> usize {
        match keep {
            Keep::All => self.steps.iter().map(|s| s.outputs).sum(),
            Keep::Signals => {
                let needed = self.needed_steps();
                let last = self.last_uses();
                // Columns to free after each step.
                let mut frees = vec![0usize; self.steps.len()];
                for (i, step) in self.steps.iter().enumerate() {
                    if let (true, Some(l)) = (needed[i], last[i])
                        && l < self.steps.len()
                    {
                        frees[l] += step.outputs;
                    }
                }
                let (mut live, mut peak) = (0usize, 0usize);
                for (i, step) in self.steps.iter().enumerate() {
                    if !needed[i] {
                        continue;
                    }
                    live += step.outputs;
                    peak = peak.max(live);
                    live -= frees[i];
                }
                peak
            }
        }
    }

    /// An upper bound on the bytes evaluating this plan over `bars` bars takes:
    /// `bars × 8 × (peak live columns + overhead columns + 6 per higher timeframe)`.
    pub fn evaluation_bytes(&self, bars: usize, keep: Keep) -> usize {
        let mut contexts: Vec<crate::plan::Context> = Vec::new();
        for step in &self.steps {
            if !contexts.contains(&step.context) {
                contexts.push(step.context);
            }
        }
        let columns = self
            .peak_columns(keep)
            .saturating_add(OVERHEAD_COLUMNS)
            .saturating_add(6 * contexts.len().saturating_sub(1));
        bars.saturating_mul(8).saturating_mul(columns)
    }

    /// The sentence refusing an evaluation over the budget, or `None` when it fits.
    pub fn check_budget(&self, bars: usize, keep: Keep) -> Option<String> {
        let bytes = self.evaluation_bytes(bars, keep);
        if bytes <= EVALUATION_BUDGET_BYTES {
            return None;
        }
        let what = match keep {
            Keep::Signals => format!(
                "Running this strategy on {} bars needs about {} MiB of memory ({} block outputs at once); at most {} MiB is allowed. Use fewer bars or fewer blocks side by side.",
                group(bars),
                group(bytes >> 20),
                group(self.peak_columns(keep)),
                EVALUATION_BUDGET_BYTES >> 20
            ),
            Keep::All => format!(
                "Showing all {} block outputs over {} bars needs about {} MiB of memory; at most {} MiB is allowed. Inspect fewer bars (a shorter date range).",
                group(self.peak_columns(keep)),
                group(bars),
                group(bytes >> 20),
                EVALUATION_BUDGET_BYTES >> 20
            ),
        };
        Some(what)
    }
}

/// `3000` as `3,000`.
pub(crate) fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(3000), "3,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn plans_have_their_limits() {
        assert_eq!(Limits::for_plan("free"), Limits::FREE);
        assert_eq!(Limits::for_plan("premium"), Limits::PREMIUM);
        assert_eq!(Limits::for_plan("educator"), Limits::PREMIUM);
        assert_eq!(Limits::for_plan("unknown"), Limits::FREE);
    }
}
