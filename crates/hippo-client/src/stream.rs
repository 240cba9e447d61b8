//! The real-time stream, `GET /api/v1/stream`: a WebSocket authenticated by
//! the client's bearer token in the `Authorization` header, over TLS with
//! the client's roots (or plain for an `http://` server). [`Stream`] reads
//! server frames as [`ServerFrame`] and sends [`ClientFrame`]s. It is one
//! connection: no reconnection and no catch-up (page
//! `GET …/messages?after_seq=` after reconnecting for that). WebSocket
//! pings are answered by the socket layer as frames are read.

use crate::{Client, Error, Result};
use futures_util::{SinkExt, StreamExt};
use hippo_protocol::{ClientFrame, ServerFrame};
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A TCP or TLS connection.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One open stream, past its `ready` frame.
pub struct Stream {
    ws: WebSocketStream<Pin<Box<dyn Io>>>,
    user_id: String,
    session_id: String,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the stream with this client's token and waits for `ready`.
    pub async fn stream(&self) -> Result<Stream> {
        let mut url = self.base.clone();
        let tls = url.scheme() == "https";
        url.set_path("/api/v1/stream");
        let host = url
            .host_str()
            .ok_or_else(|| Error::Url(format!("{}: no host", self.base)))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let ws_url = format!(
            "{}://{}{}",
            if tls { "wss" } else { "ws" },
            url.host_str().unwrap_or_default(),
            match url.port() {
                Some(p) => format!(":{p}/api/v1/stream"),
                None => "/api/v1/stream".to_owned(),
            }
        );
        let mut request = ws_url.into_client_request()?;
        if let Some(token) = &self.token {
            let value = format!("Bearer {}", token.expose())
                .parse()
                .map_err(|_| Error::NotReady("the token is not a valid header value".into()))?;
            request.headers_mut().insert("authorization", value);
        }
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        tcp.set_nodelay(true)?;
        let io: Pin<Box<dyn Io>> = if tls {
            let name = rustls_pki_types::ServerName::try_from(host.clone())
                .map_err(|e| Error::Tls(format!("{host}: {e}")))?;
            Box::pin(
                tokio_rustls::TlsConnector::from(self.tls.clone())
                    .connect(name, tcp)
                    .await?,
            )
        } else {
            Box::pin(tcp)
        };
        let (mut ws, _) = tokio_tungstenite::client_async(request, io).await?;
        loop {
            let Some(message) = ws.next().await else {
                return Err(Error::NotReady("closed before ready".into()));
            };
            match message? {
                Message::Text(text) => {
                    return match serde_json::from_str::<ServerFrame>(text.as_str()) {
                        Ok(ServerFrame::Ready {
                            user_id,
                            session_id,
                        }) => Ok(Stream {
                            ws,
                            user_id,
                            session_id,
                        }),
                        _ => Err(Error::NotReady(format!(
                            "a frame other than ready: {}",
                            text.as_str().chars().take(200).collect::<String>()
                        ))),
                    };
                }
                Message::Close(frame) => {
                    return Err(Error::NotReady(match frame {
                        Some(f) => format!("closed before ready: {} {}", f.code, f.reason),
                        None => "closed before ready".into(),
                    }));
                }
                _ => {}
            }
        }
    }
}

impl Stream {
    /// The account the stream is for (from `ready`).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// This connection's session id (frames can be addressed to it).
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The next server frame; `Ok(None)` once the socket has closed
    /// (after a `session.ended` frame, hippo closes it). A text frame that
    /// is not a [`ServerFrame`] is [`Error::Frame`] and the stream stays
    /// usable; any other error ends it.
    pub async fn next_frame(&mut self) -> Result<Option<ServerFrame>> {
        loop {
            let Some(message) = self.ws.next().await else {
                return Ok(None);
            };
            match message {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str::<ServerFrame>(text.as_str())
                        .map(Some)
                        .map_err(|source| Error::Frame {
                            text: text.as_str().to_owned(),
                            source,
                        });
                }
                Ok(Message::Close(_)) => return Ok(None),
                Ok(_) => {}
                Err(
                    tokio_tungstenite::tungstenite::Error::ConnectionClosed
                    | tokio_tungstenite::tungstenite::Error::AlreadyClosed,
                ) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Sends a client frame (`ping`, `typing`, `read`, `call.signal`…).
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<()> {
        let text = serde_json::to_string(frame).map_err(|source| Error::Frame {
            text: String::new(),
            source,
        })?;
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// Closes the socket politely.
    pub async fn close(mut self) -> Result<()> {
        match self.ws.close(None).await {
            Ok(())
            | Err(
                tokio_tungstenite::tungstenite::Error::ConnectionClosed
                | tokio_tungstenite::tungstenite::Error::AlreadyClosed,
            ) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
