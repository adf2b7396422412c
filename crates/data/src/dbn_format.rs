//! Databento DBN files with OHLCV records (`ohlcv-1s`, `-1m`, `-1h`, `-1d`, `-eod`), read with
//! the official `dbn` crate. Prices are fixed-point integers in units of 1e-9; times are
//! nanoseconds (`ts_event` is the bar's open time). A file may hold several instruments:
//! one is chosen by raw symbol or instrument id, or the only one is taken.

use std::collections::BTreeMap;

use dbn::decode::{DbnMetadata, DecodeRecord, DynDecoder};
use dbn::{OhlcvMsg, Schema, VersionUpgradePolicy};

use crate::error::DataError;
use crate::rows::RowSink;

/// Rows of one instrument: (record number, open time in ms, [open, high, low, close, volume]).
type InstrumentRows = Vec<(usize, i64, [f64; 5])>;

/// Prices in DBN are integers of this many units per 1.0.
const PRICE_SCALE: f64 = dbn::FIXED_PRICE_SCALE as f64;

fn dbn_error(e: dbn::Error) -> DataError {
    DataError::Format(format!("invalid DBN data: {e}"))
}

/// The candles of one instrument, and that instrument's name (raw symbol, or id).
pub(crate) fn parse(
    bytes: &[u8],
    instrument: Option<&str>,
) -> Result<(RowSink, String), DataError> {
    let mut decoder = DynDecoder::inferred_with_buffer(bytes, VersionUpgradePolicy::UpgradeToV3)
        .map_err(dbn_error)?;
    let metadata = decoder.metadata().clone();
    match metadata.schema {
        Some(
            Schema::Ohlcv1S
            | Schema::Ohlcv1M
            | Schema::Ohlcv1H
            | Schema::Ohlcv1D
            | Schema::OhlcvEod,
        ) => {}
        other => {
            return Err(DataError::Format(format!(
                "the DBN file holds {} records, not OHLCV candles (ohlcv-1s, -1m, -1h, -1d)",
                other.map_or_else(|| "mixed".to_owned(), |s| s.to_string())
            )));
        }
    }
    // instrument id -> raw symbol, from the metadata's symbology
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    for mapping in &metadata.mappings {
        for interval in &mapping.intervals {
            if let Ok(id) = interval.symbol.parse::<u32>() {
                names
                    .entry(id)
                    .or_insert_with(|| mapping.raw_symbol.clone());
            }
        }
    }
    let mut per_instrument: BTreeMap<u32, InstrumentRows> = BTreeMap::new();
    let mut index = 0;
    while let Some(rec) = decoder.decode_record::<OhlcvMsg>().map_err(dbn_error)? {
        index += 1;
        let fail = |what: &str| DataError::row(index, format!("record {index}: {what}"));
        let price = |p: i64, name: &str| {
            if p == dbn::UNDEF_PRICE {
                Err(fail(&format!("{name} is undefined")))
            } else {
                Ok(p as f64 / PRICE_SCALE)
            }
        };
        let ts_ns = i64::try_from(rec.hd.ts_event).map_err(|_| fail("ts_event out of range"))?;
        let values = [
            price(rec.open, "open")?,
            price(rec.high, "high")?,
            price(rec.low, "low")?,
            price(rec.close, "close")?,
            rec.volume as f64,
        ];
        per_instrument
            .entry(rec.hd.instrument_id)
            .or_default()
            .push((index, ts_ns.div_euclid(1_000_000), values));
    }
    let label = |id: &u32| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let chosen = match instrument {
        Some(wanted) => per_instrument
            .keys()
            .find(|id| id.to_string() == wanted || label(id).eq_ignore_ascii_case(wanted))
            .copied()
            .ok_or_else(|| {
                DataError::Format(format!(
                    "the DBN file has no instrument \"{wanted}\" (it has: {})",
                    list(&per_instrument, &label)
                ))
            })?,
        None if per_instrument.len() == 1 => *per_instrument.keys().next().unwrap_or(&0),
        None if per_instrument.is_empty() => return Err(DataError::Empty),
        None => {
            return Err(DataError::Format(format!(
                "the DBN file holds {} instruments ({}); choose one (raw symbol or id)",
                per_instrument.len(),
                list(&per_instrument, &label)
            )));
        }
    };
    let rows = per_instrument.remove(&chosen).unwrap_or_default();
    let mut sink = RowSink::with_capacity(rows.len());
    for (line, ts, values) in rows {
        sink.push(line, ts, values)?;
    }
    Ok((sink.finish()?, label(&chosen)))
}

fn list(per_instrument: &BTreeMap<u32, InstrumentRows>, label: &dyn Fn(&u32) -> String) -> String {
    per_instrument
        .iter()
        .map(|(id, rows)| format!("{} (id {id}, {} bars)", label(id), rows.len()))
        .collect::<Vec<_>>()
        .join(", ")
}
