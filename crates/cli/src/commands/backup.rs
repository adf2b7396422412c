//! `blockbuilders backup` (and `backup verify`, `backup list`) and `blockbuilders restore`:
//! thin over `bb_server::backup`, which does the work; this module parses, prints and sets
//! the exit code.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bb_server::backup::{self, Destination, VerifyReport};
use bb_store::Db;

use super::data::DbArgs;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<BackupCommand>,
    #[command(flatten)]
    take: TakeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum BackupCommand {
    /// Fetch a backup, check every file's SHA-256, restore it into a scratch SQLite database
    /// (row counts and content hashes checked against the manifest), migrate it forward and
    /// print a report. Exits 0 when it restores, 1 when it does not.
    Verify(VerifyArgs),
    /// List the complete backups at a destination, oldest first.
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct TakeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Where the backup goes: a directory, `file:///dir` or `s3://bucket[/prefix]` (with the
    /// `BB_OBJECT_STORE_*` endpoint, region and keys).
    #[arg(long, required = false)]
    to: Option<String>,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Where the backups are (as `backup --to`).
    #[arg(long)]
    from: String,
    /// The backup to check (default: the newest).
    #[arg(long)]
    id: Option<String>,
    /// Also boot the API on the restored copy and ask it `/ready` (the restore drill).
    #[arg(long)]
    boot: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Where the backups are (as `backup --to`).
    #[arg(long)]
    from: String,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Where the backups are (as `backup --to`).
    #[arg(long)]
    from: String,
    /// The backup to restore (default: the newest).
    #[arg(long)]
    id: Option<String>,
    /// The database to restore into: `sqlite://path.db` (created) or `postgres://…`. It must
    /// be empty.
    #[arg(long, env = "BB_DATABASE_URL")]
    database_url: String,
    /// Restore into a database that is not empty: every table in it is dropped first.
    #[arg(long)]
    force: bool,
}

/// The server's configuration from the environment (for the object store's settings).
fn config() -> Result<bb_server::Config> {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct FromEnv {
        #[command(flatten)]
        config: bb_server::Config,
    }
    FromEnv::try_parse_from(["blockbuilders"])
        .map(|e| e.config)
        .context("reading the BB_* settings from the environment")
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn run(args: Args) -> Result<ExitCode> {
    bb_server::install_crypto_provider();
    let mut out = std::io::stdout().lock();
    let rt = runtime()?;
    match args.command {
        Some(BackupCommand::Verify(a)) => rt.block_on(verify(a, &mut out)),
        Some(BackupCommand::List(a)) => rt.block_on(list(a, &mut out)),
        None => rt.block_on(take(args.take, &mut out)),
    }
}

pub fn run_restore(args: RestoreArgs) -> Result<ExitCode> {
    bb_server::install_crypto_provider();
    let mut out = std::io::stdout().lock();
    runtime()?.block_on(restore(args, &mut out))
}

async fn take(a: TakeArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let Some(to) = a.to else {
        anyhow::bail!(
            "say where the backup goes: blockbuilders backup --to DIR|s3://bucket/prefix"
        );
    };
    let dest = Destination::open(&to, &config()?)?;
    let db = Db::connect(&a.db.database_url)
        .await
        .context("connecting to the database")?;
    let manifest = backup::recorded(&db, &dest).await?;
    db.close().await;
    writeln!(
        out,
        "Backed up {} ({}, schema version {}) to {}/{}",
        db_label(&a.db.database_url),
        manifest.engine,
        manifest.schema_version,
        dest.location(),
        manifest.id
    )?;
    writeln!(
        out,
        "{} tables, {} rows, {} files, {} bytes; manifest.json written last",
        manifest.tables.len(),
        manifest.total_rows(),
        manifest.files.len(),
        manifest.total_bytes()
    )?;
    writeln!(
        out,
        "Check it with: blockbuilders backup verify --from {to} --id {}",
        manifest.id
    )?;
    Ok(ExitCode::SUCCESS)
}

fn db_label(url: &str) -> String {
    bb_store::redact_url(url)
}

async fn verify(a: VerifyArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let dest = Destination::open(&a.from, &config()?)?;
    match backup::verify(&dest, a.id.as_deref(), a.boot).await {
        Ok(report) => {
            if a.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                print_report(&report, out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                let report = serde_json::json!({"ok": false, "error": format!("{e:#}")});
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                writeln!(out, "FAILED: {e:#}")?;
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_report(r: &VerifyReport, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "OK: backup {} restores", r.backup_id)?;
    writeln!(
        out,
        "  taken on {} at schema version {}, {} files ({} bytes), every SHA-256 matches",
        r.engine, r.schema_version, r.files, r.bytes
    )?;
    writeln!(
        out,
        "  restored {} tables, {} rows; every table's row count and content hash match the manifest",
        r.tables, r.rows
    )?;
    if r.migrated.is_empty() {
        writeln!(out, "  no migrations needed")?;
    } else {
        writeln!(out, "  migrated forward: {}", r.migrated.join(", "))?;
    }
    if let Some(ready) = &r.ready {
        writeln!(
            out,
            "  the API booted on the restored copy and answered /ready: {ready}"
        )?;
    }
    Ok(())
}

async fn list(a: ListArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let dest = Destination::open(&a.from, &config()?)?;
    let listed = backup::list(&dest).await?;
    if listed.is_empty() {
        writeln!(out, "No complete backups at {}", dest.location())?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<40} {:<10} {:>6} {:>10} {:>14}",
        "id", "engine", "schema", "rows", "bytes"
    )?;
    for b in listed {
        writeln!(
            out,
            "{:<40} {:<10} {:>6} {:>10} {:>14}",
            b.id,
            b.manifest.engine,
            b.manifest.schema_version,
            b.manifest.total_rows(),
            b.manifest.total_bytes()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(a: RestoreArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let dest = Destination::open(&a.from, &config()?)?;
    let db = Db::connect(&a.database_url)
        .await
        .context("connecting to the database to restore into")?;
    let (report, erased) = backup::restore(&dest, a.id.as_deref(), &db, a.force).await?;
    db.close().await;
    writeln!(
        out,
        "Restored backup {} into {}: {} tables, {} rows, checked against the manifest",
        report.backup_id,
        db_label(&a.database_url),
        report.tables,
        report.rows
    )?;
    if !report.migrated.is_empty() {
        writeln!(out, "Migrated forward: {}", report.migrated.join(", "))?;
    }
    if erased > 0 {
        writeln!(
            out,
            "Erased again {erased} account(s) deleted after the backup was taken"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
