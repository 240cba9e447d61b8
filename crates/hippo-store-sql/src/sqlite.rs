//! SQLite backend: one file in the data dir, WAL journal, `synchronous=FULL`
//! so a commit is on disk before any 2xx. One writer connection, shared by
//! group commit ([`crate::group_commit`]: concurrent write transactions are
//! savepoints in one `BEGIN IMMEDIATE … COMMIT`, one fsync for all), and a
//! small pool of readers. Other processes (the admin CLI) share the file
//! safely; they wait up to `busy_timeout` for the write lock.

use crate::DbResult;
use crate::group_commit::{GroupTx, GroupWriter};
use hippo_store::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// The SQLite store.
pub struct SqliteStore {
    writer: GroupWriter,
    reader: SqlitePool,
    write_waits: crate::WriteWaits,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot open SQLite database {}: {e}",
                    path.display()
                ))
            })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&writer)
            .await
            .unwrap_or(None);
        crate::migrate::refuse_newer(applied)?;
        crate::migrate::sqlite()
            .run(&writer)
            .await
            .map_err(|e| StoreError::Other(format!("migrating SQLite database: {e}")))?;
        writer.close().await;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            // A local file does not hang up: no ping (a round trip to the
            // connection's worker thread) before every read.
            .test_before_acquire(false)
            .connect_with(opts.clone())
            .await
            .db()?;
        let writer = GroupWriter::new(crate::group_commit::connect(&opts).await?);
        Ok(Self {
            writer,
            reader,
            write_waits: crate::WriteWaits::default(),
        })
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Committed write transactions and the `COMMIT`s that carried them;
    /// their ratio is the average batch size of group commit.
    pub fn commit_stats(&self) -> (u64, u64) {
        let s = self.writer.stats();
        (
            s.transactions.load(std::sync::atomic::Ordering::Relaxed),
            s.batches.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The reader pool's connections; the one writer shows in the write
    /// waits.
    fn pool_figures(&self) -> hippo_store::PoolStats {
        let (writes, write_wait_seconds) = self.write_waits.totals();
        let idle = u32::try_from(self.reader.num_idle()).unwrap_or(u32::MAX);
        hippo_store::PoolStats {
            open: self.reader.size(),
            idle,
            max: self.reader.options().get_max_connections(),
            writes,
            write_wait_seconds,
        }
    }

    async fn begin_tx(&self) -> Result<GroupTx, StoreError> {
        self.writer.begin().await
    }

    async fn close_pools(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The shared SQL ([`sql`]) compiled for SQLite.
#[path = "sql/mod.rs"]
mod sql;

type Db = sqlx::Sqlite;
type DbStore = SqliteStore;
type DbTx = GroupTx;
const BACKEND: &str = "sqlite";

/// A page of the audit trail as one JSON array (`list_audit`).
const LIST_AUDIT_JSON: &str = "SELECT json_group_array(json_array(seq, at, actor_id, session_id, \
     ip, user_agent, request_id, \
     action, resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash) ORDER BY \
     seq) \
     FROM (SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2)";
