//! `bb-server`: the HTTP API under `/api/v1`, its OpenAPI spec and docs, the operations
//! endpoints, and the embedded web UI, in one router over [`bb_store::Db`].
//!
//! Entry points: [`serve`] (what `blockbuilders serve` runs), [`start`] + [`run`] (what
//! tests use to serve on port 0), [`router`] and [`migrate`].
//!
//! Architecture Invariant: no SQL here (the store owns it) and no strategy logic (the
//! strategy crate owns it); handlers check who may do what and translate. Errors become
//! HTTP in one place ([`error`]). CPU-heavy work (password hashing, validating large
//! graphs) runs on the blocking pool.

pub mod audit_anchor;
pub mod auth;
pub mod backup;
pub mod billing;
pub mod config;
pub mod error;
pub mod extract;
pub mod mail;
pub mod middleware;
pub mod openapi;
pub mod operations;
pub mod rate_limit;
pub mod routes;
pub mod screener;
pub mod seed;
pub mod state;
pub mod telemetry;

pub use config::{Config, LogFormat, Secret};
pub use state::AppState;

use anyhow::Context;
use axum::Router;
use axum::response::{IntoResponse, Response};
use bb_store::Db;
use error::ApiError;
use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

/// The whole application: API, docs, operations endpoints and UI, with every layer.
pub fn router(state: AppState) -> Router {
    let (api, mut spec) = routes::api().split_for_parts();
    openapi::complete(&mut spec);
    let app = api
        .merge(openapi::docs(spec))
        .route_layer(axum::middleware::from_fn(middleware::record_route))
        .fallback(routes::web::fallback)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(middleware::limit_body));
    let app = match middleware::cors(state.config()) {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        middleware::request_context,
    ))
    .with_state(state)
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::Internal(format!("a handler panicked: {message}")).into_response()
}

/// Connects, applies migrations, seeds the demo data when asked, builds the state and
/// starts the in-process workers (unless `--no-workers`).
pub async fn start(config: Config) -> anyhow::Result<AppState> {
    install_crypto_provider();
    let db = Db::connect(&config.database_url)
        .await
        .context("connecting to the database")?;
    for name in db.migrate().await.context("applying migrations")? {
        tracing::info!(migration = %name, "applied a migration");
    }
    if config.demo {
        seed::demo(&db).await.context("creating the demo data")?;
        let datasets = bb_market::demo::load_demo(&db)
            .await
            .context("loading the bundled demo candles")?;
        tracing::info!(datasets = datasets.len(), "demo market data ready");
    }
    operations::ensure_schedules(&db, &config)
        .await
        .context("scheduling retention and backups (BB_RETENTION_*, BB_BACKUP_*)")?;
    let mail = mail::setup(&db, &config).await?;
    let screener = screener::ScreenerRuntime::start(db.clone(), &config)?;
    if config.demo && config.screener_feed.is_none() {
        screener.replay_demo().await;
    }
    let state = AppState::new(db, config)?
        .with_mail(mail)
        .with_screener(screener);
    state.start_workers();
    Ok(state)
}

