//! Unsubscribe tokens: `base64url(user_id "\n" kind "\n" hex(HMAC-SHA256(key, user_id "\n"
//! kind)))`. The token alone names the recipient and the kind (RFC 8058: the one-click
//! POST carries no cookie), and nobody without the key can make one for another user.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac(key: &[u8], user_id: &str, kind: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    mac.update(user_id.as_bytes());
    mac.update(b"\n");
    mac.update(kind.as_bytes());
    mac
}

/// The token that unsubscribes `user_id` from emails of `kind`.
pub fn sign(key: &[u8], user_id: &str, kind: &str) -> String {
    let sig = hex::encode(mac(key, user_id, kind).finalize().into_bytes());
    URL_SAFE_NO_PAD.encode(format!("{user_id}\n{kind}\n{sig}"))
}

/// `(user_id, kind)` of a genuine token; `None` for anything else.
pub fn verify(key: &[u8], token: &str) -> Option<(String, String)> {
    if token.len() > 1024 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.splitn(3, '\n');
    let (user, kind, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let sig = hex::decode(sig).ok()?;
    mac(key, user, kind).verify_slice(&sig).ok()?;
    Some((user.to_owned(), kind.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_and_kind_and_nothing_else_passes() {
        let key = b"install key";
        let t = sign(key, "u1", "backtest.succeeded");
        assert_eq!(
            verify(key, &t),
            Some(("u1".into(), "backtest.succeeded".into()))
        );
        assert_eq!(verify(b"other key", &t), None);
        let forged = URL_SAFE_NO_PAD.encode("u2\nbacktest.succeeded\n00");
        assert_eq!(verify(key, &forged), None);
        // Another user's signature on this user's name does not pass.
        let other = sign(key, "u2", "backtest.succeeded");
        let sig = String::from_utf8(URL_SAFE_NO_PAD.decode(&other).unwrap()).unwrap();
        let stolen = URL_SAFE_NO_PAD.encode(format!(
            "u1\nbacktest.succeeded\n{}",
            sig.rsplit('\n').next().unwrap()
        ));
        assert_eq!(verify(key, &stolen), None);
        for junk in ["", "!!", "a", &"A".repeat(5000)] {
            assert_eq!(verify(key, junk), None);
        }
    }
}
