//! `webhook_delivery` jobs: one attempt of one delivery, signed and sent under the workers'
//! [`bb_webhooks::Policy`], then recorded with what follows (delivered, the next attempt on
//! the retry schedule, or failed, disabling an endpoint that failed for a day or answered
//! 410). An attempt is recorded once however often its job runs.

use std::sync::OnceLock;

use bb_store::{AttemptRecord, Job, Next};
use bb_webhooks::{MAX_ATTEMPTS, Message, Sender, next_delay};
use serde_json::{Value, json};

use crate::run::{Handler, JobContext, JobError};

/// The handler; its HTTP client is built on first use from the workers' policy.
#[derive(Debug, Default)]
pub(crate) struct Deliver {
    sender: OnceLock<Sender>,
}

impl Handler for Deliver {
    fn run<'a>(
        &'a self,
        cx: JobContext<'a>,
        job: &'a Job,
    ) -> bb_market::BoxFuture<'a, Result<Value, JobError>> {
        Box::pin(self.deliver(cx, job))
    }
}

impl Deliver {
    async fn deliver(&self, cx: JobContext<'_>, job: &Job) -> Result<Value, JobError> {
        let id = job
            .payload
            .get("delivery_id")
            .and_then(Value::as_str)
            .ok_or_else(|| JobError::Permanent("the job names no delivery".into()))?;
        let webhooks = cx.db().webhooks();
        let Some((delivery, endpoint)) = webhooks.pending(id).await? else {
            return Ok(json!({ "skipped": "the delivery is no longer pending" }));
        };
        let started_at = cx.clock().now_ms();
        let made = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
        let record = if endpoint.enabled {
            let sender = self
                .sender
                .get_or_init(|| Sender::new(cx.ctx.config.webhooks.clone()));
            let body = serde_json::to_vec(&delivery.payload)
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            let secrets = endpoint.signing_secrets(started_at);
            let attempt = sender
                .send(
                    &endpoint.url,
                    Message {
                        id: &delivery.id,
                        timestamp: started_at.div_euclid(1000),
                        body: &body,
                        secrets: &secrets,
                    },
                )
                .await;
            let next = if attempt.delivered() {
                Next::Delivered
            } else if attempt.gone() {
                Next::Failed {
                    disable: Some("it answered 410 Gone".into()),
                }
            } else if attempt.blocked || made > MAX_ATTEMPTS {
                // A refused destination cannot succeed later; a replay gets one attempt.
                Next::Failed { disable: None }
            } else {
                match next_delay(made, attempt.retry_after_secs) {
                    Some(wait) => Next::RetryAt(
                        started_at
                            + attempt.duration_ms
                            + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 4),
                    ),
                    None => Next::Failed {
                        disable: Some(format!(
                            "{MAX_ATTEMPTS} attempts over about a day all failed"
                        )),
                    },
                }
            };
            let error = attempt.error.clone().or_else(|| match attempt.status {
                Some(s) if !attempt.delivered() => Some(format!("it answered {s}")),
                _ => None,
            });
            AttemptRecord {
                started_at,
                status: attempt.status.map(i64::from),
                duration_ms: attempt.duration_ms,
                error,
                response_excerpt: attempt.response_excerpt,
                next,
            }
        } else {
            AttemptRecord {
                started_at,
                status: None,
                duration_ms: 0,
                error: Some("not sent: the endpoint is disabled".into()),
                response_excerpt: String::new(),
                next: Next::Failed { disable: None },
            }
        };
        let recorded = webhooks.record_attempt(&delivery, record).await?;
        Ok(match recorded {
            Some(d) => json!({ "delivery_id": d.id, "status": d.status, "attempts": d.attempts }),
            None => json!({ "skipped": "another worker recorded this attempt" }),
        })
    }
}
