//! Email as the server runs it: the SMTP setup read from the configuration (checked at
//! start), the install's unsubscribe key (created on first start with email, which also
//! turns the outbox on), and the loop that sends daily digests.

use std::time::Duration;

use anyhow::Context;
use bb_jobs::MailSetup;
use bb_store::Db;

use crate::config::Config;

/// The workers' mail setup, when `BB_SMTP_URL` is given.
pub async fn setup(db: &Db, config: &Config) -> anyhow::Result<Option<MailSetup>> {
    let Some(url) = &config.smtp_url else {
        return Ok(None);
    };
    let mailer = bb_mail::Mailer::new(url.expose(), &config.mail_from)
        .context("setting up email (BB_SMTP_URL, BB_MAIL_FROM)")?;
    let candidate: [u8; 32] = rand::random();
    let key = db
        .emails()
        .ensure_key(&hex::encode(candidate))
        .await
        .context("storing the unsubscribe key")?;
    let key = hex::decode(key).context("the stored unsubscribe key is not hex")?;
    tracing::info!(from = %mailer.from(), "email is on");
    Ok(Some(MailSetup {
        mailer,
        public_url: config.public_base(),
        key,
    }))
}

/// Every minute (or `window`, if shorter), sends the digests that are due.
pub fn spawn_digests(db: Db, window: Duration) -> tokio::task::JoinHandle<()> {
    let every = window
        .min(Duration::from_secs(60))
        .max(Duration::from_secs(1));
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match db
                .emails()
                .send_digests(bb_store::now_ms(), window_ms)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(digests = n, "digest emails queued"),
                Err(e) => tracing::warn!(error = %e, "could not queue digests"),
            }
        }
    })
}
