//! The storage interface of hippo: records as stored (sensitive fields
//! already encrypted), a read API, and a transaction-scoped write API in which
//! a use case's change and its audit record commit together or not at all.
//!
//! Implementations live in `hippo-store-sql` (SQLite and PostgreSQL). The
//! shared storage test suite (`testsuite`, feature `testsuite`) runs against
//! both.

pub mod blob;
pub mod chain;
pub mod channel;
pub mod records;
pub mod scan;
#[cfg(feature = "testsuite")]
pub mod testsuite;

use async_trait::async_trait;
pub use channel::{
    ChannelStore, ChannelWriteTx, OutboxCounts, OutboxJob, OutboxState, PatientRow, TemplateRow,
    WebhookRow,
};
use hippo_core::{
    AttachmentId, ConversationId, MessageId, NewAuditEvent, Session, SessionId, Timestamp, UserId,
};
pub use records::{
    AlertRow, AttachmentRow, AuditFilter, AuditRecord, BackupKeyFileRow, BreakGlassRow,
    CheckpointRow, ConversationPolicy, ConversationRow, DataKeyRow, KeyEndorsementRow, MarkKind,
    MessageAttachmentRow, MessageRow, PurgeResult, ReceiptRow, UserRow, WhatsappDelivery,
};

/// What went wrong in storage, in the terms a use case can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (e.g. a username already taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is overloaded; retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The data is not in the shape this binary expects.
    #[error("storage data error: {0}")]
    Corrupt(String),
    /// Anything else; logged, never shown to clients.
    #[error("storage error: {0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A store. Reads go straight to it; every change goes through
