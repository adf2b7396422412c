//! CSV with a header row. Column names are matched case-insensitively: a time column
//! (timestamp, time, date, datetime, open_time), open, high, low, close and volume; other
//! columns (such as Yahoo's "Adj Close") are ignored.

use crate::error::DataError;
use crate::format::Format;
use crate::rows::{RowSink, number};
use crate::time::{TimestampUnit, parse_timestamp};

const TIME_NAMES: &[&str] = &[
    "timestamp",
    "time",
    "date",
    "datetime",
    "open_time",
    "open time",
    "ts",
];
const FIELDS: [&str; 5] = ["open", "high", "low", "close", "volume"];

pub(crate) fn parse(
    text: &str,
    unit: Option<TimestampUnit>,
) -> Result<(RowSink, Format), DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DataError::row(1, e.to_string()))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let found = || headers.iter().collect::<Vec<_>>().join(", ");
    let time = names
        .iter()
        .position(|n| TIME_NAMES.contains(&n.as_str()))
        .ok_or_else(|| DataError::MissingColumn {
            column: "time",
            found: found(),
        })?;
    let mut cols = [0usize; 5];
    for (slot, field) in cols.iter_mut().zip(FIELDS) {
        *slot = names
            .iter()
            .position(|n| n == field)
            .ok_or_else(|| DataError::MissingColumn {
                column: field,
                found: found(),
            })?;
    }
    let format = if names.iter().any(|n| n == "adj close") {
        Format::YahooCsv
    } else {
        Format::Csv
    };
    let mut rows = RowSink::with_capacity(text.len() / 48);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err(DataError::row(line, e.to_string()));
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cell = |i: usize| record.get(i).unwrap_or("");
        let ts = parse_timestamp(cell(time), unit).map_err(|message| {
            DataError::row(line, format!("column {}: {message}", &headers[time]))
        })?;
        let mut values = [0.0; 5];
        for ((v, &col), field) in values.iter_mut().zip(&cols).zip(FIELDS) {
            *v = number(cell(col), field, line)?;
        }
        rows.push(line, ts, values)?;
    }
    Ok((rows.finish()?, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candles(text: &str) -> Result<bb_domain::Candles, DataError> {
        parse(text, None).map(|(rows, _)| rows.candles)
    }

    #[test]
    fn reads_yahoo_style_headers() {
        let text = "Date,Open,High,Low,Close,Adj Close,Volume\n2014-09-17,465.8,468.1,452.4,457.3,457.3,21056800\n2014-09-18,456.8,456.8,413.1,424.4,424.4,34483200\n";
        let (rows, format) = parse(text, None).unwrap();
        assert_eq!(format, Format::YahooCsv);
        let c = rows.candles;
        assert_eq!(c.len(), 2);
        assert_eq!(c.close, vec![457.3, 424.4]);
        assert_eq!(c.ts[1] - c.ts[0], 86_400_000);
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let bad = "timestamp,open,high,low,close,volume\n0,1,2,0.5,1.5,10\n60,1,2,x,1.5,10\n";
        assert_eq!(
            candles(bad).unwrap_err(),
            DataError::Row {
                line: 3,
                message: "low is \"x\", not a number".into()
            }
        );
        let missing = "time,open,high,low,volume\n";
        assert!(matches!(
            candles(missing).unwrap_err(),
            DataError::MissingColumn {
                column: "close",
                ..
            }
        ));
        let conflicting = "time,open,high,low,close,volume\n60,1,2,0.5,1.5,10\n60,1,2,0.5,1.6,10\n";
        assert!(matches!(
            candles(conflicting).unwrap_err(),
            DataError::Row { line: 3, .. }
        ));
        let unsorted = "time,open,high,low,close,volume\n120,1,2,0.5,1.5,10\n60,1,2,0.5,1.5,10\n";
        assert!(matches!(
            candles(unsorted).unwrap_err(),
            DataError::Row { line: 3, .. }
        ));
        let truncated = "time,open,high,low,close,volume\n60,1,2,0.5,1.5,10\n120,1,2\n";
        assert!(matches!(
            candles(truncated).unwrap_err(),
            DataError::Row { line: 3, .. }
        ));
    }

    #[test]
    fn exact_duplicate_rows_are_dropped() {
        let dup = "time,open,high,low,close,volume\n60,1,2,0.5,1.5,10\n60,1,2,0.5,1.5,10\n120,1,2,0.5,1.5,10\n";
        let (rows, _) = parse(dup, None).unwrap();
        assert_eq!(rows.candles.len(), 2);
        assert_eq!(rows.duplicates.len(), 1);
        assert_eq!(rows.duplicates[0].line, 3);
        assert_eq!(rows.duplicates[0].kept_line, 2);
    }

    #[test]
    fn unit_override_applies_to_numeric_times() {
        let text = "time,open,high,low,close,volume\n1641038400,1,2,0.5,1.5,10\n";
        let c = parse(text, Some(TimestampUnit::Milliseconds))
            .unwrap()
            .0
            .candles;
        assert_eq!(c.ts, vec![1_641_038_400]);
        let c = candles(text).unwrap();
        assert_eq!(c.ts, vec![1_641_038_400_000]);
    }
}
