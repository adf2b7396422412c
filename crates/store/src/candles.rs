//! Candle datasets and their compressed columnar chunks (migration 0004).
//!
//! A dataset is one series (symbol, timeframe, source), shared or owned by the user who
//! imported it (`owner_id`, migration 0006; who may see what is the server's rule). Its
//! candles are stored in chunks of up to [`CHUNK_ROWS`] consecutive candles, each one row of
//! `candle_chunks` holding the columns encoded by the chunk codec (delta-encoded open times,
//! XOR-ed float bits, byte-shuffled, LZ4) and the runs of candles each source supplied.
//! Chunks of a dataset never overlap in time.
//!
//! Writes are one transaction each and all-or-nothing. They rewrite only the chunks they
//! touch: an append fills the last chunk while it has room and then adds new chunks; an
//! import that fills a hole rewrites the chunks around it. A candle that is already stored
//! with the same values is left alone (so re-fetching an overlap is harmless); one stored with
//! different values is a conflict and nothing is written.

use std::collections::BTreeMap;

use bb_domain::{Candles, Timeframe};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::chunk::{self, ChunkColumns, ChunkSlices};
use crate::clock::{new_id, now_ms};
use crate::error::{corrupt, map_err};
use crate::revisions::NewRevision;
use crate::sql::{col, col_json};
use crate::{Db, StoreError};

/// Candles per chunk. A year of 1-minute candles is 33 chunks; an append rewrites at most
/// one partial chunk (≤ 16,384 candles, about 0.8 MB before compression).
pub const CHUNK_ROWS: usize = 16_384;

/// Above this many candles a load decodes its chunks on two threads.
const PARALLEL_DECODE_ROWS: usize = 100_000;

/// What is needed to create a dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDataset {
    /// Where the candles come from: "binance", "coindesk", "coinmetrics", "file", "demo".
    pub source: String,
    /// e.g. "BTC-USD".
    pub symbol: String,
    pub timeframe: Timeframe,
    /// Where the data comes from, in words (file, vendor, licence).
    pub provenance: String,
}

/// A candle dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dataset {
    pub id: String,
    pub source: String,
    pub symbol: String,
    pub timeframe: Timeframe,
    /// Open time of the first and the last stored candle (Unix ms); `None` while empty.
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub row_count: i64,
    pub provenance: String,
    /// The providers to fetch new candles from, in failover order (at least `source`).
    pub fetch_sources: Vec<String>,
    /// The quality report of the stored candles (bb-data's `QualityReport` as JSON).
    pub quality: Option<serde_json::Value>,
    /// The user the dataset belongs to; `None` for a shared dataset (migration 0006).
    pub owner_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Dataset {
    /// `SYMBOL:TIMEFRAME`, the way the command line names a dataset.
    pub fn spec(&self) -> String {
        format!("{}:{}", self.symbol, self.timeframe)
    }
}

/// What an import or append did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub dataset_id: String,
    pub source: String,
    /// Candles given.
    pub received: usize,
    /// Candles that were not stored before and now are.
    pub inserted: usize,
    /// Candles already stored with the same values (left alone).
    pub unchanged: usize,
    /// Candles stored with other values and replaced ([`CandleStore::revise`] only).
    pub revised: usize,
    /// [`CandleStore::revise`] only: open times of the candles revised, and of those
    /// inserted before the dataset's last candle (gaps filled).
    pub changed_ts: Vec<i64>,
    /// Chunks written, and stored chunks they replaced.
    pub chunks_written: usize,
    pub chunks_replaced: usize,
    /// The dataset afterwards.
    pub row_count: i64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
}

/// Consecutive stored candles that came from one source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRange {
    pub source: String,
    /// Open time of the first and the last candle of the run (Unix ms).
    pub from_ts: i64,
    pub to_ts: i64,
    pub rows: usize,
}

/// One stored chunk, for inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChunkInfo {
    pub start_ts: i64,
    pub end_ts: i64,
    pub rows: usize,
    /// Size of the encoded, compressed columns.
    pub bytes: usize,
    pub sources: Vec<SourceRange>,
    /// When the chunk was last (re)written, Unix ms.
    pub written_at: i64,
}

/// The candle store (from [`Db::candles`]).
#[derive(Debug, Clone, Copy)]
pub struct CandleStore<'a> {
    pub(crate) db: &'a Db,
    pub(crate) chunk_rows: usize,
}

macro_rules! dataset_columns {
    () => {
        "id, source, symbol, timeframe, first_ts, last_ts, row_count, provenance, \
         fetch_sources, quality, owner_id, created_at, updated_at"
    };
}

