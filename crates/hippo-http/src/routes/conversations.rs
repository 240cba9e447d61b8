//! Conversations and their members (members only).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use crate::routes::wire::ConversationResponse;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_service::conversations::NewConversation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Conversations, members, legal hold and erasure.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_conversation, list_conversations))
        .routes(routes!(get_conversation, update_conversation))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(set_legal_hold, clear_legal_hold))
        .routes(routes!(erase))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversationRequest {
    /// `direct` (exactly one other member) or `group`.
    #[schema(value_type = enums::NewConversationKind)]
    pub kind: String,
    pub title: Option<String>,
    /// Other members; the caller is always a member.
    pub member_ids: Vec<String>,
}

/// `POST /api/v1/conversations`
#[utoipa::path(post, operation_id = "createConversation", path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])),
    request_body = CreateConversationRequest, responses(
    (status = 201, description = "The new conversation.", body = ConversationResponse),
    (status = 200, description = "A direct conversation with this person exists already: that one.", body = ConversationResponse),
    (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> ApiResult<(StatusCode, Json<ConversationResponse>)> {
    let (c, created) = state
        .hippo
        .conversations()
        .create(
            &actor,
            NewConversation {
                kind: req.kind,
                title: req.title,
                member_ids: req.member_ids,
            },
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ConversationResponse::from(&c))))
}

#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<ConversationResponse>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/conversations?limit=&cursor=`: the caller's, most
/// recently active first (default 200 a page, at most 1000).
#[utoipa::path(get, operation_id = "listConversations", path = "/api/v1/conversations", tag = "conversations", security(("bearer" = [])),
    params(crate::routes::page::PageParams),
    responses((status = 200, description = "The caller's conversations.", body = ConversationList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    Auth(actor): Auth,
    q: super::audit::QueryResult<crate::routes::page::PageParams>,
) -> ApiResult<Json<ConversationList>> {
    let q = super::audit::query(q)?;
    let list = state.hippo.conversations().list(&actor).await?;
    let (list, next_cursor) = crate::routes::page::page(list, |c| c.id.to_string(), &q, 200, 1000)?;
    Ok(Json(ConversationList {
        conversations: list.iter().map(ConversationResponse::from).collect(),
        next_cursor,
    }))
}

/// `GET /api/v1/conversations/{id}`
#[utoipa::path(get, operation_id = "getConversation", path = "/api/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "The conversation.", body = ConversationResponse), (status = 404, body = Problem)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationResponse>> {
    let c = state.hippo.conversations().get(&actor, &id).await?;
    Ok(Json(ConversationResponse::from(&c)))
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversationRequest {
    /// New title; null or empty clears it (groups only). Absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// How long messages are kept, such as `"30d"` (at least `1h`); null
    /// for the organisation default. Absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub retention: Option<Option<String>>,
}

/// `PATCH /api/v1/conversations/{id}`
#[utoipa::path(patch, operation_id = "updateConversation", path = "/api/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateConversationRequest,
    responses((status = 200, description = "The updated conversation.", body = ConversationResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateConversationRequest>,
) -> ApiResult<Json<ConversationResponse>> {
    let c = state
        .hippo
        .conversations()
        .update(&actor, &id, req.title, req.retention)
        .await?;
    Ok(Json(ConversationResponse::from(&c)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub user_id: String,
}

/// `POST /api/v1/conversations/{id}/members`
#[utoipa::path(post, operation_id = "addMember", path = "/api/v1/conversations/{id}/members", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AddMemberRequest,
    responses((status = 200, description = "The conversation with its new member.", body = ConversationResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddMemberRequest>,
) -> ApiResult<Json<ConversationResponse>> {
    let c = state
        .hippo
        .conversations()
        .add_member(&actor, &id, &req.user_id)
        .await?;
    Ok(Json(ConversationResponse::from(&c)))
}

/// `DELETE /api/v1/conversations/{id}/members/{user_id}`: access and live
/// events end at once for the removed member.
#[utoipa::path(delete, operation_id = "removeMember", path = "/api/v1/conversations/{id}/members/{user_id}", tag = "conversations",
    security(("bearer" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "The member was removed."), (status = 404, body = Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .conversations()
        .remove_member(&actor, &id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalHoldRequest {
    /// Why the conversation must be preserved (3 to 500 characters).
    pub reason: String,
}

/// `POST /api/v1/conversations/{id}/legal-hold` (role `admin`): nothing in
/// the conversation is purged or erased until the hold is cleared.
#[utoipa::path(post, operation_id = "setLegalHold", path = "/api/v1/conversations/{id}/legal-hold", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LegalHoldRequest,
    responses((status = 204, description = "The conversation is on hold."), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_legal_hold(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LegalHoldRequest>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .hippo
        .governance()
        .set_legal_hold(&actor, &id, &req.reason)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/conversations/{id}/legal-hold` (role `admin`).
#[utoipa::path(delete, operation_id = "clearLegalHold", path = "/api/v1/conversations/{id}/legal-hold", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "The hold is cleared."), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn clear_legal_hold(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .hippo
        .governance()
        .clear_legal_hold(&actor, &id)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// Why (3 to 500 characters); stored encrypted, not in the audit trail.
    pub reason: String,
}

/// `POST /api/v1/conversations/{id}/erase` (role `admin`): destroys the
/// conversation's content for good (crypto-shredding); a tombstone and the
/// audit records stay.
#[utoipa::path(post, operation_id = "eraseConversation", path = "/api/v1/conversations/{id}/erase", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EraseRequest,
    responses((status = 204, description = "The content is destroyed; a tombstone and the audit records stay."), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn erase(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EraseRequest>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .hippo
        .governance()
        .erase_conversation(&actor, &id, &req.reason)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
