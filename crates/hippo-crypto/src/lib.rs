//! hippo's cryptography: the master key and envelope encryption, password
//! hashing and policy, session tokens, TOTP and keyed blind indexes.
//!
//! Symmetric primitives, HMAC and randomness come from aws-lc-rs, so a
//! FIPS 140-3 build needs no code change; argon2id is outside that boundary
//! (see docs/adr/0002-crypto.md).

pub mod audit_key;
pub mod envelope;
pub mod key_file;
pub mod master_key;
pub mod password;
pub mod random;
pub mod recovery;
pub mod token;
pub mod totp;
pub mod turn;
pub mod webhook;

pub use audit_key::AuditSigningKey;
pub use envelope::{Aad, DataKey, IndexKey, SEAL_OVERHEAD};
pub use key_file::KeyFileError;
pub use master_key::{MasterKey, MasterKeyError};
pub use password::{PasswordError, PasswordHasher, PasswordPolicy};

/// A cryptographic operation failed: a wrong key, tampered ciphertext or
/// an unusable input. Deliberately carries no detail.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cryptographic operation failed")]
pub struct CryptoError;

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Bytes of a hex string (either case); `None` if it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-256 over data that arrives in pieces (an upload).
pub struct Sha256(aws_lc_rs::digest::Context);

impl Default for Sha256 {
    fn default() -> Self {
        Self(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
    }
}

impl Sha256 {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Lower-case hex of the digest.
    pub fn finish_hex(self) -> String {
        hex(self.0.finish().as_ref())
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
