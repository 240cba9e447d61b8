//! The web client (`web/`, built to `web/dist` and embedded by memory-serve,
//! see `build.rs`): `GET /` and `/assets/*`, and `index.html` for any other
//! page a browser asks for, so client-side routes survive a reload.
//!
//! Its security headers are its own: the API's `default-src 'none'` would
//! not run a page, so the client gets a strict policy that runs only
//! same-origin scripts (no inline script, no eval, Trusted Types required),
//! while assets, named by content hash, are cached for a year and the HTML
//! is revalidated on every load.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use memory_serve::CacheControl;
use tower_http::set_header::SetResponseHeaderLayer;

/// The web client's Content-Security-Policy.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
    manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
    require-trusted-types-for 'script'";

/// Paths that always belong to the API (its own 404s are problem details).
const API_PREFIXES: &[&str] = &["/api/", "/webhooks/"];
const API_PATHS: &[&str] = &["/api", "/webhooks", "/healthz", "/readyz", "/metrics"];

/// The embedded client with its headers.
pub fn router(tls: bool) -> Router {
    let mut app: Router = memory_serve::load!()
        .index_file(Some("/index.html"))
        .html_cache_control(CacheControl::NoCache)
        // Vite names every asset by its content hash.
        .cache_control(CacheControl::Long)
        .into_router();
    let headers: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()",
        ),
    ];
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if tls {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    app
}

/// Whether `path` is the API's whatever the method (else a GET of it is
/// the web client's).
pub fn is_api_path(path: &str) -> bool {
    API_PATHS.contains(&path) || API_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Whether the web client answers `req` (else the API does). A page other
/// than `/` is rewritten to `/`, that is `index.html`.
pub fn take_for_client(req: &mut Request) -> bool {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return false;
    }
    let path = req.uri().path();
    if is_api_path(path) {
        return false;
    }
    if path == "/" || path.starts_with("/assets/") {
        return true;
    }
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        *req.uri_mut() = Uri::from_static("/");
    }
    wants_html
}
