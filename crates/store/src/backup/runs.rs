//! The record of backups and restore drills (`backup_runs`), and the admins' alert.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::clock::new_id;
use crate::sql::col;
use crate::{Db, NewNotification, StoreError};

/// What a backup or a drill found: a backup's totals; a drill's totals restored, the
/// migrations it needed and the restored API's `/ready` answer. Empty for a failed run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackupDetail {
    pub tables: u64,
    pub rows: u64,
    /// The backup's files and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// The schema version the backup was taken at.
    pub schema_version: i64,
    /// A drill: the migrations run on the restored copy.
    pub migrated: Vec<String>,
    /// A drill: what the API on the restored copy answered `/ready` (`ready`).
    pub ready: Option<String>,
}

/// A backup or a drill, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackupRun {
    pub id: String,
    /// `backup` or `drill`.
    pub kind: String,
    /// `ok` or `failed`.
    pub status: String,
    pub backup_id: Option<String>,
    pub destination: String,
    pub detail: BackupDetail,
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
}

/// What to record.
#[derive(Clone, Debug)]
pub struct NewBackupRun {
    pub kind: &'static str,
    pub ok: bool,
    pub backup_id: Option<String>,
    pub destination: String,
    pub detail: BackupDetail,
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
}

const COLUMNS: &str =
    "id, kind, status, backup_id, destination, detail, error, started_at, finished_at";

fn from_row(row: &AnyRow) -> Result<BackupRun, StoreError> {
    Ok(BackupRun {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        status: col(row, "status")?,
        backup_id: col(row, "backup_id")?,
        destination: col(row, "destination")?,
        // A detail this build cannot read (written by a newer one) shows as empty.
        detail: serde_json::from_str(&col::<String>(row, "detail")?).unwrap_or_default(),
        error: col(row, "error")?,
        started_at: col(row, "started_at")?,
        finished_at: col(row, "finished_at")?,
    })
}

/// The notification kind admins get when a backup or a drill fails or is overdue.
pub const OPERATIONS_KIND: &str = "operations.backup";

impl Db {
    /// Records a backup or a drill.
    pub async fn record_backup_run(&self, new: NewBackupRun) -> Result<BackupRun, StoreError> {
        let run = BackupRun {
            id: new_id(),
            kind: new.kind.to_owned(),
            status: if new.ok { "ok" } else { "failed" }.to_owned(),
            backup_id: new.backup_id,
            destination: new.destination,
            detail: new.detail,
            error: new.error,
            started_at: new.started_at,
            finished_at: new.finished_at,
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO backup_runs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&run.id)
        .bind(&run.kind)
        .bind(&run.status)
        .bind(&run.backup_id)
        .bind(&run.destination)
        .bind(serde_json::to_string(&run.detail).map_err(|e| StoreError::Invalid(e.to_string()))?)
        .bind(&run.error)
        .bind(run.started_at)
        .bind(run.finished_at)
        .execute(&self.pool)
        .await?;
        Ok(run)
    }

    /// The latest run of `kind` (`backup` or `drill`), the latest successful one with
    /// `ok_only`.
    pub async fn last_backup_run(
        &self,
        kind: &str,
        ok_only: bool,
    ) -> Result<Option<BackupRun>, StoreError> {
        let filter = if ok_only { " AND status = 'ok'" } else { "" };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM backup_runs WHERE kind = $1{filter} \
             ORDER BY finished_at DESC, id DESC LIMIT 1"
        )))
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The latest runs, newest first (at most `limit`, at most 500).
    pub async fn backup_runs(&self, limit: i64) -> Result<Vec<BackupRun>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM backup_runs ORDER BY finished_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// When admins were last sent an [`OPERATIONS_KIND`] notification whose payload's
    /// `event` is `event` (e.g. `backup_overdue`), if ever.
    pub async fn last_admin_notice(&self, event: &str) -> Result<Option<i64>, StoreError> {
        let pattern = format!("%\"event\":\"{}\"%", event.replace(['%', '"'], ""));
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(created_at) FROM notifications WHERE kind = $1 AND payload LIKE $2",
        )
        .bind(OPERATIONS_KIND)
        .bind(pattern)
        .fetch_one(&self.pool)
        .await?;
        Ok(at)
    }

    /// Sends every active admin an [`OPERATIONS_KIND`] notification; returns how many got it.
    pub async fn notify_admins(
        &self,
        title: &str,
        body: &str,
        payload: serde_json::Value,
    ) -> Result<usize, StoreError> {
        let admins: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL \
             ORDER BY created_at LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?;
        for admin in &admins {
            self.notifications()
                .create(NewNotification {
                    user_id: admin.clone(),
                    kind: OPERATIONS_KIND.to_owned(),
                    title: title.to_owned(),
                    body: body.to_owned(),
                    link: Some("/admin/operations".to_owned()),
                    payload: payload.clone(),
                })
                .await?;
        }
        Ok(admins.len())
    }
}
