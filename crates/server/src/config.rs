//! The server's configuration: one typed struct read from command-line flags and `BB_*`
//! environment variables (clap is the only config layer). Secrets are wrapped in [`Secret`],
//! whose `Debug` never shows the value, so the struct can be logged.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://blockbuilders.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
const DEFAULT_ACCESS_TOKEN_TTL: &str = "15m";
const DEFAULT_REFRESH_TOKEN_TTL: &str = "30d";
const DEFAULT_AUTH_RATE_LIMIT: &str = "10";
const DEFAULT_REQUEST_TIMEOUT: &str = "30s";
const DEFAULT_LOG: &str = "info";
const DEFAULT_MAX_DECOMPRESSED: &str = "256MiB";
const DEFAULT_MAIL_FROM: &str = "Blockbuilders <notifications@blockbuilders.local>";

/// Everything `blockbuilders serve` can be told. Flags win over environment variables.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Where the data lives: `sqlite://path.db` (created if missing) or `postgres://...`.
    #[arg(long, env = "BB_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "BB_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,

    /// Secret that signs access tokens (HS256). When unset a random one is generated at
    /// start, so every restart signs everybody out.
    #[arg(long, env = "BB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Lifetime of an access token (`900`, `90s`, `15m`, `2h`, `30d`).
    #[arg(long, env = "BB_ACCESS_TOKEN_TTL", default_value = DEFAULT_ACCESS_TOKEN_TTL, value_parser = parse_duration)]
    pub access_token_ttl: Duration,

    /// Lifetime of a refresh token (the sign-in session).
    #[arg(long, env = "BB_REFRESH_TOKEN_TTL", default_value = DEFAULT_REFRESH_TOKEN_TTL, value_parser = parse_duration)]
    pub refresh_token_ttl: Duration,

    /// Origins allowed to call the API from a browser (comma separated). Empty: same origin
    /// only.
    #[arg(long, env = "BB_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Add `Secure` to the refresh-token cookie (set this when served over HTTPS).
    #[arg(long, env = "BB_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Supabase project JWT secret (legacy HS256 tokens).
    #[arg(long, env = "BB_SUPABASE_JWT_SECRET", hide_env_values = true)]
    pub supabase_jwt_secret: Option<Secret>,

    /// Supabase JWKS address for asymmetric (ES256/RS256) tokens, e.g.
    /// `https://<project>.supabase.co/auth/v1/.well-known/jwks.json`.
    #[arg(long, env = "BB_SUPABASE_JWKS_URL")]
    pub supabase_jwks_url: Option<String>,

    /// Required `iss` of Supabase tokens, e.g. `https://<project>.supabase.co/auth/v1`.
    #[arg(long, env = "BB_SUPABASE_ISSUER")]
    pub supabase_issuer: Option<String>,

    /// Serve the web UI from this directory instead of the copy embedded in the binary.
    #[arg(long, env = "BB_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// Register and login attempts allowed per client IP and minute.
    #[arg(long, env = "BB_AUTH_RATE_LIMIT", default_value = DEFAULT_AUTH_RATE_LIMIT)]
    pub auth_rate_limit: u32,

    /// Take the client IP from the last `X-Forwarded-For` entry (only behind a proxy you run).
    #[arg(long, env = "BB_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Longest time a request may take before it is answered with an error.
    #[arg(long, env = "BB_REQUEST_TIMEOUT", default_value = DEFAULT_REQUEST_TIMEOUT, value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Log format: `pretty` on a terminal and `json` otherwise when `auto`.
    #[arg(long, env = "BB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// Log filter in `RUST_LOG` syntax, e.g. `info,bb_server=debug`.
    #[arg(long, env = "BB_LOG", default_value = DEFAULT_LOG)]
    pub log: String,

    /// Create the demo account and the five starter strategies (skipped when present).
    #[arg(long, env = "BB_DEMO")]
    pub demo: bool,

    /// Jobs (backtests, sweeps, fetches) this process runs at once; 0 runs none here (then
    /// run `blockbuilders worker` elsewhere).
    #[arg(long, env = "BB_WORKERS", default_value_t = 2)]
    pub workers: usize,

    /// Serve the API only, with no workers in this process (same as `--workers 0`).
    #[arg(long, env = "BB_NO_WORKERS")]
    pub no_workers: bool,

    /// How long a worker holds a job without a heartbeat before another may take it over.
    #[arg(long, env = "BB_WORKER_LEASE", default_value = "30s", value_parser = parse_duration)]
    pub worker_lease: Duration,

    /// The most bytes an imported compressed file may expand to (`268435456`, `512KiB`,
    /// `256MiB`, `1GiB`); a larger one is refused with 413.
    #[arg(long, env = "BB_MAX_DECOMPRESSED", default_value = DEFAULT_MAX_DECOMPRESSED, value_parser = parse_size)]
    pub max_decompressed: u64,

    /// Bearer token that `GET /metrics` requires. Without it, `/metrics` answers 404 unless
    /// `--metrics-public` is given.
    #[arg(long, env = "BB_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// Serve `/metrics` without a token (only where the port is not reachable by users,
    /// e.g. a private network scraped by Prometheus). Ignored when a token is set.
    #[arg(long, env = "BB_METRICS_PUBLIC")]
    pub metrics_public: bool,

    /// A directory (object storage on the local file system) where `serve` records the
    /// audit chain's head every `--audit-head-interval`, so a later rewrite of the chain in
    /// the database shows (`blockbuilders audit verify PACKAGE --heads DIR`). Unset: the
    /// heads go to the object store (`--object-store-url`) under `audit/heads/`.
    #[arg(long, env = "BB_AUDIT_HEAD_DIR")]
    pub audit_head_dir: Option<PathBuf>,

    /// How often the audit head is recorded (`30s`, `10m`, `1h`, ...).
    #[arg(long, env = "BB_AUDIT_HEAD_INTERVAL", default_value = "1h", value_parser = parse_duration)]
    pub audit_head_interval: Duration,
    /// Where artifacts (strategy exports, audit packages) are stored: `file:///abs/dir`, a
    /// directory path, `s3://bucket[/prefix]` or `memory:`. Unset: `objects/` next to a
    /// SQLite database file, else `data/objects`.
    #[arg(long, env = "BB_OBJECT_STORE_URL")]
    pub object_store_url: Option<String>,

    /// S3 endpoint for S3-compatible servers (MinIO, R2, moto), e.g. `http://127.0.0.1:9000`.
    /// Unset: AWS (or `AWS_ENDPOINT_URL`).
    #[arg(long, env = "BB_OBJECT_STORE_ENDPOINT")]
    pub object_store_endpoint: Option<String>,

    /// S3 region (else `AWS_REGION` / `AWS_DEFAULT_REGION`).
    #[arg(long, env = "BB_OBJECT_STORE_REGION")]
    pub object_store_region: Option<String>,

    /// S3 access key id (else `AWS_ACCESS_KEY_ID`).
    #[arg(long, env = "BB_OBJECT_STORE_ACCESS_KEY_ID")]
    pub object_store_access_key_id: Option<String>,

    /// S3 secret access key (else `AWS_SECRET_ACCESS_KEY`).
    #[arg(
        long,
        env = "BB_OBJECT_STORE_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub object_store_secret_access_key: Option<Secret>,

    /// Allow a plain-HTTP S3 endpoint (local test servers only).
    #[arg(long, env = "BB_OBJECT_STORE_ALLOW_HTTP")]
    pub object_store_allow_http: bool,

    /// Further S3 options as `key=value` pairs (comma separated), e.g.
    /// `virtual_hosted_style_request=true`; an unknown key is refused at start.
    #[arg(long, env = "BB_OBJECT_STORE_OPTIONS", value_delimiter = ',', value_parser = parse_option, hide_env_values = true)]
    pub object_store_options: Vec<ObjectStoreOption>,

    /// Deliver webhooks to loopback and private addresses too (tests; a self-hosted install
    /// whose receivers are on its own network). Off: such URLs are refused when registered
    /// and every resolved address is checked again when a delivery connects.
    #[arg(long, env = "BB_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// Stripe secret key (`sk_live_…`, `sk_test_…`). With a webhook secret and at least one
    /// price, the plan page sells plans through Stripe Checkout; without, plans are changed
    /// by an administrator.
    #[arg(long, env = "BB_STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<Secret>,

    /// Signing secret of the Stripe webhook endpoint `/api/v1/billing/stripe-webhook`
    /// (`whsec_…`); during a roll, both (comma separated).
    #[arg(
        long,
        env = "BB_STRIPE_WEBHOOK_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Vec<Secret>,

    /// Stripe's API address (a local fake in tests).
    #[arg(long, env = "BB_STRIPE_API_BASE", default_value = bb_billing::DEFAULT_BASE)]
    pub stripe_api_base: String,

    /// The Stripe price (`price_…`, recurring) that buys the premium plan.
    #[arg(long, env = "BB_STRIPE_PRICE_PREMIUM")]
    pub stripe_price_premium: Option<String>,

    /// The Stripe price that buys the educator plan.
    #[arg(long, env = "BB_STRIPE_PRICE_EDUCATOR")]
    pub stripe_price_educator: Option<String>,

    /// How long a paid plan stays after a renewal payment fails (Stripe retries meanwhile).
    #[arg(long, env = "BB_BILLING_GRACE", default_value = "7d", value_parser = parse_duration)]
    pub billing_grace: Duration,

    /// How often `serve` downgrades those whose grace period ended.
    #[arg(long, env = "BB_BILLING_SWEEP_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    pub billing_sweep_interval: Duration,

    /// The address users reach the app at, e.g. `https://app.example.com` (Stripe sends
    /// the browser back there). Unset: the request's `Host`, over http.
    #[arg(long, env = "BB_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where email goes out: `smtp://host:port` (no TLS: a local relay or test sink),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host`.
    /// Unset: no email is sent (in-app and webhooks still are).
    #[arg(long, env = "BB_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of every email, e.g. `Blockbuilders <alerts@mail.example.com>`.
    #[arg(long, env = "BB_MAIL_FROM", default_value = DEFAULT_MAIL_FROM)]
    pub mail_from: String,

    /// How long notifications set to "daily digest" are held before one email carries them.
    #[arg(long, env = "BB_MAIL_DIGEST_INTERVAL", default_value = "1d", value_parser = parse_duration)]
    pub mail_digest_interval: Duration,

    /// The screener's live feed: `binance:btcusdt,ethusdt,…` (Binance's public streams) or
    /// `replay:FILE.dbn[.zst],…` (recorded Databento files at `BB_SCREENER_REPLAY_SPEED`) or
    /// `synthetic:9000` (a seeded full market of that many symbols, live-paced: benchmarks).
    /// Unset: no live feed (admins can still replay files through the API; `--demo` replays
    /// the bundled demo feed once); `off`: none, and no demo feed either.
    #[arg(long, env = "BB_SCREENER_FEED")]
    pub screener_feed: Option<String>,

    /// Databento's API key, for `BB_SCREENER_FEED=databento:DATASET:SCHEMA:SYMBOL,…`
    /// (e.g. `databento:GLBX.MDP3:mbp-1:ESU4,NQU4`).
    #[arg(long, env = "BB_DATABENTO_API_KEY", hide_env_values = true)]
    pub databento_api_key: Option<String>,

    /// Databento's live gateway (`host:port`; unset: the dataset's own).
    #[arg(long, env = "BB_DATABENTO_GATEWAY")]
    pub databento_gateway: Option<String>,

    /// How many times real time a `replay:` feed runs (0: as fast as it can).
    #[arg(long, env = "BB_SCREENER_REPLAY_SPEED", default_value_t = 1.0)]
    pub screener_replay_speed: f64,

    /// The Binance WebSocket endpoint (tests point it at a local server).
    #[arg(
        long,
        env = "BB_SCREENER_BINANCE_URL",
        default_value = "wss://stream.binance.com:9443"
    )]
    pub screener_binance_url: String,

    /// The built-in screens' settings as JSON (see `ScreenerConfig`; unset: the defaults,
    /// e.g. `{"gap":{"min_pct":3},"session_offset_minutes":0}`).
    #[arg(long, env = "BB_SCREENER_SETTINGS")]
    pub screener_settings: Option<String>,

    /// How long screener alerts are kept before the hourly prune deletes them.
    #[arg(long, env = "BB_SCREENER_RETENTION", default_value = "30d", value_parser = parse_duration)]
    pub screener_retention: Duration,

    /// Scheduled backups go here: a directory, `file:///dir` or `s3://bucket[/prefix]` (with
    /// the `BB_OBJECT_STORE_*` endpoint, region and keys). Unset: no scheduled backups.
    #[arg(long, env = "BB_BACKUP_TO")]
    pub backup_to: Option<String>,

    /// How often the scheduled backup runs (once across all workers).
    #[arg(long, env = "BB_BACKUP_EVERY", default_value = "24h", value_parser = parse_duration)]
    pub backup_every: Duration,

    /// Backups kept: the newest of each of this many last days…
    #[arg(long, env = "BB_BACKUP_KEEP_DAILY", default_value_t = 7)]
    pub backup_keep_daily: u32,

    /// …and the newest of each of this many last weeks.
    #[arg(long, env = "BB_BACKUP_KEEP_WEEKLY", default_value_t = 4)]
    pub backup_keep_weekly: u32,

    /// Skip the restore drill after each scheduled backup (restore into a scratch database,
    /// migrate, boot the API on it and ask `/ready`).
    #[arg(long, env = "BB_BACKUP_NO_DRILL")]
    pub backup_no_drill: bool,

    /// Retention (the daily `retention` job): finished jobs are deleted after this long
    /// (`off`: kept forever).
    #[arg(long, env = "BB_RETENTION_JOBS", default_value = "30d", value_parser = parse_window)]
    pub retention_jobs: Window,

    /// Notifications are deleted after this long (`off`: kept forever).
    #[arg(long, env = "BB_RETENTION_NOTIFICATIONS", default_value = "90d", value_parser = parse_window)]
    pub retention_notifications: Window,

    /// Finished webhook deliveries and sent emails are deleted after this long.
    #[arg(long, env = "BB_RETENTION_DELIVERIES", default_value = "30d", value_parser = parse_window)]
    pub retention_deliveries: Window,

    /// Finished runs' progress events and stopped paper runs' intraday ticks are deleted
    /// after this long (the runs, reports and trades stay).
    #[arg(long, env = "BB_RETENTION_RUN_DETAIL", default_value = "90d", value_parser = parse_window)]
    pub retention_run_detail: Window,

    /// Handled Stripe events (the webhook idempotency keys) are deleted after this long.
    #[arg(long, env = "BB_RETENTION_IDEMPOTENCY", default_value = "30d", value_parser = parse_window)]
    pub retention_idempotency: Window,

    /// Ended refresh tokens and used or expired email tokens are deleted this long after
    /// they ended.
    #[arg(long, env = "BB_RETENTION_SESSIONS", default_value = "30d", value_parser = parse_window)]
    pub retention_sessions: Window,

    /// Market-data providers (keys and endpoints); `None` reads the `BB_*` variables at
    /// start. Set by embedders and tests.
    #[arg(skip)]
    pub market: Option<bb_market::MarketConfig>,
}

