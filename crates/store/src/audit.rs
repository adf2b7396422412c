//! The audit log (migration 0016): an append-only hash chain of what was done to whom
//! (role, plan and account changes; compliance events), and its export as an audit package.
//! The chain's rules (canonical form, hashes, verification) are in `audit_chain.rs`.
//!
//! Appends are serialised by the single row of `audit_head`: the appender's transaction
//! first bumps the head's seq (`UPDATE … RETURNING`, which holds the row's lock on
//! PostgreSQL until commit; SQLite has one writer at a time anyway), then inserts the entry
//! linked to the head's hash and moves the head's hash to it. Two appends can never get the
//! same seq or link to the same predecessor, so the chain never forks.
//!
//! **Pseudonyms (migration 0024).** The chain hashes `entity_id`, `actor_id` and `payload`
//! in clear and can never be edited, so an entry never names a user by their id: `append`
//! records each user (the entity of a `user` entry, and the actor) by their pseudonym from
//! `user_pseudonyms` (`u_` + 32 random hex digits, created on the user's first audited
//! change). An id that names no user is recorded as given. Readers map pseudonyms back with
//! [`Audit::resolve`] while the mapping exists; erasing the user deletes the mapping, so
//! the entries keep a pseudonym nobody can link to them, and `verify` still passes.
//! Payloads hold no personal data either (user-written texts such as a template's title and
//! disclosure are recorded as their SHA-256). Entries written before migration 0024 keep
//! the user ids (and texts) they hold; the resolver maps a plain id of a user who still
//! exists to them, and anything else to "deleted user".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit_chain::{
    AUDIT_PACKAGE_FORMAT, AuditEntry, AuditManifest, AuditPackage, ChainError, ChainPoint,
    GENESIS_HASH, canonical_json, check_head, entry_hash, sha256_hex, verify_links,
};
use crate::clock::{new_id, now_ms};
use crate::sql::{DynSql, col};
use crate::{Db, StoreError};

/// What is needed to append an entry.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    /// What the entry is about, e.g. `user`.
    pub entity_type: String,
    pub entity_id: String,
    /// What happened, e.g. `user.role_changed`.
    pub action: String,
    /// Who did it; `None` for the system.
    pub actor_id: Option<String>,
    /// Details, e.g. `{"from": "builder", "to": "admin"}`.
    pub payload: Value,
}

/// What [`Audit::verify`] found in an intact chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// How many entries were checked.
    pub entries: u64,
    /// The head: the last entry's seq and hash.
    pub head: ChainPoint,
}

/// The audit log repository (from [`Db::audit`]).
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub(crate) db: &'a Db,
}

const COLUMNS: &str =
    "seq, id, entity_type, entity_id, action, actor_id, payload, created_at, prev_hash, hash";

/// Entries read per query by [`Audit::verify`].
const VERIFY_PAGE: i64 = 5_000;

/// What an actor or entity id of an entry stands for now (see [`Audit::resolve`]).
pub const DELETED_USER: &str = "deleted user";

