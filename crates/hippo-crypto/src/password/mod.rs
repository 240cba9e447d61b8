//! Passwords: the NIST SP 800-63B-4 policy and argon2id hashing.
//!
//! The policy ([`PasswordPolicy::check`]) asks for a length (8 characters
//! with a second factor, 15 without) and refuses, with no composition rules:
//! passwords, words and names from the shipped blocklist ([`blocklist`]),
//! also once decorations are stripped (`Summer2026`, `P@ssw0rd!`);
//! repetitive and sequential strings ([`patterns`]); and context words — the
//! service name `hippo`, the username and the organisation name. Refusal
//! messages never repeat the password.

pub mod blocklist;
mod hash;
pub mod patterns;

pub use hash::{ARGON2_M_KIB, ARGON2_P, ARGON2_T, PasswordHasher};

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
    #[error("password must not be one character or one chunk repeated")]
    Repetitive,
    #[error("password must not be a run of sequential or keyboard characters")]
    Sequential,
    #[error("password is a common word with digits or symbols added; choose another")]
    DecoratedWord,
    #[error("password must not contain the service or organisation name")]
    ContainsContextWord,
}

/// Longest accepted password, in characters (NIST asks for at least 64).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The service's own name, always refused inside passwords.
pub const SERVICE_NAME: &str = "hippo";

/// Shortest undecorated word looked up in the blocklist (shorter cores such
/// as `ab` in `ab93!x` would refuse random passwords for no gain).
const MIN_CORE_CHARS: usize = 4;

/// The password rules in force.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_chars: usize,
}

/// Whether `hay` (lower case) contains `word` as typed or with leetspeak
/// undone; words shorter than 3 characters are ignored.
fn contains_word(hay: &str, forms: &[String], word: &str) -> bool {
    let w = word.trim().to_lowercase();
    w.chars().count() >= 3 && (hay.contains(&w) || forms.iter().any(|f| f.contains(&w)))
}

impl PasswordPolicy {
    /// 8 characters when a second factor is required, 15 when a password is
    /// the only factor (SP 800-63B-4 §3.1.1.2).
    pub fn for_mfa(mfa_required: bool) -> Self {
        Self {
            min_chars: if mfa_required { 8 } else { 15 },
        }
    }

    /// [`Self::check_in_context`] with no organisation name.
    pub fn check(&self, password: &str, username: &str) -> Result<(), PasswordError> {
        self.check_in_context(password, username, None)
    }

    /// Checks a new password for `username`; `organisation` is the
    /// operator's organisation name, when configured.
    pub fn check_in_context(
        &self,
        password: &str,
        username: &str,
        organisation: Option<&str>,
    ) -> Result<(), PasswordError> {
        let n = password.chars().count();
        if n < self.min_chars {
            return Err(PasswordError::TooShort(self.min_chars));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong(MAX_PASSWORD_CHARS));
        }
        let lower = password.to_lowercase();
        if blocklist::is_listed(&lower) {
            return Err(PasswordError::Common);
        }
        let candidates = patterns::candidates(&lower, 1);
        let forms = [
            candidates.as_slice(),
            &[lower.replace(char::is_whitespace, "")],
        ]
        .concat();
        if contains_word(&lower, &forms, username) {
            return Err(PasswordError::ContainsUsername);
        }
        let org_words = organisation
            .into_iter()
            .flat_map(|o| std::iter::once(o).chain(o.split_whitespace()));
        if std::iter::once(SERVICE_NAME)
            .chain(org_words)
            .any(|w| contains_word(&lower, &forms, w))
        {
            return Err(PasswordError::ContainsContextWord);
        }
        if patterns::is_repeated_chunk(&lower) {
            return Err(PasswordError::Repetitive);
        }
        if patterns::is_sequential(&lower) {
            return Err(PasswordError::Sequential);
        }
        let cores: Vec<&String> = candidates
            .iter()
            .filter(|c| c.chars().count() >= MIN_CORE_CHARS)
            .collect();
        if cores
            .iter()
            .any(|c| patterns::is_repeated_chunk(c) || patterns::is_sequential(c))
        {
            return Err(PasswordError::Repetitive);
        }
        if cores.iter().any(|c| blocklist::is_listed(c)) {
            return Err(PasswordError::DecoratedWord);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
