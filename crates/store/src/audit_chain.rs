//! The audit log's hash chain and audit packages, with no database access: the canonical
//! form of an entry, its hash, the verification of a run of entries and of an exported
//! package. The store uses it to append and to verify; `blockbuilders audit verify` uses it
//! to check a package file offline.
//!
//! **Architecture Invariant:** nothing here reads a database, a file or the clock.
//!
//! An entry's hash is the SHA-256 (lowercase hex) of the canonical JSON of
//! `{seq, id, entity_type, entity_id, action, actor_id, payload, created_at, prev_hash}`:
//! object keys sorted (by UTF-16 code units, as RFC 8785 does) at every depth, no
//! insignificant whitespace, strings escaped and numbers written as `serde_json` writes
//! them. `prev_hash` is the hash of the entry before (seq − 1); the first entry's is
//! [`GENESIS_HASH`]. So editing, removing or reordering any entry breaks the chain from
//! there on, and the head (the last seq and its hash) commits to everything before it.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `format` of an audit package's manifest.
pub const AUDIT_PACKAGE_FORMAT: &str = "blockbuilders-audit-package/1";

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain: 1, 2, 3, … with no gap.
    pub seq: i64,
    /// A uuid v7.
    pub id: String,
    /// What the entry is about, e.g. `user`.
    pub entity_type: String,
    pub entity_id: String,
    /// What happened, e.g. `user.role_changed`.
    pub action: String,
    /// Who did it; `None` for the system (seeding, a job).
    pub actor_id: Option<String>,
    /// Details, e.g. `{"from": "builder", "to": "admin"}`.
    pub payload: Value,
    /// Unix ms.
    pub created_at: i64,
    /// The hash of entry `seq - 1` ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// [`entry_hash`] of this entry.
    pub hash: String,
}

/// `value` in canonical JSON: object keys sorted at every depth (by UTF-16 code units), no
/// whitespace, strings and numbers as `serde_json` writes them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(&map[key.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // null, booleans and numbers: serde_json's own text.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json escapes exactly `"`, `\` and control characters, as RFC 8785 does.
    out.push_str(&Value::String(s.to_owned()).to_string());
}

/// SHA-256 of `text`, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The hash an entry must carry: of its canonical content (everything but `hash`).
pub fn entry_hash(entry: &AuditEntry) -> String {
    let content = json!({
        "seq": entry.seq,
        "id": entry.id,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "actor_id": entry.actor_id,
        "payload": entry.payload,
        "created_at": entry.created_at,
        "prev_hash": entry.prev_hash,
    });
    sha256_hex(&canonical_json(&content))
}

/// A point of the chain: a seq and the hash of the entry with that seq (seq 0 is the
/// genesis, with [`GENESIS_HASH`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: String,
}

impl ChainPoint {
    /// Before the first entry.
    pub fn genesis() -> ChainPoint {
        ChainPoint {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// Why a run of entries is not an intact chain. `seq` is always the first bad one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The entry's content no longer matches its hash.
    #[error("entry {seq} was edited: its content no longer matches its hash")]
    Edited { seq: i64 },
    /// The entry with this seq is missing (the chain jumps over it).
    #[error("entry {seq} was removed: the chain jumps over it")]
    Removed { seq: i64 },
    /// The entry with this seq is not where it belongs.
    #[error("entry {seq} is out of order: the entries were reordered")]
    Reordered { seq: i64 },
    /// The entry's hash is right but it does not link to the entry before it: that one (or
    /// this one) was edited and its hash recomputed.
    #[error(
        "entry {seq} does not link to the entry before it: an entry was edited and its hash \
         recomputed"
    )]
    Relinked { seq: i64 },
    /// The last entry is not the head recorded apart from the entries.
    #[error(
        "entry {seq} has hash {found} but the chain's head says {expected}: the end of the chain was edited"
    )]
    HeadMismatch {
        seq: i64,
        expected: String,
        found: String,
    },
}

impl ChainError {
    /// The first bad seq.
    pub fn seq(&self) -> i64 {
        match self {
            ChainError::Edited { seq }
            | ChainError::Removed { seq }
            | ChainError::Reordered { seq }
            | ChainError::Relinked { seq }
            | ChainError::HeadMismatch { seq, .. } => *seq,
        }
    }
}

/// Checks that `entries` continue the chain from `prev` (each entry's seq is the one after,
/// its `prev_hash` is the previous hash and its `hash` is [`entry_hash`] of its content);
/// with `head`, also that they end exactly at it. Returns the last point reached (`prev`
/// when there are no entries).
pub fn verify_chain(
    entries: &[AuditEntry],
    prev: &ChainPoint,
    head: Option<&ChainPoint>,
) -> Result<ChainPoint, ChainError> {
    let end = verify_links(entries, prev)?;
    if let Some(head) = head {
        check_head(&end, head)?;
    }
    Ok(end)
}

