//! Uploaded files (their rows; the bytes are in the blob store) and their
//! sharing by messages.

use crate::{MessageRow, Result};
use async_trait::async_trait;
use hippo_core::{AttachmentId, ConversationId, MessageId, Timestamp, UserId};

/// An uploaded file. The bytes are in the blob store, sealed in chunks with
/// the attachment's own data key (`data_key_id`), which also seals the
/// filename and the digest (a digest in the clear would confirm whether a
/// known document is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub uploader_id: UserId,
    pub data_key_id: String,
    pub filename_enc: Vec<u8>,
    pub content_type: String,
    /// Plaintext size in bytes.
    pub size: i64,
    /// Lower-case hex SHA-256 of the plaintext, sealed.
    pub sha256_enc: Vec<u8>,
    /// Plaintext bytes per sealed chunk.
    pub chunk_size: i64,
    pub created_at: Timestamp,
}

/// An attachment as shared by one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttachmentRow {
    pub message_id: MessageId,
    pub seq: i64,
    pub attachment: AttachmentRow,
}

/// Reads of attachments (part of every [`crate::Store`]).
#[async_trait]
pub trait AttachmentStore {
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
}

/// Writes of attachments (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait AttachmentWriteTx {
    async fn insert_attachment(&mut self, attachment: &AttachmentRow) -> Result<()>;
    /// Shares an attachment with a message (position = order in the message).
    async fn link_attachment(
        &mut self,
        message: &MessageRow,
        attachment: &AttachmentId,
        position: i64,
    ) -> Result<()>;
    /// Removes the files whose data key is one of `ids` (their links to
    /// messages, rows and keys); returns them (blobs are the caller's).
    async fn remove_attachments_with_keys(&mut self, ids: &[String]) -> Result<Vec<AttachmentId>>;
    /// Deletes attachments uploaded before `before` that no message shares
    /// (never sent, or their message recalled or purged), with their data
    /// keys; returns their ids (blobs are the caller's).
    async fn purge_unshared_attachments(&mut self, before: Timestamp) -> Result<Vec<AttachmentId>>;
}