impl Audit<'_> {
    /// The pseudonym audit entries use for this user, if one was made yet.
    pub async fn pseudonym(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT pseudonym FROM user_pseudonyms WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?,
        )
    }

    /// The user each of `ids` (actor or `user` entity ids as the entries hold them) stands
    /// for now: a pseudonym maps to its user while the mapping exists, a plain id (entries
    /// written before pseudonyms) to itself while that user exists; anything else to `None`
    /// (an erased or deleted user: show it as [`DELETED_USER`]).
    pub async fn resolve<'i>(
        &self,
        ids: impl IntoIterator<Item = &'i str>,
    ) -> Result<BTreeMap<String, Option<String>>, StoreError> {
        let ids: BTreeSet<&str> = ids.into_iter().collect();
        let mut out: BTreeMap<String, Option<String>> =
            ids.iter().map(|id| ((*id).to_owned(), None)).collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        for chunk in ids.chunks(500) {
            let mut q = DynSql::new(
                "SELECT p.pseudonym AS ref_id, p.user_id AS user_id FROM user_pseudonyms p \
                 WHERE p.pseudonym IN (",
            );
            in_list(&mut q, chunk);
            q.push(
                ") UNION ALL SELECT u.id AS ref_id, u.id AS user_id FROM users u WHERE u.id IN (",
            );
            in_list(&mut q, chunk);
            q.push(")");
            for row in q.query().fetch_all(&self.db.pool).await? {
                out.insert(col(&row, "ref_id")?, Some(col(&row, "user_id")?));
            }
        }
        Ok(out)
    }

    /// Appends an entry in its own transaction (users named by their pseudonyms, see the
    /// module's documentation).
    pub async fn append(&self, new: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        let entry = append(&mut tx, new).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Entries in seq order: those after `after_seq` (when given) created within
    /// `from_ms..=to_ms` (each bound when given), at most `limit`.
    pub async fn list(
        &self,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = DynSql::new(&format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
        if let Some(from) = from_ms {
            q.push(" AND created_at >= ").bind_int(from);
        }
        if let Some(to) = to_ms {
            q.push(" AND created_at <= ").bind_int(to);
        }
        if let Some(after) = after_seq {
            q.push(" AND seq > ").bind_int(after);
        }
        q.push(" ORDER BY seq LIMIT ").bind_int(i64::from(limit));
        let rows = q.query().fetch_all(&self.db.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// The chain's head: the last seq and its hash (seq 0 and [`GENESIS_HASH`] when empty).
    pub async fn head(&self) -> Result<ChainPoint, StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(ChainPoint {
            seq: col(&row, "seq")?,
            hash: col(&row, "hash")?,
        })
    }

    /// Walks the whole chain from the first entry to the head, recomputing every hash.
    /// `Ok(Err(..))` names the first bad seq and how it is bad.
    pub async fn verify(&self) -> Result<Result<VerifiedChain, ChainError>, StoreError> {
        let head = self.head().await?;
        let mut at = ChainPoint::genesis();
        let mut entries = 0u64;
        loop {
            // The next page: whatever follows the last entry checked (a removed entry then
            // shows as a gap at the page's start).
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(at.seq)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.db.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            let page: Vec<AuditEntry> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
            entries += page.len() as u64;
            match verify_links(&page, &at) {
                Ok(end) => at = end,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(check_head(&at, &head).map(|()| VerifiedChain { entries, head }))
    }

    /// An audit package of the entries created within `from_ms..=to_ms`: the contiguous
    /// run of seqs from the first entry created at or after `from_ms` to the last created
    /// at or before `to_ms`, the evidence they reference and the manifest. `None` when the
    /// run holds more than `max_entries` entries.
    pub async fn export(
        &self,
        from_ms: i64,
        to_ms: i64,
        max_entries: usize,
    ) -> Result<Option<AuditPackage>, StoreError> {
        let limit = i64::try_from(max_entries).unwrap_or(i64::MAX - 1) + 1;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log \
             WHERE seq >= (SELECT MIN(seq) FROM audit_log WHERE created_at >= $1) \
             AND seq <= (SELECT MAX(seq) FROM audit_log WHERE created_at <= $2) \
             ORDER BY seq LIMIT $3"
        )))
        .bind(from_ms)
        .bind(to_ms)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.len() > max_entries {
            return Ok(None);
        }
        let entries: Vec<AuditEntry> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        // The head is read after the entries, so it is at or after the last of them.
        let head = self.head().await?;
        let prev_hash = match entries.first() {
            Some(first) => first.prev_hash.clone(),
            None => sqlx::query_scalar::<_, String>(
                "SELECT hash FROM audit_log WHERE created_at < $1 ORDER BY seq DESC LIMIT 1",
            )
            .bind(from_ms)
            .fetch_optional(&self.db.pool)
            .await?
            .unwrap_or_else(|| GENESIS_HASH.to_owned()),
        };
        let evidence = self.evidence(&entries).await?;
        let manifest = AuditManifest {
            format: AUDIT_PACKAGE_FORMAT.to_owned(),
            from: from_ms,
            to: to_ms,
            exported_at: now_ms(),
            first_seq: entries.first().map(|e| e.seq),
            last_seq: entries.last().map(|e| e.seq),
            prev_hash,
            head_seq: head.seq,
            head_hash: head.hash,
            entry_count: entries.len() as u64,
            evidence_sha256: sha256_hex(&canonical_json(&evidence)),
        };
        Ok(Some(AuditPackage {
            manifest,
            entries,
            evidence,
        }))
    }

    /// The current state of every user the entries are about or were made by, keyed by the
    /// id the entries hold (a pseudonym, or a plain id in entries written before them):
    /// `{"users": {key: {"user_id", "role", "plan", "disabled"} | null}}` (`null`: erased
    /// or deleted since).
    async fn evidence(&self, entries: &[AuditEntry]) -> Result<Value, StoreError> {
        let keys = entries
            .iter()
            .filter(|e| e.entity_type == "user")
            .map(|e| e.entity_id.as_str())
            .chain(entries.iter().filter_map(|e| e.actor_id.as_deref()));
        let resolved = self.resolve(keys).await?;
        let mut users: BTreeMap<String, Value> = resolved
            .keys()
            .map(|key| (key.clone(), Value::Null))
            .collect();
        let ids: BTreeSet<&str> = resolved.values().flatten().map(String::as_str).collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut states: BTreeMap<String, Value> = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let mut q = DynSql::new("SELECT id, role, plan, disabled_at FROM users WHERE id IN (");
            in_list(&mut q, chunk);
            q.push(")");
            for row in q.query().fetch_all(&self.db.pool).await? {
                let id: String = col(&row, "id")?;
                states.insert(
                    id.clone(),
                    json!({
                        "user_id": id,
                        "role": col::<String>(&row, "role")?,
                        "plan": col::<String>(&row, "plan")?,
                        "disabled": col::<Option<i64>>(&row, "disabled_at")?.is_some(),
                    }),
                );
            }
        }
        for (key, user) in &resolved {
            if let Some(state) = user.as_ref().and_then(|id| states.get(id)) {
                users.insert(key.clone(), state.clone());
            }
        }
        Ok(json!({ "users": users }))
    }
}

