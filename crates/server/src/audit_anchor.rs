//! The audit chain's head, recorded outside the database: now and then the server writes
//! the head (last seq and its hash) to object storage (the `object_store` crate; a local
//! directory, `--audit-head-dir`). A recorded head is never overwritten, so someone who can
//! rewrite the database (and recompute every hash after an edit) still cannot make the
//! chain agree with the heads recorded before: `blockbuilders audit verify PACKAGE --heads
//! DIR` compares a package with them.
//!
//! Objects: `audit/heads/<seq, 20 digits>.json`, each `{"seq", "hash", "recorded_at"}`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bb_store::Db;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};
use serde::{Deserialize, Serialize};
use tokio_stream::StreamExt;

/// A head as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedHead {
    pub seq: i64,
    pub hash: String,
    /// Unix ms.
    pub recorded_at: i64,
}

/// Where heads go under the store's root.
const PREFIX: &str = "audit/heads";

fn head_path(seq: i64) -> ObjectPath {
    ObjectPath::from(format!("{PREFIX}/{seq:020}.json"))
}

/// A local directory as an object store (created if missing).
pub fn local_store(dir: &std::path::Path) -> anyhow::Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = LocalFileSystem::new_with_prefix(dir)
        .with_context(|| format!("opening {} as an object store", dir.display()))?;
    Ok(Arc::new(store))
}

/// Records the database's current head unless it is empty or already recorded; returns
/// what it recorded.
pub async fn record_head(db: &Db, store: &dyn ObjectStore) -> anyhow::Result<Option<RecordedHead>> {
    let head = db.audit().head().await?;
    if head.seq == 0 {
        return Ok(None);
    }
    let recorded = RecordedHead {
        seq: head.seq,
        hash: head.hash,
        recorded_at: bb_store::now_ms(),
    };
    let body = PutPayload::from(serde_json::to_vec_pretty(&recorded)?);
    match store
        .put_opts(&head_path(recorded.seq), body, PutMode::Create.into())
        .await
    {
        Ok(_) => Ok(Some(recorded)),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(None),
        Err(e) => Err(e).context("writing the audit head"),
    }
}

/// Every recorded head, in seq order.
pub async fn recorded_heads(store: &dyn ObjectStore) -> anyhow::Result<Vec<RecordedHead>> {
    let prefix = ObjectPath::from(PREFIX);
    let mut listing = store.list(Some(&prefix));
    let mut heads = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.context("listing the recorded audit heads")?;
        let bytes = store.get(&meta.location).await?.bytes().await?;
        let head: RecordedHead = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a recorded audit head", meta.location))?;
        heads.push(head);
    }
    heads.sort_by_key(|h| h.seq);
    Ok(heads)
}

/// Records the head every `every` (and once at start), until the runtime stops; a failure
/// is logged and tried again next time.
pub fn spawn_recorder(
    db: Db,
    store: Arc<dyn ObjectStore>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match record_head(&db, store.as_ref()).await {
                Ok(Some(head)) => {
                    tracing::info!(seq = head.seq, hash = %head.hash, "audit head recorded");
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not record the audit head")
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_store::NewAuditEntry;
    use serde_json::json;

    #[tokio::test]
    async fn heads_are_recorded_once_each_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(&dir.path().join("objects")).unwrap();
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        // nothing to record yet
        assert_eq!(record_head(&db, store.as_ref()).await.unwrap(), None);
        let entry = || NewAuditEntry {
            entity_type: "test".into(),
            entity_id: "t".into(),
            action: "test.done".into(),
            actor_id: None,
            payload: json!({}),
        };
        db.audit().append(entry()).await.unwrap();
        let first = record_head(&db, store.as_ref()).await.unwrap().unwrap();
        assert_eq!(first.seq, 1);
        // the same head again: kept as it was
        assert_eq!(record_head(&db, store.as_ref()).await.unwrap(), None);
        db.audit().append(entry()).await.unwrap();
        let second = record_head(&db, store.as_ref()).await.unwrap().unwrap();
        assert_eq!(second.hash, db.audit().head().await.unwrap().hash);
        assert!(
            dir.path()
                .join("objects/audit/heads/00000000000000000002.json")
                .exists()
        );
        assert_eq!(
            recorded_heads(store.as_ref()).await.unwrap(),
            vec![first, second]
        );
        db.close().await;
    }
}
