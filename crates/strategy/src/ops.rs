//! The element-wise and windowed operations of math, condition and higher-timeframe blocks.
//! Each reads bar `i` and earlier bars only.

use crate::plan::{Arithmetic, Comparison, Direction, Window};
use bb_indicators as ind;

pub(crate) fn arithmetic(op: Arithmetic, a: &[f64], b: &[f64]) -> Vec<f64> {
    let f = arithmetic_fn(op);
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// One bar of [`arithmetic`] (shared with the streaming evaluator).
pub(crate) fn arithmetic_fn(op: Arithmetic) -> fn(f64, f64) -> f64 {
    match op {
        Arithmetic::Add => |x, y| x + y,
        Arithmetic::Subtract => |x, y| x - y,
        Arithmetic::Multiply => |x, y| x * y,
        Arithmetic::Divide => |x, y| if y == 0.0 { f64::NAN } else { x / y },
        // NaN-propagating, unlike f64::min/max.
        Arithmetic::Min => |x, y| {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.min(y)
            }
        },
        Arithmetic::Max => |x, y| {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.max(y)
            }
        },
    }
}

pub(crate) fn window(op: Window, bars: usize, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    match op {
        Window::BarsAgo => (0..n)
            .map(|i| if i >= bars { x[i - bars] } else { f64::NAN })
            .collect(),
        Window::PercentChange => (0..n)
            .map(|i| {
                if i < bars || x[i - bars] == 0.0 {
                    f64::NAN
                } else {
                    (x[i] / x[i - bars] - 1.0) * 100.0
                }
            })
            .collect(),
        Window::Highest if bars <= 1 => x.to_vec(),
        Window::Lowest if bars <= 1 => x.to_vec(),
        Window::Highest => ind::highest(x, bars),
        Window::Lowest => ind::lowest(x, bars),
    }
}

