//! What use cases announce after they commit. The HTTP layer installs an
//! [`EventSink`] (the WebSocket hub) that turns events into frames for the
//! recipients' live connections; the admin CLI installs none. In a cluster
//! a forwarder ([`crate::cluster`]) also sends every event to the other
//! nodes, which hand it to their own sink with [`EventBus::deliver_local`].

use hippo_core::{Conversation, ConversationId, Message, MessageId, SessionId, Timestamp, UserId};
use std::sync::{Arc, OnceLock};

/// Something that happened, with who should hear about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session ended: its sockets get `session.ended` and close.
    SessionEnded {
        session_id: SessionId,
        user_id: UserId,
        /// `logout`, `expired`, `deactivated` or `revoked`.
        reason: &'static str,
    },
    MessageCreated {
        message: Message,
        recipients: Vec<UserId>,
    },
    MessageUpdated {
        message: Message,
        recipients: Vec<UserId>,
    },
    MessageDeleted {
        conversation_id: ConversationId,
        message_id: MessageId,
        recipients: Vec<UserId>,
    },
    /// `user_id` received or read everything up to `up_to_seq` (whose
    /// message is `message_id`).
    Receipt {
        conversation_id: ConversationId,
        message_id: MessageId,
        up_to_seq: i64,
        user_id: UserId,
        delivered_at: Option<Timestamp>,
        read_at: Option<Timestamp>,
        recipients: Vec<UserId>,
    },
    ConversationUpdated {
        conversation: Conversation,
        /// Current members and anyone just removed.
        recipients: Vec<UserId>,
    },
}

/// Receives every published event, synchronously; must not block.
pub trait EventSink: Send + Sync + 'static {
    fn handle(&self, event: &Event);

    /// For a sink that sends events on (the cluster forwarder): completes
    /// once everything handled before it has left this node.
    fn flush(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        None
    }
}

/// Where use cases publish.
#[derive(Default)]
pub struct EventBus {
    sink: OnceLock<Arc<dyn EventSink>>,
    forwarder: OnceLock<Arc<dyn EventSink>>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("sink", &self.sink.get().is_some())
            .field("forwarder", &self.forwarder.get().is_some())
            .finish()
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs the sink; only the first call takes effect.
    pub fn set_sink(&self, sink: Arc<dyn EventSink>) {
        let _ = self.sink.set(sink);
    }

    /// Installs the cluster forwarder; only the first call takes effect.
    pub fn set_forwarder(&self, forwarder: Arc<dyn EventSink>) {
        let _ = self.forwarder.set(forwarder);
    }

    /// Announces an event that happened on this node: to the local sink
    /// and, in a cluster, to the other nodes.
    pub fn publish(&self, event: Event) {
        if let Some(sink) = self.sink.get() {
            sink.handle(&event);
        }
        if let Some(forwarder) = self.forwarder.get() {
            forwarder.handle(&event);
        }
    }

    /// Waits (a bounded time) until the events published so far have been
    /// sent to the other nodes; at once without a cluster.
    pub async fn flushed(&self) {
        if let Some(done) = self.forwarder.get().and_then(|f| f.flush()) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), done).await;
        }
    }

    /// Hands an event that happened on another node to the local sink only.
    pub fn deliver_local(&self, event: &Event) {
        if let Some(sink) = self.sink.get() {
            sink.handle(event);
        }
    }
}
