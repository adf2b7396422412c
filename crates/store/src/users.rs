//! Users.

use serde::Serialize;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::model::parse_col;
use crate::sql::col;
use crate::{Db, PlanTier, Role, StoreError};

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
        "id, email, display_name, role, plan, created_at"
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

    /// Changes a user's role; `NotFound` if there is no such user.
    pub async fn set_role(&self, id: &str, role: Role) -> Result<User, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(role.as_str())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    /// Changes a user's plan; `NotFound` if there is no such user.
    pub async fn set_plan(&self, id: &str, plan: PlanTier) -> Result<User, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE users SET plan = $1, updated_at = $2 WHERE id = $3 RETURNING ",
            user_columns!()
        ))
        .bind(plan.as_str())
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
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
