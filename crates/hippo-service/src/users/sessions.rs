//! Sign-in sessions of other users, for administrators: list one user's
//! live sessions, end them all (without deactivating the account), and the
//! organisation-wide sign-out (every sign-in of every user but the caller's
//! own current session, e.g. after a suspected compromise).
//!
//! API keys are not sign-ins and are never ended here (they are revoked one
//! by one, `users/api_keys.rs`). Ended sessions are published as
//! `Event::SessionEnded` with reason `revoked`, so this node's sockets
//! close at once; other nodes and a server beside the admin CLI close
//! theirs when their reconciler notices (within seconds).

use super::Users;
use crate::{Principal, Result, ServiceError};
use hippo_core::{
    AuditAction, ErrorCode, Outcome, Session, SessionId, SessionState, Timestamp, UserId,
    UserStatus,
};
use std::time::Duration;

/// The most of a user agent an administrator's listing shows (characters).
pub const USER_AGENT_SHOWN: usize = 120;

/// One live sign-in session as administrators see it (never its token).
#[derive(Debug, Clone)]
pub struct UserSessionView {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: Timestamp,
    /// The last request (written at most once a minute).
    pub last_seen_at: Timestamp,
    /// The absolute end, fixed at sign-in.
    pub expires_at: Timestamp,
    /// When it ends if idle from now on.
    pub idle_expires_at: Timestamp,
    pub ip: Option<String>,
    /// At most [`USER_AGENT_SHOWN`] characters (then `…`).
    pub user_agent: Option<String>,
}

impl UserSessionView {
    fn new(s: Session, idle: Duration) -> Self {
        Self {
            idle_expires_at: s.idle_deadline(idle),
            user_agent: s.user_agent.as_deref().map(truncate_user_agent),
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
        }
    }
}

fn truncate_user_agent(ua: &str) -> String {
    if ua.chars().count() <= USER_AGENT_SHOWN {
        return ua.to_owned();
    }
    let mut short: String = ua.chars().take(USER_AGENT_SHOWN - 1).collect();
    short.push('…');
    short
}

impl Users {
    /// A user's live sign-in sessions, oldest first (API keys are listed
    /// with `list_api_keys`). Recorded as `user.read` of that user.
    pub async fn list_user_sessions(
        &self,
        by: Principal<'_>,
        user: &str,
    ) -> Result<Vec<UserSessionView>> {
        self.require_admin(by, AuditAction::UserRead, Some(user))
            .await?;
        let row = self.find_user(user).await?;
        let now = self.core.clock.now();
        let idle = self.core.config.session_idle_timeout;
        let sessions: Vec<UserSessionView> = self
            .core
            .store
            .list_open_sessions(&row.id)
            .await?
            .into_iter()
            .filter(|s| s.state(now, idle) == SessionState::Live)
            .map(|s| UserSessionView::new(s, idle))
            .collect();
        self.core
            .audit_alone(
                by.event(now, AuditAction::UserRead, Outcome::Success)
                    .resource("user", row.id.as_str())
                    .detail_field("sessions_listed", sessions.len()),
            )
            .await?;
        Ok(sessions)
    }

    /// Ends every sign-in session of a user now (not their API keys), and
    /// so their sockets; the account stays active and may sign in again.
    /// Administrators end their own sessions through `/me/sessions`
    /// instead (409 here). Returns how many ended.
    pub async fn revoke_user_sessions(&self, by: Principal<'_>, user: &str) -> Result<usize> {
        self.require_admin(by, AuditAction::SessionRevoke, Some(user))
            .await?;
        let row = self.find_user(user).await?;
        if by.user().is_some_and(|a| a.user.id == row.id) {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "administrators end their own sessions through /api/v1/me/sessions",
            ));
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let ended = tx
            .end_user_sessions(&row.id, None, now, "revoked", false)
            .await?;
        tx.append_audit(
            &by.event(now, AuditAction::SessionRevoke, Outcome::Success)
                .resource("user", row.id.as_str())
                .detail(by.with_via(serde_json::json!({ "sessions_ended": ended.len() }))),
        )
        .await?;
        tx.commit().await?;
        let count = ended.len();
        self.publish_ended(&row.id, ended, "revoked");
        Ok(count)
    }

    /// The organisation-wide sign-out: every sign-in session of every
    /// user ends now, except the calling administrator's current session
    /// (the operator's CLI has none, so every one ends). API keys keep
    /// working. One transaction, one `session.revoke` record with the
    /// counts. Returns how many sessions ended.
    pub async fn revoke_all_sessions(&self, by: Principal<'_>) -> Result<usize> {
        self.require_admin(by, AuditAction::SessionRevoke, None)
            .await?;
        let keep = by.user().map(|a| (&a.user.id, &a.session.id));
        // Deactivated accounts have no open sessions (deactivation ended
        // them); an account created after this read can only have signed
        // in after the sign-out was ordered.
        let users: Vec<UserId> = self
            .core
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.status == UserStatus::Active)
            .map(|u| u.id)
            .collect();
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let mut ended = Vec::new();
        for user in &users {
            let spare = keep.and_then(|(id, session)| (id == user).then_some(session));
            let these = tx
                .end_user_sessions(user, spare, now, "revoked", false)
                .await?;
            if !these.is_empty() {
                ended.push((user.clone(), these));
            }
        }
        let count: usize = ended.iter().map(|(_, s)| s.len()).sum();
        tx.append_audit(
            &by.event(now, AuditAction::SessionRevoke, Outcome::Success)
                .detail(by.with_via(serde_json::json!({
                    "scope": "all",
                    "sessions_ended": count,
                    "users": ended.len(),
                }))),
        )
        .await?;
        tx.commit().await?;
        for (user, sessions) in ended {
            self.publish_ended(&user, sessions, "revoked");
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_user_agents_are_cut() {
        assert_eq!(truncate_user_agent("curl/8.5"), "curl/8.5");
        let long = "é".repeat(300);
        let short = truncate_user_agent(&long);
        assert_eq!(short.chars().count(), USER_AGENT_SHOWN);
        assert!(short.ends_with('…'));
        let exact = "a".repeat(USER_AGENT_SHOWN);
        assert_eq!(truncate_user_agent(&exact), exact);
    }
}
