//! The fake's HTTP side: routing by path, Bearer checks, send validation,
//! template pages and media, and Graph-shaped error envelopes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{FakeFailure, Inner, SentRecord, sha256};
use crate::signature::encode_hex;
use crate::wire::{placeholder_count, placeholders};

/// Longest free-form text body Meta accepts, in characters.
const MAX_TEXT_CHARS: usize = 4096;
/// Longest `biz_opaque_callback_data`, in characters.
const MAX_CALLBACK_CHARS: usize = 512;
/// Template page size when the request gives no `limit`.
const DEFAULT_PAGE_SIZE: usize = 2;
/// Message types the fake accepts without looking inside.
const OTHER_TYPES: &[&str] = &[
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "interactive",
    "location",
    "contacts",
    "reaction",
];

pub(super) fn router(inner: Arc<Inner>) -> Router {
    Router::new().fallback(handle).with_state(inner)
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<&str> = uri
        .path()
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let query = uri.query().unwrap_or("");
    let authorized = is_authorized(&inner, &headers);
    if method == Method::POST && matches!(segments.as_slice(), [_, _, "messages"]) {
        // Counted whatever happens next, bad token included.
        inner.state().attempts += 1;
    }
    match (&method, segments.as_slice()) {
        (&Method::GET, ["whatsapp_business", "attachments"]) => download(&inner, authorized, query),
        (_, [version, ..]) if !is_version(version) => unsupported(&method, version),
        _ if !authorized => invalid_token(),
        (&Method::POST, [_, id, "messages"]) => send(&inner, id, &body).await,
        (&Method::GET, [version, id, "message_templates"]) => templates(&inner, version, id, query),
        (&Method::GET, [_, id]) => media_info(&inner, id),
        (_, [_, id, ..]) => unsupported(&method, id),
        _ => unsupported(&method, ""),
    }
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
}

fn is_authorized(inner: &Inner, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token == inner.config.access_token)
}

// --- POST /{version}/{phone_number_id}/messages -----------------------------

async fn send(inner: &Inner, phone_number_id: &str, body: &[u8]) -> Response {
    let failure = {
        let mut state = inner.state();
        if phone_number_id != inner.config.phone_number_id {
            return unsupported(&Method::POST, phone_number_id);
        }
        state.failures.pop_front()
    };
    if let Some(failure) = failure {
        return injected(failure).await;
    }
    if over_rate_limit(inner) {
        return code_error(130_429);
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return invalid_parameter("The request body must be a JSON object.");
        }
    };
    let valid = match validate(inner, &request) {
        Ok(valid) => valid,
        Err(rejection) => return rejection.into_response(),
    };
    accept(inner, request, valid)
}

/// What a valid send turned out to be.
struct ValidSend {
    to: String,
    is_template: bool,
    callback_data: Option<String>,
}

fn validate(inner: &Inner, request: &Value) -> Result<ValidSend, Rejection> {
    match request.get("messaging_product").and_then(Value::as_str) {
        None => {
            return Err(invalid("The parameter messaging_product is required."));
        }
        Some("whatsapp") => {}
        Some(_) => {
            return Err(invalid("Param messaging_product must be 'whatsapp'."));
        }
    }
    let to = match request.get("to").and_then(Value::as_str) {
        None => return Err(invalid("The parameter to is required.")),
        Some(to) if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(invalid(
                "Param to must be a phone number in international format, digits only.",
            ));
        }
        Some(to) => to.to_owned(),
    };
    let callback_data = match request.get("biz_opaque_callback_data") {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_CALLBACK_CHARS => Some(s.clone()),
        Some(_) => {
            return Err(invalid(
                "Param biz_opaque_callback_data must be a string of at most 512 characters.",
            ));
        }
    };
    let is_template = match request.get("type").and_then(Value::as_str) {
        None => return Err(invalid("The parameter type is required.")),
        Some("text") => {
            validate_text(request)?;
            false
        }
        Some("template") => {
            validate_template(inner, request)?;
            true
        }
        Some(kind) if OTHER_TYPES.contains(&kind) => {
            if !request.get(kind).is_some_and(Value::is_object) {
                return Err(invalid(&format!("The parameter {kind} is required.")));
            }
            false
        }
        Some(_) => {
            return Err(invalid(
                "Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}.",
            ));
        }
    };
    Ok(ValidSend {
        to,
        is_template,
        callback_data,
    })
}

