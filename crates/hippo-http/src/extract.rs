//! Request extractors: the signed-in actor, request metadata for the audit
//! trail, and JSON bodies whose every rejection becomes a problem response.

use crate::problem::ApiError;
use crate::{AppState, tls::Peer};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use hippo_core::{ErrorCode, RequestMeta};
use hippo_service::Actor;
use serde::de::DeserializeOwned;

/// The client's address as [`client_address`] worked it out.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The reverse proxies whose forwarded header is believed, and which
/// header that is.
#[derive(Debug)]
pub struct Proxies {
    pub trusted: Vec<hippo_service::net::IpNet>,
    pub header: hippo_service::net::ForwardedHeader,
}

/// Middleware: notes the client's address on the request — the peer's,
/// or behind a trusted reverse proxy the one it forwarded (see
/// `hippo_service::net::client_address`).
pub async fn client_address(
    axum::extract::State(proxies): axum::extract::State<std::sync::Arc<Proxies>>,
    mut req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Nobody trusted: the peer is the client, which `request_meta` reads
    // itself.
    if proxies.trusted.is_empty() {
        return next.run(req).await;
    }
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|c| c.0.addr.ip())
    {
        let values: Vec<&str> = req
            .headers()
            .get_all(proxies.header.name())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let hops = proxies.header.hops(&values);
        let ip = hippo_service::net::client_address(peer, &hops, &proxies.trusted);
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// Who is asking, for the audit trail: the client's address (the peer's,
/// or one forwarded by a trusted proxy: never a header anyone could
/// write), user agent (truncated), request id.
pub fn request_meta(parts: &Parts) -> RequestMeta {
    let peer = parts.extensions.get::<ConnectInfo<Peer>>().map(|c| &c.0);
    let ip = match parts.extensions.get::<ClientAddr>() {
        Some(ClientAddr(ip)) => Some(ip.to_string()),
        None => peer.map(|p| p.addr.ip().to_string()),
    };
    let client_cert_sha256 = peer.and_then(|p| p.client_cert_sha256.clone());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(64).collect());
    RequestMeta {
        ip,
        user_agent,
        request_id,
        client_cert_sha256,
    }
}

/// Request metadata as an extractor.
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(parts)))
    }
}

/// The signed-in actor: from `Authorization: Bearer …`, or from the web
/// client's session cookie together with its CSRF header (see
/// [`crate::browser`]). Any scope: handlers and services that need a fully
/// signed-in session check `require_full`.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (actor, _) = authenticate(parts, state, true).await?;
        Ok(Auth(actor))
    }
}

/// The actor of a cookie session without the CSRF check: only for
/// `GET /api/v1/auth/session`, which hands a reloaded page its CSRF token
/// back (a cross-site page can neither send the cookie nor read the answer).
pub struct CookieSession(pub Actor, pub String);

impl FromRequestParts<AppState> for CookieSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = crate::browser::session_cookie(&parts.headers).map(str::to_owned) else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "no browser session: sign in",
            ));
        };
        let meta = request_meta(parts);
        let actor = state.hippo.auth().authenticate(&token, &meta).await?;
        Ok(CookieSession(actor, token))
    }
}

/// How a request was signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// Authenticates a request by its bearer token or, failing that, its
/// session cookie (whose CSRF header is checked when `csrf` is set).
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AppState,
    csrf: bool,
) -> Result<(Actor, Via), ApiError> {
    let (token, via) = match bearer_token(&parts.headers) {
        Some(token) => (token, Via::Bearer),
        None => match crate::browser::session_cookie(&parts.headers) {
            Some(token) => (token, Via::Cookie),
            None => {
                return Err(ApiError::new(
                    ErrorCode::Unauthenticated,
                    "a valid bearer token (or browser session) is required",
                ));
            }
        },
    };
    if via == Via::Cookie && csrf {
        crate::browser::check_csrf(&parts.headers, token)?;
    }
    let meta = request_meta(parts);
    let actor = state.hippo.auth().authenticate(token, &meta).await?;
    Ok((actor, via))
}

/// A JSON body, which must be an object (every body the API takes is one).
/// Wrong content type, malformed JSON, another JSON value than an object,
/// unknown fields, wrong types and oversize bodies all answer with problem
/// details.
pub struct ApiJson<T>(pub T);

/// `application/json` or another `+json` type, as `axum::Json` accepts.
fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| json_rejection(JsonRejection::BytesRejection(e)))?;
        // serde reads a struct from an array by position too, which would
        // pass the field allow-list by; only an object is a body. (What is
        // not JSON at all stays a syntax error, below.)
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "the body must be a JSON object",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send Content-Type: application/json",
        ),
        JsonRejection::JsonDataError(e) => {
            ApiError::new(ErrorCode::ValidationFailed, e.body_text())
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            ErrorCode::ValidationFailed,
            format!("malformed JSON: {}", e.body_text()),
        )
        .with_status(axum::http::StatusCode::BAD_REQUEST),
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "request body too large")
            } else {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    "could not read the request body",
                )
            }
        }
        other => ApiError::new(ErrorCode::ValidationFailed, other.body_text()),
    }
}

/// The token of an `Authorization: Bearer …` header (either case of
/// `Bearer`), if there is one.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}
