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
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryResponse {
    /// Matches, by name.
    pub users: Vec<MemberResponse>,
    /// Pass as `cursor` (with the same `q`) for more; null when there are
    /// none.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/directory?q=TEXT&limit=N`: active messaging users whose
/// display name or username contains `q` (case and accents ignored).
/// Recorded as `directory.search`, without the query text.
#[utoipa::path(get, operation_id = "searchDirectory", path = "/api/v1/directory", tag = "directory", security(("bearer" = [])),
    params(("q" = String, Query, description = "1 to 100 characters"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 20"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
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
    // The cursor is the number of matches already shown (matches are in
    // name order, which a page does not change).
    let skip = match params.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                "cursor is not one this server gave; start from the first page",
            )
        })?,
    };
    let (found, more) = state
        .hippo
        .directory()
        .search(&actor, &params.q, params.limit, skip)
        .await?;
    let next_cursor = more.then(|| (skip + found.len()).to_string());
    Ok(Json(DirectoryResponse {
        users: found.iter().map(MemberResponse::from).collect(),
        next_cursor,
    }))
}
