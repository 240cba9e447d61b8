//! What use cases announce after they commit. Each [`Event`] becomes one
//! [`Outbound`]: a typed [`ServerFrame`] and the [`Audience`] it is for.
//! The HTTP layer installs an [`EventSink`] (the WebSocket hub) that offers
//! each outbound frame to the matching live connections; the admin CLI
//! installs none. In a cluster a forwarder ([`crate::cluster`]) also sends
//! every outbound frame to the other nodes, which hand it to their own sink
//! with [`EventBus::deliver_local`].
//!
//! The bus also counts which users have a live socket on this node
//! ([`EventBus::subscribe_presence`]), so a cluster transport can listen
//! only for those users.

use hippo_core::{Conversation, ConversationId, Message, MessageId, SessionId, Timestamp, UserId};
use hippo_protocol::{
    Audience, CallResponse, CandidatePayload, ConversationResponse, MessageResponse, SdpPayload,
    ServerFrame, SessionEndReason,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;

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
    /// `user_id` is typing in a conversation (from session `from`, which
    /// does not get the frame).
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
        from: SessionId,
        recipients: Vec<UserId>,
    },
    /// A call rings, changed or ended (`call.ringing`, `call.updated`,
    /// `call.ended`).
    Call {
        kind: CallNews,
        call: Box<hippo_core::Call>,
        recipients: Vec<UserId>,
    },
    /// A signal from one joined session of a call to another (`from` is a
    /// session id, or `sfu` for hippo's media server).
    CallSignal {
        call_id: hippo_core::CallId,
        from: String,
        to_user: UserId,
        to_session: SessionId,
        sdp: Option<SdpPayload>,
        candidate: Option<CandidatePayload>,
    },
}

/// Which call frame an [`Event::Call`] becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallNews {
    Ringing,
    Updated,
    Ended,
}

/// A frame and who it is for: what sinks and the cluster carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub to: Audience,
    pub frame: ServerFrame,
}

impl From<Event> for Outbound {
    fn from(event: Event) -> Self {
        let (to, frame) = match event {
            Event::SessionEnded {
                session_id,
                user_id,
                reason,
            } => (
                Audience::Session {
                    user: user_id,
                    session: session_id,
                },
                ServerFrame::SessionEnded {
                    reason: SessionEndReason::from_recorded(reason),
                },
            ),
            Event::MessageCreated {
                message,
                recipients,
            } => (
                Audience::users(recipients),
                ServerFrame::MessageCreated {
                    message: MessageResponse::from(&message),
                },
            ),
            Event::MessageUpdated {
                message,
                recipients,
            } => (
                Audience::users(recipients),
                ServerFrame::MessageUpdated {
                    message: MessageResponse::from(&message),
                },
            ),
            Event::MessageDeleted {
                conversation_id,
                message_id,
                recipients,
            } => (
                Audience::users(recipients),
                ServerFrame::MessageDeleted {
                    conversation_id: conversation_id.to_string(),
                    message_id: message_id.to_string(),
                },
            ),
            Event::Receipt {
                conversation_id,
                message_id,
                up_to_seq,
                user_id,
                delivered_at,
                read_at,
                recipients,
            } => (
                Audience::users(recipients),
                ServerFrame::Receipt {
                    conversation_id: conversation_id.to_string(),
                    message_id: message_id.to_string(),
                    up_to_seq,
                    user_id: user_id.to_string(),
                    delivered_at: delivered_at.map(Timestamp::to_rfc3339),
                    read_at: read_at.map(Timestamp::to_rfc3339),
                },
            ),
            Event::ConversationUpdated {
                conversation,
                recipients,
            } => (
                Audience::users(recipients),
                ServerFrame::ConversationUpdated {
                    conversation: ConversationResponse::from(&conversation),
                },
            ),
            Event::Typing {
                conversation_id,
                user_id,
                from,
                recipients,
            } => (
                Audience::Users {
                    users: recipients,
                    except_session: Some(from),
                },
                ServerFrame::Typing {
                    conversation_id: conversation_id.to_string(),
                    user_id: user_id.to_string(),
                },
            ),
            Event::Call {
                kind,
                call,
                recipients,
            } => {
                let call = CallResponse::from(call.as_ref());
                (
                    Audience::users(recipients),
                    match kind {
                        CallNews::Ringing => ServerFrame::CallRinging { call },
                        CallNews::Updated => ServerFrame::CallUpdated { call },
                        CallNews::Ended => ServerFrame::CallEnded { call },
                    },
                )
            }
            Event::CallSignal {
                call_id,
                from,
                to_user,
                to_session,
                sdp,
                candidate,
            } => (
                Audience::Session {
                    user: to_user,
                    session: to_session,
                },
                ServerFrame::CallSignal {
                    call_id: call_id.to_string(),
                    from_session: from,
                    sdp,
                    candidate,
                },
            ),
        };
        Self { to, frame }
    }
}

/// Receives every published frame, synchronously; must not block.
pub trait EventSink: Send + Sync + 'static {
    fn handle(&self, out: &Outbound);

    /// For a sink that sends frames on (the cluster forwarder): completes
    /// once everything handled before it has left this node.
    fn flush(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        None
    }
}

/// A user got their first live socket on this node (`online`) or lost
/// their last one. For a first socket, `ready` is to be completed (or
/// dropped) once the cluster transport listens for the user, so the socket
/// says `ready` only when it will miss nothing.
#[derive(Debug)]
pub struct PresenceChange {
    pub user: UserId,
    pub online: bool,
    pub ready: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Default)]
