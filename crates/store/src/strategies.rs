//! Strategies, their tags and their immutable versions.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::clock::{new_id, now_ms};
use crate::error::{is_unique_on, map_err};
use crate::model::parse_col;
use crate::sql::{DynSql, col, col_bool, col_json, int_bool};
use crate::{Db, StoreError, StrategyStatus, Visibility};

/// A strategy: the record that owns a line of versions.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Strategy {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    /// Lowercase `a-z`, `0-9` and `-`; unique; made from the title at creation and kept
    /// when the title changes (links stay valid).
    pub slug: String,
    pub description: String,
    pub status: StrategyStatus,
    pub visibility: Visibility,
    /// Sorted, lowercase, without duplicates.
    pub tags: Vec<String>,
    /// The newest version's number; 0 when there is none yet.
    pub latest_version: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; bumped by `update` and `add_version`.
    pub updated_at: i64,
}

/// What is needed to create a strategy. It starts as a `Draft`.
///
/// Tags are trimmed and lowercased; empty ones and duplicates are dropped. At most
/// [`MAX_TAGS`] tags of at most [`MAX_TAG_LEN`] characters; the title must not be empty and
/// has at most [`MAX_TITLE_LEN`] characters.
#[derive(Clone, Debug)]
pub struct NewStrategy {
    pub owner_id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
}

/// A partial update: `None` fields are left as they are.
#[derive(Default, Clone, Debug)]
pub struct StrategyPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub status: Option<StrategyStatus>,
}

/// What to list, and for whom.
///
/// **Visibility rule:** a signed-in viewer sees their own strategies (any visibility) and
/// public ones; an anonymous viewer (`viewer: None`) sees public ones only. `Cohort`
/// strategies are visible to their owner only until cohorts exist. Archived strategies are
/// left out unless `status` is `Some(Archived)`.
#[derive(Default, Clone, Debug)]
pub struct StrategyFilter {
    /// The user asking (a user id); `None` = anonymous.
    pub viewer: Option<String>,
    /// Only strategies of this owner.
    pub owner: Option<String>,
    pub visibility: Option<Visibility>,
    pub status: Option<StrategyStatus>,
    /// Only strategies with this tag (compared lowercase).
    pub tag: Option<String>,
    /// Title contains this, ignoring case. (On SQLite only ASCII letters fold case.)
    pub search: Option<String>,
    /// Page size, 1..=100 (larger values are capped at 100); 0 means 20.
    pub limit: u32,
    pub offset: u32,
}

/// One page of a list, newest `updated_at` first.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match the filter, over all pages.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    pub offset: u32,
}

/// One version of a strategy. Immutable: the store has no way to change or delete one.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct StrategyVersion {
    pub strategy_id: String,
    /// 1, 2, 3, ... per strategy.
    pub version: i64,
    /// The strategy document.
    pub graph: serde_json::Value,
    pub notes: String,
    pub author_id: String,
    /// Whether validation found no errors.
    pub valid: bool,
    /// The validator's diagnostics (a JSON array).
    pub diagnostics: serde_json::Value,
    /// Unix ms.
    pub created_at: i64,
}

/// A version to add. `diagnostics` must be a JSON array.
#[derive(Clone, Debug)]
pub struct NewVersion {
    pub author_id: String,
    pub graph: serde_json::Value,
    pub notes: String,
    pub valid: bool,
    pub diagnostics: serde_json::Value,
}

/// The strategies repository (from [`Db::strategies`]).
///
/// It does not check who may read or write what (except in [`Strategies::list`]); the HTTP
/// layer does.
#[derive(Debug, Clone, Copy)]
pub struct Strategies<'a> {
    pub(crate) db: &'a Db,
}

/// Longest title accepted, in characters.
pub const MAX_TITLE_LEN: usize = 200;
/// Most tags on one strategy.
pub const MAX_TAGS: usize = 20;
/// Longest tag accepted, in characters.
pub const MAX_TAG_LEN: usize = 40;
/// Most versions [`Strategies::import`] writes at once.
pub const MAX_IMPORTED_VERSIONS: usize = 1_000;
/// Longest slug base (before a collision suffix).
const MAX_SLUG_LEN: usize = 60;
/// Tries at a free slug before giving up (each after the first adds a random suffix).
const SLUG_ATTEMPTS: usize = 8;
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

