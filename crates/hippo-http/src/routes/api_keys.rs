//! API keys of service accounts (role `admin`): create (the key is shown
//! once), list (never the key), revoke (at once, sockets too).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_service::Principal;
use hippo_service::users::{ApiKeyView, NewApiKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// API keys.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A label for administrators ("ERP bridge, production").
    pub name: String,
    /// How long the key works, such as `90d` (default) or `365d` (at most
    /// 366 days).
    pub expires_in: Option<String>,
    /// Addresses or CIDR networks uses may come from; absent: any.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// SHA-256 of the client certificate every use must present under
    /// mutual TLS (`--tls-client-ca`), 64 hex digits (colons allowed).
    pub client_cert_sha256: Option<String>,
}

/// An API key as administrators see it (never the key).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    /// The key's id: audit records of its uses carry it as `session_id`.
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[schema(value_type = enums::ApiKeyState)]
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Within a minute; null until first used.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub allowed_ips: Vec<String>,
    pub client_cert_sha256: Option<String>,
    /// The administrator who created it (null: the operator's CLI).
    pub created_by: Option<String>,
}

impl From<ApiKeyView> for ApiKeyResponse {
    fn from(k: ApiKeyView) -> Self {
        Self {
            id: k.id.to_string(),
            user_id: k.user_id.to_string(),
            name: k.name,
            state: k.state,
            created_at: k.created_at.to_rfc3339(),
            expires_at: k.expires_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
            allowed_ips: k.allowed_ips,
            client_cert_sha256: k.client_cert_sha256,
            created_by: k.created_by.map(|u| u.to_string()),
        }
    }
}

/// A new key: the only time `key` is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    pub id: String,
    pub name: String,
    /// `hpk_…`: send as `Authorization: Bearer hpk_…`. Shown once; hippo
    /// keeps only its hash.
    pub key: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Everything else about the key.
    pub api_key: ApiKeyResponse,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyListResponse {
    pub api_keys: Vec<ApiKeyResponse>,
}

/// `POST /api/v1/users/{id}/api-keys`
#[utoipa::path(post, operation_id = "createApiKey", path = "/api/v1/users/{id}/api-keys", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "A service account's id or username.")),
    request_body = CreateApiKeyRequest, responses(
    (status = 201, description = "The key, shown this once.", body = CreatedApiKeyResponse),
    (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
    (status = 422, description = "Not a service account, or a bad name, lifetime, network or fingerprint.", body = Problem)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKeyResponse>)> {
    let created = state
        .hippo
        .users()
        .create_api_key(
            Principal::User(&actor),
            &id,
            NewApiKey {
                name: req.name,
                expires_in: req.expires_in,
                allowed_ips: req.allowed_ips,
                client_cert_sha256: req.client_cert_sha256,
            },
        )
        .await?;
    let api_key = ApiKeyResponse::from(created.view);
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyResponse {
            id: api_key.id.clone(),
            name: api_key.name.clone(),
            key: created.key.to_string(),
            expires_at: api_key.expires_at.clone(),
            api_key,
        }),
    ))
}

/// `GET /api/v1/users/{id}/api-keys`
#[utoipa::path(get, operation_id = "listApiKeys", path = "/api/v1/users/{id}/api-keys", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, description = "The account's keys, oldest first, revoked and expired ones too.", body = ApiKeyListResponse),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyListResponse>> {
    let keys = state
        .hippo
        .users()
        .list_api_keys(Principal::User(&actor), &id)
        .await?;
    Ok(Json(ApiKeyListResponse {
        api_keys: keys.into_iter().map(ApiKeyResponse::from).collect(),
    }))
}

/// `DELETE /api/v1/api-keys/{id}`
#[utoipa::path(delete, operation_id = "revokeApiKey", path = "/api/v1/api-keys/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 204, description = "Revoked: requests with it fail and its sockets close now."),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .hippo
        .users()
        .revoke_api_key(Principal::User(&actor), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
