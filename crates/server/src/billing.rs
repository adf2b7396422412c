//! Stripe billing as the server runs it: the setup read from the configuration (refused at
//! start when half given), the handling of one verified Stripe event (read the subscription
//! again from Stripe, then `bb_store::Billing::apply`), and the sweep that ends grace
//! periods.

use std::time::Duration;

use anyhow::bail;
use bb_billing::{Event, StripeClient, StripeError, Subscription};
use bb_store::{Db, PlanTier, SubscriptionSnapshot};

use crate::config::Config;

/// Billing, when configured.
#[derive(Clone, Debug)]
pub struct BillingSetup {
    pub client: StripeClient,
    webhook_secrets: Vec<String>,
    /// The price each sold plan has.
    pub prices: Vec<(PlanTier, String)>,
    pub grace: Duration,
}

impl BillingSetup {
    /// `None` when no Stripe key is given; an error when the setup is half given.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<BillingSetup>> {
        let prices: Vec<(PlanTier, String)> = [
            (PlanTier::Premium, &config.stripe_price_premium),
            (PlanTier::Educator, &config.stripe_price_educator),
        ]
        .into_iter()
        .filter_map(|(plan, price)| price.clone().map(|p| (plan, p)))
        .collect();
        let Some(key) = &config.stripe_secret_key else {
            if !config.stripe_webhook_secret.is_empty() || !prices.is_empty() {
                bail!(
                    "BB_STRIPE_SECRET_KEY is needed with BB_STRIPE_WEBHOOK_SECRET and BB_STRIPE_PRICE_*"
                );
            }
            return Ok(None);
        };
        if config.stripe_webhook_secret.is_empty() {
            bail!("BB_STRIPE_WEBHOOK_SECRET (whsec_…) is needed with BB_STRIPE_SECRET_KEY");
        }
        if prices.is_empty() {
            bail!(
                "BB_STRIPE_PRICE_PREMIUM or BB_STRIPE_PRICE_EDUCATOR is needed with BB_STRIPE_SECRET_KEY"
            );
        }
        if prices.len() == 2 && prices[0].1 == prices[1].1 {
            bail!("BB_STRIPE_PRICE_PREMIUM and BB_STRIPE_PRICE_EDUCATOR must differ");
        }
        let client = StripeClient::new(&config.stripe_api_base, key.expose())?;
        Ok(Some(BillingSetup {
            client,
            webhook_secrets: config
                .stripe_webhook_secret
                .iter()
                .map(|s| s.expose().to_owned())
                .collect(),
            prices,
            grace: config.billing_grace,
        }))
    }

    pub fn webhook_secrets(&self) -> Vec<&str> {
        self.webhook_secrets.iter().map(String::as_str).collect()
    }

    pub fn grace_ms(&self) -> i64 {
        i64::try_from(self.grace.as_millis()).unwrap_or(i64::MAX)
    }

    /// The price of a plan, if it is sold.
    pub fn price_of(&self, plan: PlanTier) -> Option<&str> {
        self.prices
            .iter()
            .find(|(p, _)| *p == plan)
            .map(|(_, price)| price.as_str())
    }

    /// The plan a price buys (free for a price we do not sell).
    pub fn plan_of(&self, price: &str) -> PlanTier {
        self.prices
            .iter()
            .find(|(_, p)| p == price)
            .map_or(PlanTier::Free, |(plan, _)| *plan)
    }

    /// Stores a subscription as Stripe has it now, for `user_id`.
    pub async fn store(
        &self,
        db: &Db,
        sub: &Subscription,
        user_id: &str,
        fetched_at: i64,
    ) -> Result<bb_store::Applied, bb_store::StoreError> {
        let price = sub.price_id().unwrap_or_default().to_owned();
        db.billing()
            .apply(
                SubscriptionSnapshot {
                    id: sub.id.clone(),
                    user_id: user_id.to_owned(),
                    customer_id: sub.customer.clone(),
                    status: sub.status.clone(),
                    plan: self.plan_of(&price),
                    price_id: price,
                    current_period_end: sub.current_period_end().map(|s| s.saturating_mul(1000)),
                    cancel_at_period_end: sub.cancel_at_period_end,
                    fetched_at,
                },
                self.grace_ms(),
            )
            .await
    }

    /// Handles one verified, recorded event; returns its outcome (`applied`, `ignored`,
    /// `stale`, `no_user`). An error leaves it unprocessed (the caller answers 500 and
    /// Stripe delivers it again).
    pub async fn handle(&self, db: &Db, event: &Event) -> Result<&'static str, HandleError> {
        let Some(target) = event
            .target()
            .map_err(|e| HandleError::Shape(e.to_string()))?
        else {
            return Ok("ignored");
        };
        // The subscription as it is now, not as the event saw it: duplicates and any
        // order of arrival then end in the same state.
        let fetched_at = bb_store::now_ms();
        let sub = self
            .client
            .retrieve_subscription(&target.subscription_id)
            .await
            .map_err(|e| match e {
                // Asking again cannot help: an id that is not Stripe's, a subscription Stripe
                // does not have, an answer we cannot read.
                StripeError::Decode(m) => HandleError::Shape(m),
                StripeError::Api {
                    status: 404,
                    message,
                    ..
                } => HandleError::Shape(message),
                other => HandleError::Stripe(other),
            })?;
        let from_customer = db.billing().user_of_customer(&sub.customer).await?;
        let Some(user_id) = sub
            .user_id()
            .map(str::to_owned)
            .or(target.user_id)
            .or(from_customer)
        else {
            tracing::warn!(event = %event.id, subscription = %sub.id, "a subscription of no user we know");
            return Ok("no_user");
        };
        match db.users().get(&user_id).await {
            Ok(_) => {}
            Err(bb_store::StoreError::NotFound) => {
                tracing::warn!(event = %event.id, "a subscription of a user who no longer exists");
                return Ok("no_user");
            }
            Err(e) => return Err(e.into()),
        }
        db.billing().link_customer(&user_id, &sub.customer).await?;
        let applied = self.store(db, &sub, &user_id, fetched_at).await?;
        Ok(if applied.stale { "stale" } else { "applied" })
    }
}

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("the event's object is not what Stripe documents: {0}")]
    Shape(String),
    #[error(transparent)]
    Stripe(#[from] StripeError),
    #[error(transparent)]
    Store(#[from] bb_store::StoreError),
}

/// Every `every`, downgrades those whose grace period ended (a subscription still past due
/// and no event since).
pub fn spawn_grace_sweep(db: Db, grace_ms: i64, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match db
                .billing()
                .expire_grace(bb_store::now_ms(), grace_ms)
                .await
            {
                Ok(users) if !users.is_empty() => {
                    tracing::info!(count = users.len(), "grace periods ended: plans downgraded");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not end grace periods"),
            }
        }
    })
}
