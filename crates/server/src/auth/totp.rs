//! TOTP two-factor sign-in (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, one step of skew
//! either way) through `totp-rs`, plus one-time recovery codes.
//!
//! Every check takes `now` (Unix seconds) so tests are deterministic; the handlers pass the
//! wall clock. A code is accepted at most once: the matched step is recorded by the store
//! (`Users::use_totp_step`), which refuses that step and every earlier one afterwards.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Blockbuilders";
/// How many recovery codes enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Code attempts allowed per user in [`ATTEMPT_WINDOW_MS`].
pub const MAX_ATTEMPTS: i64 = 5;
/// The attempt window: 10 minutes.
pub const ATTEMPT_WINDOW_MS: i64 = 10 * 60 * 1000;

/// A new random secret (160 bits, the RFC 4226 recommendation), base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://totp/...` address an authenticator app reads from the QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account)?.to_url().ok()
}

/// The QR code of `data` as an SVG document.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The time step a code matches at `now` (Unix seconds), allowing one step either way;
/// `None` when it matches none. Spaces in the code are ignored.
pub fn check(secret_b32: &str, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp(secret_b32, "check")?;
    totp.check(&code, now)
        .and_then(|step| i64::try_from(step).ok())
}

/// The code for `now` (Unix seconds); for tests and tools.
pub fn code_at(secret_b32: &str, now: u64) -> Option<String> {
    Some(totp(secret_b32, "code")?.generate(now).to_string())
}

/// New recovery codes, `xxxxx-xxxxx` from an unambiguous lowercase alphabet (50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes: [u8; 10] = rand::random();
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 (hex) of the code in lowercase without
/// spaces or dashes, so `ABCDE FGHJK` and `abcde-fghjk` are the same code.
pub fn hash_recovery_code(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 secret "12345678901234567890" (last 6 digits).
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn rfc_6238_vectors() {
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, t).unwrap(), code, "t={t}");
            assert_eq!(check(RFC_SECRET, code, t), Some((t / 30) as i64));
        }
    }

    #[test]
    fn one_step_of_skew_either_way() {
        let now = 1_700_000_000u64;
        let step = (now / 30) as i64;
        let code = code_at(RFC_SECRET, now).unwrap();
        assert_eq!(check(RFC_SECRET, &code, now + 30), Some(step));
        assert_eq!(check(RFC_SECRET, &code, now - 30), Some(step));
        assert_eq!(check(RFC_SECRET, &code, now + 60), None);
        assert_eq!(check(RFC_SECRET, &code, now - 60), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(RFC_SECRET, &spaced, now), Some(step));
        assert_eq!(check(RFC_SECRET, "12345", now), None);
        assert_eq!(check(RFC_SECRET, "abcdef", now), None);
    }

    #[test]
    fn secrets_uri_and_qr() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let uri = otpauth_uri(&secret, "ada@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Blockbuilders:ada%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }

    #[test]
    fn recovery_codes_are_random_and_normalised() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 11);
        assert_eq!(
            hash_recovery_code(&codes[0]),
            hash_recovery_code(&codes[0].to_uppercase().replace('-', " "))
        );
    }
}
