//! Browser sessions: the web client's session travels in an HttpOnly
//! `__Host-hippo_session` cookie instead of a bearer header, so no script
//! can read it. What cookies bring in is closed here:
//!
//! - CSRF: every cookie-authenticated request carries `X-CSRF-Token`, the
//!   value the login returned (derived from the session token, see
//!   `hippo_crypto::token::csrf_token`), compared in constant time. Other
//!   sites can neither read it nor, with `SameSite=Strict`, send the cookie.
//! - Cross-site WebSocket hijacking: an upgrade authenticated by the cookie
//!   must come from the server's own origin.
//!
//! Bearer tokens (SDKs, integrations) are untouched by all of this.

use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use hippo_core::ErrorCode;

use crate::problem::ApiError;

/// The cookie's name. `__Host-` makes the browser insist on `Secure`,
/// `Path=/` and no `Domain`, so no subdomain can set or read it.
pub const COOKIE: &str = "__Host-hippo_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session token of the cookie, if the request has one. (Parsed by
/// hand: one name in a `;`-separated list does not justify a cookie crate.)
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Checks the CSRF header of a cookie-authenticated request.
pub fn check_csrf(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = hippo_crypto::token::csrf_token(token);
    if presented.is_empty()
        || !hippo_crypto::constant_time_eq(presented.as_bytes(), expected.as_bytes())
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a request signed in by the session cookie must carry the X-CSRF-Token header from sign-in",
        ));
    }
    Ok(())
}

/// Whether the request's `Origin` is this server itself: the same
/// host and port the browser addressed (`Host`, or the HTTP/2 authority).
/// The scheme is not compared, so a TLS-terminating proxy in front works.
pub fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((_, origin_authority)) = origin.split_once("://") else {
        return false;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_authority))
}

/// `Set-Cookie` for a new browser session that lives `max_age_secs`.
pub fn set_cookie(token: &str, max_age_secs: i64) -> HeaderValue {
    let value = format!(
        "{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        max_age_secs.max(0)
    );
    // A token is base64url with a prefix: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| clear_cookie())
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-hippo_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; __Host-hippo_session=hpo_abc; b=2")]);
        assert_eq!(session_cookie(&h), Some("hpo_abc"));
        let h = headers(&[("cookie", "hippo_session=hpo_abc")]);
        assert_eq!(session_cookie(&h), None, "only the __Host- name counts");
        assert_eq!(session_cookie(&headers(&[])), None);
    }

    #[test]
    fn csrf_must_match_the_session() {
        let good = hippo_crypto::token::csrf_token("hpo_one");
        assert!(check_csrf(&headers(&[("x-csrf-token", &good)]), "hpo_one").is_ok());
        assert!(check_csrf(&headers(&[("x-csrf-token", &good)]), "hpo_two").is_err());
        assert!(check_csrf(&headers(&[]), "hpo_one").is_err());
    }

    #[test]
    fn origin_must_be_the_addressed_host() {
        let parts = |origin: &str, host: &str| {
            Request::builder()
                .header("origin", origin)
                .header("host", host)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert!(same_origin(&parts(
            "https://127.0.0.1:8443",
            "127.0.0.1:8443"
        )));
        assert!(!same_origin(&parts(
            "https://evil.example",
            "127.0.0.1:8443"
        )));
        assert!(!same_origin(&parts(
            "https://127.0.0.1:9999",
            "127.0.0.1:8443"
        )));
        assert!(!same_origin(&parts("null", "127.0.0.1:8443")));
    }
}
