//! Backups of the whole database to a destination, and the way back: `blockbuilders backup`,
//! `backup verify`, `backup list`, `restore`, and the scheduled `backup` job with its
//! restore drill.
//!
//! A destination is a directory or object storage (`s3://bucket/prefix`, with the
//! `BB_OBJECT_STORE_*` settings audit packages use). A backup is the store's backup
//! directory ([`bb_store::Db::backup_to_dir`]: an online consistent snapshot and its
//! manifest) uploaded under `<id>/`, files first and `manifest.json` last, written only if
//! absent: a backup without a manifest is incomplete and never restored. The erasure ledger
//! is kept beside them as one empty object per subject under `erasures/`, so a restore of an
//! older backup erases again everyone who left since.
//!
//! Verify fetches a backup, checks every file's SHA-256, restores it into a scratch SQLite
//! database (the manifest's row counts and content hashes are checked before the restore
//! commits) and migrates it forward. The drill does the same and then boots the API on the
//! restored copy and asks it `/ready` over HTTP.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bb_objects::Objects;
use bb_store::backup::{self, MANIFEST, Manifest};
use bb_store::{BackupDetail, Db, NewBackupRun, RestoreOptions, RestoreReport, now_ms};
use serde::Serialize;
use serde_json::{Value, json};

use crate::Config;

/// The prefix of the erasure ledger's objects.
const ERASURES: &str = "erasures";

/// Where backups go.
#[derive(Clone, Debug)]
pub struct Destination {
    objects: Objects,
}

impl Destination {
    /// A directory (a path or `file:///dir`) or `s3://bucket[/prefix]` (then the object
    /// store settings of `config` apply: endpoint, region, keys).
    pub fn open(to: &str, config: &Config) -> Result<Destination> {
        let to = to.trim();
        if to.is_empty() {
            bail!("a backup destination is a directory or s3://bucket[/prefix], not empty");
        }
        let options = if to.starts_with("s3://") {
            config.object_store_pairs()
        } else {
            Vec::new()
        };
        let objects = Objects::from_config(Some(to), &options)
            .with_context(|| format!("opening the backup destination {to}"))?;
        Ok(Destination { objects })
    }

    /// Where it points, without secrets.
    pub fn location(&self) -> &str {
        self.objects.location()
    }
}

/// A complete backup at a destination.
#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    pub id: String,
    pub manifest: Manifest,
}

/// Backs `db` up to `dest` while it keeps serving; returns the manifest stored.
pub async fn backup(db: &Db, dest: &Destination) -> Result<Manifest> {
    check_schema(db).await?;
    let id = backup::new_backup_id(now_ms());
    let stage = tempfile::tempdir().context("creating a staging directory")?;
    let dir = stage.path().join(&id);
    let manifest = db
        .backup_to_dir(&dir, &id)
        .await
        .context("taking the snapshot")?;
    for file in &manifest.files {
        let key = format!("{id}/{}", file.path);
        let stored = dest
            .objects
            .put_file(&key, &dir.join(&file.path))
            .await
            .with_context(|| format!("uploading {key} to {}", dest.location()))?;
        if stored.sha256 != file.sha256 || stored.bytes != file.bytes {
            bail!("{key} changed while it was uploaded; the backup is left incomplete");
        }
    }
    let text = std::fs::read(dir.join(MANIFEST)).context("reading the manifest")?;
    dest.objects
        .put_new(&format!("{id}/{MANIFEST}"), text.into())
        .await
        .with_context(|| format!("writing {id}/{MANIFEST} to {}", dest.location()))?;
    save_erasures(db, dest).await?;
    Ok(manifest)
}

/// Refuses a database no migration was ever applied to (a mistyped URL makes an empty one).
async fn check_schema(db: &Db) -> Result<()> {
    if db.pending_migrations().await? == bb_store::MIGRATIONS.len() {
        bail!(
            "{} holds no Blockbuilders database (no migration was ever applied): check the \
             database URL",
            db.redacted_url()
        );
    }
    Ok(())
}

/// Adds every subject of the database's erasure ledger to the destination's.
async fn save_erasures(db: &Db, dest: &Destination) -> Result<()> {
    let have: BTreeSet<String> = dest
        .objects
        .list(ERASURES)
        .await?
        .into_iter()
        .map(|o| o.key)
        .collect();
    for subject in db.erasure_subjects().await? {
        let key = format!("{ERASURES}/{subject}");
        if !have.contains(&key) {
            dest.objects.put(&key, Vec::new().into()).await?;
        }
    }
    Ok(())
}