fn validate_text(request: &Value) -> Result<(), Rejection> {
    let Some(body) = request.pointer("/text/body").and_then(Value::as_str) else {
        return Err(invalid("The parameter text['body'] is required."));
    };
    if body.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            "Param text['body'] must be at most 4096 characters long.",
        ));
    }
    Ok(())
}

fn validate_template(inner: &Inner, request: &Value) -> Result<(), Rejection> {
    let Some(name) = request.pointer("/template/name").and_then(Value::as_str) else {
        return Err(invalid("The parameter template['name'] is required."));
    };
    let Some(language) = request
        .pointer("/template/language/code")
        .and_then(Value::as_str)
    else {
        return Err(invalid(
            "The parameter template['language']['code'] is required.",
        ));
    };
    let expected = {
        let state = inner.state();
        state
            .templates
            .iter()
            .find(|t| t.name == name && t.language == language && t.status == "APPROVED")
            .map(|t| placeholder_count(&t.body_text))
    };
    let Some(expected) = expected else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            132_001,
            "(#132001) Template name does not exist in the translation",
            Some(&format!(
                "template name ({name}) does not exist in {language}"
            )),
        ));
    };
    let components = match request.pointer("/template/components") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(invalid("Param template['components'] must be an array."));
        }
    };
    let mut given = 0usize;
    for component in &components {
        let is_body = component
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("body"));
        if !is_body {
            continue;
        }
        let parameters = component
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for parameter in &parameters {
            if parameter.get("type").and_then(Value::as_str) == Some("text")
                && !parameter.get("text").is_some_and(Value::is_string)
            {
                return Err(invalid(
                    "Parameter 'text' is mandatory for component parameter type 'text'",
                ));
            }
        }
        given += parameters.len();
    }
    if u32::try_from(given).ok() != Some(expected) {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            132_000,
            "(#132000) Number of parameters does not match the expected number of params",
            Some(&format!(
                "body: number of localizable_params ({given}) does not match the expected number of params ({expected})"
            )),
        ));
    }
    Ok(())
}

fn over_rate_limit(inner: &Inner) -> bool {
    let mut state = inner.state();
    let Some(limit) = state.rate_limit else {
        return false;
    };
    let now = Instant::now();
    while state
        .recent_sends
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        state.recent_sends.pop_front();
    }
    state.recent_sends.len() >= usize::try_from(limit).unwrap_or(usize::MAX)
}

fn accept(inner: &Inner, request: Value, valid: ValidSend) -> Response {
    let wamid = inner.next_wamid("out");
    let auto_sent = {
        let mut state = inner.state();
        state.recent_sends.push_back(Instant::now());
        state.sent.push(SentRecord {
            wamid: wamid.clone(),
            to: valid.to.clone(),
            body: request,
            callback_data: valid.callback_data,
        });
        state.auto_sent
    };
    if auto_sent {
        let status = inner.status_value(&wamid, "sent", None);
        inner.deliver_in_background(inner.envelope(json!({ "statuses": [status] })));
    }
    let mut message = json!({ "id": wamid });
    if valid.is_template {
        message["message_status"] = json!("accepted");
    }
    json_response(
        StatusCode::OK,
        &json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": valid.to, "wa_id": valid.to }],
            "messages": [message],
        }),
    )
}