/// Comparisons are false whenever either side has no value.
pub(crate) fn compare(op: Comparison, a: &[f64], b: &[f64]) -> Vec<bool> {
    let f = compare_fn(op);
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// One bar of [`compare`] (shared with the streaming evaluator).
pub(crate) fn compare_fn(op: Comparison) -> fn(f64, f64) -> bool {
    match op {
        Comparison::Greater => |x, y| x > y,
        Comparison::GreaterOrEqual => |x, y| x >= y,
        Comparison::Less => |x, y| x < y,
        Comparison::LessOrEqual => |x, y| x <= y,
    }
}

/// Strict crossings. `a` crosses above `b` on bar `i` when `a[i] > b[i]` and, on the most
/// recent earlier bar where the two differed, `a` was below `b`. Bars where `a == b` exactly
/// (common with two-decimal prices) belong to neither side: below → equal → above fires once,
/// on the "above" bar; above → equal → above never fires. A bar with no value on either side
/// forgets the side, so the first bars after warm-up never fire.
/// `(cross(Up, a, b), cross(Down, a, b))` in one pass over `a` and `b` (a strategy that
/// enters on one crossing and exits on the other reads both), bit for bit the same.
#[cfg(test)]
pub(crate) fn cross_both(a: &[f64], b: &[f64]) -> (Vec<bool>, Vec<bool>) {
    let (mut up, mut down) = (Vec::new(), Vec::new());
    cross_both_into(a, b, &mut up, &mut down);
    (up, down)
}

/// [`cross_both`] into `up` and `down` (cleared first), reusing their allocations.
///
/// Bars go 64 at a time: `a > b` and `a < b` become bitmasks (four compares per
/// instruction), a crossing is a bit of one mask whose bar before has the other mask's
/// bit, and only crossings (sparse) are written into the zeroed columns. A bar going
/// above or below right after a bar with neither bit (a tie, or no value) is checked
/// exactly on its own: after a tie, the most recent bar that was not a tie decides, as in
/// [`cross`].
pub(crate) fn cross_both_into(a: &[f64], b: &[f64], up: &mut Vec<bool>, down: &mut Vec<bool>) {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    for column in [&mut *up, &mut *down] {
        column.clear();
        column.resize(n, false);
    }
    // the masks of the word before: bit 63 is the bar before this word's first bar
    let (mut gt_before, mut lt_before) = (0u64, 0u64);
    for (w, (x, y)) in a.chunks(64).zip(b.chunks(64)).enumerate() {
        let (gt, lt) = order_masks(x, y);
        let previous_gt = (gt << 1) | (gt_before >> 63);
        let previous_lt = (lt << 1) | (lt_before >> 63);
        // bar 0 has no bar before it: its "before" bits are 0
        let previous_neither = !(previous_gt | previous_lt) & if w == 0 { !1 } else { !0 };
        let base = w * 64;
        set_bits(up, base, gt & previous_lt);
        set_bits(down, base, lt & previous_gt);
        for_bits(gt & previous_neither, |i| {
            let i = base + i;
            if let Some(was_below) = side_before_tie(a, b, i) {
                up[i] = was_below;
            }
        });
        for_bits(lt & previous_neither, |i| {
            let i = base + i;
            if let Some(was_above) = side_before_tie(b, a, i) {
                down[i] = was_above;
            }
        });
        (gt_before, lt_before) = (gt, lt);
    }
}

/// When bar `i - 1` is a tie (`a == b`; `None` when it is not): whether `a` was below `b`
/// on the most recent earlier bar that was not a tie (bar 0 when all were). A tie run
/// precedes one non-tie bar, so the walks are linear in all.
fn side_before_tie(a: &[f64], b: &[f64], i: usize) -> Option<bool> {
    let mut j = i - 1;
    if a[j] != b[j] {
        return None;
    }
    while j > 0 && a[j] == b[j] {
        j -= 1;
    }
    Some(a[j] < b[j])
}

/// `(x > y, x < y)` for up to 64 bars, bar `k` in bit `k`.
#[inline]
fn order_masks(x: &[f64], y: &[f64]) -> (u64, u64) {
    use wide::f64x4;
    let (mut gt, mut lt) = (0u64, 0u64);
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail = xs.remainder().len();
    for (q, (x4, y4)) in xs.zip(ys).enumerate() {
        let x4 = f64x4::from([x4[0], x4[1], x4[2], x4[3]]);
        let y4 = f64x4::from([y4[0], y4[1], y4[2], y4[3]]);
        gt |= (x4.simd_gt(y4).to_bitmask() as u64) << (4 * q);
        lt |= (x4.simd_lt(y4).to_bitmask() as u64) << (4 * q);
    }
    let start = x.len() - tail;
    for k in start..x.len() {
        gt |= u64::from(x[k] > y[k]) << k;
        lt |= u64::from(x[k] < y[k]) << k;
    }
    (gt, lt)
}

/// Sets `column[base + k]` for every bit `k` of `bits`.
#[inline]
fn set_bits(column: &mut [bool], base: usize, bits: u64) {
    for_bits(bits, |k| column[base + k] = true);
}

#[inline]
fn for_bits(mut bits: u64, mut f: impl FnMut(usize)) {
    while bits != 0 {
        f(bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

pub(crate) fn cross(dir: Direction, a: &[f64], b: &[f64]) -> Vec<bool> {
    // Crossing below is crossing above with the sides swapped.
    let (a, b) = match dir {
        Direction::Up => (a, b),
        Direction::Down => (b, a),
    };
    let n = a.len().min(b.len());
    let mut out = vec![false; n];
    if n < 2 {
        return out;
    }
    // Fast path, one vectorised pass: above now, strictly below on the bar before. NaN
    // compares false on both sides, so bars without values never fire.
    let mut after_tie = false;
    for ((((o, &x1), &y1), &x0), &y0) in out[1..]
        .iter_mut()
        .zip(&a[1..n])
        .zip(&b[1..n])
        .zip(&a[..n - 1])
        .zip(&b[..n - 1])
    {
        let above = x1 > y1;
        *o = above & (x0 < y0);
        after_tie |= above & (x0 == y0);
    }
    // Slow path, only when some bar goes above right after a tie: the most recent earlier
    // bar that was not a tie decides. A tie run precedes one non-tie bar, so this is linear.
    if after_tie {
        for i in 1..n {
            if a[i] > b[i]
                && let Some(was_below) = side_before_tie(a, b, i)
            {
                out[i] = was_below;
            }
        }
    }
    out
}

/// True when each of the last `bars` bars moved in `dir` compared with the bar before.
pub(crate) fn trend(dir: Direction, bars: usize, x: &[f64]) -> Vec<bool> {
    let mut out = vec![false; x.len()];
    let mut run = 0usize;
    for i in 1..x.len() {
        let moved = match dir {
            Direction::Up => x[i] > x[i - 1],
            Direction::Down => x[i] < x[i - 1],
        };
        run = if moved { run + 1 } else { 0 };
        out[i] = bars > 0 && run >= bars;
    }
    out
}

/// Maps values of higher-timeframe bars onto base bars: base bar `i` (closing at
/// `base_ts[i] + base_ms`) sees the value of the latest higher bar that has closed by then
/// (`higher_ts[k] + higher_ms <= base close`), and NaN before the first one closes.
pub(crate) fn last_closed(
    base_ts: &[i64],
    base_ms: i64,
    higher_ts: &[i64],
    higher_ms: i64,
    values: &[f64],
) -> Vec<f64> {
    let mut out = Vec::with_capacity(base_ts.len());
    let mut k = 0;
    for &ts in base_ts {
        let close = ts + base_ms;
        while k < higher_ts.len() && higher_ts[k] + higher_ms <= close {
            k += 1;
        }
        out.push(if k == 0 { f64::NAN } else { values[k - 1] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: f64 = f64::NAN;

    fn check_cross(a: &[f64], b: &[f64], up: &[bool], down: &[bool]) {
        assert_eq!(cross(Direction::Up, a, b), up, "up: a={a:?} b={b:?}");
        assert_eq!(cross(Direction::Down, a, b), down, "down: a={a:?} b={b:?}");
        assert_eq!(
            cross_both(a, b),
            (up.to_vec(), down.to_vec()),
            "both: a={a:?} b={b:?}"
        );
    }

    #[test]
    fn both_crossings_in_one_pass_equal_each_alone() {
        // Small integers (many ties) and some NaN, from a fixed xorshift.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..500 {
            let n = (next() % 200) as usize;
            let mut value = || match next() % 8 {
                0 => N,
                k => (k % 4) as f64,
            };
            let a: Vec<f64> = (0..n).map(|_| value()).collect();
            let b: Vec<f64> = (0..n).map(|_| value()).collect();
            assert_eq!(
                cross_both(&a, &b),
                (cross(Direction::Up, &a, &b), cross(Direction::Down, &a, &b)),
                "a={a:?} b={b:?}"
            );
        }
    }

    #[test]
    fn crosses_are_strict_and_ties_belong_to_no_side() {
        let (f, t) = (false, true);
        // below -> above
        check_cross(&[1.0, 3.0], &[2.0, 2.0], &[f, t], &[f, f]);
        // below -> tie -> above: fires once, on the bar that goes above
        check_cross(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0], &[f, f, t], &[f, f, f]);
        // above -> tie -> above: a touch is not a cross
        check_cross(&[3.0, 2.0, 3.0], &[2.0, 2.0, 2.0], &[f, f, f], &[f, f, f]);
        // above -> tie -> below
        check_cross(&[3.0, 2.0, 1.0], &[2.0, 2.0, 2.0], &[f, f, f], &[f, f, t]);
        // starting on a tie: no known side yet
        check_cross(&[2.0, 3.0], &[2.0, 2.0], &[f, f], &[f, f]);
        // warm-up NaN forgets the side
        check_cross(&[1.0, N, 3.0], &[2.0, 2.0, 2.0], &[f, f, f], &[f, f, f]);
    }

    #[test]
    fn windows_read_only_the_past() {
        let x = [1.0, 2.0, 4.0, 3.0];
        assert!(window(Window::BarsAgo, 1, &x)[0].is_nan());
        assert_eq!(window(Window::BarsAgo, 1, &x)[1..], [1.0, 2.0, 4.0]);
        assert_eq!(window(Window::PercentChange, 1, &x)[2], 100.0);
        assert_eq!(window(Window::Highest, 2, &x)[1..], [2.0, 4.0, 4.0]);
        assert_eq!(window(Window::Lowest, 1, &x), x);
    }

    #[test]
    fn division_by_zero_has_no_value() {
        let out = arithmetic(Arithmetic::Divide, &[1.0, 1.0], &[0.0, 2.0]);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 0.5);
    }

    #[test]
    fn rising_needs_consecutive_rises() {
        let x = [1.0, 2.0, 3.0, 3.0, 4.0, 5.0];
        assert_eq!(
            trend(Direction::Up, 2, &x),
            [false, false, true, false, false, true]
        );
        assert_eq!(
            trend(Direction::Down, 1, &[3.0, 2.0, 2.0]),
            [false, true, false]
        );
    }

    #[test]
    fn higher_bars_are_seen_only_after_they_close() {
        // Hourly base bars at 0h..4h; 2h bars opening at 0h and 2h.
        let h = 3_600_000;
        let base: Vec<i64> = (0..5).map(|i| i * h).collect();
        let out = last_closed(&base, h, &[0, 2 * h], 2 * h, &[10.0, 20.0]);
        // Bar 0 closes at 1h: nothing closed. Bar 1 closes at 2h: the 0h-2h bar has closed.
        assert!(out[0].is_nan());
        assert_eq!(out[1..], [10.0, 10.0, 20.0, 20.0]);
    }
}