/// Records that a user was erased at the destination too (called when a user is erased
/// and backups are configured), so even a backup taken before it cannot bring them back.
pub async fn record_erasure(dest: &Destination, subject: &str) -> Result<()> {
    dest.objects
        .put(&format!("{ERASURES}/{subject}"), Vec::new().into())
        .await?;
    Ok(())
}

/// Every complete backup at `dest`, oldest first (by when each finished). A manifest that cannot be read is an error
/// naming it.
pub async fn list(dest: &Destination) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for object in dest.objects.list("").await? {
        let Some(id) = object.key.strip_suffix(&format!("/{MANIFEST}")) else {
            continue;
        };
        if id.contains('/') {
            continue;
        }
        let bytes = dest
            .objects
            .get(&object.key)
            .await?
            .ok_or_else(|| anyhow!("{} vanished while listing", object.key))?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a backup manifest", object.key))?;
        out.push(Listed {
            id: id.to_owned(),
            manifest,
        });
    }
    out.sort_by(|a, b| (a.manifest.finished_at, &a.id).cmp(&(b.manifest.finished_at, &b.id)));
    Ok(out)
}

/// Downloads backup `id` (the newest when `None`) into `into` and checks every file against
/// the manifest; returns the manifest.
pub async fn fetch(dest: &Destination, id: Option<&str>, into: &Path) -> Result<Manifest> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => {
            list(dest)
                .await?
                .pop()
                .ok_or_else(|| anyhow!("there is no complete backup at {}", dest.location()))?
                .id
        }
    };
    std::fs::create_dir_all(into).with_context(|| format!("creating {}", into.display()))?;
    let key = format!("{id}/{MANIFEST}");
    if dest
        .objects
        .get_to_file(&key, &into.join(MANIFEST))
        .await?
        .is_none()
    {
        bail!(
            "there is no backup {id} at {} (or it is incomplete: no manifest)",
            dest.location()
        );
    }
    let manifest = backup::read_manifest(into)?;
    if manifest.id != id {
        bail!(
            "{key} names backup {:?}: the manifest was moved or edited",
            manifest.id
        );
    }
    for file in &manifest.files {
        let path = safe_join(into, &file.path)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let key = format!("{id}/{}", file.path);
        if dest.objects.get_to_file(&key, &path).await?.is_none() {
            bail!("{key} is missing: the backup is damaged");
        }
    }
    backup::check_files(into, &manifest)?;
    Ok(manifest)
}

/// `dir/rel` for a relative path of plain segments (a manifest names its files so).
fn safe_join(dir: &Path, rel: &str) -> Result<PathBuf> {
    let ok = !rel.is_empty()
        && rel.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        });
    if !ok {
        bail!("the manifest names a file {rel:?} outside the backup");
    }
    Ok(dir.join(rel))
}

/// Restores backup `id` (the newest when `None`) from `dest` into `target` (empty unless
/// `force`), migrates it forward and erases again everyone in the erasure ledgers (the
/// destination's and the backup's). Returns the report and how many users were erased again.
pub async fn restore(
    dest: &Destination,
    id: Option<&str>,
    target: &Db,
    force: bool,
) -> Result<(RestoreReport, usize)> {
    let stage = tempfile::tempdir().context("creating a staging directory")?;
    fetch(dest, id, stage.path()).await?;
    let report = target
        .restore_from_dir(stage.path(), RestoreOptions { force })
        .await?;
    let mut subjects: BTreeSet<String> = target.erasure_subjects().await?.into_iter().collect();
    for object in dest.objects.list(ERASURES).await? {
        if let Some(subject) = object.key.rsplit('/').next() {
            subjects.insert(subject.to_owned());
        }
    }
    let subjects: Vec<String> = subjects.into_iter().collect();
    let erased = target.reapply_erasures(&subjects).await?;
    Ok((report, erased))
}

/// What `verify` (and the drill) found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub backup_id: String,
    /// The engine the backup was taken on.
    pub engine: String,
    pub taken_at: i64,
    pub schema_version: i64,
    pub files: usize,
    pub bytes: u64,
    pub tables: usize,
    pub rows: u64,
    /// Migrations applied to bring it to this build's schema.
    pub migrated: Vec<String>,
    /// The API's `/ready` status on the restored copy (a drill only).
    pub ready: Option<String>,
}

impl VerifyReport {
    /// What a drill records.
    fn detail(&self) -> BackupDetail {
        BackupDetail {
            tables: self.tables as u64,
            rows: self.rows,
            files: self.files as u64,
            bytes: self.bytes,
            schema_version: self.schema_version,
            migrated: self.migrated.clone(),
            ready: self.ready.clone(),
        }
    }
}