impl Config {
    /// The address users reach the app at (links in emails, Stripe's way back):
    /// `--public-url`, else `http://` and the bound address.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// Worker slots to run in this process.
    pub fn worker_slots(&self) -> usize {
        if self.no_workers { 0 } else { self.workers }
    }

    /// The defaults, with a database; what tests and embedders start from.
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            bind: DEFAULT_BIND.parse().unwrap_or_else(|_| unreachable!()),
            jwt_secret: None,
            access_token_ttl: parse_duration(DEFAULT_ACCESS_TOKEN_TTL)
                .unwrap_or_else(|_| unreachable!()),
            refresh_token_ttl: parse_duration(DEFAULT_REFRESH_TOKEN_TTL)
                .unwrap_or_else(|_| unreachable!()),
            cors_origins: Vec::new(),
            secure_cookies: false,
            supabase_jwt_secret: None,
            supabase_jwks_url: None,
            supabase_issuer: None,
            web_dir: None,
            auth_rate_limit: 10,
            trust_proxy: false,
            request_timeout: Duration::from_secs(30),
            log_format: LogFormat::Auto,
            log: DEFAULT_LOG.to_string(),
            demo: false,
            workers: 2,
            no_workers: false,
            worker_lease: Duration::from_secs(30),
            max_decompressed: bb_data::DEFAULT_MAX_DECOMPRESSED,
            metrics_token: None,
            metrics_public: false,
            audit_head_dir: None,
            audit_head_interval: Duration::from_secs(3600),
            market: None,
            object_store_url: None,
            object_store_endpoint: None,
            object_store_region: None,
            object_store_access_key_id: None,
            object_store_secret_access_key: None,
            object_store_allow_http: false,
            object_store_options: Vec::new(),
            webhook_allow_private: false,
            stripe_secret_key: None,
            stripe_webhook_secret: Vec::new(),
            stripe_api_base: bb_billing::DEFAULT_BASE.to_owned(),
            stripe_price_premium: None,
            stripe_price_educator: None,
            billing_grace: Duration::from_secs(7 * 86_400),
            billing_sweep_interval: Duration::from_secs(60),
            public_url: None,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            mail_digest_interval: Duration::from_secs(86_400),
            screener_feed: None,
            databento_api_key: None,
            databento_gateway: None,
            screener_replay_speed: 1.0,
            screener_binance_url: "wss://stream.binance.com:9443".to_owned(),
            screener_settings: None,
            screener_retention: Duration::from_secs(30 * 86_400),
            backup_to: None,
            backup_every: Duration::from_secs(86_400),
            backup_keep_daily: 7,
            backup_keep_weekly: 4,
            backup_no_drill: false,
            retention_jobs: Window::days(30),
            retention_notifications: Window::days(90),
            retention_deliveries: Window::days(30),
            retention_run_detail: Window::days(90),
            retention_idempotency: Window::days(30),
            retention_sessions: Window::days(30),
        }
    }

    /// What the daily `retention` job deletes (the `BB_RETENTION_*` windows and
    /// `BB_SCREENER_RETENTION`).
    pub fn retention_policy(&self) -> bb_store::RetentionPolicy {
        bb_store::RetentionPolicy {
            jobs: self.retention_jobs.0,
            notifications: self.retention_notifications.0,
            deliveries: self.retention_deliveries.0,
            run_detail: self.retention_run_detail.0,
            screener_alerts: Some(self.screener_retention),
            idempotency: self.retention_idempotency.0,
            sessions: self.retention_sessions.0,
            ..bb_store::RetentionPolicy::default()
        }
    }

    /// The object store's options as `bb_objects` takes them (the explicit settings, then
    /// `BB_OBJECT_STORE_OPTIONS`).
    pub fn object_store_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut push = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                pairs.push((key.to_string(), value.to_string()));
            }
        };
        push("endpoint", self.object_store_endpoint.as_deref());
        push("region", self.object_store_region.as_deref());
        push("access_key_id", self.object_store_access_key_id.as_deref());
        push(
            "secret_access_key",
            self.object_store_secret_access_key
                .as_ref()
                .map(Secret::expose),
        );
        push("allow_http", self.object_store_allow_http.then_some("true"));
        pairs.extend(
            self.object_store_options
                .iter()
                .map(|o| (o.key.clone(), o.value.expose().to_string())),
        );
        pairs
    }

    /// The directory objects go to when no URL is set: `objects/` next to a SQLite
    /// database file, else `data/objects`.
    pub fn default_objects_dir(&self) -> PathBuf {
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default())
            .filter(|path| !path.is_empty() && !path.contains(":memory:"));
        match file.and_then(|path| std::path::Path::new(path).parent()) {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("objects"),
            Some(_) => PathBuf::from("objects"),
            None => PathBuf::from(bb_objects::DEFAULT_DIR),
        }
    }
}

