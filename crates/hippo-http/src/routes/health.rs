//! Liveness, readiness and metrics.

use crate::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
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

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, operation_id = "getMetrics", path = "/metrics", tag = "health", responses((status = 200, description = "Prometheus text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    if let Some(channel) = state.hippo.whatsapp().configured() {
        text.push_str(&whatsapp_metrics(&state, channel).await);
    }
    text.push_str(&webhook_metrics(state.hippo.webhooks().stats()));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// Outgoing webhook counters of this node's delivery worker.
fn webhook_metrics(st: &hippo_service::webhooks::WebhookStats) -> String {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    for (name, help, value) in [
        (
            "delivered",
            "Webhook deliveries a receiver took (2xx)",
            &st.delivered,
        ),
        (
            "failed_attempts",
            "Webhook attempts that failed (non-2xx, time-out, no connection) and were retried or given up",
            &st.failed_attempts,
        ),
        (
            "dead",
            "Webhook deliveries given up after their last retry",
            &st.dead,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP hippo_webhooks_{name}_total {help}.\n# TYPE hippo_webhooks_{name}_total counter\nhippo_webhooks_{name}_total {}",
            value.load(Relaxed)
        );
    }
    out
}

/// The WhatsApp channel's counters (this node) and outbox gauges (shared).
async fn whatsapp_metrics(
    state: &AppState,
    channel: &hippo_service::whatsapp::WhatsappChannel,
) -> String {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let st = &channel.stats;
    let mut out = String::new();
    let counters = [
        (
            "sends_accepted",
            "Sends the Cloud API accepted",
            &st.accepted,
        ),
        (
            "sends_retried",
            "Sends that failed and were scheduled again",
            &st.retried,
        ),
        ("sends_failed", "Messages that failed for good", &st.failed),
        ("status_sent", "sent reports applied", &st.sent),
        (
            "status_delivered",
            "delivered reports applied",
            &st.delivered,
        ),
        ("status_read", "read reports applied", &st.read),
        ("inbound", "Messages received from patients", &st.inbound),
        (
            "webhooks_rejected",
            "Webhook deliveries with a bad signature",
            &st.webhooks_rejected,
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(
            out,
            "# HELP hippo_whatsapp_{name}_total {help}.\n# TYPE hippo_whatsapp_{name}_total counter\nhippo_whatsapp_{name}_total {}",
            value.load(Relaxed)
        );
    }
    if let Ok(c) = state.hippo.whatsapp().outbox_counts().await {
        let _ = writeln!(
            out,
            "# HELP hippo_whatsapp_outbox_jobs Outbox jobs by state.\n# TYPE hippo_whatsapp_outbox_jobs gauge"
        );
        for (s, n) in [
            ("pending", c.pending),
            ("sending", c.sending),
            ("done", c.done),
            ("dead", c.dead),
        ] {
            let _ = writeln!(out, "hippo_whatsapp_outbox_jobs{{state=\"{s}\"}} {n}");
        }
        let lag = c.oldest_unsent_at.map_or(0.0, |t| {
            (state.hippo.now().as_millis() - t.as_millis()).max(0) as f64 / 1000.0
        });
        let _ = writeln!(
            out,
            "# HELP hippo_whatsapp_outbox_lag_seconds Age of the oldest unsent job.\n# TYPE hippo_whatsapp_outbox_lag_seconds gauge\nhippo_whatsapp_outbox_lag_seconds {lag}"
        );
    }
    out
}