/// Restores backup `id` (the newest when `None`) into a scratch SQLite database; with
/// `boot`, then serves the API on it and asks `/ready`.
pub async fn verify(dest: &Destination, id: Option<&str>, boot: bool) -> Result<VerifyReport> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let files = scratch.path().join("backup");
    let manifest = fetch(dest, id, &files).await?;
    let url = format!("sqlite://{}", scratch.path().join("restored.db").display());
    let db = Db::connect(&url)
        .await
        .context("creating the scratch database")?;
    let restored = db
        .restore_from_dir(&files, RestoreOptions::default())
        .await
        .context("restoring into the scratch database")?;
    let ready = if boot {
        Some(boot_and_ask_ready(db.clone(), &url).await?)
    } else {
        None
    };
    db.close().await;
    Ok(VerifyReport {
        backup_id: manifest.id.clone(),
        engine: manifest.engine.clone(),
        taken_at: manifest.finished_at,
        schema_version: manifest.schema_version,
        files: manifest.files.len(),
        bytes: manifest.total_bytes(),
        tables: restored.tables,
        rows: restored.rows,
        migrated: restored.migrated,
        ready,
    })
}

/// Serves the API (no workers) on `db` at a free loopback port and asks `GET /ready`;
/// `ready` or an error with what it answered.
async fn boot_and_ask_ready(db: Db, url: &str) -> Result<String> {
    let mut config = Config::new(url);
    config.no_workers = true;
    config.jwt_secret = Some(crate::Secret::new(uuid::Uuid::new_v4().to_string()));
    let state = crate::AppState::new(db, config).context("building the API on the copy")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::run(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let answer = client.get(format!("http://{addr}/ready")).send().await;
    let _ = stop.send(());
    let _ = server.await;
    let response = answer.context("asking the restored API /ready")?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("the API on the restored copy answered /ready with {status}: {body}");
    }
    Ok(body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("ready")
        .to_owned())
}

/// Which backups a keep-count keeps: the newest of each of the last `daily` UTC days that
/// have one, the newest of each of the last `weekly` ISO weeks (Monday to Sunday) that have
/// one, and always the newest of all. `listed` oldest first; returns the ids to delete.
pub fn to_prune(listed: &[Listed], daily: u32, weekly: u32) -> Vec<String> {
    const DAY: i64 = 86_400_000;
    let mut keep = BTreeSet::new();
    let mut days = BTreeSet::new();
    let mut weeks = BTreeSet::new();
    for (i, b) in listed.iter().enumerate().rev() {
        let day = b.manifest.finished_at.div_euclid(DAY);
        // 1970-01-01 was a Thursday: shift so weeks start on Monday.
        let week = (day + 3).div_euclid(7);
        if i + 1 == listed.len() {
            keep.insert(b.id.clone());
        }
        if !days.contains(&day) && days.len() < daily as usize {
            days.insert(day);
            keep.insert(b.id.clone());
        }
        if !weeks.contains(&week) && weeks.len() < weekly as usize {
            weeks.insert(week);
            keep.insert(b.id.clone());
        }
    }
    listed
        .iter()
        .filter(|b| !keep.contains(&b.id))
        .map(|b| b.id.clone())
        .collect()
}

/// Deletes the backups the keep-count does not keep (each manifest first, so a backup half
/// deleted is incomplete, never damaged) and the files of backups left incomplete over a day
/// ago. Returns the ids deleted.
pub async fn prune(dest: &Destination, daily: u32, weekly: u32) -> Result<Vec<String>> {
    let listed = list(dest).await?;
    let gone = to_prune(&listed, daily, weekly);
    for id in &gone {
        dest.objects.delete(&format!("{id}/{MANIFEST}")).await?;
    }
    let complete: BTreeSet<&str> = listed
        .iter()
        .map(|b| b.id.as_str())
        .filter(|id| !gone.iter().any(|g| g == id))
        .collect();
    let stale = now_ms() - 86_400_000;
    for object in dest.objects.list("").await? {
        let Some((id, _)) = object.key.split_once('/') else {
            continue;
        };
        if id == ERASURES || complete.contains(id) {
            continue;
        }
        if gone.iter().any(|g| g == id) || object.last_modified_ms < stale {
            dest.objects.delete(&object.key).await?;
        }
    }
    Ok(gone)
}

/// The scheduled backup: configuration read from `BB_BACKUP_*`.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub dest: Destination,
    pub every: Duration,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub drill: bool,
}

