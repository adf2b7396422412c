//! The store's conformance suite: every test runs on SQLite AND on PostgreSQL
//! (`NAME::sqlite`, `NAME::postgres`), so the one code path is proven on both.
//!
//! The postgres half needs a server (see `harness`); without one those tests fail.

#[macro_use]
mod harness;

use std::collections::BTreeSet;

use bb_store::{
    Db, MIGRATIONS, Migration, NewStrategy, NewUser, NewVersion, PlanTier, Role, StoreError,
    Strategy, StrategyFilter, StrategyPatch, StrategyStatus, User, Visibility,
};
use serde_json::json;

// ---------------------------------------------------------------------------------------
// helpers

async fn user(db: &Db, email: &str) -> User {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some(format!("hash-of-{email}")),
            display_name: email.split('@').next().unwrap().to_owned(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .expect("create user")
}

fn graph(n: i64) -> serde_json::Value {
    json!({
        "schema_version": 2,
        "nodes": [{ "id": format!("n{n}"), "kind": "sma", "params": { "period": n } }],
        "edges": []
    })
}

fn version(author: &User, n: i64) -> NewVersion {
    NewVersion {
        author_id: author.id.clone(),
        graph: graph(n),
        notes: format!("v{n}"),
        valid: n % 2 == 1,
        diagnostics: json!([{ "code": "demo", "n": n }]),
    }
}

fn strategy(owner: &User, title: &str, visibility: Visibility, tags: &[&str]) -> NewStrategy {
    NewStrategy {
        owner_id: owner.id.clone(),
        title: title.to_owned(),
        description: format!("about {title}"),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        visibility,
    }
}

async fn create(db: &Db, owner: &User, title: &str, visibility: Visibility) -> Strategy {
    db.strategies()
        .create(strategy(owner, title, visibility, &[]), None)
        .await
        .expect("create strategy")
        .0
}

fn titles(items: &[Strategy]) -> Vec<&str> {
    items.iter().map(|s| s.title.as_str()).collect()
}

fn title_set(items: &[Strategy]) -> BTreeSet<&str> {
    items.iter().map(|s| s.title.as_str()).collect()
}

fn viewer(u: &User) -> StrategyFilter {
    StrategyFilter {
        viewer: Some(u.id.clone()),
        ..StrategyFilter::default()
    }
}

/// `MIGRATIONS` with some changes, as `'static` data for `migrate_with`.
fn altered(f: impl FnOnce(&mut Vec<Migration>)) -> &'static [Migration] {
    let mut set = MIGRATIONS.to_vec();
    f(&mut set);
    set.leak()
}

// ---------------------------------------------------------------------------------------
// migrations

conformance!(
    /// From an empty database every migration applies, in order; a second run applies none.
    unmigrated async fn migrations_apply_from_scratch_and_are_idempotent(db) {
        assert_eq!(db.pending_migrations().await.unwrap(), MIGRATIONS.len());
        let applied = db.migrate().await.unwrap();
        assert_eq!(
            applied,
            vec![
                "0001_accounts",
                "0002_strategies",
                "0003_runs_and_sharing",
                "0004_market_data",
                "0005_jobs",
                "0006_dataset_owners",
                "0007_backtest_runs",
                "0008_job_lost_leases",
                "0009_account_security",
                "0010_dataset_names_per_owner",
                "0011_shared_fetches",
                "0012_paper_trades",
                "0013_candle_revisions",
                "0014_paper_baskets",
                "0015_holdout_looks",
                "0016_audit_log",
                "0017_templates",
                "0018_cohorts",
                "0019_webhooks",
                "0020_billing",
                "0021_email",
                "0022_account_email",
                "0023_screener",
                "0024_erasure",
                "0025_backups",
                "0026_retention_indexes"
            ]
        );
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
        assert_eq!(db.migrate().await.unwrap(), Vec::<String>::new());
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
        db.ping().await.unwrap();
        // the schema works
        let u = user(&db, "first@example.com").await;
        assert_eq!(db.users().get(&u.id).await.unwrap(), u);
    }
);

