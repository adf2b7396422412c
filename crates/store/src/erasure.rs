//! Account erasure (migration 0024): [`Db::erase_user`] removes a user and everything that is
//! theirs in ONE transaction, records the erasure in a ledger that names no one
//! ([`erasure_subject`]), and appends `user.erased` to the audit chain.
//!
//! # Rules
//!
//! - **Removed** with the account: strategies (tags, versions), backtest, sweep and
//!   robustness runs (events, reports, trades, holdout looks) and their jobs, paper runs (ledger,
//!   replay schedules), datasets they imported (candles, revisions), notifications and
//!   preferences, emails, webhook endpoints (deliveries, attempts), one-time tokens, verified
//!   addresses, devices, recovery codes, refresh tokens (every session ends: an access token
//!   issued before is refused because its user no longer exists, see `Users::session`), plan
//!   usage, Stripe customer and subscription snapshots, screener screens, alerts and watched
//!   trades, jobs and schedules with their `user_id`, cohort memberships, the pseudonym
//!   mapping, and the user row.
//! - **Templates** they published are unpublished and removed with their tags, clone records
//!   and compliance events. **Cohorts** they own are dissolved (memberships removed; templates
//!   published to them go too). **Copies others made** of their templates stay with those
//!   users (a clone is its cloner's strategy); the clone's version notes naming the educator
//!   ("… by NAME (its version n)") say "a deleted user" instead. Others' runs, paper runs and
//!   screens built on the erased user's strategies (public ones) go with those strategies.
//!   Others' notifications, emails and webhook deliveries that mention the user's id or email,
//!   or the id of a strategy, template, cohort or compliance event removed with them, are
//!   deleted (they would point at nothing and may name them, e.g. a reviewer's "ADA submitted
//!   …"). Compliance events about others that the user created or decided (as a reviewer or
//!   admin) are kept with `created_by`/`resolved_by` cleared; the audit chain keeps who did it
//!   as a pseudonym. A strategy version they authored in someone else's strategy is
//!   attributed to that strategy's owner.
//! - **Billing.** No invoice is stored here (Stripe keeps invoices, the legal record), so
//!   nothing is kept: the customer and subscription rows are removed and the stored Stripe
//!   events that mention their customer id keep only their id, type and outcome (the payload
//!   is replaced by `{"redacted": true}`, so a redelivery is still recognised). An account
//!   whose subscription is live (not set to end at the period's end) cannot be erased
//!   (`Conflict`): cancel it first.
//! - **Audit.** Entries are never deleted or edited (hash chain). From migration 0024 on they
//!   name users only by pseudonym (see `audit.rs`); erasure deletes the user's pseudonym
//!   mapping, so their entries can no longer be linked to anyone and `verify` still passes.
//!   Entries written before migration 0024 keep the plain user ids they hold (the ids are
//!   random uuids and nothing maps them to a person once the account is gone). The erasure
//!   itself is appended as `user.erased` (entity = the user's pseudonym; actor = the same
//!   pseudonym for a self-service erasure, the admin's for an admin's, none for a re-applied
//!   one; payload `{"requested_by", "reason"?}`) in the same transaction.
//! - **Ledger.** `erasures` keeps `SHA-256("bb-erasure:" + user id)` (lowercase hex), the
//!   time and who asked ('self' or 'admin'). [`Db::reapply_erasures`] erases again every
//!   user whose subject is listed, after a backup restore brought them back.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sqlx::AnyConnection;

use crate::audit::{append_raw, pseudonym_for};
use crate::audit_chain::sha256_hex;
use crate::clock::now_ms;
use crate::users::lock_user;
use crate::{Db, NewAuditEntry, StoreError};

/// Who asked for an erasure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Erasure {
    /// The user themself (`DELETE /api/v1/me`).
    SelfService,
    /// An admin (`DELETE /api/v1/admin/users/{id}`), with the reason recorded in the audit
    /// chain. The reason must not name the user (the chain keeps it forever).
    Admin { admin_id: String, reason: String },
}

/// What [`Db::erase_user`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureReport {
    /// The ledger's subject ([`erasure_subject`]).
    pub subject: String,
    /// The pseudonym the audit chain knew the user by (now linked to nobody).
    pub pseudonym: String,
    /// Rows removed (or, for names ending in `(anonymised)`/`(redacted)`, changed) per table.
    pub rows: BTreeMap<String, u64>,
}

