//! Passwords: the NIST SP 800-63B-4 policy (length, not common or breached,
//! not the username; no composition rules) and argon2id hashing.
//!
//! Hashing parameters are OWASP's argon2id baseline: m = 19 MiB, t = 2, p = 1
//! (measured cost per login in BENCHMARKS.md). Hashing is CPU- and
//! memory-bound; callers run it on a blocking thread behind a semaphore.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Why a password was refused. The text is safe to show to the user.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {0} characters")]
    TooShort(usize),
    #[error("password must be at most {0} characters")]
    TooLong(usize),
    #[error("password is too common or known from breaches; choose another")]
    Common,
    #[error("password must not contain the username")]
    ContainsUsername,
    #[error("password must not be one character repeated")]
    Repetitive,
}

/// Longest accepted password, in characters (NIST asks for at least 64).
pub const MAX_PASSWORD_CHARS: usize = 256;

const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// The password rules in force.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_chars: usize,
}

impl PasswordPolicy {
    /// 8 characters when a second factor is required, 15 when a password is
    /// the only factor (SP 800-63B-4 §3.1.1.2).
    pub fn for_mfa(mfa_required: bool) -> Self {
        Self {
            min_chars: if mfa_required { 8 } else { 15 },
        }
    }

    pub fn check(&self, password: &str, username: &str) -> Result<(), PasswordError> {
        let n = password.chars().count();
        if n < self.min_chars {
            return Err(PasswordError::TooShort(self.min_chars));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong(MAX_PASSWORD_CHARS));
        }
        let lower = password.to_lowercase();
        if common_set().contains(lower.as_str()) {
            return Err(PasswordError::Common);
        }
        if username.len() >= 3 && lower.contains(&username.to_lowercase()) {
            return Err(PasswordError::ContainsUsername);
        }
        let mut chars = password.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(PasswordError::Repetitive);
        }
        Ok(())
    }
}

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
    fn policy_follows_nist() {
        let mfa = PasswordPolicy::for_mfa(true);
        let solo = PasswordPolicy::for_mfa(false);
        assert_eq!(
            mfa.check("short1!", "alice"),
            Err(PasswordError::TooShort(8))
        );
        assert!(mfa.check("kettle-drum-7", "alice").is_ok());
        assert_eq!(
            solo.check("kettle-drum-7", "alice"),
            Err(PasswordError::TooShort(15))
        );
        assert!(solo.check("correct horse battery staple", "alice").is_ok());
        assert_eq!(mfa.check("password1", "alice"), Err(PasswordError::Common));
        assert_eq!(mfa.check("Password1", "alice"), Err(PasswordError::Common));
        assert_eq!(mfa.check("iloveyou2", "alice"), Err(PasswordError::Common));
        assert_eq!(
            mfa.check("alice-rocks-99", "alice"),
            Err(PasswordError::ContainsUsername)
        );
        assert_eq!(
            mfa.check("zzzzzzzzzz", "bob"),
            Err(PasswordError::Repetitive)
        );
        assert_eq!(
            mfa.check(&"ab".repeat(200), "bob"),
            Err(PasswordError::TooLong(MAX_PASSWORD_CHARS))
        );
        // No composition rules: all lower-case letters are fine.
        assert!(mfa.check("quiet lantern meadow", "bob").is_ok());
    }

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
