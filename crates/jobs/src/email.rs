//! `email_delivery` jobs: render one email (a notification, or a digest of several) with
//! `bb-mail`'s templates and send it over SMTP, then record `sent`, or the error: `queued`
//! again while the job has tries left (the queue retries with back-off), `failed` after
//! the last. An email already sent is not sent again however often its job runs.

use bb_mail::{Detail, DigestItem, Email, Mailer, Outgoing};
use bb_store::{DIGEST_KIND, Job, Notification, PendingEmail};
use serde_json::{Value, json};

use crate::run::{Handler, JobContext, JobError};

/// How the workers send email.
#[derive(Clone, Debug)]
pub struct MailSetup {
    pub mailer: Mailer,
    /// Where users reach the app, e.g. `https://app.example.com` (links in emails).
    pub public_url: String,
    /// Signs unsubscribe links (the install's key, `Emails::ensure_key`).
    pub key: Vec<u8>,
}

/// The handler.
#[derive(Debug, Default)]
pub(crate) struct SendEmail;

impl Handler for SendEmail {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> bb_market::BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(send(cx, job))
    }
}

async fn send(cx: JobContext<'_>, job: &Job) -> Result<Value, JobError> {
    let id = job
        .payload
        .get("email_id")
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::Permanent("the job names no email".into()))?;
    let emails = cx.db().emails();
    let Some(pending) = emails.pending(id).await? else {
        return Ok(json!({ "skipped": "the email is no longer queued" }));
    };
    let Some(setup) = cx.ctx.config.mail.as_ref() else {
        let why = "this worker cannot send email (no BB_SMTP_URL)";
        emails.attempt_failed(id, why, true).await?;
        return Err(JobError::Permanent(why.into()));
    };
    let email = compose(setup, &pending);
    let rendered = bb_mail::render(&email).map_err(|e| JobError::Permanent(e.to_string()))?;
    let one_click = unsubscribe_token(setup, &pending)
        .map(|t| format!("{}/api/v1/email/unsubscribe?token={t}", setup.public_url));
    let outgoing = Outgoing {
        id,
        to: &pending.to,
        rendered: &rendered,
        one_click_unsubscribe: one_click.as_deref(),
    };
    match setup.mailer.send(&outgoing).await {
        Ok(()) => {
            emails.sent(id).await?;
            Ok(json!({ "sent": id }))
        }
        Err(e) => {
            let last = !e.transient() || job.attempts >= job.max_attempts;
            emails.attempt_failed(id, &e.to_string(), last).await?;
            Err(if last {
                JobError::Permanent(e.to_string())
            } else {
                JobError::Transient(e.to_string())
            })
        }
    }
}

/// Notification emails and digests can be stopped; account emails (verification, password
/// reset, a new sign-in) cannot.
fn unsubscribe_token(setup: &MailSetup, p: &PendingEmail) -> Option<String> {
    (p.notification.is_some() || p.email.kind == DIGEST_KIND)
        .then(|| bb_mail::token::sign(&setup.key, &p.email.user_id, &p.email.kind))
}

fn absolute(setup: &MailSetup, link: Option<&str>) -> Option<String> {
    link.map(|l| format!("{}{l}", setup.public_url))
}

fn pct(v: Option<f64>) -> Option<String> {
    v.map(|v| format!("{}{v:.2}%", if v > 0.0 { "+" } else { "" }))
}

/// The numbers a backtest summary shows under its headline.
fn details(n: &Notification) -> Vec<Detail> {
    let s = &n.payload["summary"];
    let mut out = Vec::new();
    let mut push = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            out.push(Detail {
                label: label.to_owned(),
                value,
            });
        }
    };
    push("Strategy", s["strategy"].as_str().map(str::to_owned));
    push("Data", s["dataset"].as_str().map(str::to_owned));
    let m = &s["metrics"];
    push("Return", pct(m["total_return_pct"].as_f64()));
    push("Worst drawdown", pct(m["max_drawdown_pct"].as_f64()));
    push("Trades", m["trades"].as_i64().map(|t| t.to_string()));
    push("Win rate", pct(m["win_rate_pct"].as_f64()));
    out
}

fn compose(setup: &MailSetup, p: &PendingEmail) -> Email {
    let settings_url = format!("{}/settings/notifications", setup.public_url);
    let token = unsubscribe_token(setup, p);
    let unsubscribe_url = token.map(|t| format!("{}/unsubscribe?token={t}", setup.public_url));
    if p.email.kind == DIGEST_KIND {
        let n = p.items.len();
        return Email {
            template: "digest",
            subject: p.email.subject.clone(),
            title: format!(
                "{n} notification{} since your last digest",
                if n == 1 { "" } else { "s" }
            ),
            body: format!(
                "Hello {}, here is what happened in Blockbuilders.",
                p.display_name
            ),
            link: None,
            action: String::new(),
            details: Vec::new(),
            items: p
                .items
                .iter()
                .map(|i| DigestItem {
                    title: i.title.clone(),
                    body: i.body.clone(),
                    link: absolute(setup, i.link.as_deref()),
                })
                .collect(),
            reason: "you chose a daily digest for some notifications".into(),
            unsubscribe_url,
            settings_url,
        };
    }
    let (title, body, link, details) = match &p.notification {
        Some(n) => (
            n.title.clone(),
            n.body.clone(),
            absolute(setup, n.link.as_deref()),
            if n.kind.starts_with("backtest.") {
                details(n)
            } else {
                Vec::new()
            },
        ),
        None => (
            p.email.subject.clone(),
            p.email.body.clone(),
            p.email.link.clone(),
            Vec::new(),
        ),
    };
    let account = p.notification.is_none();
    Email {
        template: "notification",
        subject: p.email.subject.clone(),
        title,
        body,
        link,
        action: match p.email.kind.as_str() {
            "account.verify_email" => "Confirm my email address".into(),
            "account.password_reset" => "Choose a new password".into(),
            "account.new_sign_in" => "Reset my password".into(),
            _ => "Open in Blockbuilders".into(),
        },
        details,
        items: Vec::new(),
        reason: if account {
            "it is about the security of your account".into()
        } else {
            format!(
                "you asked for email about: {}",
                bb_store::describe_kind(&p.email.kind).to_lowercase()
            )
        },
        unsubscribe_url,
        settings_url,
    }
}
