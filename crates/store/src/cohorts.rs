//! Cohorts (migration 0018): an educator's group of students, joined with an invite code.
//! Cohort templates are visible to the cohort's educator and members only. How many
//! cohorts an educator runs and how many students each has are plan limits, checked in the
//! same transaction as the write (the educator's row, or the cohort's, is touched first, so
//! two requests cannot both take the last place).

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::plans::QuotaExceeded;
use crate::sql::col;
use crate::{Db, StoreError};

/// Longest cohort name, in characters.
pub const MAX_COHORT_NAME_LEN: usize = 100;

/// A cohort, as its educator or a member sees it.
#[derive(serde::Serialize, Clone, Debug, PartialEq)]
pub struct Cohort {
    pub id: String,
    pub educator_id: String,
    pub educator_name: String,
    pub name: String,
    pub description: String,
    /// Only for the educator's eyes (the API hides it from members).
    pub invite_code: String,
    pub member_count: i64,
    pub created_at: i64,
}

/// One member.
#[derive(serde::Serialize, Clone, Debug, PartialEq)]
pub struct Member {
    pub user_id: String,
    pub display_name: String,
    pub joined_at: i64,
}

/// A member's succeeded backtest of a strategy cloned from one of the cohort's templates
/// (the dashboard aggregates these; nothing else of the member's is read).
#[derive(Clone, Debug, PartialEq)]
pub struct MemberBacktest {
    pub template_id: String,
    pub user_id: String,
    /// The run's summary (JSON).
    pub summary: serde_json::Value,
}

/// The cohorts repository (from [`Db::cohorts`]).
#[derive(Debug, Clone, Copy)]
pub struct Cohorts<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str = "c.id, c.educator_id, u.display_name AS educator_name, c.name, c.description, \
     c.invite_code, c.created_at, \
     (SELECT COUNT(*) FROM cohort_members m WHERE m.cohort_id = c.id) AS member_count";

/// The metric named when a cohort limit refuses.
pub const COHORTS_METRIC: &str = "cohorts";
/// The metric named when a cohort is full.
pub const COHORT_MEMBERS_METRIC: &str = "cohort_members";

