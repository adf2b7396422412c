//! What a backtest does about missing bars: leave them missing, or forward-fill them.

use bb_domain::{Candles, Timeframe};
use serde::{Deserialize, Serialize};

/// The gap policy of a backtest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapPolicy {
    /// Missing bars stay missing: indicators treat the bars on either side of a gap as
    /// neighbours.
    #[default]
    Leave,
    /// Every missing bar is made up: open = high = low = close = the previous close, volume 0.
    ForwardFill,
}

impl GapPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            GapPolicy::Leave => "leave",
            GapPolicy::ForwardFill => "forward_fill",
        }
    }

    /// One sentence for a report.
    pub fn explain(self) -> &'static str {
        match self {
            GapPolicy::Leave => {
                "Missing bars are left missing: indicators treat the bars on either side of a gap as neighbours."
            }
            GapPolicy::ForwardFill => {
                "Missing bars are forward-filled: open, high, low and close repeat the previous close and volume is 0."
            }
        }
    }
}

/// Candles after a gap policy, with a flag per bar saying whether it was made up.
#[derive(Clone, Debug, PartialEq)]
pub struct Filled {
    pub candles: Candles,
    /// `filled[i]` is true when bar `i` was not in the data.
    pub filled: Vec<bool>,
    pub policy: GapPolicy,
}

impl Filled {
    /// How many bars were made up.
    pub fn filled_count(&self) -> usize {
        self.filled.iter().filter(|&&f| f).count()
    }
}

/// Applies `policy` to candles of timeframe `tf`.
pub fn apply_gap_policy(candles: &Candles, tf: Timeframe, policy: GapPolicy) -> Filled {
    match policy {
        GapPolicy::Leave => Filled {
            candles: candles.clone(),
            filled: vec![false; candles.len()],
            policy,
        },
        GapPolicy::ForwardFill => forward_fill(candles, tf),
    }
}

/// Inserts a bar at every missing step of `tf` between the first and the last bar:
/// open = high = low = close = the previous bar's close, volume 0.
pub fn forward_fill(candles: &Candles, tf: Timeframe) -> Filled {
    let step = tf.millis();
    let expected = match (candles.ts.first(), candles.ts.last()) {
        (Some(&a), Some(&b)) => usize::try_from((b - a) / step + 1).unwrap_or(0),
        _ => 0,
    };
    let mut out = Candles::default();
    let mut filled = Vec::with_capacity(expected.max(candles.len()));
    for i in 0..candles.len() {
        if i > 0 {
            let prev_close = candles.close[i - 1];
            let mut t = candles.ts[i - 1] + step;
            while t < candles.ts[i] {
                out.push(t, prev_close, prev_close, prev_close, prev_close, 0.0);
                filled.push(true);
                t += step;
            }
        }
        out.push(
            candles.ts[i],
            candles.open[i],
            candles.high[i],
            candles.low[i],
            candles.close[i],
            candles.volume[i],
        );
        filled.push(false);
    }
    Filled {
        candles: out,
        filled,
        policy: GapPolicy::ForwardFill,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_fill_repeats_the_previous_close_with_zero_volume() {
        let mut c = Candles::default();
        c.push(0, 1.0, 2.0, 0.5, 1.5, 10.0);
        c.push(180_000, 1.6, 2.0, 1.0, 1.8, 12.0);
        let f = forward_fill(&c, Timeframe::MINUTE);
        assert_eq!(f.candles.ts, vec![0, 60_000, 120_000, 180_000]);
        assert_eq!(f.filled, vec![false, true, true, false]);
        assert_eq!(f.candles.open[1], 1.5);
        assert_eq!(f.candles.high[2], 1.5);
        assert_eq!(f.candles.volume[1], 0.0);
        assert_eq!(f.candles.close[3], 1.8);
        assert_eq!(f.filled_count(), 2);
        assert_eq!(f.candles.gaps(Timeframe::MINUTE), vec![]);
        let left = apply_gap_policy(&c, Timeframe::MINUTE, GapPolicy::Leave);
        assert_eq!(left.candles, c);
        assert_eq!(left.filled_count(), 0);
    }
}