/// [`verify_chain`] without a head.
pub fn verify_links(entries: &[AuditEntry], prev: &ChainPoint) -> Result<ChainPoint, ChainError> {
    let mut at = prev.clone();
    for (i, entry) in entries.iter().enumerate() {
        let want = at.seq + 1;
        if entry.seq != want {
            // An entry that went before the one expected, or one expected later in the list,
            // means the order changed; otherwise the expected one is gone.
            let later = entries[i + 1..].iter().any(|e| e.seq == want);
            return Err(if entry.seq < want || later {
                ChainError::Reordered { seq: entry.seq }
            } else {
                ChainError::Removed { seq: want }
            });
        }
        let links = entry.prev_hash == at.hash;
        // Linking to another entry of the run than the one before: moved.
        let moved = !links
            && entries
                .iter()
                .enumerate()
                .any(|(j, e)| j + 1 != i && e.hash == entry.prev_hash);
        if entry_hash(entry) != entry.hash {
            return Err(if moved {
                ChainError::Reordered { seq: entry.seq }
            } else {
                ChainError::Edited { seq: entry.seq }
            });
        }
        if !links {
            return Err(if moved {
                ChainError::Reordered { seq: entry.seq }
            } else {
                ChainError::Relinked { seq: entry.seq }
            });
        }
        at = ChainPoint {
            seq: entry.seq,
            hash: entry.hash.clone(),
        };
    }
    Ok(at)
}

/// Checks that a verified run ending at `end` ends exactly at `head`.
pub fn check_head(end: &ChainPoint, head: &ChainPoint) -> Result<(), ChainError> {
    if end.seq < head.seq {
        return Err(ChainError::Removed { seq: end.seq + 1 });
    }
    if end.seq > head.seq || end.hash != head.hash {
        return Err(ChainError::HeadMismatch {
            seq: end.seq,
            expected: head.hash.clone(),
            found: end.hash.clone(),
        });
    }
    Ok(())
}

/// The manifest of an audit package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditManifest {
    /// [`AUDIT_PACKAGE_FORMAT`].
    pub format: String,
    /// The period asked for (Unix ms, both included).
    pub from: i64,
    pub to: i64,
    /// When the package was made (Unix ms).
    pub exported_at: i64,
    /// The seqs of the first and last entries (`None` when there are none).
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The hash of the entry before `first_seq` ([`GENESIS_HASH`] if none); with no entries,
    /// the hash of the last entry before `from`.
    pub prev_hash: String,
    /// The chain's head when the package was made: its last seq and that entry's hash.
    pub head_seq: i64,
    pub head_hash: String,
    pub entry_count: u64,
    /// SHA-256 of the canonical JSON of `evidence`.
    pub evidence_sha256: String,
}

/// An audit package: a contiguous run of entries, the evidence they reference and a
/// manifest tying them to the chain's head.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPackage {
    pub manifest: AuditManifest,
    pub entries: Vec<AuditEntry>,
    /// What the entries refer to, as it is when exported: `{"users": {id: {"role",
    /// "plan", "disabled"} or null when the user no longer exists}}` for every user an entry
    /// is about or was made by. Not part of the chain; the manifest's `evidence_sha256`
    /// covers it.
    pub evidence: Value,
}

/// Why a package does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    #[error("not an audit package: format is {0:?}, expected {AUDIT_PACKAGE_FORMAT:?}")]
    Format(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("the evidence was edited: its SHA-256 is {found}, the manifest says {expected}")]
    Evidence { expected: String, found: String },
    #[error("the manifest does not match the entries: {0}")]
    Manifest(String),
    /// An entry (or the manifest's head) disagrees with a head recorded outside the
    /// database: the chain was rewritten from there on.
    #[error(
        "entry {seq} does not match the head recorded for it ({recorded}): the chain was \
         rewritten"
    )]
    Rewritten { seq: i64, recorded: String },
}

/// What a verified package holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSummary {
    pub entries: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    pub head: ChainPoint,
    /// Whether the last entry is the head (so the head's hash was checked too).
    pub reaches_head: bool,
}

