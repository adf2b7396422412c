//! `blockbuilders inspect`: every block's output on every bar.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use bb_strategy::{Column, Series};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (JSON).
    #[arg(long)]
    strategy: PathBuf,
    /// Candles: CSV with a header, or ccxt-style JSON arrays.
    #[arg(long)]
    data: PathBuf,
    /// First bar to print (earlier bars still warm the indicators up), e.g. 2022-01-05.
    #[arg(long)]
    from: Option<String>,
    /// Print bars before this time.
    #[arg(long)]
    to: Option<String>,
    /// Print CSV.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print JSON: one object per bar.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    // Evaluate on everything before --to so indicators are warm at --from.
    let candles = crate::input::candles(&args.data, None, args.to.as_deref())?;
    let plan = crate::input::plan(&args.strategy, &candles, false)?;
    let evaluation = plan.evaluate_all(&candles)?;
    let columns = evaluation.columns(&plan, &candles);
    let start = match &args.from {
        Some(from) => {
            let from =
                bb_data::parse_timestamp(from, None).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
            candles.ts.partition_point(|&t| t < from)
        }
        None => 0,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let rows = start..candles.len();
    if args.json {
        write_json(&mut out, &candles.ts, &columns, rows)?;
    } else if args.csv {
        write_csv(&mut out, &candles.ts, &columns, rows)?;
    } else {
        write_table(&mut out, &candles.ts, &columns, rows)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cell(series: &Series, i: usize, human: bool) -> String {
    match series {
        Series::Number(v) if v[i].is_nan() => {
            if human {
                "-".into()
            } else {
                String::new()
            }
        }
        Series::Number(v) => {
            if human {
                format_number(v[i])
            } else {
                v[i].to_string()
            }
        }
        Series::Boolean(v) => {
            if human {
                (if v[i] { "yes" } else { "no" }).into()
            } else {
                v[i].to_string()
            }
        }
    }
}

/// At most six significant digits, without exponent for ordinary prices.
fn format_number(x: f64) -> String {
    if x == 0.0 || x.abs() >= 1e5 {
        return format!("{x:.2}");
    }
    let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 10) as usize;
    format!("{x:.digits$}")
}

fn write_csv(
    out: &mut impl Write,
    ts: &[i64],
    columns: &[Column],
    rows: std::ops::Range<usize>,
) -> Result<()> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    writeln!(out, "time,{}", names.join(","))?;
    for i in rows {
        let cells: Vec<String> = columns.iter().map(|c| cell(&c.values, i, false)).collect();
        writeln!(out, "{},{}", bb_data::format_utc(ts[i]), cells.join(","))?;
    }
    Ok(())
}

fn write_json(
    out: &mut impl Write,
    ts: &[i64],
    columns: &[Column],
    rows: std::ops::Range<usize>,
) -> Result<()> {
    writeln!(out, "[")?;
    let last = rows.end.saturating_sub(1);
    for i in rows {
        let mut row = serde_json::Map::new();
        row.insert("time".into(), bb_data::format_utc(ts[i]).into());
        for c in columns {
            let value = match &c.values {
                Series::Number(v) => serde_json::Number::from_f64(v[i])
                    .map_or(serde_json::Value::Null, serde_json::Value::Number),
                Series::Boolean(v) => v[i].into(),
            };
            row.insert(c.name.clone(), value);
        }
        writeln!(
            out,
            "  {}{}",
            serde_json::Value::Object(row),
            if i == last { "" } else { "," }
        )?;
    }
    writeln!(out, "]")?;
    Ok(())
}

fn write_table(
    out: &mut impl Write,
    ts: &[i64],
    columns: &[Column],
    rows: std::ops::Range<usize>,
) -> Result<()> {
    let cells: Vec<Vec<String>> = columns
        .iter()
        .map(|c| rows.clone().map(|i| cell(&c.values, i, true)).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .zip(&cells)
        .map(|(c, v)| {
            v.iter()
                .map(String::len)
                .max()
                .unwrap_or(0)
                .max(c.name.len())
        })
        .collect();
    write!(out, "{:<19}", "time")?;
    for (c, w) in columns.iter().zip(&widths) {
        write!(out, "  {:>w$}", c.name)?;
    }
    writeln!(out)?;
    for (r, i) in rows.enumerate() {
        write!(out, "{}", bb_data::format_utc(ts[i]))?;
        for (col, w) in cells.iter().zip(&widths) {
            write!(out, "  {:>w$}", col[r])?;
        }
        writeln!(out)?;
    }
    Ok(())
}
