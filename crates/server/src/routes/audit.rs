//! The audit log for admins: the latest entries, and the export of a period as an audit
//! package (the entries, the evidence they reference and a manifest tying them to the
//! chain's head) that `blockbuilders audit verify` checks offline. Admins only, with
//! two-factor sign-in on ([`AdminUser`]).

use crate::auth::extractor::AdminUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{Json, Query, parse_time_field};
use crate::state::AppState;
use axum::extract::State;
use bb_store::{AuditEntry, AuditManifest, AuditPackage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most entries one export holds; a longer period is refused (422) naming `from`.
pub const MAX_EXPORT_ENTRIES: usize = 100_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(export_audit))
}

/// An entry of the audit log: a link of the hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Position in the chain: 1, 2, 3, … with no gap.
    pub seq: i64,
    pub id: String,
    /// What the entry is about, e.g. `user`.
    pub entity_type: String,
    /// For a `user` entry, the user's pseudonym (`u_…`), as for `actor_id`.
    pub entity_id: String,
    /// e.g. `user.role_changed`, `user.plan_changed`, `user.disabled`, `user.enabled`,
    /// `user.erased`.
    pub action: String,
    /// Who did it, as the chain names them: a user's pseudonym (`u_…`; a plain user id in
    /// entries written before pseudonyms); `null` for the system.
    pub actor_id: Option<String>,
    /// Details, e.g. `{"from": "builder", "to": "admin"}`.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Unix ms.
    pub created_at: i64,
    /// The hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of the entry's canonical JSON (keys sorted, no whitespace) without
    /// `hash`.
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> AuditEntryView {
        AuditEntryView {
            seq: e.seq,
            id: e.id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
            actor_id: e.actor_id,
            payload: e.payload,
            created_at: e.created_at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Who an entry's actor or `user` entity stands for now. Entries name users by pseudonym
/// (`u_…`; entries written before pseudonyms hold a plain id); the mapping is deleted when
/// the user is erased.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPartyView {
    /// The user's id now; `null` once the user was erased (or deleted).
    pub user_id: Option<String>,
    /// The user's email now, or `deleted user`.
    pub label: String,
}

/// An entry of the audit log with who its pseudonyms stand for now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItemView {
    #[serde(flatten)]
    pub entry: AuditEntryView,
    /// Who did it (`null` for the system).
    pub actor: Option<AuditPartyView>,
    /// The user the entry is about, when `entity_type` is `user`.
    pub subject: Option<AuditPartyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// In seq order.
    pub items: Vec<AuditItemView>,
    /// Give it as `after_seq` for the next page; `null` when this page is the last.
    pub next_after_seq: Option<i64>,
    /// The chain's head: its last seq and that entry's hash.
    pub head_seq: i64,
    pub head_hash: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Entries after this seq (default: from the first).
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::extract::page_limit::<_, 500>")]
    pub limit: Option<u32>,
}

/// The audit log's entries in chain order, a page at a time, each with who its actor and
/// user stand for now (admins with two-factor sign-in on).
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    params(AuditListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The caller is not an admin (`forbidden`), or has not turned on two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(query): Query<AuditListQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    let audit = state.db().audit();
    let items = audit
        .list(None, None, query.after_seq, limit.saturating_add(1))
        .await?;
    let more = items.len() > limit as usize;
    let items: Vec<AuditEntry> = items.into_iter().take(limit as usize).collect();
    let keys = items
        .iter()
        .filter(|e| e.entity_type == "user")
        .map(|e| e.entity_id.as_str())
        .chain(items.iter().filter_map(|e| e.actor_id.as_deref()));
    let resolved = audit.resolve(keys).await?;
    let mut emails: HashMap<String, String> = HashMap::new();
    for id in resolved.values().flatten() {
        if !emails.contains_key(id)
            && let Ok(user) = state.db().users().get(id).await
        {
            emails.insert(id.clone(), user.email);
        }
    }
    let party = |key: &str| {
        let user_id = resolved.get(key).cloned().flatten();
        let label = user_id
            .as_ref()
            .and_then(|id| emails.get(id).cloned())
            .unwrap_or_else(|| bb_store::DELETED_USER.to_owned());
        AuditPartyView {
            user_id: user_id.filter(|id| emails.contains_key(id)),
            label,
        }
    };
    let items: Vec<AuditItemView> = items
        .into_iter()
        .map(|e| AuditItemView {
            actor: e.actor_id.as_deref().map(party),
            subject: (e.entity_type == "user").then(|| party(&e.entity_id)),
            entry: AuditEntryView::from(e),
        })
        .collect();
    let head = audit.head().await?;
    Ok(Json(AuditPage {
        next_after_seq: if more {
            items.last().map(|e| e.entry.seq)
        } else {
            None
        },
        items,
        head_seq: head.seq,
        head_hash: head.hash,
    }))
}