macro_rules! strategy_columns {
    () => {
        "s.id, s.owner_id, s.title, s.slug, s.description, s.status, s.visibility, \
         s.latest_version, s.created_at, s.updated_at"
    };
}

macro_rules! version_columns {
    () => {
        "strategy_id, version, graph, notes, author_id, valid, diagnostics, created_at"
    };
}

/// Why one attempt at creating a strategy failed.
enum CreateError {
    /// Another strategy took the slug between the check and the insert.
    SlugTaken,
    Store(StoreError),
}

impl From<StoreError> for CreateError {
    fn from(e: StoreError) -> Self {
        CreateError::Store(e)
    }
}

impl From<sqlx::Error> for CreateError {
    fn from(e: sqlx::Error) -> Self {
        CreateError::Store(e.into())
    }
}

impl Strategies<'_> {
    /// Creates a strategy (a private-or-other `Draft`) and, when given, its version 1, in one
    /// transaction: if the version cannot be written, no strategy is left behind.
    ///
    /// The slug comes from the title; when taken, a short random suffix is added.
    /// `Invalid` when the owner or the author does not exist, or the input breaks a rule of
    /// [`NewStrategy`] / [`NewVersion`].
    pub async fn create(
        &self,
        new: NewStrategy,
        first_version: Option<NewVersion>,
    ) -> Result<(Strategy, Option<StrategyVersion>), StoreError> {
        let title = clean_title(&new.title)?;
        let tags = normalize_tags(&new.tags)?;
        if let Some(v) = &first_version {
            check_version(v)?;
        }
        let base = slugify(&title);
        for attempt in 0..SLUG_ATTEMPTS {
            let slug = self.free_slug(&base, attempt > 0).await?;
            let now = now_ms();
            let strategy = Strategy {
                id: new_id(),
                owner_id: new.owner_id.clone(),
                title: title.clone(),
                slug,
                description: new.description.clone(),
                status: StrategyStatus::Draft,
                visibility: new.visibility,
                tags: tags.clone(),
                latest_version: i64::from(first_version.is_some()),
                created_at: now,
                updated_at: now,
            };
            let version = first_version.as_ref().map(|v| StrategyVersion {
                strategy_id: strategy.id.clone(),
                version: 1,
                graph: v.graph.clone(),
                notes: v.notes.clone(),
                author_id: v.author_id.clone(),
                valid: v.valid,
                diagnostics: v.diagnostics.clone(),
                created_at: now,
            });
            match self.insert_new(&strategy, version.as_slice()).await {
                Ok(()) => return Ok((strategy, version)),
                Err(CreateError::SlugTaken) => continue,
                Err(CreateError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Conflict(format!(
            "no free slug for {title:?} after {SLUG_ATTEMPTS} tries"
        )))
    }

    /// Creates a private-or-other `Draft` strategy with every one of `versions` (numbered 1,
    /// 2, 3, … in the order given, notes kept), its tags included, in one transaction: when
    /// any row cannot be written, nothing is left behind (an imported strategy file).
    ///
    /// The slug comes from the title as in [`Strategies::create`]; `Invalid` on the same
    /// rules, or when there are more than [`MAX_IMPORTED_VERSIONS`] versions.
    pub async fn import(
        &self,
        new: NewStrategy,
        versions: Vec<NewVersion>,
    ) -> Result<(Strategy, Vec<StrategyVersion>), StoreError> {
        let title = clean_title(&new.title)?;
        let tags = normalize_tags(&new.tags)?;
        if versions.len() > MAX_IMPORTED_VERSIONS {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_IMPORTED_VERSIONS} versions may be imported at once"
            )));
        }
        for v in &versions {
            check_version(v)?;
        }
        let base = slugify(&title);
        let latest = i64::try_from(versions.len())
            .map_err(|_| StoreError::Invalid("too many versions".to_owned()))?;
        for attempt in 0..SLUG_ATTEMPTS {
            let slug = self.free_slug(&base, attempt > 0).await?;
            let now = now_ms();
            let strategy = Strategy {
                id: new_id(),
                owner_id: new.owner_id.clone(),
                title: title.clone(),
                slug,
                description: new.description.clone(),
                status: StrategyStatus::Draft,
                visibility: new.visibility,
                tags: tags.clone(),
                latest_version: latest,
                created_at: now,
                updated_at: now,
            };
            let rows: Vec<StrategyVersion> = versions
                .iter()
                .zip(1_i64..)
                .map(|(v, number)| StrategyVersion {
                    strategy_id: strategy.id.clone(),
                    version: number,
                    graph: v.graph.clone(),
                    notes: v.notes.clone(),
                    author_id: v.author_id.clone(),
                    valid: v.valid,
                    diagnostics: v.diagnostics.clone(),
                    created_at: now,
                })
                .collect();
            match self.insert_new(&strategy, &rows).await {
                Ok(()) => return Ok((strategy, rows)),
                Err(CreateError::SlugTaken) => continue,
                Err(CreateError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Conflict(format!(
            "no free slug for {title:?} after {SLUG_ATTEMPTS} tries"
        )))
    }

    async fn insert_new(
        &self,
        s: &Strategy,
        versions: &[StrategyVersion],
    ) -> Result<(), CreateError> {
        let mut tx = self.db.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO strategies (id, owner_id, title, slug, description, status, \
             visibility, latest_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&s.id)
        .bind(&s.owner_id)
        .bind(&s.title)
        .bind(&s.slug)
        .bind(&s.description)
        .bind(s.status.as_str())
        .bind(s.visibility.as_str())
        .bind(s.latest_version)
        .bind(s.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_on(&e, "slug") => return Err(CreateError::SlugTaken),
            Err(e) => {
                return Err(CreateError::Store(map_err(e, &[], "owner does not exist")));
            }
        }
        insert_tags(&mut tx, &s.id, &s.tags).await?;
        for v in versions {
            insert_version(&mut tx, v)
                .await
                .map_err(CreateError::Store)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `base`, or `base-xxxxxx` when `base` is taken or `suffix` is asked for.
    async fn free_slug(&self, base: &str, suffix: bool) -> Result<String, StoreError> {
        let mut candidate = base.to_owned();
        for attempt in 0..SLUG_ATTEMPTS {
            if attempt > 0 || suffix {
                candidate = format!("{base}-{}", slug_suffix());
            }
            let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM strategies WHERE slug = $1")
                .bind(&candidate)
                .fetch_one(&self.db.pool)
                .await?;
            if taken == 0 {
                break;
            }
        }
        // Taken every time (astronomically unlikely): the insert's unique check decides.
        Ok(candidate)
    }

    /// The strategy with this id (with its tags); `NotFound` if none.
    pub async fn get(&self, id: &str) -> Result<Strategy, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        fetch_strategy(&mut conn, id).await
    }

    /// A page of the strategies `filter.viewer` may see (see [`StrategyFilter`] for the
    /// visibility rule), newest `updated_at` first, with their tags.
    pub async fn list(&self, filter: &StrategyFilter) -> Result<Page<Strategy>, StoreError> {
        let limit = match filter.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let mut from = DynSql::new(" FROM strategies s WHERE ");
        match &filter.viewer {
            // Own strategies (any visibility, cohort included) and public ones.
            Some(viewer) => {
                from.push("(s.owner_id = ")
                    .bind_text(viewer)
                    .push(" OR s.visibility = 'public')");
            }
            None => {
                from.push("s.visibility = 'public'");
            }
        }
        if let Some(owner) = &filter.owner {
            from.push(" AND s.owner_id = ").bind_text(owner);
        }
        if let Some(visibility) = filter.visibility {
            from.push(" AND s.visibility = ")
                .bind_text(visibility.as_str());
        }
        match filter.status {
            Some(status) => {
                from.push(" AND s.status = ").bind_text(status.as_str());
            }
            None => {
                from.push(" AND s.status <> 'archived'");
            }
        }
        if let Some(tag) = &filter.tag {
            from.push(
                " AND EXISTS (SELECT 1 FROM strategy_tags t \
                 WHERE t.strategy_id = s.id AND t.tag = ",
            )
            .bind_text(tag.trim().to_lowercase())
            .push(")");
        }
        if let Some(search) = filter.search.as_deref().map(str::trim)
            && !search.is_empty()
        {
            from.push(" AND LOWER(s.title) LIKE ")
                .bind_text(like_pattern(search))
                .push(" ESCAPE '\\'");
        }

        let mut count = DynSql::new("SELECT COUNT(*) AS n");
        count.push(&from.text);
        count.args = from.args.clone();
        let total: i64 = col(&count.query().fetch_one(&self.db.pool).await?, "n")?;

        let mut page = DynSql::new(concat!("SELECT ", strategy_columns!()));
        page.push(&from.text);
        page.args = from.args;
        page.push(" ORDER BY s.updated_at DESC, s.id DESC LIMIT ")
            .bind_int(i64::from(limit))
            .push(" OFFSET ")
            .bind_int(i64::from(filter.offset));
        let rows = page.query().fetch_all(&self.db.pool).await?;
        let mut items = rows
            .iter()
            .map(strategy_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = self.db.pool.acquire().await?;
        let ids: Vec<&str> = items.iter().map(|s| s.id.as_str()).collect();
        let mut tags = fetch_tags(&mut conn, &ids).await?;
        for s in &mut items {
            s.tags = tags.remove(&s.id).unwrap_or_default();
        }
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or_default(),
            limit,
            offset: filter.offset,
        })
    }

    /// Applies a patch, bumps `updated_at` and, when `tags` is given, replaces the tags, in
    /// one transaction. `NotFound` if there is no such strategy.
    pub async fn update(&self, id: &str, patch: StrategyPatch) -> Result<Strategy, StoreError> {
        let title = patch.title.as_deref().map(clean_title).transpose()?;
        let tags = patch.tags.as_deref().map(normalize_tags).transpose()?;
        let mut sql = DynSql::new("UPDATE strategies SET updated_at = ");
        sql.bind_int(now_ms());
        if let Some(title) = title {
            sql.push(", title = ").bind_text(title);
        }
        if let Some(description) = patch.description {
            sql.push(", description = ").bind_text(description);
        }
        if let Some(visibility) = patch.visibility {
            sql.push(", visibility = ").bind_text(visibility.as_str());
        }
        if let Some(status) = patch.status {
            sql.push(", status = ").bind_text(status.as_str());
        }
        sql.push(" WHERE id = ").bind_text(id);

        let mut tx = self.db.pool.begin().await?;
        // The UPDATE comes first so the transaction takes the write lock before reading.
        let done = sql.query().execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(tags) = tags {
            sqlx::query("DELETE FROM strategy_tags WHERE strategy_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_tags(&mut tx, id, &tags).await?;
        }
        let strategy = fetch_strategy(&mut tx, id).await?;
        tx.commit().await?;
        Ok(strategy)
    }

    /// Adds the next version (`latest_version + 1`) and bumps `updated_at`, in one
    /// transaction. Concurrent calls on one strategy get distinct, gapless numbers: the
    /// counter is incremented by one atomic `UPDATE .. RETURNING`, which holds the row lock
    /// (PostgreSQL) or the write lock (SQLite) until commit; the primary key
    /// `(strategy_id, version)` is the backstop. `NotFound` if there is no such strategy,
    /// `Invalid` if the author does not exist.
    pub async fn add_version(
        &self,
        id: &str,
        v: NewVersion,
    ) -> Result<StrategyVersion, StoreError> {
        check_version(&v)?;
        let now = now_ms();
        let mut tx = self.db.pool.begin().await?;
        let next: Option<i64> = sqlx::query_scalar(
            "UPDATE strategies SET latest_version = latest_version + 1, updated_at = $1 \
             WHERE id = $2 RETURNING latest_version",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let version = StrategyVersion {
            strategy_id: id.to_owned(),
            version: next.ok_or(StoreError::NotFound)?,
            graph: v.graph,
            notes: v.notes,
            author_id: v.author_id,
            valid: v.valid,
            diagnostics: v.diagnostics,
            created_at: now,
        };
        insert_version(&mut tx, &version).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Every version of a strategy, oldest first. `NotFound` if there is no such strategy.
    pub async fn versions(&self, id: &str) -> Result<Vec<StrategyVersion>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            version_columns!(),
            " FROM strategy_versions WHERE strategy_id = $1 ORDER BY version"
        ))
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            // No versions yet, or no strategy at all.
            self.get(id).await?;
        }
        rows.iter().map(version_from_row).collect()
    }

    /// Version `n` of a strategy; `NotFound` if there is no such version.
    pub async fn version(&self, id: &str, n: i64) -> Result<StrategyVersion, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            version_columns!(),
            " FROM strategy_versions WHERE strategy_id = $1 AND version = $2"
        ))
        .bind(id)
        .bind(n)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        version_from_row(&row)
    }

    /// A private `Draft` copy of strategy `id` owned by `new_owner`, titled `title` (default:
    /// the source's title; the slug gets a suffix), with the source's description and tags
    /// and, when the source has versions, its latest version as version 1 authored by
    /// `new_owner` with the notes `Cloned from <title> v<n>`. One transaction.
    ///
    /// Whether `new_owner` may see the source is the caller's check.
    pub async fn clone_strategy(
        &self,
        id: &str,
        new_owner: &str,
        title: Option<String>,
    ) -> Result<(Strategy, Option<StrategyVersion>), StoreError> {
        // Versions are immutable, so reading the source before the write transaction is
        // as good as reading it inside.
        let source = self.get(id).await?;
        let latest = if source.latest_version > 0 {
            Some(self.version(id, source.latest_version).await?)
        } else {
            None
        };
        let first = latest.map(|v| NewVersion {
            author_id: new_owner.to_owned(),
            graph: v.graph,
            notes: format!("Cloned from {} v{}", source.title, v.version),
            valid: v.valid,
            diagnostics: v.diagnostics,
        });
        self.create(
            NewStrategy {
                owner_id: new_owner.to_owned(),
                title: title.unwrap_or_else(|| source.title.clone()),
                description: source.description.clone(),
                tags: source.tags.clone(),
                visibility: Visibility::Private,
            },
            first,
        )
        .await
    }
}

