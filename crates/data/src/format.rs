//! The file formats this crate reads, their compression, and how both are recognised from the
//! first bytes of a file (never from its name).

use std::fmt;
use std::io::Read;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// A candle file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// CSV with a header row naming a time column and open, high, low, close, volume.
    Csv,
    /// A Yahoo Finance export: `Date,Open,High,Low,Close,Adj Close,Volume` ("Adj Close" is
    /// ignored). Read by the CSV reader; told apart by its "Adj Close" column.
    YahooCsv,
    /// CSV without a header whose first six columns are open time, open, high, low, close and
    /// volume: the Binance public data dumps (twelve columns; open time in ms, in µs in newer
    /// files).
    BinanceKlines,
    /// A JSON array of `[open_time_ms, open, high, low, close, volume]` (ccxt `fetch_ohlcv`).
    CcxtJson,
    /// Databento DBN OHLCV records (needs the `databento` feature).
    Dbn,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::YahooCsv => "yahoo",
            Format::BinanceKlines => "binance",
            Format::CcxtJson => "ccxt",
            Format::Dbn => "dbn",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "yahoo" => Ok(Format::YahooCsv),
            "binance" | "klines" => Ok(Format::BinanceKlines),
            "ccxt" | "json" => Ok(Format::CcxtJson),
            "dbn" | "databento" => Ok(Format::Dbn),
            other => Err(format!(
                "unknown format \"{other}\" (use csv, yahoo, binance, ccxt or dbn)"
            )),
        }
    }
}

/// How a file was compressed (recognised by its magic bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const DBN_MAGIC: &[u8; 3] = b"DBN";

/// Which compression `bytes` start with.
pub fn sniff_compression(bytes: &[u8]) -> Compression {
    if bytes.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if bytes.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// The most bytes a compressed file may expand to when [`crate::ReadOptions`] does not say:
/// 256 MiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 256 << 20;

/// Decompressed bytes are read, counted and checked for cancellation this many at a time.
const CHUNK: usize = 64 << 10;

/// A flag that stops a read between two chunks (set it when nobody waits for the result any
/// more: the client went away, the request timed out). Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the reads holding this flag to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

/// Decompresses `bytes` (one level) as a stream, refusing to produce more than `limit`
/// bytes and stopping when `cancel` is set; `None` when they are not compressed.
///
/// The stream is read twice: once to count (nothing is kept, so a "zip bomb" costs time up to
/// the limit, never memory), then into a buffer of exactly the counted size (no growth by
/// doubling, whose copies would double the peak).
pub(crate) fn decompress(
    bytes: &[u8],
    compression: Compression,
    limit: u64,
    cancel: Option<&Cancel>,
) -> Result<Option<Vec<u8>>, DataError> {
    match compression {
        Compression::None => Ok(None),
        Compression::Gzip => read_capped(
            || Ok(flate2::read::MultiGzDecoder::new(bytes)),
            "gzip",
            limit,
            cancel,
        )
        .map(Some),
        Compression::Zstd => zstd_decompress(bytes, limit, cancel).map(Some),
    }
}

/// Reads the stream `open` makes to its end, at most `limit` bytes, one chunk at a time:
/// first counting, then keeping.
fn read_capped<R: Read>(
    open: impl Fn() -> Result<R, DataError>,
    compression: &'static str,
    limit: u64,
    cancel: Option<&Cancel>,
) -> Result<Vec<u8>, DataError> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut chunk = vec![0u8; CHUNK];
    let mut total = 0usize;
    each_chunk(open()?, &mut chunk, compression, cancel, |piece| {
        total = total.saturating_add(piece.len());
        if total > limit {
            return Err(DataError::TooLarge {
                compression,
                limit: limit as u64,
            });
        }
        Ok(())
    })?;
    let mut out = Vec::with_capacity(total);
    each_chunk(open()?, &mut chunk, compression, cancel, |piece| {
        if out.len() + piece.len() > total {
            // the same bytes cannot expand differently twice
            return Err(DataError::Decompress {
                compression,
                message: "the stream changed between two reads".into(),
            });
        }
        out.extend_from_slice(piece);
        Ok(())
    })?;
    Ok(out)
}

