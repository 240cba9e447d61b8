//! Cluster mode, on whenever the database is PostgreSQL: this node's
//! events go to the other nodes, and theirs come here, over PostgreSQL
//! `LISTEN`/`NOTIFY` (see `hippo_service::cluster` for what travels).

use anyhow::{Context, Result};
use hippo_service::Hippo;
use hippo_service::cluster::Outgoing;
use hippo_store_sql::notify::PgNotifier;
use std::sync::Arc;
use std::time::Duration;

/// Notifications sent per round trip at most.
const BATCH: usize = 256;

/// Starts the relay's sender and receiver; `None` on SQLite (one node).
pub async fn spawn_relay(
    database_url: Option<&str>,
    hippo: &Arc<Hippo>,
) -> Result<Option<Vec<tokio::task::JoinHandle<()>>>> {
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        return Ok(None);
    };
    let notifier = Arc::new(
        PgNotifier::connect(url)
            .await
            .context("cannot open the cluster event channel")?,
    );
    let node = hippo_core::SessionId::generate().to_string();
    let mut outgoing = hippo.forward_events(&node);
    let sender = {
        let notifier = notifier.clone();
        tokio::spawn(async move {
            let mut queue = Vec::with_capacity(BATCH);
            while outgoing.recv_many(&mut queue, BATCH).await > 0 {
                let mut notes = Vec::with_capacity(queue.len());
                let mut barriers = Vec::new();
                for item in queue.drain(..) {
                    match item {
                        Outgoing::Note(n) => notes.push(n),
                        Outgoing::Barrier(b) => barriers.push(b),
                    }
                }
                send_with_retries(&notifier, &notes).await;
                // Everything queued before each barrier has been sent.
                for b in barriers {
                    let _ = b.send(());
                }
            }
        })
    };
    let receiver = {
        let hippo = hippo.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match notifier.listen().await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for cluster events; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                loop {
                    match listener.recv().await {
                        Ok(payload) => {
                            if let Err(e) = hippo.receive_cluster_event(&node, &payload).await {
                                tracing::warn!(error = %e, "a cluster event could not be delivered here");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cluster event channel interrupted; reconnecting");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        })
    };
    tracing::info!("cluster mode: events shared with other nodes over PostgreSQL LISTEN/NOTIFY");
    Ok(Some(vec![sender, receiver]))
}

/// Sends a batch, retrying with backoff; logs what is lost for good.
async fn send_with_retries(notifier: &PgNotifier, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=5 {
        match notifier.notify_many(notes).await {
            Ok(()) => return,
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, attempt, "sending cluster events failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => tracing::error!(
                error = %e,
                events = notes.len(),
                "cluster events lost; other nodes' clients catch up on reconnect"
            ),
        }
    }
}
