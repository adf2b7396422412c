//! Supabase sign-in: accepts Supabase access tokens and maps their subject to a local user.
//!
//! Two kinds of project keys are supported, each only when configured:
//! - the legacy HS256 project secret (`BB_SUPABASE_JWT_SECRET`);
//! - asymmetric signing keys (ES256 or RS256) published at the project's JWKS address
//!   (`BB_SUPABASE_JWKS_URL`), cached by `kid` and refetched when an unknown `kid` shows up
//!   (at most every 30 s) or the cache is older than 10 minutes.
//!
//! The verification algorithm comes from our configuration or from the JWK, never from the
//! token header: the header's `alg` only selects which configured key to try and must then
//! equal that key's algorithm. `aud` must be `authenticated`; `iss` is checked when
//! configured.

use crate::auth::tokens::TokenError;
use crate::config::Config;
use crate::error::ApiError;
use bb_store::{Db, NewUser, PlanTier, Role, StoreError, User};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

const AUDIENCE: &str = "authenticated";
const CACHE_TTL: Duration = Duration::from_secs(600);
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// The claims we read from a Supabase access token.
#[derive(Debug, Clone, Deserialize)]
pub struct SupabaseClaims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// Checks Supabase tokens against the configured project keys.
#[derive(Debug)]
pub struct SupabaseVerifier {
    hs256: Option<DecodingKey>,
    jwks: Option<JwksCache>,
    issuer: Option<String>,
}

impl SupabaseVerifier {
    /// `None` when Supabase sign-in is not configured.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<SupabaseVerifier>> {
        let hs256 = config
            .supabase_jwt_secret
            .as_ref()
            .map(|s| DecodingKey::from_secret(s.expose().as_bytes()));
        let jwks = match &config.supabase_jwks_url {
            Some(url) => Some(JwksCache::new(url.clone())?),
            None => None,
        };
        if hs256.is_none() && jwks.is_none() {
            return Ok(None);
        }
        Ok(Some(SupabaseVerifier {
            hs256,
            jwks,
            issuer: config.supabase_issuer.clone(),
        }))
    }

    pub async fn verify(&self, token: &str) -> Result<SupabaseClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let (key, algorithm) = match header.alg {
            Algorithm::HS256 => (
                self.hs256.clone().ok_or(TokenError::Invalid)?,
                Algorithm::HS256,
            ),
            Algorithm::ES256 | Algorithm::RS256 => {
                let jwks = self.jwks.as_ref().ok_or(TokenError::Invalid)?;
                let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
                let (key, algorithm) = jwks.key(kid).await.ok_or(TokenError::Invalid)?;
                if algorithm != header.alg {
                    return Err(TokenError::Invalid);
                }
                (key, algorithm)
            }
            _ => return Err(TokenError::Invalid),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        jsonwebtoken::decode::<SupabaseClaims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// The local user for a Supabase subject, created (role builder, plan free) on first sight.
pub async fn local_user(db: &Db, claims: &SupabaseClaims) -> Result<User, ApiError> {
    let subject = format!("supabase:{}", claims.sub);
    if let Some(user) = db.users().by_external_subject(&subject).await? {
        return Ok(user);
    }
    let email = claims
        .email
        .as_deref()
        .filter(|e| !e.is_empty())
        .map(str::to_lowercase)
        .unwrap_or_else(|| format!("{}@supabase.invalid", claims.sub));
    let display_name = email.split('@').next().unwrap_or("trader").to_string();
    let new = NewUser {
        email,
        password_hash: None,
        display_name,
        role: Role::Builder,
        plan: PlanTier::Free,
        external_subject: Some(subject.clone()),
    };
    match db.users().create(new).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "created a local user for a Supabase account");
            Ok(user)
        }
        // Two first requests raced, or the email already has a password account.
        Err(StoreError::Conflict(_)) => {
            db.users()
                .by_external_subject(&subject)
                .await?
                .ok_or_else(|| {
                    ApiError::Conflict(
                        "An account with this email already exists; sign in with its password."
                            .to_string(),
                    )
                })
        }
        Err(e) => Err(e.into()),
    }
}

/// Public keys from a JWKS address, by `kid`.
struct JwksCache {
    url: String,
    client: reqwest::Client,
    keys: RwLock<Keys>,
    /// Serialises refetches so a burst of unknown `kid`s costs one request.
    refetch: Mutex<()>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

impl Keys {
    /// The key for `kid` when the set is younger than the cache lifetime.
    fn fresh(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        let fresh = self.fetched_at.is_some_and(|t| t.elapsed() < CACHE_TTL);
        if fresh {
            self.by_kid.get(kid).cloned()
        } else {
            None
        }
    }
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").field("url", &self.url).finish()
    }
}

impl JwksCache {
    fn new(url: String) -> anyhow::Result<JwksCache> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(JwksCache {
            url,
            client,
            keys: RwLock::new(Keys::default()),
            refetch: Mutex::new(()),
        })
    }

    async fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        if let Some(found) = self.keys.read().await.fresh(kid) {
            return Some(found);
        }
        let _guard = self.refetch.lock().await;
        {
            // Another request may have refetched while we waited.
            let keys = self.keys.read().await;
            if let Some(found) = keys.fresh(kid) {
                return Some(found);
            }
            let attempted_recently = keys
                .attempted_at
                .is_some_and(|t| t.elapsed() < MIN_REFETCH_INTERVAL);
            if attempted_recently {
                return keys.by_kid.get(kid).cloned();
            }
        }
        let result = self.fetch().await;
        let mut keys = self.keys.write().await;
        keys.attempted_at = Some(Instant::now());
        match result {
            Ok(by_kid) => {
                keys.by_kid = by_kid;
                keys.fetched_at = Some(Instant::now());
            }
            // Keep the old keys; the next attempt waits for the minimum interval.
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "fetching the Supabase JWKS failed")
            }
        }
        keys.by_kid.get(kid).cloned()
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, (DecodingKey, Algorithm)>> {
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let set: Set = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut by_kid = HashMap::new();
        for value in set.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
                continue;
            };
            if let Some(entry) = usable_key(&jwk) {
                by_kid.insert(entry.0, (entry.1, entry.2));
            }
        }
        tracing::info!(url = %self.url, keys = by_kid.len(), "fetched the Supabase JWKS");
        Ok(by_kid)
    }
}

/// A signing key we accept: ES256 on P-256 or RS256, with a `kid`.
fn usable_key(jwk: &Jwk) -> Option<(String, DecodingKey, Algorithm)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::EllipticCurve(ec), Some(KeyAlgorithm::ES256) | None)
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS256) | None) => Algorithm::RS256,
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, key, algorithm))
}
