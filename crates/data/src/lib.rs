//! Reading candles from files (the outer IO ring) and judging their quality.
//!
//! Formats, recognised from the content (never the file name): CSV with a header (Yahoo
//! exports included), CSV without a header (Binance public data dumps), ccxt-style JSON
//! arrays, and Databento DBN OHLCV files (feature `databento`); each may be gzip-compressed
//! (and zstd-compressed with the `databento` feature). Reading is all-or-nothing: the first
//! bad row fails the whole file with its line number and the reason. Exact duplicate rows
//! are dropped and reported; conflicting duplicates and unsorted rows are errors.
//!
//! [`assess`] turns candles into a [`QualityReport`] (gaps, bad bars, zero-volume runs,
//! outliers); [`apply_gap_policy`] forward-fills missing bars for a backtest when asked.
//!
//! Architecture Invariant: the engine crates never depend on this crate; it hands them
//! [`bb_domain::Candles`]. Everything but the `read_*` functions is pure.

mod binance;
mod csv_format;
#[cfg(feature = "databento")]
mod dbn_format;
mod error;
mod fill;
mod format;
mod json_format;
mod quality;
mod rows;
mod time;
mod trades_csv;

pub use error::DataError;
pub use fill::{Filled, GapPolicy, apply_gap_policy, forward_fill};
pub use format::{
    Cancel, Compression, DEFAULT_MAX_DECOMPRESSED, Format, sniff_compression, sniff_format,
};
pub use quality::{
    BarProblem, BarRun, FileNotes, GapRange, Listed, MAX_LISTED, PriceOutlier, QualityReport,
    Thresholds, VolumeOutlier, assess, assess_with,
};
pub use rows::DroppedDuplicate;
pub use time::{TimestampUnit, format_utc, parse_timestamp};
pub use trades_csv::write_trades_csv;

use bb_domain::Candles;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How to read a file; every field is optional (detected when `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The unit of numeric timestamps (detected from their magnitude otherwise).
    pub unit: Option<TimestampUnit>,
    /// The format (detected from the content otherwise).
    pub format: Option<Format>,
    /// DBN only: the instrument to take (raw symbol or instrument id) when a file holds
    /// several.
    pub instrument: Option<String>,
    /// The most bytes a compressed file may expand to; [`DEFAULT_MAX_DECOMPRESSED`] when
    /// `None`. Beyond it the read fails with [`DataError::TooLarge`].
    pub max_decompressed: Option<u64>,
    /// Stops the read (with [`DataError::Cancelled`]) when set.
    pub cancel: Option<Cancel>,
}

/// Candles read from a file, and what the reader noticed.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub candles: Candles,
    pub notes: ImportNotes,
}

/// What the reader noticed about a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportNotes {
    pub format: Format,
    pub compression: Compression,
    /// Data rows read (dropped duplicates included).
    pub rows_read: usize,
    pub duplicates_dropped: Vec<DroppedDuplicate>,
    /// The number of the last line when it has no line terminator (text formats only).
    pub unterminated_last_line: Option<usize>,
    /// The instrument taken (DBN).
    pub instrument: Option<String>,
}

/// Reads a candle file (see the crate documentation for the formats).
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<Import, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_bytes(&bytes, options)
}

/// Reads candles from the bytes of a file (see [`read_file`]).
pub fn parse_bytes(bytes: &[u8], options: &ReadOptions) -> Result<Import, DataError> {
    let compression = sniff_compression(bytes);
    let limit = options.max_decompressed.unwrap_or(DEFAULT_MAX_DECOMPRESSED);
    let inflated = format::decompress(bytes, compression, limit, options.cancel.as_ref())?;
    if options.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
        return Err(DataError::Cancelled);
    }
    let bytes = inflated.as_deref().unwrap_or(bytes);
    if sniff_compression(bytes) != Compression::None {
        return Err(DataError::Format(
            "the file is compressed twice; decompress it once first".into(),
        ));
    }
    let sniffed = sniff_format(bytes);
    let format = options.format.unwrap_or(sniffed);
    if format == Format::Dbn || sniffed == Format::Dbn {
        if format != sniffed {
            return Err(DataError::Format(format!(
                "the file is {sniffed}, not {format} as asked"
            )));
        }
        return read_dbn(bytes, compression, options);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        DataError::row(line, "the file is not UTF-8 text")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (rows, format) = match format {
        Format::Csv | Format::YahooCsv => csv_format::parse(text, options.unit)?,
        Format::BinanceKlines => (binance::parse(text, options.unit)?, Format::BinanceKlines),
        Format::CcxtJson => (json_format::parse(text)?, Format::CcxtJson),
        Format::Dbn => unreachable!("DBN is read above"),
    };
    let unterminated_last_line =
        (format != Format::CcxtJson && !text.is_empty() && !text.ends_with('\n'))
            .then(|| text.lines().count());
    Ok(Import {
        candles: rows.candles,
        notes: ImportNotes {
            format,
            compression,
            rows_read: rows.rows_read,
            duplicates_dropped: rows.duplicates,
            unterminated_last_line,
            instrument: None,
        },
    })
}

#[cfg(feature = "databento")]
fn read_dbn(
    bytes: &[u8],
    compression: Compression,
    options: &ReadOptions,
) -> Result<Import, DataError> {
    let (rows, instrument) = dbn_format::parse(bytes, options.instrument.as_deref())?;
    Ok(Import {
        candles: rows.candles,
        notes: ImportNotes {
            format: Format::Dbn,
            compression,
            rows_read: rows.rows_read,
            duplicates_dropped: rows.duplicates,
            unterminated_last_line: None,
            instrument: Some(instrument),
        },
    })
}

#[cfg(not(feature = "databento"))]
fn read_dbn(
    _bytes: &[u8],
    _compression: Compression,
    _options: &ReadOptions,
) -> Result<Import, DataError> {
    Err(DataError::Format(
        "the file is Databento DBN; this build reads DBN only with the `databento` feature".into(),
    ))
}

/// Reads a candle file with everything detected, and returns the candles only.
pub fn read_candles(path: &Path) -> Result<Candles, DataError> {
    read_file(path, &ReadOptions::default()).map(|i| i.candles)
}

/// Parses candles from text (any text format); `unit` overrides timestamp detection.
pub fn parse_candles(text: &str, unit: Option<TimestampUnit>) -> Result<Candles, DataError> {
    let options = ReadOptions {
        unit,
        ..ReadOptions::default()
    };
    parse_bytes(text.as_bytes(), &options).map(|i| i.candles)
}
