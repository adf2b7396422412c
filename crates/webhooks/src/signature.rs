//! Standard Webhooks signatures (v1, symmetric): the signed content is
//! `{webhook-id}.{webhook-timestamp}.{body}`, the key is the base64-decoded bytes after the
//! `whsec_` prefix, and a signature is `v1,` + standard base64 of HMAC-SHA256. The
//! `webhook-signature` header lists one per secret, separated by spaces, so a rotated secret
//! and its predecessor both sign during the overlap.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How far a receiver accepts a timestamp from its own clock (the reference libraries' 5 min).
pub const TOLERANCE_SECS: i64 = 300;

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// Why a secret or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("a signing secret starts with `whsec_` followed by base64 of 24 to 64 bytes")]
    BadSecret,
    #[error("the webhook-timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the webhook-timestamp is more than 5 minutes from now")]
    Stale,
    #[error("no v1 signature matches")]
    NoMatch,
}

fn key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let b64 = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SignatureError::BadSecret)?;
    let key = STANDARD
        .decode(b64)
        .map_err(|_| SignatureError::BadSecret)?;
    if !(24..=64).contains(&key.len()) {
        return Err(SignatureError::BadSecret);
    }
    Ok(key)
}

fn mac(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `v1,<base64>` for one secret.
pub fn sign(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let key = key(secret)?;
    let tag = mac(&key, msg_id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[&str],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let sigs = secrets
        .iter()
        .map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sigs.join(" "))
}

/// What a receiver does: accepts when the timestamp is within [`TOLERANCE_SECS`] of `now`
/// and any `v1` signature in `header` is the HMAC of this message under `secret`
/// (compared in constant time). Other schemes (`v1a`, unknown) are ignored.
pub fn verify(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let key = key(secret)?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for part in header.split(' ') {
        let Some(b64) = part.strip_prefix("v1,") else {
            continue;
        };
        let Ok(tag) = STANDARD.decode(b64) else {
            continue;
        };
        if mac(&key, msg_id, ts, body).verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries' tests.
    #[test]
    fn matches_the_reference_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_receiver_accepts_either_secret_during_rotation_and_nothing_tampered() {
        let (old, new) = (new_secret(), new_secret());
        let body = br#"{"type":"backtest.succeeded"}"#;
        let header = signature_header(&[&new, &old], "msg_1", 1_000, body).unwrap();
        assert_eq!(header.split(' ').count(), 2);
        verify(&old, "msg_1", "1000", &header, body, 1_000).unwrap();
        verify(&new, "msg_1", "1000", &header, body, 1_200).unwrap();
        let other = new_secret();
        assert_eq!(
            verify(&other, "msg_1", "1000", &header, body, 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_1", "1000", &header, b"{}", 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_2", "1000", &header, body, 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&new, "msg_1", "1000", &header, body, 1_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&new, "msg_1", "1000", &header, body, 699),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn secrets_are_checked() {
        assert_eq!(sign("abc", "m", 1, b""), Err(SignatureError::BadSecret));
        assert_eq!(
            sign("whsec_!!", "m", 1, b""),
            Err(SignatureError::BadSecret)
        );
        assert_eq!(
            sign("whsec_AAAA", "m", 1, b""),
            Err(SignatureError::BadSecret)
        );
        let s = new_secret();
        assert!(s.starts_with("whsec_"));
        assert_eq!(key(&s).unwrap().len(), 32);
        assert_ne!(s, new_secret());
    }
}
