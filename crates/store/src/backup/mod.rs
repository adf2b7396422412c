//! Backups: a consistent copy of every table with a manifest that proves it, and a restore
//! that checks the manifest before it commits.
//!
//! [`Db::backup_to_dir`] writes, into an empty directory:
//! - SQLite: `db.sqlite`, an online snapshot taken with `VACUUM INTO` (one read transaction:
//!   writers keep committing, the copy is consistent; never a copy of the live file);
//! - PostgreSQL: `tables/<table>.jsonl.gz`, every table read inside one
//!   `REPEATABLE READ, READ ONLY` transaction (one snapshot, readers and writers unblocked),
//!   a row per line as a JSON array in column order (bytes in base64);
//! - `manifest.json` last: the schema version and the migrations applied (with their
//!   checksums), each table's columns, row count and content hash (see [`rows`]), each file's
//!   size and SHA-256, the engine and its version, the tool's version and the times.
//!
//! [`Db::restore_from_dir`] restores into an empty database of either engine (a SQLite backup
//! can be restored into PostgreSQL and back): it migrates the empty database to the backup's
//! schema version, loads every table in one transaction (parents first), recomputes every
//! table's row count and hash inside that transaction and commits only if all match the
//! manifest, then runs the migrations the backup predates.

mod catalog;
mod dump;
mod load;
mod rows;
mod runs;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use catalog::{Column, ColumnKind};
pub use dump::quote;
pub use load::{RestoreOptions, RestoreReport};
pub use rows::TableDigest;
pub use runs::{BackupDetail, BackupRun, NewBackupRun, OPERATIONS_KIND};

use crate::StoreError;

/// The manifest's format tag.
pub const FORMAT: &str = "blockbuilders-backup/1";
/// The manifest's file name, written last: a backup without it is incomplete.
pub const MANIFEST: &str = "manifest.json";
/// A SQLite backup's snapshot.
pub const SNAPSHOT: &str = "db.sqlite";
/// Where a PostgreSQL backup's tables go.
pub const TABLES_DIR: &str = "tables";

/// What a backup holds and how to check it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The backup's name (sortable by time), e.g. `20261207T081500Z-3f9a1c`.
    pub id: String,
    /// `sqlite` or `postgres`: how the data is stored in the backup.
    pub engine: String,
    /// The database's own version (`sqlite_version()`, `server_version`).
    pub engine_version: String,
    /// The last migration applied to the source.
    pub schema_version: i64,
    /// Every migration applied to the source, in order.
    pub migrations: Vec<MigrationRef>,
    /// This program's version.
    pub tool_version: String,
    /// The source database's URL, password hidden.
    pub source: String,
    /// Epoch milliseconds: when the backup started and when its last file was written.
    pub started_at: i64,
    pub finished_at: i64,
    /// Every table but the migrations' bookkeeping, in load order.
    pub tables: Vec<TableManifest>,
    /// Every file of the backup but the manifest.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Rows over all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Bytes over all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// A migration as the source recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRef {
    pub version: i64,
    pub name: String,
    pub checksum: String,
}

/// One table: its columns in order, its row count and content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: u64,
    pub hash: String,
}

impl TableManifest {
    fn digest(&self) -> TableDigest {
        TableDigest {
            name: self.name.clone(),
            rows: self.rows,
            hash: self.hash.clone(),
        }
    }
}

/// One file of a backup, relative to its directory (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Reads and checks `manifest.json` in `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, StoreError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        StoreError::Invalid(format!(
            "{}: {e} (a backup without a manifest is incomplete)",
            path.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        StoreError::Invalid(format!("{}: not a backup manifest: {e}", path.display()))
    })?;
    if manifest.format != FORMAT {
        return Err(StoreError::Invalid(format!(
            "{}: format {:?}, this build reads {FORMAT:?}",
            path.display(),
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Checks every file the manifest lists against its size and SHA-256; the error names the
/// first file that differs.
pub fn check_files(dir: &Path, manifest: &Manifest) -> Result<(), StoreError> {
    for file in &manifest.files {
        let path = dir.join(&file.path);
        let (bytes, sha256) = file_digest(&path)?;
        if bytes != file.bytes || sha256 != file.sha256 {
            return Err(StoreError::Invalid(format!(
                "{} is {bytes} bytes with SHA-256 {sha256}; the manifest says {} bytes with \
                 SHA-256 {}: the backup is damaged",
                file.path, file.bytes, file.sha256
            )));
        }
    }
    Ok(())
}

/// A file's size and SHA-256 (lower-case hex), read in blocks.
pub fn file_digest(path: &Path) -> Result<(u64, String), StoreError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new backup id: the UTC time to the second and a random suffix, so ids sort by time.
pub fn new_backup_id(now_ms: i64) -> String {
    let secs = now_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z-{}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        &suffix[suffix.len() - 6..]
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl crate::Db {
    /// The rows of one table (a table of the catalogue; anything else is `Invalid`).
    pub async fn count_rows(&self, table: &str) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let names = catalog::table_names(&mut conn, self.backend()).await?;
        if !names.iter().any(|n| n == table) {
            return Err(StoreError::Invalid(format!("there is no table {table:?}")));
        }
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            dump::quote(table)
        )))
        .fetch_one(&mut *conn)
        .await?;
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_ids_are_utc_times() {
        // 2026-12-07 08:15:30 UTC
        let id = new_backup_id(1_796_631_330_000);
        assert!(id.starts_with("20261207T081530Z-"), "{id}");
        assert_eq!(id.len(), "20261207T081530Z-".len() + 6);
        assert!(new_backup_id(0).starts_with("19700101T000000Z-"));
        assert!(new_backup_id(951_782_400_000).starts_with("20000229T"));
    }
}
