//! Protective exits inside a bar: stop loss, take profit, trailing stop and break-even,
//! checked along the bar's assumed price path.
//!
//! The path is open → the extreme nearer to the open → the other extreme → close. The high
//! comes first when `high − open <= open − low` (ties: high first). Prices move linearly
//! between those points, so a level is hit at the first point of the path where it is reached.

use bb_domain::{ExitReason, RiskRules, Side, StopRule, TargetRule, TrailingRule};

/// How the trailing stop keeps its distance from the best price.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Trail {
    Off,
    /// Level = best × factor (factor = 1 ∓ percent/100).
    Factor(f64),
    /// Level = best − offset (offset = ±multiple × ATR of the signal bar).
    Offset(f64),
}

/// The protective levels of one open position. Levels that are not set sit at ±infinity on
/// the side where they can never be reached, so the checks need no branches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Protection {
    long: bool,
    entry: f64,
    stop_loss: f64,
    target: f64,
    trail: Trail,
    trail_level: f64,
    be_trigger: f64,
    be_level: f64,
    /// Best price seen since entry (highest for a long, lowest for a short).
    best: f64,
    /// The tightest of stop loss, break-even and trailing stop, and which one it is.
    stop: f64,
    stop_reason: ExitReason,
    active: bool,
}

/// Levels derived from a best price.
#[derive(Clone, Copy, Debug)]
struct Levels {
    trail_level: f64,
    be_level: f64,
    stop: f64,
    reason: ExitReason,
}

/// `a` is strictly better for the position than `b` (higher for a long, lower for a short).
#[inline(always)]
fn better<const LONG: bool>(a: f64, b: f64) -> bool {
    if LONG { a > b } else { a < b }
}

/// `a` is at least as good for the position as `b`.
#[inline(always)]
fn at_least<const LONG: bool>(a: f64, b: f64) -> bool {
    if LONG { a >= b } else { a <= b }
}

/// What one bar did to a position.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct BarCheck {
    /// Raw exit price (before slippage) and reason, when a level was hit.
    pub exit: Option<(f64, ExitReason)>,
    /// Both the stop and the target lay inside the bar's range; the path decided.
    pub stop_and_target: bool,
}

fn dir(side: Side) -> f64 {
    match side {
        Side::Long => 1.0,
        Side::Short => -1.0,
    }
}

impl Protection {
    /// Levels for a position of `side` filled at `entry`. `atr(period)` is the ATR of the
    /// signal bar; `None` when a rule needs an ATR that is missing or not finite (warm-up).
    pub(crate) fn new(
        rules: &RiskRules,
        side: Side,
        entry: f64,
        atr: impl Fn(usize) -> f64,
    ) -> Option<Protection> {
        let d = dir(side);
        let never_stop = -d * f64::INFINITY;
        let never_target = d * f64::INFINITY;
        let atr_distance = |period: usize, multiple: f64| {
            let a = atr(period);
            a.is_finite().then_some(multiple * a)
        };
        let stop_loss = match rules.stop_loss {
            None => never_stop,
            Some(StopRule::Percent { percent }) => entry * (1.0 - d * percent / 100.0),
            Some(StopRule::Atr { period, multiple }) => entry - d * atr_distance(period, multiple)?,
        };
        let target = match rules.take_profit {
            None => never_target,
            Some(TargetRule::Percent { percent }) => entry * (1.0 + d * percent / 100.0),
            Some(TargetRule::Atr { period, multiple }) => {
                entry + d * atr_distance(period, multiple)?
            }
            Some(TargetRule::RewardRisk { ratio }) if rules.stop_loss.is_some() => {
                entry + d * ratio * (entry - stop_loss).abs()
            }
            Some(TargetRule::RewardRisk { .. }) => never_target,
        };
        let trail = match rules.trailing_stop {
            None => Trail::Off,
            Some(TrailingRule::Percent { percent }) => Trail::Factor(1.0 - d * percent / 100.0),
            Some(TrailingRule::Atr { period, multiple }) => {
                Trail::Offset(d * atr_distance(period, multiple)?)
            }
        };
        let be_trigger = match rules.break_even_after_pct {
            None => never_target,
            Some(pct) => entry * (1.0 + d * pct / 100.0),
        };
        let mut p = Protection {
            long: side == Side::Long,
            entry,
            stop_loss,
            target,
            trail,
            trail_level: never_stop,
            be_trigger,
            be_level: never_stop,
            best: entry,
            stop: stop_loss,
            stop_reason: ExitReason::StopLoss,
            active: rules.stop_loss.is_some()
                || target != never_target
                || trail != Trail::Off
                || rules.break_even_after_pct.is_some(),
        };
        if p.long {
            p.set_best::<true>(entry);
        } else {
            p.set_best::<false>(entry);
        }
        Some(p)
    }

