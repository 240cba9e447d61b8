//! Sign-in and sign-out, for bearer tokens and for browser (cookie)
//! sessions; `GET /api/v1/auth/session` lets a reloaded web client resume.

use crate::AppState;
use crate::browser;
use crate::extract::{ApiJson, Auth, CookieSession, Meta};
use crate::problem::{ApiResult, Problem};
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
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
        .routes(routes!(current_session))
}

/// How the session is handed to the client.
#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionTransport {
    /// The token in the body, for `Authorization: Bearer` (the default).
    #[default]
    Bearer,
    /// An HttpOnly `__Host-hippo_session` cookie plus a `csrf_token` to send
    /// as `X-CSRF-Token` (the web client).
    Cookie,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// Six digits from the authenticator, or one of the recovery codes
    /// (spent by this use); required once MFA is enrolled.
    pub totp_code: Option<String>,
    /// `cookie` for the web client; `bearer` (the default) otherwise.
    #[serde(default)]
    pub session: SessionTransport,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token (absent for a cookie session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For a cookie session: send it as `X-CSRF-Token` on every request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// Absolute end of the session (RFC 3339); idle timeout applies before.
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub idle_timeout_secs: u64,
    /// The largest file `POST /api/v1/attachments` accepts, so a client
    /// can say so before uploading.
    pub max_upload_bytes: u64,
    pub user: UserResponse,
    /// The token reaches only the MFA enrollment calls until enrollment is done.
    pub mfa_enrollment_required: bool,
    /// The token reaches only `POST /api/v1/me/password` until the password is changed.
    pub password_change_required: bool,
}

impl LoginResponse {
    /// The answer for a session, without its token or CSRF token (the
    /// transport adds the one it uses).
    fn of(state: &AppState, user: &hippo_core::User, session: &hippo_core::Session) -> Self {
        use hippo_core::SessionScope;
        Self {
            token: None,
            csrf_token: None,
            expires_at: session.expires_at.to_rfc3339(),
            idle_timeout_secs: state.hippo.config().session_idle_timeout.as_secs(),
            max_upload_bytes: state.hippo.config().max_upload,
            user: UserResponse::from(user),
            mfa_enrollment_required: session.scope == SessionScope::MfaEnrollment,
            password_change_required: session.scope == SessionScope::PasswordChange,
        }
    }
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
) -> ApiResult<Response> {
    let input = LoginInput {
        username: req.username,
        password: Zeroizing::new(req.password),
        totp_code: req.totp_code,
    };
    let out = state.hippo.auth().login(input, &meta).await?;
    let body = LoginResponse::of(&state, &out.user, &out.session);
    Ok(match req.session {
        SessionTransport::Bearer => Json(LoginResponse {
            token: Some(out.token.to_string()),
            ..body
        })
        .into_response(),
        SessionTransport::Cookie => {
            let lifetime = out.session.expires_at.as_millis() - out.session.created_at.as_millis();
            let cookie = browser::set_cookie(&out.token, lifetime.div_euclid(1000));
            let body = LoginResponse {
                csrf_token: Some(hippo_crypto::token::csrf_token(&out.token)),
                ..body
            };
            ([(header::SET_COOKIE, cookie)], Json(body)).into_response()
        }
    })
}

/// `GET /api/v1/auth/session`: the browser session of the cookie, with its
/// CSRF token, so a reloaded web client resumes without signing in again
/// (the only cookie call that needs no `X-CSRF-Token`).
#[utoipa::path(get, operation_id = "getBrowserSession", path = "/api/v1/auth/session", tag = "sessions", security(("browser_session" = [])), responses(
    (status = 200, description = "The cookie's live session: the same body as a cookie sign-in.", body = LoginResponse),
    (status = 401, body = Problem, description = "unauthenticated, session_expired")))]
pub async fn current_session(
    State(state): State<AppState>,
    CookieSession(actor, token): CookieSession,
) -> Json<LoginResponse> {
    Json(LoginResponse {
        csrf_token: Some(hippo_crypto::token::csrf_token(&token)),
        ..LoginResponse::of(&state, &actor.user, &actor.session)
    })
}

/// `POST /api/v1/auth/logout`: the token is dead everywhere, sockets included.
#[utoipa::path(post, operation_id = "logout", path = "/api/v1/auth/logout", tag = "sessions", security(("bearer" = [])), responses(
    (status = 204, description = "Signed out; the token is dead everywhere, sockets included."), (status = 401, body = Problem)))]
pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    state.hippo.auth().logout(&actor).await?;
    // Harmless for bearer clients; a browser drops its cookie.
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, browser::clear_cookie())],
    )
        .into_response())
}
