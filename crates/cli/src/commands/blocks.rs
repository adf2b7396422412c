//! `blockbuilders blocks`: the catalogue as JSON.

use std::io::Write;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    let json = serde_json::to_string_pretty(&bb_strategy::catalogue::to_json())?;
    writeln!(std::io::stdout().lock(), "{json}")?;
    Ok(ExitCode::SUCCESS)
}