    /// True when any protective level is set (otherwise bars need no path walk).
    pub(crate) fn is_active(&self) -> bool {
        self.active
    }

    /// Distance from the entry fill to the stop loss, when there is one.
    pub(crate) fn stop_distance(&self) -> Option<f64> {
        self.stop_loss
            .is_finite()
            .then(|| (self.entry - self.stop_loss).abs())
    }

    /// The active (tightest) stop price, if any.
    pub(crate) fn stop(&self) -> Option<f64> {
        self.stop.is_finite().then_some(self.stop)
    }

    /// The take-profit price, if any.
    pub(crate) fn target(&self) -> Option<f64> {
        self.target.is_finite().then_some(self.target)
    }

    /// Trailing level, break-even level and tightest stop that follow from a best price.
    #[inline]
    fn levels<const L: bool>(&self, best: f64) -> Levels {
        let trail_level = match self.trail {
            Trail::Off => self.trail_level,
            Trail::Factor(f) => best * f,
            Trail::Offset(o) => best - o,
        };
        let be_level = if at_least::<L>(best, self.be_trigger) {
            self.entry
        } else {
            self.be_level
        };
        // Tightest stop; ties keep the earlier reason (stop loss, then break-even, then trail).
        let (mut stop, mut reason) = (self.stop_loss, ExitReason::StopLoss);
        if better::<L>(be_level, stop) {
            (stop, reason) = (be_level, ExitReason::BreakEven);
        }
        if better::<L>(trail_level, stop) {
            (stop, reason) = (trail_level, ExitReason::TrailingStop);
        }
        Levels {
            trail_level,
            be_level,
            stop,
            reason,
        }
    }

    #[inline]
    fn apply(&mut self, best: f64, l: Levels) {
        self.best = best;
        self.trail_level = l.trail_level;
        self.be_level = l.be_level;
        self.stop = l.stop;
        self.stop_reason = l.reason;
    }

    fn set_best<const L: bool>(&mut self, price: f64) {
        let l = self.levels::<L>(price);
        self.apply(price, l);
    }

    fn see<const L: bool>(&mut self, price: f64) {
        if better::<L>(price, self.best) {
            self.set_best::<L>(price);
        }
    }

    /// Checks one bar. Same outcome as the full path walk (`walk_path_side`), faster for the
    /// common bar that exits nothing: when the bar stays short of the target and its adverse
    /// extreme stays beyond the stop that its favourable extreme would set (the tightest the
    /// stop can get inside this bar), no level can be hit whatever the order of the path.
    #[inline]
    pub(crate) fn walk(&mut self, open: f64, high: f64, low: f64, close: f64) -> BarCheck {
        if self.long {
            self.walk_side::<true>(open, high, low, close)
        } else {
            self.walk_side::<false>(open, high, low, close)
        }
    }

    #[inline(always)]
    fn walk_side<const L: bool>(&mut self, open: f64, high: f64, low: f64, close: f64) -> BarCheck {
        let (favourable, adverse) = if L { (high, low) } else { (low, high) };
        // Branch-free on purpose: whether a bar makes a new best is a coin flip for the
        // predictor. Re-deriving the levels from an unchanged best reproduces them exactly.
        let best = if better::<L>(favourable, self.best) {
            favourable
        } else {
            self.best
        };
        let l = self.levels::<L>(best);
        if better::<L>(self.target, favourable) & better::<L>(adverse, l.stop) {
            self.apply(best, l);
            return BarCheck::default();
        }
        self.walk_path_side::<L>(open, high, low, close)
    }

