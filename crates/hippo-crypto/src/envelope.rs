//! Envelope encryption. Data is sealed with AES-256-GCM under a data key;
//! data keys are stored wrapped (encrypted) by the master key. Every
//! ciphertext is bound by its AAD to the place it belongs (table, column,
//! row id), so a ciphertext copied to another row or column fails to open.
//!
//! Sealed format: `0x01 || nonce (12) || ciphertext || tag (16)`.

use crate::{CryptoError, random};
use aws_lc_rs::aead::{AES_256_GCM, Aad as LcAad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use std::fmt;
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;

/// Bytes a sealed value has beyond its plaintext (format byte, nonce, tag).
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + 16;

/// Associated data naming where a ciphertext lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aad(String);

impl Aad {
    /// `table.column` of row `row_id`.
    pub fn field(table: &str, column: &str, row_id: &str) -> Self {
        Self(format!("hippo:v1:{table}:{column}:{row_id}"))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A 256-bit data-encryption key.
pub struct DataKey {
    bytes: Zeroizing<[u8; 32]>,
    key: RandomizedNonceKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Self::from_bytes(Zeroizing::new(random::bytes::<32>()?))
    }

    pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Result<Self, CryptoError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes.as_ref()).map_err(|_| CryptoError)?;
        Ok(Self { bytes, key })
    }

    /// The raw key, for wrapping only.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Encrypts `plaintext` bound to `aad` with a fresh random nonce.
    /// A key for another purpose, derived from this one (HMAC-SHA256):
    /// whoever holds this key can derive it, nobody else.
    pub fn derive(&self, purpose: &str) -> Result<Self, CryptoError> {
        let k = hmac::Key::new(hmac::HMAC_SHA256, self.expose());
        let tag = hmac::sign(&k, format!("hippo:derive:{purpose}").as_bytes());
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(tag.as_ref());
        Self::from_bytes(bytes)
    }

    pub fn seal(&self, aad: &Aad, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut buf = plaintext.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(LcAad::from(aad.bytes()), &mut buf)
            .map_err(|_| CryptoError)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts and authenticates; fails on any change to the ciphertext, the
    /// key or the AAD.
    pub fn open(&self, aad: &Aad, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
            return Err(CryptoError);
        }
        let nonce =
            Nonce::try_assume_unique_for_key(&sealed[1..=NONCE_LEN]).map_err(|_| CryptoError)?;
        let mut buf = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, LcAad::from(aad.bytes()), &mut buf)
            .map_err(|_| CryptoError)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }

    /// Seals UTF-8 text.
    pub fn seal_str(&self, aad: &Aad, text: &str) -> Result<Vec<u8>, CryptoError> {
        self.seal(aad, text.as_bytes())
    }

    /// Opens UTF-8 text.
    pub fn open_str(&self, aad: &Aad, sealed: &[u8]) -> Result<String, CryptoError> {
        let bytes = self.open(aad, sealed)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CryptoError)
    }
}

/// A key for keyed blind indexes: equality lookups (a username, later a phone
/// number) without storing the value in clear.
pub struct IndexKey(hmac::Key);

impl fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IndexKey(<redacted>)")
    }
}

impl IndexKey {
    /// Derives an index key for one purpose from a data key.
    pub fn derive(from: &DataKey, purpose: &str) -> Self {
        let k = hmac::Key::new(hmac::HMAC_SHA256, from.expose());
        let tag = hmac::sign(&k, format!("hippo:index:{purpose}").as_bytes());
        Self(hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref()))
    }

    /// The index value of `input` (hex HMAC-SHA256).
    pub fn index(&self, input: &str) -> String {
        crate::hex(hmac::sign(&self.0, input.as_bytes()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_with_fresh_nonces() {
        let k = DataKey::generate().unwrap();
        let aad = Aad::field("users", "display_name", "u1");
        let a = k.seal_str(&aad, "Dr. Canary").unwrap();
        let b = k.seal_str(&aad, "Dr. Canary").unwrap();
        assert_ne!(a, b, "nonces must differ");
        assert_eq!(k.open_str(&aad, &a).unwrap(), "Dr. Canary");
        assert!(!a.windows(6).any(|w| w == b"Canary"));
    }

    #[test]
    fn wrong_row_column_or_key_fails() {
        let k = DataKey::generate().unwrap();
        let sealed = k
            .seal_str(&Aad::field("users", "display_name", "u1"), "x")
            .unwrap();
        assert!(
            k.open(&Aad::field("users", "display_name", "u2"), &sealed)
                .is_err()
        );
        assert!(
            k.open(&Aad::field("users", "username", "u1"), &sealed)
                .is_err()
        );
        let other = DataKey::generate().unwrap();
        assert!(
            other
                .open(&Aad::field("users", "display_name", "u1"), &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(
            k.open(&Aad::field("users", "display_name", "u1"), &tampered)
                .is_err()
        );
        assert!(
            k.open(&Aad::field("users", "display_name", "u1"), &[1, 2, 3])
                .is_err()
        );
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let k1 = DataKey::generate().unwrap();
        let k2 = DataKey::generate().unwrap();
        let a = IndexKey::derive(&k1, "username");
        assert_eq!(a.index("alice"), a.index("alice"));
        assert_ne!(a.index("alice"), a.index("bob"));
        assert_ne!(
            a.index("alice"),
            IndexKey::derive(&k2, "username").index("alice")
        );
        assert_ne!(
            a.index("alice"),
            IndexKey::derive(&k1, "phone").index("alice")
        );
    }
}
