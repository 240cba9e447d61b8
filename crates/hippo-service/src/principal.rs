//! Who acts: the one [`Principal`] type for every caller of a use case — a
//! signed-in user ([`Actor`]: user, session, request), the operator at the
//! server's shell (the admin CLI), or one of the server's own workers. Audit
//! records are attributed through it, so the three kinds look the same
//! everywhere: a user's record carries their user and session ids and the
//! request's metadata; the operator's carries the stable actor id
//! [`OPERATOR_ID`] and `"via": "cli"`, the OS user and the host in its
//! detail; a worker's carries no actor at all.

use hippo_core::{
    AuditAction, ErrorCode, NewAuditEvent, Outcome, RequestMeta, Session, SessionScope, Timestamp,
    User,
};

use crate::error::{Result, ServiceError};

/// The actor id of every record the operator's shell commands leave
/// (`hippo user …`, `hippo audit export`, `hippo keys rotate`…): no
/// account has it, so an auditor can ask for all of them at once
/// (`GET /api/v1/audit?actor_id=…`); who ran the command is in the
/// record's detail (`os_user`, `host`).
pub const OPERATOR_ID: &str = "00000000-0000-0000-0000-000000000001";

/// Who runs this process and where, for the operator's records: the login
/// name (`USER`, `LOGNAME`, else the numeric uid) and the host name.
fn operator_identity() -> &'static (String, String) {
    static IDENTITY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let user = ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .or_else(|| {
                std::fs::read_to_string("/proc/self/status")
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find_map(|l| l.strip_prefix("Uid:"))
                            .and_then(|l| {
                                l.split_whitespace().next().map(|uid| format!("uid {uid}"))
                            })
                    })
            })
            .unwrap_or_else(|| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        // Bounded: these land in every record of the command.
        (
            user.chars().take(64).collect(),
            host.chars().take(128).collect(),
        )
    })
}

/// The operator's part of a record's detail.
pub(crate) fn operator_detail(mut detail: serde_json::Value) -> serde_json::Value {
    if let Some(map) = detail.as_object_mut() {
        let (user, host) = operator_identity();
        map.insert("via".into(), "cli".into());
        map.insert("os_user".into(), user.as_str().into());
        map.insert("host".into(), host.as_str().into());
    }
    detail
}

/// The operator's actor id.
pub fn operator_id() -> hippo_core::UserId {
    hippo_core::UserId::from_stored(OPERATOR_ID.to_owned())
}

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
            Principal::Operator => NewAuditEvent::new(at, action, outcome)
                .actor(Some(&operator_id()), None)
                .detail(operator_detail(serde_json::json!({}))),
            Principal::System(_) => NewAuditEvent::new(at, action, outcome),
        }
    }

    /// `detail` with the operator's `via`, `os_user` and `host` added when
    /// the operator acts (for records whose detail replaces the one
    /// [`Principal::event`] set).
    pub fn with_via(self, detail: serde_json::Value) -> serde_json::Value {
        if self.is_operator() {
            operator_detail(detail)
        } else {
            detail
        }
    }
}

impl<'a> From<&'a Actor> for Principal<'a> {
    fn from(actor: &'a Actor) -> Self {
        Principal::User(actor)
    }
}
