//! Rows as stored. Fields ending in `_enc` are AES-256-GCM ciphertexts made
//! by `hippo-crypto`; the store never sees their plaintext.

use hippo_core::{AuditAction, Outcome, Role, SessionId, Timestamp, UserId, UserStatus};

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