conformance!(
    /// Migrations are append-only: an edited applied migration and an unknown applied one are
    /// refused; a new migration appended to the list is applied.
    unmigrated async fn changed_checksum_is_refused(db) {
        db.migrate().await.unwrap();

        let edited = altered(|set| {
            set[1].sql = format!("{}\n-- edited after release\n", set[1].sql).leak();
        });
        match db.migrate_with(edited).await {
            Err(StoreError::Invalid(msg)) => {
                assert!(msg.contains("0002_strategies"), "{msg}");
                assert!(msg.contains("append-only"), "{msg}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }

        let older_build = altered(|set| {
            set.pop();
        });
        match db.migrate_with(older_build).await {
            Err(StoreError::Invalid(msg)) => assert!(msg.contains("newer build"), "{msg}"),
            other => panic!("expected Invalid, got {other:?}"),
        }

        let appended = altered(|set| {
            set.push(Migration {
                version: 1000,
                name: "1000_extra",
                sql: "CREATE TABLE extra_things (id TEXT PRIMARY KEY, n BIGINT NOT NULL);",
            });
        });
        assert_eq!(db.migrate_with(appended).await.unwrap(), vec!["1000_extra"]);
        assert_eq!(
            db.migrate_with(appended).await.unwrap(),
            Vec::<String>::new()
        );
        // the untouched, original list is still consistent with the database
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
    }
);

conformance!(
    /// Two processes migrating at once (here: two calls sharing a pool) apply each migration
    /// exactly once between them and both succeed.
    unmigrated async fn concurrent_migrations_apply_each_once(db) {
        let (a, b) = tokio::join!(db.migrate(), db.migrate());
        let mut all = a.unwrap();
        all.extend(b.unwrap());
        all.sort();
        let expected: Vec<String> = MIGRATIONS.iter().map(|m| m.name.to_owned()).collect();
        assert_eq!(all, expected);
        assert_eq!(db.pending_migrations().await.unwrap(), 0);
    }
);

// ---------------------------------------------------------------------------------------
// users

conformance!(
    async fn users_create_get_and_duplicate_email(db) {
        let users = db.users();
        let ada = users
            .create(NewUser {
                email: "  Ada@Example.COM ".to_owned(),
                password_hash: Some("$argon2id$v=19$abc".to_owned()),
                display_name: "Ada".to_owned(),
                role: Role::Builder,
                plan: PlanTier::Free,
                external_subject: None,
            })
            .await
            .unwrap();
        assert_eq!(ada.email, "ada@example.com");
        assert_eq!(ada.role, Role::Builder);
        assert_eq!(ada.plan, PlanTier::Free);
        assert!(uuid::Uuid::parse_str(&ada.id).is_ok());
        assert_eq!(users.get(&ada.id).await.unwrap(), ada);

        // same address, other case
        let dup = users
            .create(NewUser {
                email: "ada@EXAMPLE.com".to_owned(),
                password_hash: None,
                display_name: "Other".to_owned(),
                role: Role::Builder,
                plan: PlanTier::Free,
                external_subject: None,
            })
            .await;
        assert_eq!(
            dup,
            Err(StoreError::Conflict("email already registered".to_owned()))
        );

        let (found, hash) = users.by_email("ADA@example.com ").await.unwrap().unwrap();
        assert_eq!(found, ada);
        assert_eq!(hash.as_deref(), Some("$argon2id$v=19$abc"));
        assert_eq!(users.by_email("nobody@example.com").await.unwrap(), None);
        assert_eq!(users.get("no-such-id").await, Err(StoreError::NotFound));

        let promoted = users.set_role(&ada.id, Role::Educator, None).await.unwrap();
        assert_eq!(promoted.role, Role::Educator);
        assert_eq!(promoted.id, ada.id);
        assert_eq!(users.get(&ada.id).await.unwrap().role, Role::Educator);
        let upgraded = users.set_plan(&ada.id, PlanTier::Premium, None).await.unwrap();
        assert_eq!(
            (upgraded.role, upgraded.plan),
            (Role::Educator, PlanTier::Premium)
        );
        assert_eq!(
            users.set_role("no-such-id", Role::Admin, None).await,
            Err(StoreError::NotFound)
        );
        assert_eq!(
            users.set_plan("no-such-id", PlanTier::Free, None).await,
            Err(StoreError::NotFound)
        );

        let bad = users
            .create(NewUser {
                email: "not-an-email".to_owned(),
                password_hash: None,
                display_name: String::new(),
                role: Role::Builder,
                plan: PlanTier::Free,
                external_subject: None,
            })
            .await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
    }
);

conformance!(
    /// Users from an external provider have no password hash and are found by subject.
    async fn external_users(db) {
        let users = db.users();
        let new = |email: &str, subject: &str| NewUser {
            email: email.to_owned(),
            password_hash: None,
            display_name: String::new(),
            role: Role::Builder,
            plan: PlanTier::Educator,
            external_subject: Some(subject.to_owned()),
        };
        let grace = users
            .create(new("grace@example.com", "sb|42"))
            .await
            .unwrap();
        assert_eq!(grace.display_name, "grace");
        assert_eq!(
            users.by_external_subject("sb|42").await.unwrap(),
            Some(grace.clone())
        );
        assert_eq!(users.by_external_subject("sb|43").await.unwrap(), None);
        let (_, hash) = users.by_email("grace@example.com").await.unwrap().unwrap();
        assert_eq!(hash, None);
        assert_eq!(
            users.create(new("other@example.com", "sb|42")).await,
            Err(StoreError::Conflict(
                "external account already linked to another user".to_owned()
            ))
        );
        // several users without an external subject are fine (NULLs are not equal)
        user(&db, "local1@example.com").await;
        user(&db, "local2@example.com").await;
    }
);

conformance!(
    /// Ids are TEXT: strings that look like numbers (a uuid's simple form can) come back
    /// exactly as written, leading zeros and all, and never compare equal to another
    /// spelling of the same number.
    async fn numeric_looking_ids_round_trip_as_text(db) {
        let owner = user(&db, "num@example.com").await;
        let tokens = db.tokens();
        for (family, hash) in [
            (
                "6778776194704156e000000000000001",
                "00000000000000000000000000000001",
            ),
            ("12345678901234567890123456789012", "1e5"),
            ("0012345678901234567890123456789", "0x10"),
        ] {
            let t = tokens.create(&owner.id, family, hash, 1).await.unwrap();
            let found = tokens.find(hash).await.unwrap().unwrap();
            assert_eq!(found, t);
            assert_eq!(found.family_id, family);
        }
        // a different spelling of the same number is a different string
        assert_eq!(tokens.find("1").await.unwrap(), None);
        assert_eq!(tokens.find("100000").await.unwrap(), None);
        assert_eq!(
            tokens
                .revoke_family("12345678901234567890123456789012")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            tokens.revoke_family("1.2345678901234568e31").await.unwrap(),
            0
        );

        let subject = "0001234567890123456789";
        let ext = db
            .users()
            .create(NewUser {
                email: "ext@example.com".to_owned(),
                password_hash: None,
                display_name: "Ext".to_owned(),
                role: Role::Builder,
                plan: PlanTier::Free,
                external_subject: Some(subject.to_owned()),
            })
            .await
            .unwrap();
        assert_eq!(
            db.users().by_external_subject(subject).await.unwrap(),
            Some(ext)
        );
        assert_eq!(
            db.users()
                .by_external_subject("1234567890123456789")
                .await
                .unwrap(),
            None
        );
    }
);

// ---------------------------------------------------------------------------------------
// refresh tokens

conformance!(
    async fn refresh_tokens_rotate_detect_reuse_and_revoke(db) {
        let u = user(&db, "tok@example.com").await;
        let tokens = db.tokens();
        let t1 = tokens
            .create(&u.id, "fam-1", "hash-1", 1_000)
            .await
            .unwrap();
        assert_eq!(t1.family_id, "fam-1");
        assert_eq!(t1.revoked_at, None);
        assert_eq!(tokens.find("hash-1").await.unwrap(), Some(t1.clone()));
        assert_eq!(tokens.find("hash-x").await.unwrap(), None);

        let t2 = tokens.rotate(&t1.id, "hash-2", 2_000).await.unwrap();
        assert_ne!(t2.id, t1.id);
        assert_eq!(
            (t2.user_id.as_str(), t2.family_id.as_str()),
            (u.id.as_str(), "fam-1")
        );
        assert_eq!(t2.expires_at, 2_000);
        let old = tokens.find("hash-1").await.unwrap().unwrap();
        assert!(old.revoked_at.is_some());
        assert_eq!(old.replaced_by.as_deref(), Some(t2.id.as_str()));
        assert_eq!(tokens.find("hash-2").await.unwrap(), Some(t2.clone()));

        // reuse of the rotated token: Conflict, and nothing was written
        assert!(matches!(
            tokens.rotate(&t1.id, "hash-3", 3_000).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(tokens.find("hash-3").await.unwrap(), None);
        assert_eq!(
            tokens
                .find("hash-1")
                .await
                .unwrap()
                .unwrap()
                .replaced_by
                .as_deref(),
            Some(t2.id.as_str())
        );
        assert_eq!(
            tokens.rotate("no-such-token", "hash-4", 1).await,
            Err(StoreError::NotFound)
        );

        // the caller answers reuse by revoking the family
        assert_eq!(tokens.revoke_family("fam-1").await.unwrap(), 1);
        assert_eq!(tokens.revoke_family("fam-1").await.unwrap(), 0);
        assert!(
            tokens
                .find("hash-2")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(matches!(
            tokens.rotate(&t2.id, "hash-5", 1).await,
            Err(StoreError::Conflict(_))
        ));

        // sign out everywhere
        tokens.create(&u.id, "fam-2", "hash-6", 1).await.unwrap();
        tokens.create(&u.id, "fam-3", "hash-7", 1).await.unwrap();
        let other = user(&db, "other@example.com").await;
        tokens
            .create(&other.id, "fam-4", "hash-8", 1)
            .await
            .unwrap();
        assert_eq!(tokens.revoke_all(&u.id).await.unwrap(), 2);
        assert_eq!(
            tokens.find("hash-8").await.unwrap().unwrap().revoked_at,
            None
        );

        assert!(matches!(
            tokens.create(&u.id, "fam-5", "hash-8", 1).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            tokens.create("no-such-user", "fam-6", "hash-9", 1).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

conformance!(
    /// Of many concurrent rotations of one token exactly one wins; the rest see reuse.
    async fn concurrent_rotations_of_one_token_have_one_winner(db) {
        let u = user(&db, "race@example.com").await;
        let t = db.tokens().create(&u.id, "fam", "hash-0", 1).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 1..=10 {
            let db = db.clone();
            let id = t.id.clone();
            tasks.spawn(async move { db.tokens().rotate(&id, &format!("hash-{i}"), 1).await });
        }
        let (mut won, mut reused) = (0, 0);
        while let Some(r) = tasks.join_next().await {
            match r.unwrap() {
                Ok(_) => won += 1,
                Err(StoreError::Conflict(_)) => reused += 1,
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!((won, reused), (1, 9));
    }
);

// ---------------------------------------------------------------------------------------
// strategies

conformance!(
    async fn strategy_create_with_first_version(db) {
        let ada = user(&db, "ada@example.com").await;
        let (s, v) = db
            .strategies()
            .create(
                strategy(
                    &ada,
                    "Golden Cross",
                    Visibility::Private,
                    &["Trend", " btc", "trend"],
                ),
                Some(version(&ada, 1)),
            )
            .await
            .unwrap();
        let v = v.expect("first version");
        assert_eq!(s.slug, "golden-cross");
        assert_eq!(s.status, StrategyStatus::Draft);
        assert_eq!(s.visibility, Visibility::Private);
        assert_eq!(s.tags, vec!["btc", "trend"]);
        assert_eq!(s.latest_version, 1);
        assert_eq!(s.owner_id, ada.id);
        assert_eq!(s.description, "about Golden Cross");
        assert_eq!(v.version, 1);
        assert_eq!(v.strategy_id, s.id);
        assert_eq!(v.graph, graph(1));
        assert!(v.valid);
        assert_eq!(v.diagnostics, json!([{ "code": "demo", "n": 1 }]));

        assert_eq!(db.strategies().get(&s.id).await.unwrap(), s);
        assert_eq!(db.strategies().version(&s.id, 1).await.unwrap(), v);
        assert_eq!(db.strategies().versions(&s.id).await.unwrap(), vec![v]);
        assert_eq!(
            db.strategies().get("no-such-id").await,
            Err(StoreError::NotFound)
        );
        assert_eq!(
            db.strategies().versions("no-such-id").await,
            Err(StoreError::NotFound)
        );

        // without a version
        let (bare, none) = db
            .strategies()
            .create(strategy(&ada, "Bare", Visibility::Public, &[]), None)
            .await
            .unwrap();
        assert_eq!(none, None);
        assert_eq!(bare.latest_version, 0);
        assert_eq!(db.strategies().versions(&bare.id).await.unwrap(), vec![]);

        // input rules
        for bad in [
            db.strategies()
                .create(strategy(&ada, "   ", Visibility::Private, &[]), None)
                .await,
            db.strategies()
                .create(
                    strategy(&ada, "x", Visibility::Private, &[]),
                    Some(NewVersion {
                        diagnostics: json!({}),
                        ..version(&ada, 1)
                    }),
                )
                .await,
        ] {
            assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
        }
    }
);

conformance!(
    /// Strategy, tags and first version are one transaction: a version that cannot be
    /// written (its author does not exist) leaves no strategy behind.
    async fn strategy_create_rolls_back_as_a_whole(db) {
        let ada = user(&db, "ada@example.com").await;
        let bad_version = NewVersion {
            author_id: "no-such-user".to_owned(),
            ..version(&ada, 1)
        };
        let result = db
            .strategies()
            .create(
                strategy(&ada, "Doomed", Visibility::Public, &["x"]),
                Some(bad_version),
            )
            .await;
        assert_eq!(
            result,
            Err(StoreError::Invalid("author does not exist".to_owned()))
        );
        let mine = db.strategies().list(&viewer(&ada)).await.unwrap();
        assert_eq!(mine.total, 0);
        assert_eq!(db.plans().count_strategies(&ada.id).await.unwrap(), 0);
        // the slug was not kept either
        let (s, _) = db
            .strategies()
            .create(strategy(&ada, "Doomed", Visibility::Public, &[]), None)
            .await
            .unwrap();
        assert_eq!(s.slug, "doomed");

        let orphan = NewStrategy {
            owner_id: "no-such-user".to_owned(),
            ..strategy(&ada, "Orphan", Visibility::Public, &[])
        };
        assert_eq!(
            db.strategies().create(orphan, None).await,
            Err(StoreError::Invalid("owner does not exist".to_owned()))
        );
    }
);

conformance!(
    /// An import writes the strategy, its tags and every version (numbered in order, notes
    /// kept) in one transaction: one bad version leaves nothing behind.
    async fn strategy_import_writes_every_version_or_nothing(db) {
        let ada = user(&db, "ada@example.com").await;
        let versions: Vec<NewVersion> = (1..=5).map(|n| version(&ada, n * 10)).collect();
        let (s, written) = db
            .strategies()
            .import(
                strategy(&ada, "Imported", Visibility::Private, &["b", "a"]),
                versions,
            )
            .await
            .expect("import");
        assert_eq!(s.latest_version, 5);
        assert_eq!(s.tags, ["a", "b"]);
        let stored = db.strategies().versions(&s.id).await.unwrap();
        assert_eq!(stored, written);
        let numbers: Vec<i64> = stored.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(stored[2].notes, "v30");
        assert_eq!(stored[2].graph, graph(30));
        assert_eq!(db.strategies().get(&s.id).await.unwrap().tags, ["a", "b"]);

        let mut broken: Vec<NewVersion> = (1..=3).map(|n| version(&ada, n)).collect();
        broken[2].author_id = "no-such-user".to_owned();
        let result = db
            .strategies()
            .import(strategy(&ada, "Doomed import", Visibility::Private, &["x"]), broken)
            .await;
        assert_eq!(
            result.map(|_| ()),
            Err(StoreError::Invalid("author does not exist".to_owned()))
        );
        assert_eq!(db.plans().count_strategies(&ada.id).await.unwrap(), 1);

        let too_many: Vec<NewVersion> = (0..=bb_store::MAX_IMPORTED_VERSIONS as i64)
            .map(|n| version(&ada, n))
            .collect();
        assert!(matches!(
            db.strategies()
                .import(strategy(&ada, "Too many", Visibility::Private, &[]), too_many)
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(db.plans().count_strategies(&ada.id).await.unwrap(), 1);
    }
);

conformance!(
    /// Slugs are unique: a taken one gets a short suffix, also under concurrent creation.
    async fn slugs_are_unique(db) {
        let ada = user(&db, "ada@example.com").await;
        let first = create(&db, &ada, "Golden Cross!", Visibility::Private).await;
        let second = create(&db, &ada, "golden   cross", Visibility::Private).await;
        assert_eq!(first.slug, "golden-cross");
        assert_ne!(second.slug, first.slug);
        assert!(second.slug.starts_with("golden-cross-"), "{}", second.slug);
        assert!(
            second
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );

        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let db = db.clone();
            let ada = ada.clone();
            tasks.spawn(async move {
                create(&db, &ada, "Mean Reversion", Visibility::Public).await
            });
        }
        let mut slugs = BTreeSet::new();
        while let Some(s) = tasks.join_next().await {
            let s = s.unwrap();
            assert!(s.slug.starts_with("mean-reversion"), "{}", s.slug);
            slugs.insert(s.slug);
        }
        assert_eq!(slugs.len(), 8);
        assert!(slugs.contains("mean-reversion"));
    }
);

conformance!(
    /// Who sees what: own strategies (any visibility) plus public ones; anonymous sees
    /// public only; cohort is owner-only for now; archived are hidden unless asked for.
    async fn list_follows_the_visibility_rule(db) {
        let alice = user(&db, "alice@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        create(&db, &alice, "A private", Visibility::Private).await;
        create(&db, &alice, "A cohort", Visibility::Cohort).await;
        create(&db, &alice, "A public", Visibility::Public).await;
        let archived = create(&db, &alice, "A archived", Visibility::Public).await;
        db.strategies()
            .update(
                &archived.id,
                StrategyPatch {
                    status: Some(StrategyStatus::Archived),
                    ..StrategyPatch::default()
                },
            )
            .await
            .unwrap();
        create(&db, &bob, "B public", Visibility::Public).await;
        create(&db, &bob, "B private", Visibility::Private).await;
        create(&db, &bob, "B cohort", Visibility::Cohort).await;

        let list = |f: StrategyFilter| {
            let db = db.clone();
            async move { db.strategies().list(&f).await.unwrap() }
        };
        let set = |titles: &[&'static str]| titles.iter().copied().collect::<BTreeSet<_>>();

        let anon = list(StrategyFilter::default()).await;
        assert_eq!(title_set(&anon.items), set(&["A public", "B public"]));
        assert_eq!(anon.total, 2);

        let a = list(viewer(&alice)).await;
        assert_eq!(
            title_set(&a.items),
            set(&["A private", "A cohort", "A public", "B public"])
        );
        let b = list(viewer(&bob)).await;
        assert_eq!(
            title_set(&b.items),
            set(&["B private", "B cohort", "B public", "A public"])
        );

        // archived only when asked for, and still subject to the visibility rule
        let archived_for_alice = list(StrategyFilter {
            status: Some(StrategyStatus::Archived),
            ..viewer(&alice)
        })
        .await;
        assert_eq!(titles(&archived_for_alice.items), vec!["A archived"]);
        let drafts = list(StrategyFilter {
            status: Some(StrategyStatus::Draft),
            ..viewer(&alice)
        })
        .await;
        assert_eq!(drafts.total, 4);

        // bob looking at alice's strategies sees the public ones only
        let alices_for_bob = list(StrategyFilter {
            owner: Some(alice.id.clone()),
            ..viewer(&bob)
        })
        .await;
        assert_eq!(titles(&alices_for_bob.items), vec!["A public"]);
        let alices_for_anon = list(StrategyFilter {
            owner: Some(alice.id.clone()),
            ..StrategyFilter::default()
        })
        .await;
        assert_eq!(titles(&alices_for_anon.items), vec!["A public"]);
        let own_private = list(StrategyFilter {
            visibility: Some(Visibility::Private),
            ..viewer(&alice)
        })
        .await;
        assert_eq!(titles(&own_private.items), vec!["A private"]);
        let cohort_for_bob = list(StrategyFilter {
            visibility: Some(Visibility::Cohort),
            ..viewer(&bob)
        })
        .await;
        assert_eq!(titles(&cohort_for_bob.items), vec!["B cohort"]);

        // tags filled in on list items
        assert!(a.items.iter().all(|s| s.tags.is_empty()));
    }
);

conformance!(
    /// Tag filter, title search, pagination and ordering (newest updated first).
    async fn list_filters_pages_and_orders(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = db.strategies();
        let (golden, _) = s
            .create(
                strategy(&ada, "Golden Cross", Visibility::Public, &["trend", "btc"]),
                None,
            )
            .await
            .unwrap();
        s.create(
            strategy(&ada, "Death cross", Visibility::Public, &["trend"]),
            None,
        )
        .await
        .unwrap();
        s.create(
            strategy(
                &ada,
                "RSI dip",
                Visibility::Public,
                &["mean-reversion", "BTC"],
            ),
            None,
        )
        .await
        .unwrap();
        s.create(
            strategy(&ada, "100% trend_follower", Visibility::Public, &[]),
            None,
        )
        .await
        .unwrap();
        s.create(
            strategy(&ada, "Breakout", Visibility::Private, &["trend"]),
            None,
        )
        .await
        .unwrap();

        let anon = |f: StrategyFilter| {
            let db = db.clone();
            async move { db.strategies().list(&f).await.unwrap() }
        };

        // newest updated first
        let all = anon(StrategyFilter::default()).await;
        assert_eq!(
            titles(&all.items),
            vec![
                "100% trend_follower",
                "RSI dip",
                "Death cross",
                "Golden Cross"
            ]
        );
        // tags are filled in
        assert_eq!(all.items[3].tags, vec!["btc", "trend"]);
        assert_eq!(all.items[1].tags, vec!["btc", "mean-reversion"]);

        let tagged = anon(StrategyFilter {
            tag: Some("Trend".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(titles(&tagged.items), vec!["Death cross", "Golden Cross"]);
        let tagged_own = s
            .list(&StrategyFilter {
                tag: Some("trend".into()),
                ..viewer(&ada)
            })
            .await
            .unwrap();
        assert_eq!(
            titles(&tagged_own.items),
            vec!["Breakout", "Death cross", "Golden Cross"]
        );
        let btc = anon(StrategyFilter {
            tag: Some("btc".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(btc.total, 2);

        let search = anon(StrategyFilter {
            search: Some("CROSS".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(titles(&search.items), vec!["Death cross", "Golden Cross"]);
        // LIKE wildcards in the search text are literal
        let percent = anon(StrategyFilter {
            search: Some("%".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(titles(&percent.items), vec!["100% trend_follower"]);
        let underscore = anon(StrategyFilter {
            search: Some("d_p".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(underscore.total, 0);
        let combined = anon(StrategyFilter {
            search: Some("cross".into()),
            tag: Some("btc".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(titles(&combined.items), vec!["Golden Cross"]);

        // pagination: total counts every match, items only the page
        let page1 = anon(StrategyFilter {
            limit: 3,
            ..Default::default()
        })
        .await;
        assert_eq!(
            (page1.items.len(), page1.total, page1.limit, page1.offset),
            (3, 4, 3, 0)
        );
        let page2 = anon(StrategyFilter {
            limit: 3,
            offset: 3,
            ..Default::default()
        })
        .await;
        assert_eq!((page2.items.len(), page2.total, page2.offset), (1, 4, 3));
        assert_eq!(titles(&page2.items), vec!["Golden Cross"]);
        let beyond = anon(StrategyFilter {
            limit: 3,
            offset: 10,
            ..Default::default()
        })
        .await;
        assert_eq!((beyond.items.len(), beyond.total), (0, 4));
        assert_eq!(anon(StrategyFilter::default()).await.limit, 20);
        assert_eq!(
            anon(StrategyFilter {
                limit: 5000,
                ..Default::default()
            })
            .await
            .limit,
            100
        );

        // an update moves a strategy to the front
        s.update(
            &golden.id,
            StrategyPatch {
                description: Some("new".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let all = anon(StrategyFilter::default()).await;
        assert_eq!(titles(&all.items)[0], "Golden Cross");
    }
);

conformance!(
    async fn update_patches_fields_and_replaces_tags(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = db.strategies();
        let (before, _) = s
            .create(
                strategy(&ada, "Golden Cross", Visibility::Private, &["a", "b"]),
                None,
            )
            .await
            .unwrap();
        let after = s
            .update(
                &before.id,
                StrategyPatch {
                    title: Some("  Golden Cross v2 ".into()),
                    description: Some("faster".into()),
                    tags: Some(vec!["C".into(), "b".into()]),
                    visibility: Some(Visibility::Public),
                    status: Some(StrategyStatus::Active),
                },
            )
            .await
            .unwrap();
        assert_eq!(after.title, "Golden Cross v2");
        assert_eq!(after.description, "faster");
        assert_eq!(after.tags, vec!["b", "c"]);
        assert_eq!(after.visibility, Visibility::Public);
        assert_eq!(after.status, StrategyStatus::Active);
        assert_eq!(after.slug, before.slug, "slugs survive renames");
        assert_eq!(after.created_at, before.created_at);
        assert!(after.updated_at > before.updated_at);
        assert_eq!(s.get(&before.id).await.unwrap(), after);

        // only tags; an empty list clears them
        let cleared = s
            .update(
                &before.id,
                StrategyPatch {
                    tags: Some(vec![]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(cleared.tags, Vec::<String>::new());
        assert_eq!(cleared.title, "Golden Cross v2");
        assert!(cleared.updated_at > after.updated_at);
        let by_old_tag = s
            .list(&StrategyFilter {
                tag: Some("b".into()),
                ..viewer(&ada)
            })
            .await
            .unwrap();
        assert_eq!(by_old_tag.total, 0);

        assert_eq!(
            s.update("no-such-id", StrategyPatch::default()).await,
            Err(StoreError::NotFound)
        );
        let empty_title = s
            .update(
                &before.id,
                StrategyPatch {
                    title: Some(" ".into()),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(empty_title, Err(StoreError::Invalid(_))));
        assert_eq!(
            s.get(&before.id).await.unwrap(),
            cleared,
            "a refused patch changes nothing"
        );
    }
);

conformance!(
    async fn add_version_numbers_are_monotonic(db) {
        let ada = user(&db, "ada@example.com").await;
        let s = db.strategies();
        let bare = create(&db, &ada, "Bare", Visibility::Private).await;
        let mut updated_at = bare.updated_at;
        for n in 1..=3 {
            let v = s.add_version(&bare.id, version(&ada, n)).await.unwrap();
            assert_eq!(v.version, n);
            assert_eq!(v.graph, graph(n));
            let now = s.get(&bare.id).await.unwrap();
            assert_eq!(now.latest_version, n);
            assert!(now.updated_at > updated_at);
            updated_at = now.updated_at;
        }
        let all = s.versions(&bare.id).await.unwrap();
        assert_eq!(
            all.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(
            all.iter().map(|v| v.valid).collect::<Vec<_>>(),
            vec![true, false, true]
        );
        assert_eq!(s.version(&bare.id, 2).await.unwrap().notes, "v2");
        assert_eq!(s.version(&bare.id, 4).await, Err(StoreError::NotFound));
        assert_eq!(
            s.add_version("no-such-id", version(&ada, 1)).await,
            Err(StoreError::NotFound)
        );

        // a failed add leaves the counter alone (the bump is rolled back with the insert)
        let ghost = NewVersion {
            author_id: "no-such-user".into(),
            ..version(&ada, 9)
        };
        assert_eq!(
            s.add_version(&bare.id, ghost).await,
            Err(StoreError::Invalid("author does not exist".to_owned()))
        );
        assert_eq!(s.get(&bare.id).await.unwrap().latest_version, 3);
        assert_eq!(
            s.add_version(&bare.id, version(&ada, 4))
                .await
                .unwrap()
                .version,
            4
        );
    }
);

conformance!(
    /// Twenty concurrent writers on one strategy all succeed, with the numbers 1..=20.
    async fn concurrent_add_version_gets_distinct_numbers(db) {
        let ada = user(&db, "ada@example.com").await;
        let target = create(&db, &ada, "Busy", Visibility::Private).await;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 1..=20 {
            let db = db.clone();
            let id = target.id.clone();
            let v = version(&ada, n);
            tasks.spawn(async move { db.strategies().add_version(&id, v).await });
        }
        let mut numbers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            numbers.push(
                r.unwrap()
                    .expect("every concurrent add_version succeeds")
                    .version,
            );
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=20).collect::<Vec<i64>>());
        assert_eq!(
            db.strategies()
                .get(&target.id)
                .await
                .unwrap()
                .latest_version,
            20
        );
        let stored = db.strategies().versions(&target.id).await.unwrap();
        assert_eq!(
            stored.iter().map(|v| v.version).collect::<Vec<_>>(),
            (1..=20).collect::<Vec<i64>>()
        );
    }
);

conformance!(
    /// Versions never change: the store has no update or delete for them (there is no such
    /// method to call), and nothing else it does touches a written version.
    async fn versions_are_immutable(db) {
        let ada = user(&db, "ada@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let s = db.strategies();
        let (st, v1) = s
            .create(
                strategy(&ada, "Keep", Visibility::Public, &["x"]),
                Some(version(&ada, 1)),
            )
            .await
            .unwrap();
        let v1 = v1.unwrap();
        let v2 = s.add_version(&st.id, version(&ada, 2)).await.unwrap();
        s.update(
            &st.id,
            StrategyPatch {
                title: Some("Renamed".into()),
                tags: Some(vec!["y".into()]),
                status: Some(StrategyStatus::Archived),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        s.clone_strategy(&st.id, &bob.id, None).await.unwrap();
        s.add_version(&st.id, version(&bob, 3)).await.unwrap();
        assert_eq!(s.version(&st.id, 1).await.unwrap(), v1);
        assert_eq!(s.version(&st.id, 2).await.unwrap(), v2);
        assert_eq!(s.versions(&st.id).await.unwrap()[..2], [v1, v2]);
    }
);

conformance!(
    async fn clone_makes_a_private_copy_of_the_latest_version(db) {
        let alice = user(&db, "alice@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let s = db.strategies();
        let (source, _) = s
            .create(
                strategy(&alice, "Golden Cross", Visibility::Public, &["trend"]),
                Some(version(&alice, 1)),
            )
            .await
            .unwrap();
        let v2 = s.add_version(&source.id, version(&alice, 2)).await.unwrap();

        let (copy, first) = s.clone_strategy(&source.id, &bob.id, None).await.unwrap();
        let first = first.expect("the latest version is copied");
        assert_ne!(copy.id, source.id);
        assert_eq!(copy.owner_id, bob.id);
        assert_eq!(copy.title, "Golden Cross");
        assert_ne!(copy.slug, source.slug);
        assert_eq!(copy.visibility, Visibility::Private);
        assert_eq!(copy.status, StrategyStatus::Draft);
        assert_eq!(copy.tags, vec!["trend"]);
        assert_eq!(copy.description, source.description);
        assert_eq!(copy.latest_version, 1);
        assert_eq!(first.version, 1);
        assert_eq!(first.strategy_id, copy.id);
        assert_eq!(first.graph, v2.graph);
        assert_eq!(first.valid, v2.valid);
        assert_eq!(first.diagnostics, v2.diagnostics);
        assert_eq!(first.author_id, bob.id);
        assert_eq!(first.notes, "Cloned from Golden Cross v2");
        assert_eq!(s.versions(&copy.id).await.unwrap(), vec![first]);
        // the source is untouched
        assert_eq!(s.get(&source.id).await.unwrap().latest_version, 2);

        let (titled, _) = s
            .clone_strategy(&source.id, &bob.id, Some("My cross".into()))
            .await
            .unwrap();
        assert_eq!(
            (titled.title.as_str(), titled.slug.as_str()),
            ("My cross", "my-cross")
        );

        let bare = create(&db, &alice, "Empty", Visibility::Public).await;
        let (bare_copy, none) = s.clone_strategy(&bare.id, &bob.id, None).await.unwrap();
        assert_eq!((bare_copy.latest_version, none), (0, None));

        assert_eq!(
            s.clone_strategy("no-such-id", &bob.id, None).await,
            Err(StoreError::NotFound)
        );
        let before = db.plans().count_strategies("no-such-user").await.unwrap();
        assert!(matches!(
            s.clone_strategy(&source.id, "no-such-user", None).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            db.plans().count_strategies("no-such-user").await.unwrap(),
            before
        );
        let bobs = s.list(&viewer(&bob)).await.unwrap();
        assert_eq!(
            bobs.items.iter().filter(|x| x.owner_id == bob.id).count(),
            3
        );
    }
);

// ---------------------------------------------------------------------------------------
// plans

conformance!(
    async fn plans_are_seeded_and_usage_counts(db) {
        let plans = db.plans();
        let free = plans.get(PlanTier::Free).await.unwrap();
        let premium = plans.get(PlanTier::Premium).await.unwrap();
        let educator = plans.get(PlanTier::Educator).await.unwrap();
        assert_eq!((free.code, free.name.as_str()), (PlanTier::Free, "Free"));
        assert_eq!(
            (premium.code, premium.name.as_str()),
            (PlanTier::Premium, "Premium")
        );
        assert_eq!(
            (educator.code, educator.name.as_str()),
            (PlanTier::Educator, "Educator")
        );
        assert_eq!(
            (
                free.max_strategies,
                free.max_backtests_per_day,
                free.max_sweep_combinations,
                free.max_paper_runs,
                free.max_template_publishes,
                free.max_history_runs,
                free.max_concurrent_runs
            ),
            (5, 50, 100, 1, 0, 100, 2)
        );
        for paid in [&premium, &educator] {
            assert!(paid.max_history_runs > free.max_history_runs);
            assert!(paid.max_concurrent_runs > free.max_concurrent_runs);
            assert!(paid.max_template_publishes > free.max_template_publishes);
            assert!(paid.max_strategies > free.max_strategies);
            assert!(paid.max_backtests_per_day > free.max_backtests_per_day);
            assert!(paid.max_sweep_combinations > free.max_sweep_combinations);
            assert!(paid.max_paper_runs > free.max_paper_runs);
        }

        let ada = user(&db, "ada@example.com").await;
        assert_eq!(
            plans
                .usage(&ada.id, "2026-11-22", "backtests")
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            plans
                .increment(&ada.id, "2026-11-22", "backtests", 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            plans
                .increment(&ada.id, "2026-11-22", "backtests", 2)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            plans
                .usage(&ada.id, "2026-11-22", "backtests")
                .await
                .unwrap(),
            3
        );
        // other periods and metrics are separate counters
        assert_eq!(
            plans
                .increment(&ada.id, "2026-11-23", "backtests", 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            plans
                .increment(&ada.id, "2026-11-22", "sweeps", 5)
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            plans
                .usage(&ada.id, "2026-11-22", "backtests")
                .await
                .unwrap(),
            3
        );

        // concurrent increments lose nothing
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let db = db.clone();
            let id = ada.id.clone();
            tasks.spawn(async move { db.plans().increment(&id, "2026-12", "paper", 1).await });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(plans.usage(&ada.id, "2026-12", "paper").await.unwrap(), 20);
        assert!(matches!(
            plans.increment("no-such-user", "2026-12", "paper", 1).await,
            Err(StoreError::Invalid(_))
        ));

        // strategies count toward the plan, archived ones do not
        let a = create(&db, &ada, "One", Visibility::Private).await;
        create(&db, &ada, "Two", Visibility::Public).await;
        assert_eq!(plans.count_strategies(&ada.id).await.unwrap(), 2);
        db.strategies()
            .update(
                &a.id,
                StrategyPatch {
                    status: Some(StrategyStatus::Archived),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(plans.count_strategies(&ada.id).await.unwrap(), 1);
    }
);

// ---------------------------------------------------------------------------------------
// screener

fn screener_alert(
    symbol: &str,
    kind: bb_screener::AlertType,
    minute: i64,
    screen: &str,
) -> bb_screener::Alert {
    bb_screener::Alert {
        symbol: symbol.to_owned(),
        alert_type: kind,
        trigger_price: 100.0 + minute as f64,
        // 2026-12-01 00:00 UTC plus `minute` minutes, in ns
        trigger_time: (1_764_547_200_000 + minute * 60_000) * 1_000_000,
        conditions: bb_screener::Conditions {
            pct_move: Some(2.5),
            previous_close: Some(97.5),
            threshold: 2.0,
            ..Default::default()
        },
        metadata: bb_screener::QuoteMeta {
            bid: Some(99.9),
            ask: Some(100.1),
            spread: Some(0.2),
        },
        screen: screen.to_owned(),
        screen_version: 7,
    }
}

conformance!(
    /// Alerts page newest first by a cursor that neither repeats nor skips while new ones
    /// arrive; filters combine; another user's block-screen alerts stay hidden; stats count
    /// by type, hour and symbol; pruning takes the old ones only.
    async fn screener_alerts_page_filter_count_and_prune(db) {
        use bb_screener::AlertType::{BlockScreen, GapUp, VolumeSpike};
        use bb_store::{AlertFilter, NewScreenerAlert};
        let ada = user(&db, "ada@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let store = db.screener();
        let mut bus = db.subscribe();
        let mut batch = Vec::new();
        for m in 0..25 {
            let (symbol, kind) = match m % 3 {
                0 => ("AAPL", GapUp),
                1 => ("MSFT", VolumeSpike),
                _ => ("AAPL", VolumeSpike),
            };
            batch.push(NewScreenerAlert {
                user_id: None,
                feed: "replay".into(),
                alert: screener_alert(symbol, kind, m * 7, kind.as_str()),
            });
        }
        // bob's block screen: his alone
        batch.push(NewScreenerAlert {
            user_id: Some(bob.id.clone()),
            feed: "replay".into(),
            alert: screener_alert("AAPL", BlockScreen, 500, "bob-screen"),
        });
        let stored = store.insert(batch).await.unwrap();
        assert_eq!(stored.len(), 26);
        let first = bus.recv().await.unwrap();
        assert_eq!(first.topic, bb_store::ALERT_TOPIC);
        let echoed: bb_store::ScreenerAlert = serde_json::from_str(&first.payload).unwrap();
        assert_eq!(echoed, stored[0]);

        // paging: 10 + 10 + 5, newest first, nothing repeated; a new alert meanwhile is not
        // on the older pages
        let everything = AlertFilter::default();
        let page1 = store.list(&ada.id, &everything, None, 10).await.unwrap();
        assert_eq!(page1.items.len(), 10);
        assert_eq!(page1.items[0].alert.trigger_time, stored[24].alert.trigger_time);
        store
            .insert(vec![NewScreenerAlert {
                user_id: None,
                feed: "replay".into(),
                alert: screener_alert("NVDA", GapUp, 1000, "gap_up"),
            }])
            .await
            .unwrap();
        let page2 = store
            .list(&ada.id, &everything, page1.next_cursor.as_deref(), 10)
            .await
            .unwrap();
        let page3 = store
            .list(&ada.id, &everything, page2.next_cursor.as_deref(), 10)
            .await
            .unwrap();
        assert_eq!(page3.items.len(), 5);
        assert_eq!(page3.next_cursor, None);
        let seen: Vec<&str> = page1.items.iter().chain(&page2.items).chain(&page3.items).map(|a| a.id.as_str()).collect();
        let unique: BTreeSet<&str> = seen.iter().copied().collect();
        assert_eq!(seen.len(), 25);
        assert_eq!(unique.len(), 25);
        assert!(!seen.contains(&stored[25].id.as_str()), "bob's alert is his");
        let times: Vec<i64> = page1.items.iter().chain(&page2.items).chain(&page3.items).map(|a| a.alert.trigger_time).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
        // bob sees his own
        let bobs = store.list(&bob.id, &AlertFilter { screen: Some("bob-screen".into()), ..Default::default() }, None, 50).await.unwrap();
        assert_eq!(bobs.items.len(), 1);
        assert_eq!(bobs.items[0].user_id.as_deref(), Some(bob.id.as_str()));
        assert_eq!(bobs.items[0].alert, stored[25].alert);

        // filters combine: AAPL volume spikes in [70 min, 140 min)
        let base_ms = 1_764_547_200_000_i64;
        let filter = AlertFilter {
            symbol: Some("AAPL".into()),
            alert_type: Some(VolumeSpike),
            screen: None,
            since: Some(base_ms + 70 * 60_000),
            until: Some(base_ms + 140 * 60_000),
        };
        let got = store.list(&ada.id, &filter, None, 50).await.unwrap();
        let minutes: Vec<i64> = got.items.iter().map(|a| (a.alert.trigger_time / 1_000_000 - base_ms) / 60_000).collect();
        // m % 3 == 2 and 70 <= 7m < 140: m = 11, 14, 17 (77, 98, 119 minutes), newest first
        assert_eq!(minutes, vec![119, 98, 77]);
        assert!(matches!(
            store.list(&ada.id, &everything, Some("garbage"), 10).await,
            Err(StoreError::Invalid(_))
        ));

        // stats over the first day: by type, by hour, top symbols
        let stats = store.stats(&ada.id, &AlertFilter { until: Some(base_ms + 86_400_000), ..Default::default() }).await.unwrap();
        assert_eq!(stats.total, 26, "25 built-in and the NVDA gap");
        assert_eq!(stats.by_type, vec![("volume_spike".to_owned(), 16), ("gap_up".to_owned(), 10)]);
        assert_eq!(stats.top_symbols[0], ("AAPL".to_owned(), 17));
        assert_eq!(stats.by_hour.iter().map(|(_, n)| n).sum::<i64>(), 26);
        assert_eq!(stats.by_hour[0], (base_ms, 9), "minutes 0..=56 in the first hour");

        // pruning: nothing is older than now - 1 h; everything is older than now + 1
        let now = bb_store::now_ms();
        assert_eq!(store.prune(now - 3_600_000, 1000).await.unwrap(), 0);
        assert_eq!(store.prune(now + 1, 10).await.unwrap(), 10);
        assert_eq!(store.prune(now + 1, 1000).await.unwrap(), 17);
        assert!(store.list(&bob.id, &everything, None, 10).await.unwrap().items.is_empty());
    }
);

conformance!(
    /// A user's screens: created within the limit, read, replaced and deleted by their owner
    /// only; every change is published for the running screener.
    async fn screener_screens_belong_to_their_owner(db) {
        use bb_screener::{AlertType, Signal};
        use bb_store::{MAX_SCREENS_PER_USER, ScreenSpec};
        let ada = user(&db, "ada@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let s = create(&db, &ada, "Breakout", Visibility::Private).await;
        let store = db.screener();
        let mut bus = db.subscribe();
        let spec = ScreenSpec {
            name: "Tech gaps".into(),
            symbols: vec!["AAPL".into(), "MSFT".into()],
            alert_types: vec![AlertType::GapUp, AlertType::GapDown],
            block: Some((s.id.clone(), 1, Signal::EnterLong)),
            notify: true,
        };
        let screen = store.create_screen(&ada.id, spec.clone()).await.unwrap();
        assert_eq!(bus.recv().await.unwrap().topic, bb_store::SCREENS_TOPIC);
        assert_eq!(screen.symbols, spec.symbols);
        assert_eq!(screen.alert_types, spec.alert_types);
        assert_eq!(screen.strategy_id.as_deref(), Some(s.id.as_str()));
        assert_eq!(screen.signal, Some(Signal::EnterLong));
        assert_eq!(store.screens(&ada.id).await.unwrap(), vec![screen.clone()]);
        assert!(matches!(store.screen(&bob.id, &screen.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            store.update_screen(&bob.id, &screen.id, spec.clone()).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(store.delete_screen(&bob.id, &screen.id).await, Err(StoreError::NotFound)));
        let replaced = store
            .update_screen(&ada.id, &screen.id, ScreenSpec { block: None, notify: false, ..spec.clone() })
            .await
            .unwrap();
        assert_eq!(replaced.strategy_id, None);
        assert!(!replaced.notify);
        for _ in 1..MAX_SCREENS_PER_USER {
            store.create_screen(&ada.id, spec.clone()).await.unwrap();
        }
        assert!(matches!(store.create_screen(&ada.id, spec.clone()).await, Err(StoreError::Conflict(_))));
        assert_eq!(store.all_screens().await.unwrap().len(), MAX_SCREENS_PER_USER as usize);
        store.delete_screen(&ada.id, &screen.id).await.unwrap();
        assert_eq!(store.screens(&ada.id).await.unwrap().len(), MAX_SCREENS_PER_USER as usize - 1);
        assert!(matches!(store.create_screen("nobody", spec).await, Err(StoreError::NotFound)));
    }
);
