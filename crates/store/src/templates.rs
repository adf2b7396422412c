//! Templates (migration 0017): a strategy version an educator publishes, with its
//! disclosure and the verified backtest card it was checked on, and the clones made of it.
//!
//! A template is immutable: it names one version; an update is a new publication of a newer
//! version, reviewed again. A public template is `pending_review` until a reviewer approves
//! its `risk_review` compliance event (see `compliance.rs`); publishing is one transaction
//! (the plan's monthly `template_publishes` counter, the template, its event and the
//! reviewers' `governance_task` notifications).

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::model::parse_col;
use crate::notifications::{self, NewNotification};
use crate::plans::{QuotaCharge, QuotaExceeded, consume};
use crate::sql::{DynSql, col, col_json};
use crate::strategies::{NewStrategy, NewVersion, Strategy, StrategyVersion, create_in};
use crate::{
    Audience, ComplianceEntity, ComplianceEventType, ComplianceStatus, Db, Page, StoreError,
    TemplateStatus, Visibility,
};

/// Longest disclosure accepted, in characters.
pub const MAX_DISCLOSURE_LEN: usize = 5_000;
/// Shortest disclosure accepted, in characters (a sentence, not a placeholder).
pub const MIN_DISCLOSURE_LEN: usize = 20;
/// Longest description accepted, in characters.
pub const MAX_TEMPLATE_DESCRIPTION_LEN: usize = 5_000;

/// A published (or submitted) strategy version.
#[derive(serde::Serialize, Clone, Debug, PartialEq)]
pub struct Template {
    pub id: String,
    pub strategy_id: String,
    pub version: i64,
    pub educator_id: String,
    /// The educator's display name, for attribution.
    pub educator_name: String,
    pub audience: Audience,
    /// The cohort of a cohort template.
    pub cohort_id: Option<String>,
    pub title: String,
    pub description: String,
    /// Sorted, lowercase.
    pub tags: Vec<String>,
    /// Shown before anyone clones it.
    pub disclosure: String,
    pub status: TemplateStatus,
    /// The verified backtest card (JSON written by the API layer).
    pub card: serde_json::Value,
    pub clone_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

/// A template to publish.
#[derive(Clone, Debug)]
pub struct NewTemplate {
    pub strategy_id: String,
    pub version: i64,
    pub educator_id: String,
    pub audience: Audience,
    /// Required for a cohort template: one of the educator's cohorts (the caller checks).
    pub cohort_id: Option<String>,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub disclosure: String,
    pub card: serde_json::Value,
}

/// What a publication wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    pub template: Template,
    /// The `risk_review` event opened for a public template.
    pub event: Option<crate::ComplianceEvent>,
    /// Users notified (publish `notify_topic` for each after the call).
    pub notified: Vec<String>,
}

/// Gallery order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TemplateSort {
    /// Newest publication first.
    #[default]
    Recent,
    /// Most cloned first.
    Clones,
}

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct TemplateFilter {
    /// Only this educator's templates, in every status (their "my templates" list);
    /// otherwise only published ones.
    pub educator: Option<String>,
    pub audience: Option<Audience>,
    /// Only this cohort's templates.
    pub cohort: Option<String>,
    /// Title or description contains this, ignoring case (ASCII letters on SQLite).
    pub search: Option<String>,
    pub tag: Option<String>,
    pub sort: TemplateSort,
    /// 1..=100; 0 means 20.
    pub limit: u32,
    pub offset: u32,
}

/// The templates repository (from [`Db::templates`]).
#[derive(Debug, Clone, Copy)]
pub struct Templates<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str = "t.id, t.strategy_id, t.version, t.educator_id, u.display_name AS educator_name, \
     t.audience, t.cohort_id, t.title, t.description, t.tags, t.disclosure, t.status, t.card, t.clone_count, \
     t.created_at, t.updated_at, t.published_at";

