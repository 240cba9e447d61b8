//! The WhatsApp channel's operator side: the template cache (list, sync,
//! mark PHI-free), the outbox (list, retry), and Meta's webhook (handshake
//! and signed event delivery). Sends to a patient are in `patients`.

use crate::AppState;
use crate::extract::{ApiJson, Auth, Meta};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use hippo_service::whatsapp::{OutboxView, Template};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The operator calls under `/api/v1/whatsapp` and Meta's webhook, which
/// takes bodies up to [`hippo_service::whatsapp::MAX_WEBHOOK_BYTES`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(sync_templates))
        .routes(routes!(update_template))
        .routes(routes!(list_outbox))
        .routes(routes!(retry_outbox))
        .routes(routes!(webhook_handshake, webhook_event).layer(
            axum::extract::DefaultBodyLimit::max(hippo_service::whatsapp::MAX_WEBHOOK_BYTES),
        ))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateResponse {
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub parameter_count: i64,
    /// Marked safe to send under `notify_only`.
    pub phi_free: bool,
    pub body_text: Option<String>,
    #[schema(format = DateTime)]
    pub synced_at: String,
}

impl From<Template> for TemplateResponse {
    fn from(t: Template) -> Self {
        Self {
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            parameter_count: t.parameter_count,
            phi_free: t.phi_free,
            body_text: t.body_text,
            synced_at: t.synced_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplatesResponse {
    pub templates: Vec<TemplateResponse>,
    /// The channel's PHI policy: under `notify_only` only templates marked
    /// `phi_free` may be sent and free text never.
    #[schema(value_type = crate::routes::enums::PhiMode)]
    pub phi_mode: String,
}

/// `GET /api/v1/whatsapp/templates`: templates as last synced.
#[utoipa::path(get, operation_id = "listWhatsappTemplates", path = "/api/v1/whatsapp/templates", tag = "whatsapp", security(("bearer" = [])),
    responses((status = 200, description = "The templates.", body = TemplatesResponse), (status = 403, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn list_templates(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TemplatesResponse>> {
    let templates = state.hippo.whatsapp().list_templates(&actor).await?;
    Ok(Json(TemplatesResponse {
        templates: templates.into_iter().map(Into::into).collect(),
        phi_mode: state.hippo.whatsapp().phi_mode()?.as_str().to_owned(),
    }))
}

/// `POST /api/v1/whatsapp/templates/sync`: fetches the business account's
/// templates (every page) and caches them.
#[utoipa::path(post, operation_id = "syncWhatsappTemplates", path = "/api/v1/whatsapp/templates/sync", tag = "whatsapp", security(("bearer" = [])),
    responses((status = 200, description = "The templates now cached.", body = TemplatesResponse), (status = 403, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn sync_templates(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TemplatesResponse>> {
    let templates = state.hippo.whatsapp().sync_templates(&actor).await?;
    Ok(Json(TemplatesResponse {
        templates: templates.into_iter().map(Into::into).collect(),
        phi_mode: state.hippo.whatsapp().phi_mode()?.as_str().to_owned(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub phi_free: bool,
}

/// `PATCH /api/v1/whatsapp/templates/{name}/{language}` `{phi_free}`.
#[utoipa::path(patch, operation_id = "updateWhatsappTemplate", path = "/api/v1/whatsapp/templates/{name}/{language}", tag = "whatsapp", security(("bearer" = [])),
    params(("name" = String, Path), ("language" = String, Path)), request_body = TemplatePatch,
    responses((status = 200, description = "The updated template.", body = TemplateResponse), (status = 404, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn update_template(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((name, language)): Path<(String, String)>,
    ApiJson(req): ApiJson<TemplatePatch>,
) -> ApiResult<Json<TemplateResponse>> {
    let t = state
        .hippo
        .whatsapp()
        .set_template_phi_free(&actor, &name, &language, req.phi_free)
        .await?;
    Ok(Json(t.into()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxParams {
    /// `pending`, `sending`, `done` or `dead` (default).
    pub state: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxJobResponse {
    pub message_id: String,
    pub patient_id: String,
    #[schema(value_type = enums::OutboxState)]
    pub state: String,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    pub last_error_code: Option<i64>,
    pub last_error_title: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<OutboxView> for OutboxJobResponse {
    fn from(j: OutboxView) -> Self {
        Self {
            message_id: j.message_id.to_string(),
            patient_id: j.patient_id.to_string(),
            state: j.state.as_str().to_owned(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at.to_rfc3339(),
            last_error_code: j.last_error_code,
            last_error_title: j.last_error_title,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutboxResponse {
    pub jobs: Vec<OutboxJobResponse>,
}

/// `GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).
#[utoipa::path(get, operation_id = "listWhatsappOutbox", path = "/api/v1/whatsapp/outbox", tag = "whatsapp", security(("bearer" = [])),
    params(("state" = Option<enums::OutboxState>, Query, description = "default `dead`")),
    responses((status = 200, description = "The jobs.", body = OutboxResponse), (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn list_outbox(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: crate::routes::audit::QueryResult<OutboxParams>,
) -> ApiResult<Json<OutboxResponse>> {
    let params = crate::routes::audit::query(params)?;
    let jobs = state
        .hippo
        .whatsapp()
        .list_outbox(&actor, params.state.as_deref().unwrap_or("dead"))
        .await?;
    Ok(Json(OutboxResponse {
        jobs: jobs.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/whatsapp/outbox/{message_id}/retry`: sends a dead job
/// again (204).
#[utoipa::path(post, operation_id = "retryWhatsappOutbox", path = "/api/v1/whatsapp/outbox/{message_id}/retry", tag = "whatsapp", security(("bearer" = [])),
    params(("message_id" = String, Path)),
    responses((status = 204, description = "Queued again."), (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn retry_outbox(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(message_id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .whatsapp()
        .retry_outbox(&actor, &message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct HandshakeParams {
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// `GET /webhooks/whatsapp`: Meta's verification handshake; answers the
/// challenge as plain text when the verify token matches, else 403.
#[utoipa::path(get, operation_id = "verifyWhatsappWebhook", path = "/webhooks/whatsapp", tag = "whatsapp",
    params(("hub.mode" = Option<String>, Query), ("hub.verify_token" = Option<String>, Query), ("hub.challenge" = Option<String>, Query)),
    responses((status = 200, description = "The challenge, echoed.", body = String, content_type = "text/plain"), (status = 403, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn webhook_handshake(
    State(state): State<AppState>,
    Query(params): Query<HandshakeParams>,
) -> ApiResult<impl IntoResponse> {
    let challenge = state.hippo.whatsapp().handshake(
        params.mode.as_deref(),
        params.verify_token.as_deref(),
        params.challenge.as_deref(),
    )?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge,
    ))
}

/// `POST /webhooks/whatsapp`: Meta's event delivery. The
/// `X-Hub-Signature-256` HMAC is checked over the raw body (401
/// `invalid_signature`); the delivery is stored durably, answered 200, and
/// applied right after.
#[utoipa::path(post, operation_id = "receiveWhatsappWebhook", path = "/webhooks/whatsapp", tag = "whatsapp",
    request_body(content = Object, content_type = "application/json",
        description = "Meta's event envelope, exactly as sent (the signature covers these bytes)"),
    responses((status = 200, description = "Stored; applied right after."), (status = 401, body = Problem), (status = 413, body = Problem), (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up (or unavailable: storage or the Cloud API cannot be reached; retry).")))]
pub async fn webhook_event(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    state
        .hippo
        .whatsapp()
        .accept_webhook(signature, &body, &meta)
        .await?;
    Ok(StatusCode::OK)
}
