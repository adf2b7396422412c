//! Compliance events (migration 0017, the seed's `ComplianceEvent`): the review of a public
//! template and the takedown of a published one. A reviewer decides an `open` event
//! (`approved`, `rejected`, or `escalated` to an admin, who decides it then); each decision
//! changes the template, notifies the people concerned and records who decided, when and
//! why, in one transaction.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::model::parse_col;
use crate::notifications::{self, NewNotification};
use crate::sql::{DynSql, col, col_json};
use crate::templates::{self, Template};
use crate::{
    ComplianceEntity, ComplianceEventType, ComplianceStatus, Db, Page, StoreError, TemplateStatus,
};

/// One compliance event.
#[derive(serde::Serialize, Clone, Debug, PartialEq)]
pub struct ComplianceEvent {
    pub id: String,
    pub entity_type: ComplianceEntity,
    pub entity_id: String,
    pub event_type: ComplianceEventType,
    /// The evidence: for a `risk_review`, the machine gates and what each found.
    pub payload: serde_json::Value,
    pub status: ComplianceStatus,
    pub created_by: Option<String>,
    pub resolved_by: Option<String>,
    /// The decision's reason, in the reviewer's words.
    pub reason: Option<String>,
    pub created_at: i64,
    /// When it was approved or rejected (`null` while open or escalated).
    pub resolved_at: Option<i64>,
}

/// A filter over the queue.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub status: Option<ComplianceStatus>,
    pub event_type: Option<ComplianceEventType>,
    pub entity_type: Option<ComplianceEntity>,
    pub entity_id: Option<String>,
    /// 1..=100; 0 means 20.
    pub limit: u32,
    pub offset: u32,
}

/// A reviewer's decision on an event.
#[derive(Clone, Debug)]
pub struct Decision {
    pub decided_by: String,
    /// `Approved`, `Rejected` or `Escalated`.
    pub status: ComplianceStatus,
    pub reason: Option<String>,
    /// The notification for the template's educator (its `user_id` is filled in), sent
    /// on approval or rejection.
    pub owner_notice: NewNotification,
    /// The notification for admins, sent on escalation (its `user_id` is filled in).
    pub admin_notice: NewNotification,
}

/// What a decision or a takedown wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    pub event: ComplianceEvent,
    pub template: Option<Template>,
    /// Users notified (publish `notify_topic` for each after the call).
    pub notified: Vec<String>,
}

pub(crate) struct NewEvent {
    pub entity_type: ComplianceEntity,
    pub entity_id: String,
    pub event_type: ComplianceEventType,
    pub payload: serde_json::Value,
    pub status: ComplianceStatus,
    pub created_by: Option<String>,
    pub resolved_by: Option<String>,
    pub reason: Option<String>,
}

/// The compliance repository (from [`Db::compliance`]).
#[derive(Debug, Clone, Copy)]
pub struct Compliance<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str = "id, entity_type, entity_id, event_type, payload, status, created_by, \
     resolved_by, reason, created_at, resolved_at";

