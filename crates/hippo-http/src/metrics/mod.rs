//! `/metrics` in Prometheus text format, and the access log.
//!
//! Figures go through the `metrics` facade into this server's own
//! `metrics-exporter-prometheus` recorder (not a process-global one: every
//! router has its own, so two servers in one process never mix their
//! counts), which renders the exposition text. Request counts and latencies
//! are recorded as requests finish; everything else — process CPU, memory
//! and descriptors, sockets, the connection pool, outbox depths, the last
//! backup and verification — is read when scraped (see [`figures`]).
//!
//! Labels are route templates (`/api/v1/users/{id}`), methods, status
//! codes, states and error codes: never ids, names or anything a user sent.

mod figures;

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::sync::Arc;
use std::time::Instant;

/// Latency buckets of `hippo_http_request_duration_seconds`.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The request latency histogram's name.
const REQUEST_DURATION: &str = "hippo_http_request_duration_seconds";

/// The route label of requests the web client's assets answered.
const WEB_CLIENT_ROUTE: &str = "web client";

/// The target of access log lines (`HIPPO_LOG=info,hippo::access=off`
/// silences them too).
pub const ACCESS_LOG_TARGET: &str = "hippo::access";

/// This server's metrics: its recorder, and whether the main listener
/// serves them.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    process: metrics_process::Collector,
    on_main_listener: bool,
    access_log: bool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("on_main_listener", &self.on_main_listener)
            .field("access_log", &self.access_log)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// `on_main_listener`: `/metrics` is answered on the API's listener
    /// (off when a separate metrics listener serves it). `access_log`: a
    /// log line per request.
    pub fn new(on_main_listener: bool, access_log: bool) -> Self {
        // Fails only for an empty bucket list; a summary is then rendered
        // instead of the histogram.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let process = metrics_process::Collector::default();
        metrics::with_local_recorder(&recorder, || {
            process.describe();
            figures::describe();
            metrics::describe_counter!(
                "hippo_http_requests_total",
                "HTTP requests by route template, method and status."
            );
            metrics::describe_histogram!(
                REQUEST_DURATION,
                metrics::Unit::Seconds,
                "HTTP request latency by route template, until the response head."
            );
        });
        Self {
            recorder,
            handle,
            process,
            on_main_listener,
            access_log,
        }
    }

    /// Whether the API's listener answers `/metrics`.
    pub fn on_main_listener(&self) -> bool {
        self.on_main_listener
    }

    fn observe(&self, route: &str, method: &str, status: u16, secs: f64) {
        metrics::with_local_recorder(&self.recorder, || {
            metrics::counter!(
                "hippo_http_requests_total",
                "route" => route.to_owned(),
                "method" => method.to_owned(),
                "status" => status.to_string()
            )
            .increment(1);
            metrics::histogram!(REQUEST_DURATION, "route" => route.to_owned()).record(secs);
        });
    }

    /// The exposition text, with the figures read now.
    pub async fn render(&self, state: &AppState) -> String {
        let now = figures::gather(state).await;
        metrics::with_local_recorder(&self.recorder, || {
            self.process.collect();
            now.record();
        });
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// The route template a request was routed by, handed out on its response
/// by [`tag_route`] to [`record`] (which runs outside the routing).
#[derive(Clone, Debug)]
pub(crate) struct RouteTemplate(String);

/// Middleware inside the API's router: notes the matched route template.
pub(crate) async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(RouteTemplate(route));
    resp
}

/// A request id fit for a log line: what the client sent may be anything,
/// so only the characters of a UUID or a similar token, at most 64.
fn loggable_request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect()
}

/// Middleware around everything served: counts and times each request
/// and, when on, writes its access log line (method, route template,
/// status, latency, request id: never a path with ids in it, a query, an
/// address, a user or a body).
pub async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let request_id = if metrics.access_log {
        loggable_request_id(&req)
    } else {
        String::new()
    };
    let start = Instant::now();
    let resp = next.run(req).await;
    let elapsed = start.elapsed();
    let route = resp
        .extensions()
        .get::<RouteTemplate>()
        .map_or(WEB_CLIENT_ROUTE, |r| r.0.as_str());
    let status = resp.status().as_u16();
    metrics.observe(route, method.as_str(), status, elapsed.as_secs_f64());
    if metrics.access_log {
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            method = %method,
            route,
            status,
            latency_ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
            request_id,
            "request"
        );
    }
    resp
}
