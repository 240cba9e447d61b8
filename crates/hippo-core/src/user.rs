//! Accounts: validated usernames and display names, and the user as the rest
//! of the system sees it (decrypted, without secrets).

use crate::{Role, Timestamp, UserId};
use serde::Serialize;

/// A login name: 3–64 characters of `a-z 0-9 . _ -`, starting with a letter or
/// digit. Input is lower-cased, so `Alice` and `alice` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_lowercase();
        if s.len() < 3 || s.len() > 64 {
            return Err("username must be 3 to 64 characters".into());
        }
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if !s.chars().all(ok_char) {
            return Err("username may contain only a-z, 0-9, '.', '_' and '-'".into());
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("username must start with a letter or digit".into());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's or integration's name as shown to others: 1–200 characters,
/// no control characters, surrounding whitespace removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let n = s.chars().count();
        if n == 0 || n > 200 {
            return Err("display_name must be 1 to 200 characters".into());
        }
        if s.chars().any(char::is_control) {
            return Err("display_name must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(UserStatus::Active),
            "deactivated" => Some(UserStatus::Deactivated),
            _ => None,
        }
    }
}

/// A user account, decrypted, without any secret material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub mfa_enabled: bool,
    pub must_change_password: bool,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Alice ").map(|u| u.0), Ok("alice".into()));
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("-alice").is_err());
        assert!(Username::parse("alice smith").is_err());
        assert!(Username::parse("ålice").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("dr.jones_2-b").is_ok());
    }

    #[test]
    fn display_names() {
        assert_eq!(
            DisplayName::parse("  Dr. Zoë Ng ").map(|d| d.0),
            Ok("Dr. Zoë Ng".into())
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
        assert!(DisplayName::parse(&"x".repeat(201)).is_err());
    }
}
