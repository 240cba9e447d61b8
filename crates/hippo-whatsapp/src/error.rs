//! Errors from the Cloud API: the Graph error envelope, transport failures,
//! and the retry class a caller acts on.
//!
//! Meta says to key off `code` (and `error_data.details`), not the HTTP
//! status, so [`classify`] looks at the code first and falls back to the
//! status only when the code says nothing.

use serde_json::Value;

/// What the caller should do about a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later: rate limits (4, 80007, 130429, 131056), temporary
    /// faults (1, 2, 131000, 131016, 131057, 133004), HTTP 5xx, timeouts,
    /// connection failures, 429 without a body.
    Retryable,
    /// Credentials/configuration: 0, 3, 10, 190, 200-299, 133010, HTTP
    /// 401/403 — permanent for the message, and the operator must act.
    Auth,
    /// Anything else: the message will never go through as it is (e.g. 100,
    /// 131026, 131047, 132000, 132001, 131048, 131064, 368).
    Permanent,
}

/// A failed Cloud API call.
///
/// `title` is safe to log and store: it is Meta's short error name (or a
/// fixed transport word) with long digit runs masked. `details` is Meta's
/// `error_data.details`, which can echo request content (template
/// parameters, numbers): the caller decides whether to keep it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("WhatsApp Cloud API error {code:?}: {title}")]
pub struct ApiError {
    /// Meta's `code`; `None` for transport errors.
    pub code: Option<i64>,
    /// A short human title: Meta's `error_user_title`, or the `message` with
    /// the "(#123) " prefix stripped, or "timeout" / "connection failed" /
    /// "HTTP 503".
    pub title: String,
    /// `error_data.details`.
    pub details: Option<String>,
    /// The HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// What to do about it.
    pub class: ErrorClass,
}

const RETRYABLE_CODES: &[i64] = &[
    1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004,
];
const AUTH_CODES: &[i64] = &[0, 3, 10, 190, 133010];

/// Maps Meta's error code and the HTTP status to a retry class.
///
/// Order: a code in the retryable or auth set decides; then HTTP 401/403 →
/// `Auth`, 429 and 5xx → `Retryable`; then any other code → `Permanent`;
/// no code and no status (a transport failure) → `Retryable`; no code with
/// any other status → `Permanent`.
pub fn classify(code: Option<i64>, http_status: Option<u16>) -> ErrorClass {
    if let Some(code) = code {
        if RETRYABLE_CODES.contains(&code) {
            return ErrorClass::Retryable;
        }
        if AUTH_CODES.contains(&code) || (200..=299).contains(&code) {
            return ErrorClass::Auth;
        }
    }
    match http_status {
        Some(401 | 403) => ErrorClass::Auth,
        Some(429) | Some(500..=599) => ErrorClass::Retryable,
        None if code.is_none() => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    }
}

impl ApiError {
    /// An error with no Meta code (transport, unexpected response, local check).
    pub(crate) fn local(title: &str, http_status: Option<u16>, class: ErrorClass) -> Self {
        Self {
            code: None,
            title: title.to_owned(),
            details: None,
            http_status,
            class,
        }
    }

    /// A reqwest failure: timeouts and connection problems are retryable;
    /// a request that could not even be built is permanent. The reqwest
    /// message is not kept: it quotes the URL.
    pub(crate) fn transport(err: &reqwest::Error) -> Self {
        let status = err.status().map(|s| s.as_u16());
        if err.is_timeout() {
            Self::local("timeout", status, ErrorClass::Retryable)
        } else if err.is_builder() {
            Self::local("invalid request", status, ErrorClass::Permanent)
        } else {
            Self::local("connection failed", status, ErrorClass::Retryable)
        }
    }

