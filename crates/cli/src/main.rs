//! The `blockbuilders` command. Thin: it parses arguments, reads files and prints; all the
//! work happens in the library crates.

mod commands;
mod input;

use clap::{Parser, Subcommand};

/// mimalloc keeps freed pages for reuse; with the system allocator, page faults on the
/// large per-step columns cost more than the indicator arithmetic.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "blockbuilders",
    version,
    about = "Blockbuilders: build, check and backtest trading strategies made of blocks."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print every block's output on every bar, labelled by node id and port.
    Inspect(commands::inspect::Args),
    /// Check a strategy and list every problem, with the block it is on.
    Validate(commands::validate::Args),
    /// Backtest a strategy on candles and print the results, assumptions and warnings.
    Backtest(commands::backtest::Args),
    /// Backtest every combination of a grid of parameters, on all cores.
    Sweep(commands::sweep::Args),
    /// Check a strategy for overfitting: walk-forward, holdout, Monte Carlo, deflated Sharpe,
    /// PBO and parameter stability, with plain verdicts.
    Robustness(commands::robustness::Args),
    /// Watch a market feed for gaps, volume spikes, highs and lows, spread blow-outs and
    /// block screens: a recorded Databento feed (`--replay`) or Binance live (`--binance`).
    Screener(commands::screener::Args),
    /// Print the block catalogue (every block, its ports, parameters and explanation) as JSON.
    Blocks,
    /// Run the web app and its API (on SQLite by default; PostgreSQL with a postgres:// URL).
    Serve(Box<commands::serve::ServeArgs>),
    /// Run background workers only (backtests, sweeps, fetches), no HTTP: start several on
    /// PostgreSQL to scale out, and `serve --no-workers` for the API alone.
    Worker(commands::serve::WorkerArgs),
    /// Apply the database migrations and list them.
    Migrate(commands::serve::MigrateArgs),
    /// Candle datasets in the database: import files, list, check quality, fetch from providers.
    Data(commands::data::Args),
    /// Accounts: change a role, a plan or the reviewer duty (e.g. make the first admin).
    Users(commands::users::Args),
    /// The audit log: verify an audit package offline, or export one from a database.
    Audit(commands::audit::Args),
    /// Back the whole database up while it runs (`--to DIR|s3://…`), check a backup by
    /// restoring it into a scratch database (`backup verify`), list backups (`backup list`).
    Backup(commands::backup::Args),
    /// Restore a backup into an empty database, migrate it forward and check it against its
    /// manifest.
    Restore(commands::backup::RestoreArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Validate(args) => commands::validate::run(&args),
        Command::Blocks => commands::blocks::run(),
        Command::Backtest(args) => commands::backtest::run(&args),
        Command::Sweep(args) => commands::sweep::run(&args),
        Command::Robustness(args) => commands::robustness::run(&args),
        Command::Screener(args) => commands::screener::run(&args),
        Command::Serve(args) => commands::serve::serve(*args),
        Command::Worker(args) => commands::serve::worker(args),
        Command::Migrate(args) => commands::serve::migrate(&args),
        Command::Data(args) => commands::data::run(args),
        Command::Users(args) => commands::users::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Backup(args) => commands::backup::run(args),
        Command::Restore(args) => commands::backup::run_restore(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
