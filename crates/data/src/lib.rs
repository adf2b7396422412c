//! Reading candles from files (the outer IO ring): CSV with a header and ccxt-style JSON
//! arrays `[ms, open, high, low, close, volume]`. Every error names the line and the field.
//!
//! Architecture Invariant: the engine crates never depend on this crate; it hands them
//! [`bb_domain::Candles`].

mod csv_format;
mod error;
mod json_format;
mod time;

pub use error::DataError;
pub use time::{TimestampUnit, format_utc, parse_timestamp};

use bb_domain::Candles;
use std::path::Path;

/// Reads a candle file, choosing the format from its content: a JSON array or a CSV with a
/// header.
pub fn read_candles(path: &Path) -> Result<Candles, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_candles(&text, None)
}

/// Parses candles from text (see [`read_candles`]); `unit` overrides timestamp detection.
pub fn parse_candles(text: &str, unit: Option<TimestampUnit>) -> Result<Candles, DataError> {
    if text.trim_start().starts_with('[') {
        json_format::parse(text)
    } else {
        csv_format::parse(text, unit)
    }
}

/// Builds candles from rows checked one by one, reporting the line of any out-of-order or
/// duplicate timestamp.
pub(crate) fn assemble(rows: Vec<(usize, [f64; 5], i64)>) -> Result<Candles, DataError> {
    let mut c = Candles::default();
    let mut prev: Option<(usize, i64)> = None;
    for (line, [o, h, l, cl, v], ts) in rows {
        if let Some((prev_line, prev_ts)) = prev {
            if ts == prev_ts {
                return Err(DataError::Row {
                    line,
                    message: format!(
                        "duplicate timestamp {} (also on line {prev_line})",
                        format_utc(ts)
                    ),
                });
            }
            if ts < prev_ts {
                return Err(DataError::Row {
                    line,
                    message: format!(
                        "timestamp {} is earlier than the previous row's {} (line {prev_line}); rows must be sorted by time",
                        format_utc(ts),
                        format_utc(prev_ts)
                    ),
                });
            }
        }
        prev = Some((line, ts));
        c.push(ts, o, h, l, cl, v);
    }
    if c.is_empty() {
        return Err(DataError::Empty);
    }
    Ok(c)
}
