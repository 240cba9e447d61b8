//! The signed-in user: profile, MFA enrollment, password, sessions.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::wire::{SessionResponse, UserResponse};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The caller's own account.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(begin_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(change_password))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
}

/// `GET /api/v1/me`: the caller; refreshes the idle timer.
#[utoipa::path(get, operation_id = "getMe", path = "/api/v1/me", tag = "me", security(("bearer" = [])), responses(
    (status = 200, description = "The caller.", body = UserResponse), (status = 401, body = Problem)))]
pub async fn get_me(Auth(actor): Auth) -> Json<UserResponse> {
    Json(UserResponse::from(&actor.user))
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrollmentResponse {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URI for QR codes.
    pub otpauth_uri: String,
}

/// `POST /api/v1/me/mfa/totp`: starts TOTP enrollment.
#[utoipa::path(post, operation_id = "beginTotpEnrollment", path = "/api/v1/me/mfa/totp", tag = "me", security(("bearer" = [])), responses(
    (status = 200, description = "A new TOTP secret to confirm with a code.", body = TotpEnrollmentResponse), (status = 409, body = Problem)))]
pub async fn begin_totp(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TotpEnrollmentResponse>> {
    let e = state.hippo.auth().begin_totp_enrollment(&actor).await?;
    Ok(Json(TotpEnrollmentResponse {
        secret: e.secret_base32.to_string(),
        otpauth_uri: e.otpauth_uri.to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirmRequest {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct TotpConfirmResponse {
    /// Ten single-use codes, each usable once in place of `totp_code` at
    /// sign-in. Shown now and never again (only their hashes are kept).
    pub recovery_codes: Vec<String>,
}

/// `POST /api/v1/me/mfa/totp/confirm`: finishes enrollment and hands out
/// the recovery codes, once. An enrollment-only session ends here; sign in
/// again with a code.
#[utoipa::path(post, operation_id = "confirmTotpEnrollment", path = "/api/v1/me/mfa/totp/confirm", tag = "me", security(("bearer" = [])),
    request_body = TotpConfirmRequest, responses(
    (status = 200, description = "MFA enrolled; the recovery codes, shown once.", body = TotpConfirmResponse),
    (status = 422, body = Problem)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<TotpConfirmRequest>,
) -> ApiResult<Json<TotpConfirmResponse>> {
    let codes = state
        .hippo
        .auth()
        .confirm_totp_enrollment(&actor, &req.code)
        .await?;
    Ok(Json(TotpConfirmResponse {
        recovery_codes: codes.iter().map(|c| c.to_string()).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /api/v1/me/password`: other sessions end.
#[utoipa::path(post, operation_id = "changePassword", path = "/api/v1/me/password", tag = "me", security(("bearer" = [])),
    request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Password changed; the caller's other sessions ended."), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let current = zeroize::Zeroizing::new(req.current_password);
    let new = zeroize::Zeroizing::new(req.new_password);
    state
        .hippo
        .auth()
        .change_password(&actor, &current, &new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionResponse>,
}

/// `GET /api/v1/me/sessions`: the caller's live sessions.
#[utoipa::path(get, operation_id = "listMySessions", path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's live sessions.", body = SessionList)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<SessionList>> {
    actor
        .require_full()
        .map_err(crate::problem::ApiError::from)?;
    let idle = state.hippo.config().session_idle_timeout;
    let sessions = state.hippo.auth().list_sessions(&actor).await?;
    Ok(Json(SessionList {
        sessions: sessions
            .iter()
            .map(|s| SessionResponse::new(s, idle, s.id == actor.session.id))
            .collect(),
    }))
}

/// `DELETE /api/v1/me/sessions/{id}`: ends one of the caller's sessions.
#[utoipa::path(delete, operation_id = "revokeMySession", path = "/api/v1/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "The session ended."), (status = 404, body = Problem)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    actor
        .require_full()
        .map_err(crate::problem::ApiError::from)?;
    state.hippo.auth().revoke_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
