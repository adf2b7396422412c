//! What a database holds, read from its own catalogue: the tables, their columns (as the three
//! kinds the portable schema uses) and the foreign keys between them, parents first.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::db::Backend;
use crate::error::corrupt;

/// The migrations' own bookkeeping: recorded as the manifest's schema version, never copied
/// as data (a restore rebuilds it by migrating).
pub(crate) const BOOKKEEPING: &str = "schema_migrations";

/// The kind of a column's values. The portable schema has only these (see migration 0001):
/// `BIGINT`/`INTEGER`, `TEXT` and `BYTEA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Int,
    Text,
    Bytes,
}

/// A column: its name and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

/// A table with its columns in declaration order, and the tables its foreign keys point to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub parents: Vec<String>,
}

/// Every table of the database but the bookkeeping, ordered so that a table comes after the
/// tables it references (a load in this order never breaks a foreign key; a delete goes in
/// the reverse order).
pub(crate) async fn tables(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<Table>, StoreError> {
    let names = table_names(conn, backend).await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        if name == BOOKKEEPING {
            continue;
        }
        let columns = columns(conn, backend, &name).await?;
        let parents = parents(conn, backend, &name).await?;
        tables.push(Table {
            name,
            columns,
            parents,
        });
    }
    order_by_dependency(tables)
}

/// The names of every base table (bookkeeping included), sorted.
pub(crate) async fn table_names(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<String>, StoreError> {
    // BACKEND-SPECIFIC: each database lists its tables in its own catalogue.
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             ORDER BY table_name"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>(0)
                .map_err(|e| corrupt("table name", e))
        })
        .collect()
}

async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<Column>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *conn).await?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in &rows {
        let name: String = row.try_get(0).map_err(|e| corrupt("column name", e))?;
        let declared: String = row.try_get(1).map_err(|e| corrupt("column type", e))?;
        let kind = column_kind(&declared).ok_or_else(|| {
            StoreError::Invalid(format!(
                "column {table}.{name} has type {declared:?}, which backups do not know \
                 (the portable schema uses BIGINT, INTEGER, TEXT and BYTEA)"
            ))
        })?;
        columns.push(Column { name, kind });
    }
    Ok(columns)
}

/// The kind of a declared type (SQLite's declaration or PostgreSQL's `data_type`).
fn column_kind(declared: &str) -> Option<ColumnKind> {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Some(ColumnKind::Int)
    } else if t.contains("text") || t.contains("char") {
        Some(ColumnKind::Text)
    } else if t.contains("bytea") || t.contains("blob") {
        Some(ColumnKind::Bytes)
    } else {
        None
    }
}

async fn parents(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)",
        Backend::Postgres => {
            "SELECT DISTINCT ccu.table_name::text \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = tc.constraint_name \
              AND ccu.constraint_schema = tc.constraint_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' \
               AND tc.table_schema = current_schema() AND tc.table_name = $1"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *conn).await?;
    let mut parents: Vec<String> = rows
        .iter()
        .map(|r| {
            r.try_get::<String, _>(0)
                .map_err(|e| corrupt("foreign key", e))
        })
        .collect::<Result<_, _>>()?;
    parents.sort();
    parents.dedup();
    Ok(parents)
}

/// Parents before children (a table referencing itself is its own business: its rows are
/// loaded with the foreign keys checked at commit on SQLite, and must be on PostgreSQL in
/// the order they were read). Ties keep name order, so the order is stable.
fn order_by_dependency(tables: Vec<Table>) -> Result<Vec<Table>, StoreError> {
    let mut by_name: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(by_name.len());
    while !by_name.is_empty() {
        let ready: Vec<String> = by_name
            .values()
            .filter(|t| {
                t.parents
                    .iter()
                    .all(|p| p == &t.name || done.contains(p) || p == BOOKKEEPING)
            })
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = by_name.keys().map(String::as_str).collect();
            return Err(StoreError::Invalid(format!(
                "the foreign keys between these tables form a cycle: {}",
                stuck.join(", ")
            )));
        }
        for name in ready {
            if let Some(table) = by_name.remove(&name) {
                done.insert(name);
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![],
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn parents_come_first_and_cycles_are_named() {
        let ordered = order_by_dependency(vec![
            table("versions", &["strategies", "users"]),
            table("strategies", &["users"]),
            table("users", &[]),
            table("tree", &["tree"]),
        ])
        .unwrap();
        let names: Vec<&str> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tree", "users", "strategies", "versions"]);
        let err = order_by_dependency(vec![table("a", &["b"]), table("b", &["a"])]).unwrap_err();
        assert!(err.to_string().contains("a, b"), "{err}");
    }

    #[test]
    fn declared_types_map_to_the_portable_kinds() {
        assert_eq!(column_kind("BIGINT"), Some(ColumnKind::Int));
        assert_eq!(column_kind("integer"), Some(ColumnKind::Int));
        assert_eq!(column_kind("TEXT"), Some(ColumnKind::Text));
        assert_eq!(column_kind("character varying"), Some(ColumnKind::Text));
        assert_eq!(column_kind("BYTEA"), Some(ColumnKind::Bytes));
        assert_eq!(column_kind("bytea"), Some(ColumnKind::Bytes));
        assert_eq!(column_kind("double precision"), None);
    }
}
