//! The audit log's hash chain on SQLite AND PostgreSQL: appends link up, concurrent appends
//! never fork the chain, role and plan changes are recorded with them, and editing, removing
//! or reordering a row directly in the database makes verification fail naming the entry.

#[macro_use]
mod harness;

use bb_store::{ChainError, Db, NewAuditEntry, NewUser, PlanTier, Role, User, verify_package};
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

async fn user(db: &Db, email: &str) -> User {
    db.users()
        .create(NewUser {
            email: email.to_owned(),
            password_hash: Some("hash".into()),
            display_name: "someone".into(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await
        .unwrap()
}

fn entry(n: usize) -> NewAuditEntry {
    NewAuditEntry {
        entity_type: "test".into(),
        entity_id: format!("thing-{n}"),
        action: "test.happened".into(),
        actor_id: None,
        payload: json!({ "n": n, "nested": { "b": [1, 2.5, "x"], "a": null } }),
    }
}

/// Appends `n` entries.
async fn append(db: &Db, n: usize) {
    for i in 0..n {
        db.audit().append(entry(i)).await.unwrap();
    }
}

/// Runs SQL straight on the test's database, as someone with database access would.
async fn tamper(sql: &[&str]) {
    let mut conn = AnyConnection::connect(&harness::database_url())
        .await
        .unwrap();
    for statement in sql {
        sqlx::query(AssertSqlSafe(statement.to_string()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

conformance!(
    async fn appends_link_up_and_verify(db) {
        let audit = db.audit();
        let head = audit.head().await.unwrap();
        assert_eq!((head.seq, head.hash.as_str()), (0, bb_store::GENESIS_HASH));
        assert_eq!(audit.verify().await.unwrap().unwrap().entries, 0);

        let first = audit.append(entry(1)).await.unwrap();
        let second = audit.append(entry(2)).await.unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        assert_eq!(first.prev_hash, bb_store::GENESIS_HASH);
        assert_eq!(second.prev_hash, first.hash);
        assert_eq!(second.hash, bb_store::entry_hash(&second));
        let head = audit.head().await.unwrap();
        assert_eq!((head.seq, &head.hash), (2, &second.hash));

        // read back exactly as written
        let listed = audit.list(None, None, None, 10).await.unwrap();
        assert_eq!(listed, vec![first.clone(), second.clone()]);
        assert_eq!(audit.list(None, None, Some(1), 10).await.unwrap(), vec![second.clone()]);
        assert_eq!(
            audit.list(Some(second.created_at), None, None, 10).await.unwrap(),
            vec![second.clone()]
        );
        assert_eq!(
            audit.list(None, Some(first.created_at), None, 10).await.unwrap(),
            vec![first.clone()]
        );

        let verified = audit.verify().await.unwrap().unwrap();
        assert_eq!((verified.entries, verified.head.seq), (2, 2));
    }
);

conformance!(
    async fn concurrent_appends_never_fork_the_chain(db) {
        let ada = user(&db, "ada@example.com").await;
        let mut tasks = Vec::new();
        for t in 0..16 {
            let db = db.clone();
            let ada = ada.id.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..6 {
                    if i == 3 {
                        // role changes append inside their own transactions
                        let role = if t % 2 == 0 { Role::Educator } else { Role::Builder };
                        db.users().set_role(&ada, role, Some("admin-1")).await.unwrap();
                    } else {
                        db.audit().append(entry(t * 10 + i)).await.unwrap();
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let verified = db.audit().verify().await.unwrap().unwrap();
        let all = db.audit().list(None, None, None, 1000).await.unwrap();
        let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=all.len() as i64).collect::<Vec<_>>());
        assert!(all.len() >= 16 * 5, "{} entries", all.len());
        assert_eq!(verified.entries, all.len() as u64);
        assert_eq!(verified.head.seq, all.len() as i64);
        // every role change's "from" is the role it replaced: the changes chain up
        let mut role = "builder".to_owned();
        for change in all.iter().filter(|e| e.action == "user.role_changed") {
            assert_eq!(change.payload["from"], json!(role));
            role = change.payload["to"].as_str().unwrap().to_owned();
        }
        assert_eq!(db.users().get(&ada.id).await.unwrap().role.as_str(), role);
    }
);

conformance!(
    async fn role_plan_and_account_changes_are_recorded_with_their_actor(db) {
        let ada = user(&db, "ada@example.com").await;
        let users = db.users();
        users.set_role(&ada.id, Role::Admin, Some("boss")).await.unwrap();
        users.set_role(&ada.id, Role::Admin, Some("boss")).await.unwrap(); // no change
        users.set_plan(&ada.id, PlanTier::Premium, None).await.unwrap();
        users.set_disabled(&ada.id, true, Some("boss")).await.unwrap();
        users.set_disabled(&ada.id, false, Some("boss")).await.unwrap();
        let got: Vec<_> = db
            .audit()
            .list(None, None, None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.entity_type, e.entity_id, e.action, e.actor_id, e.payload))
            .collect();
        // "boss" names no user: recorded as given; ada by her pseudonym, never her id
        let boss = Some("boss".to_owned());
        let ada_p = db.audit().pseudonym(&ada.id).await.unwrap().unwrap();
        assert_eq!(
            got,
            vec![
                ("user".into(), ada_p.clone(), "user.role_changed".into(), boss.clone(),
                 json!({ "from": "builder", "to": "admin" })),
                ("user".into(), ada_p.clone(), "user.plan_changed".into(), None,
                 json!({ "from": "free", "to": "premium" })),
                ("user".into(), ada_p.clone(), "user.disabled".into(), boss.clone(),
                 json!({ "from": false, "to": true })),
                ("user".into(), ada_p, "user.enabled".into(), boss,
                 json!({ "from": true, "to": false })),
            ]
        );
        // a change to no user changes nothing and records nothing
        assert!(users.set_role("nobody", Role::Admin, None).await.is_err());
        assert_eq!(db.audit().head().await.unwrap().seq, 4);
    }
);

conformance!(
    async fn an_edited_row_fails_verification_naming_it(db) {
        append(&db, 5).await;
        assert!(db.audit().verify().await.unwrap().is_ok());
        tamper(&[r#"UPDATE audit_log SET payload = '{"n":99}' WHERE seq = 3"#]).await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Edited { seq: 3 }));
    }
);

conformance!(
    async fn an_edited_actor_or_time_fails_verification(db) {
        append(&db, 4).await;
        tamper(&["UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 2"]).await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Edited { seq: 2 }));
        tamper(&["UPDATE audit_log SET actor_id = NULL WHERE seq = 2"]).await;
        assert!(db.audit().verify().await.unwrap().is_ok());
        tamper(&["UPDATE audit_log SET created_at = created_at + 1 WHERE seq = 1"]).await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Edited { seq: 1 }));
    }
);

conformance!(
    async fn a_removed_row_fails_verification_naming_it(db) {
        append(&db, 5).await;
        tamper(&["DELETE FROM audit_log WHERE seq = 2"]).await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Removed { seq: 2 }));
    }
);

conformance!(
    async fn a_removed_last_row_fails_verification_against_the_head(db) {
        append(&db, 5).await;
        tamper(&["DELETE FROM audit_log WHERE seq = 5"]).await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Removed { seq: 5 }));
    }
);

conformance!(
    async fn swapped_rows_fail_verification_as_reordered(db) {
        append(&db, 5).await;
        tamper(&[
            "UPDATE audit_log SET seq = -1 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = -1",
        ])
        .await;
        assert_eq!(db.audit().verify().await.unwrap(), Err(ChainError::Reordered { seq: 2 }));
    }
);

conformance!(
    async fn an_export_is_a_package_that_verifies(db) {
        let ada = user(&db, "ada@example.com").await;
        append(&db, 2).await;
        db.users().set_role(&ada.id, Role::Educator, Some(&ada.id)).await.unwrap();
        append(&db, 2).await;
        let all = db.audit().list(None, None, None, 10).await.unwrap();
        assert_eq!(all.len(), 5);

        // the middle three
        let package = db
            .audit()
            .export(all[1].created_at, all[3].created_at, 100)
            .await
            .unwrap()
            .unwrap();
        let seqs: Vec<i64> = package.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2, 3, 4]);
        let m = &package.manifest;
        assert_eq!((m.first_seq, m.last_seq, m.entry_count), (Some(2), Some(4), 3));
        assert_eq!(m.prev_hash, all[0].hash);
        assert_eq!((m.head_seq, &m.head_hash), (5, &all[4].hash));
        // keyed by the pseudonym the entries hold, with the user it stands for now
        let ada_p = db.audit().pseudonym(&ada.id).await.unwrap().unwrap();
        assert_eq!(
            package.evidence,
            json!({ "users": { ada_p: {
                "user_id": ada.id.clone(), "role": "educator", "plan": "free", "disabled": false
            } } })
        );
        let summary = verify_package(&package).unwrap();
        assert_eq!((summary.entries, summary.reaches_head), (3, false));

        // everything: reaches the head
        let whole = db.audit().export(0, i64::MAX, 5).await.unwrap().unwrap();
        assert!(verify_package(&whole).unwrap().reaches_head);
        // too many
        assert_eq!(db.audit().export(0, i64::MAX, 4).await.unwrap(), None);
        // nothing in the period: empty, linked to the last entry before it
        let later = db.audit().export(all[4].created_at + 1, i64::MAX, 5).await.unwrap().unwrap();
        assert!(later.entries.is_empty());
        assert_eq!(later.manifest.prev_hash, all[4].hash);
        assert_eq!(later.evidence, json!({ "users": {} }));
        verify_package(&later).unwrap();
    }
);
