//! Taking a backup: a consistent read of every table into a directory, then its manifest.

use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

use super::catalog::{self, BOOKKEEPING, Table};
use super::rows::{Digester, TableDigest, read_row, to_json};
use super::{
    FORMAT, FileEntry, MANIFEST, Manifest, MigrationRef, SNAPSHOT, TABLES_DIR, TableManifest,
    file_digest,
};
use crate::StoreError;
use crate::clock::now_ms;
use crate::db::{Backend, Db};
use crate::error::corrupt;

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("{}: {e}", path.display()))
}

impl Db {
    /// Backs the database up into `dir` (created if missing; it must be empty) as backup
    /// `id`, while the database keeps taking writes, and returns the manifest written last.
    /// See the [module](crate::backup) for what is written.
    pub async fn backup_to_dir(&self, dir: &Path, id: &str) -> Result<Manifest, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let not_empty = std::fs::read_dir(dir)
            .map_err(|e| io_error(dir, e))?
            .next()
            .is_some();
        if not_empty {
            return Err(StoreError::Invalid(format!(
                "{} is not empty; a backup goes into a new directory",
                dir.display()
            )));
        }
        let started_at = now_ms();
        let (engine_version, migrations, tables) = match self.backend() {
            Backend::Sqlite => self.snapshot_sqlite(dir).await?,
            Backend::Postgres => self.export_postgres(dir).await?,
        };
        let mut files = Vec::new();
        let mut paths: Vec<String> = match self.backend() {
            Backend::Sqlite => vec![SNAPSHOT.to_owned()],
            Backend::Postgres => tables
                .iter()
                .map(|(t, _)| format!("{TABLES_DIR}/{}.jsonl.gz", t.name))
                .collect(),
        };
        paths.sort();
        for path in paths {
            let (bytes, sha256) = file_digest(&dir.join(&path))?;
            files.push(FileEntry {
                path,
                bytes,
                sha256,
            });
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            id: id.to_owned(),
            engine: match self.backend() {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
            .to_owned(),
            engine_version,
            schema_version: migrations.last().map_or(0, |m| m.version),
            migrations,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            source: self.redacted_url().to_owned(),
            started_at,
            finished_at: now_ms(),
            tables: tables
                .into_iter()
                .map(|(table, digest)| TableManifest {
                    name: table.name,
                    columns: table.columns,
                    rows: digest.rows,
                    hash: digest.hash,
                })
                .collect(),
            files,
        };
        write_manifest(dir, &manifest)?;
        Ok(manifest)
    }

    /// `VACUUM INTO` the snapshot, then read the snapshot (a still file) for the manifest.
    async fn snapshot_sqlite(
        &self,
        dir: &Path,
    ) -> Result<(String, Vec<MigrationRef>, Vec<(Table, TableDigest)>), StoreError> {
        let path = dir.join(SNAPSHOT);
        let path_text = path.to_str().ok_or_else(|| {
            StoreError::Invalid(format!("{} is not a UTF-8 path", path.display()))
        })?;
        // BACKEND-SPECIFIC: SQLite's online snapshot. It reads the source in one read
        // transaction (writers in WAL mode go on) and writes a compact, consistent file.
        sqlx::query("VACUUM INTO $1")
            .bind(path_text)
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Database(format!("VACUUM INTO {}: {e}", path.display())))?;
        let mut snapshot = open_snapshot(&path).await?;
        let result = read_tables(&mut snapshot, Backend::Sqlite, None).await;
        snapshot.close().await.ok();
        result
    }

    /// Every table inside one repeatable-read transaction, each into its own file.
    async fn export_postgres(
        &self,
        dir: &Path,
    ) -> Result<(String, Vec<MigrationRef>, Vec<(Table, TableDigest)>), StoreError> {
        let tables_dir = dir.join(TABLES_DIR);
        std::fs::create_dir_all(&tables_dir).map_err(|e| io_error(&tables_dir, e))?;
        let mut conn = self.pool.acquire().await?;
        // BACKEND-SPECIFIC: one snapshot for every table, as pg_dump takes it.
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
        let result = read_tables(&mut conn, Backend::Postgres, Some(&tables_dir)).await;
        // Read-only: ending it either way changes nothing.
        sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.ok();
        result
    }
}

