//! Restoring a backup into an empty database.

use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Connection};

use super::catalog::{self, BOOKKEEPING, ColumnKind, Table};
use super::dump::{digest_table, open_snapshot, quote, select_all};
use super::rows::{Cell, from_json, read_row};
use super::{Manifest, SNAPSHOT, TABLES_DIR, read_manifest};
use crate::StoreError;
use crate::db::{Backend, Db};
use crate::migrate::MIGRATIONS;

/// How to restore.
#[derive(Clone, Copy, Debug, Default)]
pub struct RestoreOptions {
    /// Drop every table of a database that is not empty first (otherwise it is refused).
    pub force: bool,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub backup_id: String,
    pub tables: usize,
    pub rows: u64,
    /// The backup's schema version, which every table's hash was checked at.
    pub schema_version: i64,
    /// Migrations run after the load because the backup predates them.
    pub migrated: Vec<String>,
    /// Tables dropped first (with [`RestoreOptions::force`]).
    pub dropped: Vec<String>,
}

/// Rows per INSERT at most, and the parameters and bytes a batch may hold.
const BATCH_ROWS: usize = 500;
const BATCH_PARAMS: usize = 30_000;
const BATCH_BYTES: usize = 8 << 20;

impl Db {
    /// Restores the backup in `dir` (its files checked first with
    /// [`check_files`](super::check_files) by the caller) into this database, which must be
    /// empty unless `options.force`. See the [module](crate::backup).
    pub async fn restore_from_dir(
        &self,
        dir: &Path,
        options: RestoreOptions,
    ) -> Result<RestoreReport, StoreError> {
        let manifest = read_manifest(dir)?;
        let prefix = migrations_prefix(&manifest)?;
        let dropped = self.make_empty(options.force).await?;
        self.migrate_with(&MIGRATIONS[..prefix]).await?;

        let mut conn = self.pool.acquire().await?;
        let tables = catalog::tables(&mut conn, self.backend()).await?;
        check_schema(&manifest, &tables)?;
        let mut source = match manifest.engine.as_str() {
            "sqlite" => Source::Snapshot(open_snapshot(&dir.join(SNAPSHOT)).await?),
            "postgres" => Source::Files(dir.join(TABLES_DIR)),
            other => {
                return Err(StoreError::Invalid(format!(
                    "the manifest's engine is {other:?}; expected sqlite or postgres"
                )));
            }
        };
        let mut tx = conn.begin().await?;
        if self.backend() == Backend::Sqlite {
            // BACKEND-SPECIFIC: foreign keys checked at commit, so a table that references
            // itself loads in any order.
            sqlx::raw_sql("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
        }
        // The migrations seed some rows (plans, the audit head); the backup has its own.
        for table in tables.iter().rev() {
            sqlx::raw_sql(AssertSqlSafe(format!("DELETE FROM {}", quote(&table.name))))
                .execute(&mut *tx)
                .await?;
        }
        for table in &tables {
            source.load(&mut tx, table).await?;
        }
        for (table, expected) in tables.iter().zip(&manifest.tables) {
            let found = digest_table(&mut tx, table).await?;
            let expected = expected.digest();
            if found != expected {
                return Err(StoreError::Invalid(format!(
                    "table {}: restored {} rows with hash {}, the manifest says {} rows with \
                     hash {}; nothing was written",
                    table.name, found.rows, found.hash, expected.rows, expected.hash
                )));
            }
        }
        tx.commit().await?;
        source.close().await;
        drop(conn);
        let migrated = self.migrate().await?;
        Ok(RestoreReport {
            backup_id: manifest.id.clone(),
            tables: manifest.tables.len(),
            rows: manifest.total_rows(),
            schema_version: manifest.schema_version,
            migrated,
            dropped,
        })
    }

    /// Refuses a database with tables, or drops them all with `force`.
    async fn make_empty(&self, force: bool) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let names = catalog::table_names(&mut conn, self.backend()).await?;
        if names.is_empty() {
            return Ok(names);
        }
        if !force {
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            return Err(StoreError::Conflict(format!(
                "{} already has {} tables ({}{}); a restore writes only into an empty \
                 database (pass --force to drop them first)",
                self.redacted_url(),
                names.len(),
                shown.join(", "),
                if names.len() > 5 { ", …" } else { "" }
            )));
        }
        // Children first, so SQLite's foreign keys never see a parent go before its children.
        let mut order: Vec<String> = match catalog::tables(&mut conn, self.backend()).await {
            Ok(tables) => tables.into_iter().rev().map(|t| t.name).collect(),
            Err(_) => names
                .iter()
                .filter(|n| *n != BOOKKEEPING)
                .cloned()
                .collect(),
        };
        if names.iter().any(|n| n == BOOKKEEPING) {
            order.push(BOOKKEEPING.to_owned());
        }
        let cascade = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " CASCADE",
        };
        for name in &order {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP TABLE IF EXISTS {}{cascade}",
                quote(name)
            )))
            .execute(&mut *conn)
            .await?;
        }
        Ok(order)
    }
}

