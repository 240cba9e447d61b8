//! Break-glass: emergency access for clinicians, and the auditors' review
//! queue.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::extract::{Path, Query, State};
use hippo_core::ErrorCode;
use hippo_service::break_glass::BreakGlassGrant;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Emergency access and its review.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(queue))
        .routes(routes!(review))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// Why access is needed (10 to 500 characters); shown to auditors.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct GrantResponse {
    pub id: String,
    pub conversation_id: String,
    pub user_id: String,
    pub reason: String,
    #[schema(format = DateTime)]
    pub opened_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime)]
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
}

impl From<BreakGlassGrant> for GrantResponse {
    fn from(g: BreakGlassGrant) -> Self {
        Self {
            id: g.id,
            conversation_id: g.conversation_id.to_string(),
            user_id: g.user_id.to_string(),
            reason: g.reason,
            opened_at: g.opened_at.to_rfc3339(),
            expires_at: g.expires_at.to_rfc3339(),
            reviewed_at: g.reviewed_at.map(|t| t.to_rfc3339()),
            reviewed_by: g.reviewed_by.map(|u| u.to_string()),
            review_note: g.review_note,
        }
    }
}

/// `POST /api/v1/conversations/{id}/break-glass`: time-limited read access
/// for a clinician who is not a member; flagged for review.
#[utoipa::path(post, operation_id = "openBreakGlass", path = "/api/v1/conversations/{id}/break-glass", tag = "break-glass", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = OpenRequest,
    responses((status = 200, description = "Access granted until `expires_at`; flagged for review.", body = GrantResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OpenRequest>,
) -> ApiResult<Json<GrantResponse>> {
    let grant = state
        .hippo
        .governance()
        .open_break_glass(&actor, &id, &req.reason)
        .await?;
    Ok(Json(grant.into()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// `pending` (default) or `all`.
    pub status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QueueResponse {
    pub grants: Vec<GrantResponse>,
}

/// `GET /api/v1/break-glass?status=pending|all` (auditors): the review queue.
#[utoipa::path(get, operation_id = "listBreakGlassGrants", path = "/api/v1/break-glass", tag = "break-glass", security(("bearer" = [])),
    params(("status" = Option<enums::GrantFilter>, Query, description = "default `pending`")),
    responses((status = 200, description = "The grants.", body = QueueResponse), (status = 403, body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Result<Query<QueueParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<QueueResponse>> {
    let Query(params) = params.map_err(|e| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            format!("bad query: {}", e.body_text()),
        )
    })?;
    let pending_only = match params.status.as_deref() {
        None | Some("pending") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "status must be pending or all",
            ));
        }
    };
    let grants = state
        .hippo
        .governance()
        .break_glass_queue(&actor, pending_only)
        .await?;
    Ok(Json(QueueResponse {
        grants: grants.into_iter().map(GrantResponse::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The auditor's finding (1 to 2000 characters).
    pub note: String,
}

/// `POST /api/v1/break-glass/{id}/review` (auditors): marks a grant reviewed.
#[utoipa::path(post, operation_id = "reviewBreakGlass", path = "/api/v1/break-glass/{id}/review", tag = "break-glass", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReviewRequest,
    responses((status = 200, description = "The reviewed grant.", body = GrantResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn review(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> ApiResult<Json<GrantResponse>> {
    let grant = state
        .hippo
        .governance()
        .review_break_glass(&actor, &id, &req.note)
        .await?;
    Ok(Json(grant.into()))
}
