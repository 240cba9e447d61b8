//! The master key (key-encryption key). It lives in a file outside the
//! database, mode 0600, and only ever wraps data keys. A key-check value
//! stored with the data lets `serve` refuse a key that does not match.

use crate::{CryptoError, DataKey, hex, random};
use aws_lc_rs::aead::{AES_256_GCM, Aad, RandomizedNonceKey};
use aws_lc_rs::hmac;
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

const FILE_PREFIX: &str = "hippo-master-key-v1:";

pub use crate::key_file::KeyFileError as MasterKeyError;

/// The 256-bit master key.
pub struct MasterKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self {
            bytes: Zeroizing::new(random::bytes::<32>()?),
        })
    }

    /// Loads the key; creates it (mode 0600) when `create` and the file is
    /// absent. Returns the key and whether it was created.
    pub fn load_or_create(path: &Path, create: bool) -> Result<(Self, bool), MasterKeyError> {
        let (raw, created) =
            crate::key_file::load_or_create("master key", path, FILE_PREFIX, create, || {
                Self::generate().map(|k| Zeroizing::new(k.bytes.to_vec()))
            })?;
        let bytes: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::Malformed {
                kind: "master key",
                path: path.to_owned(),
            })?;
        Ok((
            Self {
                bytes: Zeroizing::new(bytes),
            },
            created,
        ))
    }

    /// Writes this key to a new file (mode 0600); fails if the file exists.
    pub fn write_new(&self, path: &Path) -> Result<(), MasterKeyError> {
        crate::key_file::write_new("master key", path, FILE_PREFIX, self.bytes.as_ref())
    }

    /// A value stored with the data that identifies this key without
    /// revealing it: HMAC-SHA256(key, "hippo:key-check:v1"), hex.
    pub fn check_value(&self) -> String {
        let k = hmac::Key::new(hmac::HMAC_SHA256, self.bytes.as_ref());
        hex(hmac::sign(&k, b"hippo:key-check:v1").as_ref())
    }

    fn aead(&self) -> Result<RandomizedNonceKey, CryptoError> {
        RandomizedNonceKey::new(&AES_256_GCM, self.bytes.as_ref()).map_err(|_| CryptoError)
    }

    /// Encrypts a data key for storage, bound to its id.
    pub fn wrap(&self, key_id: &str, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        let mut buf = key.expose().to_vec();
        let aad = format!("hippo:dek:{key_id}");
        let nonce = self
            .aead()?
            .seal_in_place_append_tag(Aad::from(aad.as_bytes()), &mut buf)
            .map_err(|_| CryptoError)?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts a stored data key.
    pub fn unwrap_key(&self, key_id: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        if wrapped.len() != 12 + 32 + 16 {
            return Err(CryptoError);
        }
        let nonce = aws_lc_rs::aead::Nonce::try_assume_unique_for_key(&wrapped[..12])
            .map_err(|_| CryptoError)?;
        let mut buf = Zeroizing::new(wrapped[12..].to_vec());
        let aad = format!("hippo:dek:{key_id}");
        let plain = self
            .aead()?
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buf)
            .map_err(|_| CryptoError)?;
        let bytes: [u8; 32] = (&*plain).try_into().map_err(|_| CryptoError)?;
        DataKey::from_bytes(Zeroizing::new(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_0600_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let (k1, created) = MasterKey::load_or_create(&path, true).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (k2, created) = MasterKey::load_or_create(&path, true).unwrap();
        assert!(!created);
        assert_eq!(k1.check_value(), k2.check_value());
        assert_ne!(
            k1.check_value(),
            MasterKey::generate().unwrap().check_value()
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_world_readable_missing_and_garbage() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path, true).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&path, true),
            Err(MasterKeyError::TooOpen { .. })
        ));
        let missing = dir.path().join("nope.key");
        assert!(matches!(
            MasterKey::load_or_create(&missing, false),
            Err(MasterKeyError::Missing { .. })
        ));
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, "hello").unwrap();
        std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&garbage, false),
            Err(MasterKeyError::Malformed { .. })
        ));
    }

    #[test]
    fn wraps_data_keys_bound_to_their_id() {
        let mk = MasterKey::generate().unwrap();
        let dek = DataKey::generate().unwrap();
        let wrapped = mk.wrap("k1", &dek).unwrap();
        let back = mk.unwrap_key("k1", &wrapped).unwrap();
        assert_eq!(back.expose(), dek.expose());
        assert!(mk.unwrap_key("k2", &wrapped).is_err());
        assert!(
            MasterKey::generate()
                .unwrap()
                .unwrap_key("k1", &wrapped)
                .is_err()
        );
    }
}
