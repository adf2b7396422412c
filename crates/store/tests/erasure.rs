//! Account erasure on SQLite AND PostgreSQL: `erase_user` removes the user and their data in
//! one transaction, keeps the audit chain verifiable with the user unlinkable, records the
//! ledger; `reapply_erasures` erases again a user a restore brought back.

#[macro_use]
mod harness;

use bb_store::{
    Db, Erasure, NewNotification, NewStrategy, NewUser, NewVersion, PlanTier, Role, StoreError,
    User, Visibility, erasure_subject,
};
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

async fn user(db: &Db, email: &str, name: &str) -> User {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some("hash".into()),
            display_name: name.into(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .unwrap()
}

/// A strategy with one version, and a notification, for `u`.
async fn some_data(db: &Db, u: &User) -> String {
    let (strategy, _) = db
        .strategies()
        .create(
            NewStrategy {
                owner_id: u.id.clone(),
                title: format!("{}'s strategy", u.display_name),
                description: String::new(),
                tags: vec!["trend".into()],
                visibility: Visibility::Private,
            },
            Some(NewVersion {
                author_id: u.id.clone(),
                graph: json!({ "schema_version": 2 }),
                notes: "first".into(),
                valid: false,
                diagnostics: json!([]),
            }),
        )
        .await
        .unwrap();
    db.notifications()
        .create(NewNotification {
            user_id: u.id.clone(),
            kind: "backtest.succeeded".into(),
            title: "done".into(),
            body: "done".into(),
            link: None,
            payload: json!({ "strategy_id": strategy.id }),
        })
        .await
        .unwrap();
    strategy.id
}

/// Runs SQL straight on the test's database (a restore, as far as the store can tell).
async fn sql(statements: &[String]) {
    let mut conn = AnyConnection::connect(&harness::database_url())
        .await
        .unwrap();
    for statement in statements {
        sqlx::query(AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

async fn count(table: &str, column: &str, id: &str) -> i64 {
    let mut conn = AnyConnection::connect(&harness::database_url())
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
    )))
    .bind(id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    n
}

conformance!(
    async fn erasure_removes_the_user_keeps_the_chain_and_reapplies_after_a_restore(db) {
        let ada = user(&db, "ada@example.com", "Ada Lovelace").await;
        let bob = user(&db, "bob@example.com", "Bob").await;
        let ada_strategy = some_data(&db, &ada).await;
        let bob_strategy = some_data(&db, &bob).await;
        // audited changes: ada's by bob, bob's by ada
        db.users().set_plan(&ada.id, PlanTier::Premium, Some(&bob.id)).await.unwrap();
        db.users().set_role(&bob.id, Role::Educator, Some(&ada.id)).await.unwrap();
        let ada_p = db.audit().pseudonym(&ada.id).await.unwrap().expect("ada's pseudonym");
        let bob_p = db.audit().pseudonym(&bob.id).await.unwrap().expect("bob's pseudonym");
        assert!(ada_p.starts_with("u_") && ada_p.len() == 34, "{ada_p}");
        assert_ne!(ada_p, bob_p);
        let entries = db.audit().list(None, None, None, 10).await.unwrap();
        for e in &entries {
            let text = serde_json::to_string(&e).unwrap();
            assert!(!text.contains(&ada.id) && !text.contains(&bob.id), "{text}");
        }
        assert_eq!(
            (entries[0].entity_id.as_str(), entries[0].actor_id.as_deref()),
            (ada_p.as_str(), Some(bob_p.as_str()))
        );
        let resolved = db.audit().resolve([ada_p.as_str(), bob_p.as_str(), "u_nobody"]).await.unwrap();
        assert_eq!(resolved[&ada_p].as_deref(), Some(ada.id.as_str()));
        assert_eq!(resolved["u_nobody"], None);

        let report = db.erase_user(&ada.id, Erasure::SelfService).await.unwrap();
        assert_eq!(report.subject, erasure_subject(&ada.id));
        assert_eq!(report.pseudonym, ada_p);
        assert_eq!(report.rows.get("users"), Some(&1));
        assert_eq!(report.rows.get("strategies"), Some(&1));
        assert_eq!(report.rows.get("notifications"), Some(&1));

        assert_eq!(db.users().get(&ada.id).await, Err(StoreError::NotFound));
        assert_eq!(count("strategies", "id", &ada_strategy).await, 0);
        assert_eq!(count("strategy_versions", "strategy_id", &ada_strategy).await, 0);
        // bob's data is intact
        assert_eq!(count("strategies", "id", &bob_strategy).await, 1);
        assert_eq!(count("notifications", "user_id", &bob.id).await, 1);
        assert_eq!(db.users().get(&bob.id).await.unwrap().role, Role::Educator);
        // the chain still verifies; ada is now an unlinkable pseudonym
        assert!(db.audit().verify().await.unwrap().is_ok());
        assert_eq!(db.audit().pseudonym(&ada.id).await.unwrap(), None);
        let resolved = db.audit().resolve([ada_p.as_str(), bob_p.as_str()]).await.unwrap();
        assert_eq!(resolved[&ada_p], None);
        assert_eq!(resolved[&bob_p].as_deref(), Some(bob.id.as_str()));
        let last = db.audit().list(None, None, None, 10).await.unwrap().pop().unwrap();
        assert_eq!(last.action, "user.erased");
        assert_eq!((last.entity_id.as_str(), last.actor_id.as_deref()), (ada_p.as_str(), Some(ada_p.as_str())));
        assert_eq!(last.payload, json!({ "requested_by": "self" }));
        assert_eq!(db.erasure_subjects().await.unwrap(), vec![erasure_subject(&ada.id)]);
        // erasing again: there is no such user
        assert_eq!(db.erase_user(&ada.id, Erasure::SelfService).await, Err(StoreError::NotFound));

        // A restore of an older backup brings ada back (and forgets the ledger)...
        sql(&[
            format!(
                "INSERT INTO users (id, email, password_hash, display_name, role, plan, created_at, \
                 updated_at) VALUES ('{}', 'ada@example.com', 'hash', 'Ada Lovelace', 'builder', \
                 'free', 1, 1)",
                ada.id
            ),
            "DELETE FROM erasures".to_owned(),
        ])
        .await;
        let back = some_data(&db, &db.users().get(&ada.id).await.unwrap()).await;
        assert_eq!(db.erasure_subjects().await.unwrap(), Vec::<String>::new());
        // ...and re-applying the ledger kept from before erases her again, once.
        let subjects = vec![erasure_subject(&ada.id), erasure_subject("someone-else")];
        assert_eq!(db.reapply_erasures(&subjects).await.unwrap(), 1);
        assert_eq!(db.users().get(&ada.id).await, Err(StoreError::NotFound));
        assert_eq!(count("strategies", "id", &back).await, 0);
        assert_eq!(db.reapply_erasures(&subjects).await.unwrap(), 0);
        let mut expected = subjects.clone();
        expected.sort();
        assert_eq!(db.erasure_subjects().await.unwrap(), expected);
        assert!(db.users().get(&bob.id).await.is_ok());
        assert!(db.audit().verify().await.unwrap().is_ok());
        let last = db.audit().list(None, None, None, 20).await.unwrap().pop().unwrap();
        assert_eq!((last.action.as_str(), last.actor_id.as_deref()), ("user.erased", None));
        assert_eq!(last.payload, json!({ "requested_by": "admin", "reapplied": true }));
        assert_eq!(db.reapply_erasures(&[]).await.unwrap(), 0);
    }
);

conformance!(
    async fn an_admin_erasure_is_audited_with_the_admin_and_reason(db) {
        let admin = user(&db, "root@example.com", "Root").await;
        let ada = user(&db, "ada@example.com", "Ada").await;
        // an admin cannot erase themself; nobody can erase a user who does not exist
        let own = Erasure::Admin { admin_id: admin.id.clone(), reason: "r".into() };
        assert!(matches!(db.erase_user(&admin.id, own).await, Err(StoreError::Invalid(_))));
        let by = Erasure::Admin { admin_id: admin.id.clone(), reason: "a legal request".into() };
        assert_eq!(db.erase_user("nobody", by.clone()).await, Err(StoreError::NotFound));
        assert_eq!(db.audit().head().await.unwrap().seq, 0);

        db.erase_user(&ada.id, by).await.unwrap();
        let admin_p = db.audit().pseudonym(&admin.id).await.unwrap().unwrap();
        let entry = db.audit().list(None, None, None, 10).await.unwrap().pop().unwrap();
        assert_eq!(entry.actor_id.as_deref(), Some(admin_p.as_str()));
        assert_eq!(
            entry.payload,
            json!({ "requested_by": "admin", "reason": "a legal request" })
        );
        assert!(db.audit().verify().await.unwrap().is_ok());
    }
);

conformance!(
    async fn a_live_subscription_stops_an_erasure(db) {
        let ada = user(&db, "ada@example.com", "Ada").await;
        sql(&[format!(
            "INSERT INTO billing_subscriptions (id, user_id, customer_id, status, price_id, plan, \
             cancel_at_period_end, fetched_at, created_at, updated_at) VALUES ('sub_1', '{}', \
             'cus_1', 'active', 'price_1', 'premium', 0, 1, 1, 1)",
            ada.id
        )])
        .await;
        let refused = db.erase_user(&ada.id, Erasure::SelfService).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
        assert!(db.users().get(&ada.id).await.is_ok());
        // set to end at the period's end: the erasure goes ahead and takes the rows with it
        sql(&["UPDATE billing_subscriptions SET cancel_at_period_end = 1".to_owned()]).await;
        db.erase_user(&ada.id, Erasure::SelfService).await.unwrap();
        assert_eq!(count("billing_subscriptions", "id", "sub_1").await, 0);
    }
);
