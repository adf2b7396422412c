//! CSV with a header row. Column names are matched case-insensitively: a time column
//! (timestamp, time, date, datetime, open_time), open, high, low, close and volume; other
//! columns (such as Yahoo's "Adj Close") are ignored.

use crate::error::DataError;
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
) -> Result<bb_domain::Candles, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DataError::Row {
            line: 1,
            message: e.to_string(),
        })?
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
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Row {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cell = |i: usize| record.get(i).unwrap_or("");
        let ts = parse_timestamp(cell(time), unit).map_err(|message| DataError::Row {
            line,
            message: format!("column {}: {message}", &headers[time]),
        })?;
        let mut values = [0.0; 5];
        for ((v, &col), field) in values.iter_mut().zip(&cols).zip(FIELDS) {
            let raw = cell(col).trim();
            *v = raw
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| DataError::Row {
                    line,
                    message: format!("{field} is \"{raw}\", not a number"),
                })?;
        }
        rows.push((line, values, ts));
    }
    crate::assemble(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yahoo_style_headers() {
        let text = "Date,Open,High,Low,Close,Adj Close,Volume\n2014-09-17,465.8,468.1,452.4,457.3,457.3,21056800\n2014-09-18,456.8,456.8,413.1,424.4,424.4,34483200\n";
        let c = parse(text, None).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.close, vec![457.3, 424.4]);
        assert_eq!(c.ts[1] - c.ts[0], 86_400_000);
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let bad = "timestamp,open,high,low,close,volume\n0,1,2,0.5,1.5,10\n60,1,2,x,1.5,10\n";
        assert_eq!(
            parse(bad, None).unwrap_err(),
            DataError::Row {
                line: 3,
                message: "low is \"x\", not a number".into()
            }
        );
        let missing = "time,open,high,low,volume\n";
        assert!(matches!(
            parse(missing, None).unwrap_err(),
            DataError::MissingColumn {
                column: "close",
                ..
            }
        ));
        let dup = "time,open,high,low,close,volume\n60,1,2,0.5,1.5,10\n60,1,2,0.5,1.5,10\n";
        assert!(matches!(
            parse(dup, None).unwrap_err(),
            DataError::Row { line: 3, .. }
        ));
        let unsorted = "time,open,high,low,close,volume\n120,1,2,0.5,1.5,10\n60,1,2,0.5,1.5,10\n";
        assert!(matches!(
            parse(unsorted, None).unwrap_err(),
            DataError::Row { line: 3, .. }
        ));
    }
}