/// Serves the application on a bound listener until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = router(state);
    // Small responses and server-sent events go out at once instead of waiting up to 40 ms
    // for the client's delayed ACK (Nagle).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `blockbuilders serve`: everything, until Ctrl-C or SIGTERM.
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    telemetry::init_tracing(&config);
    tracing::debug!(?config, "configuration");
    let bind = config.bind;
    let demo = config.demo;
    // Bound first, so links in emails name the port really taken (`--bind …:0`).
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let addr = listener.local_addr()?;
    let shown = if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    };
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{shown}"));
    }
    let state = start(config).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Blockbuilders is running at http://{shown}")?;
    writeln!(out, "API docs: http://{shown}{}/", openapi::DOCS_PATH)?;
    if demo {
        writeln!(
            out,
            "Demo account: {} / {}",
            seed::DEMO_EMAIL,
            seed::DEMO_PASSWORD
        )?;
        writeln!(
            out,
            "Demo candles are stored; list them with `blockbuilders data list` and backtest one with\n  blockbuilders backtest --strategy strategies/sma_crossover.json --dataset BTC-USD:1d"
        )?;
    }
    if !routes::web::ui_is_built() && state.config().web_dir.is_none() {
        writeln!(
            out,
            "The web UI is not built; run `npm ci && npm run build` in web/ (or `make run`)."
        )?;
    }
    drop(out);
    tracing::info!(%addr, backend = ?state.db().backend(), "listening");
    let db = state.db().clone();
    // The audit chain's head goes to `--audit-head-dir` when given (ideally storage the
    // database's operators cannot rewrite), else to the product's object store.
    let heads = match &state.config().audit_head_dir {
        Some(dir) => audit_anchor::local_store(dir)?,
        None => state.objects().store(),
    };
    let recorder = Some(audit_anchor::spawn_recorder(
        db.clone(),
        heads,
        state.config().audit_head_interval,
    ));
    let digests = state
        .mail()
        .map(|_| mail::spawn_digests(db.clone(), state.config().mail_digest_interval));
    let retention = screener::spawn_retention(db.clone(), state.config().screener_retention);
    let sweep = state.billing().map(|b| {
        billing::spawn_grace_sweep(
            db.clone(),
            b.grace_ms(),
            state.config().billing_sweep_interval,
        )
    });
    run(listener, state.clone(), shutdown_signal()).await?;
    if let Some(recorder) = recorder {
        recorder.abort();
    }
    if let Some(sweep) = sweep {
        sweep.abort();
    }
    retention.abort();
    if let Some(digests) = digests {
        digests.abort();
    }
    state.stop_workers().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `blockbuilders worker`: workers only (no HTTP), on `config.database_url`, with
/// `config.workers` slots, until Ctrl-C or SIGTERM; then the jobs in flight finish.
pub async fn work(config: Config) -> anyhow::Result<()> {
    telemetry::init_tracing(&config);
    install_crypto_provider();
    let db = Db::connect(&config.database_url)
        .await
        .context("connecting to the database")?;
    for name in db.migrate().await.context("applying migrations")? {
        tracing::info!(migration = %name, "applied a migration");
    }
    let slots = config.workers.max(1);
    operations::ensure_schedules(&db, &config)
        .await
        .context("scheduling retention and backups (BB_RETENTION_*, BB_BACKUP_*)")?;
    let handlers = operations::handlers(&config)?;
    let mail = mail::setup(&db, &config).await?;
    let workers = bb_jobs::Workers::spawn(
        db.clone(),
        bb_jobs::WorkerConfig {
            concurrency: slots,
            lease: config.worker_lease,
            market: bb_market::MarketConfig::from_env(),
            webhooks: bb_webhooks::Policy {
                allow_private: config.webhook_allow_private,
                ..bb_webhooks::Policy::default()
            },
            mail,
            handlers,
            ..bb_jobs::WorkerConfig::default()
        },
    );
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Blockbuilders worker {} is running {slots} job slot(s) on {}",
        workers.name(),
        bb_store::redact_url(&config.database_url)
    )?;
    drop(out);
    shutdown_signal().await;
    workers.shutdown().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `blockbuilders migrate`: applies pending migrations and returns their names.
pub async fn migrate(database_url: &str) -> anyhow::Result<Vec<String>> {
    install_crypto_provider();
    let db = Db::connect(database_url)
        .await
        .context("connecting to the database")?;
    let applied = db.migrate().await.context("applying migrations")?;
    db.close().await;
    Ok(applied)
}

/// Makes ring the process's TLS crypto provider (once; later calls do nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_internal_error() {
        let response = panic_response(Box::new("boom"));
        assert_eq!(
            response.status(),
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        let payload = response.extensions().get::<error::ErrorPayload>().unwrap();
        assert_eq!(payload.code, crate::error::ErrorCode::Internal);
        assert!(!payload.message.contains("boom"), "{}", payload.message);
    }
}
