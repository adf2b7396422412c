//! Paper runs (migration 0012): a strategy version trading forward, ticked by a schedule, with
//! an append-only ledger numbered per run.
//!
//! A tick is recorded by [`PaperRuns::record_tick`] in one transaction that advances the
//! run's last candle only from the value the tick started from and inserts the candle's
//! `tick` event under a unique (run, candle) index: a candle is processed once, however many
//! workers try, and a worker that died mid-tick left nothing behind. Every append is
//! published on the bus as `paper.<run id>`.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::plans::QuotaExceeded;
use crate::sql::{col, col_json};
use crate::{Db, StoreError};

/// The job kind that ticks a replay (its schedule's payload is `{"run_id": …}`).
pub const PAPER_TICK: &str = "paper_tick";
/// The job kind that ticks every live run of one market (its schedule's payload is
/// `{"dataset_id": …, "timeframe": …}`): one schedule, one job and one transaction a round.
pub const PAPER_MARKET_TICK: &str = "paper_market_tick";
/// The counter of runs not stopped, for `quota_exceeded`.
pub const PAPER_RUNS_METRIC: &str = "paper_runs";

/// The bus topic of a run's ledger.
pub fn paper_topic(run_id: &str) -> String {
    format!("paper.{run_id}")
}

/// What starts a paper run.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPaperRun {
    pub user_id: String,
    pub strategy_id: String,
    pub version: i64,
    pub dataset_id: String,
    pub symbol: String,
    pub timeframe: String,
    pub settings: serde_json::Value,
    /// `live` or `replay`.
    pub mode: String,
    pub start_ts: i64,
    /// JSON: the alert thresholds.
    pub alert_config: serde_json::Value,
    /// Between ticks (a candle's length live; a second in a replay).
    pub tick_every_ms: i64,
    /// When the first tick is due.
    pub first_tick_at: i64,
    /// Several markets from one cash balance (`None`: the one market of `dataset_id`).
    pub basket: Option<PaperBasket>,
}

/// The markets of a basket run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperBasket {
    /// The most one position may cost, % of the basket's equity.
    pub max_allocation_pct: f64,
    /// At least two, in the order their candles are processed at one time.
    pub members: Vec<PaperMember>,
}

/// One market of a basket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperMember {
    pub symbol: String,
    pub dataset_id: String,
}

/// A paper run, as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaperRun {
    pub id: String,
    pub user_id: String,
    pub strategy_id: String,
    pub version: i64,
    pub dataset_id: String,
    pub symbol: String,
    pub timeframe: String,
    pub settings: serde_json::Value,
    pub status: String,
    pub mode: String,
    pub start_ts: i64,
    pub last_candle_ts: Option<i64>,
    pub last_execution_at: Option<i64>,
    pub candles: i64,
    pub snapshot: Option<serde_json::Value>,
    pub alert_config: serde_json::Value,
    /// Alerts whose episode is under way.
    pub alerts_active: Vec<String>,
    pub schedule_id: Option<String>,
    pub stop_note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub stopped_at: Option<i64>,
    /// The basket's markets (`None`: one market).
    pub basket: Option<PaperBasket>,
}

/// An entry of a run's ledger.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaperEvent {
    pub run_id: String,
    pub seq: i64,
    /// `tick`, `fill`, `trade`, `status` or `note`.
    pub kind: String,
    pub candle_ts: Option<i64>,
    pub message: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// An entry to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPaperEvent {
    pub kind: &'static str,
    pub candle_ts: Option<i64>,
    pub message: String,
    pub payload: serde_json::Value,
}

/// What one processed candle changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub candle_ts: i64,
    /// The run's last candle before this one (the tick is refused if it moved meanwhile).
    pub previous: Option<i64>,
    /// Candles processed, this one included.
    pub candles: i64,
    pub snapshot: serde_json::Value,
    /// Alerts whose episode is under way after this candle.
    pub alerts_active: Vec<String>,
    /// The tick's own entry first, then fills, trades and notes.
    pub events: Vec<NewPaperEvent>,
}

const COLUMNS: &str = "id, user_id, strategy_id, version, dataset_id, symbol, timeframe, \
     settings, status, mode, start_ts, last_candle_ts, last_execution_at, candles, snapshot, \
     alert_config, alerts_active, schedule_id, stop_note, created_at, updated_at, stopped_at, \
     basket";

/// The paper runs repository (from [`Db::paper_runs`]).
#[derive(Debug, Clone, Copy)]
pub struct PaperRuns<'a> {
    pub(crate) db: &'a Db,
}

