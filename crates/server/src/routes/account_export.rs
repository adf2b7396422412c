//! A user's own data as one ZIP archive (`GET /api/v1/me/export`).
//!
//! The archive holds JSON files, a `README.txt` saying what each holds and a `manifest.json`
//! with every other file's size and SHA-256:
//! - `profile.json`, preferences, notifications, emails, webhooks (never a secret), screener
//!   screens and watched trades, plan and usage, cohorts and templates they own, holdout
//!   looks, datasets they imported (described, without candles) and the audit entries about
//!   them: the sections of [`bb_store::ExportSection`], which leave out password hashes,
//!   two-factor secrets, token and code hashes and other people's data;
//! - `strategies/<slug>.json`: each strategy with every version, in the format of the
//!   single-strategy export ([`StrategyFile`], `blockbuilders-strategy/1`), so each file can
//!   be given to `POST /api/v1/strategies/import` as it is;
//! - `runs/<kind>/<id>.json`: each backtest, sweep and robustness run with its events and
//!   its stored report decompressed (trades included); a robustness run's holdout result
//!   only when its holdout was opened (looking is recorded, an export must not spend it);
//! - `paper_runs/<id>.json`: each paper run with its whole ledger (fills, trades, ticks).
//!
//! **Bounded.** The database is read a page (or one run) at a time and each piece is handed
//! to a writer on the blocking pool that deflates it into an anonymous temporary file, so
//! memory holds a page, never the archive. More than [`MAX_EXPORT_BYTES`] of JSON stops the
//! writer and the request is a 422; otherwise the finished file is streamed back. At most
//! one export per user a minute ([`EXPORT_INTERVAL`]: the last `user.exported` audit entry,
//! and one in flight per process), else 429 with `Retry-After`. A finished export appends
//! `user.exported` (with the archive's size and file count) to the audit chain.

use super::strategies::exports::{FORMAT, FileStrategy, FileVersion, StrategyFile};
use crate::auth::extractor::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bb_store::{EXPORT_PAGE, ExportSection, NewAuditEntry, Owned, RunKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{Read, Seek, Write};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_my_data))
        .routes(routes!(export_user_data))
}

/// The most JSON (uncompressed) one archive may hold: 200 MiB.
pub const MAX_EXPORT_BYTES: u64 = 200 * 1024 * 1024;

/// At most one export per user in this time.
pub const EXPORT_INTERVAL: Duration = Duration::from_secs(60);

/// The archive's format, named in its manifest.
pub const ARCHIVE_FORMAT: &str = "blockbuilders-export/1";

/// The ZIP archive (documentation only).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ExportArchive(Vec<u8>);

/// Download everything the caller owns as one ZIP archive of JSON files.
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The archive, as an attachment \
            (`blockbuilders-export-<date>.zip`): README.txt, manifest.json (each file's size \
            and SHA-256), profile, strategies (each importable by `POST /api/v1/strategies/import`), \
            runs with reports and trades, paper runs with their ledgers, notifications, \
            webhooks (without secrets), screener screens and trades, plan and usage, cohorts, \
            templates, holdout looks, audit entries", content_type = "application/zip", body = ExportArchive),
        (status = 401, body = ErrorEnvelope),
        (status = 422, description = "The archive would hold more than 200 MiB of JSON \
            (`details.field` = `account`, `details.limit_bytes`)", body = ErrorEnvelope),
        (status = 429, description = "An export was made less than a minute ago, or one is \
            being made (`rate_limited`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub async fn export_my_data(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Response, ApiError> {
    export_for(&state, &caller.id, &caller.id).await
}

/// Download everything a user owns as one ZIP archive, as they would get it themself (a
/// user's request made through an admin; admins with two-factor sign-in on). Written to the
/// audit log with the admin as the actor.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}/export",
    tag = "admin",
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The archive, as `GET /api/v1/me/export` gives it",
            content_type = "application/zip", body = ExportArchive),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "Not an admin (`forbidden`), or two-factor sign-in is off (`two_factor_required`)", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 422, description = "The archive would hold more than 200 MiB of JSON \
            (`details.field` = `account`, `details.limit_bytes`)", body = ErrorEnvelope),
        (status = 429, description = "An export of this user was made less than a minute ago, \
            or one is being made (`rate_limited`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub async fn export_user_data(
    State(state): State<AppState>,
    crate::auth::extractor::AdminUser(admin): crate::auth::extractor::AdminUser,
    crate::extract::Path(id): crate::extract::Path<String>,
) -> Result<Response, ApiError> {
    match state.db().users().get(&id).await {
        Ok(_) => {}
        Err(bb_store::StoreError::NotFound) => {
            return Err(ApiError::NotFound("There is no such user.".into()));
        }
        Err(e) => return Err(e.into()),
    }
    export_for(&state, &id, &admin.id).await
}

