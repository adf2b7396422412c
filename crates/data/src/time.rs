//! Timestamps: ISO-8601 dates and times, or numbers in seconds, milliseconds or
//! microseconds, all UTC; and formatting back to ISO-8601.

use std::str::FromStr;

/// The unit of numeric timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampUnit {
    Seconds,
    Milliseconds,
    Microseconds,
}

impl FromStr for TimestampUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "s" | "seconds" => Ok(TimestampUnit::Seconds),
            "ms" | "milliseconds" => Ok(TimestampUnit::Milliseconds),
            "us" | "µs" | "microseconds" => Ok(TimestampUnit::Microseconds),
            other => Err(format!(
                "unknown timestamp unit \"{other}\" (use s, ms or us)"
            )),
        }
    }
}

/// Parses a timestamp to Unix milliseconds. Numbers use `unit`, or are detected by
/// magnitude (below 1e11 seconds, below 1e14 milliseconds, else microseconds).
pub fn parse_timestamp(text: &str, unit: Option<TimestampUnit>) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>()
        && !t.contains('-')
        && n.is_finite()
    {
        let unit = unit.unwrap_or(if n.abs() < 1e11 {
            TimestampUnit::Seconds
        } else if n.abs() < 1e14 {
            TimestampUnit::Milliseconds
        } else {
            TimestampUnit::Microseconds
        });
        let ms = match unit {
            TimestampUnit::Seconds => n * 1000.0,
            TimestampUnit::Milliseconds => n,
            TimestampUnit::Microseconds => n / 1000.0,
        };
        return Ok(ms.round() as i64);
    }
    parse_iso(t).ok_or_else(|| format!("\"{t}\" is not a timestamp (expected e.g. 2022-01-31 23:59:00, 2022-01-31T23:59:00Z or a Unix time)"))
}

fn parse_iso(t: &str) -> Option<i64> {
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t, ""),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    // four-digit years only: larger ones would overflow the arithmetic below
    if parts.next().is_some()
        || !(0..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
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

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of Unix milliseconds.
pub fn format_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000) / 1000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_form() {
        let expected = 1_641_038_400_000; // 2022-01-01 12:00:00 UTC
        for text in [
            "2022-01-01 12:00:00",
            "2022-01-01T12:00:00Z",
            "2022-01-01 12:00:00.000000",
            "1641038400",
            "1641038400000",
            "1641038400000000",
        ] {
            assert_eq!(parse_timestamp(text, None), Ok(expected), "{text}");
        }
        assert_eq!(parse_timestamp("2014-09-17", None), Ok(1_410_912_000_000));
        assert_eq!(
            parse_timestamp("1641038400", Some(TimestampUnit::Milliseconds)),
            Ok(1_641_038_400)
        );
        assert!(parse_timestamp("2022-13-01", None).is_err());
        assert!(parse_timestamp("yesterday", None).is_err());
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1_641_038_400_000, 951_782_400_000 /* 2000-02-29 */] {
            assert_eq!(parse_timestamp(&format_utc(ms), None), Ok(ms));
        }
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00");
    }
}
