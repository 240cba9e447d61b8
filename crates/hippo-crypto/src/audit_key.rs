//! The audit signing key (Ed25519). It signs checkpoints of the audit
//! chain: "the trail had N records and ended in hash H". It lives in a file
//! apart from the database (mode 0600), so whoever can rewrite the database
//! still cannot forge a checkpoint, and verification catches a trail that
//! was cut short or recomputed.

use crate::key_file::{self, KeyFileError};
use crate::{CryptoError, hex, sha256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

const FILE_PREFIX: &str = "hippo-audit-signing-key-v1:";
const KIND: &str = "audit signing key";

/// The Ed25519 key pair that signs audit checkpoints.
pub struct AuditSigningKey {
    pair: Ed25519KeyPair,
}

impl fmt::Debug for AuditSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditSigningKey({})", self.key_id())
    }
}

impl AuditSigningKey {
    /// Loads the key; creates it (mode 0600) when `create` and the file is
    /// absent. Returns the key and whether it was created.
    pub fn load_or_create(path: &Path, create: bool) -> Result<(Self, bool), KeyFileError> {
        let (pkcs8, created) = key_file::load_or_create(KIND, path, FILE_PREFIX, create, || {
            let doc =
                Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| CryptoError)?;
            Ok(Zeroizing::new(doc.as_ref().to_vec()))
        })?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| KeyFileError::Malformed {
            kind: KIND,
            path: path.to_owned(),
        })?;
        Ok((Self { pair }, created))
    }

    /// Hex SHA-256 of the public key: names the key in each checkpoint.
    pub fn key_id(&self) -> String {
        hex(&sha256(self.pair.public_key().as_ref()))
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// The key id of a raw public key (see [`AuditSigningKey::key_id`]).
    pub fn key_id_of(public_key: &[u8]) -> String {
        hex(&sha256(public_key))
    }

    /// Whether `signature` over `message` was made by `public_key`.
    pub fn verify_with(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(message, signature)
            .is_ok()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// Whether `signature` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.pair.public_key().as_ref())
            .verify(message, signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let (key, created) = AuditSigningKey::load_or_create(&path, true).unwrap();
        assert!(created);
        let sig = key.sign(b"checkpoint 42");
        assert!(key.verify(b"checkpoint 42", &sig));
        assert!(!key.verify(b"checkpoint 43", &sig));
        let (again, created) = AuditSigningKey::load_or_create(&path, false).unwrap();
        assert!(!created);
        assert_eq!(again.key_id(), key.key_id());
        assert!(again.verify(b"checkpoint 42", &sig));
        // A different key does not verify it.
        let other_path = dir.path().join("other.key");
        let (other, _) = AuditSigningKey::load_or_create(&other_path, true).unwrap();
        assert!(!other.verify(b"checkpoint 42", &sig));
        // The master key's file is not an audit key.
        let master = dir.path().join("master.key");
        crate::MasterKey::load_or_create(&master, true).unwrap();
        assert!(matches!(
            AuditSigningKey::load_or_create(&master, false),
            Err(KeyFileError::Malformed { .. })
        ));
    }
}
