//! Billing: a user's Stripe customer, their subscriptions as last read from Stripe, and the
//! Stripe events received. A subscription's state goes in through [`Billing::apply`], which
//! in one transaction stores it (unless a newer read is already stored), derives the user's
//! plan from all their subscriptions (`bb_billing::access`), changes the plan with an audit
//! entry when it differs, and notifies the user (payment failed, plan changed).
//! [`Billing::expire_grace`] downgrades those whose grace period ended without an event.

use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::now_ms;
use crate::model::parse_col;
use crate::notifications::{NewNotification, Notification};
use crate::sql::{col, col_bool};
use crate::users::{audit_change, lock_user};
use crate::{Db, PlanTier, StoreError};

// From a subscription's state to access: the one rule every plan change goes through.
//
// - `active` and `trialing` give the plan the price buys;
// - `past_due` (a renewal failed and Stripe is retrying) keeps it for a grace period from
//   when we first saw the subscription past due, then no longer;
// - everything else (`unpaid`, `canceled`, `incomplete`, `incomplete_expired`, `paused`,
//   and any status Stripe adds later) gives nothing.

/// What a subscription gives now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its plan.
    Paid,
    /// Its plan, until `until` (Unix ms): a payment failed.
    Grace { until: i64 },
    /// Nothing: the user falls back to the free plan.
    Lapsed,
}

impl Access {
    /// Whether the paid plan applies.
    pub fn grants(self) -> bool {
        !matches!(self, Access::Lapsed)
    }
}

/// The access a subscription with `status` gives at `now` (Unix ms), `past_due_since`
/// being when it was first seen past due and `grace_ms` how long that lasts.
pub fn access(status: &str, past_due_since: Option<i64>, now: i64, grace_ms: i64) -> Access {
    match status {
        "active" | "trialing" => Access::Paid,
        "past_due" => {
            let until = past_due_since.unwrap_or(now).saturating_add(grace_ms);
            if now < until {
                Access::Grace { until }
            } else {
                Access::Lapsed
            }
        }
        _ => Access::Lapsed,
    }
}

/// A subscription as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct BillingSubscription {
    pub id: String,
    pub user_id: String,
    pub customer_id: String,
    pub status: String,
    pub price_id: String,
    /// The plan its price buys.
    pub plan: PlanTier,
    /// Unix ms.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// When it was first read past due (Unix ms).
    pub past_due_since: Option<i64>,
    pub fetched_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BillingSubscription {
    /// What it gives at `now`.
    pub fn access(&self, now: i64, grace_ms: i64) -> Access {
        access(&self.status, self.past_due_since, now, grace_ms)
    }
}

/// A subscription as just read from Stripe.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionSnapshot {
    pub id: String,
    pub user_id: String,
    pub customer_id: String,
    pub status: String,
    pub price_id: String,
    pub plan: PlanTier,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// When the read started (Unix ms).
    pub fetched_at: i64,
}

/// What [`Billing::apply`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// A newer read was already stored: nothing changed.
    pub stale: bool,
    pub plan_before: PlanTier,
    pub plan_after: PlanTier,
    pub subscription: BillingSubscription,
}

/// A Stripe event to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewStripeEvent {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub livemode: bool,
    pub payload: String,
}

/// Whether an event was seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventSeen {
    /// First delivery: handle it.
    New,
    /// Delivered before but not handled (the earlier try failed): handle it again.
    Unprocessed,
    /// Delivered and handled before: answer 200 and do nothing.
    Processed,
}

/// The billing repository (from [`Db::billing`]).
#[derive(Debug, Clone, Copy)]
pub struct Billing<'a> {
    pub(crate) db: &'a Db,
}

const SUB_COLUMNS: &str = "id, user_id, customer_id, status, price_id, plan, current_period_end, \
     cancel_at_period_end, past_due_since, fetched_at, created_at, updated_at";

