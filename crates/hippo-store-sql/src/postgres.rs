//! PostgreSQL backend, for clusters of several hippo nodes on one database.
//! The URL is passed to the driver unchanged, so its TLS options
//! (`sslmode=verify-full`, `sslrootcert=…`) are honoured. Migrations take
//! PostgreSQL's advisory lock, so nodes starting together migrate once.

use crate::DbResult;
use hippo_store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A pooled connection idle this long is pinged before it is used.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Connections a node keeps unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

/// The PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
    write_waits: crate::WriteWaits,
}

impl PgStore {
    /// Connects and migrates. `schema`, when given, becomes the
    /// `search_path` (the test suite gives each test its own schema).
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        Self::connect_sized(url, schema, DEFAULT_MAX_CONNECTIONS).await
    }

    /// [`Self::connect`] with a pool of `max_connections`.
    pub async fn connect_sized(
        url: &str,
        schema: Option<&str>,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let mut opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("hippo")
            // A statement that hangs (a lock, a stalled server) fails
            // instead of holding a connection for ever.
            .options([("statement_timeout", "30s")]);
        if let Some(schema) = schema {
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            // PostgreSQL away: requests fail with 503 after this, and the
            // pool reconnects by itself when it is back: a connection idle
            // for a while is checked before use, one that failed is
            // dropped when released (sqlx pings it then). Not every
            // acquisition: that ping is a round trip per statement.
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap_or(None);
        crate::migrate::refuse_newer(applied)?;
        crate::migrate::postgres()
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migrating PostgreSQL database: {e}")))?;
        Ok(Self {
            pool,
            write_waits: crate::WriteWaits::default(),
        })
    }

    pub(crate) fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn pool_figures(&self) -> hippo_store::PoolStats {
        let (writes, write_wait_seconds) = self.write_waits.totals();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        hippo_store::PoolStats {
            open: self.pool.size(),
            idle,
            max: self.pool.options().get_max_connections(),
            writes,
            write_wait_seconds,
        }
    }

    async fn begin_tx(&self) -> Result<PgTx, StoreError> {
        Ok(PgTx(self.pool.begin().await.db()?))
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

/// A PostgreSQL write transaction (each commits on its own; PostgreSQL
/// groups concurrent commits into one WAL flush by itself).
pub struct PgTx(sqlx::Transaction<'static, sqlx::Postgres>);

impl PgTx {
    async fn commit(self) -> Result<(), StoreError> {
        self.0.commit().await.db()
    }
}

impl std::ops::Deref for PgTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &sqlx::PgConnection {
        &self.0
    }
}

impl std::ops::DerefMut for PgTx {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }
}

/// The shared SQL ([`sql`]) compiled for PostgreSQL.
#[path = "sql/mod.rs"]
#[expect(
    clippy::duplicate_mod,
    reason = "the same SQL, compiled for the second driver"
)]
mod sql;

type Db = sqlx::Postgres;
type DbStore = PgStore;
type DbTx = PgTx;
const BACKEND: &str = "postgres";

/// A page of the audit trail as one JSON array (`list_audit`).
const LIST_AUDIT_JSON: &str = "SELECT json_agg(json_build_array(seq, at, actor_id, session_id, ip, \
     user_agent, request_id, \
     action, resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash) ORDER BY \
     seq)::text \
     FROM (SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2) page";
