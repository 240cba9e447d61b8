//! Opaque session tokens: 256 random bits, base64url on the wire, stored only
//! as their SHA-256 so a copy of the database lets nobody log in.

use crate::{CryptoError, hex, random, sha256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

/// Prefix that makes hippo session tokens recognisable to secret scanners.
const PREFIX: &str = "hpo_";
/// Prefix of a service account's API key (the same shape otherwise).
pub const API_KEY_PREFIX: &str = "hpk_";

/// A new session token for the client and the hash to store.
pub fn generate() -> Result<(Zeroizing<String>, String), CryptoError> {
    generate_with(PREFIX)
}

/// A new API key (`hpk_…`) and the hash to store.
pub fn generate_api_key() -> Result<(Zeroizing<String>, String), CryptoError> {
    generate_with(API_KEY_PREFIX)
}

fn generate_with(prefix: &str) -> Result<(Zeroizing<String>, String), CryptoError> {
    let raw = Zeroizing::new(random::bytes::<32>()?);
    let token = Zeroizing::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw.as_ref())));
    let hash = hash(&token);
    Ok((token, hash))
}

/// Whether a presented token is an API key (by its prefix).
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

/// The storage form of a presented token. Lookups by this hash are safe:
/// the hash of a guess reveals nothing about other tokens.
pub fn hash(token: &str) -> String {
    hex(&sha256(token.as_bytes()))
}

/// The CSRF token of a browser (cookie) session: derived from the session
/// token, so nothing more is stored, and useless without the HttpOnly cookie
/// that script on another site can neither read nor send (SameSite=Strict).
/// A one-way hash, so the page that holds it cannot recover the session
/// token from it.
pub fn csrf_token(token: &str) -> String {
    let mut input = Zeroizing::new(Vec::with_capacity(token.len() + 16));
    input.extend_from_slice(b"hippo-csrf-v1\0");
    input.extend_from_slice(token.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(&input))
}

/// Whether a presented string is shaped like a token at all (cheap filter
/// before touching storage).
pub fn looks_valid(token: &str) -> bool {
    token.len() == PREFIX.len() + 43
        && (token.starts_with(PREFIX) || token.starts_with(API_KEY_PREFIX))
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (a, ha) = generate().unwrap();
        let (b, hb) = generate().unwrap();
        assert_ne!(*a, *b);
        assert_ne!(ha, hb);
        assert_eq!(hash(&a), ha);
        assert!(looks_valid(&a));
        assert!(!looks_valid("hpo_short"));
        assert!(!ha.contains(&a[4..]));
        let (k, hk) = generate_api_key().unwrap();
        assert!(k.starts_with("hpk_") && looks_valid(&k) && is_api_key(&k));
        assert!(!is_api_key(&a));
        assert_eq!(hash(&k), hk);
        assert!(!looks_valid(
            "hpx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
    }
}
