//! Real time: `GET /api/v1/stream`, a WebSocket per client session.
//!
//! The [`Hub`] is the one socket registry: user → live connections, each
//! with a bounded queue. Use cases publish events after commit; the hub
//! serialises each event once and offers it to every connection of every
//! recipient without waiting. A connection whose queue is full is dropped
//! (the client reconnects and catches up with `after_seq`), so a slow client
//! never slows the others or grows memory. Ending a session sends
//! `session.ended` and closes its sockets.

use crate::AppState;
use crate::extract::request_meta;
use crate::problem::ApiError;
use crate::routes::wire::{ConversationResponse, MessageResponse};
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use hippo_core::{ConversationId, ErrorCode, SessionId, UserId};
use hippo_service::{Actor, Event, EventSink};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Frames queued per connection before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 256;
/// Time a client has to authenticate with its first frame.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Server pings; a client silent for three intervals is gone.
const PING_INTERVAL: Duration = Duration::from_secs(25);
/// How often pushed messages are recorded as delivered.
const DELIVERY_FLUSH: Duration = Duration::from_millis(250);
/// How often live sockets are checked against sessions ended elsewhere.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(5);
/// Largest frame a client may send.
const MAX_CLIENT_FRAME: usize = 16 * 1024;
/// Per-socket read buffer (client frames are small).
const READ_BUFFER: usize = 1024;
/// Frames are written once this much is buffered, or on flush.
const WRITE_BUFFER: usize = 16 * 1024;

/// What a connection's writer receives.
#[derive(Debug)]
enum Outbound {
    /// A serialised frame; for `message.created` to a recipient who is not
    /// the sender, the conversation and seq to record as delivered.
    Frame(Utf8Bytes, Option<(ConversationId, i64)>),
    /// The session ended: say why and close.
    End(&'static str),
}

struct Conn {
    id: u64,
    session: SessionId,
    tx: mpsc::Sender<Outbound>,
}

/// Deliveries waiting to be recorded: (recipient, conversation, seq).
type Delivery = (UserId, ConversationId, i64);

/// Collects "pushed to a socket" deliveries from every socket task and
/// records them in batches, so sockets never wait on the database.
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
    fn offer(&self, user: UserId, conversation: ConversationId, seq: i64) {
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
            if let Err(e) = hippo.record_deliveries(std::mem::take(&mut batch)).await {
                tracing::warn!(error = %e, "recording deliveries failed");
            }
            if hub.strong_count() == 0 {
                return;
            }
        }
    }
}

/// The registry of live connections.
#[derive(Default)]
pub struct Hub {
    conns: RwLock<HashMap<UserId, Vec<Conn>>>,
    next_id: AtomicU64,
    deliveries: DeliveryRecorder,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("connections", &self.connections())
            .finish()
    }
}

/// Removes a connection from the hub when dropped.
struct Registration {
    hub: Arc<Hub>,
    user: UserId,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.remove(&self.user, |c| c.id == self.id);
    }
}

