//! Users.

use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::model::parse_col;
use crate::sql::{col, col_bool, int_bool};
use crate::{Db, NewAuditEntry, PlanTier, Role, StoreError};

/// A user account as the rest of the system sees it (no password hash).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct User {
    pub id: String,
    /// Lowercase.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub plan: PlanTier,
    /// Unix ms.
    pub created_at: i64,
    /// When an admin disabled the account (Unix ms); a disabled account cannot sign in and
    /// its tokens stop working.
    pub disabled_at: Option<i64>,
    /// Two-factor sign-in (TOTP) is on.
    pub two_factor_enabled: bool,
    /// May decide compliance events (a duty an admin grants, beside the role).
    pub reviewer: bool,
}

/// What [`Users::session`] tells the auth extractor about a caller, in one query.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionCheck {
    pub user: User,
    /// The session (refresh token family) still has an unrevoked token, i.e. the user has
    /// not signed out of it and it was not ended for token reuse.
    pub session_live: bool,
}

/// A user's TOTP state.
#[derive(Clone, PartialEq)]
pub struct TotpState {
    /// Base32; set by setup, in use once `enabled`.
    pub secret: Option<String>,
    pub enabled: bool,
}

impl std::fmt::Debug for TotpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpState")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// What is needed to create a user.
#[derive(Clone)]
pub struct NewUser {
    /// Stored trimmed and lowercase; must look like `local@domain`.
    pub email: String,
    /// `None` for users who sign in through an external provider.
    pub password_hash: Option<String>,
    /// Trimmed; when empty, the part of the email before `@` is used.
    pub display_name: String,
    pub role: Role,
    pub plan: PlanTier,
    /// The external provider's subject (e.g. Supabase's `sub`), unique when present.
    pub external_subject: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("plan", &self.plan)
            .field("external_subject", &self.external_subject)
            .finish()
    }
}

/// The users repository (from [`Db::users`]).
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) db: &'a Db,
}

/// The columns [`user_from_row`] reads, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "id, email, display_name, role, plan, created_at, disabled_at, totp_enabled_at, reviewer"
    };
}

const UNIQUE: &[(&str, &str)] = &[
    ("email", "email already registered"),
    (
        "external_subject",
        "external account already linked to another user",
    ),
];

