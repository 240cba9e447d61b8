//! Who acts: the one [`Principal`] type for every caller of a use case — a
//! signed-in user ([`Actor`]: user, session, request), the operator at the
//! server's shell (the admin CLI), or one of the server's own workers. Audit
//! records are attributed through it, so the three kinds look the same
//! everywhere: a user's record carries their user and session ids and the
//! request's metadata; the operator's carries `"via": "cli"` in its detail;
//! a worker's carries no actor at all.

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
    /// The access version read when the request was authenticated: the
    /// cached memberships it may use (`core/cache.rs`).
    pub(crate) access_version: crate::core::cache::AccessVersion,
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

/// Who performs a use case.
///
/// New kinds of caller (an API key, an SFU webhook) become new variants;
/// every place that attributes or authorises work matches on this type.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    /// A signed-in user through the API (their session's scope and role
    /// are checked by each use case).
    User(&'a Actor),
    /// The operator at the server's shell, through `hippo …` commands:
    /// trusted, recorded with `"via": "cli"`.
    Operator,
    /// One of the server's own workers (`job` names it, for logs): the
    /// WhatsApp inbox, retention, scheduled tasks. Recorded without an
    /// actor.
    System(&'static str),
}

impl<'a> Principal<'a> {
    /// The signed-in user, if it is one.
    pub fn user(self) -> Option<&'a Actor> {
        match self {
            Principal::User(actor) => Some(actor),
            Principal::Operator | Principal::System(_) => None,
        }
    }

    /// Whether this is the operator at the shell.
    pub fn is_operator(self) -> bool {
        matches!(self, Principal::Operator)
    }

    /// An audit record attributed to this principal: a user's ids and
    /// request metadata; `{"via": "cli"}` for the operator; nothing for a
    /// worker.
    pub fn event(self, at: Timestamp, action: AuditAction, outcome: Outcome) -> NewAuditEvent {
        match self {
            Principal::User(actor) => actor.event(at, action, outcome),
            Principal::Operator => {
                NewAuditEvent::new(at, action, outcome).detail(serde_json::json!({ "via": "cli" }))
            }
            Principal::System(_) => NewAuditEvent::new(at, action, outcome),
        }
    }

    /// `detail` with `"via": "cli"` added when the operator acts (for
    /// records whose detail replaces the one [`Principal::event`] set).
    pub fn with_via(self, mut detail: serde_json::Value) -> serde_json::Value {
        if self.is_operator()
            && let Some(map) = detail.as_object_mut()
        {
            map.insert("via".into(), "cli".into());
        }
        detail
    }
}

impl<'a> From<&'a Actor> for Principal<'a> {
    fn from(actor: &'a Actor) -> Self {
        Principal::User(actor)
    }
}
