//! The master key (key-encryption key). It lives in a file outside the
//! database, mode 0600, and only ever wraps data keys. A key-check value
//! stored with the data lets `serve` refuse a key that does not match.

use crate::{CryptoError, DataKey, hex, random};
use aws_lc_rs::aead::{AES_256_GCM, Aad, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const FILE_PREFIX: &str = "hippo-master-key-v1:";

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("master key file {0} does not exist")]
    Missing(PathBuf),
    #[error(
        "master key file {path} is readable by group or others (mode {mode:o}); run: chmod 600 {path}"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("master key file {0} is not a hippo master key")]
    Malformed(PathBuf),
    #[error("master key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not generate a master key")]
    Crypto,
}

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
        let io = |source| MasterKeyError::Io {
            path: path.to_owned(),
            source,
        };
        if !path.exists() {
            if !create {
                return Err(MasterKeyError::Missing(path.to_owned()));
            }
            let key = Self::generate().map_err(|_| MasterKeyError::Crypto)?;
            let text = Zeroizing::new(format!(
                "{FILE_PREFIX}{}\n",
                STANDARD.encode(key.bytes.as_ref())
            ));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            return Ok((key, true));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(MasterKeyError::TooOpen {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let b64 = text
            .trim()
            .strip_prefix(FILE_PREFIX)
            .ok_or_else(|| MasterKeyError::Malformed(path.to_owned()))?;
        let raw = Zeroizing::new(
            STANDARD
                .decode(b64)
                .map_err(|_| MasterKeyError::Malformed(path.to_owned()))?,
        );
        let bytes: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::Malformed(path.to_owned()))?;
        Ok((
            Self {
                bytes: Zeroizing::new(bytes),
            },
            false,
        ))
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
            Err(MasterKeyError::Missing(_))
        ));
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, "hello").unwrap();
        std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&garbage, false),
            Err(MasterKeyError::Malformed(_))
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
