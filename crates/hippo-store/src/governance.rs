//! Oversight of clinical data: break-glass grants and their review, security
//! alerts, retention, legal holds, purges and erasure.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{AttachmentId, ConversationId, Timestamp, UserId};

/// A break-glass grant: emergency read access for one user to one
/// conversation until `expires_at`. The reason and the reviewer's note are
/// sealed with the directory key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassRow {
    pub id: String,
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub reason_enc: Vec<u8>,
    pub opened_at: Timestamp,
    pub expires_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
    pub reviewed_by: Option<UserId>,
    pub review_note_enc: Option<Vec<u8>>,
}

/// A security alert as stored (`detail` is JSON text with ids only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub id: String,
    pub at: Timestamp,
    pub kind: String,
    pub severity: String,
    pub detail: String,
    /// When an auditor reviewed it (`None`: open).
    pub reviewed_at: Option<Timestamp>,
    pub reviewed_by: Option<UserId>,
}

/// A conversation's retention and legal hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationPolicy {
    pub conversation_id: ConversationId,
    /// `None`: the organisation default.
    pub retention_secs: Option<i64>,
    /// Set while a legal hold blocks every purge.
    pub legal_hold_since: Option<Timestamp>,
    /// The hold's reason, sealed with the directory key.
    pub legal_hold_reason_enc: Option<Vec<u8>>,
    /// Set once the conversation was erased (a tombstone).
    pub erased_at: Option<Timestamp>,
}

/// What a purge removed from one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeResult {
    pub messages: i64,
    /// Attachments no longer shared anywhere, removed with their data keys;
    /// their blobs are the caller's to delete after commit.
    pub files: Vec<AttachmentId>,
}

/// Reads of governance (part of every [`crate::Store`]).
#[async_trait]
pub trait GovernanceStore {
    /// The user's break-glass grant for the conversation that is still open
    /// at `now`, if any.
    async fn active_break_glass(
        &self,
        conversation: &ConversationId,
        user: &UserId,
        now: Timestamp,
    ) -> Result<Option<BreakGlassRow>>;

    async fn get_break_glass(&self, id: &str) -> Result<Option<BreakGlassRow>>;

    /// Grants, oldest first; only unreviewed ones when `pending_only`.
    async fn list_break_glass(&self, pending_only: bool) -> Result<Vec<BreakGlassRow>>;

    async fn conversation_policy(&self, id: &ConversationId) -> Result<Option<ConversationPolicy>>;

    /// Every conversation's policy (erased ones left out).
    async fn list_conversation_policies(&self) -> Result<Vec<ConversationPolicy>>;

    /// Alerts at or after `since`, newest first.
    async fn list_alerts(&self, since: Option<Timestamp>, limit: i64) -> Result<Vec<AlertRow>>;
    /// Alerts not yet reviewed, newest first.
    async fn list_open_alerts(&self, limit: i64) -> Result<Vec<AlertRow>>;
    async fn get_alert(&self, id: &str) -> Result<Option<AlertRow>>;
}

/// Writes of governance (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait GovernanceWriteTx {
    async fn insert_break_glass(&mut self, grant: &BreakGlassRow) -> Result<()>;
    /// Marks a grant reviewed; false if it already was.
    async fn review_break_glass(
        &mut self,
        id: &str,
        by: &UserId,
        note_enc: &[u8],
        at: Timestamp,
    ) -> Result<bool>;
    async fn insert_alert(&mut self, alert: &AlertRow) -> Result<()>;
    /// Marks an open alert reviewed; false if it is not open (reviewed
    /// already, or unknown).
    async fn review_alert(&mut self, id: &str, at: Timestamp, by: &UserId) -> Result<bool>;
    /// `None`: back to the organisation default.
    async fn set_retention(&mut self, id: &ConversationId, secs: Option<i64>) -> Result<()>;
    /// `Some((since, sealed reason))` sets a hold, `None` clears it.
    async fn set_legal_hold(
        &mut self,
        id: &ConversationId,
        hold: Option<(Timestamp, &[u8])>,
    ) -> Result<()>;
    /// Deletes the conversation's messages created before `before` (with
    /// their earlier versions and attachment links) and the attachments no
    /// longer shared anywhere.
    async fn purge_messages_before(
        &mut self,
        id: &ConversationId,
        before: Timestamp,
    ) -> Result<PurgeResult>;
    /// Destroys a conversation's content for good: messages, versions,
    /// receipts, members and the attachments shared only there are deleted,
    /// the title removed, and the conversation's data key overwritten
    /// (crypto-shredding). The conversation row stays as a tombstone.
    async fn erase_conversation(
        &mut self,
        id: &ConversationId,
        data_key_id: &str,
        reason_enc: &[u8],
        at: Timestamp,
    ) -> Result<PurgeResult>;
}