/// Recomputes every hash of a package and checks the manifest against the entries.
pub fn verify_package(package: &AuditPackage) -> Result<PackageSummary, PackageError> {
    let m = &package.manifest;
    if m.format != AUDIT_PACKAGE_FORMAT {
        return Err(PackageError::Format(m.format.clone()));
    }
    let prev = match (m.first_seq, package.entries.first()) {
        (Some(first), _) => ChainPoint {
            seq: first - 1,
            hash: m.prev_hash.clone(),
        },
        (None, None) => ChainPoint {
            seq: 0,
            hash: m.prev_hash.clone(),
        },
        (None, Some(_)) => {
            return Err(PackageError::Manifest(
                "it lists no entries but the package has some".into(),
            ));
        }
    };
    let head = ChainPoint {
        seq: m.head_seq,
        hash: m.head_hash.clone(),
    };
    let reaches_head = m.last_seq == Some(m.head_seq);
    let end = verify_chain(&package.entries, &prev, reaches_head.then_some(&head))?;
    if let Some(last) = m.last_seq {
        if end.seq < last {
            return Err(ChainError::Removed { seq: end.seq + 1 }.into());
        }
        if end.seq > last {
            return Err(PackageError::Manifest(format!(
                "last_seq is {last} but the entries run to {}",
                end.seq
            )));
        }
    } else if !package.entries.is_empty() {
        return Err(PackageError::Manifest("last_seq is missing".into()));
    }
    let count = package.entries.len() as u64;
    if count != m.entry_count {
        return Err(PackageError::Manifest(format!(
            "entry_count is {} but there are {count} entries",
            m.entry_count
        )));
    }
    if m.head_seq < end.seq {
        return Err(PackageError::Manifest(format!(
            "head_seq {} is before the last entry {}",
            m.head_seq, end.seq
        )));
    }
    let evidence = sha256_hex(&canonical_json(&package.evidence));
    if evidence != m.evidence_sha256 {
        return Err(PackageError::Evidence {
            expected: m.evidence_sha256.clone(),
            found: evidence,
        });
    }
    Ok(PackageSummary {
        entries: count,
        first_seq: m.first_seq,
        last_seq: m.last_seq,
        head,
        reaches_head,
    })
}