fn frame(value: serde_json::Value) -> Utf8Bytes {
    Utf8Bytes::from(value.to_string())
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Live connections.
    pub fn connections(&self) -> usize {
        self.conns
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum()
    }

    /// Sessions with at least one live socket.
    pub fn live_sessions(&self) -> Vec<SessionId> {
        let map = self
            .conns
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<SessionId> = map.values().flatten().map(|c| c.session.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Closes sockets whose sessions were ended outside this process (the
    /// admin CLI, another node). Runs until the hub is dropped.
    pub async fn reconcile(
        hub: std::sync::Weak<Hub>,
        hippo: Arc<hippo_service::Hippo>,
        every: Duration,
    ) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Some(hub) = hub.upgrade() else { return };
            let live = hub.live_sessions();
            if live.is_empty() {
                continue;
            }
            match hippo.ended_sessions(&live).await {
                Ok(ended) => {
                    for (session_id, user_id, reason) in ended {
                        hub.end_session(&user_id, &session_id, reason);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "checking live sessions failed"),
            }
        }
    }

    fn register(
        self: &Arc<Self>,
        user: &UserId,
        session: &SessionId,
    ) -> (Registration, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.conns
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(user.clone())
            .or_default()
            .push(Conn {
                id,
                session: session.clone(),
                tx,
            });
        let reg = Registration {
            hub: self.clone(),
            user: user.clone(),
            id,
        };
        (reg, rx)
    }

    fn remove(&self, user: &UserId, pred: impl Fn(&Conn) -> bool) {
        let mut map = self
            .conns
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(list) = map.get_mut(user) {
            list.retain(|c| !pred(c));
            if list.is_empty() {
                map.remove(user);
            }
        }
    }

    /// Offers a frame to every connection of `users`; drops connections
    /// whose queue is full or closed.
    fn send(
        &self,
        users: &[UserId],
        text: &Utf8Bytes,
        delivery: Option<(&UserId, &ConversationId, i64)>,
    ) {
        let mut dead: Vec<(UserId, u64)> = Vec::new();
        {
            let map = self
                .conns
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for user in users {
                let Some(list) = map.get(user) else { continue };
                let mark = delivery
                    .and_then(|(sender, conv, seq)| (sender != user).then(|| (conv.clone(), seq)));
                for c in list {
                    if c.tx
                        .try_send(Outbound::Frame(text.clone(), mark.clone()))
                        .is_err()
                    {
                        dead.push((user.clone(), c.id));
                    }
                }
            }
        }
        for (user, id) in dead {
            tracing::info!(connection = id, "dropping a WebSocket that cannot keep up");
            self.remove(&user, |c| c.id == id);
        }
    }

    fn end_session(&self, user: &UserId, session: &SessionId, reason: &'static str) {
        let mut map = self
            .conns
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(list) = map.get_mut(user) {
            list.retain(|c| {
                if &c.session == session {
                    // If the queue is full the socket closes anyway when its
                    // sender is dropped here.
                    let _ = c.tx.try_send(Outbound::End(reason));
                    false
                } else {
                    true
                }
            });
            if list.is_empty() {
                map.remove(user);
            }
        }
    }
}

impl EventSink for Hub {
    fn handle(&self, event: &Event) {
        match event {
            Event::SessionEnded {
                session_id,
                user_id,
                reason,
            } => self.end_session(user_id, session_id, reason),
            Event::MessageCreated {
                message,
                recipients,
            } => {
                let text = frame(
                    serde_json::json!({ "type": "message.created", "message": MessageResponse::from(message) }),
                );
                self.send(
                    recipients,
                    &text,
                    Some((&message.sender_id, &message.conversation_id, message.seq)),
                );
            }
            Event::MessageUpdated {
                message,
                recipients,
            } => {
                let text = frame(
                    serde_json::json!({ "type": "message.updated", "message": MessageResponse::from(message) }),
                );
                self.send(recipients, &text, None);
            }
            Event::MessageDeleted {
                conversation_id,
                message_id,
                recipients,
            } => {
                let text = frame(serde_json::json!({
                    "type": "message.deleted",
                    "conversation_id": conversation_id.as_str(),
                    "message_id": message_id.as_str(),
                }));
                self.send(recipients, &text, None);
            }
            Event::Receipt {
                conversation_id,
                message_id,
                up_to_seq,
                user_id,
                delivered_at,
                read_at,
                recipients,
            } => {
                let text = frame(serde_json::json!({
                    "type": "receipt",
                    "conversation_id": conversation_id.as_str(),
                    "message_id": message_id.as_str(),
                    "up_to_seq": up_to_seq,
                    "user_id": user_id.as_str(),
                    "delivered_at": delivered_at.map(|t| t.to_rfc3339()),
                    "read_at": read_at.map(|t| t.to_rfc3339()),
                }));
                self.send(recipients, &text, None);
            }
            Event::ConversationUpdated {
                conversation,
                recipients,
            } => {
                let text = frame(serde_json::json!({
                    "type": "conversation.updated",
                    "conversation": ConversationResponse::from(conversation),
                }));
                self.send(recipients, &text, None);
            }
        }
    }
}

/// `GET /api/v1/stream`: upgrades to a WebSocket. Authenticate with the
/// `Authorization` header, or with a first text frame
/// `{"type": "auth", "token": "…"}` within 10 seconds.
#[utoipa::path(get, path = "/api/v1/stream", tag = "real time", responses(
    (status = 101, description = "WebSocket; server frames are JSON objects with a `type`"),
    (status = 401, body = crate::problem::Problem)))]
