//! Per-block sums of the per-bar returns: enough to compute a Sharpe ratio of any union of
//! blocks without keeping the returns (the overfitting statistics of `bb-robustness`).

/// Sums of an equity curve's per-bar returns (`equity[i] / equity[i - 1] - 1`, bar 0 has
/// none) over one block of bars, added in bar order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReturnSums {
    /// Returns in the block.
    pub n: u32,
    pub sum: f64,
    pub sum_sq: f64,
}

impl ReturnSums {
    /// The sums of `equity`'s per-bar returns cut into `blocks` consecutive blocks of equal
    /// length (block `b` holds bars `b * len / blocks .. (b + 1) * len / blocks`).
    pub fn of_equity(equity: &[f64], blocks: usize) -> Vec<ReturnSums> {
        let mut out = vec![ReturnSums::default(); blocks];
        let len = equity.len();
        for (b, sums) in out.iter_mut().enumerate() {
            let (start, end) = block_bars(b, blocks, len);
            for i in start.max(1)..end {
                sums.add(equity[i] / equity[i - 1] - 1.0);
            }
            sums.n = returns_in(start, end);
        }
        out
    }

    /// One more return.
    #[inline]
    pub(crate) fn add(&mut self, r: f64) {
        self.sum += r;
        self.sum_sq += r * r;
    }
}

/// Bars `start..end` of block `b` of `blocks` over `len` bars.
#[inline]
pub(crate) fn block_bars(b: usize, blocks: usize, len: usize) -> (usize, usize) {
    (b * len / blocks, (b + 1) * len / blocks)
}

/// Returns of bars `start..end` (bar 0 has none).
pub(crate) fn returns_in(start: usize, end: usize) -> u32 {
    end.saturating_sub(start.max(1)) as u32
}

/// [`ReturnSums`] taken bar by bar, in order, for a curve of `len` bars.
#[derive(Clone, Debug)]
pub(crate) struct BlockSums {
    sums: Vec<ReturnSums>,
    len: usize,
    /// The block of the last return added, and the bar where it ends.
    block: usize,
    end: usize,
}

impl BlockSums {
    pub(crate) fn new(blocks: usize, len: usize) -> BlockSums {
        BlockSums {
            sums: vec![ReturnSums::default(); blocks],
            len,
            block: 0,
            end: len.checked_div(blocks).unwrap_or(usize::MAX),
        }
    }

    /// The return of bar `bar` (from bar `bar − 1`), bars in increasing order.
    #[inline]
    pub(crate) fn add(&mut self, bar: usize, r: f64) {
        let blocks = self.sums.len();
        while bar >= self.end && self.block + 1 < blocks {
            self.block += 1;
            self.end = block_bars(self.block, blocks, self.len).1;
        }
        if let Some(sums) = self.sums.get_mut(self.block) {
            sums.add(r);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<ReturnSums> {
        let blocks = self.sums.len();
        for (b, sums) in self.sums.iter_mut().enumerate() {
            let (start, end) = block_bars(b, blocks, self.len);
            sums.n = returns_in(start, end);
        }
        self.sums
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_sums_cover_every_return_once() {
        let equity = [100.0, 110.0, 99.0, 99.0, 108.9, 119.79, 100.0];
        let sums = ReturnSums::of_equity(&equity, 3);
        // blocks: bars 0..2, 2..4, 4..7; bar 0 has no return
        assert_eq!(sums.iter().map(|s| s.n).collect::<Vec<_>>(), vec![1, 2, 3]);
        let returns: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let total: f64 = sums.iter().map(|s| s.sum).sum();
        assert!((total - returns.iter().sum::<f64>()).abs() < 1e-12);
        assert!((sums[0].sum - 0.1).abs() < 1e-12);
        assert!((sums[1].sum_sq - (0.01 + 0.0)).abs() < 1e-12);
        assert!(ReturnSums::of_equity(&equity, 0).is_empty());
    }

    #[test]
    fn more_blocks_than_bars() {
        let equity = [100.0, 110.0, 99.0];
        let sums = ReturnSums::of_equity(&equity, 5);
        assert_eq!(
            sums.iter().map(|s| s.n).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 1]
        );
        let mut streamed = BlockSums::new(5, 3);
        for i in 1..3 {
            streamed.add(i, equity[i] / equity[i - 1] - 1.0);
        }
        assert_eq!(streamed.finish(), sums);
    }
}