/// The erasure ledger's name for a user: lowercase hex SHA-256 of `"bb-erasure:" + user_id`.
pub fn erasure_subject(user_id: &str) -> String {
    sha256_hex(&format!("bb-erasure:{user_id}"))
}

/// The payload a stored Stripe event of an erased customer keeps.
const REDACTED: &str = r#"{"redacted":true}"#;

/// Erasure steps with `$1` = the user's id: (what is counted, statement), in order.
const STEPS: &[(&str, &str)] = &[
    (
        "template_clones",
        "DELETE FROM template_clones WHERE user_id = $1 OR template_id IN (SELECT id FROM \
         templates WHERE educator_id = $1 OR cohort_id IN (SELECT id FROM cohorts WHERE \
         educator_id = $1))",
    ),
    (
        "compliance_events",
        "DELETE FROM compliance_events WHERE (entity_type = 'template' AND entity_id IN \
         (SELECT id FROM templates WHERE educator_id = $1 OR cohort_id IN (SELECT id FROM \
         cohorts WHERE educator_id = $1))) OR (entity_type = 'strategy' AND entity_id IN \
         (SELECT id FROM strategies WHERE owner_id = $1)) OR (entity_type = 'cohort' AND \
         entity_id IN (SELECT id FROM cohorts WHERE educator_id = $1))",
    ),
    (
        "compliance_events (anonymised)",
        "UPDATE compliance_events SET created_by = NULL WHERE created_by = $1",
    ),
    (
        "compliance_events (anonymised)",
        "UPDATE compliance_events SET resolved_by = NULL WHERE resolved_by = $1",
    ),
    (
        "template_tags",
        "DELETE FROM template_tags WHERE template_id IN (SELECT id FROM templates WHERE \
         educator_id = $1 OR cohort_id IN (SELECT id FROM cohorts WHERE educator_id = $1))",
    ),
    (
        "templates",
        "DELETE FROM templates WHERE educator_id = $1 OR cohort_id IN (SELECT id FROM cohorts \
         WHERE educator_id = $1)",
    ),
    (
        "cohort_members",
        "DELETE FROM cohort_members WHERE user_id = $1 OR cohort_id IN (SELECT id FROM cohorts \
         WHERE educator_id = $1)",
    ),
    ("cohorts", "DELETE FROM cohorts WHERE educator_id = $1"),
    (
        "screener_screens",
        "DELETE FROM screener_screens WHERE user_id = $1 OR strategy_id IN (SELECT id FROM \
         strategies WHERE owner_id = $1)",
    ),
    (
        "screener_trades",
        "DELETE FROM screener_trades WHERE user_id = $1",
    ),
    (
        "screener_alerts",
        "DELETE FROM screener_alerts WHERE user_id = $1",
    ),
    (
        "paper_events",
        "DELETE FROM paper_events WHERE run_id IN (SELECT id FROM paper_runs WHERE user_id = $1 \
         OR strategy_id IN (SELECT id FROM strategies WHERE owner_id = $1) OR dataset_id IN \
         (SELECT id FROM datasets WHERE owner_id = $1))",
    ),
    (
        "schedules",
        "DELETE FROM schedules WHERE user_id = $1 OR (kind = 'paper_tick' AND id IN (SELECT \
         schedule_id FROM paper_runs WHERE strategy_id IN (SELECT id FROM strategies WHERE \
         owner_id = $1) OR dataset_id IN (SELECT id FROM datasets WHERE owner_id = $1)))",
    ),
    (
        "paper_runs",
        "DELETE FROM paper_runs WHERE user_id = $1 OR strategy_id IN (SELECT id FROM strategies \
         WHERE owner_id = $1) OR dataset_id IN (SELECT id FROM datasets WHERE owner_id = $1)",
    ),
    (
        "holdout_looks",
        "DELETE FROM holdout_looks WHERE user_id = $1 OR run_id IN (SELECT id FROM backtest_runs \
         WHERE strategy_id IN (SELECT id FROM strategies WHERE owner_id = $1))",
    ),
    (
        "jobs",
        "DELETE FROM jobs WHERE user_id = $1 OR id IN (SELECT job_id FROM backtest_runs WHERE \
         strategy_id IN (SELECT id FROM strategies WHERE owner_id = $1))",
    ),
    (
        "run_events",
        "DELETE FROM run_events WHERE run_id IN (SELECT id FROM backtest_runs WHERE user_id = $1 \
         OR strategy_id IN (SELECT id FROM strategies WHERE owner_id = $1))",
    ),
    (
        "backtest_runs",
        "DELETE FROM backtest_runs WHERE user_id = $1 OR strategy_id IN (SELECT id FROM \
         strategies WHERE owner_id = $1)",
    ),
    (
        "strategy_versions (anonymised)",
        "UPDATE strategy_versions SET author_id = (SELECT s.owner_id FROM strategies s WHERE \
         s.id = strategy_versions.strategy_id) WHERE author_id = $1 AND strategy_id NOT IN \
         (SELECT id FROM strategies WHERE owner_id = $1)",
    ),
    (
        "strategy_tags",
        "DELETE FROM strategy_tags WHERE strategy_id IN (SELECT id FROM strategies WHERE \
         owner_id = $1)",
    ),
    (
        "strategy_versions",
        "DELETE FROM strategy_versions WHERE strategy_id IN (SELECT id FROM strategies WHERE \
         owner_id = $1)",
    ),
    ("strategies", "DELETE FROM strategies WHERE owner_id = $1"),
    (
        "candle_revisions",
        "DELETE FROM candle_revisions WHERE dataset_id IN (SELECT id FROM datasets WHERE \
         owner_id = $1)",
    ),
    (
        "candle_chunks",
        "DELETE FROM candle_chunks WHERE dataset_id IN (SELECT id FROM datasets WHERE \
         owner_id = $1)",
    ),
    ("datasets", "DELETE FROM datasets WHERE owner_id = $1"),
    (
        "webhook_attempts",
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
         WHERE user_id = $1 OR endpoint_id IN (SELECT id FROM webhook_endpoints WHERE \
         user_id = $1))",
    ),
    (
        "webhook_deliveries",
        "DELETE FROM webhook_deliveries WHERE user_id = $1 OR endpoint_id IN (SELECT id FROM \
         webhook_endpoints WHERE user_id = $1)",
    ),
    (
        "webhook_endpoints",
        "DELETE FROM webhook_endpoints WHERE user_id = $1",
    ),
    ("emails", "DELETE FROM emails WHERE user_id = $1"),
    (
        "notification_preferences",
        "DELETE FROM notification_preferences WHERE user_id = $1",
    ),
    (
        "notifications",
        "DELETE FROM notifications WHERE user_id = $1",
    ),
    (
        "account_tokens",
        "DELETE FROM account_tokens WHERE user_id = $1",
    ),
    (
        "verified_emails",
        "DELETE FROM verified_emails WHERE user_id = $1",
    ),
    (
        "user_devices",
        "DELETE FROM user_devices WHERE user_id = $1",
    ),
    (
        "recovery_codes",
        "DELETE FROM recovery_codes WHERE user_id = $1",
    ),
    (
        "refresh_tokens",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
    ),
    ("plan_usage", "DELETE FROM plan_usage WHERE user_id = $1"),
    (
        "billing_subscriptions",
        "DELETE FROM billing_subscriptions WHERE user_id = $1",
    ),
    (
        "billing_customers",
        "DELETE FROM billing_customers WHERE user_id = $1",
    ),
    (
        "user_pseudonyms",
        "DELETE FROM user_pseudonyms WHERE user_id = $1",
    ),
    ("users", "DELETE FROM users WHERE id = $1"),
];

