//! argon2id password hashing.
//!
//! Hashing parameters are OWASP's argon2id baseline: m = 19 MiB, t = 2, p = 1
//! (measured cost per login in BENCHMARKS.md). Hashing is CPU- and
//! memory-bound; callers run it on a blocking thread behind a semaphore.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id hashing with fixed, documented parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    dummy_hash: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(argon2id)")
    }
}

/// Memory cost in KiB, iterations and lanes.
pub const ARGON2_M_KIB: u32 = 19_456;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

impl PasswordHasher {
    pub fn new() -> Result<Self, crate::CryptoError> {
        Self::with_params(ARGON2_M_KIB, ARGON2_T, ARGON2_P)
    }

    /// Other parameters, for benchmarks.
    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Result<Self, crate::CryptoError> {
        let params = Params::new(m_kib, t, p, None).map_err(|_| crate::CryptoError)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut me = Self {
            argon,
            dummy_hash: String::new(),
        };
        me.dummy_hash = me.hash("hippo-dummy-password-for-timing")?;
        Ok(me)
    }

    /// A PHC string (`$argon2id$v=19$m=…`) with a random 128-bit salt.
    pub fn hash(&self, password: &str) -> Result<String, crate::CryptoError> {
        let salt_bytes = crate::random::bytes::<16>()?;
        self.argon
            .hash_password_with_salt(password.as_bytes(), &salt_bytes)
            .map(|h| h.to_string())
            .map_err(|_| crate::CryptoError)
    }

    /// Whether `password` matches `phc`. Parameters are read from the stored
    /// hash, so hashes made with older parameters still verify.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the same work as a real verification and returns false; used
    /// for unknown usernames so that timing does not reveal existence.
    pub fn verify_dummy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.dummy_hash);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = PasswordHasher::with_params(1024, 1, 1).unwrap();
        let phc = h.hash("kettle-drum-7").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(h.verify("kettle-drum-7", &phc));
        assert!(!h.verify("kettle-drum-8", &phc));
        assert!(!h.verify("kettle-drum-7", "not a hash"));
        assert!(!h.verify_dummy("anything"));
        assert_ne!(phc, h.hash("kettle-drum-7").unwrap(), "salted");
    }
}
