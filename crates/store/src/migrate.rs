//! Append-only schema migrations, recorded in `schema_migrations`.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::StoreError;
use crate::clock::now_ms;
use crate::db::{Backend, Db};
use crate::error::{corrupt, is_unique_violation, map_err};

/// One schema migration: portable SQL that runs unchanged on SQLite and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Applied in ascending order; never reused.
    pub version: i64,
    /// The file name without `.sql`, e.g. `0001_accounts`.
    pub name: &'static str,
    /// The statements (no `BEGIN`/`COMMIT`: each migration runs in its own transaction).
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 (hex) of the SQL with `\r` removed, so a checkout with CRLF line endings does
    /// not look like an edited migration.
    pub fn checksum(&self) -> String {
        let text: String = self.sql.chars().filter(|c| *c != '\r').collect();
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Every migration of this build, in order (embedded from the workspace's `migrations/`).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_accounts",
        sql: include_str!("../../../migrations/0001_accounts.sql"),
    },
    Migration {
        version: 2,
        name: "0002_strategies",
        sql: include_str!("../../../migrations/0002_strategies.sql"),
    },
    Migration {
        version: 3,
        name: "0003_runs_and_sharing",
        sql: include_str!("../../../migrations/0003_runs_and_sharing.sql"),
    },
    Migration {
        version: 4,
        name: "0004_market_data",
        sql: include_str!("../../../migrations/0004_market_data.sql"),
    },
    Migration {
        version: 5,
        name: "0005_jobs",
        sql: include_str!("../../../migrations/0005_jobs.sql"),
    },
    Migration {
        version: 6,
        name: "0006_dataset_owners",
        sql: include_str!("../../../migrations/0006_dataset_owners.sql"),
    },
    Migration {
        version: 7,
        name: "0007_backtest_runs",
        sql: include_str!("../../../migrations/0007_backtest_runs.sql"),
    },
    Migration {
        version: 8,
        name: "0008_job_lost_leases",
        sql: include_str!("../../../migrations/0008_job_lost_leases.sql"),
    },
    Migration {
        version: 9,
        name: "0009_account_security",
        sql: include_str!("../../../migrations/0009_account_security.sql"),
    },
    Migration {
        version: 10,
        name: "0010_dataset_names_per_owner",
        sql: include_str!("../../../migrations/0010_dataset_names_per_owner.sql"),
    },
    Migration {
        version: 11,
        name: "0011_shared_fetches",
        sql: include_str!("../../../migrations/0011_shared_fetches.sql"),
    },
    Migration {
        version: 12,
        name: "0012_paper_trades",
        sql: include_str!("../../../migrations/0012_paper_trades.sql"),
    },
    Migration {
        version: 13,
        name: "0013_candle_revisions",
        sql: include_str!("../../../migrations/0013_candle_revisions.sql"),
    },
    Migration {
        version: 14,
        name: "0014_paper_baskets",
        sql: include_str!("../../../migrations/0014_paper_baskets.sql"),
    },
    Migration {
        version: 15,
        name: "0015_holdout_looks",
        sql: include_str!("../../../migrations/0015_holdout_looks.sql"),
    },
    Migration {
        version: 16,
        name: "0016_audit_log",
        sql: include_str!("../../../migrations/0016_audit_log.sql"),
    },
    Migration {
        version: 17,
        name: "0017_templates",
        sql: include_str!("../../../migrations/0017_templates.sql"),
    },
    Migration {
        version: 18,
        name: "0018_cohorts",
        sql: include_str!("../../../migrations/0018_cohorts.sql"),
    },
    Migration {
        version: 19,
        name: "0019_webhooks",
        sql: include_str!("../../../migrations/0019_webhooks.sql"),
    },
    Migration {
        version: 20,
        name: "0020_billing",
        sql: include_str!("../../../migrations/0020_billing.sql"),
    },
    Migration {
        version: 21,
        name: "0021_email",
        sql: include_str!("../../../migrations/0021_email.sql"),
    },
    Migration {
        version: 22,
        name: "0022_account_email",
        sql: include_str!("../../../migrations/0022_account_email.sql"),
    },
    Migration {
        version: 23,
        name: "0023_screener",
        sql: include_str!("../../../migrations/0023_screener.sql"),
    },
    Migration {
        version: 24,
        name: "0024_erasure",
        sql: include_str!("../../../migrations/0024_erasure.sql"),
    },
    Migration {
        version: 25,
        name: "0025_backups",
        sql: include_str!("../../../migrations/0025_backups.sql"),
    },
    Migration {
        version: 26,
        name: "0026_retention_indexes",
        sql: include_str!("../../../migrations/0026_retention_indexes.sql"),
    },
];

const CREATE_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// A row of `schema_migrations`.
struct Applied {
    version: i64,
    name: String,
    checksum: String,
}