struct Presence {
    sockets: HashMap<UserId, usize>,
    watcher: Option<mpsc::UnboundedSender<PresenceChange>>,
}

/// Where use cases publish.
#[derive(Default)]
pub struct EventBus {
    sink: OnceLock<Arc<dyn EventSink>>,
    forwarder: OnceLock<Arc<dyn EventSink>>,
    presence: Mutex<Presence>,
    /// Poked after a committed change that may have queued outgoing
    /// webhooks (so this node's worker looks at once instead of at its
    /// next poll).
    webhooks: tokio::sync::Notify,
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
        if matches!(
            event,
            Event::MessageCreated { .. }
                | Event::MessageUpdated { .. }
                | Event::MessageDeleted { .. }
        ) {
            self.wake_webhooks();
        }
        let out = Outbound::from(event);
        if let Some(sink) = self.sink.get() {
            sink.handle(&out);
        }
        if let Some(forwarder) = self.forwarder.get() {
            forwarder.handle(&out);
        }
    }

    /// Waits (a bounded time) until the events published so far have been
    /// sent to the other nodes; at once without a cluster.
    pub async fn flushed(&self) {
        if let Some(done) = self.forwarder.get().and_then(|f| f.flush()) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), done).await;
        }
    }

    /// Tells this node's webhook worker to look for due deliveries now.
    pub(crate) fn wake_webhooks(&self) {
        self.webhooks.notify_one();
    }

    /// Resolves when [`EventBus::wake_webhooks`] was called.
    pub(crate) async fn webhooks_woken(&self) {
        self.webhooks.notified().await;
    }

    /// Hands a frame that came from another node to the local sink only.
    pub fn deliver_local(&self, out: &Outbound) {
        if let Some(sink) = self.sink.get() {
            sink.handle(out);
        }
    }

    fn presence(&self) -> std::sync::MutexGuard<'_, Presence> {
        self.presence
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A socket of `user` opened on this node. For the user's first socket
    /// with a watcher (a cluster transport), what completes once the
    /// transport listens for them.
    pub fn socket_opened(&self, user: &UserId) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let mut p = self.presence();
        let n = p.sockets.entry(user.clone()).or_insert(0);
        *n += 1;
        if *n != 1 {
            return None;
        }
        let w = p.watcher.as_ref()?;
        let (ready, listening) = tokio::sync::oneshot::channel();
        // A watcher that is gone (a transport that ignores presence)
        // drops `ready`, which completes `listening` at once.
        let _ = w.send(PresenceChange {
            user: user.clone(),
            online: true,
            ready: Some(ready),
        });
        Some(listening)
    }

    /// A socket of `user` closed on this node.
    pub fn socket_closed(&self, user: &UserId) {
        let mut p = self.presence();
        let gone = match p.sockets.get_mut(user) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => true,
            None => false,
        };
        if gone {
            p.sockets.remove(user);
            if let Some(w) = &p.watcher {
                let _ = w.send(PresenceChange {
                    user: user.clone(),
                    online: false,
                    ready: None,
                });
            }
        }
    }

    /// The users with a live socket here now, and every change from then
    /// on (one watcher; a second call replaces the first).
    pub fn subscribe_presence(&self) -> (Vec<UserId>, mpsc::UnboundedReceiver<PresenceChange>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut p = self.presence();
        p.watcher = Some(tx);
        (p.sockets.keys().cloned().collect(), rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_counts_sockets_per_user() {
        let bus = EventBus::new();
        let (a, b) = (UserId::generate(), UserId::generate());
        assert!(
            bus.socket_opened(&a).is_none(),
            "no watcher, nothing to wait for"
        );
        let (now, mut changes) = bus.subscribe_presence();
        assert_eq!(now, vec![a.clone()]);
        assert!(bus.socket_opened(&a).is_none(), "not the first socket");
        let mut listening = bus.socket_opened(&b).unwrap();
        bus.socket_closed(&a);
        bus.socket_closed(&a);
        bus.socket_closed(&a);
        let first = changes.try_recv().unwrap();
        assert_eq!((&first.user, first.online), (&b, true));
        assert!(listening.try_recv().is_err(), "not yet listening");
        first.ready.unwrap().send(()).unwrap();
        assert!(listening.try_recv().is_ok());
        let gone = changes.try_recv().unwrap();
        assert_eq!((&gone.user, gone.online), (&a, false));
        assert!(
            changes.try_recv().is_err(),
            "one change per first/last socket"
        );
        // A watcher that went away does not keep sockets waiting.
        drop(changes);
        let mut listening = bus.socket_opened(&UserId::generate()).unwrap();
        assert_eq!(
            listening.try_recv(),
            Err(tokio::sync::oneshot::error::TryRecvError::Closed)
        );
    }

    #[test]
    fn events_become_addressed_frames() {
        let (user, session) = (UserId::generate(), SessionId::generate());
        let out = Outbound::from(Event::SessionEnded {
            session_id: session.clone(),
            user_id: user.clone(),
            reason: "deactivated",
        });
        assert!(out.to.includes(&user, &session));
        assert!(!out.to.includes(&user, &SessionId::generate()));
        assert_eq!(
            out.frame.to_json(),
            r#"{"type":"session.ended","reason":"deactivated"}"#
        );
        let typing = Outbound::from(Event::Typing {
            conversation_id: ConversationId::generate(),
            user_id: user.clone(),
            from: session.clone(),
            recipients: vec![user.clone()],
        });
        assert!(
            !typing.to.includes(&user, &session),
            "not back to its own session"
        );
        assert!(typing.to.includes(&user, &SessionId::generate()));
    }
}
