//! What every handler can reach: the database, the object store, the configuration, the
//! token keys, the Supabase verifier, the rate limiters and the metrics handle. Cheap to clone (one `Arc`).

use crate::auth::supabase::SupabaseVerifier;
use crate::auth::tokens::{self, TokenKeys};
use crate::config::Config;
use crate::rate_limit::{LoginGuard, RateLimiter};
use crate::telemetry;
use anyhow::Context;
use bb_objects::Objects;
use bb_store::Db;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    db: Db,
    /// Artifacts: strategy exports (and audit packages).
    objects: Objects,
    config: Config,
    tokens: TokenKeys,
    supabase: Option<SupabaseVerifier>,
    limiter: RateLimiter,
    login_guard: LoginGuard,
    metrics: PrometheusHandle,
    /// Stripe billing, when configured.
    billing: Option<crate::billing::BillingSetup>,
    /// Email, when configured (`BB_SMTP_URL`).
    mail: Option<bb_jobs::MailSetup>,
    /// The screener's feeds (set by `start`).
    screener: Option<crate::screener::ScreenerRuntime>,
    /// The workers running in this process, if any (taken at shutdown).
    workers: std::sync::Mutex<Option<bb_jobs::Workers>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.0.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state over a connected database. Without `BB_JWT_SECRET` a random secret
    /// is generated (with a warning): tokens then do not survive a restart.
    pub fn new(db: Db, config: Config) -> anyhow::Result<AppState> {
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => {
                tracing::warn!(
                    "BB_JWT_SECRET is not set; using a random secret, so every restart signs \
                     everybody out"
                );
                tokens::random_secret()
            }
        };
        let tokens = TokenKeys::new(&secret, config.access_token_ttl);
        let supabase = SupabaseVerifier::from_config(&config)?;
        let limiter = RateLimiter::new(config.auth_rate_limit);
        let objects = Objects::from_config_or(
            config.object_store_url.as_deref(),
            &config.object_store_pairs(),
            &config.default_objects_dir(),
        )
        .context("opening the object store (BB_OBJECT_STORE_*)")?;
        tracing::info!(location = objects.location(), "object store");
        let billing = crate::billing::BillingSetup::from_config(&config)
            .context("setting up Stripe billing (BB_STRIPE_*)")?;
        Ok(AppState(Arc::new(Inner {
            db,
            objects,
            tokens,
            supabase,
            limiter,
            login_guard: LoginGuard::default(),
            metrics: telemetry::metrics_handle(),
            workers: std::sync::Mutex::new(None),
            billing,
            mail: None,
            screener: None,
            config,
        })))
    }

    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// The object store (exports, audit packages).
    pub fn objects(&self) -> &Objects {
        &self.0.objects
    }

    /// The same state with email set up (call before cloning it).
    pub fn with_mail(mut self, mail: Option<bb_jobs::MailSetup>) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.mail = mail;
        }
        self
    }

    /// The same state with the screener running (call before cloning it).
    pub fn with_screener(mut self, screener: crate::screener::ScreenerRuntime) -> AppState {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.screener = Some(screener);
        }
        self
    }

    /// The screener, once started.
    pub fn screener(&self) -> Option<&crate::screener::ScreenerRuntime> {
        self.0.screener.as_ref()
    }

    /// Email, when configured.
    pub fn mail(&self) -> Option<&bb_jobs::MailSetup> {
        self.0.mail.as_ref()
    }

    /// Stripe billing, when configured.
    pub fn billing(&self) -> Option<&crate::billing::BillingSetup> {
        self.0.billing.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn tokens(&self) -> &TokenKeys {
        &self.0.tokens
    }

    pub fn supabase(&self) -> Option<&SupabaseVerifier> {
        self.0.supabase.as_ref()
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    pub fn login_guard(&self) -> &LoginGuard {
        &self.0.login_guard
    }

    pub fn metrics(&self) -> &PrometheusHandle {
        &self.0.metrics
    }

    /// Starts `config.worker_slots()` workers in this process (none when 0). Call once.
    pub fn start_workers(&self) {
        let slots = self.0.config.worker_slots();
        if slots == 0 {
            return;
        }
        let config = bb_jobs::WorkerConfig {
            concurrency: slots,
            lease: self.0.config.worker_lease,
            market: self.market_config(),
            webhooks: self.webhook_policy(),
            mail: self.0.mail.clone(),
            handlers: crate::operations::handlers(&self.0.config).unwrap_or_else(|e| {
                tracing::error!(error = %e, "backups are not scheduled");
                bb_jobs::Handlers::default()
            }),
            ..bb_jobs::WorkerConfig::default()
        };
        let workers = bb_jobs::Workers::spawn(self.0.db.clone(), config);
        if let Ok(mut slot) = self.0.workers.lock() {
            *slot = Some(workers);
        }
    }

    /// How the workers deliver webhooks.
    pub fn webhook_policy(&self) -> bb_webhooks::Policy {
        bb_webhooks::Policy {
            allow_private: self.0.config.webhook_allow_private,
            ..bb_webhooks::Policy::default()
        }
    }

    /// The market-data providers' configuration (the `BB_*` variables unless set).
    pub fn market_config(&self) -> bb_market::MarketConfig {
        self.0
            .config
            .market
            .clone()
            .unwrap_or_else(bb_market::MarketConfig::from_env)
    }

    /// Stops this process's workers, waiting for the jobs in flight.
    pub async fn stop_workers(&self) {
        let workers = self.0.workers.lock().ok().and_then(|mut w| w.take());
        if let Some(workers) = workers {
            workers.shutdown().await;
        }
    }
}
