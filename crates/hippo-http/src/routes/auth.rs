//! Sign-in and sign-out.

use crate::AppState;
use crate::extract::{ApiJson, Auth, Meta};
use crate::problem::{ApiResult, Problem};
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hippo_service::auth::LoginInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

/// Sign-in and sign-out.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// Six digits from the authenticator; required once MFA is enrolled.
    pub totp_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token.
    pub token: String,
    /// Absolute end of the session (RFC 3339); idle timeout applies before.
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub idle_timeout_secs: u64,
    pub user: UserResponse,
    /// The token reaches only the MFA enrollment calls until enrollment is done.
    pub mfa_enrollment_required: bool,
    /// The token reaches only `POST /api/v1/me/password` until the password is changed.
    pub password_change_required: bool,
}

/// `POST /api/v1/auth/login`
#[utoipa::path(post, operation_id = "login", path = "/api/v1/auth/login", tag = "sessions", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in: the bearer token and the user.", body = LoginResponse),
    (status = 401, body = Problem, description = "invalid_credentials, mfa_required"),
    (status = 403, body = Problem, description = "account_deactivated"),
    (status = 423, body = Problem, description = "account_locked"),
    (status = 429, body = Problem, description = "rate_limited")))]
pub async fn login(
    State(state): State<AppState>,
    Meta(meta): Meta,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let input = LoginInput {
        username: req.username,
        password: Zeroizing::new(req.password),
        totp_code: req.totp_code,
    };
    let out = state.hippo.auth().login(input, &meta).await?;
    Ok(Json(LoginResponse {
        token: out.token.to_string(),
        expires_at: out.session.expires_at.to_rfc3339(),
        idle_timeout_secs: state.hippo.config().session_idle_timeout.as_secs(),
        user: UserResponse::from(&out.user),
        mfa_enrollment_required: out.mfa_enrollment_required,
        password_change_required: out.password_change_required,
    }))
}

/// `POST /api/v1/auth/logout`: the token is dead everywhere, sockets included.
#[utoipa::path(post, operation_id = "logout", path = "/api/v1/auth/logout", tag = "sessions", security(("bearer" = [])), responses(
    (status = 204, description = "Signed out; the token is dead everywhere, sockets included."), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.hippo.auth().logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