    /// Builds the error for a non-2xx response from its status and body.
    /// A Graph envelope gives code, title and details; anything else
    /// (empty, HTML, garbage) gives "HTTP <status>".
    pub(crate) fn from_response(http_status: u16, body: &[u8]) -> Self {
        match parse_envelope(body) {
            Some(graph) => {
                let mut class = classify(graph.code, Some(http_status));
                if graph.is_transient && class == ErrorClass::Permanent {
                    class = ErrorClass::Retryable;
                }
                let title = graph.title.unwrap_or_else(|| format!("HTTP {http_status}"));
                Self {
                    code: graph.code,
                    title,
                    details: graph.details,
                    http_status: Some(http_status),
                    class,
                }
            }
            None => Self::local(
                &format!("HTTP {http_status}"),
                Some(http_status),
                classify(None, Some(http_status)),
            ),
        }
    }
}

/// The fields of a Graph error envelope that matter here.
struct GraphError {
    code: Option<i64>,
    title: Option<String>,
    details: Option<String>,
    is_transient: bool,
}

/// Parses `{"error":{...}}` leniently: every field optional, numbers given
/// as strings accepted. `None` when the body is not JSON or has no `error`
/// object.
fn parse_envelope(body: &[u8]) -> Option<GraphError> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?.as_object()?;
    let code = error.get("code").and_then(as_i64);
    let details = error
        .get("error_data")
        .and_then(|d| d.get("details"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let user_title = error
        .get("error_user_title")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let title = user_title
        .or(message.map(strip_code_prefix))
        .map(safe_title);
    let is_transient = error
        .get("is_transient")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Some(GraphError {
        code,
        title,
        details,
        is_transient,
    })
}

/// An integer, or a string holding one (Meta is not consistent).
pub(crate) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// "(#132000) Number of parameters..." → "Number of parameters...".
fn strip_code_prefix(message: &str) -> &str {
    let trimmed = message.trim_start();
    if let Some(rest) = trimmed.strip_prefix("(#")
        && let Some(end) = rest.find(')')
        && rest[..end].bytes().all(|b| b.is_ascii_digit())
    {
        return rest[end + 1..].trim_start();
    }
    trimmed
}

/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// Masks runs of 7 or more digits (a phone number that Meta echoed) and
/// caps the length, so a title is safe to log.
fn safe_title(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TITLE_CHARS));
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 7 {
            out.push_str("[number]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars().take(MAX_TITLE_CHARS) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_stripped_only_when_it_is_a_code() {
        assert_eq!(
            strip_code_prefix("(#100) Invalid parameter"),
            "Invalid parameter"
        );
        assert_eq!(strip_code_prefix("(#x) odd"), "(#x) odd");
        assert_eq!(strip_code_prefix("(#12"), "(#12");
        assert_eq!(strip_code_prefix("plain"), "plain");
    }

    #[test]
    fn titles_mask_phone_numbers() {
        assert_eq!(
            safe_title("Recipient 16505551234 is invalid"),
            "Recipient [number] is invalid"
        );
        assert_eq!(safe_title("Rate limit 80 mps"), "Rate limit 80 mps");
        assert_eq!(safe_title(&"x".repeat(500)).len(), MAX_TITLE_CHARS);
    }

    #[test]
    fn envelope_parses_leniently() {
        let e = ApiError::from_response(
            400,
            br#"{"error":{"code":"131056","message":"(#131056) pair rate limit hit"}}"#,
        );
        assert_eq!(e.code, Some(131056));
        assert_eq!(e.title, "pair rate limit hit");
        assert_eq!(e.class, ErrorClass::Retryable);

        let e = ApiError::from_response(
            400,
            br#"{"error":{"code":131999,"is_transient":true,"error_user_title":"Try later"}}"#,
        );
        assert_eq!(e.class, ErrorClass::Retryable);
        assert_eq!(e.title, "Try later");

        let e = ApiError::from_response(502, b"<html>bad gateway</html>");
        assert_eq!((e.code, e.title.as_str()), (None, "HTTP 502"));
        assert_eq!(e.class, ErrorClass::Retryable);

        let e = ApiError::from_response(400, br#"{"error":"nope"}"#);
        assert_eq!(e.class, ErrorClass::Permanent);
        assert_eq!(e.title, "HTTP 400");
    }
}