/// Creates a private `Draft` strategy with `first` as its version 1 on `conn`, inside the
/// caller's transaction (a clone of a template). The slug gets a random suffix at once, so
/// one attempt is enough; a collision all the same is a `Conflict`.
pub(crate) async fn create_in(
    conn: &mut AnyConnection,
    new: NewStrategy,
    first: NewVersion,
) -> Result<(Strategy, StrategyVersion), StoreError> {
    let title = clean_title(&new.title)?;
    let tags = normalize_tags(&new.tags)?;
    check_version(&first)?;
    let now = now_ms();
    let strategy = Strategy {
        id: new_id(),
        owner_id: new.owner_id,
        slug: format!("{}-{}", slugify(&title), slug_suffix()),
        title,
        description: new.description,
        status: StrategyStatus::Draft,
        visibility: new.visibility,
        tags,
        latest_version: 1,
        created_at: now,
        updated_at: now,
    };
    let version = StrategyVersion {
        strategy_id: strategy.id.clone(),
        version: 1,
        graph: first.graph,
        notes: first.notes,
        author_id: first.author_id,
        valid: first.valid,
        diagnostics: first.diagnostics,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO strategies (id, owner_id, title, slug, description, status, \
         visibility, latest_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&strategy.id)
    .bind(&strategy.owner_id)
    .bind(&strategy.title)
    .bind(&strategy.slug)
    .bind(&strategy.description)
    .bind(strategy.status.as_str())
    .bind(strategy.visibility.as_str())
    .bind(strategy.latest_version)
    .bind(strategy.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        map_err(
            e,
            &[("slug", "the strategy's address is taken; try again")],
            "owner does not exist",
        )
    })?;
    insert_tags(conn, &strategy.id, &strategy.tags).await?;
    insert_version(conn, &version).await?;
    Ok((strategy, version))
}