const UNIQUE: &[(&str, &str)] = &[(
    "symbol",
    "you already have a dataset for this symbol, timeframe and source",
)];

impl CandleStore<'_> {
    /// The same store with another chunk size (tests use small chunks to cross chunk
    /// boundaries with few candles). Reading works whatever size the chunks were written with.
    #[doc(hidden)]
    pub fn with_chunk_rows(self, rows: usize) -> Self {
        CandleStore {
            chunk_rows: rows.max(1),
            ..self
        }
    }

    /// Creates an empty shared dataset. `Conflict` when one exists for the same symbol,
    /// timeframe and source; `Invalid` when the source or the symbol is blank.
    pub async fn create_dataset(&self, new: NewDataset) -> Result<Dataset, StoreError> {
        self.create_owned_dataset(new, None).await
    }

    /// [`Self::create_dataset`], owned by the user `owner_id` (`None`: shared). Names are
    /// unique per owner (migration 0010): `Conflict` only when this owner (or the shared
    /// space, for `None`) already has one; other owners' datasets never conflict.
    pub async fn create_owned_dataset(
        &self,
        new: NewDataset,
        owner_id: Option<&str>,
    ) -> Result<Dataset, StoreError> {
        let source = clean_name("source", &new.source)?;
        let symbol = clean_name("symbol", &new.symbol)?;
        let now = now_ms();
        let dataset = Dataset {
            id: new_id(),
            source,
            symbol,
            timeframe: new.timeframe,
            first_ts: None,
            last_ts: None,
            row_count: 0,
            provenance: new.provenance,
            fetch_sources: Vec::new(),
            quality: None,
            owner_id: owner_id.map(str::to_owned),
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO datasets (id, source, symbol, timeframe, row_count, provenance, \
             owner_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $7)",
        )
        .bind(&dataset.id)
        .bind(&dataset.source)
        .bind(&dataset.symbol)
        .bind(dataset.timeframe.to_string())
        .bind(&dataset.provenance)
        .bind(&dataset.owner_id)
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map_err(|e| map_err(e, UNIQUE, ""))?;
        Ok(Dataset {
            fetch_sources: vec![dataset.source.clone()],
            ..dataset
        })
    }

    /// Every dataset, by symbol, timeframe and source.
    pub async fn list_datasets(&self) -> Result<Vec<Dataset>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            dataset_columns!(),
            " FROM datasets ORDER BY symbol, timeframe, source"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(dataset_from_row).collect()
    }

    /// The dataset with this id; `NotFound` if none.
    pub async fn get_dataset(&self, id: &str) -> Result<Dataset, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        fetch_dataset(&mut conn, id).await
    }

    /// The dataset of `symbol` at `timeframe`; when several sources have one, the one updated
    /// last.
    pub async fn find_dataset(
        &self,
        symbol: &str,
        timeframe: Timeframe,
    ) -> Result<Option<Dataset>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            dataset_columns!(),
            " FROM datasets WHERE symbol = $1 AND timeframe = $2 \
             ORDER BY updated_at DESC, id DESC LIMIT 1"
        ))
        .bind(symbol.trim())
        .bind(timeframe.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    /// The dataset of `symbol` at `timeframe` from `source` owned by `owner_id` (`None`: the
    /// shared one). Never another owner's.
    pub async fn find_owned_dataset(
        &self,
        symbol: &str,
        timeframe: Timeframe,
        source: &str,
        owner_id: Option<&str>,
    ) -> Result<Option<Dataset>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            dataset_columns!(),
            " FROM datasets WHERE symbol = $1 AND timeframe = $2 AND source = $3 \
             AND COALESCE(owner_id, '') = $4"
        ))
        .bind(symbol.trim())
        .bind(timeframe.to_string())
        .bind(source.trim())
        .bind(owner_id.unwrap_or_default())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    /// The dataset of `symbol` at `timeframe` from `source`: the shared one when there is
    /// one, else any owner's (names are unique per owner; this is for operators' tools).
    pub async fn find_dataset_from(
        &self,
        symbol: &str,
        timeframe: Timeframe,
        source: &str,
    ) -> Result<Option<Dataset>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            dataset_columns!(),
            " FROM datasets WHERE symbol = $1 AND timeframe = $2 AND source = $3 \
             ORDER BY CASE WHEN owner_id IS NULL THEN 0 ELSE 1 END, updated_at DESC, id DESC \
             LIMIT 1"
        ))
        .bind(symbol.trim())
        .bind(timeframe.to_string())
        .bind(source.trim())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    /// Deletes the dataset if it holds no candles (undoing a creation whose import failed);
    /// `false` when it has candles or does not exist.
    pub async fn delete_empty_dataset(&self, dataset_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM datasets WHERE id = $1 AND row_count = 0")
            .bind(dataset_id)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores the quality report (JSON) of a dataset. `NotFound` if there is no such dataset.
    pub async fn set_quality(
        &self,
        dataset_id: &str,
        quality: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE datasets SET quality = $1, updated_at = $2 WHERE id = $3")
            .bind(quality.to_string())
            .bind(now_ms())
            .bind(dataset_id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records the providers to fetch the dataset from, in failover order (blank names are
    /// dropped; an empty list means just the dataset's source). `NotFound` if there is no
    /// such dataset.
    pub async fn set_fetch_sources(
        &self,
        dataset_id: &str,
        sources: &[String],
    ) -> Result<(), StoreError> {
        let names: Vec<&str> = sources
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let json = (!names.is_empty()).then(|| serde_json::json!(names).to_string());
        let done =
            sqlx::query("UPDATE datasets SET fetch_sources = $1, updated_at = $2 WHERE id = $3")
                .bind(json)
                .bind(now_ms())
                .bind(dataset_id)
                .execute(&self.db.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Merges `candles` from `source` into the dataset, in one transaction.
    ///
    /// Candles already stored with the same values are left alone; new ones are added
    /// wherever they fall (after the last, before the first, or in a gap). Nothing is written
    /// when a candle conflicts with a stored one (`Conflict`, naming its time and both
    /// values), is not on the dataset's timeframe grid or is not a finite number
    /// (`Invalid`). `NotFound` if there is no such dataset.
    pub async fn import(
        &self,
        dataset_id: &str,
        candles: &Candles,
        source: &str,
    ) -> Result<ImportSummary, StoreError> {
        self.write(dataset_id, candles, source, Mode::Import).await
    }

    /// [`Self::import`], except that a candle stored with other values is replaced by the
    /// new one (a source's correction), and the values replaced are kept in
    /// `candle_revisions` ([`Self::revisions`]). Used by live refreshes, which re-read a
    /// dataset's last candles.
    pub async fn revise(
        &self,
        dataset_id: &str,
        candles: &Candles,
        source: &str,
    ) -> Result<ImportSummary, StoreError> {
        self.write(dataset_id, candles, source, Mode::Revise).await
    }

    /// Adds candles after the last stored one (new candles from a connector), in one
    /// transaction. Candles that repeat stored ones with the same values are skipped; any
    /// other candle at or before the last stored one is `Invalid` (use [`Self::import`] to
    /// fill earlier gaps). Only the last chunk, while it has room, is rewritten.
    pub async fn append(
        &self,
        dataset_id: &str,
        candles: &Candles,
        source: &str,
    ) -> Result<ImportSummary, StoreError> {
        self.write(dataset_id, candles, source, Mode::Append).await
    }

    /// The candles with open time in `[from, to)` (either bound may be open), oldest first.
    /// `NotFound` if there is no such dataset.
    pub async fn load(
        &self,
        dataset_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Candles, StoreError> {
        let rows = sqlx::query(
            "SELECT row_count, data FROM candle_chunks WHERE dataset_id = $1 \
             AND chunk_end_ts >= $2 AND chunk_start_ts < $3 ORDER BY chunk_start_ts",
        )
        .bind(dataset_id)
        .bind(from.unwrap_or(i64::MIN))
        .bind(to.unwrap_or(i64::MAX))
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            self.get_dataset(dataset_id).await?;
            return Ok(Candles::default());
        }
        let blobs = rows
            .iter()
            .map(|r| col::<Vec<u8>>(r, "data"))
            .collect::<Result<Vec<_>, _>>()?;
        let candles = decode_chunks(&blobs)?;
        let cut_front = from.is_some_and(|f| candles.ts.first().is_some_and(|&t| t < f));
        let cut_back = to.is_some_and(|t| candles.ts.last().is_some_and(|&l| l >= t));
        Ok(if cut_front || cut_back {
            candles.between(from, to)
        } else {
            candles
        })
    }

    /// The candles of a dataset at `timeframe`: as stored when it is the dataset's own, else
    /// aggregated from it (bb-domain's `resample`: complete UTC buckets only). `Invalid` when
    /// `timeframe` is not a multiple of the dataset's.
    pub async fn load_at(
        &self,
        dataset: &Dataset,
        timeframe: Timeframe,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Candles, StoreError> {
        if timeframe == dataset.timeframe {
            return self.load(&dataset.id, from, to).await;
        }
        if !timeframe.is_multiple_of(dataset.timeframe) || timeframe < dataset.timeframe {
            return Err(StoreError::Invalid(format!(
                "{} candles cannot be made from {} candles ({} is not a multiple of {})",
                timeframe, dataset.timeframe, timeframe, dataset.timeframe
            )));
        }
        // Whole buckets only: widen the range to bucket edges, then aggregate.
        let from_edge = from.map(|f| timeframe.bucket_start(f));
        let base = self.load(&dataset.id, from_edge, to).await?;
        let out = bb_domain::resample(&base, dataset.timeframe, timeframe);
        Ok(out.between(from, to))
    }

    /// Which source supplied the candles with open time in `[from, to)`: runs of consecutive
    /// stored candles, oldest first. `NotFound` if there is no such dataset.
    pub async fn sources(
        &self,
        dataset_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<SourceRange>, StoreError> {
        let (lo, hi) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
        let rows = sqlx::query(
            "SELECT chunk_start_ts, chunk_end_ts, data, sources FROM candle_chunks \
             WHERE dataset_id = $1 AND chunk_end_ts >= $2 AND chunk_start_ts < $3 \
             ORDER BY chunk_start_ts",
        )
        .bind(dataset_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            self.get_dataset(dataset_id).await?;
            return Ok(Vec::new());
        }
        let mut out: Vec<SourceRange> = Vec::new();
        for row in &rows {
            let start: i64 = col(row, "chunk_start_ts")?;
            let end: i64 = col(row, "chunk_end_ts")?;
            let runs = parse_runs(&col::<String>(row, "sources")?)?;
            let runs = if start >= lo && end < hi {
                runs
            } else {
                // the range cuts this chunk: count the candles of each run inside it
                let stored = decode_stored(&col::<Vec<u8>>(row, "data")?, &runs)?;
                let c = &stored.candles;
                runs_of(
                    (0..c.len())
                        .filter(|&i| (lo..hi).contains(&c.ts[i]))
                        .map(|i| (c.ts[i], stored.names[stored.source[i] as usize].as_str())),
                )
            };
            for run in runs {
                match out.last_mut() {
                    Some(prev) if prev.source == run.source => {
                        prev.to_ts = run.to_ts;
                        prev.rows += run.rows;
                    }
                    _ => out.push(run),
                }
            }
        }
        Ok(out)
    }

    /// The stored chunks of a dataset, oldest first (for inspection and tests).
    pub async fn chunks(&self, dataset_id: &str) -> Result<Vec<ChunkInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT chunk_start_ts, chunk_end_ts, row_count, data, sources, written_at \
             FROM candle_chunks WHERE dataset_id = $1 ORDER BY chunk_start_ts",
        )
        .bind(dataset_id)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            self.get_dataset(dataset_id).await?;
        }
        rows.iter()
            .map(|r| {
                Ok(ChunkInfo {
                    start_ts: col(r, "chunk_start_ts")?,
                    end_ts: col(r, "chunk_end_ts")?,
                    rows: count(col(r, "row_count")?)?,
                    bytes: col::<Vec<u8>>(r, "data")?.len(),
                    sources: parse_runs(&col::<String>(r, "sources")?)?,
                    written_at: col(r, "written_at")?,
                })
            })
            .collect()
    }

    async fn write(
        &self,
        dataset_id: &str,
        new: &Candles,
        source: &str,
        mode: Mode,
    ) -> Result<ImportSummary, StoreError> {
        let source = clean_name("source", source)?;
        check_candles(new)?;
        let mut tx = self.db.pool.begin().await?;
        // The UPDATE comes first so the transaction holds the write lock (SQLite) or the row
        // lock (PostgreSQL) before it reads: writers of one dataset queue here.
        let locked = sqlx::query("UPDATE datasets SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(dataset_id)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let dataset = fetch_dataset(&mut tx, dataset_id).await?;
        let mut summary = ImportSummary {
            dataset_id: dataset.id.clone(),
            source: source.clone(),
            received: new.len(),
            inserted: 0,
            unchanged: 0,
            revised: 0,
            changed_ts: Vec::new(),
            chunks_written: 0,
            chunks_replaced: 0,
            row_count: dataset.row_count,
            first_ts: dataset.first_ts,
            last_ts: dataset.last_ts,
        };
        if new.is_empty() {
            tx.commit().await?;
            return Ok(summary);
        }
        let tf = dataset.timeframe;
        if let Some(&ts) = new.ts.iter().find(|&&t| tf.bucket_start(t) != t) {
            return Err(StoreError::Invalid(format!(
                "the candle at {} is not on the {tf} grid of dataset {}; is it {tf} data?",
                utc(ts),
                dataset.spec()
            )));
        }

        // 1. Compare with the stored candles in the same time range.
        let (lo, hi) = (new.ts[0], new.ts[new.len() - 1]);
        let overlapping = fetch_chunks(&mut tx, dataset_id, lo, hi).await?;
        let mut stored_ts: Vec<(i64, usize, usize)> = Vec::new(); // (ts, chunk, row)
        for (k, c) in overlapping.iter().enumerate() {
            stored_ts.extend(
                c.stored
                    .candles
                    .ts
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| (t, k, i)),
            );
        }
        // Rows of `new` to write: not stored yet, or (revising) stored with other values.
        let mut inserted_rows = Vec::new();
        let mut revisions: Vec<NewRevision> = Vec::new();
        let mut s = 0;
        for j in 0..new.len() {
            let t = new.ts[j];
            while s < stored_ts.len() && stored_ts[s].0 < t {
                s += 1;
            }
            match stored_ts.get(s) {
                Some(&(st, k, i)) if st == t => {
                    let old = &overlapping[k].stored;
                    if row_bits(&old.candles, i) == row_bits(new, j) {
                        summary.unchanged += 1;
                    } else if mode == Mode::Revise {
                        revisions.push(NewRevision {
                            ts: t,
                            before: row_values(&old.candles, i),
                            before_source: old.names[old.source[i] as usize].clone(),
                            after: row_values(new, j),
                        });
                        inserted_rows.push(j);
                    } else {
                        return Err(StoreError::Conflict(format!(
                            "the candle at {} is stored (from {}) as {} but {source} has {}; \
                             nothing was written",
                            utc(t),
                            old.names[old.source[i] as usize],
                            ohlcv(&old.candles, i),
                            ohlcv(new, j)
                        )));
                    }
                }
                _ => {
                    if mode == Mode::Append && dataset.last_ts.is_some_and(|last| t <= last) {
                        return Err(StoreError::Invalid(format!(
                            "append adds candles after the last stored one ({}), but the \
                             candle at {} is earlier and not stored; import it instead",
                            utc(dataset.last_ts.unwrap_or_default()),
                            utc(t)
                        )));
                    }
                    inserted_rows.push(j);
                }
            }
        }
        if inserted_rows.is_empty() {
            tx.commit().await?;
            return Ok(summary);
        }

        // 2. The chunks to rewrite: those whose range the inserted candles fall into, or,
        //    when they all come after the last stored candle, the last chunk while it has room.
        let (ins_lo, ins_hi) = (
            new.ts[inserted_rows[0]],
            new.ts[*inserted_rows.last().unwrap_or(&0)],
        );
        let mut rewrite: Vec<StoredChunk> = overlapping
            .into_iter()
            .filter(|c| c.end_ts >= ins_lo && c.start_ts <= ins_hi)
            .collect();
        if rewrite.is_empty()
            && dataset.last_ts.is_some_and(|last| ins_lo > last)
            && let Some(last) = fetch_last_chunk(&mut tx, dataset_id).await?
            && last.stored.candles.len() < self.chunk_rows
        {
            rewrite.push(last);
        }

        // 3. Merge the rewritten chunks' candles with the written ones (a revised candle's
        //    new values take the place of the stored ones).
        let mut merged = Stored::default();
        let mut name_index: BTreeMap<String, u16> = BTreeMap::new();
        let mut intern = |name: &str, merged: &mut Stored| -> Result<u16, StoreError> {
            if let Some(&i) = name_index.get(name) {
                return Ok(i);
            }
            let i = u16::try_from(merged.names.len())
                .map_err(|_| StoreError::Invalid("too many sources in one chunk".into()))?;
            merged.names.push(name.to_owned());
            name_index.insert(name.to_owned(), i);
            Ok(i)
        };
        let new_source = intern(&source, &mut merged)?;
        let old_rows: Vec<(usize, usize)> = rewrite
            .iter()
            .enumerate()
            .flat_map(|(k, c)| (0..c.stored.candles.len()).map(move |i| (k, i)))
            .collect();
        let (mut a, mut b) = (0, 0);
        while a < old_rows.len() || b < inserted_rows.len() {
            let (take_old, replaced) = match (old_rows.get(a), inserted_rows.get(b)) {
                (Some(&(k, i)), Some(&j)) => {
                    let t = rewrite[k].stored.candles.ts[i];
                    (t < new.ts[j], t == new.ts[j])
                }
                (Some(_), None) => (true, false),
                _ => (false, false),
            };
            if replaced {
                a += 1;
            }
            if take_old {
                let (k, i) = old_rows[a];
                let old = &rewrite[k].stored;
                let s = intern(&old.names[old.source[i] as usize], &mut merged)?;
                push_row(&mut merged, &old.candles, i, s);
                a += 1;
            } else {
                push_row(&mut merged, new, inserted_rows[b], new_source);
                b += 1;
            }
        }

        // 4. Replace them.
        for c in &rewrite {
            sqlx::query("DELETE FROM candle_chunks WHERE dataset_id = $1 AND chunk_start_ts = $2")
                .bind(dataset_id)
                .bind(c.start_ts)
                .execute(&mut *tx)
                .await?;
        }
        let written_at = now_ms();
        let n = merged.candles.len();
        let mut start = 0;
        while start < n {
            let end = (start + self.chunk_rows).min(n);
            insert_chunk(&mut tx, dataset_id, &merged, start, end, written_at).await?;
            summary.chunks_written += 1;
            start = end;
        }
        summary.chunks_replaced = rewrite.len();
        summary.revised = revisions.len();
        summary.inserted = inserted_rows.len() - revisions.len();
        if mode == Mode::Revise {
            summary.changed_ts = inserted_rows
                .iter()
                .map(|&j| new.ts[j])
                .filter(|&t| dataset.last_ts.is_some_and(|last| t < last))
                .collect();
        }
        crate::revisions::insert(&mut tx, dataset_id, &source, &revisions, written_at).await?;
        summary.row_count = dataset.row_count + i64::try_from(summary.inserted).unwrap_or(i64::MAX);
        summary.first_ts = Some(dataset.first_ts.map_or(ins_lo, |f| f.min(ins_lo)));
        summary.last_ts = Some(dataset.last_ts.map_or(ins_hi, |l| l.max(ins_hi)));
        sqlx::query(
            "UPDATE datasets SET first_ts = $1, last_ts = $2, row_count = $3 WHERE id = $4",
        )
        .bind(summary.first_ts)
        .bind(summary.last_ts)
        .bind(summary.row_count)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}

/// How a write treats candles already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// New candles anywhere; other values for a stored candle are a conflict.
    Import,
    /// New candles after the last only.
    Append,
    /// New candles anywhere; other values replace the stored ones, which are kept.
    Revise,
}

/// Decoded candles of one or more chunks with, per candle, the index of its source in
/// `names`.
#[derive(Debug, Default)]
struct Stored {
    candles: Candles,
    source: Vec<u16>,
    names: Vec<String>,
}

/// A chunk read back for a write.
#[derive(Debug)]
struct StoredChunk {
    start_ts: i64,
    end_ts: i64,
    stored: Stored,
}

fn push_row(out: &mut Stored, from: &Candles, i: usize, source: u16) {
    out.candles.push(
        from.ts[i],
        from.open[i],
        from.high[i],
        from.low[i],
        from.close[i],
        from.volume[i],
    );
    out.source.push(source);
}

fn row_values(c: &Candles, i: usize) -> [f64; 5] {
    [c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]]
}

fn row_bits(c: &Candles, i: usize) -> [u64; 5] {
    [
        c.open[i].to_bits(),
        c.high[i].to_bits(),
        c.low[i].to_bits(),
        c.close[i].to_bits(),
        c.volume[i].to_bits(),
    ]
}

fn ohlcv(c: &Candles, i: usize) -> String {
    format!(
        "open {} high {} low {} close {} volume {}",
        c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]
    )
}

fn utc(ms: i64) -> String {
    bb_domain::calendar::format_utc(ms)
}

fn clean_name(what: &str, s: &str) -> Result<String, StoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(StoreError::Invalid(format!("the {what} must not be empty")));
    }
    Ok(t.to_owned())
}

