//! The authenticated caller of a use case.

use hippo_core::{
    AuditAction, ErrorCode, NewAuditEvent, Outcome, RequestMeta, Session, SessionScope, Timestamp,
    User,
};

use crate::error::{Result, ServiceError};

/// A signed-in user, their session, and where the request came from.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub session: Session,
    pub meta: RequestMeta,
}

impl Actor {
    /// An audit record attributed to this actor.
    pub fn event(&self, at: Timestamp, action: AuditAction, outcome: Outcome) -> NewAuditEvent {
        NewAuditEvent::new(at, action, outcome)
            .actor(Some(&self.user.id), Some(&self.session.id))
            .meta(&self.meta)
    }

    /// Fails unless the session is fully signed in (no MFA enrollment or
    /// password change outstanding).
    pub fn require_full(&self) -> Result<()> {
        match self.session.scope {
            SessionScope::Full => Ok(()),
            SessionScope::MfaEnrollment => Err(ServiceError::public(
                ErrorCode::MfaEnrollmentRequired,
                "enroll a TOTP authenticator first: POST /api/v1/me/mfa/totp",
            )),
            SessionScope::PasswordChange => Err(ServiceError::public(
                ErrorCode::PasswordChangeRequired,
                "change your password first: POST /api/v1/me/password",
            )),
        }
    }
}