/// How many of this build's migrations the backup's schema is: the backup's migrations must
/// be this build's first ones, unchanged.
fn migrations_prefix(manifest: &Manifest) -> Result<usize, StoreError> {
    if manifest.migrations.len() > MIGRATIONS.len() {
        let newest = manifest.migrations.last().map_or("", |m| m.name.as_str());
        return Err(StoreError::Invalid(format!(
            "the backup is at schema version {} ({newest}), newer than this build's {}; \
             restore it with a newer build",
            manifest.schema_version,
            MIGRATIONS.len()
        )));
    }
    for (theirs, ours) in manifest.migrations.iter().zip(MIGRATIONS) {
        if theirs.version != ours.version || theirs.checksum != ours.checksum() {
            return Err(StoreError::Invalid(format!(
                "the backup's migration {} ({}) is not this build's {} ({}); it comes from \
                 another line of development",
                theirs.version, theirs.name, ours.version, ours.name
            )));
        }
    }
    Ok(manifest.migrations.len())
}

/// The migrated empty database must have exactly the backup's tables and columns.
fn check_schema(manifest: &Manifest, tables: &[Table]) -> Result<(), StoreError> {
    let ours: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let theirs: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    if ours != theirs {
        return Err(StoreError::Invalid(format!(
            "the backup's tables ({}) are not the schema's at version {} ({})",
            theirs.join(", "),
            manifest.schema_version,
            ours.join(", ")
        )));
    }
    for (table, theirs) in tables.iter().zip(&manifest.tables) {
        if table.columns != theirs.columns {
            return Err(StoreError::Invalid(format!(
                "table {}: the backup's columns differ from the schema's at version {}",
                table.name, manifest.schema_version
            )));
        }
    }
    Ok(())
}

/// Where a backup's rows are read from.
enum Source {
    /// A SQLite snapshot, read with SQL.
    Snapshot(AnyConnection),
    /// A directory of `<table>.jsonl.gz`.
    Files(std::path::PathBuf),
}

impl Source {
    async fn load(&mut self, conn: &mut AnyConnection, table: &Table) -> Result<(), StoreError> {
        let mut batch = Batch::new(table);
        match self {
            Source::Snapshot(snapshot) => {
                let sql = select_all(table);
                let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *snapshot);
                while let Some(row) = rows.try_next().await? {
                    if batch.push(read_row(&row, &table.name, &table.columns)?) {
                        batch.flush(conn).await?;
                    }
                }
            }
            Source::Files(dir) => {
                let path = dir.join(format!("{}.jsonl.gz", table.name));
                let file = std::fs::File::open(&path)
                    .map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
                let reader = BufReader::new(GzDecoder::new(file));
                for (i, line) in reader.lines().enumerate() {
                    let line =
                        line.map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
                    if batch.push(from_json(&line, &table.name, i + 1, &table.columns)?) {
                        batch.flush(conn).await?;
                    }
                }
            }
        }
        batch.flush(conn).await
    }

    async fn close(self) {
        if let Source::Snapshot(conn) = self {
            conn.close().await.ok();
        }
    }
}

/// Rows waiting for one multi-row INSERT.
struct Batch<'t> {
    table: &'t Table,
    rows: Vec<Vec<Cell>>,
    bytes: usize,
    max_rows: usize,
}

impl<'t> Batch<'t> {
    fn new(table: &'t Table) -> Batch<'t> {
        let max_rows = (BATCH_PARAMS / table.columns.len().max(1)).clamp(1, BATCH_ROWS);
        Batch {
            table,
            rows: Vec::new(),
            bytes: 0,
            max_rows,
        }
    }

    /// Adds a row; `true` when the batch is full.
    fn push(&mut self, row: Vec<Cell>) -> bool {
        self.bytes += row.iter().map(Cell::weight).sum::<usize>();
        self.rows.push(row);
        self.rows.len() >= self.max_rows || self.bytes >= BATCH_BYTES
    }

    async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let columns = &self.table.columns;
        let names: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        let mut values = Vec::with_capacity(self.rows.len());
        let mut n = 0;
        for _ in &self.rows {
            let slots: Vec<String> = (0..columns.len())
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            values.push(format!("({})", slots.join(", ")));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quote(&self.table.name),
            names.join(", "),
            values.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in self.rows.drain(..) {
            for (cell, column) in row.into_iter().zip(columns) {
                query = bind(query, cell, column.kind);
            }
        }
        query.execute(&mut *conn).await.map_err(|e| {
            StoreError::Database(format!("restoring table {}: {e}", self.table.name))
        })?;
        self.bytes = 0;
        Ok(())
    }
}

/// Binds a value, a NULL with its column's type (PostgreSQL will not put a NULL bigint in a
/// text column).
fn bind(
    query: Query<'_, Any, AnyArguments>,
    cell: Cell,
    kind: ColumnKind,
) -> Query<'_, Any, AnyArguments> {
    match (cell, kind) {
        (Cell::Int(v), _) => query.bind(v),
        (Cell::Text(v), _) => query.bind(v),
        (Cell::Bytes(v), _) => query.bind(v),
        (Cell::Null, ColumnKind::Int) => query.bind(None::<i64>),
        (Cell::Null, ColumnKind::Text) => query.bind(None::<String>),
        (Cell::Null, ColumnKind::Bytes) => query.bind(None::<Vec<u8>>),
    }
}
