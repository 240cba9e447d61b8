//! The directory: find colleagues by name (messaging roles).

use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::wire::MemberResponse;
use axum::Json;
use axum::extract::{Query, State};
use hippo_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The directory search.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_directory))
}

#[derive(Deserialize)]
pub struct DirectoryParams {
    #[serde(default)]
    q: String,
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryResponse {
    /// Matches, by name.
    pub users: Vec<MemberResponse>,
}

/// `GET /api/v1/directory?q=TEXT&limit=N`: active messaging users whose
/// display name or username contains `q` (case and accents ignored).
/// Recorded as `directory.search`, without the query text.
#[utoipa::path(get, operation_id = "searchDirectory", path = "/api/v1/directory", tag = "directory", security(("bearer" = [])),
    params(("q" = String, Query, description = "1 to 100 characters"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The people found.", body = DirectoryResponse),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn search_directory(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Result<Query<DirectoryParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<DirectoryResponse>> {
    let Query(params) = params.map_err(|_| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            "q must be text and limit a whole number",
        )
    })?;
    let found = state
        .hippo
        .directory()
        .search(&actor, &params.q, params.limit)
        .await?;
    Ok(Json(DirectoryResponse {
        users: found.iter().map(MemberResponse::from).collect(),
    }))
}
