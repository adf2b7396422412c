//! Timestamps: ISO-8601 dates and times, or numbers in seconds, milliseconds or
//! microseconds, all UTC. The calendar itself is `bb_domain::calendar`.

use std::str::FromStr;

pub use bb_domain::calendar::format_utc;

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
    bb_domain::calendar::parse_iso(t).ok_or_else(|| format!("\"{t}\" is not a timestamp (expected e.g. 2022-01-31 23:59:00, 2022-01-31T23:59:00Z or a Unix time)"))
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
