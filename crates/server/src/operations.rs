//! The operations jobs a deployment schedules for itself: the daily `retention` prune, and
//! when `BB_BACKUP_TO` is set the scheduled `backup` (with its restore drill) and the hourly
//! `backup_watch` that tells admins when backups are overdue. Each runs from a system
//! schedule (`system:<kind>`), so exactly one worker runs each occurrence however many
//! processes there are.

use std::time::Duration;

use anyhow::Result;
use bb_jobs::{BoxFuture, Handler, Handlers, JobContext, JobError};
use bb_store::{Db, Job};
use serde_json::{Value, json};

use crate::Config;
use crate::backup::{self, BACKUP_JOB, Schedule};

/// The job kind of the overdue check.
pub const BACKUP_WATCH_JOB: &str = "backup_watch";

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The product's job kinds plus the operations ones `config` asks for.
pub fn handlers(config: &Config) -> Result<Handlers> {
    let mut handlers = Handlers::default().with(
        bb_jobs::RETENTION,
        bb_jobs::Prune(config.retention_policy()),
    );
    if let Some(schedule) = Schedule::from_config(config)? {
        handlers = handlers
            .with(BACKUP_JOB, ScheduledBackup(schedule.clone()))
            .with(BACKUP_WATCH_JOB, BackupWatch(schedule));
    }
    Ok(handlers)
}

/// Creates (once) or updates the system schedules: retention daily at 03:00 UTC, backups
/// every `BB_BACKUP_EVERY` from five minutes (or one interval, if shorter) after the first
/// start, the watch hourly.
pub async fn ensure_schedules(db: &Db, config: &Config) -> Result<()> {
    let now = bb_store::now_ms();
    let three_am = now - now.rem_euclid(DAY_MS) + 3 * HOUR_MS;
    let next_three_am = if three_am > now {
        three_am
    } else {
        three_am + DAY_MS
    };
    db.schedules()
        .ensure_system(bb_jobs::RETENTION, DAY_MS, next_three_am)
        .await?;
    if let Some(schedule) = Schedule::from_config(config)? {
        db.schedules()
            .ensure_system(
                BACKUP_JOB,
                schedule.every_ms(),
                now + schedule.every_ms().min(5 * 60_000),
            )
            .await?;
        db.schedules()
            .ensure_system(BACKUP_WATCH_JOB, HOUR_MS, now + HOUR_MS)
            .await?;
    }
    Ok(())
}

/// The `backup` job: [`backup::scheduled`].
#[derive(Debug)]
struct ScheduledBackup(Schedule);

impl Handler for ScheduledBackup {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        _job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            // A failure is recorded and the admins told; another attempt would only repeat
            // the alert before the next scheduled run.
            backup::scheduled(cx.db(), &self.0)
                .await
                .map_err(|e| JobError::Permanent(format!("{e:#}")))
        })
    }
}

/// The `backup_watch` job: [`backup::check_overdue`].
#[derive(Debug)]
struct BackupWatch(Schedule);

impl Handler for BackupWatch {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        _job: &'a Job,
    ) -> BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(async move {
            let told = backup::check_overdue(cx.db(), &self.0, cx.clock().now_ms())
                .await
                .map_err(|e| JobError::Transient(format!("{e:#}")))?;
            Ok(json!({ "overdue_notified": told }))
        })
    }
}

/// The `bb_backup_*` gauges `/metrics` appends, read from this deployment's database (not
/// the process-wide recorder, so each database reports its own): the age of the last good
/// backup, whether the last backup and the last drill passed, and when they ran. Nothing
/// when there has been no backup.
pub async fn backup_metrics(db: &Db) -> Result<String> {
    use std::fmt::Write;
    let now = bb_store::now_ms();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    if let Some(run) = db.last_backup_run("backup", true).await? {
        let age = Duration::from_millis(u64::try_from(now - run.finished_at).unwrap_or(0));
        gauge(
            "bb_backup_last_success_age_seconds",
            "Seconds since the last good backup finished.",
            age.as_secs_f64(),
        );
        gauge(
            "bb_backup_last_success_timestamp_seconds",
            "When the last good backup finished (Unix time).",
            run.finished_at as f64 / 1000.0,
        );
    }
    if let Some(run) = db.last_backup_run("backup", false).await? {
        gauge(
            "bb_backup_last_ok",
            "1 when the last backup succeeded, 0 when it failed.",
            f64::from(u8::from(run.status == "ok")),
        );
    }
    if let Some(run) = db.last_backup_run("drill", false).await? {
        gauge(
            "bb_backup_last_drill_ok",
            "1 when the last restore drill passed, 0 when it failed.",
            f64::from(u8::from(run.status == "ok")),
        );
        gauge(
            "bb_backup_last_drill_timestamp_seconds",
            "When the last restore drill finished (Unix time).",
            run.finished_at as f64 / 1000.0,
        );
    }
    Ok(out)
}