impl Users<'_> {
    /// Creates a user. `Conflict` when the email (compared case-insensitively) or the external
    /// subject is taken; `Invalid` when the email does not look like one.
    pub async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        let email = normalize_email(&new.email)?;
        let display_name = match new.display_name.trim() {
            "" => email.split('@').next().unwrap_or_default().to_owned(),
            name => name.to_owned(),
        };
        let external_subject = match new.external_subject.as_deref().map(str::trim) {
            Some("") => {
                return Err(StoreError::Invalid(
                    "external subject must not be empty".to_owned(),
                ));
            }
            other => other.map(str::to_owned),
        };
        let user = User {
            id: new_id(),
            email,
            display_name,
            role: new.role,
            plan: new.plan,
            created_at: now_ms(),
            disabled_at: None,
            two_factor_enabled: false,
            reviewer: false,
        };
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, display_name, role, plan, \
             external_subject, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(new.password_hash)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(user.plan.as_str())
        .bind(external_subject)
        .bind(user.created_at)
        .execute(&self.db.pool)
        .await
        .map_err(|e| map_err(e, UNIQUE, "unknown plan"))?;
        Ok(user)
    }

    /// The user with this id; `NotFound` if none.
    pub async fn get(&self, id: &str) -> Result<User, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    /// The user with this email (any case) and their password hash (`None` for external
    /// users).
    pub async fn by_email(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        let email = email.trim().to_lowercase();
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((
                user_from_row(&row)?,
                col::<Option<String>>(&row, "password_hash")?,
            ))),
        }
    }

    /// The user linked to this external subject, if any.
    pub async fn by_external_subject(&self, subject: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE external_subject = $1"
        ))
        .bind(subject)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Changes a user's role; `NotFound` if there is no such user. A real change is
    /// appended to the audit log (`user.role_changed`, `{from, to}`, by `actor_id`) in the
    /// same transaction.
    pub async fn set_role(
        &self,
        id: &str,
        role: Role,
        actor_id: Option<&str>,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let before = lock_user(&mut tx, id).await?;
        let row = sqlx::query(concat!(
            "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(role.as_str())
        .bind(now_ms())
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let user = user_from_row(&row)?;
        if before.role != user.role {
            audit_change(
                &mut tx,
                &user.id,
                "user.role_changed",
                actor_id,
                json!({ "from": before.role.as_str(), "to": user.role.as_str() }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's plan; `NotFound` if there is no such user. A real change is
    /// appended to the audit log (`user.plan_changed`, `{from, to}`, by `actor_id`) in the
    /// same transaction.
    pub async fn set_plan(
        &self,
        id: &str,
        plan: PlanTier,
        actor_id: Option<&str>,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let before = lock_user(&mut tx, id).await?;
        let row = sqlx::query(concat!(
            "UPDATE users SET plan = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(plan.as_str())
        .bind(now_ms())
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let user = user_from_row(&row)?;
        if before.plan != user.plan {
            audit_change(
                &mut tx,
                &user.id,
                "user.plan_changed",
                actor_id,
                json!({ "from": before.plan.as_str(), "to": user.plan.as_str() }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }
}

/// Locks a user's row for the rest of the transaction (a no-op update: a row lock on
/// PostgreSQL, the write lock on SQLite) and returns it as it is once locked, so the
/// "from" of an audited change is what the change replaced. `NotFound` if there is none.
pub(crate) async fn lock_user(conn: &mut AnyConnection, id: &str) -> Result<User, StoreError> {
    let row = sqlx::query(concat!(
        "UPDATE users SET updated_at = updated_at WHERE id = $1 RETURNING ",
        user_columns!()
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    user_from_row(&row)
}

/// Appends a change of a user to the audit log, inside the change's transaction.
pub(crate) async fn audit_change(
    conn: &mut AnyConnection,
    user_id: &str,
    action: &str,
    actor_id: Option<&str>,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    crate::audit::append(
        conn,
        NewAuditEntry {
            entity_type: "user".to_owned(),
            entity_id: user_id.to_owned(),
            action: action.to_owned(),
            actor_id: actor_id.map(str::to_owned),
            payload,
        },
    )
    .await?;
    Ok(())
}

impl Users<'_> {
    /// The caller behind an access token, and whether its session (`family_id`, the refresh
    /// token family the access token was issued with) is still live, in one query. `None`
    /// when the user no longer exists.
    pub async fn session(
        &self,
        id: &str,
        family_id: &str,
    ) -> Result<Option<SessionCheck>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", (SELECT COUNT(*) FROM refresh_tokens t WHERE t.family_id = $2 \
             AND t.user_id = users.id AND t.revoked_at IS NULL) AS live_tokens \
             FROM users WHERE id = $1"
        ))
        .bind(id)
        .bind(family_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(SessionCheck {
                user: user_from_row(&row)?,
                session_live: col::<i64>(&row, "live_tokens")? > 0,
            })),
        }
    }

    /// Disables (or re-enables) an account. Disabling also revokes every refresh token of
    /// the user in the same transaction. A real change is appended to the audit log
    /// (`user.disabled` or `user.enabled`, `{from, to}` as booleans, by `actor_id`) in the
    /// same transaction. `NotFound` if there is no such user.
    pub async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        actor_id: Option<&str>,
    ) -> Result<User, StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let before = lock_user(&mut tx, id).await?;
        let row = sqlx::query(concat!(
            "UPDATE users SET disabled_at = CASE WHEN $1 = 1 THEN COALESCE(disabled_at, $2) \
             ELSE NULL END, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(i32::from(disabled))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        if disabled {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let user = user_from_row(&row)?;
        let was = before.disabled_at.is_some();
        if was != disabled {
            let action = if disabled {
                "user.disabled"
            } else {
                "user.enabled"
            };
            audit_change(
                &mut tx,
                &user.id,
                action,
                actor_id,
                json!({ "from": was, "to": disabled }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Deletes a user and, by cascade, everything they own. `NotFound` if there is none.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The user's TOTP secret and whether two-factor sign-in is on.
    pub async fn totp(&self, id: &str) -> Result<TotpState, StoreError> {
        let row = sqlx::query("SELECT totp_secret, totp_enabled_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(TotpState {
            secret: col(&row, "totp_secret")?,
            enabled: col::<Option<i64>>(&row, "totp_enabled_at")?.is_some(),
        })
    }

    /// Stores a new, not yet confirmed TOTP secret. `Conflict` when two-factor sign-in is
    /// already on (turn it off first).
    pub async fn set_pending_totp(&self, id: &str, secret: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_last_step = NULL, updated_at = $2 \
             WHERE id = $3 AND totp_enabled_at IS NULL",
        )
        .bind(secret)
        .bind(now_ms())
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.get(id).await?;
            return Err(StoreError::Conflict(
                "two-factor sign-in is already on".to_owned(),
            ));
        }
        Ok(())
    }

    /// Turns two-factor sign-in on: records the confirmed code's time step (so it cannot be
    /// used again) and replaces the recovery codes with `code_hashes`, in one transaction.
    /// `Conflict` when it is already on or no secret is pending.
    pub async fn enable_totp(
        &self,
        id: &str,
        step: i64,
        code_hashes: &[String],
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, updated_at = $1 \
             WHERE id = $3 AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL \
             AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(now)
        .bind(step)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "two-factor sign-in is already on, or setup was not started".to_owned(),
            ));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for hash in code_hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(new_id())
            .bind(id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Turns two-factor sign-in off and forgets the secret and the recovery codes.
    pub async fn disable_totp(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, \
             totp_last_step = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a TOTP time step as used. `false` when that step or a later one was already
    /// used, so a code is accepted at most once (atomic: two racing requests cannot both
    /// win).
    pub async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses a recovery code (by its hash). `false` when it is unknown or already used.
    pub async fn use_recovery_code(&self, id: &str, code_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .bind(code_hash)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many unused recovery codes the user has left.
    pub async fn recovery_codes_left(&self, id: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// Counts one two-factor code attempt at `now` (Unix ms) in a window of `window_ms`,
    /// atomically, and returns `Ok(())` while at most `max` attempts were made in the
    /// current window, else `Err(retry_at)` (Unix ms when the window ends).
    pub async fn count_totp_attempt_at(
        &self,
        id: &str,
        now: i64,
        window_ms: i64,
        max: i64,
    ) -> Result<Result<(), i64>, StoreError> {
        let row = sqlx::query(
            "UPDATE users SET \
             totp_attempts = CASE WHEN totp_window_start IS NULL OR totp_window_start <= $1 - $2 \
                 THEN 1 ELSE totp_attempts + 1 END, \
             totp_window_start = CASE WHEN totp_window_start IS NULL OR totp_window_start <= $1 - $2 \
                 THEN $1 ELSE totp_window_start END \
             WHERE id = $3 RETURNING totp_attempts, totp_window_start",
        )
        .bind(now)
        .bind(window_ms)
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let attempts: i64 = col(&row, "totp_attempts")?;
        let start: i64 = col(&row, "totp_window_start")?;
        if attempts > max {
            Ok(Err(start.saturating_add(window_ms)))
        } else {
            Ok(Ok(()))
        }
    }

    /// Forgets the attempts after a correct code.
    pub async fn reset_totp_attempts(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET totp_attempts = 0, totp_window_start = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: col(row, "id")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        role: parse_col("role", &col::<String>(row, "role")?)?,
        plan: parse_col("plan", &col::<String>(row, "plan")?)?,
        created_at: col(row, "created_at")?,
        disabled_at: col(row, "disabled_at")?,
        two_factor_enabled: col::<Option<i64>>(row, "totp_enabled_at")?.is_some(),
        reviewer: col_bool(row, "reviewer")?,
    })
}

/// Trimmed and lowercase; `Invalid` unless it looks like `local@domain`.
fn normalize_email(email: &str) -> Result<String, StoreError> {
    let email = email.trim().to_lowercase();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(email)
    } else {
        Err(StoreError::Invalid(format!(
            "{email:?} is not an email address"
        )))
    }
}

impl Users<'_> {
    /// Grants or withdraws the reviewer duty; `NotFound` if there is no such user. A real
    /// change is appended to the audit log (`user.reviewer_changed`, `{from, to}`, by
    /// `actor_id`) in the same transaction.
    pub async fn set_reviewer(
        &self,
        id: &str,
        reviewer: bool,
        actor_id: Option<&str>,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let before = lock_user(&mut tx, id).await?;
        let row = sqlx::query(concat!(
            "UPDATE users SET reviewer = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(int_bool(reviewer))
        .bind(now_ms())
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let user = user_from_row(&row)?;
        if before.reviewer != user.reviewer {
            audit_change(
                &mut tx,
                &user.id,
                "user.reviewer_changed",
                actor_id,
                json!({ "from": before.reviewer, "to": user.reviewer }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Accounts that may decide compliance events: reviewers and admins, not disabled.
    pub async fn reviewers(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE (reviewer = 1 OR role = 'admin') AND disabled_at IS NULL \
             ORDER BY created_at LIMIT 1000"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_user_debug_hides_the_hash() {
        let new = NewUser {
            email: "a@b.c".into(),
            password_hash: Some("$argon2id$secret".into()),
            display_name: "A".into(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        };
        assert!(!format!("{new:?}").contains("secret"));
    }
}
