//! Shared plumbing: the leading-NaN rule and the bridge to the `ta-lib` crate.

use std::sync::LazyLock;

use ta_lib::{Core, OutRange, RetCode};

/// One `Core` with default settings (no unstable period), shared read-only.
pub(crate) static CORE: LazyLock<Core> = LazyLock::new(Core::new);

/// Converts a period to TA-Lib's `i32`. Periods that do not fit become `i32::MAX`,
/// which every TA-Lib function rejects as a bad parameter (so the result is all NaN).
pub(crate) fn ta_period(p: usize) -> i32 {
    i32::try_from(p).unwrap_or(i32::MAX)
}

/// Passes a real parameter to TA-Lib, except TA-Lib's "use the default" sentinel,
/// which becomes NaN so that TA-Lib rejects it instead of silently substituting.
pub(crate) fn real(x: f64) -> f64 {
    if x == Core::REAL_DEFAULT { f64::NAN } else { x }
}

/// Maps a TA-Lib lookback result to ours: `usize::MAX` for invalid parameters
/// (such a function never produces a value).
pub(crate) fn lookback(f: impl FnOnce(&Core) -> Result<usize, RetCode>) -> usize {
    f(&CORE).unwrap_or(usize::MAX)
}

/// Index of the first bar at which none of `inputs` is NaN, within the first `len`
/// bars; `len` if there is none.
pub(crate) fn first_valid(inputs: &[&[f64]], len: usize) -> usize {
    (0..len)
        .find(|&i| inputs.iter().all(|x| !x[i].is_nan()))
        .unwrap_or(len)
}

/// Length of the computable range: the shortest input (outputs keep the length of
/// the first input; bars past the shortest input are NaN).
fn common_len(inputs: &[&[f64]]) -> usize {
    inputs.iter().map(|x| x.len()).min().unwrap_or(0)
}

/// Runs a TA-Lib batch call under the leading-NaN rule.
///
/// The call receives the inputs with their leading NaN run removed (all of equal
/// length `m`), the end index `m - 1`, and `K` output buffers of length `m`. Its
/// results are placed at the right indices of `K` vectors as long as the first
/// input, everything else being NaN. A TA-Lib error gives all NaN.
pub(crate) fn run<const I: usize, const K: usize>(
    inputs: [&[f64]; I],
    call: impl FnOnce(&Core, [&[f64]; I], usize, [&mut [f64]; K]) -> Result<OutRange, RetCode>,
) -> [Vec<f64>; K] {
    let n = inputs.first().map_or(0, |x| x.len());
    let m = common_len(&inputs);
    let mut out: [Vec<f64>; K] = std::array::from_fn(|_| vec![f64::NAN; n]);
    let s = first_valid(&inputs, m);
    if s >= m {
        return out;
    }
    let trimmed = inputs.map(|x| &x[s..m]);
    let bufs = out.each_mut().map(|v| &mut v[s..m]);
    let range = call(&CORE, trimmed, m - s - 1, bufs);
    for v in &mut out {
        let buf = &mut v[s..m];
        match range {
            Ok(OutRange { beg_idx, count }) if count > 0 && beg_idx + count <= buf.len() => {
                buf.copy_within(0..count, beg_idx);
                buf[..beg_idx].fill(f64::NAN);
                buf[beg_idx + count..].fill(f64::NAN);
            }
            _ => buf.fill(f64::NAN),
        }
    }
    out
}

/// Runs an own, bar-by-bar indicator under the leading-NaN rule: `compute` gets the
/// inputs with their leading NaN run removed and fills `K` outputs of the same
/// length (pre-filled with NaN).
pub(crate) fn run_own<const I: usize, const K: usize>(
    inputs: [&[f64]; I],
    compute: impl FnOnce([&[f64]; I], [&mut [f64]; K]),
) -> [Vec<f64>; K] {
    let n = inputs.first().map_or(0, |x| x.len());
    let m = common_len(&inputs);
    let mut out: [Vec<f64>; K] = std::array::from_fn(|_| vec![f64::NAN; n]);
    let s = first_valid(&inputs, m);
    if s < m {
        compute(
            inputs.map(|x| &x[s..m]),
            out.each_mut().map(|v| &mut v[s..m]),
        );
    }
    out
}
