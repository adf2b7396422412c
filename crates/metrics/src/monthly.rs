//! **Monthly returns (%)**: the return of each UTC calendar month, for a month-by-year table.
//!
//! For each calendar month (UTC) that contains at least one bar:
//! `(equity at the close of the month's last bar / equity at the close of the previous month's
//! last bar − 1) × 100`. The first month starts from the initial capital instead. A bar
//! belongs to the month in which it opens, so a daily bar opening on 31 January counts in
//! January.
//!
//! - Compounding the monthly returns gives the total return.
//! - Months without any bar (a gap in the data) are left out; the next month with bars
//!   measures from the last equity before the gap.
//! - A month that starts from zero or negative equity (or a non-positive initial capital) has
//!   a return of `0`.
//! - No bars: no months.

use bb_domain::calendar;
use serde::{Deserialize, Serialize};

/// The return of one calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReturn {
    /// Calendar year (UTC).
    pub year: i32,
    /// 1 = January ... 12 = December.
    pub month: u32,
    /// Percent: the month's return (see the module).
    pub return_pct: f64,
}

/// The return of every UTC calendar month that has bars, oldest first; see the module
/// documentation. `ts` are bar open times in Unix milliseconds, in increasing order.
pub fn monthly_returns(ts: &[i64], equity: &[f64], initial_capital: f64) -> Vec<MonthlyReturn> {
    let mut out = Vec::new();
    let mut base = initial_capital;
    let mut last = initial_capital;
    // Current month and its bounds [start, end) in milliseconds.
    let mut current: Option<(i32, u32)> = None;
    let (mut start, mut end) = (i64::MAX, i64::MIN);
    for (&t, &e) in ts.iter().zip(equity) {
        if t < start || t >= end {
            if let Some((year, month)) = current {
                out.push(MonthlyReturn {
                    year,
                    month,
                    return_pct: growth_pct(base, last),
                });
                base = last;
            }
            let (year, month) = year_month(t);
            let (next_year, next_month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            start = calendar::month_start_ms(i64::from(year), month);
            end = calendar::month_start_ms(i64::from(next_year), next_month);
            current = Some((year, month));
        }
        last = e;
    }
    if let Some((year, month)) = current {
        out.push(MonthlyReturn {
            year,
            month,
            return_pct: growth_pct(base, last),
        });
    }
    out
}

fn growth_pct(from: f64, to: f64) -> f64 {
    if from > 0.0 {
        (to / from - 1.0) * 100.0
    } else {
        0.0
    }
}

/// UTC calendar year and month (1..=12) of a Unix millisecond timestamp.
pub fn year_month(ts_ms: i64) -> (i32, u32) {
    let (y, m) = calendar::year_month(ts_ms);
    (y as i32, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_domain::calendar::DAY_MS;
    use proptest::prelude::*;

    /// Unix ms of a UTC date at midnight.
    fn at(year: i32, month: u32, day: u32) -> i64 {
        calendar::days_from_civil(i64::from(year), month, day) * DAY_MS
    }

    #[test]
    fn known_months() {
        // 2022-01-05 12:00 UTC.
        assert_eq!(year_month(1_641_384_000_000), (2022, 1));
        // One millisecond before 2023-01-01.
        assert_eq!(year_month(1_672_531_199_999), (2022, 12));
        assert_eq!(year_month(1_672_531_200_000), (2023, 1));
    }

    #[test]
    fn cases() {
        let r = |year, month, return_pct| MonthlyReturn {
            year,
            month,
            return_pct,
        };
        // (name, timestamps, equity, expected)
        type Case = (&'static str, Vec<i64>, Vec<f64>, Vec<MonthlyReturn>);
        let cases: Vec<Case> = vec![
            ("no bars", vec![], vec![], vec![]),
            (
                "one bar",
                vec![at(2024, 3, 5)],
                vec![1100.0],
                vec![r(2024, 3, 10.0)],
            ),
            (
                "flat equity across a year end",
                vec![at(2023, 12, 30), at(2023, 12, 31), at(2024, 1, 1)],
                vec![1000.0; 3],
                vec![r(2023, 12, 0.0), r(2024, 1, 0.0)],
            ),
            (
                "all losing months",
                vec![at(2024, 1, 10), at(2024, 2, 10), at(2024, 3, 10)],
                vec![900.0, 810.0, 729.0],
                vec![r(2024, 1, -10.0), r(2024, 2, -10.0), r(2024, 3, -10.0)],
            ),
            (
                "gap month is skipped",
                vec![at(2024, 1, 31), at(2024, 3, 1), at(2024, 3, 2)],
                vec![1000.0, 1200.0, 1100.0],
                vec![r(2024, 1, 0.0), r(2024, 3, 10.0)],
            ),
            (
                "the last bar of the month decides",
                vec![
                    at(2024, 2, 1),
                    at(2024, 2, 29) + DAY_MS - 60_000,
                    at(2024, 3, 1),
                ],
                vec![2000.0, 1500.0, 3000.0],
                vec![r(2024, 2, 50.0), r(2024, 3, 100.0)],
            ),
            (
                "bust",
                vec![at(2024, 1, 1), at(2024, 2, 1)],
                vec![0.0, 0.0],
                vec![r(2024, 1, -100.0), r(2024, 2, 0.0)],
            ),
        ];
        for (name, ts, equity, want) in cases {
            let got = monthly_returns(&ts, &equity, 1000.0);
            assert_eq!(got.len(), want.len(), "{name}: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((g.year, g.month), (w.year, w.month), "{name}");
                assert!(
                    (g.return_pct - w.return_pct).abs() < 1e-9,
                    "{name}: {got:?}"
                );
            }
        }
    }

    #[test]
    fn serialises_as_plain_fields() {
        let json = serde_json::to_string(&MonthlyReturn {
            year: 2024,
            month: 2,
            return_pct: 1.5,
        });
        assert_eq!(json.unwrap(), r#"{"year":2024,"month":2,"return_pct":1.5}"#);
    }

    proptest! {
        #[test]
        fn months_compound_to_the_total(
            steps in prop::collection::vec((1i64..20 * DAY_MS, 0.5f64..1.5), 1..100),
        ) {
            let (mut ts, mut equity) = (vec![1_600_000_000_000i64], vec![1000.0]);
            for (dt, g) in steps {
                ts.push(ts.last().unwrap() + dt);
                equity.push(equity.last().unwrap() * g);
            }
            let months = monthly_returns(&ts, &equity, 1000.0);
            let growth: f64 = months.iter().map(|m| 1.0 + m.return_pct / 100.0).product();
            let want = equity.last().unwrap() / 1000.0;
            prop_assert!((growth - want).abs() < 1e-9 * want.max(1.0));
            // Strictly increasing (year, month).
            prop_assert!(months.windows(2).all(|w| (w[0].year, w[0].month) < (w[1].year, w[1].month)));
        }
    }
}
