//! Links that carry their own authority: a value and an HMAC-SHA256 of it under the site's
//! secret key, for actions that need no sign-in (unsubscribing from a notification). A link
//! cannot be made for another value without the key, and checking it needs no table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], purpose: &str, value: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    mac
}

/// `value.signature`, for `purpose` (a token for one purpose is no good for another).
pub fn sign(secret: &[u8], purpose: &str, value: &str) -> String {
    let signature = mac(secret, purpose, value).finalize().into_bytes();
    format!("{value}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The value of a token made by `sign` for `purpose`, if its signature holds.
pub fn verify(secret: &[u8], purpose: &str, token: &str) -> Option<String> {
    let (value, signature) = token.rsplit_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac(secret, purpose, value)
        .verify_slice(&signature)
        .ok()
        .map(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_signed_value_for_its_purpose_passes() {
        let key = [7u8; 64];
        let token = sign(&key, "unsubscribe", "42");
        assert_eq!(verify(&key, "unsubscribe", &token).as_deref(), Some("42"));
        assert_eq!(verify(&key, "other", &token), None);
        assert_eq!(verify(&[8u8; 64], "unsubscribe", &token), None);
        let forged = token.replacen("42", "43", 1);
        assert_eq!(verify(&key, "unsubscribe", &forged), None);
        for junk in ["", ".", "42", "42.", "42.!!!", "a.b.c"] {
            assert_eq!(verify(&key, "unsubscribe", junk), None, "{junk}");
        }
    }
}
