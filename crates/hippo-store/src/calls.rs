//! Calls: one row per voice or video call, its state and its participants.
//! A call row holds ids and times only (never SDP, candidates or media).
//! Changes are compare-and-swap on `version`, so two nodes answering the
//! same call cannot both win; at most one call per conversation is live
//! (not ended) at a time.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{CallId, ConversationId, Timestamp, UserId};

/// A call as stored. `participants` is the service's JSON list of
/// participants (user and session ids, states and times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub id: CallId,
    pub conversation_id: ConversationId,
    /// `audio` or `video`.
    pub media: String,
    /// `p2p` or `sfu`.
    pub topology: String,
    pub relay_only: bool,
    pub started_by: UserId,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<String>,
    /// Raised by one on every change.
    pub version: i64,
    pub participants: String,
}

/// Reads of calls (part of every [`crate::Store`]).
#[async_trait]
pub trait CallStore {
    async fn get_call(&self, id: &CallId) -> Result<Option<CallRow>>;

    /// The conversation's call that has not ended, if any.
    async fn live_call_in(&self, conversation: &ConversationId) -> Result<Option<CallRow>>;

    /// Every call that has not ended, oldest first (few at any time: each
    /// is a call going on now).
    async fn live_calls(&self) -> Result<Vec<CallRow>>;
}

/// Writes of calls (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait CallWriteTx {
    /// [`crate::StoreError::Conflict`] when the conversation already has a
    /// live call.
    async fn insert_call(&mut self, call: &CallRow) -> Result<()>;

    /// Stores `call` (whose `version` is the new one) if the stored row
    /// still has `call.version - 1`; false if another change came first.
    async fn update_call(&mut self, call: &CallRow) -> Result<bool>;
}
