//! The one error type of candle reading.

/// Why candles could not be read. Row errors carry the 1-based line number (the record
/// number for formats without lines: JSON arrays, DBN records).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("the header has no {column} column (columns found: {found})")]
    MissingColumn { column: &'static str, found: String },
    #[error("line {line}: {message}")]
    Row { line: usize, message: String },
    #[error("the file contains no candles")]
    Empty,
    /// The content is not a format this build reads (or not the one asked for).
    #[error("unsupported file: {0}")]
    Format(String),
    /// A compressed file expands to more than the limit (a "zip bomb", or simply too big).
    #[error(
        "the file is {compression}-compressed and expands to more than {limit} bytes ({} MiB), \
         the most accepted; split it into smaller files",
        limit >> 20
    )]
    TooLarge {
        compression: &'static str,
        limit: u64,
    },
    /// The read was stopped on request (nobody waits for it any more).
    #[error("the read was cancelled")]
    Cancelled,
    /// A compressed file could not be decompressed.
    #[error("cannot decompress the file ({compression}): {message}")]
    Decompress {
        compression: &'static str,
        message: String,
    },
}

impl DataError {
    pub(crate) fn row(line: usize, message: impl Into<String>) -> DataError {
        DataError::Row {
            line,
            message: message.into(),
        }
    }
}
