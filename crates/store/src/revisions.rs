//! Candle revisions (migration 0013): the values a source's correction replaced, so what a
//! paper run or a backtest saw can be told apart from what is stored now.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::clock::new_id;
use crate::error::corrupt;
use crate::sql::col;
use crate::{CandleStore, StoreError};

/// A stored candle replaced by other values, as written by [`CandleStore::revise`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    /// Open time of the candle (Unix ms).
    pub ts: i64,
    /// `[open, high, low, close, volume]` before and after.
    pub before: [f64; 5],
    pub before_source: String,
    pub after: [f64; 5],
    pub source: String,
    pub revised_at: i64,
}

/// A revision about to be written (in the write's transaction).
pub(crate) struct NewRevision {
    pub ts: i64,
    pub before: [f64; 5],
    pub before_source: String,
    pub after: [f64; 5],
}

pub(crate) async fn insert(
    conn: &mut AnyConnection,
    dataset_id: &str,
    source: &str,
    revisions: &[NewRevision],
    at: i64,
) -> Result<(), StoreError> {
    for r in revisions {
        sqlx::query(
            "INSERT INTO candle_revisions (id, dataset_id, ts, before, before_source, after, \
             source, revised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(dataset_id)
        .bind(r.ts)
        .bind(values_text(&r.before))
        .bind(&r.before_source)
        .bind(values_text(&r.after))
        .bind(source)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn values_text(v: &[f64; 5]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn values(text: &str) -> Result<[f64; 5], StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("candle revision values", e))
}

impl CandleStore<'_> {
    /// The revisions of candles with open time in `[from, to)`, oldest candle first (and, for
    /// one candle, in the order they were made); at most `limit`.
    pub async fn revisions(
        &self,
        dataset_id: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<Revision>, StoreError> {
        let rows = sqlx::query(
            "SELECT ts, before, before_source, after, source, revised_at FROM candle_revisions \
             WHERE dataset_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, revised_at, id \
             LIMIT $4",
        )
        .bind(dataset_id)
        .bind(from)
        .bind(to)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Revision {
                    ts: col(r, "ts")?,
                    before: values(&col::<String>(r, "before")?)?,
                    before_source: col(r, "before_source")?,
                    after: values(&col::<String>(r, "after")?)?,
                    source: col(r, "source")?,
                    revised_at: col(r, "revised_at")?,
                })
            })
            .collect()
    }
}
