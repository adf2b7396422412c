//! Demo data for `blockbuilders serve --demo`: a demo account and the five starter
//! strategies as public strategies with version 1. Idempotent: what exists is kept.
//!
//! The demo password is fixed and documented; it is a local demo, not an account to keep.

use crate::auth::password;
use bb_store::{
    Db, NewStrategy, NewUser, NewVersion, PlanTier, Role, StrategyFilter, StrategyPatch,
    StrategyStatus, User, Visibility,
};
use bb_strategy::StrategyDocument;

pub const DEMO_EMAIL: &str = "demo@blockbuilders.local";
pub const DEMO_PASSWORD: &str = "demo-password-123";
/// A second demo account with the reviewer duty, to try the compliance queue
/// (`/review`) on templates the demo account publishes. Same password.
pub const DEMO_REVIEWER_EMAIL: &str = "reviewer@blockbuilders.local";

/// The onboarding templates, compiled into the binary.
pub const STARTERS: [(&str, &str); 5] = [
    (
        "sma_crossover",
        include_str!("../../../strategies/sma_crossover.json"),
    ),
    (
        "rsi_mean_reversion",
        include_str!("../../../strategies/rsi_mean_reversion.json"),
    ),
    (
        "bollinger_breakout",
        include_str!("../../../strategies/bollinger_breakout.json"),
    ),
    (
        "macd_trend_atr_trailing",
        include_str!("../../../strategies/macd_trend_atr_trailing.json"),
    ),
    (
        "donchian_turtle",
        include_str!("../../../strategies/donchian_turtle.json"),
    ),
];

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub user_created: bool,
    pub strategies_created: usize,
}

/// Creates the demo account and the starters that are missing.
pub async fn demo(db: &Db) -> anyhow::Result<Seeded> {
    let (user, user_created) = demo_user(db).await?;
    demo_reviewer(db).await?;
    let mut existing = Vec::new();
    for status in [None, Some(StrategyStatus::Archived)] {
        let filter = StrategyFilter {
            viewer: Some(user.id.clone()),
            owner: Some(user.id.clone()),
            status,
            limit: 100,
            ..StrategyFilter::default()
        };
        existing.extend(
            db.strategies()
                .list(&filter)
                .await?
                .items
                .into_iter()
                .map(|s| s.title),
        );
    }
    let mut created = 0;
    for (file, text) in STARTERS {
        let doc = StrategyDocument::from_json(text)
            .map_err(|e| anyhow::anyhow!("starter {file}: {e}"))?;
        if existing.contains(&doc.name) {
            continue;
        }
        let validated = bb_strategy::validate(&doc);
        let valid = !validated.has_errors();
        let version = NewVersion {
            author_id: user.id.clone(),
            graph: serde_json::to_value(&doc)?,
            notes: "Starter strategy".to_string(),
            valid,
            diagnostics: serde_json::to_value(&validated.diagnostics)?,
        };
        let new = NewStrategy {
            owner_id: user.id.clone(),
            title: doc.name.clone(),
            description: doc.description.clone(),
            tags: vec!["starter".to_string()],
            visibility: Visibility::Public,
        };
        let (strategy, _) = db.strategies().create(new, Some(version)).await?;
        if valid {
            let patch = StrategyPatch {
                status: Some(StrategyStatus::Active),
                ..StrategyPatch::default()
            };
            db.strategies().update(&strategy.id, patch).await?;
        }
        created += 1;
    }
    if user_created || created > 0 {
        tracing::info!(strategies = created, "demo data created");
    }
    Ok(Seeded {
        user_created,
        strategies_created: created,
    })
}

async fn demo_user(db: &Db) -> anyhow::Result<(User, bool)> {
    if let Some((user, _)) = db.users().by_email(DEMO_EMAIL).await? {
        return Ok((user, false));
    }
    let password_hash = password::hash(DEMO_PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let user = db
        .users()
        .create(NewUser {
            email: DEMO_EMAIL.to_string(),
            password_hash: Some(password_hash),
            display_name: "Demo trader".to_string(),
            role: Role::Builder,
            plan: PlanTier::Premium,
            external_subject: None,
        })
        .await?;
    Ok((user, true))
}

async fn demo_reviewer(db: &Db) -> anyhow::Result<()> {
    if db.users().by_email(DEMO_REVIEWER_EMAIL).await?.is_some() {
        return Ok(());
    }
    let password_hash = password::hash(DEMO_PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let user = db
        .users()
        .create(NewUser {
            email: DEMO_REVIEWER_EMAIL.to_string(),
            password_hash: Some(password_hash),
            display_name: "Demo reviewer".to_string(),
            role: Role::Builder,
            plan: PlanTier::Free,
            external_subject: None,
        })
        .await?;
    db.users().set_reviewer(&user.id, true, None).await?;
    Ok(())
}
