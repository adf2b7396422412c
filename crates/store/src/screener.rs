//! The screener's alerts and users' screens (migration 0023).
//!
//! Alerts are written in batches, one transaction each, and every stored alert is published
//! on the bus as `screener.alert` (the alert itself, a few hundred bytes) so every process's
//! live streams see it. A built-in screen's alert belongs to no one (market data any signed-in
//! user may read); a block screen's alert belongs to the screen's owner. Listing pages by a
//! cursor over (trigger time, id), newest first, so a page never repeats or skips an alert
//! while new ones arrive.

use bb_screener::{Alert, AlertType};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::sql::{DynSql, col, col_bool, col_json};
use crate::{Db, StoreError};

/// The bus topic of stored alerts.
pub const ALERT_TOPIC: &str = "screener.alert";
/// The bus topic that says users' screens changed.
pub const SCREENS_TOPIC: &str = "screener.screens";
/// Screens a user may keep.
pub const MAX_SCREENS_PER_USER: i64 = 10;
/// Symbols one screen may watch.
pub const MAX_SYMBOLS_PER_SCREEN: usize = 50;
/// The largest page of alerts.
pub const MAX_PAGE: u32 = 500;

/// An alert to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewScreenerAlert {
    /// The block screen's owner; `None` for a built-in screen's alert.
    pub user_id: Option<String>,
    pub feed: String,
    pub alert: Alert,
}

/// A stored alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreenerAlert {
    pub id: String,
    /// The owner of the block screen that made it; absent for built-in screens.
    pub user_id: Option<String>,
    pub feed: String,
    /// When it was stored (Unix ms).
    pub created_at: i64,
    #[serde(flatten)]
    pub alert: Alert,
}

/// Which alerts to list (all optional; times are Unix ms, `until` exclusive).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertFilter {
    pub symbol: Option<String>,
    pub alert_type: Option<AlertType>,
    pub screen: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// A page of alerts and the cursor of the next one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertPage {
    pub items: Vec<ScreenerAlert>,
    /// Give it as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Counts over a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AlertStats {
    pub total: i64,
    /// (alert type, count), most first.
    pub by_type: Vec<(String, i64)>,
    /// (hour start in Unix ms, count), oldest first.
    pub by_hour: Vec<(i64, i64)>,
    /// (symbol, count), the ten most alerted.
    pub top_symbols: Vec<(String, i64)>,
}

/// A user's screen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Screen {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub symbols: Vec<String>,
    pub alert_types: Vec<AlertType>,
    /// A block screen: the strategy version whose entry condition fires it.
    pub strategy_id: Option<String>,
    pub version: Option<i64>,
    pub signal: Option<bb_screener::Signal>,
    pub notify: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a screen is made of (creating or replacing one).
#[derive(Clone, Debug, PartialEq)]
pub struct ScreenSpec {
    pub name: String,
    pub symbols: Vec<String>,
    pub alert_types: Vec<AlertType>,
    pub block: Option<(String, i64, bb_screener::Signal)>,
    pub notify: bool,
}

/// Alerts and screens.
#[derive(Debug, Clone, Copy)]
pub struct ScreenerStore<'a> {
    pub(crate) db: &'a Db,
}

const ALERT_COLUMNS: &str = "id, user_id, feed, body, created_at";
const SCREEN_COLUMNS: &str = "id, user_id, name, symbols, alert_types, strategy_id, version, signal, notify, created_at, updated_at";

fn alert_from_row(row: &AnyRow) -> Result<ScreenerAlert, StoreError> {
    let body = col_json(row, "body")?;
    let alert: Alert = serde_json::from_value(body)
        .map_err(|e| StoreError::Database(format!("a stored alert is unreadable: {e}")))?;
    Ok(ScreenerAlert {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        feed: col(row, "feed")?,
        created_at: col(row, "created_at")?,
        alert,
    })
}

