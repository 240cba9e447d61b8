//! The default cluster bus: PostgreSQL `LISTEN`/`NOTIFY` on the cluster's
//! own database (no other service to run). Every node hears every note;
//! notes over 8000 bytes travel by reference (`hippo_store_sql::notify`).

use super::{ClusterBus, Interest, Note, Received};
use anyhow::Result;
use hippo_store_sql::notify::PgNotifier;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Notes received but not yet handed to the sockets.
const INBOX: usize = 4096;

pub struct PgBus {
    notifier: PgNotifier,
}

impl PgBus {
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self {
            notifier: PgNotifier::connect(url).await?,
        })
    }
}

#[async_trait::async_trait]
impl ClusterBus for PgBus {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn max_payload(&self) -> usize {
        // Larger notes travel by reference.
        usize::MAX
    }

    async fn publish(&self, notes: &[Note]) -> Result<()> {
        let payloads: Vec<String> = notes.iter().map(|n| n.payload.clone()).collect();
        Ok(self.notifier.notify_many(&payloads).await?)
    }

    async fn subscribe(self: Arc<Self>, interest: Interest) -> Result<mpsc::Receiver<Received>> {
        // Every node hears everything: who is connected here does not matter.
        drop(interest);
        let (tx, rx) = mpsc::channel(INBOX);
        let mut listener = self.notifier.listen().await?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(Some(payload)) => {
                        let r = Received {
                            payload,
                            only_for: None,
                        };
                        if tx.send(r).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => tracing::warn!("a cluster note sent by reference was gone"),
                    Err(e) => {
                        tracing::warn!(error = %e, "cluster event channel interrupted; reconnecting");
                        // PgListener reconnects on the next recv.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(rx)
    }
}
