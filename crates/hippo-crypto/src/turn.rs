//! TURN credentials in the shared-secret scheme coturn checks with
//! `use-auth-secret` (draft-uberti-behave-turn-rest): the username is
//! `<unix expiry>:<opaque id>` and the password is
//! base64(HMAC-SHA1(secret, username)). SHA-1 is what coturn computes; the
//! secret never leaves the server and the credential expires on its own.

use crate::CryptoError;
use aws_lc_rs::hmac;
use base64::Engine as _;
use zeroize::Zeroizing;

/// A short-lived TURN username and password.
pub struct TurnCredential {
    pub username: String,
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for TurnCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnCredential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A credential valid until `expires_unix`, whose username carries a fresh
/// random id and nothing about the person it is for.
pub fn turn_credential(secret: &[u8], expires_unix: i64) -> Result<TurnCredential, CryptoError> {
    let opaque = crate::hex(&crate::random::bytes::<12>()?);
    let username = format!("{expires_unix}:{opaque}");
    Ok(TurnCredential {
        password: turn_password(secret, &username),
        username,
    })
}

/// The password coturn expects for `username`.
pub fn turn_password(secret: &[u8], username: &str) -> Zeroizing<String> {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, username.as_bytes());
    Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(tag.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_scheme() {
        // HMAC-SHA1("secret", "1700000000:alice"), computed independently
        // with `openssl dgst -sha1 -hmac secret -binary | base64`.
        assert_eq!(
            turn_password(b"secret", "1700000000:alice").as_str(),
            "d8soP47RbdIKLDUOpnJPVQyq5Ts="
        );
        let c = turn_credential(b"secret", 1_700_000_600).unwrap();
        let (expiry, opaque) = c.username.split_once(':').unwrap();
        assert_eq!(expiry, "1700000600");
        assert_eq!(opaque.len(), 24);
        assert_eq!(c.password, turn_password(b"secret", &c.username));
        assert!(!format!("{c:?}").contains(c.password.as_str()));
    }
}
