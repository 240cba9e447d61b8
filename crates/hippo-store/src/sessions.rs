//! Sign-in sessions (the row type is `hippo_core::Session`; only the token's
//! hash is stored).

use crate::Result;
use async_trait::async_trait;
use hippo_core::{Session, SessionId, Timestamp, UserId};

/// Reads of sessions (part of every [`crate::Store`]).
#[async_trait]
pub trait SessionStore {
    async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>>;

    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>>;

    /// Sign-in sessions (not API keys) of a user that have not been ended
    /// (they may have expired).
    async fn list_open_sessions(&self, user: &UserId) -> Result<Vec<Session>>;

    /// Open sessions past their absolute end (`expires_at <= now`), and
    /// sign-in sessions idle since `idle_since` or earlier (API keys never
    /// idle).
    async fn list_expired_sessions(
        &self,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Vec<Session>>;

    /// Records activity on a session (the idle timer). Only moves forward.
    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> Result<()>;
}

/// Writes of sessions (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait SessionWriteTx {
    async fn insert_session(&mut self, session: &Session, token_hash: &str) -> Result<()>;
    /// Ends one open session; false if it was already ended.
    async fn end_session(&mut self, id: &SessionId, at: Timestamp, reason: &str) -> Result<bool>;
    /// Ends every open sign-in session of a user, except `keep`, and with
    /// `api_keys` also the user's API keys; returns the ended ids.
    async fn end_user_sessions(
        &mut self,
        user: &UserId,
        keep: Option<&SessionId>,
        at: Timestamp,
        reason: &str,
        api_keys: bool,
    ) -> Result<Vec<SessionId>>;
}