impl Cohorts<'_> {
    /// Creates a cohort unless the educator already runs `max_cohorts`.
    pub async fn create(
        &self,
        educator_id: &str,
        name: &str,
        description: &str,
        max_cohorts: i64,
    ) -> Result<Result<Cohort, QuotaExceeded>, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_COHORT_NAME_LEN {
            return Err(StoreError::Invalid(format!(
                "the name must have 1 to {MAX_COHORT_NAME_LEN} characters"
            )));
        }
        let mut tx = self.db.pool.begin().await?;
        let now = now_ms();
        // Serialises this educator's creations.
        sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(educator_id)
            .execute(&mut *tx)
            .await?;
        let owned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cohorts WHERE educator_id = $1")
            .bind(educator_id)
            .fetch_one(&mut *tx)
            .await?;
        if owned >= max_cohorts {
            return Ok(Err(QuotaExceeded {
                metric: COHORTS_METRIC.into(),
                period: "current".into(),
                limit: max_cohorts,
                used: owned,
                requested: 1,
            }));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO cohorts (id, educator_id, name, description, invite_code, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(educator_id)
        .bind(name)
        .bind(description.trim())
        .bind(invite_code())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let cohort = fetch(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(Ok(cohort))
    }

    /// The cohort with this id; `NotFound` if none.
    pub async fn get(&self, id: &str) -> Result<Cohort, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        fetch(&mut conn, id).await
    }

    /// Cohorts the user runs or belongs to, newest first (at most 200).
    pub async fn of_user(&self, user_id: &str) -> Result<Vec<Cohort>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cohorts c JOIN users u ON u.id = c.educator_id \
             WHERE c.educator_id = $1 OR EXISTS (SELECT 1 FROM cohort_members m \
             WHERE m.cohort_id = c.id AND m.user_id = $1) ORDER BY c.created_at DESC LIMIT 200"
        )))
        .bind(user_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Whether the user is a member (not the educator) of the cohort.
    pub async fn is_member(&self, cohort_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cohort_members WHERE cohort_id = $1 AND user_id = $2",
        )
        .bind(cohort_id)
        .bind(user_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n > 0)
    }

    /// Joins the cohort whose invite code this is. Joining again is a no-op. `NotFound` for
    /// an unknown code; `Invalid` for the cohort's own educator; `Ok(Err(..))` when the
    /// cohort is full for its educator's plan.
    pub async fn join(
        &self,
        code: &str,
        user_id: &str,
    ) -> Result<Result<Cohort, QuotaExceeded>, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let row = sqlx::query(
            "SELECT c.id, c.educator_id, p.max_cohort_members FROM cohorts c \
             JOIN users u ON u.id = c.educator_id JOIN subscription_plans p ON p.code = u.plan \
             WHERE c.invite_code = $1",
        )
        .bind(code.trim().to_uppercase())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let id: String = col(&row, "id")?;
        let educator: String = col(&row, "educator_id")?;
        let limit: i64 = col(&row, "max_cohort_members")?;
        if educator == user_id {
            return Err(StoreError::Invalid(
                "you run this cohort; share its code with your students".into(),
            ));
        }
        // Serialises joins of this cohort.
        sqlx::query("UPDATE cohorts SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let already: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cohort_members WHERE cohort_id = $1 AND user_id = $2",
        )
        .bind(&id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        if already == 0 {
            let members: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM cohort_members WHERE cohort_id = $1")
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await?;
            if members >= limit {
                return Ok(Err(QuotaExceeded {
                    metric: COHORT_MEMBERS_METRIC.into(),
                    period: "current".into(),
                    limit,
                    used: members,
                    requested: 1,
                }));
            }
            sqlx::query(
                "INSERT INTO cohort_members (cohort_id, user_id, joined_at) VALUES ($1, $2, $3)",
            )
            .bind(&id)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        let cohort = fetch(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(Ok(cohort))
    }

    /// Removes a member (leaving, or removed by the educator); `false` when not a member.
    pub async fn remove_member(&self, cohort_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM cohort_members WHERE cohort_id = $1 AND user_id = $2")
            .bind(cohort_id)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The members, by joining time (at most 10,000).
    pub async fn members(&self, cohort_id: &str) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.display_name, m.joined_at FROM cohort_members m \
             JOIN users u ON u.id = m.user_id WHERE m.cohort_id = $1 \
             ORDER BY m.joined_at, m.user_id LIMIT 10000",
        )
        .bind(cohort_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: col(r, "user_id")?,
                    display_name: col(r, "display_name")?,
                    joined_at: col(r, "joined_at")?,
                })
            })
            .collect()
    }

    /// A new invite code; the old one stops working.
    pub async fn rotate_code(&self, cohort_id: &str) -> Result<Cohort, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let done =
            sqlx::query("UPDATE cohorts SET invite_code = $1, updated_at = $2 WHERE id = $3")
                .bind(invite_code())
                .bind(now_ms())
                .bind(cohort_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let cohort = fetch(&mut tx, cohort_id).await?;
        tx.commit().await?;
        Ok(cohort)
    }

    /// Current members' succeeded backtests of strategies they cloned from the cohort's
    /// templates (at most 10,000, newest first).
    pub async fn member_backtests(
        &self,
        cohort_id: &str,
    ) -> Result<Vec<MemberBacktest>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.template_id, r.user_id, r.summary FROM template_clones k \
             JOIN templates t ON t.id = k.template_id \
             JOIN cohort_members m ON m.cohort_id = t.cohort_id AND m.user_id = k.user_id \
             JOIN backtest_runs r ON r.strategy_id = k.strategy_id AND r.user_id = k.user_id \
             WHERE t.cohort_id = $1 AND r.kind = 'backtest' AND r.status = 'succeeded' \
             AND r.summary IS NOT NULL ORDER BY r.created_at DESC LIMIT 10000",
        )
        .bind(cohort_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let text: String = col(r, "summary")?;
                Ok(MemberBacktest {
                    template_id: col(r, "template_id")?,
                    user_id: col(r, "user_id")?,
                    summary: serde_json::from_str(&text)
                        .map_err(|e| crate::error::corrupt("JSON in column summary", e))?,
                })
            })
            .collect()
    }

    /// Clones per template of the cohort, by current members.
    pub async fn member_clones(&self, cohort_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id AS template_id, COUNT(m.user_id) AS n FROM templates t \
             LEFT JOIN template_clones k ON k.template_id = t.id \
             LEFT JOIN cohort_members m ON m.cohort_id = t.cohort_id AND m.user_id = k.user_id \
             WHERE t.cohort_id = $1 GROUP BY t.id",
        )
        .bind(cohort_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "template_id")?, col(r, "n")?)))
            .collect()
    }
}

/// 16 characters from the random tail of a uuid v7 (62 random bits), uppercase.
fn invite_code() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 16..].to_uppercase()
}

async fn fetch(conn: &mut AnyConnection, id: &str) -> Result<Cohort, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM cohorts c JOIN users u ON u.id = c.educator_id WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

fn from_row(row: &AnyRow) -> Result<Cohort, StoreError> {
    Ok(Cohort {
        id: col(row, "id")?,
        educator_id: col(row, "educator_id")?,
        educator_name: col(row, "educator_name")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        invite_code: col(row, "invite_code")?,
        member_count: col(row, "member_count")?,
        created_at: col(row, "created_at")?,
    })
}
