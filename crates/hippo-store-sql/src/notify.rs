//! Cross-node notifications over PostgreSQL `LISTEN`/`NOTIFY`, for cluster
//! mode: every node publishes what happened on it and hears what happened
//! on the others. The channel is named after (a hash of) the schema, so
//! several hippo deployments (or test schemas) on one database never hear
//! each other.
//! A notification is at most 8000 bytes and is not stored: callers keep
//! payloads small and treat delivery as best effort (clients resynchronise
//! by `seq`).

use crate::DbResult;
use hippo_store::StoreError;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use std::time::Duration;

/// Largest payload PostgreSQL accepts in one notification (less a margin).
pub const MAX_PAYLOAD: usize = 7900;

/// Publishes and subscribes on this deployment's channel.
pub struct PgNotifier {
    pool: PgPool,
    channel: String,
}

impl std::fmt::Debug for PgNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotifier")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl PgNotifier {
    /// Connects (a small pool of its own) and finds the channel name.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        // An identifier of at most 63 bytes whatever the schema's name.
        let channel: String =
            sqlx::query_scalar("SELECT 'hippo_events_' || left(md5(current_schema()::text), 24)")
                .fetch_one(&pool)
                .await
                .db()?;
        Ok(Self { pool, channel })
    }

    /// Sends several notifications in one round trip.
    pub async fn notify_many(&self, payloads: &[String]) -> Result<(), StoreError> {
        if payloads.iter().any(|p| p.len() > MAX_PAYLOAD) {
            return Err(StoreError::Other("notification payload too large".into()));
        }
        sqlx::query(
            "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
        )
        .bind(&self.channel)
        .bind(payloads)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    /// A listener on the channel. `PgListener` reconnects by itself after
    /// a lost connection; what was sent meanwhile is not replayed.
    pub async fn listen(&self) -> Result<Listener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.db()?;
        listener.listen(&self.channel).await.db()?;
        Ok(Listener(listener))
    }
}

/// Receives this deployment's notifications.
pub struct Listener(PgListener);

impl Listener {
    /// The next payload; waits. An error means the connection is being
    /// re-established: call again.
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let n = self.0.recv().await.db()?;
        Ok(n.payload().to_owned())
    }
}