fn sub_from_row(row: &AnyRow) -> Result<BillingSubscription, StoreError> {
    Ok(BillingSubscription {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        customer_id: col(row, "customer_id")?,
        status: col(row, "status")?,
        price_id: col(row, "price_id")?,
        plan: parse_col("plan", &col::<String>(row, "plan")?)?,
        current_period_end: col(row, "current_period_end")?,
        cancel_at_period_end: col_bool(row, "cancel_at_period_end")?,
        past_due_since: col(row, "past_due_since")?,
        fetched_at: col(row, "fetched_at")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn rank(plan: PlanTier) -> u8 {
    match plan {
        PlanTier::Free => 0,
        PlanTier::Premium => 1,
        PlanTier::Educator => 2,
    }
}

/// The plan a user's subscriptions give at `now`: the best one that grants access, else
/// free.
pub fn plan_from(subs: &[BillingSubscription], now: i64, grace_ms: i64) -> PlanTier {
    subs.iter()
        .filter(|s| s.access(now, grace_ms).grants())
        .map(|s| s.plan)
        .max_by_key(|p| rank(*p))
        .unwrap_or(PlanTier::Free)
}

/// The subscription the billing page shows: a live one first, else the newest.
pub fn current(
    subs: &[BillingSubscription],
    now: i64,
    grace_ms: i64,
) -> Option<&BillingSubscription> {
    subs.iter()
        .filter(|s| s.access(now, grace_ms).grants())
        .max_by_key(|s| (rank(s.plan), s.created_at))
        .or_else(|| subs.iter().max_by_key(|s| s.created_at))
}

async fn subs_of(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<BillingSubscription>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SUB_COLUMNS} FROM billing_subscriptions WHERE user_id = $1 \
         ORDER BY created_at, id"
    )))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(sub_from_row).collect()
}

fn plan_name(plan: PlanTier) -> &'static str {
    match plan {
        PlanTier::Free => "Free",
        PlanTier::Premium => "Premium",
        PlanTier::Educator => "Educator",
    }
}

/// Sets a user's plan to what their subscriptions give, audited and notified when it
/// changes; `why` says what changed it. Returns the plan before.
async fn settle_plan(
    conn: &mut AnyConnection,
    user_id: &str,
    now: i64,
    grace_ms: i64,
    why: &str,
    notes: &mut Vec<Notification>,
) -> Result<(PlanTier, PlanTier), StoreError> {
    let before = lock_user(conn, user_id).await?.plan;
    let subs = subs_of(conn, user_id).await?;
    let after = plan_from(&subs, now, grace_ms);
    if after != before {
        sqlx::query("UPDATE users SET plan = $1, updated_at = $2 WHERE id = $3")
            .bind(after.as_str())
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
        audit_change(
            conn,
            user_id,
            "user.plan_changed",
            None,
            json!({ "from": before.as_str(), "to": after.as_str(), "by": "billing", "why": why }),
        )
        .await?;
        let (title, body) = if rank(after) > rank(before) {
            (
                format!("You are on the {} plan", plan_name(after)),
                format!(
                    "Your payment went through: the {} plan's limits apply now.",
                    plan_name(after)
                ),
            )
        } else {
            (
                format!("You are now on the {} plan", plan_name(after)),
                format!(
                    "Your {} plan ended ({why}); the {} plan's limits apply now. Your \
                     strategies and results are kept.",
                    plan_name(before),
                    plan_name(after)
                ),
            )
        };
        notes.push(
            crate::notifications::insert(
                conn,
                NewNotification {
                    user_id: user_id.to_owned(),
                    kind: "billing.plan_changed".to_owned(),
                    title,
                    body,
                    link: Some("/plan".to_owned()),
                    payload: json!({ "from": before.as_str(), "to": after.as_str(), "why": why }),
                },
            )
            .await?,
        );
    }
    Ok((before, after))
}

