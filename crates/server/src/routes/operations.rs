//! What operators need to see without a shell: the backup schedule and the latest backups
//! and restore drills (`GET /api/v1/admin/backups`, admins with two-factor sign-in on).

use crate::auth::extractor::AdminUser;
use crate::backup::{BACKUP_JOB, Schedule};
use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(backups))
}

/// How many runs the page shows.
const RUNS_SHOWN: i64 = 50;

/// The scheduled backup as configured (`BB_BACKUP_*`).
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupScheduleView {
    /// Where backups go, without secrets.
    pub destination: String,
    pub every_seconds: u64,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    /// Whether each backup is followed by a restore drill.
    pub drill: bool,
    /// When the next one is due (Unix ms); `null` before the schedule exists.
    pub next_run_at: Option<i64>,
    /// `false` while an operator has paused the schedule.
    pub enabled: bool,
}

/// A backup or a restore drill, as recorded (scheduled, or `blockbuilders backup`).
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupRunView {
    pub id: String,
    /// `backup` or `drill`.
    pub kind: String,
    /// `ok` or `failed`.
    pub status: String,
    pub backup_id: Option<String>,
    pub destination: String,
    /// What it found (empty when it failed).
    pub detail: BackupDetailView,
    /// Why it failed.
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
}

/// A backup's totals; a drill's totals restored, the migrations it needed and the restored
/// API's `/ready` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupDetailView {
    pub tables: u64,
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
    /// The schema version the backup was taken at.
    pub schema_version: i64,
    /// A drill: the migrations run on the restored copy.
    pub migrated: Vec<String>,
    /// A drill: what the API on the restored copy answered `/ready`.
    pub ready: Option<String>,
}

impl From<bb_store::BackupDetail> for BackupDetailView {
    fn from(d: bb_store::BackupDetail) -> Self {
        BackupDetailView {
            tables: d.tables,
            rows: d.rows,
            files: d.files,
            bytes: d.bytes,
            schema_version: d.schema_version,
            migrated: d.migrated,
            ready: d.ready,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupsView {
    /// `null` when scheduled backups are off (`BB_BACKUP_TO` unset in this process).
    pub schedule: Option<BackupScheduleView>,
    /// When the last good backup finished (Unix ms), if ever.
    pub last_success_at: Option<i64>,
    /// Whether the last drill passed; `null` before the first.
    pub last_drill_ok: Option<bool>,
    /// The latest runs, newest first (at most 50).
    pub runs: Vec<BackupRunView>,
}

/// The backup schedule and the latest backups and restore drills (admins with two-factor
/// sign-in on).
#[utoipa::path(
    get,
    path = "/api/v1/admin/backups",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = BackupsView),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The caller is not an admin (`forbidden`), or has not turned on two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
    )
)]
async fn backups(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<BackupsView>, ApiError> {
    let db = state.db();
    let schedule = match Schedule::from_config(state.config()) {
        Ok(Some(s)) => {
            let stored = db
                .schedules()
                .get(&bb_store::system_schedule_id(BACKUP_JOB))
                .await
                .ok();
            Some(BackupScheduleView {
                destination: s.dest.location().to_owned(),
                every_seconds: s.every.as_secs(),
                keep_daily: s.keep_daily,
                keep_weekly: s.keep_weekly,
                drill: s.drill,
                next_run_at: stored.as_ref().map(|s| s.next_run_at),
                enabled: stored.is_none_or(|s| s.enabled),
            })
        }
        Ok(None) => None,
        Err(e) => return Err(ApiError::Internal(format!("{e:#}"))),
    };
    let last_success_at = db
        .last_backup_run("backup", true)
        .await?
        .map(|r| r.finished_at);
    let last_drill_ok = db
        .last_backup_run("drill", false)
        .await?
        .map(|r| r.status == "ok");
    let runs = db
        .backup_runs(RUNS_SHOWN)
        .await?
        .into_iter()
        .map(|r| BackupRunView {
            id: r.id,
            kind: r.kind,
            status: r.status,
            backup_id: r.backup_id,
            destination: r.destination,
            detail: r.detail.into(),
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
        .collect();
    Ok(Json(BackupsView {
        schedule,
        last_success_at,
        last_drill_ok,
        runs,
    }))
}
