//! Trades as CSV: one row per closed trade, times as `YYYY-MM-DD HH:MM:SS` UTC, the way a
//! spreadsheet reads them. The command line's `--trades-csv` and the API's `trades.csv` write this.

use std::io::Write;

use bb_domain::Trade;

use crate::time::format_utc;

/// Writes `trades` (each with its symbol; an empty symbol everywhere drops the column).
pub fn write_trades_csv<W: Write>(out: W, trades: &[(&str, &Trade)]) -> csv::Result<()> {
    let with_symbol = trades.iter().any(|(s, _)| !s.is_empty());
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "side",
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "quantity",
        "pnl",
        "pnl_pct",
        "fees",
        "slippage",
        "bars_held",
        "exit_reason",
    ];
    if with_symbol {
        header.insert(0, "symbol");
    }
    w.write_record(&header)?;
    for (symbol, t) in trades {
        let mut row = vec![
            word(&t.side),
            format_utc(t.entry_ts),
            t.entry_price.to_string(),
            format_utc(t.exit_ts),
            t.exit_price.to_string(),
            t.quantity.to_string(),
            t.pnl.to_string(),
            t.pnl_pct.to_string(),
            t.fees.to_string(),
            t.slippage.to_string(),
            t.bars_held().to_string(),
            word(&t.exit_reason),
        ];
        if with_symbol {
            row.insert(0, (*symbol).to_string());
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// The serde name of an enum value (`long`, `take_profit`).
fn word(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_domain::{ExitReason, Side};

    #[test]
    fn one_row_per_trade_with_utc_times() {
        let t = Trade {
            side: Side::Long,
            entry_index: 0,
            entry_ts: 1_640_995_200_000,
            entry_price: 100.0,
            exit_index: 3,
            exit_ts: 1_641_254_400_000,
            exit_price: 110.0,
            quantity: 2.0,
            pnl: 19.5,
            pnl_pct: 9.75,
            fees: 0.42,
            slippage: 0.1,
            exit_reason: ExitReason::Signal,
        };
        let mut out = Vec::new();
        write_trades_csv(&mut out, &[("", &t)]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("side,entry_time"), "{text}");
        assert!(
            lines[1].starts_with("long,2022-01-01 00:00:00,100,2022-01-04 00:00:00,110,"),
            "{text}"
        );
        assert!(lines[1].ends_with(",3,signal"), "{text}");
        let mut out = Vec::new();
        write_trades_csv(&mut out, &[("BTC", &t)]).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with("symbol,side"));
    }
}
