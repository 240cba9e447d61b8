//! "Pushed to a socket" deliveries: collected from every socket task and
//! recorded in batches, so sockets never wait on the database.

use super::Hub;
use hippo_core::{ConversationId, UserId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often pushed messages are recorded as delivered.
pub(crate) const DELIVERY_FLUSH: Duration = Duration::from_millis(250);

/// Deliveries waiting to be recorded: (recipient, conversation, seq).
type Delivery = (UserId, ConversationId, i64);

/// The queue of deliveries and the task that records them.
pub struct DeliveryRecorder {
    tx: mpsc::Sender<Delivery>,
    rx: std::sync::Mutex<Option<mpsc::Receiver<Delivery>>>,
}

impl Default for DeliveryRecorder {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(65_536);
        Self {
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
        }
    }
}

impl DeliveryRecorder {
    /// Queues a delivery; if the recorder is saturated it is dropped (the
    /// recipient's next history fetch records it).
    pub(crate) fn offer(&self, user: UserId, conversation: ConversationId, seq: i64) {
        let _ = self.tx.try_send((user, conversation, seq));
    }

    /// Records queued deliveries every [`DELIVERY_FLUSH`] in one transaction.
    pub async fn run(hub: std::sync::Weak<Hub>, hippo: Arc<hippo_service::Hippo>) {
        let rx = hub
            .upgrade()
            .and_then(|h| h.deliveries.rx.lock().ok().and_then(|mut g| g.take()));
        let Some(mut rx) = rx else { return };
        let mut batch = Vec::new();
        loop {
            match rx.recv().await {
                Some(d) => batch.push(d),
                None => return,
            }
            tokio::time::sleep(DELIVERY_FLUSH).await;
            while let Ok(d) = rx.try_recv() {
                batch.push(d);
            }
            if let Err(e) = hippo
                .messages()
                .record_deliveries(std::mem::take(&mut batch))
                .await
            {
                tracing::warn!(error = %e, "recording deliveries failed");
            }
            if hub.strong_count() == 0 {
                return;
            }
        }
    }
}
