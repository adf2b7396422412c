//! DBN records (MBP-1, trades, OHLCV, definitions, symbol mappings) as feed events, read with
//! the official `dbn` crate. Prices are fixed-point integers in units of 1e-9 (undefined:
//! `NaN`); times are nanoseconds since the epoch.

use std::collections::BTreeMap;

use bb_screener::{BarEvent, EventKind, FeedEvent, MarketEvent, Quote};
use dbn::decode::{DbnMetadata, DecodeRecordRef, DynDecoder};
use dbn::{RecordRef, RecordRefEnum, Schema, VersionUpgradePolicy};

const PRICE_SCALE: f64 = dbn::FIXED_PRICE_SCALE as f64;

/// Why a DBN stream could not be read, with the record number.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DbnError(pub String);

fn price(p: i64) -> f64 {
    if p == dbn::UNDEF_PRICE {
        f64::NAN
    } else {
        p as f64 / PRICE_SCALE
    }
}

fn time(ts: u64) -> i64 {
    i64::try_from(ts).unwrap_or(i64::MAX)
}

/// Every event of one DBN file or stream, each with the time it is ordered by (Databento's
/// index time: `ts_recv` where the schema has one, else `ts_event`). Instrument names come
/// first, from the metadata's symbology.
pub fn decode_dbn(bytes: &[u8], limit: usize) -> Result<Vec<(i64, FeedEvent)>, DbnError> {
    let mut decoder = DynDecoder::inferred_with_buffer(bytes, VersionUpgradePolicy::UpgradeToV3)
        .map_err(|e| DbnError(format!("not a DBN stream: {e}")))?;
    let metadata = decoder.metadata().clone();
    let mut events = Vec::new();
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
    let start = time(metadata.start);
    for (instrument, symbol) in names {
        events.push((start, FeedEvent::Symbol { instrument, symbol }));
    }
    let bar_minutes = match metadata.schema {
        Some(Schema::Ohlcv1H) => 60,
        Some(Schema::Ohlcv1D | Schema::OhlcvEod) => 1_440,
        _ => 1,
    };
    let mut index = 0usize;
    loop {
        let record = decoder
            .decode_record_ref()
            .map_err(|e| DbnError(format!("record {}: {e}", index + 1)))?;
        let Some(record) = record else { break };
        index += 1;
        if index > limit {
            return Err(DbnError(format!(
                "more than {limit} records: split the file"
            )));
        }
        if let Some(event) =
            convert(&record, bar_minutes).map_err(|e| DbnError(format!("record {index}: {e}")))?
        {
            events.push(event);
        }
    }
    Ok(events)
}

/// One record as a timed feed event; `None` for records the screener does not use.
pub(crate) fn convert(
    record: &RecordRef,
    bar_minutes: u32,
) -> Result<Option<(i64, FeedEvent)>, String> {
    let rec = record.as_enum().map_err(|e| e.to_string())?;
    let event = match rec {
        RecordRefEnum::Mbp1(m) => {
            let ts = time(m.ts_recv);
            let kind = if m.action as u8 == b'T' {
                EventKind::Trade {
                    price: price(m.price),
                    size: f64::from(m.size),
                }
            } else {
                let level = &m.levels[0];
                EventKind::Quote(Quote {
                    bid: price(level.bid_px),
                    ask: price(level.ask_px),
                    bid_size: f64::from(level.bid_sz),
                    ask_size: f64::from(level.ask_sz),
                })
            };
            (ts, market(m.hd.instrument_id, time(m.hd.ts_event), kind))
        }
        RecordRefEnum::Trade(t) => (
            time(t.ts_recv),
            market(
                t.hd.instrument_id,
                time(t.hd.ts_event),
                EventKind::Trade {
                    price: price(t.price),
                    size: f64::from(t.size),
                },
            ),
        ),
        RecordRefEnum::Ohlcv(o) => {
            if o.hd.rtype == dbn::rtype::OHLCV_1S {
                return Ok(None);
            }
            let ts = time(o.hd.ts_event);
            (
                ts,
                market(
                    o.hd.instrument_id,
                    ts,
                    EventKind::Bar(BarEvent {
                        open: price(o.open),
                        high: price(o.high),
                        low: price(o.low),
                        close: price(o.close),
                        volume: o.volume as f64,
                        minutes: bar_minutes,
                    }),
                ),
            )
        }
        RecordRefEnum::InstrumentDef(d) => {
            let symbol = d.raw_symbol().map_err(|e| e.to_string())?;
            if symbol.is_empty() {
                return Ok(None);
            }
            (
                time(d.ts_recv),
                FeedEvent::Symbol {
                    instrument: d.hd.instrument_id,
                    symbol: symbol.to_owned(),
                },
            )
        }
        RecordRefEnum::SymbolMapping(s) => {
            let symbol = s.stype_out_symbol().map_err(|e| e.to_string())?;
            (
                time(s.hd.ts_event),
                FeedEvent::Symbol {
                    instrument: s.hd.instrument_id,
                    symbol: symbol.to_owned(),
                },
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(event))
}

fn market(instrument: u32, ts: i64, kind: EventKind) -> FeedEvent {
    FeedEvent::Market(MarketEvent {
        instrument,
        ts,
        kind,
    })
}
