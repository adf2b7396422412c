//! Refresh tokens: stored by hash, rotated on use, revoked by family on reuse.

use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::map_err;
use crate::sql::col;
use crate::{Db, StoreError};

/// A stored refresh token (its hash is not returned).
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshToken {
    pub id: String,
    pub user_id: String,
    /// Every token rotated from one sign-in shares the family.
    pub family_id: String,
    /// Unix ms.
    pub expires_at: i64,
    /// Unix ms; set when rotated or revoked.
    pub revoked_at: Option<i64>,
    /// The id of the token that replaced this one on rotation.
    pub replaced_by: Option<String>,
}

/// The refresh-token repository (from [`Db::tokens`]).
///
/// Hashing is the caller's job: the store receives and compares the SHA-256 hex of a token,
/// never the token. Expiry is the caller's job too: `find` and `rotate` return expired tokens
/// as they are, with `expires_at`.
#[derive(Debug, Clone, Copy)]
pub struct RefreshTokens<'a> {
    pub(crate) db: &'a Db,
}

macro_rules! token_columns {
    () => {
        "id, user_id, family_id, expires_at, revoked_at, replaced_by"
    };
}

const UNIQUE: &[(&str, &str)] = &[("token_hash", "token hash already exists")];

impl RefreshTokens<'_> {
    /// Stores a new token of `family_id` for `user_id`. `Invalid` if the user does not exist;
    /// `Conflict` if the hash is already stored.
    pub async fn create(
        &self,
        user_id: &str,
        family_id: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<RefreshToken, StoreError> {
        let token = RefreshToken {
            id: new_id(),
            user_id: user_id.to_owned(),
            family_id: family_id.to_owned(),
            expires_at,
            revoked_at: None,
            replaced_by: None,
        };
        sqlx::query(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(user_id)
        .bind(family_id)
        .bind(token_hash)
        .bind(expires_at)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await
        .map_err(|e| map_err(e, UNIQUE, "user does not exist"))?;
        Ok(token)
    }

    /// The token with this hash, revoked or not.
    pub async fn find(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Replaces token `old_id` by a new one of the same user and family, in one
    /// transaction: the old one gets `revoked_at = now` and `replaced_by = <new id>`.
    ///
    /// `Conflict` when the old token is already revoked: it was rotated (or revoked) before,
    /// so this is a reuse, and the caller should revoke the family. Of two concurrent
    /// rotations of one token exactly one succeeds. `NotFound` if there is no such token.
    pub async fn rotate(
        &self,
        old_id: &str,
        new_hash: &str,
        expires_at: i64,
    ) -> Result<RefreshToken, StoreError> {
        let new_id = new_id();
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        // Revoke first, guarded by `revoked_at IS NULL`: the write lock (SQLite) or row lock
        // (PostgreSQL) makes a concurrent rotation of the same token wait, then match no row.
        let claimed = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1, replaced_by = $2 \
             WHERE id = $3 AND revoked_at IS NULL RETURNING user_id, family_id",
        )
        .bind(now)
        .bind(&new_id)
        .bind(old_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else {
            let exists = sqlx::query("SELECT id FROM refresh_tokens WHERE id = $1")
                .bind(old_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict("refresh token already used or revoked".to_owned())
            } else {
                StoreError::NotFound
            });
        };
        let token = RefreshToken {
            id: new_id,
            user_id: col(&claimed, "user_id")?,
            family_id: col(&claimed, "family_id")?,
            expires_at,
            revoked_at: None,
            replaced_by: None,
        };
        sqlx::query(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(&token.user_id)
        .bind(&token.family_id)
        .bind(new_hash)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err(e, UNIQUE, "user does not exist"))?;
        tx.commit().await?;
        Ok(token)
    }

    /// Revokes every unrevoked token of a family; returns how many.
    pub async fn revoke_family(&self, family_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 \
             WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(family_id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Revokes every unrevoked token of a user (sign out everywhere); returns how many.
    pub async fn revoke_all(&self, user_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 \
             WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(user_id)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

fn token_from_row(row: &AnyRow) -> Result<RefreshToken, StoreError> {
    Ok(RefreshToken {
        id: col(row, "id")?,
        user_id: col(row, "user_id")?,
        family_id: col(row, "family_id")?,
        expires_at: col(row, "expires_at")?,
        revoked_at: col(row, "revoked_at")?,
        replaced_by: col(row, "replaced_by")?,
    })
}
