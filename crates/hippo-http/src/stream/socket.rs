//! One authenticated connection's loop, written over any `Sink`/`Stream`
//! of WebSocket messages so it runs against channels in tests (axum's
//! testing-websockets pattern). It writes queued frames (batching what is
//! ready into one flush), pings, answers client frames through a
//! [`Dispatch`], refuses bad frames with an `error` frame and closes with
//! 1008 on floods, oversized or binary frames.

use super::delivery::DELIVERY_FLUSH;
use super::hub::Queued;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use hippo_core::{ConversationId, ErrorCode};
use hippo_protocol::frames::MAX_CLIENT_FRAME;
use hippo_protocol::{ClientFrame, ServerFrame};
use hippo_service::rate::Limiter;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Server pings; a client silent for three intervals is gone.
pub(crate) const PING_INTERVAL: Duration = Duration::from_secs(25);
/// How long a closing socket waits for the client's Close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Client frames per second a socket may send, sustained.
pub(crate) const FLOOD_RATE: u32 = 20;
/// Client frames a socket may send in a burst above that rate.
pub(crate) const FLOOD_BURST: u32 = 40;

/// What client frames do: the use cases behind `typing` and `read`, for the
/// session that owns the socket. An `Err` is the `error` frame to send.
pub(crate) trait Dispatch: Send + Sync {
    fn typing(&self, conversation_id: &str)
    -> impl Future<Output = Result<(), ServerFrame>> + Send;
    fn read(
        &self,
        conversation_id: &str,
        up_to_seq: i64,
    ) -> impl Future<Output = Result<(), ServerFrame>> + Send;
    /// Relays a `call.signal` to another session of the call.
    fn signal(
        &self,
        call_id: &str,
        to_session: &str,
        sdp: Option<hippo_protocol::SdpPayload>,
        candidate: Option<hippo_protocol::CandidatePayload>,
    ) -> impl Future<Output = Result<(), ServerFrame>> + Send;
    /// Messages pushed to this socket that count as delivered.
    fn delivered(&self, conversation: ConversationId, seq: i64);
}

/// The last words of a connection that the server ends.
async fn finish<S>(sink: &mut S, last: Queued)
where
    S: Sink<WsMessage> + Unpin,
{
    match last {
        Queued::End(reason) => {
            let _ = sink.send(text(&ServerFrame::SessionEnded { reason })).await;
            let _ = sink.send(close(1000, "session ended")).await;
        }
        Queued::GoingAway => {
            let _ = sink.send(close(1001, "server restarting; reconnect")).await;
        }
        // Frames are written by the loop, never handed here.
        Queued::Frame(..) => {}
    }
}