impl Db {
    /// Applies every migration not applied yet, in order, each in its own transaction, and
    /// returns the names of those applied now (empty when the schema is current).
    ///
    /// Fails, before applying anything, when an applied migration's SQL has changed since
    /// (migrations are append-only) or the database has a migration this build does not
    /// know (it was migrated by a newer build).
    ///
    /// Safe to run from several processes at once: each migration's bookkeeping row is
    /// inserted first in its transaction, so a second process waits, finds the row and
    /// skips it.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        self.migrate_with(MIGRATIONS).await
    }

    /// How many of this build's migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        if !self.bookkeeping_exists().await? {
            return Ok(MIGRATIONS.len());
        }
        let applied = self.applied().await?;
        Ok(MIGRATIONS
            .iter()
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .count())
    }

    /// [`Db::migrate`] with another list of migrations. For tests of the migration runner
    /// itself (e.g. that an edited migration is refused); applications call `migrate`.
    #[doc(hidden)]
    pub async fn migrate_with(&self, set: &[Migration]) -> Result<Vec<String>, StoreError> {
        check_set(set)?;
        match sqlx::raw_sql(CREATE_BOOKKEEPING).execute(&self.pool).await {
            Ok(_) => {}
            // PostgreSQL: two `CREATE TABLE IF NOT EXISTS` racing can both pass the "exists"
            // check; the loser fails on the catalogue's unique index. The table is there.
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let applied = self.applied().await?;
        for a in &applied {
            match set.iter().find(|m| m.version == a.version) {
                Some(m) => check_unchanged(m, &a.checksum)?,
                None => {
                    return Err(StoreError::Invalid(format!(
                        "the database has migration {} ({}) that this build does not know; \
                         it was migrated by a newer build",
                        a.version, a.name
                    )));
                }
            }
        }
        let mut done = Vec::new();
        for m in set {
            if applied.iter().any(|a| a.version == m.version) {
                continue;
            }
            if self.apply(m).await? {
                done.push(m.name.to_owned());
            }
        }
        Ok(done)
    }

    /// Applies one migration; `false` when another process applied it first.
    async fn apply(&self, m: &Migration) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The bookkeeping row first: this takes the write lock (SQLite) or the key lock
        // (PostgreSQL) before any DDL runs, so concurrent migrators serialise here.
        let inserted = sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(m.checksum())
        .bind(now_ms())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                let theirs = self
                    .applied()
                    .await?
                    .into_iter()
                    .find(|a| a.version == m.version)
                    .ok_or_else(|| corrupt("migration bookkeeping", "row vanished"))?;
                check_unchanged(m, &theirs.checksum)?;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Database(format!("migration {} failed: {e}", m.name)))?;
        tx.commit().await?;
        Ok(true)
    }

    async fn applied(&self) -> Result<Vec<Applied>, StoreError> {
        let rows =
            sqlx::query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Applied {
                    version: r.try_get("version").map_err(|e| corrupt("version", e))?,
                    name: r.try_get("name").map_err(|e| corrupt("name", e))?,
                    checksum: r.try_get("checksum").map_err(|e| corrupt("checksum", e))?,
                })
            })
            .collect()
    }

    async fn bookkeeping_exists(&self) -> Result<bool, StoreError> {
        // BACKEND-SPECIFIC: each database lists its tables in its own catalogue, and a
        // read-only check must not create the table.
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master \
                 WHERE type = 'table' AND name = 'schema_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
            }
        };
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err(e, &[], ""))?;
        Ok(n > 0)
    }
}

fn check_set(set: &[Migration]) -> Result<(), StoreError> {
    for pair in set.windows(2) {
        if pair[0].version >= pair[1].version {
            return Err(StoreError::Invalid(format!(
                "migrations out of order: {} before {}",
                pair[0].name, pair[1].name
            )));
        }
    }
    Ok(())
}

fn check_unchanged(m: &Migration, recorded: &str) -> Result<(), StoreError> {
    if m.checksum() == recorded {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "migration {} was changed after it was applied (checksum mismatch); migrations \
             are append-only: restore the file and add a new migration instead",
            m.name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_are_ordered_and_named_after_their_files() {
        // Versions increase (check_set); a number may be missing while another branch that
        // owns it is not merged yet (numbers are assigned per branch).
        check_set(MIGRATIONS).unwrap();
        assert_eq!(MIGRATIONS[0].version, 1);
        for m in MIGRATIONS {
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            assert!(
                !m.sql.contains("BEGIN"),
                "{}: no explicit transactions",
                m.name
            );
        }
    }

    #[test]
    fn migrations_keep_to_the_portable_subset() {
        for m in MIGRATIONS {
            let code: String = m
                .sql
                .lines()
                .map(|line| line.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n")
                .to_uppercase();
            let words: Vec<&str> = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .collect();
            for banned in [
                "UUID",
                "BOOLEAN",
                "BOOL",
                "TIMESTAMP",
                "TIMESTAMPTZ",
                "DATETIME",
                "JSON",
                "JSONB",
                "SERIAL",
                "BIGSERIAL",
                "AUTOINCREMENT",
                "DECIMAL",
                "NUMERIC",
                "REAL",
            ] {
                assert!(!words.contains(&banned), "{} uses {banned}", m.name);
            }
        }
    }

    #[test]
    fn checksum_ignores_carriage_returns() {
        let lf = Migration {
            version: 1,
            name: "x",
            sql: "CREATE TABLE a (id TEXT);\n",
        };
        let crlf = Migration {
            sql: "CREATE TABLE a (id TEXT);\r\n",
            ..lf
        };
        assert_eq!(lf.checksum(), crlf.checksum());
        assert_eq!(lf.checksum().len(), 64);
    }
}
