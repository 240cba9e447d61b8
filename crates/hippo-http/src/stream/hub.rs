//! The one socket registry: user → live connections, each with a bounded
//! queue and its session. Use cases publish typed frames after commit; the
//! hub serialises each frame once and offers it, without waiting, to every
//! connection its audience includes (every session of some users, or one
//! session). A connection whose queue is full is dropped (the client
//! reconnects and catches up with `after_seq`), so a slow client never
//! slows the others or grows memory. `session.ended` closes its sockets.

use super::delivery::DeliveryRecorder;
use axum::extract::ws::Utf8Bytes;
use hippo_core::{ConversationId, SessionId, UserId};
use hippo_protocol::{Audience, ServerFrame, SessionEndReason};
use hippo_service::{EventSink, Hippo, Outbound};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Frames queued per connection before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 256;
/// How often live sockets are checked against sessions ended elsewhere.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(5);

/// What a connection's writer receives.
#[derive(Debug)]
pub(crate) enum Queued {
    /// A serialised frame; for `message.created` to a recipient who is not
    /// the sender, the conversation and seq to record as delivered.
    Frame(Utf8Bytes, Option<(ConversationId, i64)>),
    /// The session ended: say why and close.
    End(SessionEndReason),
    /// The server is shutting down: close with 1001 so the client
    /// reconnects (to this node once it is back, or another).
    GoingAway,
}

struct Conn {
    id: u64,
    session: SessionId,
    tx: mpsc::Sender<Queued>,
}

/// The registry of live connections.
#[derive(Default)]
pub struct Hub {
    conns: RwLock<HashMap<UserId, Vec<Conn>>>,
    next_id: AtomicU64,
    pub(crate) deliveries: DeliveryRecorder,
    /// Told of each user's first and last socket (cluster routing). Weak:
    /// the hub is `hippo`'s event sink, so a strong reference would be a
    /// cycle.
    presence: Option<Weak<Hippo>>,
    /// Sockets dropped because their queue was full (for `/metrics`).
    slow_dropped: AtomicU64,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("connections", &self.connections())
            .finish()
    }
}

/// Removes a connection from the hub when dropped.
pub(crate) struct Registration {
    hub: Arc<Hub>,
    user: UserId,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.remove(&self.user, |c| c.id == self.id);
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// A hub that reports which users have sockets here to `hippo`'s
    /// event bus (`EventBus::subscribe_presence`).
    pub fn with_presence(hippo: &Arc<Hippo>) -> Self {
        Self {
            presence: Some(Arc::downgrade(hippo)),
            ..Self::default()
        }
    }

