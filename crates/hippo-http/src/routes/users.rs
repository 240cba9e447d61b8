//! User administration (role `admin`).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_service::Principal;
use hippo_service::users::{NewUser, UserPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Account administration.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(reset_password))
        .routes(routes!(reset_mfa))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: Option<String>,
    #[schema(value_type = enums::Role)]
    pub role: String,
    pub password: String,
}

/// `POST /api/v1/users`
#[utoipa::path(post, operation_id = "createUser", path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    request_body = CreateUserRequest, responses(
    (status = 201, description = "The new user.", body = UserResponse), (status = 403, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserResponse>)> {
    let user = state
        .hippo
        .users()
        .create(
            Principal::User(&actor),
            NewUser {
                username: req.username,
                display_name: req.display_name,
                role: req.role,
                password: zeroize::Zeroizing::new(req.password),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserResponse::from(&user))))
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserResponse>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/users?limit=&cursor=` (default 200 a page, at most 1000)
#[utoipa::path(get, operation_id = "listUsers", path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(crate::routes::page::PageParams), responses(
    (status = 200, description = "Every account, oldest first.", body = UserList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(actor): Auth,
    q: Result<
        axum::extract::Query<crate::routes::page::PageParams>,
        axum::extract::rejection::QueryRejection,
    >,
) -> ApiResult<Json<UserList>> {
    let q = crate::routes::page::params(q)?;
    let users = state.hippo.users().list(Principal::User(&actor)).await?;
    let (users, next_cursor) =
        crate::routes::page::page(users, |u| u.id.to_string(), &q, 200, 1000)?;
    Ok(Json(UserList {
        users: users.iter().map(UserResponse::from).collect(),
        next_cursor,
    }))
}

/// `GET /api/v1/users/{id}`
#[utoipa::path(get, operation_id = "getUser", path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The user.", body = UserResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<UserResponse>> {
    let user = state
        .hippo
        .users()
        .get(Principal::User(&actor), &id)
        .await?;
    Ok(Json(UserResponse::from(&user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    #[schema(value_type = Option<enums::Role>)]
    pub role: Option<String>,
}

/// `PATCH /api/v1/users/{id}`
#[utoipa::path(patch, operation_id = "updateUser", path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateUserRequest, responses(
    (status = 200, description = "The updated user.", body = UserResponse), (status = 403, body = Problem),
    (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserResponse>> {
    let patch = UserPatch {
        display_name: req.display_name,
        role: req.role,
    };
    let user = state
        .hippo
        .users()
        .update(Principal::User(&actor), &id, patch)
        .await?;
    Ok(Json(UserResponse::from(&user)))
}

/// `POST /api/v1/users/{id}/deactivate`: every session and socket of the user
/// ends now; their history stays.
#[utoipa::path(post, operation_id = "deactivateUser", path = "/api/v1/users/{id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 204, description = "Deactivated; every session and socket of the user ended."), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .users()
        .deactivate(Principal::User(&actor), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/users/{id}/reactivate`
#[utoipa::path(post, operation_id = "reactivateUser", path = "/api/v1/users/{id}/reactivate", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 204, description = "Reactivated."), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reactivate_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .users()
        .reactivate(Principal::User(&actor), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PasswordResetResponse {
    /// Give this to the user out of band; they must change it at next sign-in.
    pub temporary_password: String,
}

/// `POST /api/v1/users/{id}/password-reset`
#[utoipa::path(post, operation_id = "resetUserPassword", path = "/api/v1/users/{id}/password-reset", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "A temporary password, to give the user out of band.", body = PasswordResetResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PasswordResetResponse>> {
    let temporary = state
        .hippo
        .users()
        .reset_password(Principal::User(&actor), &id)
        .await?;
    Ok(Json(PasswordResetResponse {
        temporary_password: temporary.to_string(),
    }))
}

/// `POST /api/v1/users/{id}/mfa-reset`: a lost authenticator. Its secret
/// and the recovery codes are removed and every session ends; the next
/// sign-in enrols again.
#[utoipa::path(post, operation_id = "resetUserMfa", path = "/api/v1/users/{id}/mfa-reset", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 204, description = "MFA removed; every session and socket of the user ended."), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reset_mfa(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .users()
        .reset_mfa(Principal::User(&actor), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
