//! A user's own data, read for their export (`GET /api/v1/me/export`).
//!
//! Each [`ExportSection`] is a list of rows of one kind the user owns, read page by page in
//! a stable order (keyset paging on a text key), each row a JSON object with its columns by
//! name. What must never leave the server is never selected: password hashes, TOTP secrets,
//! recovery-code and token hashes, webhook secrets, device cookies. Rows about other people
//! are not included (a cohort's members are a count; an audit entry's actor is "you",
//! "another account" or none). Strategies, runs and paper runs are exported through their
//! own repositories, their ids listed here by [`UserExport::owned_ids`].

use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{Arg, DynSql};
use crate::{Db, StoreError};

/// Records read per page by the export.
pub const EXPORT_PAGE: u32 = 500;

/// The repository (from [`Db::export`]).
#[derive(Debug, Clone, Copy)]
pub struct UserExport<'a> {
    db: &'a Db,
}

impl Db {
    /// A user's data, read for their export.
    pub fn export(&self) -> UserExport<'_> {
        UserExport { db: self }
    }
}

/// Records listed by id, each exported through its own repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owned {
    /// Strategies the user owns (`Strategies::get`, `versions`).
    Strategies,
    /// Backtests, sweeps and robustness runs (`Runs::get`, `report`).
    Runs,
    /// Paper runs (`PaperRuns::get`, `events`).
    PaperRuns,
}

/// A kind of row in the export, written as `<name>.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportSection {
    Profile,
    Devices,
    NotificationPreferences,
    Notifications,
    Emails,
    WebhookEndpoints,
    WebhookDeliveries,
    ScreenerScreens,
    ScreenerTrades,
    Plan,
    PlanUsage,
    Subscriptions,
    CohortsOwned,
    CohortMemberships,
    Templates,
    TemplateClones,
    HoldoutLooks,
    Datasets,
    AuditEntries,
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
    Json,
}

/// A selected expression and the name it has in the export.
struct Col(&'static str, &'static str, Kind);

struct Spec {
    from: &'static str,
    /// `$1` is the user's id; `$2`, when `alias` is set, the name the audit log knows them
    /// by (their pseudonym, else their id again).
    filter: &'static str,
    alias: bool,
    /// A text expression, unique per row of the user, that orders the pages.
    key: &'static str,
    cols: &'static [Col],
}

use Kind::{Bool, Int, Json, Text};

impl ExportSection {
    /// Every section, in the order they are written.
    pub const ALL: [ExportSection; 19] = [
        ExportSection::Profile,
        ExportSection::Devices,
        ExportSection::NotificationPreferences,
        ExportSection::Notifications,
        ExportSection::Emails,
        ExportSection::WebhookEndpoints,
        ExportSection::WebhookDeliveries,
        ExportSection::ScreenerScreens,
        ExportSection::ScreenerTrades,
        ExportSection::Plan,
        ExportSection::PlanUsage,
        ExportSection::Subscriptions,
        ExportSection::CohortsOwned,
        ExportSection::CohortMemberships,
        ExportSection::Templates,
        ExportSection::TemplateClones,
        ExportSection::HoldoutLooks,
        ExportSection::Datasets,
        ExportSection::AuditEntries,
    ];