fn close(code: u16, reason: &'static str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

pub(crate) fn text(frame: &ServerFrame) -> WsMessage {
    WsMessage::Text(Utf8Bytes::from(frame.to_json()))
}

/// What the loop does after a client frame.
enum Next {
    Continue,
    Close(u16, &'static str),
}

/// Answers one client text frame.
async fn on_client_text<W, D>(sink: &mut W, dispatch: &D, raw: &str) -> Result<Next, W::Error>
where
    W: Sink<WsMessage> + Unpin,
    D: Dispatch,
{
    if raw.len() > MAX_CLIENT_FRAME {
        let refusal = ServerFrame::error(
            ErrorCode::PayloadTooLarge,
            format!("frames must be at most {MAX_CLIENT_FRAME} bytes"),
        );
        sink.send(text(&refusal)).await?;
        return Ok(Next::Close(1008, "frame too large"));
    }
    let answer = match ClientFrame::parse(raw) {
        Err(why) => Err(ServerFrame::error(ErrorCode::ValidationFailed, why)),
        Ok(ClientFrame::Ping) => {
            sink.send(text(&ServerFrame::Pong)).await?;
            Ok(())
        }
        Ok(ClientFrame::Auth { .. }) => Err(ServerFrame::error(
            ErrorCode::ValidationFailed,
            "this socket is already authenticated",
        )),
        Ok(ClientFrame::Typing { conversation_id }) => dispatch.typing(&conversation_id).await,
        Ok(ClientFrame::CallSignal {
            call_id,
            to_session,
            sdp,
            candidate,
        }) => dispatch.signal(&call_id, &to_session, sdp, candidate).await,
        Ok(ClientFrame::Read {
            conversation_id,
            up_to_seq,
        }) => dispatch.read(&conversation_id, up_to_seq).await,
    };
    if let Err(refusal) = answer {
        sink.send(text(&refusal)).await?;
    }
    Ok(Next::Continue)
}

/// Runs an authenticated connection until either side ends it. `ready` is
/// sent first.
pub(crate) async fn run<W, R, D>(
    mut sink: W,
    mut incoming: R,
    mut queue: mpsc::Receiver<Queued>,
    ready: ServerFrame,
    dispatch: D,
) where
    W: Sink<WsMessage> + Unpin,
    R: Stream<Item = Result<WsMessage, axum::Error>> + Unpin,
    D: Dispatch,
{
    if sink.send(text(&ready)).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut flush = tokio::time::interval(DELIVERY_FLUSH);
    let mut last_heard = Instant::now();
    let mut pending: HashMap<ConversationId, i64> = HashMap::new();
    // Client frames count against a token bucket (governor's GCRA, on
    // tokio's clock): `FLOOD_BURST` at once, then `FLOOD_RATE` a second.
    let gate = Limiter::per_second(FLOOD_RATE, FLOOD_BURST);
    loop {
        tokio::select! {
            out = queue.recv() => match out {
                Some(Queued::Frame(frame, delivery)) => {
                    // Write what is queued, then flush once.
                    let mut next = Some((frame, delivery));
                    let mut ended = None;
                    let mut failed = false;
                    while let Some((frame, delivery)) = next.take() {
                        if sink.feed(WsMessage::Text(frame)).await.is_err() {
                            failed = true;
                            break;
                        }
                        if let Some((conv, seq)) = delivery {
                            let e = pending.entry(conv).or_insert(0);
                            *e = (*e).max(seq);
                        }
                        match queue.try_recv() {
                            Ok(Queued::Frame(t, d)) => next = Some((t, d)),
                            Ok(last) => ended = Some(last),
                            Err(_) => {}
                        }
                    }
                    if failed || sink.flush().await.is_err() {
                        break;
                    }
                    if let Some(last) = ended {
                        finish(&mut sink, last).await;
                        break;
                    }
                }
                Some(last) => {
                    finish(&mut sink, last).await;
                    break;
                }
                None => {
                    let _ = sink.send(close(1008, "too slow; reconnect and resume with after_seq")).await;
                    break;
                }
            },
            msg = incoming.next() => {
                let msg = match msg {
                    Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(m)) => m,
                };
                last_heard = Instant::now();
                if !gate.try_take() {
                    let _ = sink.send(close(1008, "too many frames")).await;
                    break;
                }
                match msg {
                    WsMessage::Text(raw) => match on_client_text(&mut sink, &dispatch, raw.as_str()).await {
                        Ok(Next::Continue) => {}
                        Ok(Next::Close(code, reason)) => {
                            let _ = sink.send(close(code, reason)).await;
                            break;
                        }
                        Err(_) => break,
                    },
                    WsMessage::Binary(_) => {
                        let refusal = ServerFrame::error(ErrorCode::UnsupportedMediaType, "frames are JSON text");
                        let _ = sink.send(text(&refusal)).await;
                        let _ = sink.send(close(1008, "binary frames are not supported")).await;
                        break;
                    }
                    WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Close(_) => {}
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > PING_INTERVAL * 3 {
                    let _ = sink.send(close(1001, "no answer to pings")).await;
                    break;
                }
                if sink.send(WsMessage::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = flush.tick(), if !pending.is_empty() => {
                // Never wait on the database here: the recorder batches.
                for (conv, seq) in pending.drain() {
                    dispatch.delivered(conv, seq);
                }
            }
        }
    }
    for (conv, seq) in pending.drain() {
        dispatch.delivered(conv, seq);
    }
    // Finish the closing handshake: read (and drop) what the client still
    // sends until its Close, so the connection ends cleanly and the client
    // sees our close code instead of a reset.
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(m)) = incoming.next().await {
            if matches!(m, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_channel::mpsc as fmpsc;
    use std::sync::{Arc, Mutex};

    #[derive(Default, Clone)]
    struct Recorder {
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl Dispatch for Recorder {
        async fn typing(&self, conversation_id: &str) -> Result<(), ServerFrame> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("typing {conversation_id}"));
            if conversation_id == "not-mine" {
                return Err(ServerFrame::error(
                    ErrorCode::NotFound,
                    "no such conversation",
                ));
            }
            Ok(())
        }
        async fn read(&self, conversation_id: &str, up_to_seq: i64) -> Result<(), ServerFrame> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("read {conversation_id} {up_to_seq}"));
            Ok(())
        }
        async fn signal(
            &self,
            call_id: &str,
            to_session: &str,
            _sdp: Option<hippo_protocol::SdpPayload>,
            _candidate: Option<hippo_protocol::CandidatePayload>,
        ) -> Result<(), ServerFrame> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("signal {call_id} {to_session}"));
            Ok(())
        }
        fn delivered(&self, conversation: ConversationId, seq: i64) {
            self.calls
                .lock()
                .unwrap()
                .push(format!("delivered {conversation} {seq}"));
        }
    }

    struct Harness {
        to_server: fmpsc::UnboundedSender<Result<WsMessage, axum::Error>>,
        from_server: fmpsc::UnboundedReceiver<WsMessage>,
        queue: mpsc::Sender<Queued>,
        task: tokio::task::JoinHandle<()>,
        calls: Recorder,
    }

    fn start() -> Harness {
        let (to_server, incoming) = fmpsc::unbounded();
        let (sink, from_server) = fmpsc::unbounded();
        let (queue, rx) = mpsc::channel(16);
        let calls = Recorder::default();
        let ready = ServerFrame::Ready {
            user_id: "u".into(),
            session_id: "s".into(),
        };
        let task = tokio::spawn(run(sink, incoming, rx, ready, calls.clone()));
        Harness {
            to_server,
            from_server,
            queue,
            task,
            calls,
        }
    }

    impl Harness {
        fn send(&self, text: &str) {
            self.to_server
                .unbounded_send(Ok(WsMessage::Text(text.to_owned().into())))
                .unwrap();
        }
        async fn next(&mut self) -> WsMessage {
            tokio::time::timeout(Duration::from_secs(5), self.from_server.next())
                .await
                .unwrap()
                .unwrap()
        }
        async fn frame(&mut self) -> serde_json::Value {
            match self.next().await {
                WsMessage::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
        async fn close_code(&mut self) -> u16 {
            loop {
                if let WsMessage::Close(Some(c)) = self.next().await {
                    return c.code;
                }
            }
        }
    }

    #[tokio::test]
    async fn ready_then_pong_then_dispatch() {
        let mut h = start();
        assert_eq!(h.frame().await["type"], "ready");
        h.send(r#"{"type":"ping"}"#);
        assert_eq!(h.frame().await, serde_json::json!({"type":"pong"}));
        h.send(r#"{"type":"typing","conversation_id":"c1"}"#);
        h.send(r#"{"type":"read","conversation_id":"c1","up_to_seq":4}"#);
        h.send(r#"{"type":"ping"}"#);
        assert_eq!(h.frame().await["type"], "pong");
        assert_eq!(
            *h.calls.calls.lock().unwrap(),
            vec!["typing c1".to_owned(), "read c1 4".to_owned()]
        );
    }

    #[tokio::test]
    async fn bad_frames_get_an_error_and_the_socket_stays_open() {
        let mut h = start();
        h.frame().await;
        for bad in [
            "not json",
            r#"{"type":"launch"}"#,
            r#"{"type":"read","conversation_id":"c","up_to_seq":"x"}"#,
            r#"{"no":"type"}"#,
        ] {
            h.send(bad);
            let f = h.frame().await;
            assert_eq!(f["type"], "error", "{bad}");
            assert_eq!(f["code"], "validation_failed", "{bad}");
            assert!(f["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
        h.send(r#"{"type":"typing","conversation_id":"not-mine"}"#);
        let f = h.frame().await;
        assert_eq!(
            (f["type"].as_str(), f["code"].as_str()),
            (Some("error"), Some("not_found"))
        );
        h.send(r#"{"type":"ping"}"#);
        assert_eq!(h.frame().await["type"], "pong", "still open");
    }

    #[tokio::test]
    async fn oversized_and_binary_frames_close_with_1008() {
        let mut h = start();
        h.frame().await;
        h.send(&format!(
            r#"{{"type":"typing","conversation_id":"{}"}}"#,
            "x".repeat(MAX_CLIENT_FRAME)
        ));
        assert_eq!(h.frame().await["code"], "payload_too_large");
        assert_eq!(h.close_code().await, 1008);
        h.task.await.unwrap();

        let mut h = start();
        h.frame().await;
        h.to_server
            .unbounded_send(Ok(WsMessage::Binary(vec![1, 2, 3].into())))
            .unwrap();
        assert_eq!(h.frame().await["type"], "error");
        assert_eq!(h.close_code().await, 1008);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_closes_with_1008_but_a_steady_client_does_not() {
        let mut h = start();
        h.frame().await;
        // 20 frames a second for 5 seconds: fine.
        for _ in 0..100 {
            h.send(r#"{"type":"ping"}"#);
            assert_eq!(h.frame().await["type"], "pong");
            tokio::time::advance(Duration::from_millis(50)).await;
        }
        // Then 100 at once.
        for _ in 0..100 {
            h.send(r#"{"type":"ping"}"#);
        }
        assert_eq!(h.close_code().await, 1008);
        h.task.await.unwrap();
    }

    #[tokio::test]
    async fn queued_frames_are_written_and_session_end_closes() {
        let mut h = start();
        h.frame().await;
        let conv = ConversationId::generate();
        h.queue
            .send(Queued::Frame(
                Utf8Bytes::from_static(r#"{"type":"x"}"#),
                Some((conv.clone(), 3)),
            ))
            .await
            .unwrap();
        assert_eq!(h.frame().await["type"], "x");
        h.queue
            .send(Queued::End(hippo_protocol::SessionEndReason::Logout))
            .await
            .unwrap();
        assert_eq!(
            h.frame().await,
            serde_json::json!({"type":"session.ended","reason":"logout"})
        );
        assert_eq!(h.close_code().await, 1000);
        h.task.await.unwrap();
        assert!(
            h.calls
                .calls
                .lock()
                .unwrap()
                .contains(&format!("delivered {conv} 3")),
            "pushed messages are recorded as delivered"
        );
    }
}
