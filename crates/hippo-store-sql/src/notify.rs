//! Cross-node notifications over PostgreSQL `LISTEN`/`NOTIFY`, for cluster
//! mode: every node publishes what happened on it and hears what happened
//! on the others. The channel is named after (a hash of) the schema, so
//! several hippo deployments (or test schemas) on one database never hear
//! each other.
//! A notification is at most 8000 bytes; a larger payload is written to
//! `cluster_payloads` (swept after five minutes) and its reference sent
//! instead, which the listener resolves, so callers may send payloads of
//! any size. Delivery is best effort (clients resynchronise by `seq`).

use crate::DbResult;
use hippo_store::StoreError;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use std::time::Duration;

/// Largest payload PostgreSQL accepts in one notification (less a margin);
/// larger ones travel by reference.
pub const MAX_PAYLOAD: usize = 7900;

/// Marks a notification that carries a reference, not the payload.
const REF_PREFIX: &str = "ref:";

/// How long a payload sent by reference is kept for the listeners.
const KEEP_REFERENCED_MS: i64 = 5 * 60 * 1000;

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
            .max_connections(3)
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

    /// Sends several notifications in one round trip (plus one to store
    /// those too large to travel inline).
    pub async fn notify_many(&self, payloads: &[String]) -> Result<(), StoreError> {
        let mut inline: Vec<String> = Vec::with_capacity(payloads.len());
        let large: Vec<&String> = payloads.iter().filter(|p| p.len() > MAX_PAYLOAD).collect();
        let mut refs = Vec::new();
        if !large.is_empty() {
            refs = self.store_large(&large).await?;
        }
        let mut refs = refs.into_iter();
        for p in payloads {
            if p.len() > MAX_PAYLOAD {
                match refs.next() {
                    Some(id) => inline.push(format!("{REF_PREFIX}{id}")),
                    None => return Err(StoreError::Other("a large note was not stored".into())),
                }
            } else if p.starts_with(REF_PREFIX) {
                return Err(StoreError::Other(
                    "a note may not look like a reference".into(),
                ));
            } else {
                inline.push(p.clone());
            }
        }
        sqlx::query(
            "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
        )
        .bind(&self.channel)
        .bind(&inline)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    /// Stores payloads for the listeners, sweeping old ones; their ids in
    /// order.
    async fn store_large(&self, payloads: &[&String]) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query(
            "DELETE FROM cluster_payloads \
             WHERE created_at < (extract(epoch from clock_timestamp()) * 1000)::bigint - $1",
        )
        .bind(KEEP_REFERENCED_MS)
        .execute(&mut *tx)
        .await
        .db()?;
        // One insert each: large notes are rare, and this keeps ids in order.
        let mut ids = Vec::with_capacity(payloads.len());
        for body in payloads {
            let id: String = sqlx::query_scalar(
                "INSERT INTO cluster_payloads (id, body, created_at) \
                 VALUES (gen_random_uuid()::text, $1, \
                 (extract(epoch from clock_timestamp()) * 1000)::bigint) RETURNING id",
            )
            .bind(body.as_str())
            .fetch_one(&mut *tx)
            .await
            .db()?;
            ids.push(id);
        }
        tx.commit().await.db()?;
        Ok(ids)
    }

    /// A listener on the channel. `PgListener` reconnects by itself after
    /// a lost connection; what was sent meanwhile is not replayed.
    pub async fn listen(&self) -> Result<Listener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.db()?;
        listener.listen(&self.channel).await.db()?;
        Ok(Listener {
            listener,
            pool: self.pool.clone(),
        })
    }
}

/// Receives this deployment's notifications.
pub struct Listener {
    listener: PgListener,
    pool: PgPool,
}

impl Listener {
    /// The next payload (loaded when it travelled by reference; `None` when
    /// that reference is gone); waits. An error means the connection is
    /// being re-established: call again.
    pub async fn recv(&mut self) -> Result<Option<String>, StoreError> {
        let n = self.listener.recv().await.db()?;
        let payload = n.payload();
        match payload.strip_prefix(REF_PREFIX) {
            None => Ok(Some(payload.to_owned())),
            Some(id) => sqlx::query_scalar("SELECT body FROM cluster_payloads WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .db(),
        }
    }
}