async fn fetch_strategy(conn: &mut AnyConnection, id: &str) -> Result<Strategy, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        strategy_columns!(),
        " FROM strategies s WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut strategy = strategy_from_row(&row)?;
    strategy.tags = fetch_tags(conn, &[id])
        .await?
        .remove(id)
        .unwrap_or_default();
    Ok(strategy)
}

/// Tags of the given strategies, sorted, by strategy id.
async fn fetch_tags(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = DynSql::new("SELECT strategy_id, tag FROM strategy_tags WHERE strategy_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_text(*id);
    }
    sql.push(") ORDER BY tag");
    for row in sql.query().fetch_all(&mut *conn).await? {
        out.entry(col(&row, "strategy_id")?)
            .or_default()
            .push(col(&row, "tag")?);
    }
    Ok(out)
}

async fn insert_tags(
    conn: &mut AnyConnection,
    id: &str,
    tags: &[String],
) -> Result<(), StoreError> {
    for tag in tags {
        sqlx::query("INSERT INTO strategy_tags (strategy_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn insert_version(conn: &mut AnyConnection, v: &StrategyVersion) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO strategy_versions (strategy_id, version, graph, notes, author_id, valid, \
         diagnostics, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&v.strategy_id)
    .bind(v.version)
    .bind(v.graph.to_string())
    .bind(&v.notes)
    .bind(&v.author_id)
    .bind(int_bool(v.valid))
    .bind(v.diagnostics.to_string())
    .bind(v.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        map_err(
            e,
            &[("version", "this version number already exists")],
            "author does not exist",
        )
    })?;
    Ok(())
}

fn strategy_from_row(row: &AnyRow) -> Result<Strategy, StoreError> {
    Ok(Strategy {
        id: col(row, "id")?,
        owner_id: col(row, "owner_id")?,
        title: col(row, "title")?,
        slug: col(row, "slug")?,
        description: col(row, "description")?,
        status: parse_col("strategy status", &col::<String>(row, "status")?)?,
        visibility: parse_col("visibility", &col::<String>(row, "visibility")?)?,
        tags: Vec::new(),
        latest_version: col(row, "latest_version")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<StrategyVersion, StoreError> {
    Ok(StrategyVersion {
        strategy_id: col(row, "strategy_id")?,
        version: col(row, "version")?,
        graph: col_json(row, "graph")?,
        notes: col(row, "notes")?,
        author_id: col(row, "author_id")?,
        valid: col_bool(row, "valid")?,
        diagnostics: col_json(row, "diagnostics")?,
        created_at: col(row, "created_at")?,
    })
}

fn clean_title(title: &str) -> Result<String, StoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(StoreError::Invalid("title must not be empty".to_owned()));
    }
    if title.chars().count() > MAX_TITLE_LEN {
        return Err(StoreError::Invalid(format!(
            "title is longer than {MAX_TITLE_LEN} characters"
        )));
    }
    Ok(title.to_owned())
}

fn normalize_tags(tags: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    out.sort();
    out.dedup();
    if out.len() > MAX_TAGS {
        return Err(StoreError::Invalid(format!(
            "at most {MAX_TAGS} tags are allowed"
        )));
    }
    if let Some(long) = out.iter().find(|t| t.chars().count() > MAX_TAG_LEN) {
        return Err(StoreError::Invalid(format!(
            "tag {long:?} is longer than {MAX_TAG_LEN} characters"
        )));
    }
    Ok(out)
}

fn check_version(v: &NewVersion) -> Result<(), StoreError> {
    if v.diagnostics.is_array() {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "diagnostics must be a JSON array".to_owned(),
        ))
    }
}

