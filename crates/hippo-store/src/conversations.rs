//! Conversations with their members, messages (and earlier versions), and the
//! delivered/read watermarks receipts are made of.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{
    ChannelState, ConversationId, ConversationKind, MessageId, Priority, Timestamp, UserId,
};

/// A conversation row. The title is sealed with the conversation's own
/// data key (`data_key_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title_enc: Option<Vec<u8>>,
    pub data_key_id: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_seq: i64,
}

/// A message row; `body_enc` is `None` once recalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub sender_id: UserId,
    pub body_enc: Option<Vec<u8>>,
    pub priority: Priority,
    pub client_id: Option<String>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    /// Set for messages that travel over WhatsApp (to or from a patient).
    pub whatsapp: Option<WhatsappDelivery>,
}

/// The WhatsApp side of a message: its Cloud API id and delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappDelivery {
    pub state: ChannelState,
    pub updated_at: Timestamp,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    /// The Cloud API's message id, once known.
    pub wamid: Option<String>,
}

/// Delivered/read watermark kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Delivered,
    Read,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::Delivered => "delivered",
            MarkKind::Read => "read",
        }
    }
}

/// When one member received and read one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    pub user_id: UserId,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
}

/// One member's view of one conversation's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationStats {
    pub conversation_id: ConversationId,
    /// Messages after the member's read mark that others sent and that are
    /// not recalled.
    pub unread: i64,
    /// When the newest message was sent.
    pub last_message_at: Option<Timestamp>,
}

/// Reads of conversations (part of every [`crate::Store`]).
#[async_trait]
pub trait ConversationStore {
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

    /// [`ConversationStats`] of `user`'s conversations, or of `only` as
    /// `user` sees it (a member, or a reader through break-glass).
    async fn conversation_stats(
        &self,
        user: &UserId,
        only: Option<&ConversationId>,
    ) -> Result<Vec<ConversationStats>>;

    /// The direct conversation of a pair of people (see
    /// [`ConversationWriteTx::claim_direct_pair`]).
    async fn find_direct(&self, pair: &str) -> Result<Option<ConversationId>>;
}

/// Writes of conversations (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait ConversationWriteTx {
    async fn insert_conversation(&mut self, conversation: &ConversationRow) -> Result<()>;
    /// Records `conversation` as the direct conversation of `pair` (the
    /// two user ids, sorted, joined by `:`); `false`, and nothing written,
    /// if the pair has one already.
    async fn claim_direct_pair(
        &mut self,
        pair: &str,
        conversation: &ConversationId,
    ) -> Result<bool>;
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
    /// [`Self::next_seq`] and [`Self::insert_message`] in one step (one
    /// statement on PostgreSQL, two on SQLite): takes the conversation's
    /// next `seq` (locking its row until commit) and inserts `message`
    /// with it (its own `seq` is ignored). Returns the `seq`, or `None`,
    /// with nothing inserted, when the sender already has a message with
    /// the same `client_id`: drop the transaction then (releasing the
    /// number) and look the original up with [`Self::find_by_client_id`].
    async fn append_message(&mut self, message: &MessageRow, at: Timestamp) -> Result<Option<i64>>;
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
    /// Recalls a message: the body and the attachment links go and the row
    /// stays as a tombstone. When its conversation is on legal hold, the
    /// body is kept as version `original.0` (`original.1`, sealed by the
    /// caller) behind the tombstone, with every earlier version and its
    /// files (kept from the sweep of unshared uploads, members no longer
    /// see them), until [`Self::destroy_recalled_versions`]; otherwise
    /// every version is destroyed too. The hold is read under a lock, so a hold set or
    /// cleared concurrently either precedes the recall or follows it.
    /// Returns whether the versions were kept.
    async fn recall_message(
        &mut self,
        id: &MessageId,
        at: Timestamp,
        original: (i64, &[u8]),
    ) -> Result<bool>;
    /// Destroys the versions kept behind the conversation's recalled
    /// messages (its hold was cleared), and lets their files go to the
    /// sweep of unshared uploads; returns how many versions.
    async fn destroy_recalled_versions(&mut self, conversation: &ConversationId) -> Result<u64>;
    /// Number of earlier versions recorded for a message.
    async fn count_versions(&mut self, id: &MessageId) -> Result<i64>;
    /// Number of those whose body is still kept.
    async fn kept_versions(&mut self, id: &MessageId) -> Result<i64>;
    /// Raises a member's watermark; false if it was already at or above.
    async fn raise_mark(
        &mut self,
        conversation: &ConversationId,
        user: &UserId,
        kind: MarkKind,
        up_to_seq: i64,
        at: Timestamp,
    ) -> Result<bool>;
}
