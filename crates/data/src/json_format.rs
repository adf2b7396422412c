//! ccxt-style JSON: an array of `[open_time_ms, open, high, low, close, volume]` arrays.
//! Rows are reported by position (1-based), the "line" of a one-row-per-line file.

use serde_json::Value;

use crate::error::DataError;
use crate::rows::RowSink;

pub(crate) fn parse(text: &str) -> Result<RowSink, DataError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| DataError::row(e.line(), e.to_string()))?;
    let Value::Array(rows) = value else {
        return Err(DataError::row(1, "expected a JSON array of candles"));
    };
    let mut out = RowSink::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        let fail = |message: String| DataError::row(line, format!("candle {line}: {message}"));
        let Some(cells) = row.as_array().filter(|c| c.len() >= 6) else {
            return Err(fail(
                "expected [time_ms, open, high, low, close, volume]".into(),
            ));
        };
        let num = |k: usize, name: &str| {
            cells[k]
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| fail(format!("{name} is {}, not a number", cells[k])))
        };
        let ts = cells[0]
            .as_i64()
            .or_else(|| {
                cells[0]
                    .as_f64()
                    .filter(|x| x.is_finite())
                    .map(|x| x as i64)
            })
            .ok_or_else(|| fail(format!("time is {}, not a number", cells[0])))?;
        let values = [
            num(1, "open")?,
            num(2, "high")?,
            num(3, "low")?,
            num(4, "close")?,
            num(5, "volume")?,
        ];
        out.push(line, ts, values)?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ccxt_arrays() {
        let c = parse("[[1515542400000, 1.0, 2.0, 0.5, 1.5, 10.0], [1515542700000, 1.5, 2.5, 1.0, 2.0, 11.0]]").unwrap().candles;
        assert_eq!(c.ts, vec![1_515_542_400_000, 1_515_542_700_000]);
        assert_eq!(c.volume, vec![10.0, 11.0]);
    }

    #[test]
    fn names_the_bad_candle() {
        let err =
            parse("[[1, 1.0, 2.0, 0.5, 1.5, 10.0], [2, 1.0, \"x\", 0.5, 1.5, 10.0]]").unwrap_err();
        assert_eq!(
            err,
            DataError::Row {
                line: 2,
                message: "candle 2: high is \"x\", not a number".into()
            }
        );
    }
}
