//! `blockbuilders validate`: every problem of a strategy, errors first.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The strategy file (JSON).
    #[arg(long)]
    strategy: PathBuf,
    /// Print the diagnostics as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let doc = crate::input::document(&args.strategy)?;
    let mut diagnostics = bb_strategy::validate(&doc).diagnostics;
    diagnostics.sort_by_key(|d| d.severity);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&diagnostics)?)?;
    } else if diagnostics.is_empty() {
        writeln!(out, "{}: no problems found.", args.strategy.display())?;
    } else {
        for d in &diagnostics {
            writeln!(out, "{d}")?;
        }
    }
    Ok(if diagnostics.iter().any(|d| d.is_error()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