impl Schedule {
    /// The schedule `config` asks for; `None` when `BB_BACKUP_TO` is unset.
    pub fn from_config(config: &Config) -> Result<Option<Schedule>> {
        let Some(to) = config.backup_to.as_deref() else {
            return Ok(None);
        };
        if config.backup_every < Duration::from_secs(60) {
            bail!("BB_BACKUP_EVERY must be at least 1m");
        }
        Ok(Some(Schedule {
            dest: Destination::open(to, config)?,
            every: config.backup_every,
            keep_daily: config.backup_keep_daily,
            keep_weekly: config.backup_keep_weekly,
            drill: !config.backup_no_drill,
        }))
    }

    /// The interval in milliseconds.
    pub fn every_ms(&self) -> i64 {
        i64::try_from(self.every.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The job kind of the scheduled backup (and its system schedule's).
pub const BACKUP_JOB: &str = "backup";

/// Backs up and records it (`backup_runs`, which the metrics and the overdue check read):
/// what `blockbuilders backup` and the scheduled job do. A failure is recorded and every
/// admin is told.
pub async fn recorded(db: &Db, dest: &Destination) -> Result<Manifest> {
    // Nowhere to record into: refused before anything is written.
    check_schema(db).await?;
    let started = now_ms();
    let destination = dest.location().to_owned();
    let manifest = match backup(db, dest).await {
        Ok(m) => m,
        Err(e) => {
            let error = format!("{e:#}");
            fail(db, "backup", None, &destination, &error, started).await;
            return Err(e);
        }
    };
    db.record_backup_run(NewBackupRun {
        kind: "backup",
        ok: true,
        backup_id: Some(manifest.id.clone()),
        destination,
        detail: BackupDetail {
            tables: manifest.tables.len() as u64,
            rows: manifest.total_rows(),
            files: manifest.files.len() as u64,
            bytes: manifest.total_bytes(),
            schema_version: manifest.schema_version,
            ..BackupDetail::default()
        },
        error: None,
        started_at: started,
        finished_at: now_ms(),
    })
    .await?;
    Ok(manifest)
}

/// One scheduled backup: back up and record ([`recorded`]), drill (when on, [`drill`]),
/// prune; a failure is recorded and every admin is told.
pub async fn scheduled(db: &Db, schedule: &Schedule) -> Result<Value> {
    let manifest = recorded(db, &schedule.dest).await?;
    let drilled = if schedule.drill {
        Some(drill(db, &schedule.dest, Some(&manifest.id)).await?)
    } else {
        None
    };
    let pruned = prune(&schedule.dest, schedule.keep_daily, schedule.keep_weekly).await?;
    tracing::info!(
        backup_id = %manifest.id,
        destination = schedule.dest.location(),
        rows = manifest.total_rows(),
        bytes = manifest.total_bytes(),
        drilled = drilled.is_some(),
        pruned = pruned.len(),
        "backup done"
    );
    // The job's result (jobs keep JSON).
    Ok(
        json!({"backup_id": manifest.id, "rows": manifest.total_rows(), "drill": drilled,
        "pruned": pruned}),
    )
}

/// A drill of backup `id` at `dest` on its own (`backup verify --record`, tests): recorded,
/// and the admins told when it fails.
pub async fn drill(db: &Db, dest: &Destination, id: Option<&str>) -> Result<VerifyReport> {
    let started = now_ms();
    let destination = dest.location().to_owned();
    match verify(dest, id, true).await {
        Ok(report) => {
            db.record_backup_run(NewBackupRun {
                kind: "drill",
                ok: true,
                backup_id: Some(report.backup_id.clone()),
                destination,
                detail: report.detail(),
                error: None,
                started_at: started,
                finished_at: now_ms(),
            })
            .await?;
            Ok(report)
        }
        Err(e) => {
            fail(db, "drill", id, &destination, &format!("{e:#}"), started).await;
            Err(e)
        }
    }
}

/// Records a failed backup or drill and tells every admin (failures to do so are logged).
async fn fail(
    db: &Db,
    kind: &'static str,
    backup_id: Option<&str>,
    destination: &str,
    error: &str,
    started: i64,
) {
    tracing::error!(
        kind,
        backup_id,
        destination,
        error,
        "backup operation failed"
    );
    let recorded = db
        .record_backup_run(NewBackupRun {
            kind,
            ok: false,
            backup_id: backup_id.map(str::to_owned),
            destination: destination.to_owned(),
            detail: BackupDetail::default(),
            error: Some(error.to_owned()),
            started_at: started,
            finished_at: now_ms(),
        })
        .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record the failed {kind}");
    }
    let (title, body) = if kind == "backup" {
        (
            "A backup failed".to_owned(),
            format!("The backup to {destination} failed: {error}"),
        )
    } else {
        (
            "A restore drill failed".to_owned(),
            format!(
                "Backup {} at {destination} could not be restored and served: {error}",
                backup_id.unwrap_or("(newest)")
            ),
        )
    };
    let payload = json!({"event": format!("{kind}_failed"), "backup_id": backup_id,
        "destination": destination, "error": error});
    if let Err(e) = db.notify_admins(&title, &body, payload).await {
        tracing::error!(error = %e, "could not notify the admins of the failed {kind}");
    }
}

/// Tells the admins when the last good backup is older than twice the schedule's interval
/// (or there has been none for that long), once per overdue spell. Returns whether it told.
pub async fn check_overdue(db: &Db, schedule: &Schedule, now: i64) -> Result<bool> {
    let limit = schedule.every_ms().saturating_mul(2);
    let last_ok = db.last_backup_run("backup", true).await?;
    let since = match &last_ok {
        Some(run) => run.finished_at,
        None => db
            .schedules()
            .get(&bb_store::system_schedule_id(BACKUP_JOB))
            .await
            .map(|s| s.created_at)
            .unwrap_or(now),
    };
    if now.saturating_sub(since) <= limit {
        return Ok(false);
    }
    if db
        .last_admin_notice("backup_overdue")
        .await?
        .is_some_and(|at| at >= since)
    {
        return Ok(false);
    }
    let hours = (now - since) / 3_600_000;
    let body = match &last_ok {
        Some(run) => format!(
            "The last good backup to {} finished {hours} h ago (backup {}); one is due every {} h.",
            schedule.dest.location(),
            run.backup_id.as_deref().unwrap_or("?"),
            schedule.every.as_secs() / 3600
        ),
        None => format!(
            "No backup to {} has succeeded in the {hours} h since backups were scheduled.",
            schedule.dest.location()
        ),
    };
    db.notify_admins(
        "Backups are overdue",
        &body,
        json!({"event": "backup_overdue", "destination": schedule.dest.location(),
            "last_ok_at": last_ok.map(|r| r.finished_at)}),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn at(id: &str, finished_at: i64) -> Listed {
        Listed {
            id: id.to_owned(),
            manifest: Manifest {
                format: backup::FORMAT.to_owned(),
                id: id.to_owned(),
                engine: "sqlite".into(),
                engine_version: String::new(),
                schema_version: 1,
                migrations: Vec::new(),
                tool_version: String::new(),
                source: String::new(),
                started_at: finished_at,
                finished_at,
                tables: Vec::new(),
                files: Vec::new(),
            },
        }
    }

    #[test]
    fn keep_the_newest_of_each_recent_day_and_week() {
        // Four backups a day for 30 days from Monday 2026-11-02.
        let monday = 20_759 * DAY;
        let mut listed = Vec::new();
        for day in 0..30 {
            for hour in [1, 7, 13, 19] {
                listed.push(at(
                    &format!("d{day:02}h{hour:02}"),
                    monday + day * DAY + hour * 3_600_000,
                ));
            }
        }
        let gone = to_prune(&listed, 7, 4);
        let kept: Vec<&str> = listed
            .iter()
            .map(|b| b.id.as_str())
            .filter(|id| !gone.iter().any(|g| g == id))
            .collect();
        // Days 23..29 (the last seven), each at 19:00; plus the newest of each of the last
        // four weeks (Monday to Sunday; days 28-29 are the fifth week): day 29, and the
        // Sundays of the three weeks before, days 27 (kept already), 20 and 13.
        assert_eq!(
            kept,
            [
                "d13h19", "d20h19", "d23h19", "d24h19", "d25h19", "d26h19", "d27h19", "d28h19",
                "d29h19"
            ]
        );
        assert_eq!(gone.len(), listed.len() - kept.len());
    }

    #[test]
    fn the_newest_is_always_kept_and_zero_counts_keep_only_it() {
        let listed = vec![at("a", DAY), at("b", 2 * DAY), at("c", 2 * DAY + 1)];
        assert_eq!(to_prune(&listed, 0, 0), ["a", "b"]);
        assert_eq!(
            to_prune(&listed, 2, 0),
            ["b"],
            "the newest of each of two days"
        );
        assert!(to_prune(&[], 7, 4).is_empty());
    }

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        let dir = Path::new("/tmp/x");
        assert!(safe_join(dir, "tables/users.jsonl.gz").is_ok());
        for bad in [
            "../etc/passwd",
            "/abs",
            "a//b",
            "tables/../../x",
            "",
            "a/./b",
            "a\\b",
        ] {
            assert!(safe_join(dir, bad).is_err(), "{bad}");
        }
    }
}
