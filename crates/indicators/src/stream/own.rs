//! Streaming forms of the indicators computed here rather than by TA-Lib (and of the two
//! TA-Lib window differences, whose batch forms read only two bars): the same arithmetic
//! in the same order as the batch functions, over windows kept as ring buffers.

use std::collections::VecDeque;

/// Momentum (`x − x[period bars ago]`) or rate of change
/// (`(x / x[period bars ago] − 1) · 100`, 0 when the older value is 0), as TA-Lib's `MOM`
/// and `ROC` compute them bar by bar.
#[derive(Clone, Debug)]
pub struct WindowDiffStream {
    period: usize,
    rate: bool,
    valid: bool,
    started: bool,
    /// The last `period + 1` values since the first valid one, oldest first.
    window: VecDeque<f64>,
}

impl WindowDiffStream {
    pub fn momentum(period: usize) -> Self {
        Self::new(period, crate::momentum_lookback(period), false)
    }

    pub fn rate_of_change(period: usize) -> Self {
        Self::new(period, crate::roc_lookback(period), true)
    }

    fn new(period: usize, lookback: usize, rate: bool) -> Self {
        WindowDiffStream {
            period,
            rate,
            valid: lookback == period,
            started: false,
            window: VecDeque::with_capacity(period.saturating_add(1).min(1 << 16)),
        }
    }

    pub fn push(&mut self, x: f64) -> f64 {
        if !self.valid {
            return f64::NAN;
        }
        if !self.started {
            if x.is_nan() {
                return f64::NAN;
            }
            self.started = true;
        }
        self.window.push_back(x);
        if self.window.len() <= self.period {
            return f64::NAN;
        }
        let old = self.window.pop_front().unwrap_or(f64::NAN);
        if !self.rate {
            x - old
        } else if old != 0.0 {
            (x / old - 1.0) * 100.0
        } else {
            0.0
        }
    }
}

/// A window sum computed as the batch `rolling_vwap` computes it: the bars are cut into
/// blocks of `period` from the first one; a window is the suffix sum of its first block
/// (summed from the block's end) plus the prefix sum of its last block, non-finite values
/// counted apart.
#[derive(Clone, Debug)]
struct BlockSums {
    period: usize,
    /// Values of the current block so far.
    block: Vec<f64>,
    prefix: f64,
    /// Suffix sums of the previous (complete) block.
    suffix: Vec<f64>,
    /// Whether each of the last `period` values was non-finite, and how many were.
    non_finite: VecDeque<bool>,
    non_finite_count: usize,
}

impl BlockSums {
    fn new(period: usize) -> Self {
        BlockSums {
            period,
            block: Vec::new(),
            prefix: 0.0,
            suffix: Vec::new(),
            non_finite: VecDeque::new(),
            non_finite_count: 0,
        }
    }

    /// Adds the value of bar `k` (counted from the first valid bar); returns the window's
    /// sum and whether every value in it is finite, once `k + 1 >= period`.
    fn push(&mut self, k: usize, x: f64) -> Option<(f64, bool)> {
        let clean = |x: f64| if x.is_finite() { x } else { 0.0 };
        if self.block.len() == self.period {
            self.suffix.clear();
            self.suffix.resize(self.period, 0.0);
            let mut acc = 0.0;
            for (s, &v) in self.suffix.iter_mut().zip(&self.block).rev() {
                acc += clean(v);
                *s = acc;
            }
            self.block.clear();
            self.prefix = 0.0;
        }
        self.prefix += clean(x);
        self.block.push(x);
        self.non_finite.push_back(!x.is_finite());
        self.non_finite_count += usize::from(!x.is_finite());
        if self.non_finite.len() > self.period {
            let gone = self.non_finite.pop_front().unwrap_or(false);
            self.non_finite_count -= usize::from(gone);
        }
        if k + 1 < self.period {
            return None;
        }
        let first = k + 1 - self.period;
        let sum = if first.is_multiple_of(self.period) {
            self.prefix
        } else {
            self.suffix[first % self.period] + self.prefix
        };
        Some((sum, self.non_finite_count == 0))
    }
}

/// The streaming form of [`crate::rolling_vwap`].
#[derive(Clone, Debug)]
pub struct RollingVwapStream {
    period: usize,
    bars: usize,
    price_volume: BlockSums,
    volume: BlockSums,
}

impl RollingVwapStream {
    pub fn new(period: usize) -> Self {
        RollingVwapStream {
            period,
            bars: 0,
            price_volume: BlockSums::new(period),
            volume: BlockSums::new(period),
        }
    }

    pub fn push(&mut self, high: f64, low: f64, close: f64, volume: f64) -> f64 {
        if self.period == 0
            || (self.bars == 0 && [high, low, close, volume].iter().any(|x| x.is_nan()))
        {
            return f64::NAN;
        }
        let k = self.bars;
        self.bars += 1;
        let pv = self
            .price_volume
            .push(k, (high + low + close) / 3.0 * volume);
        let v = self.volume.push(k, volume);
        match (pv, v) {
            (Some((pv, true)), Some((v, true))) if v != 0.0 => pv / v,
            _ => f64::NAN,
        }
    }
}

/// The rolling extreme of [`crate::donchian`]: a monotonic queue of the window's candidates.
#[derive(Clone, Debug)]
struct RollingExtreme {
    period: usize,
    upper: bool,
    candidates: VecDeque<(usize, f64)>,
    last_nan: Option<usize>,
}

impl RollingExtreme {
    fn push(&mut self, i: usize, v: f64) -> f64 {
        let supersedes = |new: f64, old: f64| if self.upper { new >= old } else { new <= old };
        if v.is_nan() {
            self.last_nan = Some(i);
        } else {
            while self
                .candidates
                .back()
                .is_some_and(|&(_, x)| supersedes(v, x))
            {
                self.candidates.pop_back();
            }
            self.candidates.push_back((i, v));
        }
        while self
            .candidates
            .front()
            .is_some_and(|&(j, _)| i - j >= self.period)
        {
            self.candidates.pop_front();
        }
        if i + 1 < self.period {
            return f64::NAN;
        }
        let nan_in_window = self.last_nan.is_some_and(|j| i - j < self.period);
        match self.candidates.front() {
            Some(&(_, x)) if !nan_in_window => x,
            _ => f64::NAN,
        }
    }
}

/// The streaming form of [`crate::donchian`]: `[upper, lower, middle]`.
#[derive(Clone, Debug)]
pub struct DonchianStream {
    bars: usize,
    upper: RollingExtreme,
    lower: RollingExtreme,
}

impl DonchianStream {
    pub fn new(period: usize) -> Self {
        let side = |upper| RollingExtreme {
            period,
            upper,
            candidates: VecDeque::new(),
            last_nan: None,
        };
        DonchianStream {
            bars: 0,
            upper: side(true),
            lower: side(false),
        }
    }

    pub fn push(&mut self, high: f64, low: f64) -> [f64; 3] {
        if self.upper.period == 0 || (self.bars == 0 && (high.is_nan() || low.is_nan())) {
            return [f64::NAN; 3];
        }
        let i = self.bars;
        self.bars += 1;
        let (u, l) = (self.upper.push(i, high), self.lower.push(i, low));
        [u, l, (u + l) / 2.0]
    }
}