/// Binds `ids` as a comma-separated list.
fn in_list(q: &mut DynSql, ids: &[&str]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind_text(*id);
    }
}

/// The user's pseudonym, made on first use: `u_` and 32 hex digits of SHA-256 over two
/// fresh uuids (148 random bits; nothing of the user or the time). `None` when no user has
/// this id (it is then recorded as given).
pub(crate) async fn pseudonym_for(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<String>, StoreError> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT pseudonym FROM user_pseudonyms WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    if existing.is_some() {
        return Ok(existing);
    }
    let fresh = format!(
        "u_{}",
        &sha256_hex(&format!("{}{}", new_id(), new_id()))[..32]
    );
    sqlx::query(
        "INSERT INTO user_pseudonyms (user_id, pseudonym, created_at) \
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(&fresh)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT pseudonym FROM user_pseudonyms WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Appends an entry on `conn`, inside the caller's transaction: the entry commits or rolls
/// back with the change it records. The entity of a `user` entry and the actor are
/// recorded by their pseudonyms (see the module's documentation). Holds the chain's head
/// (a row lock on PostgreSQL) until the transaction ends, so keep the transaction short
/// after calling this.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    mut new: NewAuditEntry,
) -> Result<AuditEntry, StoreError> {
    // The head's lock first: on SQLite a transaction that reads (the pseudonym look-up)
    // before its first write fails at once with SQLITE_BUSY when another connection commits
    // in between, instead of waiting its turn; a write first waits (busy timeout) instead.
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    if new.entity_type == "user"
        && let Some(p) = pseudonym_for(conn, &new.entity_id).await?
    {
        new.entity_id = p;
    }
    if let Some(actor) = new.actor_id.take() {
        new.actor_id = Some(pseudonym_for(conn, &actor).await?.unwrap_or(actor));
    }
    append_raw(conn, new).await
}

/// Appends an entry exactly as given (ids already pseudonyms), inside the caller's
/// transaction.
pub(crate) async fn append_raw(
    conn: &mut AnyConnection,
    new: NewAuditEntry,
) -> Result<AuditEntry, StoreError> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let mut entry = AuditEntry {
        seq: col(&head, "seq")?,
        id: new_id(),
        entity_type: new.entity_type,
        entity_id: new.entity_id,
        action: new.action,
        actor_id: new.actor_id,
        payload: new.payload,
        created_at: now_ms(),
        prev_hash: col(&head, "hash")?,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(entry.seq)
    .bind(&entry.id)
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(&entry.action)
    .bind(entry.actor_id.as_deref())
    .bind(entry.payload.to_string())
    .bind(entry.created_at)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

/// An entry as stored; a payload that is not JSON is kept as a string (so verification
/// reports the entry as edited instead of failing to read it).
fn from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let payload: String = col(row, "payload")?;
    Ok(AuditEntry {
        seq: col(row, "seq")?,
        id: col(row, "id")?,
        entity_type: col(row, "entity_type")?,
        entity_id: col(row, "entity_id")?,
        action: col(row, "action")?,
        actor_id: col(row, "actor_id")?,
        payload: serde_json::from_str(&payload).unwrap_or(Value::String(payload)),
        created_at: col(row, "created_at")?,
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}
