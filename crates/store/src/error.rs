//! The store's error type and the mapping from database errors.

use sqlx::error::ErrorKind;

/// What can go wrong in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The write would break a uniqueness rule; the text says what conflicts
    /// (e.g. "email already registered").
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input is not acceptable (a missing referenced record, an empty title, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database failed or returned something unexpected.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        map_err(err, &[], "refers to a record that does not exist")
    }
}

/// Maps a sqlx error to a [`StoreError`].
///
/// `unique` lists `(column, message)`: a unique violation whose constraint name (PostgreSQL) or
/// message (SQLite: "UNIQUE constraint failed: users.email") mentions `column` becomes
/// `Conflict(message)`. `fk` is the message of a foreign-key violation.
pub(crate) fn map_err(err: sqlx::Error, unique: &[(&str, &str)], fk: &str) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => {
                let what = db.constraint().unwrap_or_else(|| db.message()).to_owned();
                let what_msg = format!("{what} {}", db.message());
                unique
                    .iter()
                    .find(|(column, _)| what_msg.contains(column))
                    .map(|(_, message)| StoreError::Conflict((*message).to_owned()))
                    .unwrap_or_else(|| StoreError::Conflict(format!("already exists ({what})")))
            }
            ErrorKind::ForeignKeyViolation => StoreError::Invalid(fk.to_owned()),
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                StoreError::Invalid(db.message().to_owned())
            }
            _ => StoreError::Database(db.message().to_owned()),
        },
        sqlx::Error::PoolTimedOut => {
            StoreError::Database("timed out waiting for a database connection".to_owned())
        }
        other => StoreError::Database(other.to_string()),
    }
}

/// Whether `err` is a unique (or primary key) violation.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation)
}

/// Whether `err` is a unique violation on a constraint that mentions `column`.
pub(crate) fn is_unique_on(err: &sqlx::Error, column: &str) -> bool {
    match err {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            db.constraint().is_some_and(|c| c.contains(column)) || db.message().contains(column)
        }
        _ => false,
    }
}

/// A value read back from the database that this build cannot interpret.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("unexpected {what} in the database: {detail}"))
}