    /// The file's path in the archive.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportSection::Profile => "profile.json",
            ExportSection::Devices => "devices.json",
            ExportSection::NotificationPreferences => "notification_preferences.json",
            ExportSection::Notifications => "notifications.json",
            ExportSection::Emails => "emails.json",
            ExportSection::WebhookEndpoints => "webhooks/endpoints.json",
            ExportSection::WebhookDeliveries => "webhooks/deliveries.json",
            ExportSection::ScreenerScreens => "screener/screens.json",
            ExportSection::ScreenerTrades => "screener/watched_trades.json",
            ExportSection::Plan => "plan/plan.json",
            ExportSection::PlanUsage => "plan/usage.json",
            ExportSection::Subscriptions => "plan/subscriptions.json",
            ExportSection::CohortsOwned => "cohorts/owned.json",
            ExportSection::CohortMemberships => "cohorts/memberships.json",
            ExportSection::Templates => "templates/owned.json",
            ExportSection::TemplateClones => "templates/clones.json",
            ExportSection::HoldoutLooks => "holdout_looks.json",
            ExportSection::Datasets => "datasets.json",
            ExportSection::AuditEntries => "audit_entries.json",
        }
    }

    /// What the file holds, for the archive's README.
    pub fn describe(self) -> &'static str {
        match self {
            ExportSection::Profile => {
                "Your account: email, display name, role, plan, dates, whether two-factor \
                 sign-in is on and how many recovery codes are left (never the password, \
                 the two-factor secret or any code or token)."
            }
            ExportSection::Devices => {
                "When each browser you signed in from was first and last seen (the device \
                 cookie itself is not included)."
            }
            ExportSection::NotificationPreferences => {
                "Your email and webhook choice per notification kind (kinds you never \
                 changed use the defaults and are not listed)."
            }
            ExportSection::Notifications => "Every notification in your notification center.",
            ExportSection::Emails => "The emails the service sent or queued for you.",
            ExportSection::WebhookEndpoints => {
                "Your webhook endpoints: URL, description, kinds, state (without secrets)."
            }
            ExportSection::WebhookDeliveries => {
                "Each webhook delivery: endpoint, event, status, attempts and the payload sent."
            }
            ExportSection::ScreenerScreens => "Your screener screens.",
            ExportSection::ScreenerTrades => "The trades you watched from screener alerts.",
            ExportSection::Plan => "Your plan and its limits.",
            ExportSection::PlanUsage => "Your usage counters per period and metric.",
            ExportSection::Subscriptions => "Your subscriptions as last read from Stripe.",
            ExportSection::CohortsOwned => {
                "Cohorts you teach, with their invite code and member count (not the members)."
            }
            ExportSection::CohortMemberships => "Cohorts you joined, and when.",
            ExportSection::Templates => {
                "Templates you published: text, disclosure, verified card, state."
            }
            ExportSection::TemplateClones => "Templates you cloned into strategies.",
            ExportSection::HoldoutLooks => {
                "Each time you looked at a robustness run's holdout (it is recorded)."
            }
            ExportSection::Datasets => {
                "Candle datasets you imported (their description; the candles are not included)."
            }
            ExportSection::AuditEntries => {
                "Audit log entries about your account (role, plan, disabling, exports); the \
                 actor is \"you\", \"another account\" (an administrator or the billing \
                 system) or null (the system)."
            }
        }
    }

    fn spec(self) -> Spec {
        match self {
            ExportSection::Profile => Spec {
                from: "users u",
                filter: "u.id = $1",
                alias: false,
                key: "u.id",
                cols: &[
                    Col("u.id", "id", Text),
                    Col("u.email", "email", Text),
                    Col("u.display_name", "display_name", Text),
                    Col("u.role", "role", Text),
                    Col("u.plan", "plan", Text),
                    Col("u.reviewer", "reviewer", Bool),
                    Col(
                        "CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END",
                        "has_password",
                        Bool,
                    ),
                    Col("u.external_subject", "external_sign_in_subject", Text),
                    Col(
                        "CASE WHEN u.totp_enabled_at IS NULL THEN 0 ELSE 1 END",
                        "two_factor_enabled",
                        Bool,
                    ),
                    Col("u.totp_enabled_at", "two_factor_enabled_at", Int),
                    Col(
                        "(SELECT COUNT(*) FROM recovery_codes r \
                          WHERE r.user_id = u.id AND r.used_at IS NULL)",
                        "recovery_codes_left",
                        Int,
                    ),
                    Col(
                        "(SELECT v.email FROM verified_emails v WHERE v.user_id = u.id)",
                        "verified_email",
                        Text,
                    ),
                    Col(
                        "(SELECT v.verified_at FROM verified_emails v WHERE v.user_id = u.id)",
                        "email_verified_at",
                        Int,
                    ),
                    Col("u.disabled_at", "disabled_at", Int),
                    Col("u.created_at", "created_at", Int),
                    Col("u.updated_at", "updated_at", Int),
                ],
            },
            ExportSection::Devices => Spec {
                from: "user_devices",
                filter: "user_id = $1",
                alias: false,
                key: "device",
                cols: &[
                    Col("first_seen", "first_seen", Int),
                    Col("last_seen", "last_seen", Int),
                ],
            },
            ExportSection::NotificationPreferences => Spec {
                from: "notification_preferences",
                filter: "user_id = $1",
                alias: false,
                key: "kind",
                cols: &[
                    Col("kind", "kind", Text),
                    Col("email", "email", Text),
                    Col("webhook", "webhook", Bool),
                    Col("updated_at", "updated_at", Int),
                ],
            },
            ExportSection::Notifications => Spec {
                from: "notifications",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("kind", "kind", Text),
                    Col("title", "title", Text),
                    Col("body", "body", Text),
                    Col("link", "link", Text),
                    Col("payload", "payload", Json),
                    Col("channel", "channel", Text),
                    Col("read_at", "read_at", Int),
                    Col("created_at", "created_at", Int),
                ],
            },
            ExportSection::Emails => Spec {
                from: "emails",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("kind", "kind", Text),
                    Col("notification_id", "notification_id", Text),
                    Col("status", "status", Text),
                    Col("subject", "subject", Text),
                    Col("body", "body", Text),
                    Col("link", "link", Text),
                    Col("attempts", "attempts", Int),
                    Col("created_at", "created_at", Int),
                    Col("sent_at", "sent_at", Int),
                ],
            },
            ExportSection::WebhookEndpoints => Spec {
                from: "webhook_endpoints",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("url", "url", Text),
                    Col("description", "description", Text),
                    Col("kinds", "kinds", Json),
                    Col("enabled", "enabled", Bool),
                    Col("disabled_reason", "disabled_reason", Text),
                    Col("created_at", "created_at", Int),
                    Col("updated_at", "updated_at", Int),
                ],
            },
            ExportSection::WebhookDeliveries => Spec {
                from: "webhook_deliveries",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("endpoint_id", "endpoint_id", Text),
                    Col("event_type", "event_type", Text),
                    Col("notification_id", "notification_id", Text),
                    Col("payload", "payload", Json),
                    Col("status", "status", Text),
                    Col("attempts", "attempts", Int),
                    Col("last_status", "last_status", Int),
                    Col("last_error", "last_error", Text),
                    Col("created_at", "created_at", Int),
                    Col("delivered_at", "delivered_at", Int),
                ],
            },
            ExportSection::ScreenerScreens => Spec {
                from: "screener_screens",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("name", "name", Text),
                    Col("symbols", "symbols", Json),
                    Col("alert_types", "alert_types", Json),
                    Col("strategy_id", "strategy_id", Text),
                    Col("version", "version", Int),
                    Col("signal", "signal", Text),
                    Col("notify", "notify", Bool),
                    Col("created_at", "created_at", Int),
                    Col("updated_at", "updated_at", Int),
                ],
            },
            ExportSection::ScreenerTrades => Spec {
                from: "screener_trades",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("alert_id", "alert_id", Text),
                    Col("symbol", "symbol", Text),
                    Col("side", "side", Text),
                    Col("levels", "levels", Json),
                    Col("status", "status", Text),
                    Col("outcome", "outcome", Json),
                    Col("created_at", "created_at", Int),
                    Col("closed_at", "closed_at", Int),
                ],
            },
            ExportSection::Plan => Spec {
                from: "users u JOIN subscription_plans p ON p.code = u.plan",
                filter: "u.id = $1",
                alias: false,
                key: "p.code",
                cols: &[
                    Col("p.code", "code", Text),
                    Col("p.name", "name", Text),
                    Col("p.max_strategies", "max_strategies", Int),
                    Col("p.max_backtests_per_day", "max_backtests_per_day", Int),
                    Col("p.max_sweep_combinations", "max_sweep_combinations", Int),
                    Col("p.max_paper_runs", "max_paper_runs", Int),
                    Col("p.max_template_publishes", "max_template_publishes", Int),
                    Col("p.max_history_runs", "max_history_runs", Int),
                    Col("p.max_concurrent_runs", "max_concurrent_runs", Int),
                    Col(
                        "p.max_data_fetches_per_day",
                        "max_data_fetches_per_day",
                        Int,
                    ),
                    Col("p.max_cohorts", "max_cohorts", Int),
                    Col("p.max_cohort_members", "max_cohort_members", Int),
                ],
            },
            ExportSection::PlanUsage => Spec {
                from: "plan_usage",
                filter: "user_id = $1",
                alias: false,
                key: "period || ':' || metric",
                cols: &[
                    Col("period", "period", Text),
                    Col("metric", "metric", Text),
                    Col("count", "count", Int),
                ],
            },
            ExportSection::Subscriptions => Spec {
                from: "billing_subscriptions",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("status", "status", Text),
                    Col("plan", "plan", Text),
                    Col("current_period_end", "current_period_end", Int),
                    Col("cancel_at_period_end", "cancel_at_period_end", Bool),
                    Col("past_due_since", "past_due_since", Int),
                    Col("created_at", "created_at", Int),
                    Col("updated_at", "updated_at", Int),
                ],
            },
            ExportSection::CohortsOwned => Spec {
                from: "cohorts c",
                filter: "c.educator_id = $1",
                alias: false,
                key: "c.id",
                cols: &[
                    Col("c.id", "id", Text),
                    Col("c.name", "name", Text),
                    Col("c.description", "description", Text),
                    Col("c.invite_code", "invite_code", Text),
                    Col(
                        "(SELECT COUNT(*) FROM cohort_members m WHERE m.cohort_id = c.id)",
                        "members",
                        Int,
                    ),
                    Col("c.created_at", "created_at", Int),
                    Col("c.updated_at", "updated_at", Int),
                ],
            },
            ExportSection::CohortMemberships => Spec {
                from: "cohort_members m JOIN cohorts c ON c.id = m.cohort_id",
                filter: "m.user_id = $1",
                alias: false,
                key: "m.cohort_id",
                cols: &[
                    Col("m.cohort_id", "cohort_id", Text),
                    Col("c.name", "name", Text),
                    Col("m.joined_at", "joined_at", Int),
                ],
            },
            ExportSection::Templates => Spec {
                from: "templates",
                filter: "educator_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("strategy_id", "strategy_id", Text),
                    Col("version", "version", Int),
                    Col("audience", "audience", Text),
                    Col("cohort_id", "cohort_id", Text),
                    Col("title", "title", Text),
                    Col("description", "description", Text),
                    Col("tags", "tags", Json),
                    Col("disclosure", "disclosure", Text),
                    Col("status", "status", Text),
                    Col("card", "card", Json),
                    Col("clone_count", "clone_count", Int),
                    Col("created_at", "created_at", Int),
                    Col("updated_at", "updated_at", Int),
                    Col("published_at", "published_at", Int),
                ],
            },
            ExportSection::TemplateClones => Spec {
                from: "template_clones",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("template_id", "template_id", Text),
                    Col("strategy_id", "strategy_id", Text),
                    Col("created_at", "created_at", Int),
                ],
            },
            ExportSection::HoldoutLooks => Spec {
                from: "holdout_looks",
                filter: "user_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("run_id", "run_id", Text),
                    Col("strategy_id", "strategy_id", Text),
                    Col("dataset_id", "dataset_id", Text),
                    Col("from_ts", "from_ts", Int),
                    Col("to_ts", "to_ts", Int),
                    Col("created_at", "created_at", Int),
                ],
            },
            ExportSection::Datasets => Spec {
                from: "datasets",
                filter: "owner_id = $1",
                alias: false,
                key: "id",
                cols: &[
                    Col("id", "id", Text),
                    Col("source", "source", Text),
                    Col("symbol", "symbol", Text),
                    Col("timeframe", "timeframe", Text),
                    Col("first_ts", "first_ts", Int),
                    Col("last_ts", "last_ts", Int),
                    Col("row_count", "row_count", Int),
                    Col("provenance", "provenance", Text),
                    Col("created_at", "created_at", Int),
                    Col("updated_at", "updated_at", Int),
                ],
            },
            ExportSection::AuditEntries => Spec {
                from: "audit_log",
                filter: "entity_type = 'user' AND entity_id IN ($1, $2)",
                alias: true,
                key: "id",
                cols: &[
                    Col("seq", "seq", Int),
                    Col("id", "id", Text),
                    Col("action", "action", Text),
                    Col(
                        "CASE WHEN actor_id IS NULL THEN NULL WHEN actor_id IN ($1, $2) THEN 'you' \
                         ELSE 'another account' END",
                        "actor",
                        Text,
                    ),
                    Col("payload", "payload", Json),
                    Col("created_at", "created_at", Int),
                    Col("hash", "hash", Text),
                ],
            },
        }
    }
}