    /// The full path walk alone (the reference `walk` is tested against).
    #[cfg(test)]
    pub(crate) fn walk_path(&mut self, open: f64, high: f64, low: f64, close: f64) -> BarCheck {
        if self.long {
            self.walk_path_side::<true>(open, high, low, close)
        } else {
            self.walk_path_side::<false>(open, high, low, close)
        }
    }

    /// Walks one bar's path. A bar that opens beyond the stop or the target exits at the open
    /// (gap); otherwise a level that is reached exits at the level's price.
    fn walk_path_side<const L: bool>(
        &mut self,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
    ) -> BarCheck {
        if at_least::<L>(self.stop, open) {
            return BarCheck {
                exit: Some((open, self.stop_reason)),
                stop_and_target: false,
            };
        }
        if at_least::<L>(open, self.target) {
            return BarCheck {
                exit: Some((open, ExitReason::TakeProfit)),
                stop_and_target: false,
            };
        }
        let inside = |level: f64| low <= level && level <= high;
        let stop_and_target = inside(self.stop) && inside(self.target);
        self.see::<L>(open);
        let (first, second) = if high - open <= open - low {
            (high, low)
        } else {
            (low, high)
        };
        let mut a = open;
        for b in [first, second, close] {
            if better::<L>(b, a) {
                if at_least::<L>(b, self.target) {
                    let raw = if better::<L>(self.target, a) {
                        self.target
                    } else {
                        a
                    };
                    return BarCheck {
                        exit: Some((raw, ExitReason::TakeProfit)),
                        stop_and_target,
                    };
                }
                self.see::<L>(b);
            } else if better::<L>(a, b) && at_least::<L>(self.stop, b) {
                let raw = if better::<L>(a, self.stop) {
                    self.stop
                } else {
                    a
                };
                return BarCheck {
                    exit: Some((raw, self.stop_reason)),
                    stop_and_target,
                };
            }
            a = b;
        }
        BarCheck {
            exit: None,
            stop_and_target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExitReason::*;

    fn rules(f: impl FnOnce(&mut RiskRules)) -> RiskRules {
        let mut r = RiskRules::default();
        f(&mut r);
        r
    }

    /// Walks bars (o, h, l, c) after an entry at 100 and returns (bar, raw price, reason).
    fn check(
        r: &RiskRules,
        side: Side,
        bars: &[(f64, f64, f64, f64)],
        expected: Option<(usize, f64, ExitReason)>,
    ) {
        let mut p = Protection::new(r, side, 100.0, |_| 2.0).unwrap();
        let mut got = None;
        for (k, &(o, h, l, c)) in bars.iter().enumerate() {
            if let Some((raw, reason)) = p.walk(o, h, l, c).exit {
                got = Some((k, raw, reason));
                break;
            }
        }
        match (got, expected) {
            (Some((k, raw, reason)), Some((ek, eraw, ereason))) => {
                assert_eq!((k, reason), (ek, ereason), "{r:?}");
                assert!((raw - eraw).abs() < 1e-9, "{r:?}: raw {raw} want {eraw}");
            }
            (g, e) => assert_eq!(g, e, "{r:?}"),
        }
    }

    #[test]
    fn path_table() {
        let sl5 = rules(|r| r.stop_loss = Some(StopRule::Percent { percent: 5.0 }));
        let tp10 = rules(|r| r.take_profit = Some(TargetRule::Percent { percent: 10.0 }));
        let both = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
            r.take_profit = Some(TargetRule::Percent { percent: 10.0 });
        });
        let trail5 = rules(|r| r.trailing_stop = Some(TrailingRule::Percent { percent: 5.0 }));
        let be = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
            r.break_even_after_pct = Some(3.0);
        });
        let atr = rules(|r| {
            r.stop_loss = Some(StopRule::Atr {
                period: 14,
                multiple: 1.5,
            })
        });
        let rr = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 2.0 });
            r.take_profit = Some(TargetRule::RewardRisk { ratio: 3.0 });
        });
        use Side::*;
        // Stop loss hit inside the bar at the stop price.
        check(
            &sl5,
            Long,
            &[(100.0, 101.0, 99.0, 100.0), (99.0, 100.0, 94.0, 96.0)],
            Some((1, 95.0, StopLoss)),
        );
        // Gap through the stop: fill at the open.
        check(
            &sl5,
            Long,
            &[(93.0, 94.0, 90.0, 92.0)],
            Some((0, 93.0, StopLoss)),
        );
        // Short stop above the entry.
        check(
            &sl5,
            Short,
            &[(101.0, 106.0, 100.0, 104.0)],
            Some((0, 105.0, StopLoss)),
        );
        // Take profit, and a gap through it.
        check(
            &tp10,
            Long,
            &[(105.0, 111.0, 104.0, 108.0)],
            Some((0, 110.0, TakeProfit)),
        );
        check(
            &tp10,
            Long,
            &[(112.0, 113.0, 111.0, 112.0)],
            Some((0, 112.0, TakeProfit)),
        );
        check(
            &tp10,
            Short,
            &[(95.0, 96.0, 89.0, 91.0)],
            Some((0, 90.0, TakeProfit)),
        );
        // Both inside one bar: open nearer the high -> high first -> target.
        check(
            &both,
            Long,
            &[(104.0, 111.0, 94.0, 100.0)],
            Some((0, 110.0, TakeProfit)),
        );
        // Open nearer the low -> low first -> stop.
        check(
            &both,
            Long,
            &[(97.0, 111.0, 94.0, 100.0)],
            Some((0, 95.0, StopLoss)),
        );
        // Tie (open equidistant) -> high first.
        check(
            &both,
            Long,
            &[(102.5, 111.0, 94.0, 100.0)],
            Some((0, 110.0, TakeProfit)),
        );
        // Trailing: high 110 (high first) lifts the stop to 104.5 before the low 103 is tested.
        check(
            &trail5,
            Long,
            &[(107.0, 110.0, 103.0, 105.0)],
            Some((0, 104.5, TrailingStop)),
        );
        // Low first: the low 103 is tested against the old stop 95 -> survives; then the high
        // 110 lifts the stop to 104.5, and the close 105 is above it.
        check(&trail5, Long, &[(104.0, 110.0, 103.0, 105.0)], None);
        // ... and the next bar's low reaches it.
        check(
            &trail5,
            Long,
            &[(104.0, 110.0, 103.0, 105.0), (105.0, 106.0, 104.0, 105.0)],
            Some((1, 104.5, TrailingStop)),
        );
        // Short trailing: low 90 pulls the stop to 94.5.
        check(
            &trail5,
            Short,
            &[(94.0, 96.0, 90.0, 95.0)],
            Some((0, 94.5, TrailingStop)),
        );
        // Break-even: +3% (103) reached, the stop moves to 100 and is hit later.
        check(
            &be,
            Long,
            &[(101.0, 104.0, 101.0, 103.0), (102.0, 102.5, 99.0, 100.0)],
            Some((1, 100.0, BreakEven)),
        );
        // Without reaching +3% the original stop still applies.
        check(
            &be,
            Long,
            &[(101.0, 102.9, 94.0, 96.0)],
            Some((0, 95.0, StopLoss)),
        );
        // ATR stop: 100 - 1.5 * 2 = 97.
        check(
            &atr,
            Long,
            &[(99.0, 99.5, 96.0, 98.0)],
            Some((0, 97.0, StopLoss)),
        );
        // Reward/risk 3 on a 2% stop: target 106.
        check(
            &rr,
            Long,
            &[(101.0, 107.0, 100.5, 106.5)],
            Some((0, 106.0, TakeProfit)),
        );
    }

    #[test]
    fn tightest_stop_wins() {
        let r = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
            r.trailing_stop = Some(TrailingRule::Percent { percent: 2.0 });
        });
        // Trailing starts at 98, tighter than the 95 stop loss.
        check(
            &r,
            Side::Long,
            &[(99.5, 99.6, 97.0, 98.0)],
            Some((0, 98.0, TrailingStop)),
        );
        let r = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 2.0 });
            r.trailing_stop = Some(TrailingRule::Percent { percent: 5.0 });
        });
        check(
            &r,
            Side::Long,
            &[(99.5, 99.6, 97.0, 98.0)],
            Some((0, 98.0, StopLoss)),
        );
    }

    #[test]
    fn missing_atr_refuses_the_entry() {
        let r = rules(|r| {
            r.stop_loss = Some(StopRule::Atr {
                period: 14,
                multiple: 1.0,
            })
        });
        assert!(Protection::new(&r, Side::Long, 100.0, |_| f64::NAN).is_none());
        let r = rules(|r| {
            r.trailing_stop = Some(TrailingRule::Atr {
                period: 14,
                multiple: 1.0,
            })
        });
        assert!(Protection::new(&r, Side::Long, 100.0, |_| f64::NAN).is_none());
        assert!(Protection::new(&RiskRules::default(), Side::Long, 100.0, |_| f64::NAN).is_some());
    }

    #[test]
    fn counts_bars_where_stop_and_target_are_both_inside() {
        let r = rules(|r| {
            r.stop_loss = Some(StopRule::Percent { percent: 5.0 });
            r.take_profit = Some(TargetRule::Percent { percent: 10.0 });
        });
        let mut p = Protection::new(&r, Side::Long, 100.0, |_| 1.0).unwrap();
        assert!(p.walk(104.0, 111.0, 94.0, 100.0).stop_and_target);
        let mut p = Protection::new(&r, Side::Long, 100.0, |_| 1.0).unwrap();
        assert!(!p.walk(104.0, 111.0, 96.0, 100.0).stop_and_target);
    }

    fn any_rules() -> impl proptest::strategy::Strategy<Value = RiskRules> {
        use proptest::prelude::*;
        (
            prop::option::of(0.5..15.0f64),
            prop::option::of(0.5..25.0f64),
            prop::option::of(0.5..15.0f64),
            prop::option::of(0.0..8.0f64),
            any::<bool>(),
        )
            .prop_map(|(sl, tp, trail, be, atr_trail)| RiskRules {
                stop_loss: sl.map(|percent| StopRule::Percent { percent }),
                take_profit: tp.map(|percent| TargetRule::Percent { percent }),
                trailing_stop: trail.map(|p| {
                    if atr_trail {
                        TrailingRule::Atr {
                            period: 3,
                            multiple: p / 2.0,
                        }
                    } else {
                        TrailingRule::Percent { percent: p }
                    }
                }),
                break_even_after_pct: be,
                ..RiskRules::default()
            })
    }

    proptest::proptest! {
        /// The quick no-exit check in `walk` agrees with the full path walk, state included.
        #[test]
        fn quick_check_matches_full_walk(
            rules in any_rules(),
            short in proptest::bool::ANY,
            bars in proptest::collection::vec((80.0..125.0f64, 80.0..125.0f64, 0.0..1.0f64, 0.0..1.0f64), 1..40),
        ) {
            let side = if short { Side::Short } else { Side::Long };
            let mut quick = Protection::new(&rules, side, 100.0, |_| 2.0).unwrap();
            let mut full = quick.clone();
            for (o, c, u, v) in bars {
                let (h, l) = (o.max(c) + u * 5.0, o.min(c) - v * 5.0);
                let a = quick.walk(o, h, l, c);
                let b = full.walk_path(o, h, l, c);
                proptest::prop_assert_eq!(a, b);
                proptest::prop_assert_eq!(&quick, &full);
                if a.exit.is_some() {
                    break;
                }
            }
        }
    }
}