pub async fn stream(State(state): State<AppState>, parts: Parts) -> Response {
    let mut parts = parts;
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(ws) => ws,
        Err(_) => {
            return ApiError::new(
                ErrorCode::ValidationFailed,
                "a WebSocket upgrade is required",
            )
            .into_response();
        }
    };
    let meta = request_meta(&parts);
    let header_token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let actor = match header_token {
        Some(token) => match state.hippo.authenticate(&token, &meta).await {
            Ok(actor) => Some(actor),
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    // Clients send only tiny frames (auth, pings), so a small read buffer
    // does; tungstenite's default (128 KiB per socket, allocated up front)
    // would dominate the memory of every idle connection.
    ws.max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            run(socket, state, actor, meta).await;
        })
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
}

/// Waits for `{"type":"auth","token":…}` as the first frame.
async fn first_frame_auth(
    socket: &mut WebSocket,
    state: &AppState,
    meta: &hippo_core::RequestMeta,
) -> Option<Actor> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv())
        .await
        .ok()??
        .ok()?;
    let WsMessage::Text(text) = first else {
        return None;
    };
    let value: serde_json::Value = serde_json::from_str(text.as_str()).ok()?;
    if value.get("type")?.as_str()? != "auth" {
        return None;
    }
    let token = value.get("token")?.as_str()?;
    state.hippo.authenticate(token, meta).await.ok()
}

