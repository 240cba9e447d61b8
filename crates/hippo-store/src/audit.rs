//! The audit trail: records with their place in the hash chain and the
//! Merkle tree, queries over it, the sequencer's pass that orders new
//! records, the tree's tiles, signed tree heads, signed checkpoints of the
//! chain and endorsements of retired signing keys.
//!
//! Writers append without touching a shared row: the record lands
//! *pending* (no `seq` yet) in the writer's transaction. A sequencing pass
//! ([`AuditStore::sequence_audit`]) gives pending records their gapless
//! `seq`, chain hash and leaf, all in one transaction.

use crate::Result;
use crate::merkle::{Hash, TileId};
use async_trait::async_trait;
use hippo_core::{AuditAction, NewAuditEvent, Outcome, SessionId, Timestamp, UserId};
use std::collections::HashMap;

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

/// A signed tree head: "the tree of `tree_size` records has root
/// `root_hash`", signed over [`crate::chain::tree_head_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHeadRow {
    pub tree_size: i64,
    /// Hex.
    pub root_hash: String,
    /// RFC 3339, exactly as signed.
    pub timestamp: String,
    pub at: Timestamp,
    /// Ed25519 signature.
    pub signature: Vec<u8>,
    /// Hex SHA-256 of the signing public key.
    pub key_id: String,
}

/// What one sequencing pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequenced {
    /// Records added to the tree by this pass.
    pub appended: u64,
    /// Records in the tree after it.
    pub tree_size: u64,
    /// The tree's root after it, when it grew.
    pub root: Option<Hash>,
    /// The pass stopped at its limit: more records are waiting.
    pub more: bool,
}

/// Records written but not yet sequenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PendingAudit {
    pub count: i64,
    /// The time of the oldest.
    pub oldest: Option<Timestamp>,
}

/// When one account last signed in and last did anything that succeeded,
/// from its audit records (those waiting for the sequencer included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActorActivity {
    pub last_sign_in: Option<Timestamp>,
    pub last_activity: Option<Timestamp>,
}

/// One account's activity within a window, for the activity review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowActivity {
    pub actor_id: UserId,
    /// Successful reads of records: messages, patients, files,
    /// conversations (the actions in [`READ_ACTIONS`]).
    pub reads: i64,
    /// Distinct patients its successful records concern.
    pub patients: i64,
    /// Denied attempts of any kind.
    pub denied: i64,
    /// Break-glass openings.
    pub break_glass: i64,
    /// The window's first and last record of the account (links to them).
    pub first_seq: i64,
    pub last_seq: i64,
}

/// Reads of a flagged patient's records by one account from outside her
/// care team, within a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedRead {
    pub actor_id: UserId,
    pub patient_id: String,
    pub count: i64,
    pub first_seq: i64,
    pub last_seq: i64,
}

/// One account's successful reads in one UTC hour of day of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourReads {
    pub actor_id: UserId,
    /// 0 to 23, UTC.
    pub hour: i64,
    pub count: i64,
    pub first_seq: i64,
    pub last_seq: i64,
}

