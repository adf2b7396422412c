//! Bar durations ("1m", "4h", "1d", "1w") and their UTC bucket alignment.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Milliseconds in one minute.
pub const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// 1970-01-01 was a Thursday; weekly bars start on Monday 00:00 UTC, four days later.
const WEEK_ANCHOR_MS: i64 = 4 * DAY_MS;

/// A bar duration in whole minutes. Weekly bars are aligned to Monday 00:00 UTC,
/// every other duration to multiples of itself since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timeframe {
    minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a timeframe; use a number and a unit such as 1m, 5m, 15m, 1h, 4h, 1d or 1w"
)]
pub struct TimeframeError(pub String);

impl Timeframe {
    pub const MINUTE: Timeframe = Timeframe { minutes: 1 };
    pub const HOUR: Timeframe = Timeframe { minutes: 60 };
    pub const DAY: Timeframe = Timeframe { minutes: 1440 };
    pub const WEEK: Timeframe = Timeframe { minutes: 10080 };

    /// A timeframe of `minutes` minutes; `None` for zero.
    pub fn from_minutes(minutes: u32) -> Option<Timeframe> {
        (minutes > 0).then_some(Timeframe { minutes })
    }

    /// The timeframe whose duration is `ms` milliseconds, if it is a whole number of minutes.
    pub fn from_millis(ms: i64) -> Option<Timeframe> {
        if ms <= 0 || ms % MINUTE_MS != 0 {
            return None;
        }
        u32::try_from(ms / MINUTE_MS)
            .ok()
            .and_then(Timeframe::from_minutes)
    }

    pub fn minutes(self) -> u32 {
        self.minutes
    }

    pub fn millis(self) -> i64 {
        i64::from(self.minutes) * MINUTE_MS
    }

    /// Bars of this timeframe in a 365-day year (crypto markets trade every day).
    pub fn bars_per_year(self) -> f64 {
        365.0 * 1440.0 / f64::from(self.minutes)
    }

    /// Open time of the bucket of this timeframe that contains `ts_ms` (UTC).
    pub fn bucket_start(self, ts_ms: i64) -> i64 {
        let len = self.millis();
        let anchor = if self.minutes.is_multiple_of(10080) {
            WEEK_ANCHOR_MS
        } else {
            0
        };
        (ts_ms - anchor).div_euclid(len) * len + anchor
    }

    /// True when `self` is a whole multiple of `base` (so `base` bars aggregate into it).
    pub fn is_multiple_of(self, base: Timeframe) -> bool {
        self.minutes.is_multiple_of(base.minutes)
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        if m.is_multiple_of(10080) {
            write!(f, "{}w", m / 10080)
        } else if m.is_multiple_of(1440) {
            write!(f, "{}d", m / 1440)
        } else if m.is_multiple_of(60) {
            write!(f, "{}h", m / 60)
        } else {
            write!(f, "{m}m")
        }
    }
}

impl FromStr for Timeframe {
    type Err = TimeframeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimeframeError(s.to_string());
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let (num, unit) = t.split_at(split);
        let n: u32 = num.parse().map_err(|_| err())?;
        let per = match unit {
            "m" | "min" => 1,
            "h" => 60,
            "d" => 1440,
            "w" => 10080,
            _ => return Err(err()),
        };
        n.checked_mul(per)
            .and_then(Timeframe::from_minutes)
            .ok_or_else(err)
    }
}

impl TryFrom<String> for Timeframe {
    type Error = TimeframeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Timeframe> for String {
    fn from(t: Timeframe) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for (text, minutes) in [
            ("1m", 1),
            ("15m", 15),
            ("4h", 240),
            ("1d", 1440),
            ("1w", 10080),
        ] {
            let tf: Timeframe = text.parse().unwrap();
            assert_eq!(tf.minutes(), minutes);
            assert_eq!(tf.to_string(), text);
        }
        assert!("0m".parse::<Timeframe>().is_err());
        assert!("5x".parse::<Timeframe>().is_err());
        assert!("h".parse::<Timeframe>().is_err());
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2022-01-05 (Wednesday) 12:00 UTC -> Monday 2022-01-03 00:00 UTC.
        let wed = 1_641_384_000_000;
        assert_eq!(Timeframe::WEEK.bucket_start(wed), 1_641_168_000_000);
        // Daily buckets start at midnight UTC.
        assert_eq!(Timeframe::DAY.bucket_start(wed), 1_641_340_800_000);
    }
}