async fn injected(failure: FakeFailure) -> Response {
    match failure {
        FakeFailure::Code(code) => code_error(code),
        FakeFailure::ServerError(500) => transient(
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            "An unknown error occurred",
        ),
        FakeFailure::ServerError(503) => transient(
            StatusCode::SERVICE_UNAVAILABLE,
            2,
            "Service temporarily unavailable",
        ),
        FakeFailure::ServerError(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        FakeFailure::Hang(duration) => {
            tokio::time::sleep(duration).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}

// --- GET /{version}/{waba_id}/message_templates -----------------------------

/// Cursors are opaque to clients; here they are "QVFIU" + an index.
const CURSOR_PREFIX: &str = "QVFIU";

fn templates(inner: &Inner, version: &str, waba_id: &str, query: &str) -> Response {
    if waba_id != inner.config.business_account_id {
        return unsupported(&Method::GET, waba_id);
    }
    let limit = match query_param(query, "limit").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return invalid_parameter("Param limit must be a positive integer."),
    };
    let start = match query_param(query, "after") {
        None => 0,
        Some(cursor) => match cursor
            .strip_prefix(CURSOR_PREFIX)
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(index) => index + 1,
            None => return invalid_parameter("Invalid cursor."),
        },
    };
    let all = inner.state().templates.clone();
    let end = start.saturating_add(limit).min(all.len());
    let page = all.get(start..end).unwrap_or_default();
    let data: Vec<Value> = page
        .iter()
        .map(|t| {
            let named = placeholders(&t.body_text)
                .iter()
                .any(|p| !p.bytes().all(|b| b.is_ascii_digit()));
            json!({
                "name": t.name,
                "parameter_format": if named { "NAMED" } else { "POSITIONAL" },
                "components": [{ "type": "BODY", "text": t.body_text }],
                "language": t.language,
                "status": t.status,
                "category": t.category,
                "id": t.id.to_string(),
            })
        })
        .collect();
    let mut answer = json!({ "data": data });
    if !page.is_empty() {
        let after = format!("{CURSOR_PREFIX}{}", end - 1);
        answer["paging"] = json!({
            "cursors": { "before": format!("{CURSOR_PREFIX}{start}"), "after": after },
        });
        if end < all.len() {
            answer["paging"]["next"] = json!(format!(
                "{}/{version}/{waba_id}/message_templates?limit={limit}&after={after}",
                inner.base_url
            ));
        }
    }
    json_response(StatusCode::OK, &answer)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

// --- media -------------------------------------------------------------------

fn media_info(inner: &Inner, media_id: &str) -> Response {
    let media = inner.state().media.get(media_id).cloned();
    let Some(media) = media else {
        return unsupported(&Method::GET, media_id);
    };
    let sha256 = encode_hex(sha256(&media.bytes).as_ref());
    json_response(
        StatusCode::OK,
        &json!({
            "messaging_product": "whatsapp",
            "url": inner.media_url(media_id),
            "mime_type": media.mime_type,
            "sha256": sha256,
            "file_size": media.bytes.len().to_string(),
            "id": media_id,
        }),
    )
}

fn download(inner: &Inner, authorized: bool, query: &str) -> Response {
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let media = query_param(query, "mid").and_then(|mid| inner.state().media.get(mid).cloned());
    match media {
        Some(media) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, media.mime_type)],
            Body::from(media.bytes),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

// --- errors ------------------------------------------------------------------

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// A Graph error envelope shaped like Meta's (see the error-response samples).
fn graph_error(status: StatusCode, code: i64, message: &str, details: Option<&str>) -> Response {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AWEdqoNazWdC-QDZfywosJo",
    });
    if let Some(details) = details {
        error["error_data"] = json!({ "messaging_product": "whatsapp", "details": details });
    }
    json_response(status, &json!({ "error": error }))
}

/// A Graph error to answer with, kept small until it becomes a response.
struct Rejection {
    status: StatusCode,
    code: i64,
    message: String,
    details: Option<String>,
}

impl Rejection {
    fn new(status: StatusCode, code: i64, message: &str, details: Option<&str>) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            details: details.map(str::to_owned),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        graph_error(
            self.status,
            self.code,
            &self.message,
            self.details.as_deref(),
        )
    }
}

/// Code 100 "Invalid parameter" with these details.
fn invalid(details: &str) -> Rejection {
    Rejection::new(
        StatusCode::BAD_REQUEST,
        100,
        "(#100) Invalid parameter",
        Some(details),
    )
}

fn invalid_parameter(details: &str) -> Response {
    invalid(details).into_response()
}

fn invalid_token() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "A1b2C3d4E5f6G7h8I9j0KlM",
        }}),
    )
}

/// Graph's answer for an unknown object or path.
fn unsupported(method: &Method, object_id: &str) -> Response {
    let verb = method.as_str().to_ascii_lowercase();
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": {
            "message": format!(
                "Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
        }}),
    )
}

fn transient(status: StatusCode, code: i64, message: &str) -> Response {
    json_response(
        status,
        &json!({ "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "is_transient": true,
            "fbtrace_id": "AWEdqoNazWdC-QDZfywosJo",
        }}),
    )
}