/// One `key=value` object-store option; the value may be a secret, so it is redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectStoreOption {
    pub key: String,
    pub value: Secret,
}

/// Reads `key=value` (the key is checked when the store is opened).
fn parse_option(text: &str) -> Result<ObjectStoreOption, String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() && !value.is_empty() => {
            Ok(ObjectStoreOption {
                key: key.trim().to_string(),
                value: Secret::new(value),
            })
        }
        _ => Err(format!("\"{text}\" is not a key=value option")),
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

/// A value that must never appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself; call this only where the value is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Secret, String> {
        if s.is_empty() {
            return Err("the secret is empty".to_string());
        }
        Ok(Secret(s.to_string()))
    }
}

/// `"256MiB"` → `("256", "MiB")`: the leading digits and the rest.
fn number_and_unit(text: &str) -> (&str, &str) {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(split)
}

/// Reads `900` (seconds), `90s`, `15m`, `2h` or `30d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration like 90s, 15m, 2h or 30d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit \"{unit}\" in \"{text}\"; use s, m, h or d"
            ));
        }
    };
    if number == 0 {
        return Err(format!("the duration \"{text}\" must be greater than zero"));
    }
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// A retention window: how long something is kept; `None` (`off`) keeps it forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window(pub Option<Duration>);

