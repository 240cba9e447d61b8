//! Every refusal is a problem document. Handlers answer [`ApiError`]
//! (and FHIR routes an OperationOutcome) themselves, but some refusals
//! are written by the framework before a handler runs: axum's body-limit
//! 413 for a handler that reads raw bytes (`/webhooks/whatsapp`), a query
//! string or WebSocket upgrade that does not parse, a 415 from an
//! extractor. Those arrive as `text/plain`; this middleware, the
//! outermost layer of the API router, gives each the same shape as every
//! other error: RFC 9457 problem details with the contract's `code`, or
//! under `/fhir/` an OperationOutcome. The framework's own text is not
//! passed on (a parser's message may quote the input); `Allow`,
//! `Retry-After` and `WWW-Authenticate` are kept.
//!
//! The refused request's body is not drained here: the server lingers on
//! a connection whose body was left unread (see `server`).

use crate::problem::ApiError;
use crate::routes::fhir::FhirFailure;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;

/// The media types an error may already carry: anything else is rewritten.
const PROBLEM: &str = "application/problem+json";
const FHIR: &str = "application/fhir+json";

/// Middleware: a 4xx or 5xx that is not already a problem document (an
/// OperationOutcome under `/fhir/`) becomes one.
pub async fn as_problems(req: Request, next: Next) -> Response {
    let fhir = is_fhir(req.uri().path());
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let expected = if fhir { FHIR } else { PROBLEM };
    if content_type(&resp).is_some_and(|ct| ct.starts_with(expected)) {
        return resp;
    }
    let (parts, _framework_text) = resp.into_parts();
    let (code, detail) = meaning(status);
    let error = ApiError::new(code, detail).with_status(status);
    let mut replaced = if fhir {
        FhirFailure::from(error).into_response()
    } else {
        error.into_response()
    };
    // The route the metrics and the access log label it with, and the rest.
    replaced.extensions_mut().extend(parts.extensions);
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = parts.headers.get(&name) {
            replaced.headers_mut().insert(name, value.clone());
        }
    }
    replaced
}

/// Whether `path` is under the FHIR base, whose refusals are
/// OperationOutcomes.
pub(crate) fn is_fhir(path: &str) -> bool {
    path == "/fhir" || path.starts_with("/fhir/")
}

fn content_type(resp: &Response) -> Option<&str> {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

/// The contract's code for a status the framework chose, and a detail
/// that says what was wrong without quoting the request.
fn meaning(status: StatusCode) -> (ErrorCode, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => (ErrorCode::ValidationFailed, "malformed request"),
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthenticated, "not signed in"),
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "not allowed"),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "method not allowed on this resource",
        ),
        StatusCode::CONFLICT => (ErrorCode::Conflict, "conflict"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "unsupported content type for this resource",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => (ErrorCode::ValidationFailed, "invalid request"),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
        StatusCode::SERVICE_UNAVAILABLE => (ErrorCode::Unavailable, "service unavailable; retry"),
        s if s.is_server_error() => (
            ErrorCode::Internal,
            "an internal error occurred; it has been logged",
        ),
        _ => (ErrorCode::ValidationFailed, "the request was refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::{Body, Bytes, to_bytes};
    use axum::routing::post;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route("/raw", post(|_: Bytes| async { "ok" }))
            .route("/fhir/r4/raw", post(|_: Bytes| async { "ok" }))
            .route(
                "/busy",
                post(|| async {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "7")],
                        "slow down",
                    )
                }),
            )
            .route(
                "/typed",
                post(|| async { ApiError::new(ErrorCode::Conflict, "already done") }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(8))
            .layer(axum::middleware::from_fn(as_problems))
    }

    async fn send(path: &str, body: &'static str) -> (StatusCode, Response, serde_json::Value) {
        let req = Request::post(path).body(Body::from(body)).unwrap();
        let resp = app().oneshot(req).await.unwrap();
        let status = resp.status();
        let (parts, body) = resp.into_parts();
        let bytes = to_bytes(body, 1 << 16).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or_default();
        (status, Response::from_parts(parts, Body::empty()), json)
    }

    #[tokio::test]
    async fn a_framework_413_becomes_a_problem_document() {
        let (status, resp, body) = send("/raw", "far more than eight bytes").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(content_type(&resp), Some(PROBLEM));
        assert_eq!(body["code"], "payload_too_large");
        assert_eq!(body["status"], 413);
    }

    #[tokio::test]
    async fn under_fhir_it_becomes_an_operation_outcome() {
        let (status, resp, body) = send("/fhir/r4/raw", "far more than eight bytes").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(content_type(&resp).is_some_and(|ct| ct.starts_with(FHIR)));
        assert_eq!(body["resourceType"], "OperationOutcome");
    }

    #[tokio::test]
    async fn headers_are_kept_and_the_framework_text_is_not_repeated() {
        let (status, resp, body) = send("/busy", "").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "7");
        assert_eq!(body["code"], "rate_limited");
        assert!(!body.to_string().contains("slow down"));
    }

    #[tokio::test]
    async fn problems_and_successes_pass_untouched() {
        let (status, _, body) = send("/typed", "").await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["detail"], "already done");
        let (status, resp, _) = send("/raw", "short").await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(content_type(&resp), Some(PROBLEM));
    }
}