/// How erasure was asked for, inside the store.
enum By<'a> {
    Asked(&'a Erasure),
    /// [`Db::reapply_erasures`]: an operator's restore re-applies an erasure made earlier.
    Reapplied,
}

impl Db {
    /// Erases a user: everything of theirs removed or anonymised by the rules in this
    /// module's documentation, the ledger entry and the `user.erased` audit entry, in ONE
    /// transaction. `NotFound` when there is no such user; `Invalid` when an admin names
    /// themself; `Conflict` while a subscription of theirs is live.
    pub async fn erase_user(
        &self,
        user_id: &str,
        by: Erasure,
    ) -> Result<ErasureReport, StoreError> {
        if let Erasure::Admin { admin_id, .. } = &by
            && admin_id == user_id
        {
            return Err(StoreError::Invalid(
                "an admin cannot erase their own account this way".to_owned(),
            ));
        }
        let mut tx = self.pool.begin().await?;
        let report = erase_in(&mut tx, user_id, By::Asked(&by)).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Every subject in the erasure ledger, sorted (what a restore hands back to
    /// [`Db::reapply_erasures`]).
    pub async fn erasure_subjects(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT subject FROM erasures ORDER BY subject")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// After a backup restore: records every subject in the ledger (kept if already there)
    /// and erases every user whose [`erasure_subject`] is listed, each in its own
    /// transaction (a live subscription does not stop it). Idempotent; returns how many
    /// users were erased.
    pub async fn reapply_erasures(&self, subjects: &[String]) -> Result<usize, StoreError> {
        let wanted: BTreeSet<&str> = subjects.iter().map(String::as_str).collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        for subject in &wanted {
            sqlx::query(
                "INSERT INTO erasures (subject, erased_at, requested_by) VALUES ($1, $2, 'admin') \
                 ON CONFLICT (subject) DO NOTHING",
            )
            .bind(*subject)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut erased = 0;
        for id in ids {
            if !wanted.contains(erasure_subject(&id).as_str()) {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            match erase_in(&mut tx, &id, By::Reapplied).await {
                Ok(_) => {
                    tx.commit().await?;
                    erased += 1;
                }
                // erased meanwhile by someone else
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(erased)
    }
}

/// The erasure on `conn` (the caller's transaction).
async fn erase_in(
    conn: &mut AnyConnection,
    user_id: &str,
    by: By<'_>,
) -> Result<ErasureReport, StoreError> {
    // The user's row lock first: their own writes wait for the erasure.
    let user = lock_user(conn, user_id).await?;
    if matches!(by, By::Asked(_)) {
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM billing_subscriptions WHERE user_id = $1 AND cancel_at_period_end = 0 \
             AND status IN ('active', 'trialing', 'past_due', 'unpaid', 'incomplete')",
        )
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
        if live > 0 {
            return Err(StoreError::Conflict(
                "the account has a live subscription: cancel it first (it then ends at the \
                 period's end), then delete the account"
                    .to_owned(),
            ));
        }
    }
    let pseudonym = pseudonym_for(conn, user_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (actor, requested_by, reason) = match &by {
        By::Asked(Erasure::SelfService) => (Some(pseudonym.clone()), "self", None),
        By::Asked(Erasure::Admin { admin_id, reason }) => (
            Some(
                pseudonym_for(conn, admin_id)
                    .await?
                    .ok_or_else(|| StoreError::Invalid("the admin does not exist".to_owned()))?,
            ),
            "admin",
            Some(reason.clone()),
        ),
        By::Reapplied => (None, "admin", None),
    };
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();

    // Others' messages that point at the user or at what goes with them.
    let mut needles: BTreeSet<String> = BTreeSet::new();
    needles.insert(user.id.clone());
    needles.insert(user.email.clone());
    for sql in [
        "SELECT id FROM strategies WHERE owner_id = $1",
        "SELECT id FROM templates WHERE educator_id = $1",
        "SELECT id FROM cohorts WHERE educator_id = $1",
        "SELECT e.id FROM compliance_events e JOIN templates t ON t.id = e.entity_id \
         WHERE e.entity_type = 'template' AND t.educator_id = $1",
    ] {
        let ids: Vec<String> = sqlx::query_scalar(sql)
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
        needles.extend(ids);
    }
    for needle in &needles {
        let pattern = format!("%{}%", like_escape(needle));
        for (table, sql) in [
            (
                "webhook_attempts",
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM \
                 webhook_deliveries WHERE user_id <> $1 AND payload LIKE $2 ESCAPE '\\')",
            ),
            (
                "webhook_deliveries",
                "DELETE FROM webhook_deliveries WHERE user_id <> $1 AND payload LIKE $2 ESCAPE '\\'",
            ),
            (
                "emails",
                "DELETE FROM emails WHERE user_id <> $1 AND (subject LIKE $2 ESCAPE '\\' OR body \
                 LIKE $2 ESCAPE '\\' OR link LIKE $2 ESCAPE '\\' OR notification_id IN (SELECT id \
                 FROM notifications WHERE user_id <> $1 AND (payload LIKE $2 ESCAPE '\\' OR body \
                 LIKE $2 ESCAPE '\\' OR title LIKE $2 ESCAPE '\\' OR link LIKE $2 ESCAPE '\\')))",
            ),
            (
                "notifications",
                "DELETE FROM notifications WHERE user_id <> $1 AND (payload LIKE $2 ESCAPE '\\' \
                 OR body LIKE $2 ESCAPE '\\' OR title LIKE $2 ESCAPE '\\' OR link LIKE $2 \
                 ESCAPE '\\')",
            ),
        ] {
            let done = sqlx::query(sql)
                .bind(user_id)
                .bind(&pattern)
                .execute(&mut *conn)
                .await?;
            *rows.entry(format!("{table} (others')")).or_default() += done.rows_affected();
        }
    }

    // Clones others made of their templates: the attribution names a deleted user.
    let clones = sqlx::query(
        "UPDATE strategy_versions SET notes = REPLACE(notes, $2, $3) WHERE strategy_id IN \
         (SELECT c.strategy_id FROM template_clones c JOIN templates t ON t.id = c.template_id \
         WHERE t.educator_id = $1 AND c.user_id <> $1)",
    )
    .bind(user_id)
    .bind(format!(" by {} (its version", user.display_name))
    .bind(" by a deleted user (its version")
    .execute(&mut *conn)
    .await?;
    rows.insert(
        "strategy_versions (others' clones, anonymised)".to_owned(),
        clones.rows_affected(),
    );

    // Stored Stripe events of their customer keep their id, type and outcome only.
    let customers: Vec<String> =
        sqlx::query_scalar("SELECT customer_id FROM billing_customers WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
    for customer in customers {
        let done =
            sqlx::query("UPDATE stripe_events SET payload = $1 WHERE payload LIKE $2 ESCAPE '\\'")
                .bind(REDACTED)
                .bind(format!("%{}%", like_escape(&customer)))
                .execute(&mut *conn)
                .await?;
        *rows
            .entry("stripe_events (redacted)".to_owned())
            .or_default() += done.rows_affected();
    }

    for (table, sql) in STEPS {
        let done = sqlx::query(*sql).bind(user_id).execute(&mut *conn).await?;
        *rows.entry((*table).to_owned()).or_default() += done.rows_affected();
    }
    rows.retain(|_, n| *n > 0);

    let subject = erasure_subject(user_id);
    sqlx::query(
        "INSERT INTO erasures (subject, erased_at, requested_by) VALUES ($1, $2, $3) \
         ON CONFLICT (subject) DO NOTHING",
    )
    .bind(&subject)
    .bind(now_ms())
    .bind(requested_by)
    .execute(&mut *conn)
    .await?;
    let mut payload = json!({ "requested_by": requested_by });
    if let Some(reason) = reason {
        payload["reason"] = json!(reason);
    }
    if matches!(by, By::Reapplied) {
        payload["reapplied"] = json!(true);
    }
    // Last: the audit head's lock is held from here to the commit.
    append_raw(
        conn,
        NewAuditEntry {
            entity_type: "user".to_owned(),
            entity_id: pseudonym.clone(),
            action: "user.erased".to_owned(),
            actor_id: actor,
            payload,
        },
    )
    .await?;
    Ok(ErasureReport {
        subject,
        pseudonym,
        rows,
    })
}

/// `text` with LIKE's wildcards and the escape character escaped (for `ESCAPE '\'`).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_the_hex_sha256_of_the_prefixed_id() {
        // echo -n 'bb-erasure:abc' | sha256sum
        assert_eq!(
            erasure_subject("abc"),
            "f83eb59bfb4c8c7c0c6486505ee5574d0cd0369b2696717a64b50959239534e9"
        );
        assert_ne!(erasure_subject("abc"), erasure_subject("abd"));
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(like_escape("plain-id"), "plain-id");
    }
}
