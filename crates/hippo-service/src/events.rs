//! In-process event bus. Use cases publish after commit; the WebSocket
//! stream (and, in a cluster, the cross-node relay) subscribes.

use hippo_core::{SessionId, UserId};
use tokio::sync::broadcast;

/// Something that happened, for live subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session ended: its sockets must get `session.ended` and close.
    SessionEnded {
        session_id: SessionId,
        user_id: UserId,
        /// `logout`, `expired`, `deactivated` or `revoked`.
        reason: &'static str,
    },
}

/// A broadcast channel of [`Event`]s.
#[derive(Debug, Clone)]
pub struct EventBus(broadcast::Sender<Event>);

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self(broadcast::channel(4096).0)
    }

    pub fn publish(&self, event: Event) {
        // No subscribers is fine.
        let _ = self.0.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}
