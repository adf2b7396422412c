//! `blockbuilders audit`: verify an audit package offline (every hash recomputed, the
//! manifest checked against the entries), and export one straight from a database. The
//! rules are bb-store's (`verify_package`); this module reads, writes and prints.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use bb_server::audit_anchor;
use bb_store::{AuditPackage, ChainPoint, check_recorded_heads, verify_package};

use super::data::{DbArgs, open};

/// The most entries `audit export` writes (as the API's export).
const MAX_EXPORT_ENTRIES: usize = 100_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Check an audit package (from `GET /api/v1/admin/audit/export` or `audit export`):
    /// recompute every entry's hash and check the links and the manifest. Exits 0 when it
    /// is intact; otherwise names the first entry edited, removed or reordered and exits 1.
    Verify(VerifyArgs),
    /// Export the audit entries of a period from a database as an audit package.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The package file (JSON).
    package: PathBuf,
    /// Also compare the package with the heads `serve --audit-head-dir DIR` recorded: an
    /// entry at a recorded seq must carry the recorded hash (a chain rewritten in the
    /// database after the head was recorded fails here).
    #[arg(long)]
    heads: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Start of the period (included): a date, a date-time in UTC or a Unix time. Default:
    /// the beginning.
    #[arg(long)]
    from: Option<String>,
    /// End of the period (included). Default: none (up to the chain's head).
    #[arg(long)]
    to: Option<String>,
    /// Where to write the package.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match args.command {
        AuditCommand::Verify(a) => verify(&a, &mut out),
        AuditCommand::Export(a) => export(a, &mut out),
    }
}

fn verify(a: &VerifyArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.package)
        .with_context(|| format!("reading {}", a.package.display()))?;
    let package: AuditPackage = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an audit package", a.package.display()))?;
    let checked = verify_package(&package).and_then(|summary| {
        let Some(dir) = &a.heads else {
            return Ok((summary, None));
        };
        let compared = recorded_heads(dir)
            .map_err(|e| bb_store::PackageError::Manifest(format!("{e:#}")))
            .and_then(|heads| check_recorded_heads(&package, &heads))?;
        Ok((summary, Some(compared)))
    });
    match checked {
        Ok((summary, compared)) => {
            let seqs = match (summary.first_seq, summary.last_seq) {
                (Some(first), Some(last)) => format!("seq {first}..{last}"),
                _ => "no seq".to_owned(),
            };
            write!(
                out,
                "OK: {} entries, {seqs}, head {}",
                summary.entries, summary.head.hash
            )?;
            if summary.reaches_head {
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    " (seq {}, after this package: compare it with a head recorded elsewhere)",
                    summary.head.seq
                )?;
            }
            if let Some(n) = compared {
                writeln!(out, "It agrees with the {n} recorded head(s) it reaches.")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            writeln!(out, "FAILED: {e}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The heads recorded in `dir`, as chain points.
fn recorded_heads(dir: &std::path::Path) -> Result<Vec<ChainPoint>> {
    if !dir.is_dir() {
        bail!("{} is not a directory of recorded heads", dir.display());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let heads = rt.block_on(async {
        let store = audit_anchor::local_store(dir)?;
        audit_anchor::recorded_heads(store.as_ref()).await
    })?;
    Ok(heads
        .into_iter()
        .map(|h| ChainPoint {
            seq: h.seq,
            hash: h.hash,
        })
        .collect())
}

fn export(a: ExportArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let time = |field: &str, text: &Option<String>| -> Result<Option<i64>> {
        text.as_deref()
            .map(|t| {
                bb_data::parse_timestamp(t.trim(), None)
                    .map_err(|e| anyhow::anyhow!("--{field} is not a time ({e}): {t:?}"))
            })
            .transpose()
    };
    let from = time("from", &a.from)?.unwrap_or(0);
    // No end by default: every entry up to the head (an entry stamped a moment ahead of this
    // process's clock by a busy server is still included).
    let to = time("to", &a.to)?.unwrap_or(i64::MAX);
    if from > to {
        bail!("the period is empty: --from must not be after --to");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let package = rt.block_on(async {
        let db = open(&a.db).await?;
        let package = db.audit().export(from, to, MAX_EXPORT_ENTRIES).await;
        db.close().await;
        anyhow::Ok(package?)
    })?;
    let Some(package) = package else {
        bail!(
            "the period holds more than {MAX_EXPORT_ENTRIES} audit entries; export it in \
             shorter periods (--from, --to)"
        );
    };
    let file =
        std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut file = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut file, &package)?;
    writeln!(file)?;
    file.flush()?;
    writeln!(
        out,
        "Wrote {} audit entries to {} (head seq {}).",
        package.entries.len(),
        a.out.display(),
        package.manifest.head_seq
    )?;
    Ok(ExitCode::SUCCESS)
}