/// The actions counted as reads by [`WindowActivity::reads`].
pub const READ_ACTIONS: &[&str] = &[
    "message.read",
    "conversation.read",
    "attachment.download",
    "patient.read",
    "patient.lookup",
];

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

    /// See [`ActorActivity`]; `sign_in` names the sign-in action
    /// (`auth.login`). Each is the account's newest matching record, found
    /// through the by-actor index.
    async fn actor_activity(&self, actor: &UserId, sign_in: &str) -> Result<ActorActivity>;

    /// Each account's activity in the sequenced records with `since <= at
    /// < until` (accounts with no record there are absent), by actor id.
    async fn window_activity(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<WindowActivity>>;

    /// Successful reads ([`READ_ACTIONS`] and break-glass openings) in the
    /// window of patients flagged VIP or workforce member, by accounts that
    /// are not on the patient's care team now, per account and patient.
    async fn flagged_patient_reads(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FlaggedRead>>;

    /// Successful reads ([`READ_ACTIONS`]) in the window per account and
    /// UTC hour of day.
    async fn reads_by_hour(&self, since: Timestamp, until: Timestamp) -> Result<Vec<HourReads>>;

    /// One account's successful records in the window: per UTC hour of
    /// day, on how many distinct UTC days it was active then (hours without
    /// any are absent). Its usual hours, for the after-hours review.
    async fn active_hours(
        &self,
        actor: &UserId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(i64, i64)>>;

    /// Sequenced records with `outcome` (of `action`, or of any action
    /// when `None`) at or after `since`, counted per UTC day: `(the day's
    /// first instant, count)`, oldest first; days without any are absent.
    /// For charts: with an action it reads `audit_by_action`, without one
    /// `audit_by_at`.
    async fn daily_audit_counts(
        &self,
        action: Option<&str>,
        outcome: &str,
        since: Timestamp,
    ) -> Result<Vec<(Timestamp, i64)>>;

    /// The chain's head as committed: last `seq` and its hash.
    async fn audit_head(&self) -> Result<(i64, String)>;

    /// One sequencing pass, in its own transaction: records of the trail
    /// not yet in the tree (those that predate the tree, oldest first),
    /// else up to `limit` pending records in the order they were written,
    /// get their `seq`, chain hash and leaf; the tree's tiles and head
    /// follow. Concurrent passes (from several nodes) serialise on the
    /// chain head, which only they lock, so each record is sequenced once.
    async fn sequence_audit(&self, limit: i64) -> Result<Sequenced>;

    /// Records in the Merkle tree.
    async fn audit_tree_size(&self) -> Result<i64>;

    /// The stored tiles among `ids` (missing ones are absent).
    async fn audit_tiles(&self, ids: &[TileId]) -> Result<HashMap<TileId, Vec<Hash>>>;

    /// The stored tiles of `level` with index in `from..to`, in order.
    async fn audit_tiles_range(
        &self,
        level: u32,
        from: u64,
        to: u64,
    ) -> Result<Vec<(TileId, Vec<Hash>)>>;

    /// The newest signed tree head.
    async fn latest_tree_head(&self) -> Result<Option<TreeHeadRow>>;

    /// Signed tree heads with `tree_size > after_size`, smallest first.
    async fn list_tree_heads(&self, after_size: i64, limit: i64) -> Result<Vec<TreeHeadRow>>;

    /// Records written but not yet sequenced.
    async fn pending_audit(&self) -> Result<PendingAudit>;

    /// Signed checkpoints, oldest first.
    async fn list_checkpoints(&self) -> Result<Vec<CheckpointRow>>;

    /// Endorsements of retired audit signing keys.
    async fn list_key_endorsements(&self) -> Result<Vec<KeyEndorsementRow>>;
}

/// Writes of audit (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait AuditWriteTx {
    /// Appends to the audit trail, pending: the record commits with the
    /// transaction and is sequenced (given its `seq`, chain hash and place
    /// in the tree) after. Takes no lock shared with other writers.
    ///
    /// A record without a `patient_id` about a patient's conversation
    /// ([`NewAuditEvent::conversation_id`]) is stored with that patient's
    /// id, so the patient-access and breach-scope reports see every
    /// reading and sending of her messages and files.
    async fn append_audit(&mut self, event: &NewAuditEvent) -> Result<()>;
    /// Stores a signed tree head; [`crate::StoreError::Conflict`] if one
    /// exists for its size.
    async fn insert_tree_head(&mut self, head: &TreeHeadRow) -> Result<()>;
    /// Stores a checkpoint; [`crate::StoreError::Conflict`] if one exists for its seq.
    async fn insert_checkpoint(&mut self, checkpoint: &CheckpointRow) -> Result<()>;
    async fn insert_key_endorsement(&mut self, row: &KeyEndorsementRow) -> Result<()>;
}
