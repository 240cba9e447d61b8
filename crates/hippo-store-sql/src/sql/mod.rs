//! Every SQL statement hippo runs, written once for both backends, one
//! file per storage area (the areas of `hippo_store`'s traits).
//!
//! This module is compiled twice: `sqlite.rs` and `postgres.rs` each
//! include it (`#[path = "sql/mod.rs"] mod sql;`) next to the names that
//! say which backend it is compiled for — `Db` (the sqlx driver), `DbStore`
//! (the store type, which supplies `reader()`, a pool for reads, and
//! `begin_tx()`), `DbTx` (a write transaction started the backend's way: a
//! value that derefs to the driver's connection and has `commit()`),
//! `BACKEND` (`"sqlite"` or `"postgres"`, for the few statements that
//! differ) and `LIST_AUDIT_JSON` (the one query whose text differs: JSON
//! aggregation). Every other query's text is the same on both (`$N`
//! placeholders work on both drivers; see `docs/adr/0001-crate-layout.md`),
//! and each expansion is plain, monomorphic sqlx code.

use super::{BACKEND, Db, DbStore, DbTx, LIST_AUDIT_JSON};
use crate::DbResult;
use async_trait::async_trait;
use hippo_core::Timestamp;
use hippo_store::Result;
use hippo_store::prelude::*;

/// `SELECT <every users column> FROM users <tail>`.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, username_index, username_enc, display_name_enc, role, status, \
             password_hash, ",
            "must_change_password, mfa_enabled, mfa_secret_enc, mfa_pending_secret_enc, \
             totp_last_step, ",
            "failed_logins, locked_until, created_at, updated_at, mfa_recovery_enc FROM users ",
            $tail
        )
    };
}

/// `SELECT <every sessions column> FROM sessions <tail>`.
macro_rules! select_sessions {
    ($tail:literal) => {
        concat!(
            "SELECT id, user_id, scope, created_at, last_seen_at, expires_at, ip, user_agent, ",
            "ended_at, end_reason, kind FROM sessions ",
            $tail
        )
    };
}

/// `SELECT <every messages column> FROM messages <tail>`.
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT id, conversation_id, seq, sender_id, body_enc, priority, client_id, \
             created_at, ",
            "edited_at, deleted_at, channel, channel_state, channel_updated_at, \
             channel_error_code, ",
            "channel_error_title, wamid FROM messages ",
            $tail
        )
    };
}

/// `SELECT <every conversations column> FROM conversations <tail>`.
macro_rules! select_conversations {
    ($tail:literal) => {
        concat!(
            "SELECT id, kind, title_enc, data_key_id, created_by, created_at, updated_at, \
             last_seq ",
            "FROM conversations ",
            $tail
        )
    };
}

/// `SELECT <every attachments column, prefixed a.> FROM attachments a <tail>`.
macro_rules! select_attachments {
    ($extra:literal, $tail:literal) => {
        concat!(
            "SELECT ",
            $extra,
            "a.id, a.uploader_id, a.data_key_id, a.filename_enc, a.content_type, a.size, \
             a.sha256_enc, ",
            "a.chunk_size, a.created_at FROM attachments a ",
            $tail
        )
    };
}

mod activity;
mod api_keys;
mod attachments;
mod audit;
mod audit_tree;
mod calls;
mod channel;
mod channel_write;
mod conversations;
mod governance;
mod incidents;
mod keys;
mod ops;
mod sessions;
mod users;
mod webhooks;

/// A row as this backend's driver returns it.
type DbRow = <Db as sqlx::Database>::Row;

/// Column `name` of `r`, decoded as `T`.
fn col<'r, T>(r: &'r DbRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    sqlx::Row::try_get(r, name).db()
}

/// A nullable millisecond column as a [`Timestamp`].
fn opt_ts(r: &DbRow, name: &str) -> Result<Option<Timestamp>> {
    Ok(col::<Option<i64>>(r, name)?.map(ts))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected value in {what}"))
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// One write transaction on this backend.
pub struct Tx {
    tx: DbTx,
    /// Conversations inserted in this transaction: adding their first
    /// members withdraws no one's access, so it does not bump
    /// [`hippo_store::ACCESS_VERSION_KEY`] (nobody can hold them cached).
    new_conversations: Vec<hippo_core::ConversationId>,
}

#[async_trait]
impl Store for DbStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn begin_write(&self) -> Result<Box<dyn WriteTx>> {
        let asked = std::time::Instant::now();
        let tx = self.begin_tx().await?;
        self.write_waits.record(asked.elapsed());
        Ok(Box::new(Tx {
            tx,
            new_conversations: Vec::new(),
        }))
    }

    fn pool_stats(&self) -> hippo_store::PoolStats {
        self.pool_figures()
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await.db()?;
        Ok(())
    }

    async fn export_to(&self, dir: &std::path::Path) -> Result<Vec<DataKeyRow>> {
        let rows = self.export_impl(dir).await?;
        rows.iter().map(keys::data_key_from_row).collect()
    }

    async fn import_from(&self, dir: &std::path::Path) -> Result<()> {
        self.import_impl(dir).await
    }

    async fn wipe(&self) -> Result<()> {
        self.wipe_impl().await
    }

    async fn holds_data(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM conversations)",
        )
        .fetch_one(self.reader())
        .await
        .db()?;
        Ok(n > 0)
    }

    async fn close(&self) {
        self.close_pools().await;
    }
}

#[async_trait]
impl WriteTx for Tx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await
    }
}
