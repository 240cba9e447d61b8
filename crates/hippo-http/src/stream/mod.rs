//! Real time: `GET /api/v1/stream`, a WebSocket per client session, and
//! `GET /api/v1/asyncapi.json`, the document of its frames.
//!
//! - [`hub`]: the socket registry and addressing (users or one session).
//! - [`socket`]: one connection's loop, over any `Sink`/`Stream`.
//! - [`delivery`]: batches "pushed to a socket" receipts.
//!
//! The frames themselves are `hippo_protocol`'s typed enums.

pub mod delivery;
pub mod hub;
pub mod socket;

pub use delivery::DeliveryRecorder;
pub use hub::{Hub, QUEUE_CAPACITY, RECONCILE_INTERVAL};

use crate::AppState;
use crate::extract::request_meta;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hippo_core::{ConversationId, ErrorCode};
use hippo_protocol::{ClientFrame, ServerFrame};
use hippo_service::{Actor, Hippo, ServiceError};
use std::sync::Arc;
use std::time::Duration;

/// Time a client has to authenticate with its first frame.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest message the transport reads at all; anything over
/// `hippo_protocol`'s 64 KiB (and up to this) is refused with an `error`
/// frame and a 1008 close.
const MAX_TRANSPORT_MESSAGE: usize = 1024 * 1024;
/// Per-socket read buffer (client frames are small).
const READ_BUFFER: usize = 1024;
/// Frames are written once this much is buffered, or on flush.
const WRITE_BUFFER: usize = 16 * 1024;

/// `GET /api/v1/stream`: upgrades to a WebSocket. Authenticate with the
/// `Authorization` header, the web client's session cookie (from the
/// server's own origin only), or with a first text frame
/// `{"type": "auth", "token": "…"}` within 10 seconds. The frames both ways
/// are described at `GET /api/v1/asyncapi.json`.
#[utoipa::path(get, path = "/api/v1/stream", tag = "real time", operation_id = "openStream", responses(
    (status = 101, description = "WebSocket; frames are described by the AsyncAPI document at /api/v1/asyncapi.json"),
    (status = 401, description = "The header token is not valid", body = crate::problem::Problem),
    (status = 403, description = "A cookie-authenticated upgrade from another origin", body = crate::problem::Problem),
    (status = 422, description = "Not a WebSocket upgrade", body = crate::problem::Problem)))]
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
    let mut header_token = crate::extract::bearer_token(&parts.headers).map(str::to_owned);
    let mut by_cookie = false;
    if header_token.is_none()
        && let Some(cookie) = crate::browser::session_cookie(&parts.headers)
    {
        // A cookie goes wherever the browser goes: only the web client
        // served from this origin may open a socket with it.
        if !crate::browser::same_origin(&parts) {
            return ApiError::new(
                ErrorCode::Forbidden,
                "a socket signed in by the session cookie must come from this server's own origin",
            )
            .into_response();
        }
        header_token = Some(cookie.to_owned());
        by_cookie = true;
    }
    let mut refused = None;
    let actor = match header_token {
        // A session still enrolling MFA or changing its password may not
        // receive anything: the same rule as every messaging call.
        Some(token) => match state.hippo.auth().authenticate(&token, &meta).await {
            Ok(actor) => match actor.require_full() {
                Ok(()) => Some(actor),
                Err(e) => return ApiError::from(e).into_response(),
            },
            // A browser's WebSocket cannot see an HTTP refusal (it reports
            // 1006), so an ended cookie session is told on the socket:
            // an `error` frame and close code 4401.
            Err(ServiceError::Public { code, detail, .. }) if by_cookie => {
                refused = Some(ServerFrame::Error {
                    code: code.as_str().to_owned(),
                    detail: Some(detail),
                });
                None
            }
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    // Client frames are small, so a small read buffer does; tungstenite's
    // default (128 KiB per socket, allocated up front) would dominate the
    // memory of every idle connection.
    ws.max_message_size(MAX_TRANSPORT_MESSAGE)
        .max_frame_size(MAX_TRANSPORT_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |mut socket| async move {
            if let Some(refusal) = refused {
                let _ = socket.send(socket::text(&refusal)).await;
                let _ = socket
                    .send(WsMessage::Close(Some(CloseFrame {
                        code: 4401,
                        reason: Utf8Bytes::from_static("unauthenticated"),
                    })))
                    .await;
                return;
            }
            connect(socket, state, actor, meta).await;
        })
}

/// `GET /api/v1/asyncapi.json`: the AsyncAPI 3 document of the stream's
/// frames, both ways, each with its JSON Schema.
#[utoipa::path(get, path = "/api/v1/asyncapi.json", tag = "real time", operation_id = "getAsyncApi", responses(
    (status = 200, description = "AsyncAPI 3.0 document", content_type = "application/json", body = Object)))]