/// Opens a snapshot file read-only, on a connection of its own.
pub(crate) async fn open_snapshot(path: &Path) -> Result<AnyConnection, StoreError> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    AnyConnection::connect(&url)
        .await
        .map_err(|e| StoreError::Invalid(format!("opening {}: {e}", path.display())))
}

/// The engine's version, the migrations and every table's digest, read on `conn`; with
/// `out`, each table is also written to `out/<table>.jsonl.gz`.
async fn read_tables(
    conn: &mut AnyConnection,
    backend: Backend,
    out: Option<&Path>,
) -> Result<(String, Vec<MigrationRef>, Vec<(Table, TableDigest)>), StoreError> {
    let version_sql = match backend {
        Backend::Sqlite => "SELECT sqlite_version()",
        Backend::Postgres => "SELECT current_setting('server_version')",
    };
    let version: String = sqlx::query_scalar(version_sql)
        .fetch_one(&mut *conn)
        .await?;
    let engine_version = match backend {
        Backend::Sqlite => format!("SQLite {version}"),
        Backend::Postgres => format!("PostgreSQL {version}"),
    };
    let migrations = applied_migrations(conn).await?;
    let tables = catalog::tables(conn, backend).await?;
    let mut digests = Vec::with_capacity(tables.len());
    for table in tables {
        let digest = match out {
            Some(dir) => {
                write_table(conn, &table, &dir.join(format!("{}.jsonl.gz", table.name))).await?
            }
            None => digest_table(conn, &table).await?,
        };
        digests.push((table, digest));
    }
    Ok((engine_version, migrations, digests))
}

pub(crate) async fn applied_migrations(
    conn: &mut AnyConnection,
) -> Result<Vec<MigrationRef>, StoreError> {
    // Identifiers from the catalogue, quoted: no user input reaches these statements.
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT version, name, checksum FROM {BOOKKEEPING} ORDER BY version"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MigrationRef {
                version: r.try_get("version").map_err(|e| corrupt("version", e))?,
                name: r.try_get("name").map_err(|e| corrupt("name", e))?,
                checksum: r.try_get("checksum").map_err(|e| corrupt("checksum", e))?,
            })
        })
        .collect()
}

/// `SELECT "a", "b" FROM "t"`.
pub(crate) fn select_all(table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    format!("SELECT {} FROM {}", columns.join(", "), quote(&table.name))
}

/// A double-quoted identifier (names come from the catalogue; quotes are doubled anyway).
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table's digest, streamed.
pub(crate) async fn digest_table(
    conn: &mut AnyConnection,
    table: &Table,
) -> Result<TableDigest, StoreError> {
    let sql = select_all(table);
    let mut digester = Digester::new(&table.name, &table.columns);
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        digester.add(&read_row(&row, &table.name, &table.columns)?);
    }
    Ok(digester.finish())
}

async fn write_table(
    conn: &mut AnyConnection,
    table: &Table,
    path: &Path,
) -> Result<TableDigest, StoreError> {
    let file = std::fs::File::create(path).map_err(|e| io_error(path, e))?;
    let mut out = GzEncoder::new(BufWriter::new(file), Compression::fast());
    let sql = select_all(table);
    let mut digester = Digester::new(&table.name, &table.columns);
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let cells = read_row(&row, &table.name, &table.columns)?;
        serde_json::to_writer(&mut out, &to_json(&cells))
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
        out.write_all(b"\n").map_err(|e| io_error(path, e))?;
        digester.add(&cells);
    }
    let file = out
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(|e| io_error(path, e))?;
    file.sync_all().map_err(|e| io_error(path, e))?;
    Ok(digester.finish())
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), StoreError> {
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| StoreError::Invalid(format!("manifest: {e}")))?;
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
    Ok(())
}
