//! ccxt-style JSON: an array of `[open_time_ms, open, high, low, close, volume]` arrays.

use crate::error::DataError;
use serde_json::Value;

pub(crate) fn parse(text: &str) -> Result<bb_domain::Candles, DataError> {
    let value: Value = serde_json::from_str(text).map_err(|e| DataError::Row {
        line: e.line(),
        message: e.to_string(),
    })?;
    let Value::Array(rows) = value else {
        return Err(DataError::Row {
            line: 1,
            message: "expected a JSON array of candles".into(),
        });
    };
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        // Rows are reported by position (1-based), the "line" of a one-row-per-line file.
        let line = i + 1;
        let fail = |message: String| DataError::Row {
            line,
            message: format!("candle {line}: {message}"),
        };
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
        let ts = num(0, "time")? as i64;
        out.push((
            line,
            [
                num(1, "open")?,
                num(2, "high")?,
                num(3, "low")?,
                num(4, "close")?,
                num(5, "volume")?,
            ],
            ts,
        ));
    }
    crate::assemble(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ccxt_arrays() {
        let c = parse("[[1515542400000, 1.0, 2.0, 0.5, 1.5, 10.0], [1515542700000, 1.5, 2.5, 1.0, 2.0, 11.0]]").unwrap();
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
