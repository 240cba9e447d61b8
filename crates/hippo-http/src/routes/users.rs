//! User administration (role `admin`): accounts, and other users' sign-in
//! sessions (list, end one user's, the organisation-wide sign-out).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_service::Principal;
use hippo_service::users::{NewUser, UserPatch, UserSessionView};
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
        .routes(routes!(list_user_sessions))
        .routes(routes!(revoke_user_sessions))
        .routes(routes!(revoke_all_sessions))
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
    q: super::audit::QueryResult<crate::routes::page::PageParams>,
) -> ApiResult<Json<UserList>> {
    let q = super::audit::query(q)?;
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
    (status = 404, body = Problem), (status = 409, description = "`conflict`: the caller's own account (another administrator must do this).", body = Problem), (status = 422, body = Problem)))]
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
    (status = 204, description = "Deactivated; every session and socket of the user ended."), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "`conflict`: the caller's own account (another administrator must do this).", body = Problem)))]
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
    (status = 200, description = "A temporary password, to give the user out of band.", body = PasswordResetResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "`conflict`: the caller's own account (another administrator must do this).", body = Problem)))]
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

/// A sign-in session of a user, as administrators see it (never its token).
#[derive(Serialize, ToSchema)]
pub struct UserSessionResponse {
    pub id: String,
    pub user_id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The last request (recorded at most once a minute).
    #[schema(format = DateTime)]
    pub last_seen_at: String,
    /// Absolute end of the session.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// When it ends if idle from now on.
    #[schema(format = DateTime)]
    pub idle_expires_at: String,
    pub ip: Option<String>,
    /// At most 120 characters.
    pub user_agent: Option<String>,
}

impl From<UserSessionView> for UserSessionResponse {
    fn from(s: UserSessionView) -> Self {
        Self {
            id: s.id.to_string(),
            user_id: s.user_id.to_string(),
            created_at: s.created_at.to_rfc3339(),
            last_seen_at: s.last_seen_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            idle_expires_at: s.idle_expires_at.to_rfc3339(),
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserSessionList {
    pub sessions: Vec<UserSessionResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionsEndedResponse {
    /// How many sign-in sessions ended (their sockets close too).
    pub sessions_ended: usize,
}

/// `GET /api/v1/users/{id}/sessions`: the user's live sign-in sessions
/// (API keys: `GET /api/v1/users/{id}/api-keys`).
#[utoipa::path(get, operation_id = "listUserSessions", path = "/api/v1/users/{id}/sessions", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The user's live sign-in sessions, oldest first.", body = UserSessionList),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_user_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<UserSessionList>> {
    let sessions = state
        .hippo
        .users()
        .list_user_sessions(Principal::User(&actor), &id)
        .await?;
    Ok(Json(UserSessionList {
        sessions: sessions
            .into_iter()
            .map(UserSessionResponse::from)
            .collect(),
    }))
}

/// `POST /api/v1/users/{id}/sessions/revoke`: every sign-in session of the
/// user ends now (sockets too); the account stays active; API keys keep
/// working. Not for the caller's own account (`/api/v1/me/sessions`).
#[utoipa::path(post, operation_id = "revokeUserSessions", path = "/api/v1/users/{id}/sessions/revoke", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The user's sign-in sessions ended.", body = SessionsEndedResponse),
    (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, description = "The caller's own account.", body = Problem)))]
pub async fn revoke_user_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionsEndedResponse>> {
    let sessions_ended = state
        .hippo
        .users()
        .revoke_user_sessions(Principal::User(&actor), &id)
        .await?;
    Ok(Json(SessionsEndedResponse { sessions_ended }))
}

/// `POST /api/v1/sessions/revoke-all`: the organisation-wide sign-out.
/// Every sign-in session of every user ends now (sockets too), except the
/// caller's current one; API keys keep working.
#[utoipa::path(post, operation_id = "revokeAllSessions", path = "/api/v1/sessions/revoke-all", tag = "users", security(("bearer" = [])),
    responses(
    (status = 200, description = "Every other sign-in session ended.", body = SessionsEndedResponse),
    (status = 403, body = Problem)))]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<SessionsEndedResponse>> {
    let sessions_ended = state
        .hippo
        .users()
        .revoke_all_sessions(Principal::User(&actor))
        .await?;
    Ok(Json(SessionsEndedResponse { sessions_ended }))
}
