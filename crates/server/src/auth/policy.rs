//! The password policy for new passwords: length, not guessable (zxcvbn, offline: its
//! dictionaries hold the most common and most breached passwords, names and words), and
//! not the email. Each refusal is a sentence for a non-programmer.

/// At least this many characters.
pub const MIN_PASSWORD: usize = 12;
/// At most this many characters.
pub const MAX_PASSWORD: usize = 1024;
/// zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" (about 10^10 guesses).
const MIN_SCORE: u8 = 3;
/// zxcvbn's cost grows with the length; it judges this many leading characters (a password
/// this long that is still weak in its first 64 characters is weak).
const JUDGED_CHARS: usize = 64;

/// Why a password is refused; `None` when it is acceptable. CPU-bound (zxcvbn): call it on
/// the blocking pool.
pub fn refuse(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Some(format!(
            "The password needs at least {MIN_PASSWORD} characters (it has {length}). A few \
             unrelated words make a long password that is easy to remember."
        ));
    }
    if length > MAX_PASSWORD {
        return Some(format!(
            "The password may have at most {MAX_PASSWORD} characters (it has {length})."
        ));
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if lower == email || (local.chars().count() >= 3 && lower.contains(local)) {
        return Some(
            "The password must not be or contain your email address: anyone who knows your \
             email could guess it."
                .to_string(),
        );
    }
    let judged: String = password.chars().take(JUDGED_CHARS).collect();
    let inputs = [email.as_str(), local, "blockbuilders", "block", "builders"];
    let entropy = zxcvbn::zxcvbn(&judged, &inputs);
    if u8::from(entropy.score()) < MIN_SCORE {
        let hint = entropy
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Some(format!(
            "This password is too easy to guess{hint}. Common passwords, leaked passwords, \
             names, dates and keyboard patterns are refused; try three or four unrelated \
             words."
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_email_passwords_are_refused() {
        let email = "grace.hopper@example.com";
        assert!(refuse("short", email).unwrap().contains("at least 12"));
        assert!(
            refuse(&"x".repeat(1025), email)
                .unwrap()
                .contains("at most")
        );
        for common in [
            "password1234",
            "qwertyuiop123",
            "123456789012",
            "iloveyou1234",
        ] {
            let reason = refuse(common, email).unwrap_or_default();
            assert!(reason.contains("too easy to guess"), "{common}: {reason}");
        }
        assert!(refuse(email, email).unwrap().contains("email"));
        assert!(
            refuse("Grace.Hopper-zebra-violin", email)
                .unwrap()
                .contains("email")
        );
        assert_eq!(refuse("lunar tapestry quietly orbits", email), None);
    }
}