/// Feeds `reader`'s bytes to `f` one chunk at a time, checking `cancel` before each.
fn each_chunk(
    mut reader: impl Read,
    chunk: &mut [u8],
    compression: &'static str,
    cancel: Option<&Cancel>,
    mut f: impl FnMut(&[u8]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    loop {
        if cancel.is_some_and(Cancel::is_cancelled) {
            return Err(DataError::Cancelled);
        }
        match reader.read(chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => f(&chunk[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(DataError::Decompress {
                    compression,
                    message: e.to_string(),
                });
            }
        }
    }
}

#[cfg(feature = "databento")]
fn zstd_decompress(
    bytes: &[u8],
    limit: u64,
    cancel: Option<&Cancel>,
) -> Result<Vec<u8>, DataError> {
    let open = || {
        zstd::stream::read::Decoder::new(bytes).map_err(|e| DataError::Decompress {
            compression: "zstd",
            message: e.to_string(),
        })
    };
    read_capped(open, "zstd", limit, cancel)
}

#[cfg(not(feature = "databento"))]
fn zstd_decompress(
    _bytes: &[u8],
    _limit: u64,
    _cancel: Option<&Cancel>,
) -> Result<Vec<u8>, DataError> {
    Err(DataError::Format(
        "the file is zstd-compressed (e.g. a Databento .dbn.zst); this build reads zstd and \
         DBN only with the `databento` feature"
            .into(),
    ))
}

/// The format of uncompressed `bytes`, from their first bytes.
pub fn sniff_format(bytes: &[u8]) -> Format {
    if bytes.starts_with(DBN_MAGIC) {
        return Format::Dbn;
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if text.starts_with(b"[") {
        return Format::CcxtJson;
    }
    // The first cell of the first line: a timestamp means there is no header.
    let line_end = text
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(text.len());
    let first_line = String::from_utf8_lossy(&text[..line_end]);
    let first_cell = first_line.split(',').next().unwrap_or("");
    if crate::time::parse_timestamp(first_cell, None).is_ok() {
        Format::BinanceKlines
    } else {
        Format::Csv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_content() {
        for (bytes, format) in [
            (&b"timestamp,open,high,low,close,volume\n"[..], Format::Csv),
            (b"Date,Open,High,Low,Close,Adj Close,Volume\n", Format::Csv),
            (
                b"1637971200000,0.1,0.2,0.1,0.2,5,1637971259999,1,2,3,4,0\n",
                Format::BinanceKlines,
            ),
            (b"  [[1,2,3,4,5,6]]", Format::CcxtJson),
            (b"DBN\x02....", Format::Dbn),
            (b"\xef\xbb\xbftime,open\n", Format::Csv),
        ] {
            assert_eq!(
                sniff_format(bytes),
                format,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(sniff_compression(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            sniff_compression(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(sniff_compression(b"time"), Compression::None);
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        let zeros = gzip(&vec![0u8; 1 << 20]);
        let whole = decompress(&zeros, Compression::Gzip, 1 << 20, None).unwrap();
        assert_eq!(whole.map(|v| v.len()), Some(1 << 20));
        let err = decompress(&zeros, Compression::Gzip, (1 << 20) - 1, None).unwrap_err();
        assert_eq!(
            err,
            DataError::TooLarge {
                compression: "gzip",
                limit: (1 << 20) - 1
            }
        );
        let cancel = Cancel::new();
        cancel.cancel();
        let err = decompress(&zeros, Compression::Gzip, 1 << 30, Some(&cancel)).unwrap_err();
        assert_eq!(err, DataError::Cancelled);
    }

    #[test]
    fn format_names_parse() {
        assert_eq!("Binance".parse::<Format>(), Ok(Format::BinanceKlines));
        assert!("parquet".parse::<Format>().is_err());
    }
}
