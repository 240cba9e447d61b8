//! Login sessions and what a session may reach.

use crate::{SessionId, Timestamp, UserId};
use std::time::Duration;

/// What a session token reaches. A session that still owes a step (MFA
/// enrollment, a password change) is limited to the calls that complete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    Full,
    MfaEnrollment,
    PasswordChange,
}

impl SessionScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionScope::Full => "full",
            SessionScope::MfaEnrollment => "mfa_enrollment",
            SessionScope::PasswordChange => "password_change",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(SessionScope::Full),
            "mfa_enrollment" => Some(SessionScope::MfaEnrollment),
            "password_change" => Some(SessionScope::PasswordChange),
            _ => None,
        }
    }
}

/// How a session was opened: an interactive sign-in, or an API key of a
/// service account (a key is a session that never idles: it ends at its
/// expiry or when revoked; its id is the key id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Login,
    ApiKey,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Login => "login",
            SessionKind::ApiKey => "api_key",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "login" => Some(SessionKind::Login),
            "api_key" => Some(SessionKind::ApiKey),
            _ => None,
        }
    }
}

/// A live or ended session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub scope: SessionScope,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// Absolute end, fixed at login.
    pub expires_at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<String>,
}

/// Why a session is no longer usable at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Live,
    Ended,
    IdleExpired,
    LifetimeExpired,
}

impl Session {
    /// The moment the session dies if nothing refreshes it.
    pub fn idle_deadline(&self, idle: Duration) -> Timestamp {
        match self.kind {
            SessionKind::Login => self.last_seen_at.plus(idle).min(self.expires_at),
            SessionKind::ApiKey => self.expires_at,
        }
    }

    pub fn state(&self, now: Timestamp, idle: Duration) -> SessionState {
        if self.ended_at.is_some() {
            SessionState::Ended
        } else if now >= self.expires_at {
            SessionState::LifetimeExpired
        } else if self.kind == SessionKind::Login && now >= self.last_seen_at.plus(idle) {
            SessionState::IdleExpired
        } else {
            SessionState::Live
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_absolute_expiry() {
        let s = Session {
            id: SessionId::generate(),
            user_id: UserId::generate(),
            scope: SessionScope::Full,
            kind: SessionKind::Login,
            created_at: Timestamp::from_millis(0),
            last_seen_at: Timestamp::from_millis(0),
            expires_at: Timestamp::from_millis(3_600_000),
            ip: None,
            user_agent: None,
            ended_at: None,
            end_reason: None,
        };
        let idle = Duration::from_secs(900);
        assert_eq!(
            s.state(Timestamp::from_millis(899_999), idle),
            SessionState::Live
        );
        assert_eq!(
            s.state(Timestamp::from_millis(900_000), idle),
            SessionState::IdleExpired
        );
        let mut later = s.clone();
        later.last_seen_at = Timestamp::from_millis(3_500_000);
        assert_eq!(
            later.state(Timestamp::from_millis(3_600_000), idle),
            SessionState::LifetimeExpired
        );
        // An API key never idles; it ends at its expiry.
        let key = Session {
            kind: SessionKind::ApiKey,
            ..s.clone()
        };
        assert_eq!(
            key.state(Timestamp::from_millis(3_599_999), idle),
            SessionState::Live
        );
        assert_eq!(key.idle_deadline(idle), Timestamp::from_millis(3_600_000));
        assert_eq!(
            key.state(Timestamp::from_millis(3_600_000), idle),
            SessionState::LifetimeExpired
        );
    }
}
