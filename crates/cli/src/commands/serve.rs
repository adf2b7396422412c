//! `blockbuilders serve` (the API and the web UI) and `blockbuilders migrate` (apply the
//! database migrations). Both run on a tokio runtime made here; the rest of the CLI stays
//! synchronous.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    config: bb_server::Config,
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The database to migrate: `sqlite://path.db` or `postgres://...`.
    #[arg(long, env = "BB_DATABASE_URL", default_value = bb_server::config::DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The database whose job queue to work on: `sqlite://path.db` or `postgres://...`.
    #[arg(long, env = "BB_DATABASE_URL", default_value = bb_server::config::DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Jobs run at once.
    #[arg(long, env = "BB_WORKERS", default_value_t = 2)]
    workers: usize,
    /// How long a job stays this worker's without a heartbeat before another may take it.
    #[arg(long, env = "BB_WORKER_LEASE", default_value = "30s", value_parser = bb_server::config::parse_duration)]
    lease: std::time::Duration,
    /// Log filter in `RUST_LOG` syntax.
    #[arg(long, env = "BB_LOG", default_value = "info")]
    log: String,
}

pub fn worker(args: WorkerArgs) -> Result<ExitCode> {
    let mut config = bb_server::Config::new(args.database_url);
    config.workers = args.workers;
    config.worker_lease = args.lease;
    config.log = args.log;
    runtime()?.block_on(bb_server::work(config))?;
    Ok(ExitCode::SUCCESS)
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    runtime()?.block_on(bb_server::serve(args.config))?;
    Ok(ExitCode::SUCCESS)
}

pub fn migrate(args: &MigrateArgs) -> Result<ExitCode> {
    let applied = runtime()?.block_on(bb_server::migrate(&args.database_url))?;
    let mut out = std::io::stdout().lock();
    if applied.is_empty() {
        writeln!(out, "The database is up to date; no migration was pending.")?;
    } else {
        for name in &applied {
            writeln!(out, "applied {name}")?;
        }
        writeln!(out, "{} migration(s) applied.", applied.len())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The stack of the runtime's threads and of its blocking pool (where the API validates
/// strategy graphs): 16 MiB of address space instead of tokio's 2 MiB. Jobs compute on
/// their own engine threads (`bb_jobs::ENGINE_STACK_BYTES`).
const RUNTIME_STACK_BYTES: usize = 16 << 20;

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(RUNTIME_STACK_BYTES)
        .enable_all()
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, clap::Subcommand)]
    #[allow(clippy::large_enum_variant)]
    enum Sub {
        Serve(ServeArgs),
        Migrate(MigrateArgs),
    }

    #[test]
    fn serve_flags_fill_the_config_and_hide_secrets() {
        let cli = Cli::try_parse_from([
            "blockbuilders",
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:9999",
            "--jwt-secret",
            "hunter2-hunter2",
            "--access-token-ttl",
            "5m",
            "--cors-origins",
            "http://localhost:5173,http://127.0.0.1:5173",
            "--log-format",
            "json",
        ])
        .unwrap();
        let Sub::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let config = &args.config;
        assert!(config.demo);
        assert_eq!(config.bind.to_string(), "127.0.0.1:9999");
        assert_eq!(config.access_token_ttl.as_secs(), 300);
        assert_eq!(config.cors_origins.len(), 2);
        assert_eq!(config.log_format, bb_server::LogFormat::Json);
        assert_eq!(
            config.jwt_secret.as_ref().unwrap().expose(),
            "hunter2-hunter2"
        );
        assert!(!format!("{args:?}").contains("hunter2"));
    }

    #[test]
    fn migrate_applies_then_finds_nothing_pending() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let cli =
            Cli::try_parse_from(["blockbuilders", "migrate", "--database-url", &url]).unwrap();
        let Sub::Migrate(args) = cli.command else {
            panic!("not migrate")
        };
        assert_eq!(migrate(&args).unwrap(), ExitCode::SUCCESS);
        assert!(dir.path().join("m.db").exists());
        let again = runtime()
            .unwrap()
            .block_on(bb_server::migrate(&url))
            .unwrap();
        assert!(again.is_empty(), "{again:?}");
    }
}
