//! Logs and metrics. Logs are pretty on a terminal and JSON lines otherwise
//! (`BB_LOG_FORMAT` overrides), filtered by `BB_LOG` (`RUST_LOG` syntax). Metrics are kept
//! by a process-wide Prometheus recorder and rendered by `GET /metrics`.

use crate::config::{Config, LogFormat};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

pub const REQUESTS_TOTAL: &str = "http_requests_total";
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
pub const DB_POOL_SIZE: &str = "db_pool_connections";
pub const DB_POOL_IDLE: &str = "db_pool_idle_connections";

/// Installs the global log subscriber; a second call (tests, embedders) does nothing.
pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|e| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "warning: BB_LOG \"{}\" is not a valid filter ({e}); using \"info\"",
            config.log
        );
        EnvFilter::new("info")
    });
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
    drop(result);
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_string()), &buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        REQUESTS_TOTAL,
        "HTTP requests answered, by route, method and status."
    );
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route, method and status."
    );
    metrics::describe_gauge!(DB_POOL_SIZE, "Open database connections.");
    metrics::describe_gauge!(DB_POOL_IDLE, "Idle database connections.");
}

/// Counts one answered request under its matched route (never the raw path, which would
/// make one series per id).
pub fn record_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("route", route.to_string()),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// Records the database pool's size and idle connections.
pub fn record_pool(size: u32, idle: usize) {
    metrics::gauge!(DB_POOL_SIZE).set(f64::from(size));
    metrics::gauge!(DB_POOL_IDLE).set(idle as f64);
}
