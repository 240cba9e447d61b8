//! The audit trail: records with their place in the hash chain, queries over
//! it, signed checkpoints of its head and endorsements of retired signing
//! keys.

use crate::Result;
use async_trait::async_trait;
use hippo_core::{AuditAction, NewAuditEvent, Outcome, SessionId, Timestamp, UserId};

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

/// Reads of audit (part of every [`crate::Store`]).
#[async_trait]
pub trait AuditStore {
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
}

/// Writes of audit (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait AuditWriteTx {
    /// Appends to the audit trail; returns the record's sequence number.
    /// Sequence numbers are gapless and the hash chain is extended under a
    /// lock held until commit, so concurrent writers (also several processes
    /// on one PostgreSQL) serialise here.
    async fn append_audit(&mut self, event: &NewAuditEvent) -> Result<i64>;
    /// Stores a checkpoint; [`crate::StoreError::Conflict`] if one exists for its seq.
    async fn insert_checkpoint(&mut self, checkpoint: &CheckpointRow) -> Result<()>;
    async fn insert_key_endorsement(&mut self, row: &KeyEndorsementRow) -> Result<()>;
}
