//! Group commit for SQLite: many write transactions, one `fsync`.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every
//! `COMMIT` waits for the disk. Committing each message on its own caps
//! throughput at the disk's fsync rate. Instead, the single writer
//! connection keeps one outer transaction (a *batch*) open while writers are
//! queued, and each logical write transaction is a `SAVEPOINT` inside it:
//!
//! - `begin` waits for the connection, opens a batch if none is open
//!   (`BEGIN IMMEDIATE`), then `SAVEPOINT w`.
//! - `commit` releases the savepoint and, if nobody is queued, commits the
//!   batch itself (one fsync for everything in it); otherwise it hands the
//!   connection to the next writer and waits for the batch's outcome. The
//!   last writer of a batch, or the one that fills it, commits it.
//! - dropping a transaction rolls back to its savepoint; the others in the
//!   batch are unaffected.
//!
//! No caller hears "committed" before the batch's `COMMIT` returned, so a
//! 2xx still means on disk. If that `COMMIT` fails, every member hears the
//! error. The rule that keeps batches from being stranded: whoever gives up
//! the connection while nobody is queued commits the open batch first.

use crate::DbResult;
use hippo_store::StoreError;
use sqlx::{Connection, Executor, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// Most transactions in one batch.
const MAX_BATCH: usize = 256;
/// How long a writer waits for the connection before giving up (as the pool
/// it replaces did).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

type Outcome = Option<Result<(), String>>;

struct Batch {
    /// Savepoints released into this batch, waiting for its commit.
    members: usize,
    done: watch::Sender<Outcome>,
}

/// The writer connection and the batch open on it, if any.
pub(crate) struct Writer {
    conn: SqliteConnection,
    stats: Arc<Stats>,
    batch: Option<Batch>,
    /// A transaction was dropped where its savepoint could not be undone:
    /// the whole open batch must be rolled back before anything else.
    poisoned: bool,
}

/// Counters of committed work.
#[derive(Debug, Default)]
pub struct Stats {
    /// Write transactions committed.
    pub transactions: AtomicU64,
    /// `COMMIT`s (fsyncs) that carried them.
    pub batches: AtomicU64,
}

/// The shared writer: hands out [`GroupTx`]s.
pub(crate) struct GroupWriter {
    writer: Arc<Mutex<Writer>>,
    stats: Arc<Stats>,
    /// Writers queued for the connection.
    queued: Arc<AtomicUsize>,
}

impl GroupWriter {
    pub(crate) fn new(conn: SqliteConnection) -> Self {
        let stats = Arc::new(Stats::default());
        Self {
            stats: stats.clone(),
            writer: Arc::new(Mutex::new(Writer {
                conn,
                stats,
                batch: None,
                poisoned: false,
            })),
            queued: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Starts a write transaction.
    pub(crate) async fn begin(&self) -> Result<GroupTx, StoreError> {
        // Opening runs to completion even if the caller goes away (a request
        // cancelled by its client): stopping between statements would leave
        // the connection in an unknown state. If nobody takes the finished
        // transaction, dropping it rolls it back.
        tokio::spawn(open_tx(self.writer.clone(), self.queued.clone()))
            .await
            .map_err(|e| StoreError::Other(format!("SQLite writer task failed: {e}")))?
    }

    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Waits for any open batch to be committed.
    pub(crate) async fn close(&self) {
        let guard = self.writer.clone().lock_owned().await;
        flush(guard).await;
    }
}

async fn open_tx(
    writer: Arc<Mutex<Writer>>,
    queued: Arc<AtomicUsize>,
) -> Result<GroupTx, StoreError> {
    let in_queue = Queued::join(&queued);
    let acquired = tokio::time::timeout(ACQUIRE_TIMEOUT, writer.lock_owned()).await;
    drop(in_queue);
    let mut guard = acquired
        .map_err(|_| StoreError::Unavailable("timed out waiting for the SQLite writer".into()))?;
    let opened = async {
        if guard.poisoned {
            guard.poisoned = false;
            guard.conn.execute("ROLLBACK").await?;
            if let Some(batch) = guard.batch.take() {
                batch
                    .done
                    .send_replace(Some(Err("transaction batch rolled back".into())));
            }
        }
        if guard.batch.is_none() {
            guard.conn.execute("BEGIN IMMEDIATE").await?;
            guard.batch = Some(Batch {
                members: 0,
                done: watch::channel(None).0,
            });
        }
        guard.conn.execute("SAVEPOINT w").await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    match opened {
        Ok(()) => Ok(GroupTx {
            guard: Some(guard),
            queued,
        }),
        Err(e) => {
            let err = crate::map_err(e);
            hand_over(guard, &queued).await;
            Err(err)
        }
    }
}

/// A writer's place in the queue for the connection. Leaving is tied to
/// drop, so a writer whose request is cancelled while it waits does not
/// stay counted (a stale count would keep batches from ever committing).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn join(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Gives up the connection. If nobody is queued, the open batch is
/// committed first (someone must, and nobody else will come).
async fn hand_over(guard: OwnedMutexGuard<Writer>, queued: &AtomicUsize) {
    let full = guard.batch.as_ref().is_some_and(|b| b.members >= MAX_BATCH);
    if queued.load(Ordering::SeqCst) == 0 || full {
        flush(guard).await;
    }
}

/// Commits the open batch, if any, and tells its members the outcome.
async fn flush(mut guard: OwnedMutexGuard<Writer>) {
    let Some(batch) = guard.batch.take() else {
        return;
    };
    let outcome = match guard.conn.execute("COMMIT").await {
        Ok(_) => {
            if batch.members > 0 {
                guard.stats.batches.fetch_add(1, Ordering::Relaxed);
                guard
                    .stats
                    .transactions
                    .fetch_add(batch.members as u64, Ordering::Relaxed);
            }
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, members = batch.members, "SQLite group commit failed");
            // Leave the connection usable for the next batch.
            let _ = guard.conn.execute("ROLLBACK").await;
            Err(crate::map_err(e).to_string())
        }
    };
    batch.done.send_replace(Some(outcome));
}

/// One write transaction: a savepoint in the open batch, holding the writer
/// connection until it commits or is dropped.
pub(crate) struct GroupTx {
    guard: Option<OwnedMutexGuard<Writer>>,
    queued: Arc<AtomicUsize>,
}

impl GroupTx {
    fn conn(&mut self) -> &mut SqliteConnection {
        match self.guard.as_mut() {
            Some(g) => &mut g.conn,
            // `guard` is only taken by `commit` (which consumes self) and
            // `drop`.
            None => unreachable!("GroupTx used after commit"),
        }
    }

    /// Releases the savepoint and returns once the batch holding it is on
    /// disk.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let Some(guard) = self.guard.take() else {
            return Err(StoreError::Other("transaction already finished".into()));
        };
        // Releasing (and perhaps committing the batch) runs to completion
        // even if the caller goes away; only the wait below is abandoned.
        let mut done = tokio::spawn(release_tx(guard, self.queued.clone()))
            .await
            .map_err(|e| StoreError::Other(format!("SQLite writer task failed: {e}")))??;
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| StoreError::Other("group commit abandoned".into()))?
            .clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
            None => Err(StoreError::Other("group commit abandoned".into())),
        }
    }
}