fn screen_from_row(row: &AnyRow) -> Result<Screen, StoreError> {
    let signal: Option<String> = col(row, "signal")?;
    Ok(Screen {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        name: col(row, "name")?,
        symbols: serde_json::from_value(col_json(row, "symbols")?)
            .map_err(|e| StoreError::Database(format!("screen symbols: {e}")))?,
        alert_types: serde_json::from_value(col_json(row, "alert_types")?)
            .map_err(|e| StoreError::Database(format!("screen alert types: {e}")))?,
        strategy_id: col(row, "strategy_id")?,
        version: col(row, "version")?,
        signal: signal
            .map(|s| {
                bb_screener::Signal::parse(&s)
                    .ok_or_else(|| StoreError::Database(format!("screen signal: {s:?}")))
            })
            .transpose()?,
        notify: col_bool(row, "notify")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// The cursor of an alert: its trigger time and id.
fn cursor_of(alert: &ScreenerAlert) -> String {
    format!(
        "{}_{}",
        alert.alert.trigger_time.div_euclid(1_000_000),
        alert.id
    )
}

fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    let bad = || StoreError::Invalid("cursor: not a cursor this API gave".to_owned());
    let (time, id) = cursor.split_once('_').ok_or_else(bad)?;
    let time: i64 = time.parse().map_err(|_| bad())?;
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(bad());
    }
    Ok((time, id.to_owned()))
}

impl ScreenerStore<'_> {
    /// Stores alerts in one transaction and publishes each on [`ALERT_TOPIC`].
    pub async fn insert(
        &self,
        alerts: Vec<NewScreenerAlert>,
    ) -> Result<Vec<ScreenerAlert>, StoreError> {
        self.insert_notifying(alerts, |_| Vec::new()).await
    }

    /// Stores alerts and the notifications `notify` makes of each in one transaction (with
    /// their emails and webhook deliveries), then publishes the alerts on [`ALERT_TOPIC`] and
    /// announces the notifications.
    pub async fn insert_notifying(
        &self,
        alerts: Vec<NewScreenerAlert>,
        notify: impl Fn(&ScreenerAlert) -> Vec<crate::NewNotification>,
    ) -> Result<Vec<ScreenerAlert>, StoreError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut stored = Vec::with_capacity(alerts.len());
        let mut notified = Vec::new();
        let mut tx = self.db.pool.begin().await?;
        for new in alerts {
            let id = new_id();
            let body = serde_json::to_string(&new.alert)
                .map_err(|e| StoreError::Invalid(format!("alert not serialisable: {e}")))?;
            sqlx::query(
                "INSERT INTO screener_alerts (id, user_id, symbol, alert_type, screen, \
                 screen_version, trigger_time, feed, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(new.user_id.as_deref())
            .bind(&new.alert.symbol)
            .bind(new.alert.alert_type.as_str())
            .bind(&new.alert.screen)
            .bind(new.alert.screen_version)
            .bind(new.alert.trigger_time.div_euclid(1_000_000))
            .bind(&new.feed)
            .bind(&body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let alert = ScreenerAlert {
                id,
                user_id: new.user_id,
                feed: new.feed,
                created_at: now,
                alert: new.alert,
            };
            for note in notify(&alert) {
                notified.push(crate::notifications::insert(&mut tx, note).await?);
            }
            stored.push(alert);
        }
        tx.commit().await?;
        for alert in &stored {
            if let Ok(json) = serde_json::to_string(alert) {
                let _ = self.db.publish(ALERT_TOPIC, &json).await;
            }
        }
        for note in &notified {
            self.db.announce_notification(&note.user_id, &note.id).await;
        }
        Ok(stored)
    }

    /// One alert `viewer` may see.
    pub async fn alert(&self, viewer: &str, id: &str) -> Result<ScreenerAlert, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM screener_alerts WHERE id = $1 AND (user_id IS NULL OR user_id = $2)"
        )))
        .bind(id)
        .bind(viewer)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref()
            .map(alert_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The alerts `viewer` may see that match `filter`, newest first, `limit` at a time
    /// after `cursor`.
    pub async fn list(
        &self,
        viewer: &str,
        filter: &AlertFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<AlertPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut sql = DynSql::new(&format!(
            "SELECT {ALERT_COLUMNS} FROM screener_alerts WHERE (user_id IS NULL OR user_id = "
        ));
        sql.bind_text(viewer).push(")");
        where_filter(&mut sql, filter);
        if let Some(cursor) = cursor {
            let (time, id) = parse_cursor(cursor)?;
            sql.push(" AND (trigger_time < ")
                .bind_int(time)
                .push(" OR (trigger_time = ")
                .bind_int(time)
                .push(" AND id < ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY trigger_time DESC, id DESC LIMIT ")
            .bind_int(i64::from(limit) + 1);
        let rows = sql.query().fetch_all(&self.db.pool).await?;
        let mut items = rows
            .iter()
            .map(alert_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more {
            items.last().map(cursor_of)
        } else {
            None
        };
        Ok(AlertPage { items, next_cursor })
    }

    /// Counts of the alerts `viewer` may see in `filter`'s window, by type, hour and symbol.
    pub async fn stats(
        &self,
        viewer: &str,
        filter: &AlertFilter,
    ) -> Result<AlertStats, StoreError> {
        let base = |select: &str| {
            let mut sql = DynSql::new(&format!(
                "SELECT {select} FROM screener_alerts WHERE (user_id IS NULL OR user_id = "
            ));
            sql.bind_text(viewer).push(")");
            where_filter(&mut sql, filter);
            sql
        };
        let total: i64 = {
            let sql = base("COUNT(*) AS n");
            let row = sql.query().fetch_one(&self.db.pool).await?;
            col(&row, "n")?
        };
        let mut by_type = Vec::new();
        let mut sql = base("alert_type, COUNT(*) AS n");
        sql.push(" GROUP BY alert_type ORDER BY n DESC, alert_type");
        for row in sql.query().fetch_all(&self.db.pool).await? {
            by_type.push((col(&row, "alert_type")?, col(&row, "n")?));
        }
        let mut by_hour = Vec::new();
        let mut sql = base("trigger_time / 3600000 AS hour, COUNT(*) AS n");
        sql.push(" GROUP BY trigger_time / 3600000 ORDER BY hour");
        for row in sql.query().fetch_all(&self.db.pool).await? {
            let hour: i64 = col(&row, "hour")?;
            by_hour.push((hour * 3_600_000, col(&row, "n")?));
        }
        let mut top_symbols = Vec::new();
        let mut sql = base("symbol, COUNT(*) AS n");
        sql.push(" GROUP BY symbol ORDER BY n DESC, symbol LIMIT 10");
        for row in sql.query().fetch_all(&self.db.pool).await? {
            top_symbols.push((col(&row, "symbol")?, col(&row, "n")?));
        }
        Ok(AlertStats {
            total,
            by_type,
            by_hour,
            top_symbols,
        })
    }

    /// Symbols starting with `prefix` among the alerts `viewer` may see: (symbol, alerts,
    /// newest trigger time in Unix ms), most alerted first.
    pub async fn symbols(
        &self,
        viewer: &str,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT symbol, COUNT(*) AS n, MAX(trigger_time) AS last FROM screener_alerts \
             WHERE (user_id IS NULL OR user_id = $1) AND substr(symbol, 1, CAST($2 AS INTEGER)) = $3 \
             GROUP BY symbol ORDER BY n DESC, symbol LIMIT $4",
        )
        .bind(viewer)
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((col(row, "symbol")?, col(row, "n")?, col(row, "last")?)))
            .collect()
    }

    /// Deletes alerts stored before `before` (Unix ms), at most `limit` at a time; how many
    /// went.
    pub async fn prune(&self, before: i64, limit: u32) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM screener_alerts WHERE id IN \
             (SELECT id FROM screener_alerts WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// A user's screens, oldest first.
    pub async fn screens(&self, user_id: &str) -> Result<Vec<Screen>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCREEN_COLUMNS} FROM screener_screens WHERE user_id = $1 ORDER BY created_at, id"
        )))
        .bind(user_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(screen_from_row).collect()
    }

    /// Every user's screens (the running screener's watch list).
    pub async fn all_screens(&self) -> Result<Vec<Screen>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCREEN_COLUMNS} FROM screener_screens ORDER BY created_at, id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(screen_from_row).collect()
    }

    /// One of a user's screens (`NotFound` for another user's).
    pub async fn screen(&self, user_id: &str, id: &str) -> Result<Screen, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SCREEN_COLUMNS} FROM screener_screens WHERE id = $1 AND user_id = $2"
        )))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref()
            .map(screen_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Creates a screen, within [`MAX_SCREENS_PER_USER`] (counted under the user's row lock).
    pub async fn create_screen(
        &self,
        user_id: &str,
        spec: ScreenSpec,
    ) -> Result<Screen, StoreError> {
        let now = now_ms();
        let id = new_id();
        let mut tx = self.db.pool.begin().await?;
        // the write first: the user's row serialises concurrent creations
        crate::users::lock_user(&mut tx, user_id).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM screener_screens WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= MAX_SCREENS_PER_USER {
            return Err(StoreError::Conflict(format!(
                "you have {count} screens, the most one account may keep: delete one first"
            )));
        }
        let (strategy_id, version, signal) = split_block(&spec);
        sqlx::query(
            "INSERT INTO screener_screens (id, user_id, name, symbols, alert_types, strategy_id, \
             version, signal, notify, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(&spec.name)
        .bind(json(&spec.symbols))
        .bind(json(&spec.alert_types))
        .bind(strategy_id)
        .bind(version)
        .bind(signal)
        .bind(i64::from(spec.notify))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let _ = self.db.publish(SCREENS_TOPIC, user_id).await;
        self.screen(user_id, &id).await
    }

    /// Replaces a screen's settings.
    pub async fn update_screen(
        &self,
        user_id: &str,
        id: &str,
        spec: ScreenSpec,
    ) -> Result<Screen, StoreError> {
        let (strategy_id, version, signal) = split_block(&spec);
        let done = sqlx::query(
            "UPDATE screener_screens SET name = $1, symbols = $2, alert_types = $3, strategy_id = $4, \
             version = $5, signal = $6, notify = $7, updated_at = $8 WHERE id = $9 AND user_id = $10",
        )
        .bind(&spec.name)
        .bind(json(&spec.symbols))
        .bind(json(&spec.alert_types))
        .bind(strategy_id)
        .bind(version)
        .bind(signal)
        .bind(i64::from(spec.notify))
        .bind(now_ms())
        .bind(id)
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let _ = self.db.publish(SCREENS_TOPIC, user_id).await;
        self.screen(user_id, id).await
    }

    /// Deletes a screen (its alerts stay, under its id).
    pub async fn delete_screen(&self, user_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM screener_screens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let _ = self.db.publish(SCREENS_TOPIC, user_id).await;
        Ok(())
    }
}

fn split_block(spec: &ScreenSpec) -> (Option<String>, Option<i64>, Option<String>) {
    match &spec.block {
        Some((strategy, version, signal)) => (
            Some(strategy.clone()),
            Some(*version),
            Some(signal.as_str().to_owned()),
        ),
        None => (None, None, None),
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

fn where_filter(sql: &mut DynSql, filter: &AlertFilter) {
    if let Some(symbol) = &filter.symbol {
        sql.push(" AND symbol = ").bind_text(symbol.clone());
    }
    if let Some(kind) = filter.alert_type {
        sql.push(" AND alert_type = ").bind_text(kind.as_str());
    }
    if let Some(screen) = &filter.screen {
        sql.push(" AND screen = ").bind_text(screen.clone());
    }
    if let Some(since) = filter.since {
        sql.push(" AND trigger_time >= ").bind_int(since);
    }
    if let Some(until) = filter.until {
        sql.push(" AND trigger_time < ").bind_int(until);
    }
}