impl Compliance<'_> {
    /// The event with this id; `NotFound` if none.
    pub async fn get(&self, id: &str) -> Result<ComplianceEvent, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        fetch(&mut conn, id).await
    }

    /// Events, oldest waiting first (the queue's order).
    pub async fn list(&self, filter: &EventFilter) -> Result<Page<ComplianceEvent>, StoreError> {
        let limit = match filter.limit {
            0 => 20,
            n => n.min(100),
        };
        let mut wh = DynSql::new(" WHERE 1 = 1");
        if let Some(s) = filter.status {
            wh.push(" AND status = ").bind_text(s.as_str());
        }
        if let Some(t) = filter.event_type {
            wh.push(" AND event_type = ").bind_text(t.as_str());
        }
        if let Some(e) = filter.entity_type {
            wh.push(" AND entity_type = ").bind_text(e.as_str());
        }
        if let Some(id) = &filter.entity_id {
            wh.push(" AND entity_id = ").bind_text(id.as_str());
        }
        let mut count = DynSql::new("SELECT COUNT(*) FROM compliance_events");
        count.push(&wh.text);
        count.args = wh.args.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.db.pool).await?;
        let mut sql = DynSql::new("SELECT ");
        sql.push(COLUMNS)
            .push(" FROM compliance_events")
            .push(&wh.text);
        sql.args = wh.args.clone();
        sql.push(" ORDER BY created_at, id LIMIT ")
            .bind_int(i64::from(limit))
            .push(" OFFSET ")
            .bind_int(i64::from(filter.offset));
        let rows = sql.query().fetch_all(&self.db.pool).await?;
        Ok(Page {
            items: rows.iter().map(from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit,
            offset: filter.offset,
        })
    }

    /// Decides an `open` event (or an `escalated` one). Approving a template's
    /// `risk_review` publishes the template (older published versions of the same strategy
    /// and audience become `superseded`); rejecting it rejects the template; both notify
    /// its educator. Escalating notifies the admins. `Conflict` when the event was already
    /// decided (another reviewer was first) or its template is no longer waiting.
    pub async fn decide(&self, id: &str, decision: Decision) -> Result<Decided, StoreError> {
        if !matches!(
            decision.status,
            ComplianceStatus::Approved | ComplianceStatus::Rejected | ComplianceStatus::Escalated
        ) {
            return Err(StoreError::Invalid(
                "a decision approves, rejects or escalates".into(),
            ));
        }
        let mut tx = self.db.pool.begin().await?;
        let resolved_at = (decision.status != ComplianceStatus::Escalated).then_some(now_ms());
        let done = sqlx::query(
            "UPDATE compliance_events SET status = $1, resolved_by = $2, reason = $3, \
             resolved_at = $4 WHERE id = $5 AND status IN ('open', 'escalated')",
        )
        .bind(decision.status.as_str())
        .bind(&decision.decided_by)
        .bind(decision.reason.as_deref())
        .bind(resolved_at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // Tell "no such event" from "already decided".
            fetch(&mut tx, id).await?;
            return Err(StoreError::Conflict(
                "this event was already decided".into(),
            ));
        }
        let event = fetch(&mut tx, id).await?;
        let mut template = None;
        let mut notified = Vec::new();
        if event.entity_type == ComplianceEntity::Template
            && event.event_type == ComplianceEventType::RiskReview
        {
            let waiting = [TemplateStatus::PendingReview];
            let moved = match decision.status {
                ComplianceStatus::Approved => {
                    templates::set_status(
                        &mut tx,
                        &event.entity_id,
                        &waiting,
                        TemplateStatus::Published,
                    )
                    .await?
                }
                ComplianceStatus::Rejected => {
                    templates::set_status(
                        &mut tx,
                        &event.entity_id,
                        &waiting,
                        TemplateStatus::Rejected,
                    )
                    .await?
                }
                _ => true,
            };
            if !moved {
                return Err(StoreError::Conflict(
                    "the template is no longer waiting for this review".into(),
                ));
            }
            let t = templates::fetch(&mut tx, &event.entity_id).await?;
            if decision.status == ComplianceStatus::Approved {
                templates::supersede_older(&mut tx, &t).await?;
            }
            if decision.status != ComplianceStatus::Escalated {
                let mut n = decision.owner_notice.clone();
                n.user_id = t.educator_id.clone();
                notifications::insert(&mut tx, n).await?;
                notified.push(t.educator_id.clone());
            }
            template = Some(t);
        }
        crate::audit::append(
            &mut tx,
            crate::NewAuditEntry {
                entity_type: "compliance_event".into(),
                entity_id: event.id.clone(),
                action: format!("compliance.{}", decision.status.as_str()),
                actor_id: Some(decision.decided_by.clone()),
                payload: serde_json::json!({
                    "event_type": event.event_type.as_str(),
                    "entity_type": event.entity_type.as_str(),
                    "entity_id": event.entity_id,
                    "status": decision.status.as_str(),
                    "reason": decision.reason,
                    "evidence_sha256": crate::audit_chain::sha256_hex(&crate::audit_chain::canonical_json(&event.payload)),
                }),
            },
        )
        .await?;
        if decision.status == ComplianceStatus::Escalated {
            for admin in admin_ids(&mut tx).await? {
                if admin == decision.decided_by {
                    continue;
                }
                let mut n = decision.admin_notice.clone();
                n.user_id = admin.clone();
                notifications::insert(&mut tx, n).await?;
                notified.push(admin);
            }
        }
        tx.commit().await?;
        Ok(Decided {
            event,
            template,
            notified,
        })
    }

    /// Takes a published template down: it leaves the gallery (clones keep working), a
    /// `takedown` event records who and why, and its educator gets `owner_notice`. One
    /// transaction. `Conflict` unless the template is published.
    pub async fn take_down(
        &self,
        template_id: &str,
        by: &str,
        reason: &str,
        owner_notice: NewNotification,
    ) -> Result<Decided, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let template = templates::fetch(&mut tx, template_id).await?;
        if !templates::set_status(
            &mut tx,
            template_id,
            &[TemplateStatus::Published],
            TemplateStatus::TakenDown,
        )
        .await?
        {
            return Err(StoreError::Conflict(format!(
                "only a published template can be taken down; this one is {}",
                template.status
            )));
        }
        let event = insert(
            &mut tx,
            NewEvent {
                entity_type: ComplianceEntity::Template,
                entity_id: template_id.to_owned(),
                event_type: ComplianceEventType::Takedown,
                payload: serde_json::json!({
                    "template": {"id": template.id, "title": template.title,
                        "strategy_id": template.strategy_id, "version": template.version,
                        "clone_count": template.clone_count},
                }),
                status: ComplianceStatus::Approved,
                created_by: Some(by.to_owned()),
                resolved_by: Some(by.to_owned()),
                reason: Some(reason.to_owned()),
            },
        )
        .await?;
        crate::audit::append(
            &mut tx,
            crate::NewAuditEntry {
                entity_type: "compliance_event".into(),
                entity_id: event.id.clone(),
                action: "compliance.takedown".into(),
                actor_id: Some(by.to_owned()),
                payload: serde_json::json!({
                    "event_type": event.event_type.as_str(),
                    "entity_type": event.entity_type.as_str(),
                    "entity_id": event.entity_id,
                    "reason": reason,
                }),
            },
        )
        .await?;
        let mut n = owner_notice;
        n.user_id = template.educator_id.clone();
        notifications::insert(&mut tx, n).await?;
        let template = templates::fetch(&mut tx, template_id).await?;
        tx.commit().await?;
        Ok(Decided {
            event,
            notified: vec![template.educator_id.clone()],
            template: Some(template),
        })
    }
}