impl Billing<'_> {
    /// The user's Stripe customer id, if they have one.
    pub async fn customer(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT customer_id FROM billing_customers WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?,
        )
    }

    /// The user whose Stripe customer this is.
    pub async fn user_of_customer(&self, customer_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM billing_customers WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(&self.db.pool)
                .await?,
        )
    }

    /// Records that `customer_id` is `user_id`'s Stripe customer (the first one stays).
    pub async fn link_customer(&self, user_id: &str, customer_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO billing_customers (user_id, customer_id, created_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(customer_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// A user's subscriptions, oldest first.
    pub async fn subscriptions(
        &self,
        user_id: &str,
    ) -> Result<Vec<BillingSubscription>, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        subs_of(&mut conn, user_id).await
    }

    /// One subscription.
    pub async fn subscription(&self, id: &str) -> Result<Option<BillingSubscription>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLUMNS} FROM billing_subscriptions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(sub_from_row).transpose()
    }

    /// Stores a subscription just read from Stripe and settles its user's plan (see the
    /// module). A read that started before the stored one changes nothing (`stale`).
    /// `NotFound` when the user does not exist.
    pub async fn apply(
        &self,
        snap: SubscriptionSnapshot,
        grace_ms: i64,
    ) -> Result<Applied, StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        // The user's row lock serialises every plan change of theirs.
        let plan_before = lock_user(&mut tx, &snap.user_id).await?.plan;
        let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLUMNS} FROM billing_subscriptions WHERE id = $1"
        )))
        .bind(&snap.id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(sub_from_row)
        .transpose()?;
        if let Some(old) = existing.as_ref().filter(|o| o.fetched_at > snap.fetched_at) {
            let applied = Applied {
                stale: true,
                plan_before,
                plan_after: plan_before,
                subscription: old.clone(),
            };
            tx.commit().await?;
            return Ok(applied);
        }
        let was_past_due = existing.as_ref().is_some_and(|o| o.status == "past_due");
        let past_due_since = match (&existing, snap.status.as_str()) {
            (Some(old), "past_due") if was_past_due => old.past_due_since.or(Some(now)),
            (_, "past_due") => Some(now),
            _ => None,
        };
        let user_id = existing
            .as_ref()
            .map_or(snap.user_id.clone(), |o| o.user_id.clone());
        sqlx::query(
            "INSERT INTO billing_subscriptions (id, user_id, customer_id, status, price_id, plan, \
             current_period_end, cancel_at_period_end, past_due_since, fetched_at, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (id) DO UPDATE SET status = $4, price_id = $5, plan = $6, \
             current_period_end = $7, cancel_at_period_end = $8, past_due_since = $9, \
             fetched_at = $10, updated_at = $11",
        )
        .bind(&snap.id)
        .bind(&user_id)
        .bind(&snap.customer_id)
        .bind(&snap.status)
        .bind(&snap.price_id)
        .bind(snap.plan.as_str())
        .bind(snap.current_period_end)
        .bind(i64::from(snap.cancel_at_period_end))
        .bind(past_due_since)
        .bind(snap.fetched_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut notes = Vec::new();
        if snap.status == "past_due" && !was_past_due {
            let until = past_due_since.unwrap_or(now).saturating_add(grace_ms);
            notes.push(
                crate::notifications::insert(
                    &mut tx,
                    NewNotification {
                        user_id: user_id.clone(),
                        kind: "billing.payment_failed".to_owned(),
                        title: "Your payment failed".to_owned(),
                        body: format!(
                            "Stripe could not charge your card for the {} plan. You keep it \
                             during a grace period; update your card under Manage billing.",
                            plan_name(snap.plan)
                        ),
                        link: Some("/plan".to_owned()),
                        payload: json!({ "subscription": snap.id, "grace_until": until }),
                    },
                )
                .await?,
            );
        }
        let why = format!("subscription {}", snap.status.replace('_', " "));
        let (_, plan_after) =
            settle_plan(&mut tx, &user_id, now, grace_ms, &why, &mut notes).await?;
        let subscription = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLUMNS} FROM billing_subscriptions WHERE id = $1"
        )))
        .bind(&snap.id)
        .fetch_one(&mut *tx)
        .await?;
        let subscription = sub_from_row(&subscription)?;
        tx.commit().await?;
        for n in notes {
            self.db.announce_notification(&n.user_id, &n.id).await;
        }
        Ok(Applied {
            stale: false,
            plan_before,
            plan_after,
            subscription,
        })
    }

    /// Downgrades everyone whose grace period ended by `now` (a subscription still past
    /// due, read at least `grace_ms` ago first): each user's plan is settled again.
    /// Returns the users whose plan changed.
    pub async fn expire_grace(&self, now: i64, grace_ms: i64) -> Result<Vec<String>, StoreError> {
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT s.user_id FROM billing_subscriptions s JOIN users u ON u.id = s.user_id \
             WHERE s.status = 'past_due' AND s.past_due_since <= $1 AND u.plan <> 'free'",
        )
        .bind(now.saturating_sub(grace_ms))
        .fetch_all(&self.db.pool)
        .await?;
        let mut changed = Vec::new();
        for user_id in users {
            let mut tx = self.db.pool.begin().await?;
            let mut notes = Vec::new();
            let (before, after) = settle_plan(
                &mut tx,
                &user_id,
                now,
                grace_ms,
                "the payment grace period ended",
                &mut notes,
            )
            .await?;
            tx.commit().await?;
            for n in notes {
                self.db.announce_notification(&n.user_id, &n.id).await;
            }
            if before != after {
                changed.push(user_id);
            }
        }
        Ok(changed)
    }

    /// Records a delivered event; says whether it was seen (and handled) before.
    pub async fn record_event(&self, event: NewStripeEvent) -> Result<EventSeen, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO stripe_events (id, type, created, livemode, payload, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&event.id)
        .bind(&event.kind)
        .bind(event.created)
        .bind(i64::from(event.livemode))
        .bind(&event.payload)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(EventSeen::New);
        }
        let processed: Option<i64> =
            sqlx::query_scalar("SELECT processed_at FROM stripe_events WHERE id = $1")
                .bind(&event.id)
                .fetch_one(&self.db.pool)
                .await?;
        Ok(if processed.is_some() {
            EventSeen::Processed
        } else {
            EventSeen::Unprocessed
        })
    }

    /// Marks an event handled (`outcome`: applied, ignored, stale, no_user, unreadable).
    pub async fn event_processed(&self, id: &str, outcome: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE stripe_events SET processed_at = $1, outcome = $2 WHERE id = $3")
            .bind(now_ms())
            .bind(outcome)
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Records why handling an event failed (it stays unprocessed; Stripe retries).
    pub async fn event_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE stripe_events SET error = $1 WHERE id = $2")
            .bind(error.chars().take(1000).collect::<String>())
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// How an event was handled: `(processed, outcome)`; `None` if never received.
    pub async fn event_outcome(
        &self,
        id: &str,
    ) -> Result<Option<(bool, Option<String>)>, StoreError> {
        let row = sqlx::query("SELECT processed_at, outcome FROM stripe_events WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| {
            Ok((
                col::<Option<i64>>(&r, "processed_at")?.is_some(),
                col(&r, "outcome")?,
            ))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn active_and_trialing_pay_and_terminal_states_lapse() {
        assert_eq!(access("active", None, 0, DAY), Access::Paid);
        assert_eq!(access("trialing", Some(5), 0, DAY), Access::Paid);
        for s in [
            "unpaid",
            "canceled",
            "incomplete",
            "incomplete_expired",
            "paused",
            "something_new",
        ] {
            assert_eq!(access(s, None, 10, DAY), Access::Lapsed, "{s}");
        }
    }

    #[test]
    fn past_due_keeps_the_plan_for_the_grace_period_only() {
        let since = 1_000;
        assert_eq!(
            access("past_due", Some(since), since + DAY - 1, DAY),
            Access::Grace { until: since + DAY }
        );
        assert_eq!(
            access("past_due", Some(since), since + DAY, DAY),
            Access::Lapsed
        );
        // First seen now: the whole grace period is ahead.
        assert_eq!(
            access("past_due", None, 7, DAY),
            Access::Grace { until: 7 + DAY }
        );
        assert!(access("past_due", None, 7, DAY).grants());
        assert!(!access("past_due", Some(0), DAY, DAY).grants());
    }
}
