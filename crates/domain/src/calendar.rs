//! Dates and times, once for the whole workspace: UTC only, Unix milliseconds in, the
//! proleptic Gregorian calendar (Howard Hinnant's `days_from_civil` / `civil_from_days`),
//! ISO-8601 text out and in. Candles, metrics, the API and the CLI all use these; no other
//! crate does calendar arithmetic.
//!
//! Why not a time crate: every time here is a UTC instant in milliseconds, and what is
//! needed is its calendar date, its ISO-8601 text and the parsing of a few ISO-8601 forms.
//! `jiff` (time zones, spans) and `chrono` or `time` would add a dependency to the core
//! crates, which depend on nothing but serde and thiserror, for about 80 lines that are
//! proven here against every day of ±10,000 years.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The date `(year, month 1..=12, day 1..=31)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from 1 March, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a date; `month` is 1..=12.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let mp = i64::from((month + 9) % 12); // month from March, 0..=11
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe - 719_468
}

/// The UTC year and month (1..=12) of Unix milliseconds.
pub fn year_month(ms: i64) -> (i64, u32) {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    (y, m)
}

/// Unix milliseconds of midnight UTC on the first day of a month.
pub fn month_start_ms(year: i64, month: u32) -> i64 {
    days_from_civil(year, month, 1) * DAY_MS
}

/// Midnight UTC of the day that contains `ms`.
pub fn day_start_ms(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

/// `YYYY-MM-DD` (UTC).
pub fn format_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM:SS` (UTC), as tables and CSV show times.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{} {:02}:{:02}:{:02}",
        format_date(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds).
pub fn format_rfc3339(ms: i64) -> String {
    format!("{}Z", format_utc(ms).replacen(' ', "T", 1))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC, milliseconds).
pub fn format_rfc3339_ms(ms: i64) -> String {
    format!(
        "{}.{:03}Z",
        format_utc(ms).replacen(' ', "T", 1),
        ms.rem_euclid(1000)
    )
}

/// Parses an ISO-8601 date (`2022-01-31`) or date and time (`2022-01-31T23:59:00Z`,
/// `2022-01-31 23:59:00`, fractional seconds allowed, `Z` or `+00:00` or nothing for UTC)
/// to Unix milliseconds. Years 0 to 9999.
pub fn parse_iso(t: &str) -> Option<i64> {
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t, ""),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some()
        || !(0..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * DAY_MS;
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    if !time.is_empty() {
        let mut hms = time.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next()?.parse().ok()?;
        let s: f64 = hms.next().unwrap_or("0").parse().ok()?;
        if hms.next().is_some()
            || !(0..24).contains(&h)
            || !(0..60).contains(&mi)
            || !(0.0..61.0).contains(&s)
        {
            return None;
        }
        ms += h * 3_600_000 + mi * 60_000 + (s * 1000.0).round() as i64;
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(year_month(1_672_531_199_999), (2022, 12));
        assert_eq!(year_month(1_672_531_200_000), (2023, 1));
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(format_rfc3339(1_641_038_400_000), "2022-01-01T12:00:00Z");
        assert_eq!(
            format_rfc3339_ms(1_795_143_845_678),
            "2026-11-20T03:04:05.678Z"
        );
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59");
        assert_eq!(day_start_ms(1_641_038_400_000), 1_640_995_200_000);
        assert_eq!(month_start_ms(2022, 1), 1_640_995_200_000);
    }

    #[test]
    fn every_day_of_twenty_thousand_years_round_trips() {
        let (first, last) = (
            days_from_civil(-10_000, 1, 1),
            days_from_civil(10_000, 12, 31),
        );
        let mut prev = civil_from_days(first - 1);
        for days in first..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            // the next day: the next date in the calendar
            let next_of_prev = if d == 1 {
                prev.2 >= 28 && (m == prev.1 % 12 + 1) && (y == prev.0 + i64::from(m == 1))
            } else {
                (y, m, d - 1) == prev
            };
            assert!(next_of_prev, "{prev:?} then {:?}", (y, m, d));
            prev = (y, m, d);
        }
    }

    #[test]
    fn iso_text_round_trips_and_bad_text_is_refused() {
        for ms in [0, 1_641_038_400_000, 951_782_400_000, 253_402_300_799_000] {
            assert_eq!(parse_iso(&format_utc(ms)), Some(ms));
            assert_eq!(parse_iso(&format_rfc3339(ms)), Some(ms));
        }
        assert_eq!(parse_iso("2014-09-17"), Some(1_410_912_000_000));
        assert_eq!(
            parse_iso("2022-01-01 12:00:00.000000"),
            Some(1_641_038_400_000)
        );
        for bad in [
            "2022-13-01",
            "2022-01-32",
            "yesterday",
            "2022-01-01T25:00",
            "99999-01-01",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }
}
