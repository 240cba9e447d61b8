//! What can go wrong: hippo answered with a problem document (RFC 9457,
//! with its stable `code`), the request never got an answer, the stream
//! failed or sent something that is not a frame, or the client was set up
//! wrong.

use serde::Deserialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// hippo's error body (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    /// Words for a person.
    #[serde(default)]
    pub detail: String,
    /// The stable slug: `invalid_credentials`, `forbidden`, `rate_limited`…
    #[serde(default)]
    pub code: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A non-2xx answer; `problem` is its body when it was a problem
    /// document.
    #[error("{method} {path}: {status}{}", .problem.as_ref().map(|p| format!(" {}: {}", p.code, p.detail)).unwrap_or_default())]
    Api {
        method: &'static str,
        path: String,
        status: reqwest::StatusCode,
        problem: Option<Box<Problem>>,
    },
    /// No answer (connection, TLS, time-out) or an answer that did not
    /// parse; `reqwest::Error::is_timeout` and friends tell which.
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    /// The WebSocket failed (handshake refused, connection lost…).
    #[error("stream: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// A text frame from the server that is not a [`crate::ServerFrame`]
    /// (the stream stays usable).
    #[error("stream: a frame that is not a ServerFrame: {source}")]
    Frame {
        text: String,
        source: serde_json::Error,
    },
    /// The stream closed, or said something else, before `ready`.
    #[error("stream: {0}")]
    NotReady(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("base URL {0}")]
    Url(String),
}

impl From<rustls::Error> for Error {
    fn from(e: rustls::Error) -> Self {
        Error::Tls(e.to_string())
    }
}

impl Error {
    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(status.as_u16()),
            Error::Http(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The problem's `code` of an [`Error::Api`] (`not_found`,
    /// `validation_failed`…).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api {
                problem: Some(p), ..
            } => Some(p.code.as_str()),
            _ => None,
        }
    }
}
