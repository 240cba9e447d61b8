//! Messages, history, edits, recalls and receipts (members only).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::enums;
use crate::routes::wire::MessageResponse;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use hippo_core::ErrorCode;
use hippo_service::messages::NewMessage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Messages, reads and receipts.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message, list_messages))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(mark_read))
        .routes(routes!(receipts))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    pub body: String,
    /// Idempotency key: a retry with the same value returns the first message.
    pub client_id: Option<String>,
    /// `normal` (default) or `urgent`.
    #[schema(value_type = Option<enums::Priority>)]
    pub priority: Option<String>,
    /// Files uploaded with `POST /api/v1/attachments` (yours, or shared
    /// with you), at most 10.
    pub attachment_ids: Option<Vec<String>>,
}

/// `POST /api/v1/conversations/{id}/messages`
#[utoipa::path(post, operation_id = "sendMessage", path = "/api/v1/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SendMessageRequest, responses(
    (status = 201, description = "The message (the first one, for a repeated `client_id`).", body = MessageResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn send_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    let m = state
        .hippo
        .messages()
        .send(
            &actor,
            &id,
            NewMessage {
                body: req.body,
                client_id: req.client_id,
                priority: req.priority,
                attachment_ids: req.attachment_ids.unwrap_or_default(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(MessageResponse::from(&m))))
}

#[derive(Serialize, ToSchema)]
pub struct MessagePageResponse {
    pub messages: Vec<MessageResponse>,
    /// Pass as `after_seq` to continue.
    pub next_after_seq: i64,
}

fn query_number(raw: Option<&str>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    for pair in raw.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            return v.parse::<i64>().map(Some).map_err(|_| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("{name} must be a whole number"),
                )
            });
        }
    }
    Ok(None)
}

/// `GET /api/v1/conversations/{id}/messages?after_seq=N&limit=M`: oldest first.
#[utoipa::path(get, operation_id = "listMessages", path = "/api/v1/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path), ("after_seq" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "A page of messages, oldest first.", body = MessagePageResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_messages(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<MessagePageResponse>> {
    let after_seq = query_number(query.as_deref(), "after_seq")?;
    let limit = query_number(query.as_deref(), "limit")?;
    let page = state
        .hippo
        .messages()
        .list(&actor, &id, after_seq, limit)
        .await?;
    Ok(Json(MessagePageResponse {
        messages: page.messages.iter().map(MessageResponse::from).collect(),
        next_after_seq: page.next_after_seq,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub body: String,
}

/// `PATCH /api/v1/messages/{id}`: sender only; the earlier body is kept.
#[utoipa::path(patch, operation_id = "editMessage", path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EditMessageRequest, responses(
    (status = 200, description = "The edited message.", body = MessageResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn edit_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditMessageRequest>,
) -> ApiResult<Json<MessageResponse>> {
    let m = state.hippo.messages().edit(&actor, &id, &req.body).await?;
    Ok(Json(MessageResponse::from(&m)))
}

/// `DELETE /api/v1/messages/{id}`: recall; content gone, tombstone stays.
#[utoipa::path(delete, operation_id = "deleteMessage", path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "Recalled; a tombstone stays."), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_message(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.hippo.messages().delete(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    pub up_to_seq: i64,
}

/// `POST /api/v1/conversations/{id}/read`
#[utoipa::path(post, operation_id = "markRead", path = "/api/v1/conversations/{id}/read", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MarkReadRequest,
    responses((status = 204, description = "Read up to `up_to_seq`."), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MarkReadRequest>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .messages()
        .mark_read(&actor, &id, req.up_to_seq)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub user_id: String,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptList {
    pub receipts: Vec<ReceiptResponse>,
}

/// `GET /api/v1/messages/{id}/receipts`: every member but the sender.
#[utoipa::path(get, operation_id = "listReceipts", path = "/api/v1/messages/{id}/receipts", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "Delivery and read times per member.", body = ReceiptList), (status = 404, body = Problem)))]
pub async fn receipts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReceiptList>> {
    let list = state.hippo.messages().receipts(&actor, &id).await?;
    Ok(Json(ReceiptList {
        receipts: list
            .iter()
            .map(|r| ReceiptResponse {
                user_id: r.user_id.to_string(),
                delivered_at: r.delivered_at.map(|t| t.to_rfc3339()),
                read_at: r.read_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    }))
}