async fn run(
    mut socket: WebSocket,
    state: AppState,
    actor: Option<Actor>,
    meta: hippo_core::RequestMeta,
) {
    let actor = match actor {
        Some(a) => a,
        None => match first_frame_auth(&mut socket, &state, &meta).await {
            Some(a) => a,
            None => {
                let err = frame(serde_json::json!({ "type": "error", "code": "unauthenticated" }));
                let _ = socket.send(WsMessage::Text(err)).await;
                close(&mut socket, 4401, "unauthenticated").await;
                return;
            }
        },
    };
    let (registration, mut rx) = state.hub.register(&actor.user.id, &actor.session.id);
    let ready = frame(serde_json::json!({
        "type": "ready",
        "user_id": actor.user.id.as_str(),
        "session_id": actor.session.id.as_str(),
    }));
    let (mut sink, mut incoming) = socket.split();
    if sink.send(WsMessage::Text(ready)).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(PING_INTERVAL);
    let mut flush = tokio::time::interval(DELIVERY_FLUSH);
    let mut last_heard = Instant::now();
    let mut pending: HashMap<ConversationId, i64> = HashMap::new();
    let close_with = |code: u16, reason: &'static str| {
        WsMessage::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }))
    };
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outbound::Frame(text, delivery)) => {
                    // Write what is queued, then flush once.
                    let mut next = Some((text, delivery));
                    let mut ended = None;
                    let mut failed = false;
                    while let Some((text, delivery)) = next.take() {
                        if sink.feed(WsMessage::Text(text)).await.is_err() {
                            failed = true;
                            break;
                        }
                        if let Some((conv, seq)) = delivery {
                            let e = pending.entry(conv).or_insert(0);
                            *e = (*e).max(seq);
                        }
                        match rx.try_recv() {
                            Ok(Outbound::Frame(t, d)) => next = Some((t, d)),
                            Ok(Outbound::End(reason)) => ended = Some(reason),
                            Err(_) => {}
                        }
                    }
                    if failed || sink.flush().await.is_err() {
                        break;
                    }
                    if let Some(reason) = ended {
                        let frame = frame(serde_json::json!({ "type": "session.ended", "reason": reason }));
                        let _ = sink.send(WsMessage::Text(frame)).await;
                        let _ = sink.send(close_with(1000, "session ended")).await;
                        break;
                    }
                }
                Some(Outbound::End(reason)) => {
                    let ended = frame(serde_json::json!({ "type": "session.ended", "reason": reason }));
                    let _ = sink.send(WsMessage::Text(ended)).await;
                    let _ = sink.send(close_with(1000, "session ended")).await;
                    break;
                }
                None => {
                    let _ = sink.send(close_with(1008, "too slow; reconnect and resume with after_seq")).await;
                    break;
                }
            },
            msg = incoming.next() => match msg {
                Some(Ok(WsMessage::Pong(_) | WsMessage::Ping(_))) => last_heard = Instant::now(),
                Some(Ok(WsMessage::Text(text))) => {
                    last_heard = Instant::now();
                    let is_ping = serde_json::from_str::<serde_json::Value>(text.as_str())
                        .ok()
                        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(|t| t == "ping"))
                        .unwrap_or(false);
                    if !is_ping {
                        let _ = sink.send(close_with(1003, "unsupported frame")).await;
                        break;
                    }
                    if sink.send(WsMessage::Text(frame(serde_json::json!({ "type": "pong" })))).await.is_err() {
                        break;
                    }
                }
                Some(Ok(WsMessage::Binary(_))) => {
                    let _ = sink.send(close_with(1003, "binary frames are not supported")).await;
                    break;
                }
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > PING_INTERVAL * 3 {
                    let _ = sink.send(close_with(1001, "no answer to pings")).await;
                    break;
                }
                if sink.send(WsMessage::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = flush.tick(), if !pending.is_empty() => {
                // Never wait on the database here: the recorder batches.
                for (conv, seq) in pending.drain() {
                    state.hub.deliveries.offer(actor.user.id.clone(), conv, seq);
                }
            }
        }
    }
    for (conv, seq) in pending.drain() {
        state.hub.deliveries.offer(actor.user.id.clone(), conv, seq);
    }
    drop(registration);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_connection_is_dropped_without_affecting_others() {
        let hub = Arc::new(Hub::new());
        let (slow_user, fast_user) = (UserId::generate(), UserId::generate());
        let (_slow_reg, mut slow_rx) = hub.register(&slow_user, &SessionId::generate());
        let (_fast_reg, mut fast_rx) = hub.register(&fast_user, &SessionId::generate());
        assert_eq!(hub.connections(), 2);
        let text = frame(serde_json::json!({ "type": "x" }));
        for _ in 0..=QUEUE_CAPACITY {
            hub.send(&[slow_user.clone(), fast_user.clone()], &text, None);
            // The fast client keeps up.
            assert!(fast_rx.try_recv().is_ok());
        }
        assert_eq!(hub.connections(), 1, "the slow connection is gone");
        // Its queue drains, then ends: the socket task closes the socket.
        let mut drained = 0;
        while let Some(Outbound::Frame(..)) = slow_rx.recv().await {
            drained += 1;
        }
        assert_eq!(drained, QUEUE_CAPACITY);
        hub.send(std::slice::from_ref(&fast_user), &text, None);
        assert!(fast_rx.try_recv().is_ok());
    }

    #[tokio::test]
    async fn ending_a_session_reaches_only_its_connections() {
        let hub = Arc::new(Hub::new());
        let user = UserId::generate();
        let (s1, s2) = (SessionId::generate(), SessionId::generate());
        let (_r1, mut rx1) = hub.register(&user, &s1);
        let (_r2, mut rx2) = hub.register(&user, &s2);
        hub.handle(&Event::SessionEnded {
            session_id: s1,
            user_id: user.clone(),
            reason: "logout",
        });
        assert!(matches!(rx1.recv().await, Some(Outbound::End("logout"))));
        assert!(rx1.recv().await.is_none());
        assert!(rx2.try_recv().is_err(), "the other session is untouched");
        assert_eq!(hub.connections(), 1);
    }
}
