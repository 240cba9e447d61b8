//! Outgoing webhooks (role `admin`): register a receiver (its signing
//! secret is shown once), list, read, delete; each endpoint's deliveries
//! with their attempts, newest first, a page at a time; redeliver a dead
//! one.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_service::webhooks::{DeliveryView, NewWebhook, WebhookView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

/// Outgoing webhooks.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, delete_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(redeliver_webhook))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// The receiver: `https`, a public address (unless the operator allows
    /// its network), no credentials; redirects are not followed.
    pub url: String,
    #[schema(value_type = Vec<enums::WebhookEventType>)]
    pub events: Vec<String>,
    /// Your own `whsec_…` secret (base64 of 24 to 64 bytes); default: a
    /// fresh one, returned once.
    pub secret: Option<String>,
    /// Deliver only events of conversations this service account is a
    /// member of (recommended: the integration's own account).
    pub service_account_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: String,
    pub url: String,
    #[schema(value_type = Vec<enums::WebhookEventType>)]
    pub events: Vec<String>,
    pub service_account_id: Option<String>,
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<WebhookView> for WebhookResponse {
    fn from(w: WebhookView) -> Self {
        Self {
            id: w.id.to_string(),
            url: w.url,
            events: w.events,
            service_account_id: w.service_account_id.map(|u| u.to_string()),
            created_by: w.created_by.map(|u| u.to_string()),
            created_at: w.created_at.to_rfc3339(),
        }
    }
}

/// A new endpoint: the only time `secret` is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    pub id: String,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
    pub webhook: WebhookResponse,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookListResponse {
    pub webhooks: Vec<WebhookResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptResponse {
    pub attempt: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// Why the attempt failed (`timeout`, `could not connect`, `status
    /// 503`, `redirect refused`…), if it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// The `webhook-id` header (the same on every attempt).
    pub id: String,
    #[schema(value_type = enums::WebhookEventType)]
    pub event_type: String,
    #[schema(value_type = enums::DeliveryState)]
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The body sent: `{type, timestamp, data}` with ids and states only.
    pub payload: serde_json::Value,
    pub attempts: Vec<AttemptResponse>,
}

impl From<DeliveryView> for DeliveryResponse {
    fn from(d: DeliveryView) -> Self {
        Self {
            id: d.id,
            event_type: d.event_type,
            state: d.state.as_str(),
            created_at: d.created_at.to_rfc3339(),
            next_attempt_at: d.next_attempt_at.map(|t| t.to_rfc3339()),
            delivered_at: d.delivered_at.map(|t| t.to_rfc3339()),
            last_status: d.last_status,
            last_error: d.last_error,
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptResponse {
                    attempt: a.attempt,
                    at: a.at.to_rfc3339(),
                    status: a.status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryListResponse {
    pub deliveries: Vec<DeliveryResponse>,
    /// Pass as `cursor` for older deliveries; null when there are none.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// At most this many (default 50, at most 200).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `POST /api/v1/webhooks`
#[utoipa::path(post, operation_id = "createWebhook", path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateWebhookRequest, responses(
    (status = 201, description = "Registered; the secret is shown this once.", body = CreatedWebhookResponse),
    (status = 403, body = Problem),
    (status = 422, description = "Not https, a private address, unknown event types, or a malformed secret.", body = Problem)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, Json<CreatedWebhookResponse>)> {
    let created = state
        .hippo
        .webhooks()
        .create(
            &actor,
            NewWebhook {
                url: req.url,
                events: req.events,
                secret: req.secret.map(Zeroizing::new),
                service_account_id: req.service_account_id,
            },
        )
        .await?;
    let webhook = WebhookResponse::from(created.view);
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookResponse {
            id: webhook.id.clone(),
            secret: created.secret.to_string(),
            webhook,
        }),
    ))
}

/// `GET /api/v1/webhooks`
#[utoipa::path(get, operation_id = "listWebhooks", path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "Live endpoints, oldest first.", body = WebhookListResponse), (status = 403, body = Problem)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<WebhookListResponse>> {
    let hooks = state.hippo.webhooks().list(&actor).await?;
    Ok(Json(WebhookListResponse {
        webhooks: hooks.into_iter().map(WebhookResponse::from).collect(),
    }))
}

/// `GET /api/v1/webhooks/{id}`
#[utoipa::path(get, operation_id = "getWebhook", path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The endpoint.", body = WebhookResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookResponse>> {
    Ok(Json(state.hippo.webhooks().get(&actor, &id).await?.into()))
}

/// `DELETE /api/v1/webhooks/{id}`
#[utoipa::path(delete, operation_id = "deleteWebhook", path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted: nothing more is delivered; pending deliveries are dead; history stays."),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.hippo.webhooks().delete(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/webhooks/{id}/deliveries?limit=&cursor=`
#[utoipa::path(get, operation_id = "listWebhookDeliveries", path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path), DeliveryQuery), responses(
    (status = 200, description = "Deliveries with every attempt, newest first.", body = DeliveryListResponse),
    (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    q: crate::routes::audit::QueryResult<DeliveryQuery>,
) -> ApiResult<Json<DeliveryListResponse>> {
    let q = crate::routes::audit::query(q)?;
    let page = state
        .hippo
        .webhooks()
        .deliveries(&actor, &id, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(DeliveryListResponse {
        deliveries: page.deliveries.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver`
#[utoipa::path(post, operation_id = "redeliverWebhook", path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path), ("delivery_id" = String, Path)), responses(
    (status = 202, description = "Pending again; its retries start over."),
    (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, description = "Not dead, or the endpoint was deleted.", body = Problem)))]
pub async fn redeliver_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .webhooks()
        .redeliver(&actor, &id, &delivery_id)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