impl Templates<'_> {
    /// Publishes `new`: takes `charge` (the monthly publications), stores the template and
    /// its tags and, for the public, opens a `risk_review` event with `evidence` (the
    /// machine gates) as its payload and notifies every reviewer but the publisher with
    /// `notice` (its `user_id` is filled in for each). A cohort template is published at
    /// once. One transaction. `Conflict` when this version was already submitted to this
    /// audience.
    pub async fn publish(
        &self,
        new: NewTemplate,
        evidence: serde_json::Value,
        charge: &QuotaCharge,
        notice: NewNotification,
    ) -> Result<Result<Publication, QuotaExceeded>, StoreError> {
        check_new(&new)?;
        let tags = clean_tags(&new.tags);
        let mut tx = self.db.pool.begin().await?;
        if let Err(exceeded) = consume(&mut tx, &new.educator_id, charge).await? {
            return Ok(Err(exceeded));
        }
        let now = now_ms();
        let public = new.audience == Audience::Public;
        let (status, published_at) = if public {
            (TemplateStatus::PendingReview, None)
        } else {
            (TemplateStatus::Published, Some(now))
        };
        let id = new_id();
        sqlx::query(
            "INSERT INTO templates (id, strategy_id, version, educator_id, audience, title, \
             description, tags, disclosure, status, card, clone_count, created_at, updated_at, \
             published_at, cohort_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12, $13, $14)",
        )
        .bind(&id)
        .bind(&new.strategy_id)
        .bind(new.version)
        .bind(&new.educator_id)
        .bind(new.audience.as_str())
        .bind(new.title.trim())
        .bind(new.description.trim())
        .bind(serde_json::Value::from(tags.clone()).to_string())
        .bind(new.disclosure.trim())
        .bind(status.as_str())
        .bind(new.card.to_string())
        .bind(now)
        .bind(published_at)
        .bind(new.cohort_id.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            map_err(
                e,
                &[(
                    "templates",
                    "this version was already submitted to this audience; save a new version \
                     to publish an update",
                )],
                "the strategy version or the educator does not exist",
            )
        })?;
        for tag in &tags {
            sqlx::query("INSERT INTO template_tags (template_id, tag) VALUES ($1, $2)")
                .bind(&id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        let mut event = None;
        let mut notified = Vec::new();
        if public {
            let opened = crate::compliance::insert(
                &mut tx,
                crate::compliance::NewEvent {
                    entity_type: ComplianceEntity::Template,
                    entity_id: id.clone(),
                    event_type: ComplianceEventType::RiskReview,
                    payload: evidence,
                    status: ComplianceStatus::Open,
                    created_by: Some(new.educator_id.clone()),
                    resolved_by: None,
                    reason: None,
                },
            )
            .await?;
            for reviewer in crate::compliance::reviewer_ids(&mut tx).await? {
                if reviewer == new.educator_id {
                    continue;
                }
                let mut n = notice.clone();
                n.user_id = reviewer.clone();
                notifications::insert(&mut tx, n).await?;
                notified.push(reviewer);
            }
            event = Some(opened);
        }
        let template = fetch(&mut tx, &id).await?;
        crate::audit::append(
            &mut tx,
            crate::NewAuditEntry {
                entity_type: "template".into(),
                entity_id: id.clone(),
                action: if public {
                    "template.submitted".into()
                } else {
                    "template.published".into()
                },
                actor_id: Some(new.educator_id.clone()),
                payload: serde_json::json!({
                    "strategy_id": template.strategy_id,
                    "version": template.version,
                    "audience": template.audience.as_str(),
                    "cohort_id": template.cohort_id,
                    // user-written texts, recorded as commitments: the chain is never
                    // edited, and erasure must leave nothing of the user in clear there
                    "title_sha256": crate::audit_chain::sha256_hex(&template.title),
                    "disclosure_sha256": crate::audit_chain::sha256_hex(&template.disclosure),
                    "compliance_event": event.as_ref().map(|e: &crate::ComplianceEvent| e.id.clone()),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(Publication {
            template,
            event,
            notified,
        }))
    }

    /// The template with this id, in any status; `NotFound` if none.
    pub async fn get(&self, id: &str) -> Result<Template, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        fetch(&mut conn, id).await
    }

    /// Published templates (or one educator's, in every status), filtered and sorted.
    pub async fn list(&self, filter: &TemplateFilter) -> Result<Page<Template>, StoreError> {
        let limit = match filter.limit {
            0 => 20,
            n => n.min(100),
        };
        let mut wh = DynSql::new(" WHERE 1 = 1");
        match &filter.educator {
            Some(educator) => {
                wh.push(" AND t.educator_id = ")
                    .bind_text(educator.as_str());
            }
            None => {
                wh.push(" AND t.status = ")
                    .bind_text(TemplateStatus::Published.as_str());
            }
        }
        if let Some(audience) = filter.audience {
            wh.push(" AND t.audience = ").bind_text(audience.as_str());
        }
        if let Some(cohort) = &filter.cohort {
            wh.push(" AND t.cohort_id = ").bind_text(cohort.as_str());
        }
        if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
            let pattern = crate::strategies::like_pattern(search.trim());
            wh.push(" AND (LOWER(t.title) LIKE ")
                .bind_text(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(t.description) LIKE ")
                .bind_text(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(tag) = filter.tag.as_deref().filter(|s| !s.trim().is_empty()) {
            wh.push(" AND EXISTS (SELECT 1 FROM template_tags g WHERE g.template_id = t.id AND g.tag = ")
                .bind_text(tag.trim().to_lowercase())
                .push(")");
        }
        let mut count = DynSql::new("SELECT COUNT(*) FROM templates t");
        count.push(&wh.text);
        count.args = wh.args.clone();
        let total: i64 = count.query_scalar().fetch_one(&self.db.pool).await?;
        let mut sql = DynSql::new("SELECT ");
        sql.push(COLUMNS)
            .push(" FROM templates t JOIN users u ON u.id = t.educator_id")
            .push(&wh.text);
        sql.args = wh.args.clone();
        sql.push(match filter.sort {
            TemplateSort::Recent => " ORDER BY t.published_at DESC, t.created_at DESC, t.id",
            TemplateSort::Clones => {
                " ORDER BY t.clone_count DESC, t.published_at DESC, t.created_at DESC, t.id"
            }
        });
        sql.push(" LIMIT ")
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

    /// A private copy of a published template for `user_id`: a new strategy whose version 1
    /// is the template's version, its notes naming the template and its educator; the clone
    /// is recorded and counted in the same transaction. `NotFound` unless the template is
    /// published; whether the user may see it (its audience) is the caller's check.
    pub async fn clone_for(
        &self,
        template_id: &str,
        user_id: &str,
        title: Option<String>,
    ) -> Result<(Template, Strategy, StrategyVersion), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let template = fetch(&mut tx, template_id).await?;
        if template.status != TemplateStatus::Published {
            return Err(StoreError::NotFound);
        }
        let source = sqlx::query(
            "SELECT graph, valid, diagnostics FROM strategy_versions \
             WHERE strategy_id = $1 AND version = $2",
        )
        .bind(&template.strategy_id)
        .bind(template.version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (strategy, version) = create_in(
            &mut tx,
            NewStrategy {
                owner_id: user_id.to_owned(),
                title: title.unwrap_or_else(|| template.title.clone()),
                description: template.description.clone(),
                tags: template.tags.clone(),
                visibility: Visibility::Private,
            },
            NewVersion {
                author_id: user_id.to_owned(),
                graph: col_json(&source, "graph")?,
                notes: format!(
                    "Cloned from the template \"{}\" by {} (its version {}).",
                    template.title, template.educator_name, template.version
                ),
                valid: crate::sql::col_bool(&source, "valid")?,
                diagnostics: col_json(&source, "diagnostics")?,
            },
        )
        .await?;
        sqlx::query(
            "INSERT INTO template_clones (id, template_id, user_id, strategy_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(template_id)
        .bind(user_id)
        .bind(&strategy.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE templates SET clone_count = clone_count + 1 WHERE id = $1")
            .bind(template_id)
            .execute(&mut *tx)
            .await?;
        let template = fetch(&mut tx, template_id).await?;
        tx.commit().await?;
        Ok((template, strategy, version))
    }

    /// Templates (any audience, any status but rejected) of one strategy version.
    pub async fn of_version(
        &self,
        strategy_id: &str,
        version: i64,
    ) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM templates t JOIN users u ON u.id = t.educator_id \
             WHERE t.strategy_id = $1 AND t.version = $2 ORDER BY t.created_at"
        )))
        .bind(strategy_id)
        .bind(version)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

/// The template `id` read on `conn`.
pub(crate) async fn fetch(conn: &mut AnyConnection, id: &str) -> Result<Template, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM templates t JOIN users u ON u.id = t.educator_id WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Moves a template from one status to another; `false` when it was not in `from`.
pub(crate) async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    from: &[TemplateStatus],
    to: TemplateStatus,
) -> Result<bool, StoreError> {
    let mut sql = DynSql::new("UPDATE templates SET status = ");
    sql.bind_text(to.as_str()).push(", updated_at = ");
    let now = now_ms();
    sql.bind_int(now);
    if to == TemplateStatus::Published {
        sql.push(", published_at = ").bind_int(now);
    }
    sql.push(" WHERE id = ")
        .bind_text(id)
        .push(" AND status IN (");
    for (i, s) in from.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_text(s.as_str());
    }
    sql.push(")");
    Ok(sql.query().execute(&mut *conn).await?.rows_affected() == 1)
}

/// Marks the other published templates of the same strategy and audience as superseded
/// (a newer version was just approved); their clones keep working.
pub(crate) async fn supersede_older(
    conn: &mut AnyConnection,
    template: &Template,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE templates SET status = 'superseded', updated_at = $1 WHERE strategy_id = $2 \
         AND audience = $3 AND status = 'published' AND version < $4",
    )
    .bind(now_ms())
    .bind(&template.strategy_id)
    .bind(template.audience.as_str())
    .bind(template.version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn check_new(new: &NewTemplate) -> Result<(), StoreError> {
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > crate::strategies::MAX_TITLE_LEN {
        return Err(StoreError::Invalid(format!(
            "the title must have 1 to {} characters",
            crate::strategies::MAX_TITLE_LEN
        )));
    }
    if new.description.chars().count() > MAX_TEMPLATE_DESCRIPTION_LEN {
        return Err(StoreError::Invalid(format!(
            "the description is longer than {MAX_TEMPLATE_DESCRIPTION_LEN} characters"
        )));
    }
    let disclosure = new.disclosure.trim().chars().count();
    if !(MIN_DISCLOSURE_LEN..=MAX_DISCLOSURE_LEN).contains(&disclosure) {
        return Err(StoreError::Invalid(format!(
            "the disclosure must have {MIN_DISCLOSURE_LEN} to {MAX_DISCLOSURE_LEN} characters"
        )));
    }
    if new.tags.len() > crate::strategies::MAX_TAGS
        || new
            .tags
            .iter()
            .any(|t| t.trim().chars().count() > crate::strategies::MAX_TAG_LEN)
    {
        return Err(StoreError::Invalid(format!(
            "at most {} tags of at most {} characters",
            crate::strategies::MAX_TAGS,
            crate::strategies::MAX_TAG_LEN
        )));
    }
    Ok(())
}

fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn from_row(row: &AnyRow) -> Result<Template, StoreError> {
    let tags = col_json(row, "tags")?;
    Ok(Template {
        id: col(row, "id")?,
        strategy_id: col(row, "strategy_id")?,
        version: col(row, "version")?,
        educator_id: col(row, "educator_id")?,
        educator_name: col(row, "educator_name")?,
        audience: parse_col("audience", &col::<String>(row, "audience")?)?,
        cohort_id: col(row, "cohort_id")?,
        title: col(row, "title")?,
        description: col(row, "description")?,
        tags: tags
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        disclosure: col(row, "disclosure")?,
        status: parse_col("template status", &col::<String>(row, "status")?)?,
        card: col_json(row, "card")?,
        clone_count: col(row, "clone_count")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        published_at: col(row, "published_at")?,
    })
}
