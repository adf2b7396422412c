//! Our own tokens: short-lived HS256 access JWTs and opaque refresh tokens.
//!
//! - An access token carries `sub` (user id), `role`, `sid` (the session: its refresh token
//!   family), `exp`, `iat`, and `iss`/`aud` `"blockbuilders"`. Every request re-checks in the
//!   database that the user exists, is not disabled and the session was not ended (logout,
//!   token reuse), so a valid signature alone is never enough.
//! - A two-factor challenge (login with 2FA on) is a 5-minute JWT with audience
//!   `"blockbuilders-2fa"`; it is not an access token and cannot be used as one.
//! - A refresh token is 32 random bytes (base64url). Only its SHA-256 (hex) is stored; it is
//!   rotated on every use, and presenting a revoked one revokes its whole family.

use crate::config::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bb_store::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const ISSUER: &str = "blockbuilders";
pub const AUDIENCE: &str = "blockbuilders";
pub const CHALLENGE_AUDIENCE: &str = "blockbuilders-2fa";
/// How long a two-factor challenge may be answered.
pub const CHALLENGE_TTL_SECS: u64 = 300;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub role: Role,
    /// The session: the refresh token family this token was issued with.
    pub sid: String,
    pub exp: u64,
    pub iat: u64,
    pub iss: String,
    pub aud: String,
}

/// The claims of a two-factor challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChallengeClaims {
    sub: String,
    exp: u64,
    iat: u64,
    iss: String,
    aud: String,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    /// Not ours: another issuer or audience, another key, or not a JWT at all.
    Invalid,
}

/// Signs and checks access tokens with the server secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    challenge_validation: Validation,
    access_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("secret", &"[redacted]")
            .field("access_ttl", &self.access_ttl)
            .finish()
    }
}

impl TokenKeys {
    pub fn new(secret: &Secret, access_ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Our own tokens are checked by the servers that signed them.
        validation.leeway = 5;
        let mut challenge_validation = validation.clone();
        challenge_validation.set_audience(&[CHALLENGE_AUDIENCE]);
        TokenKeys {
            challenge_validation,
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            access_ttl,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// A signed access token for a user.
    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        session: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = now_secs();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role,
            sid: session.to_string(),
            iat: now,
            exp: now + self.access_ttl.as_secs(),
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// A two-factor challenge for a user who gave the right password.
    pub fn issue_challenge(&self, user_id: &str) -> Result<String, jsonwebtoken::errors::Error> {
        let now = now_secs();
        let claims = ChallengeClaims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + CHALLENGE_TTL_SECS,
            iss: ISSUER.to_string(),
            aud: CHALLENGE_AUDIENCE.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The user id of a challenge we signed that has not expired.
    pub fn verify_challenge(&self, token: &str) -> Result<String, TokenError> {
        jsonwebtoken::decode::<ChallengeClaims>(token, &self.decoding, &self.challenge_validation)
            .map(|data| data.claims.sub)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    /// The claims of a token we signed that has not expired.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// A new refresh token and the hash to store for it.
pub fn new_refresh_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// The stored form of a refresh token: SHA-256, hex.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random secret for signing when none is configured.
pub fn random_secret() -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&Secret::new(secret), Duration::from_secs(60))
    }

    #[test]
    fn sign_and_verify() {
        let k = keys("a secret that is long enough");
        let token = k.issue("user-1", Role::Admin, "family-1").unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.sid, "family-1");
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.iss, "blockbuilders");
        assert_eq!(
            keys("another secret entirely").verify(&token).unwrap_err(),
            TokenError::Invalid
        );
        assert_eq!(k.verify("not.a.jwt").unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn challenges_and_access_tokens_are_not_interchangeable() {
        let k = keys("a secret that is long enough");
        let challenge = k.issue_challenge("user-1").unwrap();
        assert_eq!(k.verify_challenge(&challenge).unwrap(), "user-1");
        assert_eq!(k.verify(&challenge).unwrap_err(), TokenError::Invalid);
        let access = k.issue("user-1", Role::Builder, "family-1").unwrap();
        assert_eq!(
            k.verify_challenge(&access).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys("a secret that is long enough");
        let claims = AccessClaims {
            sub: "user-1".into(),
            role: Role::Builder,
            sid: "family-1".into(),
            iat: now_secs() - 3600,
            exp: now_secs() - 1800,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"a secret that is long enough"),
        )
        .unwrap();
        assert_eq!(k.verify(&token).unwrap_err(), TokenError::Expired);
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_a, hash_refresh_token(&a));
        assert_eq!(hash_a.len(), 64);
    }
}