/// Releases a transaction's savepoint into its batch and gives up the
/// connection; the receiver reports the batch's outcome.
async fn release_tx(
    mut guard: OwnedMutexGuard<Writer>,
    queued: Arc<AtomicUsize>,
) -> Result<watch::Receiver<Outcome>, StoreError> {
    if let Err(e) = guard.conn.execute("RELEASE w").await {
        let err = crate::map_err(e);
        roll_back(guard, &queued).await;
        return Err(err);
    }
    let done = match guard.batch.as_mut() {
        Some(batch) => {
            batch.members += 1;
            batch.done.subscribe()
        }
        None => return Err(StoreError::Other("no open batch".into())),
    };
    hand_over(guard, &queued).await;
    Ok(done)
}

/// Undoes a transaction's savepoint, then gives up the connection.
async fn roll_back(mut guard: OwnedMutexGuard<Writer>, queued: &AtomicUsize) {
    if let Err(e) = guard.conn.execute("ROLLBACK TO w; RELEASE w").await {
        // The savepoint cannot be undone: abandon the whole batch rather
        // than commit a half-written transaction.
        tracing::error!(error = %e, "SQLite savepoint rollback failed; abandoning the batch");
        let _ = guard.conn.execute("ROLLBACK").await;
        if let Some(batch) = guard.batch.take() {
            batch
                .done
                .send_replace(Some(Err("transaction batch rolled back".into())));
        }
        return;
    }
    hand_over(guard, queued).await;
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        // Dropped without commit: roll back its savepoint. That needs the
        // connection (and maybe a commit of the batch for earlier members),
        // so it runs as a task that owns the connection until done.
        if let Some(mut guard) = self.guard.take() {
            let queued = self.queued.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move { roll_back(guard, &queued).await });
                }
                Err(_) => {
                    tracing::error!("write transaction dropped outside a runtime");
                    guard.poisoned = true;
                }
            }
        }
    }
}

impl std::ops::Deref for GroupTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self.guard.as_ref() {
            Some(g) => &g.conn,
            None => unreachable!("GroupTx used after commit"),
        }
    }
}

impl std::ops::DerefMut for GroupTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn()
    }
}

/// Opens the dedicated writer connection.
pub(crate) async fn connect(
    opts: &sqlx::sqlite::SqliteConnectOptions,
) -> Result<SqliteConnection, StoreError> {
    SqliteConnection::connect_with(opts).await.db()
}
