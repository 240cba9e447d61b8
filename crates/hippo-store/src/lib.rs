//! The storage interface of hippo: records as stored (sensitive fields
//! already encrypted), a read API, and a transaction-scoped write API in which
//! a use case's change and its audit record commit together or not at all.
//!
//! The API is cut by area, one file each with its rows, a read trait and a
//! write-transaction trait (`users`, `sessions`, `audit`, `keys`,
//! `conversations`, `attachments`, `governance`, `incidents`, `ops`, `channel`,
//! `calls`);
//! [`Store`] and [`WriteTx`] are the sum of them. `use hippo_store::prelude::*`
//! brings every trait and row into scope.
//!
//! Implementations live in `hippo-store-sql` (SQLite and PostgreSQL). The
//! shared storage test suite (`testsuite`, feature `testsuite`) runs against
//! both.

pub mod api_keys;
pub mod attachments;
pub mod audit;
pub mod blob;
pub mod calls;
pub mod chain;
pub mod channel;
pub mod conversations;
pub mod governance;
pub mod incidents;
pub mod keys;
pub mod merkle;
pub mod ops;
pub mod scan;
pub mod sessions;
#[cfg(feature = "testsuite")]
pub mod testsuite;
pub mod users;
pub mod webhooks;

use async_trait::async_trait;

pub use api_keys::{ApiKeyRow, ApiKeyStore, ApiKeyWithSession, ApiKeyWriteTx};
pub use attachments::{AttachmentRow, AttachmentStore, AttachmentWriteTx, MessageAttachmentRow};
pub use audit::{
    ActorActivity, AuditFilter, AuditRecord, AuditStore, AuditWriteTx, CheckpointRow, FlaggedRead,
    HourReads, KeyEndorsementRow, PendingAudit, READ_ACTIONS, Sequenced, TreeHeadRow,
    WindowActivity,
};
pub use calls::{CallRow, CallStore, CallWriteTx};
pub use channel::{
    ChannelStore, ChannelWriteTx, OutboxCounts, OutboxJob, OutboxState, PatientRow, TemplateRow,
    WebhookRow,
};
pub use conversations::{
    ConversationRow, ConversationStats, ConversationStore, ConversationWriteTx, MarkKind,
    MessageRow, ReceiptRow, WhatsappDelivery,
};
pub use governance::{
    AlertRow, BreakGlassRow, ConversationPolicy, GovernanceStore, GovernanceWriteTx, PurgeResult,
};
pub use incidents::{IncidentRow, IncidentStore, IncidentWriteTx};
pub use keys::{DataKeyRow, KeyStore, KeyWriteTx};
pub use ops::{ACCESS_VERSION_KEY, BackupKeyFileRow, OpsFigures, OpsStore, OpsWriteTx, PoolStats};
pub use sessions::{SessionStore, SessionWriteTx};
pub use users::{UserRow, UserStore, UserWriteTx};
pub use webhooks::{
    DeliveryState, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow, WebhookEvent,
    WebhookStore, WebhookWriteTx,
};

/// Everything a caller of the store needs in one `use`: the traits (so
/// their methods resolve on concrete stores too), the rows and the error.
pub mod prelude {
    pub use crate::{
        AlertRow, ApiKeyRow, ApiKeyStore, ApiKeyWithSession, ApiKeyWriteTx, AttachmentRow,
        AttachmentStore, AttachmentWriteTx, AuditFilter, AuditRecord, AuditStore, AuditWriteTx,
        BackupKeyFileRow, BreakGlassRow, CallRow, CallStore, CallWriteTx, ChannelStore,
        ChannelWriteTx, CheckpointRow, ConversationPolicy, ConversationRow, ConversationStats,
        ConversationStore, ConversationWriteTx, DataKeyRow, DeliveryState, GovernanceStore,
        GovernanceWriteTx, IncidentRow, IncidentStore, IncidentWriteTx, KeyEndorsementRow,
        KeyStore, KeyWriteTx, MarkKind, MessageAttachmentRow, MessageRow, OpsStore, OpsWriteTx,
        OutboxCounts, OutboxJob, OutboxState, PatientRow, PendingAudit, PurgeResult, ReceiptRow,
        Sequenced, SessionStore, SessionWriteTx, Store, StoreError, TemplateRow, TreeHeadRow,
        UserRow, UserStore, UserWriteTx, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow,
        WebhookEvent, WebhookRow, WebhookStore, WebhookWriteTx, WhatsappDelivery, WriteTx,
    };
}

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

/// A store: the read traits of every area. Reads go straight to it; every
/// change goes through [`Store::begin_write`].
#[async_trait]
pub trait Store:
    UserStore
    + SessionStore
    + AuditStore
    + KeyStore
    + ConversationStore
    + AttachmentStore
    + GovernanceStore
    + IncidentStore
    + OpsStore
    + ChannelStore
    + CallStore
    + ApiKeyStore
    + WebhookStore
    + Send
    + Sync
    + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Starts a write transaction. Dropping it without `commit` rolls back.
    async fn begin_write(&self) -> Result<Box<dyn WriteTx>>;

    /// This process's connections and write waits (for `/metrics`).
    fn pool_stats(&self) -> PoolStats;

    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> Result<()>;

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

    /// Closes connections.
    async fn close(&self);
}

/// One write transaction: the write traits of every area, and `commit`.
#[async_trait]
pub trait WriteTx:
    UserWriteTx
    + SessionWriteTx
    + AuditWriteTx
    + KeyWriteTx
    + ConversationWriteTx
    + AttachmentWriteTx
    + GovernanceWriteTx
    + IncidentWriteTx
    + OpsWriteTx
    + ChannelWriteTx
    + CallWriteTx
    + ApiKeyWriteTx
    + WebhookWriteTx
    + Send
{
    /// Makes everything durable. Only after this may a caller answer 2xx.
    async fn commit(self: Box<Self>) -> Result<()>;
}
