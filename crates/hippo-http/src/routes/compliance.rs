//! Compliance evidence for administrators and the privacy officer: the
//! access review (every account, its MFA, last sign-in and last activity).

use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiResult, Problem};
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::State;
use hippo_service::Principal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(access_review))
}

/// One account in the access review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewEntryResponse {
    pub user: UserResponse,
    /// The last successful sign-in; null if never.
    #[schema(format = DateTime)]
    pub last_sign_in_at: Option<String>,
    /// The last successful action of any kind; null if never.
    #[schema(format = DateTime)]
    pub last_activity_at: Option<String>,
    /// Active, and nothing succeeded for 90 days (counted from creation
    /// when it never did anything): review whether it still needs access.
    pub dormant: bool,
}

/// The access review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewResponse {
    #[schema(format = DateTime)]
    pub generated_at: String,
    /// Every account, oldest first.
    pub accounts: Vec<AccessReviewEntryResponse>,
}

/// `GET /api/v1/compliance/access-review`: every account with role,
/// status, MFA, last sign-in and last activity (administrators and
/// auditors); the review is recorded in the trail.
#[utoipa::path(get, operation_id = "getAccessReview", path = "/api/v1/compliance/access-review", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "Every account, oldest first, dormant ones flagged.", body = AccessReviewResponse),
        (status = 403, description = "`forbidden`: only administrators and auditors review access.", body = Problem)))]
pub async fn access_review(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<AccessReviewResponse>> {
    let entries = state
        .hippo
        .audit()
        .access_review(Principal::User(&actor))
        .await?;
    Ok(Json(AccessReviewResponse {
        generated_at: state.hippo.now().to_rfc3339(),
        accounts: entries
            .iter()
            .map(|e| AccessReviewEntryResponse {
                user: UserResponse::from(&e.user),
                last_sign_in_at: e.last_sign_in.map(|t| t.to_rfc3339()),
                last_activity_at: e.last_activity.map(|t| t.to_rfc3339()),
                dormant: e.dormant,
            })
            .collect(),
    }))
}