impl PaperRuns<'_> {
    /// Starts a run with its schedule and first ledger entry, in one transaction, unless the
    /// user already has `max_open` runs not stopped (`Ok(Err(..))`, nothing written).
    pub async fn create(
        &self,
        new: NewPaperRun,
        max_open: i64,
    ) -> Result<Result<PaperRun, QuotaExceeded>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        // Serialises this user's starts, so the count below is exact.
        let touched = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(&new.user_id)
            .execute(&mut *tx)
            .await?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::Invalid("user does not exist".into()));
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM paper_runs WHERE user_id = $1 AND status <> 'stopped'",
        )
        .bind(&new.user_id)
        .fetch_one(&mut *tx)
        .await?;
        if open >= max_open {
            return Ok(Err(QuotaExceeded {
                metric: PAPER_RUNS_METRIC.into(),
                period: "open".into(),
                limit: max_open,
                used: open,
                requested: 1,
            }));
        }
        let now = now_ms();
        let id = new_id();
        let schedule_id = if new.mode == "live" && new.basket.is_none() {
            // Live runs of one market tick together: one schedule per dataset and timeframe.
            let payload =
                serde_json::json!({ "dataset_id": new.dataset_id, "timeframe": new.timeframe });
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT id FROM schedules WHERE kind = $1 AND payload = $2 LIMIT 1",
            )
            .bind(PAPER_MARKET_TICK)
            .bind(payload.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some(id) => id,
                None => {
                    crate::jobs::insert_schedule_in(
                        &mut tx,
                        PAPER_MARKET_TICK,
                        &payload,
                        None,
                        new.tick_every_ms,
                        new.first_tick_at,
                    )
                    .await?
                }
            }
        } else {
            crate::jobs::insert_schedule_in(
                &mut tx,
                PAPER_TICK,
                &serde_json::json!({ "run_id": id }),
                Some(&new.user_id),
                new.tick_every_ms,
                new.first_tick_at,
            )
            .await?
        };
        sqlx::query(
            "INSERT INTO paper_runs (id, user_id, strategy_id, version, dataset_id, symbol, \
             timeframe, settings, status, mode, start_ts, candles, schedule_id, created_at, \
             updated_at, alert_config, basket) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             'scheduled', $9, $10, 0, $11, $12, $12, $13, $14)",
        )
        .bind(&id)
        .bind(&new.user_id)
        .bind(&new.strategy_id)
        .bind(new.version)
        .bind(&new.dataset_id)
        .bind(&new.symbol)
        .bind(&new.timeframe)
        .bind(new.settings.to_string())
        .bind(&new.mode)
        .bind(new.start_ts)
        .bind(&schedule_id)
        .bind(now)
        .bind(new.alert_config.to_string())
        .bind(
            new.basket
                .as_ref()
                .map(|b| serde_json::to_string(b).unwrap_or_default()),
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err(e, &[], "the strategy or dataset does not exist"))?;
        append_in(
            &mut tx,
            &id,
            &[NewPaperEvent {
                kind: "status",
                candle_ts: None,
                message: format!(
                    "Scheduled: {} {} from {}, version {}.",
                    new.symbol,
                    new.timeframe,
                    bb_domain::calendar::format_utc(new.start_ts),
                    new.version
                ),
                payload: serde_json::json!({ "status": "scheduled" }),
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        let run = self.get(&id).await?;
        let _ = self.db.publish(&paper_topic(&id), "status").await;
        Ok(Ok(run))
    }

    /// One run; `NotFound` if there is none.
    pub async fn get(&self, id: &str) -> Result<PaperRun, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM paper_runs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// A user's runs, newest first (at most `limit`).
    pub async fn list(&self, user_id: &str, limit: u32) -> Result<Vec<PaperRun>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM paper_runs WHERE user_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        )))
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Moves a run from one of `from` to `to` (its schedule enabled only while it may
    /// trade), with a ledger entry; `None` when its status was not one of `from`.
    pub async fn set_status(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        message: &str,
        stop_note: Option<&str>,
    ) -> Result<Option<PaperRun>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        let allowed = from
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE paper_runs SET status = $1, updated_at = $2, \
             stop_note = COALESCE($3, stop_note), \
             stopped_at = CASE WHEN $1 = 'stopped' THEN $2 ELSE stopped_at END \
             WHERE id = $4 AND status IN ({allowed})"
        )))
        .bind(to)
        .bind(now)
        .bind(stop_note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        // A replay's own schedule follows its status; a live run's is its market's, shared.
        let enabled = i64::from(to == "active" || to == "scheduled");
        sqlx::query(
            "UPDATE schedules SET enabled = $1, updated_at = $2 \
             WHERE id = (SELECT schedule_id FROM paper_runs WHERE id = $3 \
             AND (mode = 'replay' OR basket IS NOT NULL))",
        )
        .bind(enabled)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append_in(
            &mut tx,
            id,
            &[NewPaperEvent {
                kind: "status",
                candle_ts: None,
                message: message.to_owned(),
                payload: serde_json::json!({ "status": to, "note": stop_note }),
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        let _ = self.db.publish(&paper_topic(id), "status").await;
        Ok(Some(self.get(id).await?))
    }

    /// Records one processed candle: `false` (nothing written) when the run is not trading
    /// or its last candle is no longer `tick.previous` (another worker got there first), or
    /// the candle was recorded already.
    pub async fn record_tick(&self, id: &str, tick: &Tick) -> Result<bool, StoreError> {
        let done = self
            .record_ticks(&[(id.to_owned(), vec![tick.clone()])])
            .await?;
        Ok(done.first().copied().unwrap_or(0) == 1)
    }

    /// Records the processed candles of several runs in one transaction (a market's tick
    /// round): each run's ticks in order, a run's later ticks skipped once one is refused
    /// (see [`PaperRuns::record_tick`]). Returns how many ticks of each run were recorded.
    pub async fn record_ticks(
        &self,
        runs: &[(String, Vec<Tick>)],
    ) -> Result<Vec<usize>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        let mut recorded = Vec::with_capacity(runs.len());
        for (id, ticks) in runs {
            let mut n = 0;
            for tick in ticks {
                if !tick_in(&mut tx, id, tick, now).await? {
                    break;
                }
                n += 1;
            }
            recorded.push(n);
        }
        tx.commit().await?;
        for ((id, _), n) in runs.iter().zip(&recorded) {
            if *n > 0 {
                let _ = self.db.publish(&paper_topic(id), "tick").await;
            }
        }
        Ok(recorded)
    }

    /// The live runs trading `dataset_id` at `timeframe` that may trade now.
    pub async fn live_on(
        &self,
        dataset_id: &str,
        timeframe: &str,
    ) -> Result<Vec<PaperRun>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM paper_runs WHERE dataset_id = $1 AND timeframe = $2 \
             AND mode = 'live' AND basket IS NULL AND status IN ('scheduled', 'active') \
             ORDER BY id"
        )))
        .bind(dataset_id)
        .bind(timeframe)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Replaces a run's performance snapshot (when it stops: the closing trade counted).
    pub async fn set_snapshot(
        &self,
        id: &str,
        snapshot: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE paper_runs SET snapshot = $1, updated_at = $2 WHERE id = $3")
            .bind(snapshot.to_string())
            .bind(now_ms())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Replaces a run's alert thresholds.
    pub async fn set_alert_config(
        &self,
        id: &str,
        config: &serde_json::Value,
    ) -> Result<PaperRun, StoreError> {
        let done =
            sqlx::query("UPDATE paper_runs SET alert_config = $1, updated_at = $2 WHERE id = $3")
                .bind(config.to_string())
                .bind(now_ms())
                .bind(id)
                .execute(&self.db.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get(id).await
    }

    /// Records the alerts under way outside a tick (the stale-data check), with `events`.
    pub async fn set_alerts_active(
        &self,
        id: &str,
        active: &[String],
        events: &[NewPaperEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        sqlx::query("UPDATE paper_runs SET alerts_active = $1, updated_at = $2 WHERE id = $3")
            .bind(serde_json::to_string(active).unwrap_or_else(|_| "[]".into()))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, id, events, now).await?;
        tx.commit().await?;
        if !events.is_empty() {
            let _ = self.db.publish(&paper_topic(id), "note").await;
        }
        Ok(())
    }

    /// Appends entries outside a tick (a note), publishing them.
    pub async fn append(&self, id: &str, events: &[NewPaperEvent]) -> Result<(), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        append_in(&mut tx, id, events, now_ms()).await?;
        tx.commit().await?;
        let _ = self.db.publish(&paper_topic(id), "note").await;
        Ok(())
    }

    /// Ledger entries after `after`, oldest first, at most `limit`.
    pub async fn events(
        &self,
        id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PaperEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, seq, kind, candle_ts, message, payload, created_at FROM paper_events \
             WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The `tick` entries (one per processed candle) after `after`, oldest first, at most
    /// `limit`.
    pub async fn ticks(
        &self,
        id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PaperEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, seq, kind, candle_ts, message, payload, created_at FROM paper_events \
             WHERE run_id = $1 AND kind = 'tick' AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Equity at the close of each processed candle: `(candle open time, equity)`, the
    /// last `limit` of them.
    pub async fn equity(&self, id: &str, limit: u32) -> Result<Vec<(i64, f64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT candle_ts, payload FROM paper_events WHERE run_id = $1 AND kind = 'tick' \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows.iter().rev() {
            let ts: Option<i64> = col(row, "candle_ts")?;
            let payload: serde_json::Value = col_json(row, "payload")?;
            if let (Some(ts), Some(equity)) = (ts, payload["equity"].as_f64()) {
                out.push((ts, equity));
            }
        }
        Ok(out)
    }
}

/// One tick inside the caller's transaction: the run advanced from `tick.previous` and the
/// entries appended, or nothing (false) when the run moved on or stopped trading. The
/// conditional update comes first, so a refused tick writes nothing and cannot meet the
/// one-tick-per-candle index.
async fn tick_in(
    conn: &mut AnyConnection,
    id: &str,
    tick: &Tick,
    now: i64,
) -> Result<bool, StoreError> {
    let sql = match tick.previous {
        Some(_) => {
            "UPDATE paper_runs SET last_candle_ts = $1, candles = $2, snapshot = $3, \
             last_execution_at = $4, updated_at = $4, alerts_active = $7, \
             status = CASE WHEN status = 'scheduled' THEN 'active' ELSE status END \
             WHERE id = $5 AND status IN ('scheduled', 'active') AND last_candle_ts = $6"
        }
        // The same number of parameters as above: `$6` is bound to 0 and compared so.
        None => {
            "UPDATE paper_runs SET last_candle_ts = $1, candles = $2, snapshot = $3, \
             last_execution_at = $4, updated_at = $4, alerts_active = $7, \
             status = CASE WHEN status = 'scheduled' THEN 'active' ELSE status END \
             WHERE id = $5 AND status IN ('scheduled', 'active') \
             AND last_candle_ts IS NULL AND $6 = 0"
        }
    };
    let advanced = sqlx::query(sql)
        .bind(tick.candle_ts)
        .bind(tick.candles)
        .bind(tick.snapshot.to_string())
        .bind(now)
        .bind(id)
        .bind(tick.previous.unwrap_or(0))
        .bind(serde_json::to_string(&tick.alerts_active).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *conn)
        .await?;
    if advanced.rows_affected() == 0 {
        return Ok(false);
    }
    append_in(conn, id, &tick.events, now).await?;
    Ok(true)
}

/// Appends `events` to a run's ledger inside the caller's transaction, numbering them after
/// the last one. A second `tick` for the same candle is a `Conflict`.
async fn append_in(
    conn: &mut AnyConnection,
    id: &str,
    events: &[NewPaperEvent],
    now: i64,
) -> Result<(), StoreError> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM paper_events WHERE run_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let mut seq = last.unwrap_or(0);
    for e in events {
        seq += 1;
        sqlx::query(
            "INSERT INTO paper_events (run_id, seq, kind, candle_ts, message, payload, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(seq)
        .bind(e.kind)
        .bind(e.candle_ts)
        .bind(&e.message)
        .bind(e.payload.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            map_err(
                e,
                &[("candle_ts", "this candle was processed already")],
                "the run does not exist",
            )
        })?;
    }
    Ok(())
}

fn from_row(row: &AnyRow) -> Result<PaperRun, StoreError> {
    let snapshot: Option<String> = col(row, "snapshot")?;
    Ok(PaperRun {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        strategy_id: col(row, "strategy_id")?,
        version: col(row, "version")?,
        dataset_id: col(row, "dataset_id")?,
        symbol: col(row, "symbol")?,
        timeframe: col(row, "timeframe")?,
        settings: col_json(row, "settings")?,
        status: col(row, "status")?,
        mode: col(row, "mode")?,
        start_ts: col(row, "start_ts")?,
        last_candle_ts: col(row, "last_candle_ts")?,
        last_execution_at: col(row, "last_execution_at")?,
        candles: col(row, "candles")?,
        snapshot: snapshot
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| crate::error::corrupt("JSON in column snapshot", e))
            })
            .transpose()?,
        alert_config: col_json(row, "alert_config")?,
        alerts_active: serde_json::from_value(col_json(row, "alerts_active")?)
            .map_err(|e| crate::error::corrupt("JSON in column alerts_active", e))?,
        schedule_id: col(row, "schedule_id")?,
        stop_note: col(row, "stop_note")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        stopped_at: col(row, "stopped_at")?,
        basket: col::<Option<String>>(row, "basket")?
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| crate::error::corrupt("JSON in column basket", e))
            })
            .transpose()?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<PaperEvent, StoreError> {
    Ok(PaperEvent {
        run_id: col(row, "run_id")?,
        seq: col(row, "seq")?,
        kind: col(row, "kind")?,
        candle_ts: col(row, "candle_ts")?,
        message: col(row, "message")?,
        payload: col_json(row, "payload")?,
        created_at: col(row, "created_at")?,
    })
}
