//! What keeps the service running rather than clinical data: meta values,
//! leases on cluster-wide jobs, the key files of backups, and the per-address
//! sign-in throttle.

use crate::Result;
use async_trait::async_trait;
use hippo_core::Timestamp;

/// The meta key whose value changes (to a fresh random token) in the same
/// transaction as anything that may withdraw access: a session ending, a
/// change to an account (role, status, names, password, MFA), a member
/// joining or leaving a conversation, an erasure, a restore. Per-node
/// caches of sessions and memberships are valid only at the version they
/// were read at (`hippo-service`'s `core/cache.rs`).
pub const ACCESS_VERSION_KEY: &str = "access_version";

/// Where a backup's key file was written (erasure rewrites it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupKeyFileRow {
    pub path: String,
    pub backup_id: String,
    pub created_at: Timestamp,
}

/// Figures for monitoring (`/metrics`), read together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsFigures {
    /// The newest audit record of each asked action, per outcome:
    /// `(action, outcome, at)`.
    pub last_records: Vec<(String, String, Timestamp)>,
    /// When the audit chain's head was last signed (a checkpoint).
    pub last_checkpoint_at: Option<Timestamp>,
    /// Outgoing webhook deliveries waiting for an attempt.
    pub webhook_pending: i64,
    /// Outgoing webhook deliveries given up (until redelivered).
    pub webhook_dead: i64,
    /// When the oldest pending delivery was written.
    pub webhook_oldest_pending_at: Option<Timestamp>,
}

/// This process's database connections.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
    /// Write transactions started.
    pub writes: u64,
    /// Their total wait for a connection (SQLite: for the writer), seconds.
    pub write_wait_seconds: f64,
}

/// Reads of ops (part of every [`crate::Store`]).
#[async_trait]
pub trait OpsStore {
    async fn get_meta(&self, key: &str) -> Result<Option<String>>;

    /// Failed sign-ins from `source` in its current window: (window start,
    /// count).
    async fn login_failures(&self, source: &str) -> Result<Option<(Timestamp, i64)>>;

    /// Over every source whose key starts with `prefix` and whose window
    /// started after `since`: (how many sources, their failures in all).
    async fn login_failure_totals(&self, prefix: &str, since: Timestamp) -> Result<(i64, i64)>;

    /// Key files of backups that erasure must reach.
    async fn list_backup_key_files(&self) -> Result<Vec<BackupKeyFileRow>>;

    /// Monitoring figures; `actions` are the audit actions whose newest
    /// record is wanted (each an indexed lookup).
    async fn ops_figures(&self, actions: &[&str]) -> Result<OpsFigures>;
}

/// Writes of ops (part of every [`crate::WriteTx`]).
#[async_trait]
pub trait OpsWriteTx {
    async fn put_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// A meta value as seen inside this transaction, locked until commit on
    /// PostgreSQL (SQLite writers are serialised anyway).
    async fn get_meta_for_update(&mut self, key: &str) -> Result<Option<String>>;
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
}