/// The archive of `user_id`'s data, audited as made by `actor_id`.
async fn export_for(state: &AppState, user_id: &str, actor_id: &str) -> Result<Response, ApiError> {
    let _claim = InFlight::claim(user_id)?;
    let pseudonym = audit_name(state, user_id).await?;
    let db = state.db();
    if let Some(last) = db
        .export()
        .last_export_at(user_id, pseudonym.as_deref())
        .await?
    {
        let since = u64::try_from(bb_store::now_ms().saturating_sub(last)).unwrap_or(0);
        let interval = EXPORT_INTERVAL.as_millis() as u64;
        if since < interval {
            return Err(ApiError::RateLimited {
                retry_after: Duration::from_millis(interval - since),
            });
        }
    }
    let now = bb_store::now_ms();
    let (tx, rx) = mpsc::channel::<Piece>(8);
    let header = Header {
        exported_at: now,
        user_id: user_id.to_owned(),
        readme: readme(now),
    };
    let writer = tokio::task::spawn_blocking(move || write_archive(rx, MAX_EXPORT_BYTES, header));
    let produced = produce(state, user_id, pseudonym.as_deref(), now, Sink { tx }).await;
    let written = writer.await?;
    let written = match (produced, written) {
        (_, Err(WriteError::TooLarge { limit })) => {
            return Err(ApiError::validation(
                format!(
                    "Your data is larger than one export can hold ({} MiB of JSON): \
                     delete old runs or paper runs and try again, or contact support.",
                    limit / (1024 * 1024)
                ),
                Some(json!({ "field": "account", "limit_bytes": limit })),
            ));
        }
        (Err(e), _) => return Err(e),
        (Ok(()), Err(WriteError::Io(e))) => return Err(ApiError::internal(e)),
        (Ok(()), Ok(written)) => written,
    };
    db.audit()
        .append(NewAuditEntry {
            entity_type: "user".to_string(),
            entity_id: user_id.to_owned(),
            action: "user.exported".to_string(),
            actor_id: Some(actor_id.to_owned()),
            payload: json!({
                "files": written.files,
                "bytes": written.uncompressed,
            }),
        })
        .await?;
    tracing::info!(
        user_id = %user_id,
        files = written.files,
        bytes = written.uncompressed,
        zip_bytes = written.size,
        "account exported"
    );
    let filename = format!(
        "blockbuilders-export-{}.zip",
        bb_domain::calendar::format_date(now)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CONTENT_LENGTH, written.size.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        stream_file(written.file),
    )
        .into_response())
}

/// The name audit entries give the caller (their pseudonym once they have one).
async fn audit_name(state: &AppState, user_id: &str) -> Result<Option<String>, ApiError> {
    Ok(state.db().audit().pseudonym(user_id).await?)
}

/// One export in flight per user in this process (two requests at once: one is refused).
struct InFlight(String);

fn in_flight() -> &'static Mutex<HashSet<String>> {
    static SET: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SET.get_or_init(|| Mutex::new(HashSet::new()))
}