/// Equal column lengths, strictly increasing open times, finite values.
fn check_candles(c: &Candles) -> Result<(), StoreError> {
    let n = c.ts.len();
    if [
        c.open.len(),
        c.high.len(),
        c.low.len(),
        c.close.len(),
        c.volume.len(),
    ]
    .iter()
    .any(|&l| l != n)
    {
        return Err(StoreError::Invalid(
            "candle columns have different lengths".into(),
        ));
    }
    if let Some(i) = (1..n).find(|&i| c.ts[i] <= c.ts[i - 1]) {
        return Err(StoreError::Invalid(format!(
            "candles must be sorted by time with no repeats; {} follows {}",
            utc(c.ts[i]),
            utc(c.ts[i - 1])
        )));
    }
    for (name, col) in [
        ("open", &c.open),
        ("high", &c.high),
        ("low", &c.low),
        ("close", &c.close),
        ("volume", &c.volume),
    ] {
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(StoreError::Invalid(format!(
                "the {name} of the candle at {} is not a finite number",
                utc(c.ts[i])
            )));
        }
    }
    Ok(())
}

fn count(n: i64) -> Result<usize, StoreError> {
    usize::try_from(n).map_err(|_| corrupt("row count", n))
}

fn dataset_from_row(row: &AnyRow) -> Result<Dataset, StoreError> {
    let timeframe: String = col(row, "timeframe")?;
    let quality: Option<String> = col(row, "quality")?;
    let source: String = col(row, "source")?;
    let fetch_sources = match col::<Option<String>>(row, "fetch_sources")? {
        Some(text) => serde_json::from_str::<Vec<String>>(&text)
            .map_err(|e| corrupt("JSON in column fetch_sources", e))?,
        None => vec![source.clone()],
    };
    Ok(Dataset {
        id: col(row, "id")?,
        source,
        symbol: col(row, "symbol")?,
        timeframe: timeframe
            .parse()
            .map_err(|_| corrupt("timeframe", &timeframe))?,
        first_ts: col(row, "first_ts")?,
        last_ts: col(row, "last_ts")?,
        row_count: col(row, "row_count")?,
        provenance: col(row, "provenance")?,
        fetch_sources,
        quality: match quality {
            Some(_) => Some(col_json(row, "quality")?),
            None => None,
        },
        owner_id: col(row, "owner_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

async fn fetch_dataset(conn: &mut AnyConnection, id: &str) -> Result<Dataset, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        dataset_columns!(),
        " FROM datasets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    dataset_from_row(&row)
}

/// Chunks whose time range meets `[lo, hi]`, decoded, oldest first.
async fn fetch_chunks(
    conn: &mut AnyConnection,
    dataset_id: &str,
    lo: i64,
    hi: i64,
) -> Result<Vec<StoredChunk>, StoreError> {
    let rows = sqlx::query(
        "SELECT chunk_start_ts, chunk_end_ts, data, sources FROM candle_chunks \
         WHERE dataset_id = $1 AND chunk_end_ts >= $2 AND chunk_start_ts <= $3 \
         ORDER BY chunk_start_ts",
    )
    .bind(dataset_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(stored_chunk).collect()
}

async fn fetch_last_chunk(
    conn: &mut AnyConnection,
    dataset_id: &str,
) -> Result<Option<StoredChunk>, StoreError> {
    let row = sqlx::query(
        "SELECT chunk_start_ts, chunk_end_ts, data, sources FROM candle_chunks \
         WHERE dataset_id = $1 ORDER BY chunk_start_ts DESC LIMIT 1",
    )
    .bind(dataset_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(stored_chunk).transpose()
}

fn stored_chunk(row: &AnyRow) -> Result<StoredChunk, StoreError> {
    let runs = parse_runs(&col::<String>(row, "sources")?)?;
    Ok(StoredChunk {
        start_ts: col(row, "chunk_start_ts")?,
        end_ts: col(row, "chunk_end_ts")?,
        stored: decode_stored(&col::<Vec<u8>>(row, "data")?, &runs)?,
    })
}

/// Decodes one chunk with the source of each candle.
fn decode_stored(data: &[u8], runs: &[SourceRange]) -> Result<Stored, StoreError> {
    let candles = decode_chunks(&[data])?;
    let mut names: Vec<String> = Vec::new();
    let mut source = Vec::with_capacity(candles.len());
    for run in runs {
        let i = match names.iter().position(|n| *n == run.source) {
            Some(i) => i,
            None => {
                names.push(run.source.clone());
                names.len() - 1
            }
        };
        let i = u16::try_from(i).map_err(|_| corrupt("chunk sources", "too many"))?;
        source.extend(std::iter::repeat_n(i, run.rows));
    }
    if source.len() != candles.len() {
        return Err(corrupt(
            "chunk sources",
            format!("{} runs for {} candles", source.len(), candles.len()),
        ));
    }
    Ok(Stored {
        candles,
        source,
        names,
    })
}

async fn insert_chunk(
    conn: &mut AnyConnection,
    dataset_id: &str,
    s: &Stored,
    start: usize,
    end: usize,
    written_at: i64,
) -> Result<(), StoreError> {
    let c = &s.candles;
    let data = chunk::encode(ChunkColumns {
        ts: &c.ts[start..end],
        open: &c.open[start..end],
        high: &c.high[start..end],
        low: &c.low[start..end],
        close: &c.close[start..end],
        volume: &c.volume[start..end],
    });
    let runs = runs_of((start..end).map(|i| (c.ts[i], s.names[s.source[i] as usize].as_str())));
    let sources = serde_json::to_string(&runs)
        .map_err(|e| StoreError::Database(format!("encoding chunk sources: {e}")))?;
    sqlx::query(
        "INSERT INTO candle_chunks (dataset_id, chunk_start_ts, chunk_end_ts, row_count, data, \
         sources, written_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(dataset_id)
    .bind(c.ts[start])
    .bind(c.ts[end - 1])
    .bind(i64::try_from(end - start).unwrap_or(i64::MAX))
    .bind(data)
    .bind(sources)
    .bind(written_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Runs of consecutive candles from one source, from `(open time, source)` in time order.
fn runs_of<'a>(rows: impl Iterator<Item = (i64, &'a str)>) -> Vec<SourceRange> {
    let mut out: Vec<SourceRange> = Vec::new();
    for (ts, source) in rows {
        match out.last_mut() {
            Some(run) if run.source == source => {
                run.to_ts = ts;
                run.rows += 1;
            }
            _ => out.push(SourceRange {
                source: source.to_owned(),
                from_ts: ts,
                to_ts: ts,
                rows: 1,
            }),
        }
    }
    out
}

fn parse_runs(text: &str) -> Result<Vec<SourceRange>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("chunk sources", e))
}

/// Decodes chunks (in order) into one series; on two threads when there are many candles.
fn decode_chunks<B: AsRef<[u8]> + Sync>(blobs: &[B]) -> Result<Candles, StoreError> {
    let sizes = blobs
        .iter()
        .map(|b| chunk::rows_of(b.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = sizes.iter().sum();
    let mut out = Candles {
        ts: vec![0; total],
        open: vec![0.0; total],
        high: vec![0.0; total],
        low: vec![0.0; total],
        close: vec![0.0; total],
        volume: vec![0.0; total],
    };
    // One set of output slices per chunk.
    let mut parts: Vec<(usize, ChunkSlices<'_>)> = Vec::with_capacity(blobs.len());
    {
        let (mut ts, mut o, mut h, mut l, mut c, mut v) = (
            &mut out.ts[..],
            &mut out.open[..],
            &mut out.high[..],
            &mut out.low[..],
            &mut out.close[..],
            &mut out.volume[..],
        );
        for (k, &n) in sizes.iter().enumerate() {
            let (ts1, ts2) = ts.split_at_mut(n);
            let (o1, o2) = o.split_at_mut(n);
            let (h1, h2) = h.split_at_mut(n);
            let (l1, l2) = l.split_at_mut(n);
            let (c1, c2) = c.split_at_mut(n);
            let (v1, v2) = v.split_at_mut(n);
            parts.push((
                k,
                ChunkSlices {
                    ts: ts1,
                    open: o1,
                    high: h1,
                    low: l1,
                    close: c1,
                    volume: v1,
                },
            ));
            (ts, o, h, l, c, v) = (ts2, o2, h2, l2, c2, v2);
        }
    }
    let decode = |parts: Vec<(usize, ChunkSlices<'_>)>| -> Result<(), StoreError> {
        let mut scratch = Vec::new();
        for (k, slices) in parts {
            chunk::decode_into(blobs[k].as_ref(), slices, &mut scratch)?;
        }
        Ok(())
    };
    if total >= PARALLEL_DECODE_ROWS && parts.len() > 1 {
        // Split by candles, not chunks, so both threads get about half the work.
        let mut acc = 0;
        let split = parts
            .iter()
            .position(|(k, _)| {
                acc += sizes[*k];
                acc * 2 >= total
            })
            .map_or(parts.len(), |p| p + 1)
            .min(parts.len() - 1)
            .max(1);
        let second = parts.split_off(split);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| decode(second));
            let mine = decode(parts);
            let theirs = other
                .join()
                .unwrap_or_else(|_| Err(StoreError::Database("chunk decoding panicked".into())));
            mine.and(theirs)
        })?;
    } else {
        decode(parts)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_consecutive_sources() {
        let runs = runs_of([(1, "a"), (2, "a"), (3, "b"), (4, "a")].into_iter());
        assert_eq!(
            runs.iter()
                .map(|r| (r.source.as_str(), r.from_ts, r.to_ts, r.rows))
                .collect::<Vec<_>>(),
            vec![("a", 1, 2, 2), ("b", 3, 3, 1), ("a", 4, 4, 1)]
        );
    }

    #[test]
    fn utc_formats_like_bb_data() {
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_641_038_400_000), "2022-01-01 12:00:00");
    }

    #[test]
    fn unsorted_or_non_finite_candles_are_refused() {
        let mut c = Candles::default();
        c.push(60_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        c.push(120_000, 1.0, 1.0, 1.0, 1.0, f64::NAN);
        assert!(matches!(check_candles(&c), Err(StoreError::Invalid(m)) if m.contains("volume")));
        c.ts[1] = 60_000;
        assert!(matches!(check_candles(&c), Err(StoreError::Invalid(m)) if m.contains("sorted")));
    }
}
