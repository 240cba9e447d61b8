//! Rows as stored. Fields ending in `_enc` are AES-256-GCM ciphertexts made
//! by `hippo-crypto`; the store never sees their plaintext.

use hippo_core::{
    AttachmentId, AuditAction, ChannelState, ConversationId, ConversationKind, MessageId, Outcome,
    Priority, Role, SessionId, Timestamp, UserId, UserStatus,
};

/// A user account row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    /// Keyed blind index (HMAC) of the normalised username: unique lookups
    /// without the username in clear.
    pub username_index: String,
    pub username_enc: Vec<u8>,
    pub display_name_enc: Vec<u8>,
    pub role: Role,
    pub status: UserStatus,
    /// argon2id PHC string.
    pub password_hash: String,
    pub must_change_password: bool,
    pub mfa_enabled: bool,
    /// Confirmed TOTP secret.
    pub mfa_secret_enc: Option<Vec<u8>>,
    /// Secret handed out by enrollment, not yet confirmed with a code.
    pub mfa_pending_secret_enc: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A data key wrapped by the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRow {
    pub id: String,
    /// What the key protects, e.g. `directory`.
    pub purpose: String,
    pub wrapped: Vec<u8>,
    /// Key-check value of the master key that wrapped it.
    pub master_key_check: String,
    pub created_at: Timestamp,
}

/// An audit record as stored, with its place in the hash chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub action: AuditAction,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Outcome,
    /// Canonical JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

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

/// Filters of an audit query; every one optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    /// Records at or after this time.
    pub since: Option<Timestamp>,
    /// Records before this time.
    pub until: Option<Timestamp>,
}

/// A signed statement "the trail had `seq` records ending in `head_hash`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub seq: i64,
    pub head_hash: String,
    pub at: Timestamp,
    /// Ed25519 signature over [`crate::chain::checkpoint_message`].
    pub signature: Vec<u8>,
    /// Hex SHA-256 of the signing public key.
    pub key_id: String,
}

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

/// Where a backup's key file was written (erasure rewrites it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupKeyFileRow {
    pub path: String,
    pub backup_id: String,
    pub created_at: Timestamp,
}

/// What a purge removed from one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeResult {
    pub messages: i64,
    /// Attachments no longer shared anywhere, removed with their data keys;
    /// their blobs are the caller's to delete after commit.
    pub files: Vec<AttachmentId>,
}

/// A retired audit signing key's public half, endorsed by its successor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEndorsementRow {
    pub key_id: String,
    pub public_key: Vec<u8>,
    /// The key id of the key that signed `endorsement`.
    pub endorsed_by: String,
    pub endorsement: Vec<u8>,
    pub at: Timestamp,
}
