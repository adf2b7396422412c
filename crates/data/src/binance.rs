//! CSV without a header: the Binance public data dumps (`data.binance.vision`). Twelve
//! columns: open time, open, high, low, close, volume, close time, quote volume, trades,
//! taker buy base volume, taker buy quote volume, ignore. Open time is in milliseconds, and in
//! microseconds in newer spot files; the unit is detected from the magnitude unless given.
//! Any headerless CSV whose first six columns have that meaning reads the same way.

use crate::error::DataError;
use crate::rows::{RowSink, number};
use crate::time::{TimestampUnit, parse_timestamp};

const FIELDS: [&str; 5] = ["open", "high", "low", "close", "volume"];

pub(crate) fn parse(text: &str, unit: Option<TimestampUnit>) -> Result<RowSink, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut rows = RowSink::with_capacity(text.len() / 120);
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
        if record.len() < 6 {
            return Err(DataError::row(
                line,
                format!(
                    "{} columns; a headerless candle row needs at least open time, open, high, \
                     low, close and volume",
                    record.len()
                ),
            ));
        }
        let ts = parse_timestamp(&record[0], unit)
            .map_err(|message| DataError::row(line, format!("open time: {message}")))?;
        let mut values = [0.0; 5];
        for (i, (v, field)) in values.iter_mut().zip(FIELDS).enumerate() {
            *v = number(&record[i + 1], field, line)?;
        }
        rows.push(line, ts, values)?;
    }
    rows.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "1637971200000,0.00002853,0.00002854,0.00002851,0.00002854,36304.20000000,1637971259999,1.03547608,79,19523.00000000,0.55694227,0\n\
                       1637971260000,0.00002854,0.00002860,0.00002854,0.00002859,89196.60000000,1637971319999,2.54751330,98,59004.20000000,1.68545512,0\n";

    #[test]
    fn reads_milliseconds_and_microseconds() {
        let ms = parse(TWO, None).unwrap().candles;
        assert_eq!(ms.ts, vec![1_637_971_200_000, 1_637_971_260_000]);
        assert_eq!(ms.close, vec![0.00002854, 0.00002859]);
        let micro = TWO
            .replace("1637971200000,", "1637971200000000,")
            .replace("1637971260000,", "1637971260000000,");
        assert_eq!(parse(&micro, None).unwrap().candles, ms);
        let forced = parse(TWO, Some(TimestampUnit::Microseconds))
            .unwrap()
            .candles;
        assert_eq!(forced.ts, vec![1_637_971_200, 1_637_971_260]);
    }

    #[test]
    fn short_rows_are_refused_with_their_line() {
        let err = parse("1637971200000,1,2,0.5\n", None).unwrap_err();
        assert!(matches!(err, DataError::Row { line: 1, .. }), "{err:?}");
    }
}
