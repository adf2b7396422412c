//! Small helpers for building and running SQL through the `Any` driver.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row};

use crate::StoreError;
use crate::error::corrupt;

/// A bound value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A query whose text is assembled at run time (filters, partial updates).
///
/// Only SQL written in this crate and `$n` placeholders are ever appended to `text`; every
/// value travels as a bound argument, which is why handing the text to sqlx as
/// [`AssertSqlSafe`] is sound.
#[derive(Debug, Default, Clone)]
pub(crate) struct DynSql {
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
}

impl DynSql {
    pub(crate) fn new(text: &str) -> Self {
        DynSql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text (never a value).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Binds a value and appends its placeholder.
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let n = self.args.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    pub(crate) fn bind_text(&mut self, s: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(s.into()))
    }

    pub(crate) fn bind_int(&mut self, i: i64) -> &mut Self {
        self.bind(Arg::Int(i))
    }

    /// The sqlx query with every argument bound.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }

    /// The scalar query with every argument bound.
    pub(crate) fn query_scalar<O>(&self) -> sqlx::query::QueryScalar<'_, Any, O, AnyArguments>
    where
        O: Send + Unpin,
        (O,): for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_scalar(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// Reads a column, turning a decode failure into [`StoreError::Database`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(name)
        .map_err(|e| corrupt(&format!("value in column {name}"), e))
}

/// Reads an INTEGER 0/1 column as a bool (the `Any` driver cannot decode SQL booleans).
pub(crate) fn col_bool(row: &AnyRow, name: &str) -> Result<bool, StoreError> {
    match col::<i64>(row, name)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(corrupt(&format!("boolean in column {name}"), other)),
    }
}

/// Reads a TEXT column holding JSON.
pub(crate) fn col_json(row: &AnyRow, name: &str) -> Result<serde_json::Value, StoreError> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| corrupt(&format!("JSON in column {name}"), e))
}

/// A bool as stored: INTEGER 0/1.
pub(crate) fn int_bool(b: bool) -> i32 {
    i32::from(b)
}