/// The manifest of an audit package.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditManifestView {
    /// `blockbuilders-audit-package/1`.
    pub format: String,
    /// The period asked for, Unix ms, both ends included.
    pub from: i64,
    pub to: i64,
    /// Unix ms.
    pub exported_at: i64,
    /// The seqs of the first and last entries (`null` when there are none). The entries
    /// are every seq between them: the first created at or after `from` to the last
    /// created at or before `to`.
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The hash of the entry before `first_seq` (64 zeros if none); with no entries, of
    /// the last entry before `from`.
    pub prev_hash: String,
    /// The chain's head when exported: its last seq and that entry's hash (compare it with
    /// a head recorded elsewhere to prove nothing after `to` was cut).
    pub head_seq: i64,
    pub head_hash: String,
    pub entry_count: u64,
    /// SHA-256 (hex) of the canonical JSON of `evidence`.
    pub evidence_sha256: String,
}

impl From<AuditManifest> for AuditManifestView {
    fn from(m: AuditManifest) -> AuditManifestView {
        AuditManifestView {
            format: m.format,
            from: m.from,
            to: m.to,
            exported_at: m.exported_at,
            first_seq: m.first_seq,
            last_seq: m.last_seq,
            prev_hash: m.prev_hash,
            head_seq: m.head_seq,
            head_hash: m.head_hash,
            entry_count: m.entry_count,
            evidence_sha256: m.evidence_sha256,
        }
    }
}

/// An audit package: verify it with `blockbuilders audit verify FILE`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPackageView {
    pub manifest: AuditManifestView,
    pub entries: Vec<AuditEntryView>,
    /// What the entries refer to, as it is at export time (not part of the chain; the
    /// manifest's `evidence_sha256` covers it): `{"users": {"<pseudonym or id>":
    /// {"user_id", "role", "plan", "disabled"}}}` for every user an entry is about or was
    /// made by (keyed as the entries name them), `null` for a user erased or deleted since.
    #[schema(value_type = Object)]
    pub evidence: Value,
}

impl From<AuditPackage> for AuditPackageView {
    fn from(p: AuditPackage) -> AuditPackageView {
        AuditPackageView {
            manifest: p.manifest.into(),
            entries: p.entries.into_iter().map(AuditEntryView::from).collect(),
            evidence: p.evidence,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditExportQuery {
    /// Start of the period (included): an ISO-8601 date or date-time in UTC, or a Unix
    /// time. Default: the beginning.
    pub from: Option<String>,
    /// End of the period (included), as `from`. Default: now.
    pub to: Option<String>,
}

/// Export the audit entries of a period as an audit package (admins with two-factor
/// sign-in on). At most 100,000 entries.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit/export",
    tag = "admin",
    params(AuditExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditPackageView),
        (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope),
        (status = 403, description = "The caller is not an admin (`forbidden`), or has not turned on two-factor sign-in (`two_factor_required`)", body = ErrorEnvelope),
        (status = 422, description = "`from` or `to` is not a time, the period is empty, or it holds more than 100,000 entries (`details.field` names `from` or `to`)", body = ErrorEnvelope),
    )
)]
async fn export_audit(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(query): Query<AuditExportQuery>,
) -> Result<Json<AuditPackageView>, ApiError> {
    let from = match query.from.as_deref() {
        Some(text) => parse_time_field("from", text, None)?,
        None => 0,
    };
    let to = match query.to.as_deref() {
        Some(text) => parse_time_field("to", text, None)?,
        None => bb_store::now_ms(),
    };
    if from > to {
        return Err(ApiError::validation(
            "The period is empty: `from` must not be after `to`.",
            Some(json!({ "field": "from" })),
        ));
    }
    let package = state
        .db()
        .audit()
        .export(from, to, MAX_EXPORT_ENTRIES)
        .await?
        .ok_or_else(|| {
            ApiError::validation(
                format!(
                    "The period holds more than {MAX_EXPORT_ENTRIES} audit entries; export it \
                     in shorter periods (move `from` or `to`)."
                ),
                Some(
                    json!({ "field": "from", "fields": ["from", "to"], "max": MAX_EXPORT_ENTRIES }),
                ),
            )
        })?;
    let view: AuditPackageView = package.into();
    // A copy of every package goes to the object store, so what was handed out can be
    // produced again as it was.
    let key = format!("audit/packages/{}-{}-{}.json", bb_store::now_ms(), from, to);
    let bytes = serde_json::to_vec(&view)
        .map_err(|e| ApiError::Internal(format!("serialising the audit package: {e}")))?;
    let stored = state
        .objects()
        .put(&key, bytes.into())
        .await
        .map_err(|e| ApiError::Internal(format!("storing the audit package: {e}")))?;
    tracing::info!(admin_id = %admin.id, from, to, key, sha256 = %stored.sha256, "audit package exported");
    Ok(Json(view))
}