impl InFlight {
    fn claim(user_id: &str) -> Result<InFlight, ApiError> {
        let mut set = in_flight().lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert(user_id.to_owned()) {
            return Err(ApiError::RateLimited {
                retry_after: EXPORT_INTERVAL,
            });
        }
        Ok(InFlight(user_id.to_owned()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut set = in_flight().lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.0);
    }
}

/// What the database side hands the writer.
#[derive(Debug)]
enum Piece {
    /// A new file at this path (the previous one ended).
    Begin(String),
    /// Bytes as they are.
    Raw(&'static str),
    /// A value, written as pretty JSON.
    Json(Value),
    /// The file is complete.
    End,
}

/// The sending half; a send fails once the writer stopped (too large, or an IO error).
struct Sink {
    tx: mpsc::Sender<Piece>,
}

impl Sink {
    async fn send(&self, piece: Piece) -> Result<(), ApiError> {
        self.tx
            .send(piece)
            .await
            .map_err(|_| ApiError::internal("the archive writer stopped"))
    }

    async fn file(&self, path: String, value: Value) -> Result<(), ApiError> {
        self.send(Piece::Begin(path)).await?;
        self.send(Piece::Json(value)).await?;
        self.send(Piece::End).await
    }
}

/// A JSON array written item by item.
struct ArrayWriter<'a> {
    sink: &'a Sink,
    empty: bool,
}

impl<'a> ArrayWriter<'a> {
    async fn open(sink: &'a Sink) -> Result<ArrayWriter<'a>, ApiError> {
        sink.send(Piece::Raw("[")).await?;
        Ok(ArrayWriter { sink, empty: true })
    }

    async fn push(&mut self, value: Value) -> Result<(), ApiError> {
        let separator = if self.empty { "\n" } else { ",\n" };
        self.empty = false;
        self.sink.send(Piece::Raw(separator)).await?;
        self.sink.send(Piece::Json(value)).await
    }

    async fn close(self) -> Result<(), ApiError> {
        self.sink
            .send(Piece::Raw(if self.empty { "]" } else { "\n]" }))
            .await
    }
}

/// Reads everything the user owns and hands it to the writer, a page at a time.
async fn produce(
    state: &AppState,
    user_id: &str,
    pseudonym: Option<&str>,
    now: i64,
    sink: Sink,
) -> Result<(), ApiError> {
    let db = state.db();
    let export = db.export();
    for section in ExportSection::ALL {
        let path = section.file_name().to_string();
        if matches!(section, ExportSection::Profile | ExportSection::Plan) {
            let page = export.page(section, user_id, pseudonym, None, 1).await?;
            let row = page.rows.into_iter().next().unwrap_or(Value::Null);
            sink.file(path, row).await?;
            continue;
        }
        sink.send(Piece::Begin(path)).await?;
        let mut array = ArrayWriter::open(&sink).await?;
        let mut after: Option<String> = None;
        loop {
            let page = export
                .page(section, user_id, pseudonym, after.as_deref(), EXPORT_PAGE)
                .await?;
            for row in page.rows {
                array.push(row).await?;
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        array.close().await?;
        sink.send(Piece::End).await?;
    }

    // Strategies, each as an importable strategy file.
    let mut after: Option<String> = None;
    loop {
        let ids = export
            .owned_ids(Owned::Strategies, user_id, after.as_deref(), EXPORT_PAGE)
            .await?;
        for id in &ids {
            let strategy = db.strategies().get(id).await?;
            let versions = db.strategies().versions(id).await?;
            let path = format!("strategies/{}.json", strategy.slug);
            sink.file(path, strategy_file(strategy, versions, now)?)
                .await?;
        }
        if ids.len() < EXPORT_PAGE as usize {
            break;
        }
        after = ids.last().cloned();
    }

    // Backtests, sweeps and robustness runs with their events and reports.
    let mut after: Option<String> = None;
    loop {
        let ids = export
            .owned_ids(Owned::Runs, user_id, after.as_deref(), EXPORT_PAGE)
            .await?;
        for id in &ids {
            let run = db.runs().get(id).await?;
            let events = db.runs().events_after(id, 0).await?;
            let mut report = db.runs().report(id).await?;
            let mut holdout_opened = None;
            if run.kind == RunKind::Robustness {
                let opened = db.holdouts().opened(id).await?;
                if !opened {
                    withhold_holdout(report.as_mut());
                }
                holdout_opened = Some(opened);
            }
            let kind = serde_json::to_value(run.kind).map_err(ApiError::internal)?;
            let path = format!("runs/{}/{id}.json", kind.as_str().unwrap_or("run"));
            let mut value = json!({ "run": run, "events": events, "report": report });
            if let Some(opened) = holdout_opened {
                value["holdout_opened"] = json!(opened);
            }
            sink.file(path, value).await?;
        }
        if ids.len() < EXPORT_PAGE as usize {
            break;
        }
        after = ids.last().cloned();
    }

    // Paper runs with their whole ledgers.
    let mut after: Option<String> = None;
    loop {
        let ids = export
            .owned_ids(Owned::PaperRuns, user_id, after.as_deref(), EXPORT_PAGE)
            .await?;
        for id in &ids {
            let run = db.paper_runs().get(id).await?;
            sink.send(Piece::Begin(format!("paper_runs/{id}.json")))
                .await?;
            sink.send(Piece::Raw("{\n\"run\": ")).await?;
            sink.send(Piece::Json(
                serde_json::to_value(&run).map_err(ApiError::internal)?,
            ))
            .await?;
            sink.send(Piece::Raw(",\n\"ledger\": ")).await?;
            let mut ledger = ArrayWriter::open(&sink).await?;
            let mut seq = 0;
            loop {
                let events = db.paper_runs().events(id, seq, EXPORT_PAGE).await?;
                let Some(last) = events.last() else { break };
                seq = last.seq;
                let full = events.len() == EXPORT_PAGE as usize;
                for event in events {
                    ledger
                        .push(serde_json::to_value(&event).map_err(ApiError::internal)?)
                        .await?;
                }
                if !full {
                    break;
                }
            }
            ledger.close().await?;
            sink.send(Piece::Raw("\n}\n")).await?;
            sink.send(Piece::End).await?;
        }
        if ids.len() < EXPORT_PAGE as usize {
            break;
        }
        after = ids.last().cloned();
    }
    Ok(())
}

/// A strategy as the single-strategy export writes it (importable as it is).
fn strategy_file(
    strategy: bb_store::Strategy,
    versions: Vec<bb_store::StrategyVersion>,
    now: i64,
) -> Result<Value, ApiError> {
    let versions: Vec<FileVersion> = versions
        .into_iter()
        .map(|v| FileVersion {
            version: v.version,
            graph: v.graph,
            notes: v.notes,
            created_at: v.created_at,
        })
        .collect();
    // The import checks this: SHA-256 of the versions' canonical JSON.
    let canonical = serde_json::to_vec(&versions).map_err(ApiError::internal)?;
    let file = StrategyFile {
        format: FORMAT.to_string(),
        exported_at: now,
        strategy: FileStrategy {
            title: strategy.title,
            description: strategy.description,
            tags: strategy.tags,
            visibility: Some(strategy.visibility),
        },
        versions,
        sha256: Some(hex::encode(Sha256::digest(&canonical))),
    };
    serde_json::to_value(&file).map_err(ApiError::internal)
}

/// Removes a robustness report's holdout result (kept until the owner opens it).
fn withhold_holdout(report: Option<&mut Value>) {
    if let Some(holdout) = report
        .and_then(|r| r.get_mut("lab"))
        .and_then(|lab| lab.get_mut("holdout"))
        .and_then(Value::as_object_mut)
        && holdout.get("result").is_some_and(|r| !r.is_null())
    {
        holdout.insert("result".to_string(), Value::Null);
        holdout.insert(
            "note".to_string(),
            json!("Withheld: open this run's holdout in the app first (each look is recorded)."),
        );
    }
}

/// What the writer puts in every archive besides the data.
struct Header {
    exported_at: i64,
    user_id: String,
    readme: String,
}

/// The finished archive.
#[derive(Debug)]
struct Written {
    file: std::fs::File,
    /// The ZIP file's size.
    size: u64,
    /// JSON bytes in it (README and manifest included).
    uncompressed: u64,
    /// Files in it (manifest included).
    files: usize,
}

#[derive(Debug, PartialEq)]
enum WriteError {
    TooLarge { limit: u64 },
    Io(String),
}

fn io(e: impl std::fmt::Display) -> WriteError {
    WriteError::Io(e.to_string())
}

/// The writer: deflates each file into an anonymous temporary file, counting and hashing
/// what goes in; stops at `limit` bytes. README.txt and manifest.json close the archive.
fn write_archive(
    mut rx: mpsc::Receiver<Piece>,
    limit: u64,
    header: Header,
) -> Result<Written, WriteError> {
    let file = tempfile::tempfile().map_err(io)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(header.exported_at));
    let mut total: u64 = 0;
    let mut manifest: Vec<Value> = Vec::new();
    let mut current: Option<(String, Sha256, u64)> = None;
    let mut write = |zip: &mut zip::ZipWriter<std::fs::File>,
                     current: &mut Option<(String, Sha256, u64)>,
                     bytes: &[u8]|
     -> Result<(), WriteError> {
        let Some((_, hasher, size)) = current.as_mut() else {
            return Err(WriteError::Io("data outside a file".into()));
        };
        total += bytes.len() as u64;
        if total > limit {
            return Err(WriteError::TooLarge { limit });
        }
        zip.write_all(bytes).map_err(io)?;
        hasher.update(bytes);
        *size += bytes.len() as u64;
        Ok(())
    };
    let end = |current: &mut Option<(String, Sha256, u64)>, manifest: &mut Vec<Value>| {
        if let Some((path, hasher, size)) = current.take() {
            manifest.push(json!({
                "path": path,
                "bytes": size,
                "sha256": hex::encode(hasher.finalize()),
            }));
        }
    };
    while let Some(piece) = rx.blocking_recv() {
        match piece {
            Piece::Begin(path) => {
                end(&mut current, &mut manifest);
                zip.start_file(path.as_str(), options).map_err(io)?;
                current = Some((path, Sha256::new(), 0));
            }
            Piece::Raw(text) => write(&mut zip, &mut current, text.as_bytes())?,
            Piece::Json(value) => {
                let bytes = serde_json::to_vec_pretty(&value).map_err(io)?;
                write(&mut zip, &mut current, &bytes)?;
            }
            Piece::End => end(&mut current, &mut manifest),
        }
    }
    if current.is_some() {
        // The reading side stopped in the middle of a file: its error is the answer.
        return Err(WriteError::Io("the export stopped before its end".into()));
    }
    zip.start_file("README.txt", options).map_err(io)?;
    current = Some(("README.txt".to_string(), Sha256::new(), 0));
    write(&mut zip, &mut current, header.readme.as_bytes())?;
    end(&mut current, &mut manifest);
    let files = manifest.len() + 1;
    let manifest = json!({
        "format": ARCHIVE_FORMAT,
        "exported_at": header.exported_at,
        "user_id": header.user_id,
        "limit_bytes": limit,
        "files": manifest,
    });
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(io)?;
    zip.start_file("manifest.json", options).map_err(io)?;
    current = Some(("manifest.json".to_string(), Sha256::new(), 0));
    write(&mut zip, &mut current, &bytes)?;
    let mut file = zip.finish().map_err(io)?;
    let size = file.stream_position().map_err(io)?;
    file.rewind().map_err(io)?;
    Ok(Written {
        file,
        size,
        uncompressed: total,
        files,
    })
}

/// The archive entries' time (ZIP keeps a local date and time; UTC here).
fn zip_time(ms: i64) -> zip::DateTime {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    let (year, month, day) = bb_domain::calendar::civil_from_days(days);
    let part = |v: i64| u8::try_from(v).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(year).unwrap_or(1980),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
        part(secs / 3600),
        part(secs % 3600 / 60),
        part(secs % 60),
    )
    .unwrap_or_default()
}

/// The file as the response body, read on the blocking pool 64 KiB at a time.
fn stream_file(mut file: std::fs::File) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buffer = vec![0u8; 64 * 1024];
            match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    buffer.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buffer))).is_err() {
                        break; // the client went away
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// README.txt: what each file holds.
fn readme(exported_at: i64) -> String {
    let mut text = format!(
        "Blockbuilders: your data\n\
         ========================\n\n\
         Exported {} (UTC). Format: {ARCHIVE_FORMAT}.\n\n\
         Every file is JSON (UTF-8). Times are Unix milliseconds (UTC). manifest.json lists\n\
         every other file with its size in bytes and its SHA-256, so you can check that\n\
         nothing was changed or lost (for example: sha256sum strategies/my-strategy.json).\n\n\
         Not included: your password, your two-factor secret, recovery codes, sign-in and\n\
         one-time tokens, webhook signing secrets, and other people's data (a cohort's\n\
         members are a count; audit entries name other accounts only as \"another account\").\n\
         Candles of datasets you imported are described, not copied.\n\n\
         Files\n\
         -----\n\n",
        bb_domain::calendar::format_utc(exported_at)
    );
    let mut line = |path: &str, what: &str| {
        text.push_str(path);
        text.push('\n');
        text.push_str("    ");
        text.push_str(what);
        text.push_str("\n\n");
    };
    line(
        "strategies/<slug>.json",
        "One file per strategy with every version (graph, notes, time) in the \
         blockbuilders-strategy/1 format. Import a file as a new private strategy with \
         POST /api/v1/strategies/import (the file as the JSON body) or the app's import.",
    );
    line(
        "runs/backtest/<id>.json, runs/sweep/<id>.json, runs/robustness/<id>.json",
        "Each run: its settings and status (run), its event log (events) and its report \
         (report: metrics, equity, every trade, assumptions; a sweep's every combination; \
         the robustness checks). A robustness holdout you have not opened yet is withheld.",
    );
    line(
        "paper_runs/<id>.json",
        "Each paper run (run) and its whole ledger (ledger: ticks, fills, trades, \
         status changes and notes, in order).",
    );
    for section in ExportSection::ALL {
        line(section.file_name(), section.describe());
    }
    line(
        "manifest.json",
        "The archive's format, when it was made, your user id, and every other file's \
         path, size and SHA-256.",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            exported_at: 1_700_000_000_000,
            user_id: "u".into(),
            readme: "read me".into(),
        }
    }

    #[test]
    fn the_writer_stops_at_its_limit() {
        let (tx, rx) = mpsc::channel(16);
        let writer = std::thread::spawn(move || write_archive(rx, 10, header()));
        let _ = tx.blocking_send(Piece::Begin("a.json".into()));
        let _ = tx.blocking_send(Piece::Json(json!("more than ten bytes of JSON")));
        let _ = tx.blocking_send(Piece::End);
        drop(tx);
        let result = writer.join().unwrap();
        assert_eq!(result.unwrap_err(), WriteError::TooLarge { limit: 10 });
    }

    #[test]
    fn the_manifest_lists_each_file_with_its_hash() {
        let (tx, rx) = mpsc::channel(16);
        let writer = std::thread::spawn(move || write_archive(rx, 1 << 20, header()));
        for piece in [
            Piece::Begin("a.json".into()),
            Piece::Raw("["),
            Piece::Json(json!(1)),
            Piece::Raw("]"),
            Piece::End,
        ] {
            tx.blocking_send(piece).unwrap();
        }
        drop(tx);
        let written = writer.join().unwrap().unwrap();
        assert_eq!(written.files, 3);
        let mut archive = zip::ZipArchive::new(written.file).unwrap();
        let mut text = String::new();
        archive
            .by_name("manifest.json")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let manifest: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(manifest["format"], ARCHIVE_FORMAT);
        let files = manifest["files"].as_array().unwrap();
        assert_eq!(files[0]["path"], "a.json");
        assert_eq!(files[0]["bytes"], 3);
        assert_eq!(
            files[0]["sha256"],
            hex::encode(Sha256::digest(b"[1]")).as_str()
        );
        assert_eq!(files[1]["path"], "README.txt");
        let mut a = String::new();
        archive
            .by_name("a.json")
            .unwrap()
            .read_to_string(&mut a)
            .unwrap();
        assert_eq!(a, "[1]");
    }

    #[test]
    fn an_unopened_holdout_is_withheld() {
        let mut report = json!({ "lab": { "holdout": { "span": {}, "result": { "x": 1 } } } });
        withhold_holdout(Some(&mut report));
        assert!(report["lab"]["holdout"]["result"].is_null());
        assert!(report["lab"]["holdout"]["note"].is_string());
    }
}
