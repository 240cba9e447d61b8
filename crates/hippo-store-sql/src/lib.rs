//! The SQL implementations of [`hippo_store::Store`]: SQLite (embedded, the
//! default) and PostgreSQL (clusters).
//!
//! Both backends share one text of every query (`$N` placeholders work on
//! both): `sql/<area>.rs` holds it, one file per storage area, and is
//! compiled once for each driver (see `sql/mod.rs`). What differs —
//! connecting, pragmas, transaction start and the DDL — lives in `sqlite.rs`,
//! `postgres.rs` and `migrations/<backend>/`.

mod audit_page;
mod export;
mod group_commit;
mod migrate;
pub mod notify;
pub mod postgres;
pub mod sqlite;

use hippo_store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;

pub use migrate::SCHEMA_VERSION;

/// Write transactions started and how long they waited for a connection
/// (SQLite: for the one writer), for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct WriteWaits {
    count: std::sync::atomic::AtomicU64,
    micros: std::sync::atomic::AtomicU64,
}

impl WriteWaits {
    pub(crate) fn record(&self, waited: std::time::Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.count.fetch_add(1, Relaxed);
        self.micros.fetch_add(
            u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// `(writes, seconds waited)` so far.
    pub(crate) fn totals(&self) -> (u64, f64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.count.load(Relaxed),
            self.micros.load(Relaxed) as f64 / 1e6,
        )
    }
}

/// Opens the store named by `database_url`: `postgres://…` selects
/// PostgreSQL; `None` or a `sqlite:` URL selects SQLite (by default the file
/// `hippo.db` in `data_dir`). Applies pending migrations and refuses a schema
/// newer than this binary.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Arc<dyn Store>, StoreError> {
    open_sized(database_url, data_dir, postgres::DEFAULT_MAX_CONNECTIONS).await
}

/// [`open`] with the PostgreSQL pool size (unused for SQLite).
pub async fn open_sized(
    database_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
) -> Result<Arc<dyn Store>, StoreError> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
            Arc::new(postgres::PgStore::connect_sized(url, None, max_connections).await?),
        ),
        Some(url) if url.starts_with("sqlite:") => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            Ok(Arc::new(sqlite::SqliteStore::open(Path::new(path)).await?))
        }
        Some(other) => Err(StoreError::Other(format!(
            "database URL must start with postgres:// or sqlite: (got scheme `{}`)",
            other.split(':').next().unwrap_or_default()
        ))),
        None => Ok(Arc::new(
            sqlite::SqliteStore::open(&data_dir.join("hippo.db")).await?,
        )),
    }
}

/// `.db()?`: a driver result as a store result (through [`map_err`]).
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(map_err)
    }
}

/// Maps a driver error to a [`StoreError`] without leaking values.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned())
        }
        // The database cannot be reached or answers nonsense (a proxy or
        // load balancer without a server behind it): unavailable, retry.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db)
            if db.code().as_deref() == Some("5") || db.code().as_deref() == Some("517") =>
        {
            // SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT after busy_timeout.
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}