/// Inserts an event on `conn` (inside the caller's transaction).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    new: NewEvent,
) -> Result<ComplianceEvent, StoreError> {
    let now = now_ms();
    let resolved_at = matches!(
        new.status,
        ComplianceStatus::Approved | ComplianceStatus::Rejected
    )
    .then_some(now);
    let event = ComplianceEvent {
        id: new_id(),
        entity_type: new.entity_type,
        entity_id: new.entity_id,
        event_type: new.event_type,
        payload: new.payload,
        status: new.status,
        created_by: new.created_by,
        resolved_by: new.resolved_by,
        reason: new.reason,
        created_at: now,
        resolved_at,
    };
    sqlx::query(
        "INSERT INTO compliance_events (id, entity_type, entity_id, event_type, payload, status, \
         created_by, resolved_by, reason, created_at, resolved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&event.id)
    .bind(event.entity_type.as_str())
    .bind(&event.entity_id)
    .bind(event.event_type.as_str())
    .bind(event.payload.to_string())
    .bind(event.status.as_str())
    .bind(event.created_by.as_deref())
    .bind(event.resolved_by.as_deref())
    .bind(event.reason.as_deref())
    .bind(event.created_at)
    .bind(event.resolved_at)
    .execute(&mut *conn)
    .await?;
    Ok(event)
}

/// Reviewers and admins who can act now.
pub(crate) async fn reviewer_ids(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    ids(
        conn,
        "SELECT id FROM users WHERE (reviewer = 1 OR role = 'admin') AND disabled_at IS NULL \
         ORDER BY created_at LIMIT 1000",
    )
    .await
}

async fn admin_ids(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    ids(
        conn,
        "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL \
         ORDER BY created_at LIMIT 1000",
    )
    .await
}

async fn ids(conn: &mut AnyConnection, sql: &'static str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| col(r, "id")).collect()
}

async fn fetch(conn: &mut AnyConnection, id: &str) -> Result<ComplianceEvent, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM compliance_events WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

fn from_row(row: &AnyRow) -> Result<ComplianceEvent, StoreError> {
    Ok(ComplianceEvent {
        id: col(row, "id")?,
        entity_type: parse_col("compliance entity", &col::<String>(row, "entity_type")?)?,
        entity_id: col(row, "entity_id")?,
        event_type: parse_col("compliance event type", &col::<String>(row, "event_type")?)?,
        payload: col_json(row, "payload")?,
        status: parse_col("compliance status", &col::<String>(row, "status")?)?,
        created_by: col(row, "created_by")?,
        resolved_by: col(row, "resolved_by")?,
        reason: col(row, "reason")?,
        created_at: col(row, "created_at")?,
        resolved_at: col(row, "resolved_at")?,
    })
}