/// Lowercase `a-z0-9` runs joined by single `-`, at most [`MAX_SLUG_LEN`] characters;
/// `strategy` when nothing is left.
fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(MAX_SLUG_LEN);
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "strategy".to_owned()
    } else {
        slug
    }
}

/// Six random hex digits (the random tail of a uuid v7).
fn slug_suffix() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 6..].to_owned()
}

/// `%text%`, lowercase, with `\`, `%` and `_` escaped (for `LIKE .. ESCAPE '\'`).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Golden Cross (BTC, 4h)!"), "golden-cross-btc-4h");
        assert_eq!(slugify("  --RSI  dip--  "), "rsi-dip");
        assert_eq!(slugify("Ünïcode ☃"), "n-code");
        assert_eq!(slugify("☃☃"), "strategy");
        assert_eq!(slugify(&"a".repeat(100)).len(), MAX_SLUG_LEN);
        assert_eq!(slugify(&format!("{} b", "a".repeat(59))), "a".repeat(59));
        let suffix = slug_suffix();
        assert_eq!(suffix.len(), 6);
        assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn tags_are_normalised() {
        let tags = normalize_tags(&[" BTC ".into(), "btc".into(), "".into(), "Trend".into()]);
        assert_eq!(tags.unwrap(), vec!["btc", "trend"]);
        assert!(normalize_tags(&vec!["x".to_owned(); 1]).is_ok());
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert!(normalize_tags(&many).is_err());
        assert!(normalize_tags(&["x".repeat(MAX_TAG_LEN + 1)]).is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_A\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn titles() {
        assert_eq!(clean_title("  x ").unwrap(), "x");
        assert!(clean_title("   ").is_err());
        assert!(clean_title(&"x".repeat(MAX_TITLE_LEN + 1)).is_err());
    }
}