impl Window {
    fn days(n: u64) -> Window {
        Window(Some(Duration::from_secs(n * 86_400)))
    }
}

/// Reads a retention window: a duration (`30d`, `12h`) or `off` (kept forever).
pub fn parse_window(text: &str) -> Result<Window, String> {
    match text.trim() {
        "off" | "never" | "forever" => Ok(Window(None)),
        other => parse_duration(other).map(|d| Window(Some(d))),
    }
}

/// Reads a size in bytes: `1048576`, `512KiB`, `256MiB`, `1GiB` (also `KB`/`MB`/`GB` and
/// `K`/`M`/`G`, all powers of 1024). At least 1 byte.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a size like 1048576, 512KiB, 256MiB or 1GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "unknown unit \"{other}\" in \"{text}\"; use KiB, MiB or GiB"
            ));
        }
    };
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("the size \"{text}\" is too large"))?;
    if bytes == 0 {
        return Err(format!("the size \"{text}\" must be greater than zero"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("512KiB", 512 << 10),
            ("256MiB", 256 << 20),
            ("1GiB", 1 << 30),
            ("2g", 2 << 30),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
        assert_eq!(
            parse_size(DEFAULT_MAX_DECOMPRESSED),
            Ok(bb_data::DEFAULT_MAX_DECOMPRESSED)
        );
        for text in ["", "0", "MiB", "5TB", "-1", "99999999999GiB"] {
            assert!(parse_size(text).is_err(), "{text}");
        }
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("900", 900),
            ("90s", 90),
            ("15m", 900),
            ("2h", 7200),
            ("30d", 2_592_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for text in ["", "m", "15x", "-1s", "0"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let mut config = Config::new("sqlite::memory:");
        config.jwt_secret = Some(Secret::new("hunter2-hunter2"));
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn object_store_settings() {
        let mut config = Config::new("sqlite:///var/lib/bb/app.db");
        assert_eq!(
            config.default_objects_dir(),
            PathBuf::from("/var/lib/bb/objects")
        );
        config.object_store_secret_access_key = Some(Secret::new("s3cr3t-key"));
        config.object_store_allow_http = true;
        config.object_store_options = vec![parse_option("token=tok3n-value").unwrap()];
        let text = format!("{config:?}");
        assert!(
            !text.contains("s3cr3t-key") && !text.contains("tok3n-value"),
            "{text}"
        );
        assert_eq!(
            config.object_store_pairs(),
            [
                ("secret_access_key".to_string(), "s3cr3t-key".to_string()),
                ("allow_http".to_string(), "true".to_string()),
                ("token".to_string(), "tok3n-value".to_string()),
            ]
        );
        assert!(parse_option("novalue").is_err());
        assert_eq!(
            Config::new("postgres://x/y").default_objects_dir(),
            PathBuf::from("data/objects")
        );
        assert_eq!(
            Config::new("sqlite://blockbuilders.db").default_objects_dir(),
            PathBuf::from("objects")
        );
    }
}
