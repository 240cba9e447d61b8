//! A Rust client for hippo: the REST API (`/api/v1/…`) and the real-time
//! stream (`GET /api/v1/stream`), for integrations, tools and hippo's own
//! load generator. It speaks the wire formats only: the views and frames
//! come from `hippo-protocol` (the server's own types), the request and
//! answer shapes that live in the server's HTTP layer are mirrored in
//! [`types`]; it links none of hippo's server crates.
//!
//! ```no_run
//! # async fn run() -> Result<(), hippo_client::Error> {
//! use hippo_client::{Client, NewMessage};
//!
//! // A service account's API key is a bearer token: no password, no MFA.
//! let hippo = Client::builder("https://hippo.example.org:8443")
//!     .token(std::env::var("HIPPO_API_KEY").unwrap_or_default())
//!     .build()?;
//! let me = hippo.me().await?;
//! let conversation = hippo.list_conversations().await?.conversations.remove(0);
//! hippo.send_message(&conversation.id, &NewMessage::text("Labs are back")).await?;
//! let mut stream = hippo.stream().await?;       // after `ready`
//! while let Some(frame) = stream.next_frame().await? {
//!     println!("{} got {frame:?}", me.username);
//! }
//! # Ok(()) }
//! ```
//!
//! A person signs in with [`Client::login`] and continues with
//! [`Client::with_token`]; clients made by `with_token` share one
//! connection pool. Errors are [`Error`]: a problem document
//! ([`Error::Api`], with the stable `code`), a transport failure, or a
//! frame that is not a [`ServerFrame`].

mod api;
mod error;
pub mod stream;
pub mod types;

pub use error::{Error, Problem, Result};
pub use hippo_protocol::{
    AttachmentResponse, ChannelStatusResponse, ClientFrame, ConversationResponse, MemberResponse,
    MessageResponse, ServerFrame, SessionEndReason,
};
pub use stream::Stream;
pub use types::{
    ApiKey, ApiKeyList, ConversationList, CreatedApiKey, LoginResponse, MessagePage, NewApiKey,
    NewConversation, NewMessage, NewUser, Secret, User, UserList,
};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// A connection to one hippo server, with or without a bearer token (a
/// session's `hpo_…` token or an API key `hpk_…`). Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The origin, without a trailing slash: `https://host:port`.
    base: reqwest::Url,
    token: Option<Secret>,
    /// For the stream: the same roots as `http`.
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// How to build a [`Client`]; from [`Client::builder`].
#[must_use = "a builder does nothing until `.build()`"]
pub struct ClientBuilder {
    base: String,
    token: Option<Secret>,
    roots: Vec<CertificateDer<'static>>,
    timeout: Option<Duration>,
    pool_max_idle_per_host: Option<usize>,
    error: Option<Error>,
}

impl ClientBuilder {
    /// The bearer token: a session token from [`Client::login`], or a
    /// service account's API key (`hpk_…`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token.into()));
        self
    }

    /// Trusts the certificates of a PEM file besides the system's roots:
    /// hippo's generated `<data-dir>/tls/cert.pem`, or a private CA.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Self {
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            match cert {
                Ok(cert) => {
                    self.roots.push(cert);
                    found = true;
                }
                Err(e) => {
                    self.error
                        .get_or_insert(Error::Tls(format!("a root certificate: {e}")));
                }
            }
        }
        if !found {
            self.error
                .get_or_insert(Error::Tls("no certificate in the PEM given".into()));
        }
        self
    }

    /// The longest a REST request may take, connection included (default:
    /// none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Idle connections kept per host for reuse (default: reqwest's).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = Some(max);
        self
    }

    /// The client; fails on a base URL that is not `http(s)://host[:port]`
    /// or a PEM that held no certificate.
    pub fn build(self) -> Result<Client> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let base = parse_base(&self.base)?;
        let certs = self
            .roots
            .iter()
            .map(|c| reqwest::Certificate::from_der(c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut http = reqwest::Client::builder().tls_certs_merge(certs);
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        if let Some(n) = self.pool_max_idle_per_host {
            http = http.pool_max_idle_per_host(n);
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.roots.iter().cloned(),
            provider.clone(),
        )?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous() // not dangerous: the platform verifier checks chains and names
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Client {
            http: http.build()?,
            base,
            token: self.token,
            tls: Arc::new(tls),
        })
    }
}

/// `http(s)://host[:port]`, nothing after.
fn parse_base(base: &str) -> Result<reqwest::Url> {
    let url = reqwest::Url::parse(base.trim_end_matches('/'))
        .map_err(|e| Error::Url(format!("{base}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.path() != "/"
        || url.query().is_some()
    {
        return Err(Error::Url(format!(
            "{base}: not an http(s) origin (scheme, host and port only)"
        )));
    }
    Ok(url)
}

impl Client {
    /// A builder for the server at `base` (its origin, e.g.
    /// `https://localhost:8443`).
    pub fn builder(base: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base: base.into(),
            token: None,
            roots: Vec::new(),
            timeout: None,
            pool_max_idle_per_host: None,
            error: None,
        }
    }

    /// This client with another bearer token (same connection pool and
    /// roots): one per signed-in user, or the API key.
    #[must_use]
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client {
            token: Some(Secret::new(token.into())),
            ..self.clone()
        }
    }

    /// This client for another origin (same pool, roots and token): another
    /// node of a cluster.
    pub fn at(&self, base: &str) -> Result<Client> {
        Ok(Client {
            base: parse_base(base)?,
            ..self.clone()
        })
    }

    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(Secret::expose)
    }

    /// The server's origin.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The underlying HTTP client (its pool and roots), for calls this
    /// crate does not wrap.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}
