//! hippo's HTTP interface: the axum router, extractors, problem details,
//! OpenAPI document, metrics, browser sessions, the embedded web client and
//! the TLS transport. It calls
//! `hippo-service` and never touches a store directly.

pub mod body_deadline;
pub mod browser;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod rejections;
pub mod routes;
pub mod server;
pub mod stream;
pub mod tls;
pub mod unauthenticated;
pub mod web;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use hippo_core::ErrorCode;
use hippo_service::Hippo;
use problem::ApiError;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use tls::Peer;

/// Largest JSON body accepted by the API (uploads get their own limit).
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub hippo: Arc<Hippo>,
    pub metrics: Arc<metrics::Metrics>,
    pub hub: Arc<stream::Hub>,
}

/// Transport facts the router needs.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Served over TLS (directly): send HSTS.
    pub tls: bool,
    /// Origins whose pages may call the API from a browser (CORS, bearer
    /// tokens and API keys only: no cookies); empty: same origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// `/metrics` is served by [`Http::metrics`] on a listener of its own,
    /// so the API's listener answers it 404.
    pub metrics_listener: bool,
    /// An access log line per request (see [`metrics::record`]).
    pub access_log: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see
    /// [`extract::client_address`]).
    pub trusted_proxies: Vec<hippo_service::net::IpNet>,
    /// Which header a trusted proxy names the client in.
    pub forwarded_header: hippo_service::net::ForwardedHeader,
    /// The per-address budget of requests without a credential (see
    /// [`unauthenticated`]).
    pub unauthenticated_rate: unauthenticated::UnauthenticatedRate,
}

/// The HTTP application of one server.
pub struct Http {
    /// Everything: the API, the stream, the web client (and `/metrics`
    /// unless [`HttpOptions::metrics_listener`]).
    pub router: Router,
    /// Its socket hub (to close every socket with 1001 at shutdown:
    /// `Hub::going_away`).
    pub hub: Arc<stream::Hub>,
    /// `/metrics` alone, for a separate listener.
    pub metrics: Router,
}

/// CORS for the listed origins: a preflight answers 204 with the methods
/// and headers the API takes; an actual request gets
/// `Access-Control-Allow-Origin` when its origin is listed; any other
/// origin gets no CORS headers at all (so the browser keeps the answer
/// from its page). Credentials (cookies) are never allowed cross-origin:
/// such a page authenticates with a bearer token or API key.
fn cors(origins: Vec<HeaderValue>) -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), header::LOCATION])
        .max_age(std::time::Duration::from_secs(600))
}

/// The whole HTTP application. Call within a tokio runtime: it starts the
/// socket reconciler.
pub fn router(hippo: Arc<Hippo>, options: HttpOptions) -> Router {
    http(hippo, options).router
}

/// [`router`], the socket hub behind it, and the metrics-only router.
pub fn http(hippo: Arc<Hippo>, options: HttpOptions) -> Http {
    let hub = Arc::new(stream::Hub::with_presence(&hippo));
    hippo.events().set_sink(hub.clone());
    tokio::spawn(stream::DeliveryRecorder::run(
        Arc::downgrade(&hub),
        hippo.clone(),
    ));
    tokio::spawn(stream::Hub::reconcile(
        Arc::downgrade(&hub),
        hippo.clone(),
        stream::RECONCILE_INTERVAL,
    ));
    let state = AppState {
        hippo,
        metrics: Arc::new(metrics::Metrics::new(
            !options.metrics_listener,
            options.access_log,
        )),
        hub: hub.clone(),
    };
    // Every route comes from its handler's `#[utoipa::path]` (see
    // `openapi::api`); the document served at `/api/v1/openapi.json` is
    // built from the same list.
    let (routes, _) = openapi::api().split_for_parts();
    let mut app = routes
        // Browsers open WebSockets over HTTP/2 as an extended CONNECT
        // (RFC 8441), which `server::serve` enables; the documented GET route
        // covers HTTP/1.1 only.
        .route("/api/v1/stream", axum::routing::connect(stream::stream))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(metrics::tag_route))
        // Outermost of the API's own layers: whatever refused the request,
        // the client gets a problem document.
        .layer(axum::middleware::from_fn(rejections::as_problems))
        .with_state(state.clone());

    // A handler may set a stricter policy of its own (the evidence
    // report's printable page allows exactly its one style block).
    app = app.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ));
    let headers: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if options.tls {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    if !options.cors_origins.is_empty() {
        app = app.layer(cors(options.cors_origins.clone()));
    }
    // The web client and the API keep separate headers: each request goes
    // to exactly one of them.
    let client = web::router(options.tls);
    let request_id = HeaderName::from_static("x-request-id");
    let router = Router::new().fallback(move |mut req: Request| {
        let (api, client) = (app.clone(), client.clone());
        async move {
            if web::take_for_client(&mut req) {
                client.oneshot(req).await
            } else {
                api.oneshot(req).await
            }
        }
    });
    let router = match unauthenticated::Gate::new(options.unauthenticated_rate) {
        Some(gate) => router.layer(axum::middleware::from_fn_with_state(
            gate,
            unauthenticated::gate,
        )),
        None => router,
    };
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(extract::Proxies {
                trusted: options.trusted_proxies.clone(),
                header: options.forwarded_header,
            }),
            extract::client_address,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    let metrics = Router::new()
        .route("/metrics", axum::routing::get(routes::health::metrics_only))
        .fallback(not_found)
        .with_state(state);
    Http {
        router,
        hub,
        metrics,
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this resource",
    )
}