/// [`Store::begin_write`].
#[async_trait]
pub trait Store: ChannelStore + Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Starts a write transaction. Dropping it without `commit` rolls back.
    async fn begin_write(&self) -> Result<Box<dyn WriteTx>>;

    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    async fn get_meta(&self, key: &str) -> Result<Option<String>>;
    async fn list_data_keys(&self) -> Result<Vec<DataKeyRow>>;

    async fn get_user(&self, id: &UserId) -> Result<Option<UserRow>>;
    async fn get_user_by_index(&self, username_index: &str) -> Result<Option<UserRow>>;
    async fn list_users(&self) -> Result<Vec<UserRow>>;

    async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>>;
    /// Sessions of a user that have not been ended (they may have expired).
    async fn list_open_sessions(&self, user: &UserId) -> Result<Vec<Session>>;

    /// Open sessions past their absolute end (`expires_at <= now`) or idle
    /// since `idle_since` or earlier.
    async fn list_expired_sessions(
        &self,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Vec<Session>>;

    /// Audit records with `seq > after_seq`, oldest first.
    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;
    /// Audit records matching `filter` with `seq > after_seq`, oldest first.
    async fn query_audit(
        &self,
        filter: &AuditFilter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>>;
    /// The chain's head as committed: last `seq` and its hash.
    async fn audit_head(&self) -> Result<(i64, String)>;
    /// Signed checkpoints, oldest first.
    async fn list_checkpoints(&self) -> Result<Vec<CheckpointRow>>;
    /// Endorsements of retired audit signing keys.
    async fn list_key_endorsements(&self) -> Result<Vec<KeyEndorsementRow>>;

    async fn get_data_key(&self, id: &str) -> Result<Option<DataKeyRow>>;

    async fn get_conversation(&self, id: &ConversationId) -> Result<Option<ConversationRow>>;
    /// Current members, in the order they joined.
    async fn list_members(&self, conversation: &ConversationId) -> Result<Vec<UserId>>;
    async fn is_member(&self, conversation: &ConversationId, user: &UserId) -> Result<bool>;
    /// Conversations `user` is a member of, most recently active first.
    async fn list_conversations_for(&self, user: &UserId) -> Result<Vec<ConversationRow>>;
    /// Messages with `seq > after_seq`, oldest first.
    async fn list_messages(
        &self,
        conversation: &ConversationId,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>>;
    async fn get_message(&self, id: &MessageId) -> Result<Option<MessageRow>>;
    /// For each member with a delivered or read mark covering `seq`, the
    /// earliest such times.
    async fn receipts(&self, conversation: &ConversationId, seq: i64) -> Result<Vec<ReceiptRow>>;
    /// The highest watermark of `kind` for a member (0 if none).
    async fn mark_of(
        &self,
        conversation: &ConversationId,
        user: &UserId,
        kind: MarkKind,
    ) -> Result<i64>;

    async fn get_attachment(&self, id: &AttachmentId) -> Result<Option<AttachmentRow>>;
    /// Whether `user` is a member of a conversation where the attachment is
    /// shared by a message that has not been recalled.
    async fn attachment_shared_with(&self, id: &AttachmentId, user: &UserId) -> Result<bool>;
    /// Conversations where a (not recalled) message shares the attachment.
    async fn attachment_conversations(&self, id: &AttachmentId) -> Result<Vec<ConversationId>>;
    /// The attachments of the messages with `after_seq < seq <= up_to_seq`,
    /// ordered by message `seq` and position within the message.
    async fn list_message_attachments(
        &self,
        conversation: &ConversationId,
        after_seq: i64,
        up_to_seq: i64,
    ) -> Result<Vec<MessageAttachmentRow>>;

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

    /// Records activity on a session (the idle timer). Only moves forward.
    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> Result<()>;

    /// Writes a consistent copy of hippo's data into the directory `dir`
    /// while writers continue (SQLite: `hippo.db`, an online copy;
    /// PostgreSQL: one binary `COPY` file per table from one repeatable-read
    /// snapshot), with every data key's wrapped bytes left out. Returns the
    /// data keys as that copy saw them: a backup keeps them apart from the
    /// data, so that erasure can reach it.
    async fn export_to(&self, dir: &std::path::Path) -> Result<Vec<DataKeyRow>>;

    /// PostgreSQL: replaces everything in this database with an export of
    /// the same schema version, in one transaction. SQLite is restored by
    /// placing the exported file, and refuses this.
    async fn import_from(&self, dir: &std::path::Path) -> Result<()>;

    /// Empties every table (a restore that fails after its import leaves
    /// the database as it found it: without data).
    async fn wipe(&self) -> Result<()>;

    /// Whether the database holds any users or conversations.
    async fn holds_data(&self) -> Result<bool>;

    /// Failed sign-ins from `source` in its current window: (window start,
    /// count).
    async fn login_failures(&self, source: &str) -> Result<Option<(Timestamp, i64)>>;

    /// Key files of backups that erasure must reach.
    async fn list_backup_key_files(&self) -> Result<Vec<BackupKeyFileRow>>;

    /// Of `ids`, the data keys that exist and have not been destroyed.
    async fn live_data_key_ids(&self, ids: &[String]) -> Result<Vec<String>>;

    /// Closes connections.
    async fn close(&self);
}

/// One write transaction.
#[async_trait]
pub trait WriteTx: ChannelWriteTx + Send {
    async fn put_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// A meta value as seen inside this transaction, locked until commit on
    /// PostgreSQL (SQLite writers are serialised anyway).
    async fn get_meta_for_update(&mut self, key: &str) -> Result<Option<String>>;
    /// Replaces a data key's wrapping (master key rotation).
    async fn rewrap_data_key(
        &mut self,
        id: &str,
        wrapped: &[u8],
        master_key_check: &str,
    ) -> Result<()>;
    async fn insert_data_key(&mut self, key: &DataKeyRow) -> Result<()>;

    /// The user as seen inside this transaction.
    async fn get_user(&mut self, id: &UserId) -> Result<Option<UserRow>>;
    /// [`StoreError::Conflict`] when the username is taken.
    async fn insert_user(&mut self, user: &UserRow) -> Result<()>;
    /// Replaces every mutable field of the user.
    async fn update_user(&mut self, user: &UserRow) -> Result<()>;
    /// Adds one failed login and returns the new count.
    async fn increment_failed_logins(&mut self, id: &UserId, at: Timestamp) -> Result<i64>;
    /// Stores `step` as the last accepted TOTP step if it is newer than the
    /// stored one. False means the code was already used (a replay).
    async fn claim_totp_step(&mut self, id: &UserId, step: i64) -> Result<bool>;

    async fn insert_session(&mut self, session: &Session, token_hash: &str) -> Result<()>;
    /// Ends one open session; false if it was already ended.
    async fn end_session(&mut self, id: &SessionId, at: Timestamp, reason: &str) -> Result<bool>;
    /// Ends every open session of a user, except `keep`; returns the ended ids.
    async fn end_user_sessions(
        &mut self,
        user: &UserId,
        keep: Option<&SessionId>,
        at: Timestamp,
        reason: &str,
    ) -> Result<Vec<SessionId>>;

    /// Appends to the audit trail; returns the record's sequence number.
    /// Sequence numbers are gapless and the hash chain is extended under a
    /// lock held until commit, so concurrent writers (also several processes
    /// on one PostgreSQL) serialise here.
    async fn append_audit(&mut self, event: &NewAuditEvent) -> Result<i64>;

    async fn insert_break_glass(&mut self, grant: &BreakGlassRow) -> Result<()>;
    async fn insert_alert(&mut self, alert: &AlertRow) -> Result<()>;
    /// `None`: back to the organisation default.
    async fn set_retention(&mut self, id: &ConversationId, secs: Option<i64>) -> Result<()>;
    /// `Some((since, sealed reason))` sets a hold, `None` clears it.
    async fn set_legal_hold(
        &mut self,
        id: &ConversationId,
        hold: Option<(Timestamp, &[u8])>,
    ) -> Result<()>;
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
    /// Counts a failed sign-in from `source` at `now`; a window that
    /// started at or before `expired_before` starts again from `now`.
    async fn record_login_failure(
        &mut self,
        source: &str,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> Result<()>;
    /// Forgets windows that started at or before `expired_before`.
    async fn prune_login_failures(&mut self, expired_before: Timestamp) -> Result<()>;
    /// Takes or renews the lease on a cluster-wide job: true if `holder`
    /// now holds `name` until `until` (it was free, expired at `now`, or
    /// already `holder`'s).
    async fn claim_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;
    /// Gives up `holder`'s lease on `name` (a clean shutdown), so another
    /// node may take it at once.
    async fn release_lease(&mut self, name: &str, holder: &str) -> Result<()>;
    /// Records where a backup's key file was written.
    async fn insert_backup_key_file(&mut self, row: &BackupKeyFileRow) -> Result<()>;
    async fn delete_backup_key_file(&mut self, path: &str) -> Result<()>;
    /// After a restore: puts the wrapped bytes of `keys` back; every data
    /// key still left blank by the export (destroyed since the backup) is
    /// marked destroyed, and its id returned.
    async fn restore_data_keys(&mut self, keys: &[DataKeyRow]) -> Result<Vec<String>>;
    /// Conversations not yet erased whose data key is one of `ids`.
    async fn conversations_with_keys(&mut self, ids: &[String]) -> Result<Vec<ConversationId>>;
    /// Removes the files whose data key is one of `ids` (their links to
    /// messages, rows and keys); returns them (blobs are the caller's).
    async fn remove_attachments_with_keys(&mut self, ids: &[String]) -> Result<Vec<AttachmentId>>;
    /// Deletes attachments uploaded before `before` that no message shares
    /// (never sent, or their message recalled or purged), with their data
    /// keys; returns their ids (blobs are the caller's).
    async fn purge_unshared_attachments(&mut self, before: Timestamp) -> Result<Vec<AttachmentId>>;
    /// Deletes the conversation's messages created before `before` (with
    /// their earlier versions and attachment links) and the attachments no
    /// longer shared anywhere.
    async fn purge_messages_before(
        &mut self,
        id: &ConversationId,
        before: Timestamp,
    ) -> Result<PurgeResult>;
    /// Marks a grant reviewed; false if it already was.
    async fn review_break_glass(
        &mut self,
        id: &str,
        by: &UserId,
        note_enc: &[u8],
        at: Timestamp,
    ) -> Result<bool>;

    async fn insert_key_endorsement(&mut self, row: &KeyEndorsementRow) -> Result<()>;
    /// Stores a checkpoint; [`StoreError::Conflict`] if one exists for its seq.
    async fn insert_checkpoint(&mut self, checkpoint: &CheckpointRow) -> Result<()>;

    async fn insert_conversation(&mut self, conversation: &ConversationRow) -> Result<()>;
    async fn update_conversation_title(
        &mut self,
        id: &ConversationId,
        title_enc: Option<&[u8]>,
        at: Timestamp,
    ) -> Result<()>;
    /// Adds a member; false if already one.
    async fn add_member(
        &mut self,
        conversation: &ConversationId,
        user: &UserId,
        at: Timestamp,
    ) -> Result<bool>;
    /// Removes a member; false if not one.
    async fn remove_member(&mut self, conversation: &ConversationId, user: &UserId)
    -> Result<bool>;
    /// Takes the conversation's next `seq`, locking the conversation row
    /// until commit (writers to one conversation serialise here).
    async fn next_seq(&mut self, conversation: &ConversationId, at: Timestamp) -> Result<i64>;
    /// A sender's earlier message with the same client id, if any.
    async fn find_by_client_id(
        &mut self,
        conversation: &ConversationId,
        sender: &UserId,
        client_id: &str,
    ) -> Result<Option<MessageRow>>;
    async fn insert_message(&mut self, message: &MessageRow) -> Result<()>;
    async fn get_message_for_update(&mut self, id: &MessageId) -> Result<Option<MessageRow>>;
    /// Replaces the body, keeping the previous one as version `version`.
    async fn edit_message(
        &mut self,
        id: &MessageId,
        version: i64,
        previous_enc: &[u8],
        body_enc: &[u8],
        at: Timestamp,
    ) -> Result<()>;
    async fn insert_attachment(&mut self, attachment: &AttachmentRow) -> Result<()>;
    /// Shares an attachment with a message (position = order in the message).
    async fn link_attachment(
        &mut self,
        message: &MessageRow,
        attachment: &AttachmentId,
        position: i64,
    ) -> Result<()>;
    /// Removes the body, every earlier version and the attachment links; the
    /// row stays as a tombstone.
    async fn recall_message(&mut self, id: &MessageId, at: Timestamp) -> Result<()>;
    /// Number of earlier versions kept for a message.
    async fn count_versions(&mut self, id: &MessageId) -> Result<i64>;
    /// Raises a member's watermark; false if it was already at or above.
    async fn raise_mark(
        &mut self,
        conversation: &ConversationId,
        user: &UserId,
        kind: MarkKind,
        up_to_seq: i64,
        at: Timestamp,
    ) -> Result<bool>;

    /// Makes everything durable. Only after this may a caller answer 2xx.
    async fn commit(self: Box<Self>) -> Result<()>;
}