    fn presence(&self) -> Option<Arc<Hippo>> {
        self.presence.as_ref().and_then(Weak::upgrade)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<UserId, Vec<Conn>>> {
        self.conns
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<UserId, Vec<Conn>>> {
        self.conns
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sockets dropped so far because they could not keep up.
    pub fn slow_dropped(&self) -> u64 {
        self.slow_dropped.load(Ordering::Relaxed)
    }

    /// Live connections.
    pub fn connections(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    /// Sessions with at least one live socket.
    pub fn live_sessions(&self) -> Vec<SessionId> {
        let map = self.read();
        let mut out: Vec<SessionId> = map.values().flatten().map(|c| c.session.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Closes sockets whose sessions were ended outside this process (the
    /// admin CLI, another node). Runs until the hub is dropped.
    pub async fn reconcile(hub: std::sync::Weak<Hub>, hippo: Arc<Hippo>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Some(hub) = hub.upgrade() else { return };
            let live = hub.live_sessions();
            if live.is_empty() {
                continue;
            }
            match hippo.auth().ended_sessions(&live).await {
                Ok(ended) => {
                    for (session_id, user_id, reason) in ended {
                        hub.end_session(
                            &user_id,
                            &session_id,
                            SessionEndReason::from_recorded(reason),
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "checking live sessions failed"),
            }
        }
    }

    pub(crate) fn register(
        self: &Arc<Self>,
        user: &UserId,
        session: &SessionId,
    ) -> (
        Registration,
        mpsc::Receiver<Queued>,
        Option<tokio::sync::oneshot::Receiver<()>>,
    ) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.write().entry(user.clone()).or_default().push(Conn {
            id,
            session: session.clone(),
            tx,
        });
        // When given, completes once a cluster transport listens for the
        // user: the socket waits for it before `ready`.
        let listening = self
            .presence()
            .and_then(|hippo| hippo.events().socket_opened(user));
        let reg = Registration {
            hub: self.clone(),
            user: user.clone(),
            id,
        };
        (reg, rx, listening)
    }

    /// Removes the matching connections of `user`, telling the presence
    /// watcher of each one gone.
    fn remove(&self, user: &UserId, pred: impl Fn(&Conn) -> bool) {
        let mut removed = 0;
        {
            let mut map = self.write();
            if let Some(list) = map.get_mut(user) {
                let before = list.len();
                list.retain(|c| !pred(c));
                removed = before - list.len();
                if list.is_empty() {
                    map.remove(user);
                }
            }
        }
        if let Some(hippo) = self.presence() {
            for _ in 0..removed {
                hippo.events().socket_closed(user);
            }
        }
    }

    /// Offers a frame to every connection in `to`; drops connections
    /// whose queue is full or closed.
    pub(crate) fn send(&self, to: &Audience, frame: &ServerFrame) {
        let text = Utf8Bytes::from(frame.to_json());
        // A new message counts as delivered to each recipient but its sender.
        let delivery = match frame {
            ServerFrame::MessageCreated { message } => Some((
                message.sender_id.as_str(),
                ConversationId::from_stored(message.conversation_id.clone()),
                message.seq,
            )),
            _ => None,
        };
        let mut dead: Vec<(UserId, u64, bool)> = Vec::new();
        {
            let map = self.read();
            for user in to.user_ids() {
                let Some(list) = map.get(user) else { continue };
                let mark = delivery.as_ref().and_then(|(sender, conv, seq)| {
                    (*sender != user.as_str()).then(|| (conv.clone(), *seq))
                });
                for c in list.iter().filter(|c| to.admits_session(&c.session)) {
                    match c.tx.try_send(Queued::Frame(text.clone(), mark.clone())) {
                        Ok(()) => {}
                        Err(e) => {
                            let slow = matches!(e, mpsc::error::TrySendError::Full(_));
                            dead.push((user.clone(), c.id, slow));
                        }
                    }
                }
            }
        }
        for (user, id, slow) in dead {
            if slow {
                self.slow_dropped.fetch_add(1, Ordering::Relaxed);
                tracing::info!(connection = id, "dropping a WebSocket that cannot keep up");
            }
            self.remove(&user, |c| c.id == id);
        }
    }

    /// Tells every socket the server is going away (close code 1001), so
    /// a graceful shutdown need not wait for long-lived connections.
    pub fn going_away(&self) {
        let conns = self.read();
        for c in conns.values().flatten() {
            let _ = c.tx.try_send(Queued::GoingAway);
        }
    }

    fn end_session(&self, user: &UserId, session: &SessionId, reason: SessionEndReason) {
        self.remove(user, |c| {
            if &c.session == session {
                // If the queue is full the socket closes anyway when its
                // sender is dropped here.
                let _ = c.tx.try_send(Queued::End(reason));
                true
            } else {
                false
            }
        });
    }
}

impl EventSink for Hub {
    fn handle(&self, out: &Outbound) {
        match (&out.frame, &out.to) {
            (ServerFrame::SessionEnded { reason }, Audience::Session { user, session }) => {
                self.end_session(user, session, *reason);
            }
            _ => self.send(&out.to, &out.frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> ServerFrame {
        ServerFrame::Pong
    }

    #[tokio::test]
    async fn a_slow_connection_is_dropped_without_affecting_others() {
        let hub = Arc::new(Hub::new());
        let (slow_user, fast_user) = (UserId::generate(), UserId::generate());
        let (_slow_reg, mut slow_rx, _) = hub.register(&slow_user, &SessionId::generate());
        let (_fast_reg, mut fast_rx, _) = hub.register(&fast_user, &SessionId::generate());
        assert_eq!(hub.connections(), 2);
        let both = Audience::users(vec![slow_user.clone(), fast_user.clone()]);
        for _ in 0..=QUEUE_CAPACITY {
            hub.send(&both, &frame());
            // The fast client keeps up.
            assert!(fast_rx.try_recv().is_ok());
        }
        assert_eq!(hub.connections(), 1, "the slow connection is gone");
        assert_eq!(hub.slow_dropped(), 1);
        // Its queue drains, then ends: the socket task closes the socket.
        let mut drained = 0;
        while let Some(Queued::Frame(..)) = slow_rx.recv().await {
            drained += 1;
        }
        assert_eq!(drained, QUEUE_CAPACITY);
        hub.send(&Audience::users(vec![fast_user.clone()]), &frame());
        assert!(fast_rx.try_recv().is_ok());
    }

    #[tokio::test]
    async fn ending_a_session_reaches_only_its_connections() {
        let hub = Arc::new(Hub::new());
        let user = UserId::generate();
        let (s1, s2) = (SessionId::generate(), SessionId::generate());
        let (_r1, mut rx1, _) = hub.register(&user, &s1);
        let (_r2, mut rx2, _) = hub.register(&user, &s2);
        hub.handle(&Outbound {
            to: Audience::Session {
                user: user.clone(),
                session: s1,
            },
            frame: ServerFrame::SessionEnded {
                reason: SessionEndReason::Logout,
            },
        });
        assert!(matches!(
            rx1.recv().await,
            Some(Queued::End(SessionEndReason::Logout))
        ));
        assert!(rx1.recv().await.is_none());
        assert!(rx2.try_recv().is_err(), "the other session is untouched");
        assert_eq!(hub.connections(), 1);
    }

    #[tokio::test]
    async fn a_frame_for_one_session_reaches_only_that_session() {
        let hub = Arc::new(Hub::new());
        let user = UserId::generate();
        let (s1, s2) = (SessionId::generate(), SessionId::generate());
        let (_r1, mut rx1, _) = hub.register(&user, &s1);
        let (_r2, mut rx2, _) = hub.register(&user, &s2);
        hub.send(
            &Audience::Session {
                user: user.clone(),
                session: s2.clone(),
            },
            &frame(),
        );
        assert!(rx1.try_recv().is_err());
        assert!(matches!(rx2.try_recv(), Ok(Queued::Frame(..))));
        hub.send(
            &Audience::Users {
                users: vec![user.clone()],
                except_session: Some(s2),
            },
            &frame(),
        );
        assert!(matches!(rx1.try_recv(), Ok(Queued::Frame(..))));
        assert!(rx2.try_recv().is_err(), "the sending session is skipped");
    }
}
