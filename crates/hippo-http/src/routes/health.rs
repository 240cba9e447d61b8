//! Liveness, readiness and metrics.

use crate::AppState;
use crate::problem::ApiError;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Liveness, readiness and metrics (outside `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// `GET /healthz`: 200 while the process runs.
#[utoipa::path(get, operation_id = "checkLiveness", path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 when the store answers, 503 otherwise.
#[utoipa::path(get, operation_id = "checkReadiness", path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready"), (status = 503, description = "store unreachable")))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.hippo.ops().ready().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
    }
}

/// `GET /metrics`: Prometheus text format (404 when a separate metrics
/// listener serves it).
#[utoipa::path(get, operation_id = "getMetrics", path = "/metrics", tag = "health", responses(
    (status = 200, description = "Prometheus text"),
    (status = 404, description = "served on the metrics listener instead (`metrics_listen`)")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if !state.metrics.on_main_listener() {
        return ApiError::new(ErrorCode::NotFound, "no such resource").into_response();
    }
    metrics_only(State(state)).await
}

/// `GET /metrics` on the metrics listener.
pub async fn metrics_only(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(&state).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
