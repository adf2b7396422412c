//! The one error type of candle reading.

/// Why candles could not be read. Row errors carry the 1-based line number.
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
}
