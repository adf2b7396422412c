//! Account security around email: one-time tokens behind verification and password-reset
//! links (only their hash is stored; each is used once, before it expires; a new one of
//! the same purpose ends the older ones), the addresses users proved they read, the
//! password change a reset makes (every session ended in the same transaction), and the
//! devices users signed in from.

use crate::clock::now_ms;
use crate::{Db, StoreError};

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// The account repository (from [`Db::account`]).
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub(crate) db: &'a Db,
}

impl Account<'_> {
    /// Stores a new token (by its hash) for `user_id`, valid for `ttl_ms`; the user's older
    /// unused tokens of the same purpose stop working.
    pub async fn issue(
        &self,
        user_id: &str,
        purpose: TokenPurpose,
        token_hash: &str,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE account_tokens SET used_at = $1 \
             WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(now.saturating_add(ttl_ms))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// When the user's newest token of `purpose` was issued (to space out emails).
    pub async fn last_issued(
        &self,
        user_id: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(created_at) FROM account_tokens WHERE user_id = $1 AND purpose = $2",
        )
        .bind(user_id)
        .bind(purpose.as_str())
        .fetch_one(&self.db.pool)
        .await?)
    }

    /// Uses a token: the user it was for, if it is genuine, unused and not expired (then it
    /// can never be used again).
    pub async fn consume(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        Ok(sqlx::query_scalar(
            "UPDATE account_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose.as_str())
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// The user a reset token is for, if it is still usable (without using it).
    pub async fn peek_reset(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 \
             AND used_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(TokenPurpose::ResetPassword.as_str())
        .bind(now_ms())
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// Records that the user reads `email`.
    pub async fn mark_verified(&self, user_id: &str, email: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO verified_emails (user_id, email, verified_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET email = $2, verified_at = $3",
        )
        .bind(user_id)
        .bind(email)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Whether the user proved they read `email`.
    pub async fn is_verified(&self, user_id: &str, email: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT email FROM verified_emails WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(found.as_deref() == Some(email))
    }

    /// Sets a new password hash and ends every session of the user, together.
    pub async fn reset_password(
        &self,
        user_id: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let changed =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a sign-in from `device` (a hash); `true` when the user had signed in before
    /// but never from it.
    pub async fn sign_in_from(&self, user_id: &str, device: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        // The write comes first: on SQLite it takes the write lock at once (a read first
        // would have to upgrade its lock later, which fails under a concurrent writer).
        sqlx::query(
            "INSERT INTO user_devices (user_id, device, first_seen, last_seen) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, device) DO UPDATE SET last_seen = $3",
        )
        .bind(user_id)
        .bind(device)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let first_seen: i64 = sqlx::query_scalar(
            "SELECT first_seen FROM user_devices WHERE user_id = $1 AND device = $2",
        )
        .bind(user_id)
        .bind(device)
        .fetch_one(&mut *tx)
        .await?;
        let older: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_devices WHERE user_id = $1 AND first_seen < $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        // New now, and some other device was seen before.
        Ok(first_seen == now && older > 0)
    }
}