/// The status, message and details Meta gives for an error code.
fn code_error(code: i64) -> Response {
    let (status, message, details): (StatusCode, String, &str) = match code {
        0 => (
            StatusCode::UNAUTHORIZED,
            "(#0) AuthException".into(),
            "Authentication Error",
        ),
        1 => {
            return transient(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "An unknown error occurred",
            );
        }
        2 => {
            return transient(
                StatusCode::SERVICE_UNAVAILABLE,
                2,
                "Service temporarily unavailable",
            );
        }
        4 => (
            StatusCode::BAD_REQUEST,
            "(#4) Application request limit reached".into(),
            "Too many API calls from this app.",
        ),
        10 => (
            StatusCode::FORBIDDEN,
            "(#10) Application does not have permission for this action".into(),
            "Permission denied.",
        ),
        100 => (
            StatusCode::BAD_REQUEST,
            "(#100) Invalid parameter".into(),
            "Invalid parameter.",
        ),
        190 => {
            return json_response(
                StatusCode::UNAUTHORIZED,
                &json!({ "error": {
                    "message": "Error validating access token: Session has expired on Friday, 20-Nov-26 09:00:00 PST. The current time is Friday, 20-Nov-26 09:12:41 PST.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "A1b2C3d4E5f6G7h8I9j0KlM",
                }}),
            );
        }
        200..=299 => (
            StatusCode::FORBIDDEN,
            format!("(#{code}) Permissions error"),
            "Permission denied.",
        ),
        368 => (
            StatusCode::BAD_REQUEST,
            "(#368) Temporarily blocked for policies violations".into(),
            "Temporarily blocked.",
        ),
        80_007 => (
            StatusCode::BAD_REQUEST,
            "(#80007) Rate limit issues".into(),
            "WhatsApp Business Account rate limit reached.",
        ),
        130_429 => (
            StatusCode::BAD_REQUEST,
            "(#130429) Rate limit hit".into(),
            "Cloud API message throughput has been reached.",
        ),
        131_000 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "(#131000) Something went wrong".into(),
            "Something went wrong.",
        ),
        131_016 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "(#131016) Service unavailable".into(),
            "A service is temporarily unavailable.",
        ),
        131_026 => (
            StatusCode::BAD_REQUEST,
            "(#131026) Message Undeliverable".into(),
            "Message Undeliverable.",
        ),
        131_047 => (
            StatusCode::BAD_REQUEST,
            "(#131047) Re-engagement message".into(),
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131_048 => (
            StatusCode::BAD_REQUEST,
            "(#131048) Spam rate limit hit".into(),
            "Message failed to send because there are restrictions on how many messages can be sent from this phone number.",
        ),
        131_056 => (
            StatusCode::TOO_MANY_REQUESTS,
            "(#131056) (Business Account, Consumer Account) pair rate limit hit".into(),
            "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
        ),
        131_057 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "(#131057) Account in maintenance mode".into(),
            "Business Account is in maintenance mode.",
        ),
        132_000 => (
            StatusCode::BAD_REQUEST,
            "(#132000) Number of parameters does not match the expected number of params".into(),
            "body: number of localizable_params does not match the expected number of params",
        ),
        132_001 => (
            StatusCode::BAD_REQUEST,
            "(#132001) Template name does not exist in the translation".into(),
            "template name does not exist in the translation",
        ),
        133_004 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "(#133004) Server temporarily unavailable".into(),
            "Server is temporarily unavailable.",
        ),
        133_010 => (
            StatusCode::BAD_REQUEST,
            "(#133010) Account not registered".into(),
            "Phone number is not registered on the Business Platform.",
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            format!("(#{code}) Fake failure"),
            "Injected by the fake Cloud API.",
        ),
    };
    graph_error(status, code, &message, Some(details))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_query_params() {
        assert!(is_version("v25.0"));
        assert!(!is_version("v25"));
        assert!(!is_version("25.0"));
        assert!(!is_version("vx.0"));
        assert_eq!(query_param("limit=2&after=QVFIU1", "after"), Some("QVFIU1"));
        assert_eq!(query_param("limit=2", "after"), None);
    }
}