pub async fn asyncapi(parts: Parts) -> Json<serde_json::Value> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost:8443");
    Json(hippo_protocol::asyncapi::document(
        env!("CARGO_PKG_VERSION"),
        host,
    ))
}

/// Waits for `{"type":"auth","token":…}` as the first frame.
async fn first_frame_auth(
    socket: &mut WebSocket,
    hippo: &Hippo,
    meta: &hippo_core::RequestMeta,
) -> Option<Actor> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv())
        .await
        .ok()??
        .ok()?;
    let WsMessage::Text(text) = first else {
        return None;
    };
    match ClientFrame::parse(text.as_str()).ok()? {
        ClientFrame::Auth { token } => hippo.auth().authenticate(&token, meta).await.ok(),
        _ => None,
    }
}

/// Authenticates (header or first frame), registers with the hub and runs
/// the connection.
async fn connect(
    mut socket: WebSocket,
    state: AppState,
    actor: Option<Actor>,
    meta: hippo_core::RequestMeta,
) {
    let actor = match actor {
        Some(a) => a,
        None => match first_frame_auth(&mut socket, &state.hippo, &meta).await {
            Some(a) if a.require_full().is_err() => {
                let refusal = ServerFrame::Error {
                    code: ErrorCode::Forbidden.as_str().to_owned(),
                    detail: Some(
                        "finish signing in (MFA enrolment or password change) first".into(),
                    ),
                };
                let _ = socket.send(socket::text(&refusal)).await;
                let _ = socket
                    .send(WsMessage::Close(Some(CloseFrame {
                        code: 4403,
                        reason: Utf8Bytes::from_static("session not fully signed in"),
                    })))
                    .await;
                return;
            }
            Some(a) => a,
            None => {
                let refusal = ServerFrame::Error {
                    code: ErrorCode::Unauthenticated.as_str().to_owned(),
                    detail: None,
                };
                let _ = socket.send(socket::text(&refusal)).await;
                let _ = socket
                    .send(WsMessage::Close(Some(CloseFrame {
                        code: 4401,
                        reason: Utf8Bytes::from_static("unauthenticated"),
                    })))
                    .await;
                return;
            }
        },
    };
    let (registration, queue, listening) = state.hub.register(&actor.user.id, &actor.session.id);
    // In a cluster routed by user, say `ready` only once other nodes' frames
    // for this user reach this node (bounded: a slow bus delays, never
    // blocks, the socket).
    if let Some(listening) = listening {
        let _ = tokio::time::timeout(Duration::from_secs(3), listening).await;
    }
    let ready = ServerFrame::Ready {
        user_id: actor.user.id.to_string(),
        session_id: actor.session.id.to_string(),
    };
    let (sink, incoming) = socket.split();
    let dispatch = SessionDispatch {
        hippo: state.hippo.clone(),
        hub: state.hub.clone(),
        actor,
    };
    socket::run(sink, incoming, queue, ready, dispatch).await;
    drop(registration);
}

/// Client frames of one authenticated session, handed to the use cases
/// (the same ones, with the same checks and audit, as the REST calls).
struct SessionDispatch {
    hippo: Arc<Hippo>,
    hub: Arc<Hub>,
    actor: Actor,
}

fn refusal(e: ServiceError) -> ServerFrame {
    match e {
        ServiceError::Public { code, detail, .. } => ServerFrame::Error {
            code: code.as_str().to_owned(),
            detail: Some(detail),
        },
        ServiceError::Internal(msg) => {
            tracing::error!(error = %msg, "a client frame failed");
            ServerFrame::Error {
                code: ErrorCode::Internal.as_str().to_owned(),
                detail: None,
            }
        }
    }
}

impl socket::Dispatch for SessionDispatch {
    async fn typing(&self, conversation_id: &str) -> Result<(), ServerFrame> {
        self.hippo
            .messages()
            .typing(&self.actor, conversation_id)
            .await
            .map_err(refusal)
    }

    async fn read(&self, conversation_id: &str, up_to_seq: i64) -> Result<(), ServerFrame> {
        self.hippo
            .messages()
            .mark_read(&self.actor, conversation_id, up_to_seq)
            .await
            .map_err(refusal)
    }

    async fn signal(
        &self,
        call_id: &str,
        to_session: &str,
        sdp: Option<hippo_protocol::SdpPayload>,
        candidate: Option<hippo_protocol::CandidatePayload>,
    ) -> Result<(), ServerFrame> {
        self.hippo
            .calls()
            .signal(&self.actor, call_id, to_session, sdp, candidate)
            .await
            .map_err(refusal)
    }

    fn delivered(&self, conversation: ConversationId, seq: i64) {
        self.hub
            .deliveries
            .offer(self.actor.user.id.clone(), conversation, seq);
    }
}