/// A page of rows and the cursor after its last row (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPage {
    pub rows: Vec<Value>,
    pub next: Option<String>,
}

impl UserExport<'_> {
    /// Rows of `section` owned by `user_id` after the cursor `after`, at most `limit`.
    /// `pseudonym` is the name audit entries know the user by, if they have one.
    pub async fn page(
        &self,
        section: ExportSection,
        user_id: &str,
        pseudonym: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ExportPage, StoreError> {
        let spec = section.spec();
        let columns: Vec<String> = spec
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} AS c{i}", c.0))
            .collect();
        let mut sql = DynSql::new(&format!(
            "SELECT {} AS export_key, {} FROM {} WHERE {}",
            spec.key,
            columns.join(", "),
            spec.from,
            spec.filter
        ));
        sql.args.push(Arg::Text(user_id.to_owned()));
        if spec.alias {
            sql.args
                .push(Arg::Text(pseudonym.unwrap_or(user_id).to_owned()));
        }
        if let Some(after) = after {
            sql.push(&format!(" AND {} > ", spec.key)).bind_text(after);
        }
        sql.push(&format!(" ORDER BY {} LIMIT ", spec.key))
            .bind_int(i64::from(limit.max(1)));
        let rows = sql.query().fetch_all(&self.db.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in &rows {
            last = Some(text(row, "export_key")?.unwrap_or_default());
            let mut map = Map::new();
            for (i, col) in spec.cols.iter().enumerate() {
                map.insert(col.1.to_owned(), value(row, &format!("c{i}"), col.2)?);
            }
            out.push(Value::Object(map));
        }
        let next = if rows.len() < limit.max(1) as usize {
            None
        } else {
            last
        };
        Ok(ExportPage { rows: out, next })
    }

    /// Ids of what `user_id` owns of `what` after `after`, oldest first, at most `limit`.
    pub async fn owned_ids(
        &self,
        what: Owned,
        user_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let (table, owner) = match what {
            Owned::Strategies => ("strategies", "owner_id"),
            Owned::Runs => ("backtest_runs", "user_id"),
            Owned::PaperRuns => ("paper_runs", "user_id"),
        };
        let mut sql = DynSql::new(&format!("SELECT id FROM {table} WHERE {owner} = "));
        sql.bind_text(user_id);
        if let Some(after) = after {
            sql.push(" AND id > ").bind_text(after);
        }
        sql.push(" ORDER BY id LIMIT ")
            .bind_int(i64::from(limit.max(1)));
        Ok(sql
            .query_scalar::<String>()
            .fetch_all(&self.db.pool)
            .await?)
    }

    /// When `user_id`'s last export was recorded (`user.exported` in the audit log, under
    /// their id or their `pseudonym`).
    pub async fn last_export_at(
        &self,
        user_id: &str,
        pseudonym: Option<&str>,
    ) -> Result<Option<i64>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(created_at) FROM audit_log WHERE entity_type = 'user' \
             AND entity_id IN ($1, $2) AND action = 'user.exported'",
        )
        .bind(user_id)
        .bind(pseudonym.unwrap_or(user_id))
        .fetch_one(&self.db.pool)
        .await?;
        Ok(at)
    }
}

fn text(row: &AnyRow, name: &str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(name)
        .map_err(|e| crate::error::corrupt(&format!("value in column {name}"), e))
}

fn int(row: &AnyRow, name: &str) -> Result<Option<i64>, StoreError> {
    row.try_get::<Option<i64>, _>(name)
        .map_err(|e| crate::error::corrupt(&format!("value in column {name}"), e))
}

fn value(row: &AnyRow, name: &str, kind: Kind) -> Result<Value, StoreError> {
    Ok(match kind {
        Text => text(row, name)?.map_or(Value::Null, Value::String),
        Int => int(row, name)?.map_or(Value::Null, Value::from),
        Bool => int(row, name)?.map_or(Value::Null, |i| Value::Bool(i != 0)),
        // A JSON column that does not parse is kept as its text rather than dropped.
        Json => text(row, name)?.map_or(Value::Null, |t| {
            serde_json::from_str(&t).unwrap_or(Value::String(t))
        }),
    })
}
