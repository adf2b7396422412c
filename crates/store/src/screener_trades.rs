//! Trades watched from screener alerts (migration 0023): entered at a price, closed by the
//! first live trade at or beyond the stop loss or the take profit. Closing is guarded by
//! "still open", so a trade closes once however many feeds see the price, and the closing
//! and its notification are one transaction.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::sql::{col, col_json};
use crate::{Db, NewNotification, StoreError};

/// The bus topic that says watched trades changed.
pub const TRADES_TOPIC: &str = "screener.trades";
/// Open watched trades a user may keep.
pub const MAX_OPEN_TRADES_PER_USER: i64 = 20;

/// Long or short.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeSide {
    Long,
    Short,
}

impl TradeSide {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeSide::Long => "long",
            TradeSide::Short => "short",
        }
    }

    pub fn parse(text: &str) -> Option<TradeSide> {
        match text {
            "long" => Some(TradeSide::Long),
            "short" => Some(TradeSide::Short),
            _ => None,
        }
    }
}

/// A trade's price levels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeLevels {
    pub entry: f64,
    pub stop_loss: f64,
    pub take_profit: f64,
}

/// The trade that closed a watched trade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TradeOutcome {
    pub price: f64,
    /// Its time at the venue (ns).
    pub time_ns: i64,
}

/// A watched trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatchedTrade {
    pub id: String,
    pub user_id: String,
    pub alert_id: Option<String>,
    pub symbol: String,
    pub side: TradeSide,
    pub levels: TradeLevels,
    /// `open`, `stopped`, `target` or `cancelled`.
    pub status: String,
    pub outcome: Option<TradeOutcome>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl WatchedTrade {
    /// `stopped` or `target` when a trade at `price` closes it.
    pub fn hit(&self, price: f64) -> Option<&'static str> {
        let l = &self.levels;
        match self.side {
            TradeSide::Long if price <= l.stop_loss => Some("stopped"),
            TradeSide::Long if price >= l.take_profit => Some("target"),
            TradeSide::Short if price >= l.stop_loss => Some("stopped"),
            TradeSide::Short if price <= l.take_profit => Some("target"),
            _ => None,
        }
    }
}

/// Watched trades.
#[derive(Debug, Clone, Copy)]
pub struct ScreenerTrades<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str =
    "id, user_id, alert_id, symbol, side, levels, status, outcome, created_at, closed_at";

fn from_row(row: &AnyRow) -> Result<WatchedTrade, StoreError> {
    let bad = |what: &str, e: serde_json::Error| {
        StoreError::Database(format!("a watched trade's {what}: {e}"))
    };
    let side: String = col(row, "side")?;
    let outcome: Option<String> = col(row, "outcome")?;
    Ok(WatchedTrade {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        alert_id: col(row, "alert_id")?,
        symbol: col(row, "symbol")?,
        side: TradeSide::parse(&side)
            .ok_or_else(|| StoreError::Database(format!("a watched trade's side: {side:?}")))?,
        levels: serde_json::from_value(col_json(row, "levels")?).map_err(|e| bad("levels", e))?,
        status: col(row, "status")?,
        outcome: outcome
            .map(|o| serde_json::from_str(&o))
            .transpose()
            .map_err(|e| bad("outcome", e))?,
        created_at: col(row, "created_at")?,
        closed_at: col(row, "closed_at")?,
    })
}

impl ScreenerTrades<'_> {
    /// Starts watching a trade, within [`MAX_OPEN_TRADES_PER_USER`] open ones.
    pub async fn open(
        &self,
        user_id: &str,
        alert_id: Option<&str>,
        symbol: &str,
        side: TradeSide,
        levels: TradeLevels,
    ) -> Result<WatchedTrade, StoreError> {
        let id = new_id();
        let mut tx = self.db.pool.begin().await?;
        crate::users::lock_user(&mut tx, user_id).await?;
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM screener_trades WHERE user_id = $1 AND status = 'open'",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        if open >= MAX_OPEN_TRADES_PER_USER {
            return Err(StoreError::Conflict(format!(
                "you watch {open} open trades, the most one account may: cancel one first"
            )));
        }
        sqlx::query(
            "INSERT INTO screener_trades (id, user_id, alert_id, symbol, side, levels, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(alert_id)
        .bind(symbol)
        .bind(side.as_str())
        .bind(serde_json::to_string(&levels).unwrap_or_default())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let _ = self.db.publish(TRADES_TOPIC, user_id).await;
        self.get(user_id, &id).await
    }

    pub async fn get(&self, user_id: &str, id: &str) -> Result<WatchedTrade, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM screener_trades WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref()
            .map(from_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// A user's watched trades, newest first (at most 100).
    pub async fn list(&self, user_id: &str) -> Result<Vec<WatchedTrade>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM screener_trades WHERE user_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 100"
        )))
        .bind(user_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Every open watched trade (the running screener's list).
    pub async fn all_open(&self) -> Result<Vec<WatchedTrade>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM screener_trades WHERE status = 'open' ORDER BY created_at, id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Cancels an open trade of the user's.
    pub async fn cancel(&self, user_id: &str, id: &str) -> Result<WatchedTrade, StoreError> {
        let done = sqlx::query(
            "UPDATE screener_trades SET status = 'cancelled', closed_at = $1 \
             WHERE id = $2 AND user_id = $3 AND status = 'open'",
        )
        .bind(now_ms())
        .bind(id)
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        let trade = self.get(user_id, id).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "the trade is {} already",
                trade.status
            )));
        }
        let _ = self.db.publish(TRADES_TOPIC, user_id).await;
        Ok(trade)
    }

    /// Closes an open trade as `status` at `outcome` with `notification`, once: `false` when it
    /// was no longer open.
    pub async fn close(
        &self,
        id: &str,
        status: &str,
        outcome: TradeOutcome,
        notification: NewNotification,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE screener_trades SET status = $1, outcome = $2, closed_at = $3 \
             WHERE id = $4 AND status = 'open'",
        )
        .bind(status)
        .bind(serde_json::to_string(&outcome).unwrap_or_default())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let note = crate::notifications::insert(&mut tx, notification).await?;
        tx.commit().await?;
        self.db.announce_notification(&note.user_id, &note.id).await;
        let _ = self.db.publish(TRADES_TOPIC, &note.user_id).await;
        Ok(true)
    }
}