/// Checks a (verified) package against heads recorded outside the database: an entry at a
/// recorded seq, and the manifest's head when it was recorded, must carry the recorded
/// hash. Returns how many recorded heads the package could be compared with.
pub fn check_recorded_heads(
    package: &AuditPackage,
    recorded: &[ChainPoint],
) -> Result<usize, PackageError> {
    let mut compared = 0;
    for head in recorded {
        let found = package
            .entries
            .iter()
            .find(|e| e.seq == head.seq)
            .map(|e| e.hash.as_str())
            .or((package.manifest.head_seq == head.seq)
                .then_some(package.manifest.head_hash.as_str()));
        match found {
            Some(hash) if hash == head.hash => compared += 1,
            Some(_) => {
                return Err(PackageError::Rewritten {
                    seq: head.seq,
                    recorded: head.hash.clone(),
                });
            }
            None => {}
        }
    }
    Ok(compared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    id: format!("id-{seq}"),
                    entity_type: "user".into(),
                    entity_id: "u1".into(),
                    action: "user.role_changed".into(),
                    actor_id: (seq % 2 == 0).then(|| "admin".to_owned()),
                    payload: json!({ "to": "admin", "from": "builder", "n": seq }),
                    created_at: 1_700_000_000_000 + seq,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[AuditEntry], expected: Result<i64, ChainError>) {
        let head = chain(5).last().map(|e| ChainPoint {
            seq: e.seq,
            hash: e.hash.clone(),
        });
        let got = verify_chain(entries, &ChainPoint::genesis(), head.as_ref()).map(|p| p.seq);
        assert_eq!(got, expected);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_without_whitespace() {
        let v: Value = serde_json::from_str(
            r#"{ "b": [ {"z": 1, "a": "x\n\"y\""} ], "a": null, "é": 1.5, "e": true }"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[{"a":"x\n\"y\"","z":1}],"e":true,"é":1.5}"#
        );
    }

    #[test]
    fn the_hash_is_sha256_of_the_canonical_form() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let e = &chain(1)[0];
        let mut same = e.clone();
        same.payload = serde_json::from_str(r#"{"n":1,"from":"builder","to":"admin"}"#).unwrap();
        assert_eq!(entry_hash(&same), e.hash);
    }

    #[test]
    fn an_intact_chain_verifies() {
        check(&chain(5), Ok(5));
        assert_eq!(
            verify_chain(&[], &ChainPoint::genesis(), Some(&ChainPoint::genesis())),
            Ok(ChainPoint::genesis())
        );
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut entries = chain(5);
        entries[2].payload = json!({ "to": "owner" });
        check(&entries, Err(ChainError::Edited { seq: 3 }));
    }

    #[test]
    fn an_edited_and_rehashed_entry_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[2].actor_id = Some("mallory".into());
        entries[2].hash = entry_hash(&entries[2]);
        check(&entries, Err(ChainError::Relinked { seq: 4 }));
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        check(&entries, Err(ChainError::Removed { seq: 2 }));
        let mut entries = chain(5);
        entries.remove(0);
        check(&entries, Err(ChainError::Removed { seq: 1 }));
        let mut entries = chain(5);
        entries.pop();
        check(&entries, Err(ChainError::Removed { seq: 5 }));
    }

    #[test]
    fn reordered_entries_are_named() {
        let mut entries = chain(5);
        entries.swap(1, 3);
        check(&entries, Err(ChainError::Reordered { seq: 4 }));
        // seqs swapped in place (as an UPDATE of the column would): the content no longer
        // matches, and the entry links to another one of the run
        let mut entries = chain(5);
        entries.swap(1, 3);
        entries[1].seq = 2;
        entries[3].seq = 4;
        check(&entries, Err(ChainError::Reordered { seq: 2 }));
    }

    #[test]
    fn a_changed_last_entry_is_caught_by_the_head() {
        let mut entries = chain(5);
        entries[4].payload = json!({});
        entries[4].hash = entry_hash(&entries[4]);
        assert!(matches!(
            verify_chain(
                &entries,
                &ChainPoint::genesis(),
                Some(&ChainPoint {
                    seq: 5,
                    hash: chain(5)[4].hash.clone()
                })
            ),
            Err(ChainError::HeadMismatch { seq: 5, .. })
        ));
    }

    fn package(entries: Vec<AuditEntry>) -> AuditPackage {
        let evidence =
            json!({ "users": { "u1": { "role": "admin", "plan": "free", "disabled": false } } });
        AuditPackage {
            manifest: AuditManifest {
                format: AUDIT_PACKAGE_FORMAT.into(),
                from: 0,
                to: 2_000_000_000_000,
                exported_at: 1_800_000_000_000,
                first_seq: Some(2),
                last_seq: Some(4),
                prev_hash: chain(5)[0].hash.clone(),
                head_seq: 5,
                head_hash: chain(5)[4].hash.clone(),
                entry_count: entries.len() as u64,
                evidence_sha256: sha256_hex(&canonical_json(&evidence)),
            },
            entries,
            evidence,
        }
    }

    #[test]
    fn a_package_verifies_and_its_tampering_is_named() {
        let good = package(chain(4)[1..].to_vec());
        let summary = verify_package(&good).unwrap();
        assert_eq!((summary.entries, summary.reaches_head), (3, false));

        let mut p = good.clone();
        p.entries.pop();
        assert_eq!(
            verify_package(&p),
            Err(PackageError::Chain(ChainError::Removed { seq: 4 }))
        );
        let mut p = good.clone();
        p.entries.remove(0);
        assert_eq!(
            verify_package(&p),
            Err(PackageError::Chain(ChainError::Removed { seq: 2 }))
        );
        let mut p = good.clone();
        p.evidence["users"]["u1"]["role"] = json!("builder");
        assert!(matches!(
            verify_package(&p),
            Err(PackageError::Evidence { .. })
        ));
        let mut p = good.clone();
        p.manifest.entry_count = 7;
        assert!(matches!(verify_package(&p), Err(PackageError::Manifest(_))));

        // recorded heads: seq 3 is in the package, 5 is its head, 1 is before it
        let point = |e: &AuditEntry| ChainPoint {
            seq: e.seq,
            hash: e.hash.clone(),
        };
        let full = chain(5);
        let heads: Vec<ChainPoint> = [&full[0], &full[2], &full[4]]
            .into_iter()
            .map(point)
            .collect();
        assert_eq!(check_recorded_heads(&good, &heads), Ok(2));
        // a chain rewritten from seq 3 on (every hash recomputed) passes verify_package but
        // not the recorded heads
        let mut rewritten = chain(5);
        rewritten[2].payload = json!({ "to": "owner" });
        for i in 2..5 {
            rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
            rewritten[i].hash = entry_hash(&rewritten[i]);
        }
        let mut p = package(rewritten[1..4].to_vec());
        p.manifest.head_hash = rewritten[4].hash.clone();
        verify_package(&p).unwrap();
        assert_eq!(
            check_recorded_heads(&p, &heads),
            Err(PackageError::Rewritten {
                seq: 3,
                recorded: full[2].hash.clone()
            })
        );
    }
}
