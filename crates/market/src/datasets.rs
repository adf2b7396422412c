//! Candles into datasets: importing a file's candles, and keeping a dataset's quality report
//! current.

use bb_data::{ImportNotes, QualityReport};
use bb_domain::{Candles, Timeframe};
use bb_store::{Dataset, Db, ImportSummary, NewDataset, StoreError};

use crate::error::MarketError;

/// What [`import_candles`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub dataset: Dataset,
    pub summary: ImportSummary,
    pub quality: QualityReport,
    /// The dataset did not exist before.
    pub created: bool,
    /// The candles were aggregated from this finer timeframe to the one asked for.
    pub resampled_from: Option<Timeframe>,
}

/// The shared dataset of `symbol` at `timeframe` from `source`, created with `provenance`
/// if missing. The bool is true when it was created now.
pub async fn find_or_create(
    db: &Db,
    symbol: &str,
    timeframe: Timeframe,
    source: &str,
    provenance: &str,
) -> Result<(Dataset, bool), MarketError> {
    let store = db.candles();
    if let Some(d) = store
        .find_owned_dataset(symbol, timeframe, source, None)
        .await?
    {
        return Ok((d, false));
    }
    match store
        .create_dataset(NewDataset {
            source: source.to_owned(),
            symbol: symbol.to_owned(),
            timeframe,
            provenance: provenance.to_owned(),
        })
        .await
    {
        Ok(d) => Ok((d, true)),
        // created by someone else in the meantime
        Err(StoreError::Conflict(_)) => store
            .find_owned_dataset(symbol, timeframe, source, None)
            .await?
            .map(|d| (d, false))
            .ok_or(MarketError::Store(StoreError::NotFound)),
        Err(e) => Err(e.into()),
    }
}

/// The dataset to fetch `symbol` at `timeframe` into, and its sources in failover order:
/// `given` sources (remembered with the dataset from now on), else the ones remembered,
/// else Binance. The dataset is found by its first source, or created (shared) with a
/// provenance that names the sources.
pub async fn dataset_for_fetch(
    db: &Db,
    symbol: &str,
    timeframe: Timeframe,
    given: Option<Vec<String>>,
) -> Result<(Dataset, Vec<String>), MarketError> {
    let store = db.candles();
    let existing = match &given {
        Some(names) if !names.is_empty() => {
            store
                .find_owned_dataset(symbol, timeframe, &names[0], None)
                .await?
        }
        _ => store.find_dataset(symbol, timeframe).await?,
    };
    let names = given
        .filter(|g| !g.is_empty())
        .or_else(|| existing.as_ref().map(|d| d.fetch_sources.clone()))
        .unwrap_or_else(|| vec!["binance".to_owned()]);
    let dataset = match existing {
        Some(d) => d,
        None => {
            let provenance = match names.as_slice() {
                [one] => format!("fetched from {one}"),
                [first, rest @ ..] => {
                    format!("fetched from {first} (fallback: {})", rest.join(", "))
                }
                [] => String::new(),
            };
            find_or_create(db, symbol, timeframe, &names[0], &provenance)
                .await?
                .0
        }
    };
    if dataset.fetch_sources != names {
        store.set_fetch_sources(&dataset.id, &names).await?;
    }
    Ok((dataset, names))
}

/// Stores `candles` read from a file as the dataset (`symbol`, `timeframe`, `source`) — made
/// if missing — in one transaction, then checks the stored dataset and saves its quality
/// report. `timeframe` defaults to the candles' own; a coarser multiple aggregates them.
pub async fn import_candles(
    db: &Db,
    candles: &Candles,
    notes: Option<&ImportNotes>,
    symbol: &str,
    timeframe: Option<Timeframe>,
    source: &str,
    provenance: &str,
) -> Result<Imported, MarketError> {
    let tf = match (timeframe, candles.timeframe()) {
        (Some(t), _) => t,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(MarketError::Invalid(
                "cannot tell the candles' timeframe (fewer than two bars); give one".into(),
            ));
        }
    };
    check_resample(candles, tf)?;
    let (dataset, created) = find_or_create(db, symbol, tf, source, provenance).await?;
    let done = import_candles_into(db, &dataset, candles, notes, source).await?;
    Ok(Imported { created, ..done })
}

/// Imports candles into an existing dataset (any owner's: the caller decided it may),
/// aggregated to the dataset's timeframe when the file's is finer. `created` is `false`.
pub async fn import_candles_into(
    db: &Db,
    dataset: &Dataset,
    candles: &Candles,
    notes: Option<&ImportNotes>,
    source: &str,
) -> Result<Imported, MarketError> {
    let tf = dataset.timeframe;
    check_resample(candles, tf)?;
    let (candles, resampled_from) = match candles.timeframe() {
        Some(own) if own != tf => (bb_domain::resample(candles, own, tf), Some(own)),
        _ => (candles.clone(), None),
    };
    let summary = db.candles().import(&dataset.id, &candles, source).await?;
    let quality = refresh_quality(db, &dataset.id, notes).await?;
    let dataset = db.candles().get_dataset(&dataset.id).await?;
    Ok(Imported {
        dataset,
        summary,
        quality,
        created: false,
        resampled_from,
    })
}

/// Refuses candles that cannot be stored at `tf` (finer than the file, or not a multiple).
fn check_resample(candles: &Candles, tf: Timeframe) -> Result<(), MarketError> {
    match candles.timeframe() {
        Some(own) if own != tf && (tf < own || !tf.is_multiple_of(own)) => {
            Err(MarketError::Invalid(format!(
                "the file holds {own} candles; they cannot be stored as {tf} (use {own} or a \
                 multiple of it)"
            )))
        }
        _ => Ok(()),
    }
}

/// Checks every stored candle of a dataset and saves the report. File notes are those given,
/// else the ones of the previous report (so a later fetch keeps what the import noticed).
pub async fn refresh_quality(
    db: &Db,
    dataset_id: &str,
    notes: Option<&ImportNotes>,
) -> Result<QualityReport, MarketError> {
    let store = db.candles();
    let dataset = store.get_dataset(dataset_id).await?;
    let candles = store.load(dataset_id, None, None).await?;
    let mut report = bb_data::assess(&candles, Some(dataset.timeframe));
    match notes {
        Some(n) => report.record_import(n),
        None => {
            if let Some(previous) = dataset
                .quality
                .as_ref()
                .and_then(|q| serde_json::from_value::<QualityReport>(q.clone()).ok())
            {
                report.file = previous.file;
                report.duplicates_dropped = previous.duplicates_dropped;
            }
        }
    }
    let json = serde_json::to_value(&report)
        .map_err(|e| MarketError::Invalid(format!("quality report: {e}")))?;
    store.set_quality(dataset_id, &json).await?;
    Ok(report)
}

/// The quality report stored with a dataset, if it has one this build can read.
pub fn stored_quality(dataset: &Dataset) -> Option<QualityReport> {
    dataset
        .quality
        .as_ref()
        .and_then(|q| serde_json::from_value(q.clone()).ok())
}
