//! Calls: ICE servers with short-lived TURN credentials, starting a call in
//! a conversation, answering, declining and hanging up. Signalling travels
//! on the stream (`call.signal` frames).

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_protocol::CallResponse;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Calls and their ICE servers.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ice_servers))
        .routes(routes!(start_call))
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(join_call))
        .routes(routes!(decline_call))
        .routes(routes!(leave_call))
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Serialize, ToSchema)]
pub struct IceServerResponse {
    pub urls: Vec<String>,
    /// TURN only: `<unix expiry>:<random id>` (never a name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN only: base64(HMAC-SHA1(secret, username)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IceServersResponse {
    pub ice_servers: Vec<IceServerResponse>,
    /// When the TURN credentials stop working.
    #[schema(format = DateTime)]
    pub expires_at: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IceQuery {
    /// How long the TURN credentials last, 1 to 600 seconds (default 600).
    pub ttl_seconds: Option<u64>,
}

/// `GET /api/v1/calls/ice-servers`: STUN and TURN for a peer connection;
/// TURN credentials valid at most ten minutes.
#[utoipa::path(get, operation_id = "getIceServers", path = "/api/v1/calls/ice-servers", tag = "calls", security(("bearer" = [])),
    params(IceQuery),
    responses((status = 200, description = "The ICE servers (empty when none are configured).", body = IceServersResponse),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn ice_servers(
    State(state): State<AppState>,
    Auth(actor): Auth,
    q: crate::routes::audit::QueryResult<IceQuery>,
) -> ApiResult<Json<IceServersResponse>> {
    let q = crate::routes::audit::query(q)?;
    let ice = state
        .hippo
        .calls()
        .ice_servers(&actor, q.ttl_seconds.map(Duration::from_secs))
        .await?;
    Ok(Json(IceServersResponse {
        ice_servers: ice
            .servers
            .into_iter()
            .map(|s| IceServerResponse {
                urls: s.urls,
                username: s.username,
                credential: s.credential.map(|c| c.to_string()),
            })
            .collect(),
        expires_at: ice.expires_at.to_rfc3339(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCallRequest {
    #[schema(value_type = hippo_protocol::enums::CallMedia)]
    pub media: String,
    /// Media only through the TURN relay, so the other party never sees
    /// this device's address (forced on by `calls_relay_only`).
    #[serde(default)]
    pub relay_only: bool,
}

/// `POST /api/v1/conversations/{id}/calls`: calls the other member.
#[utoipa::path(post, operation_id = "startCall", path = "/api/v1/conversations/{id}/calls", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StartCallRequest,
    responses(
        (status = 201, description = "The call, ringing the other member's sessions; the caller has joined from this session.", body = CallResponse),
        (status = 200, description = "A call was already going on in this conversation (both called at once): the caller joined that one.", body = CallResponse),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn start_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StartCallRequest>,
) -> ApiResult<(StatusCode, Json<CallResponse>)> {
    let (call, created) = state
        .hippo
        .calls()
        .start(&actor, &id, &req.media, req.relay_only)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(CallResponse::from(&call))))
}

#[derive(Serialize, ToSchema)]
pub struct CallList {
    pub calls: Vec<CallResponse>,
}

/// `GET /api/v1/calls`: the calls going on now that the caller is in or is
/// being rung for.
#[utoipa::path(get, operation_id = "listCalls", path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    responses((status = 200, description = "Live calls, oldest first.", body = CallList), (status = 403, body = Problem)))]
pub async fn list_calls(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<CallList>> {
    let calls = state.hippo.calls().live_for(&actor).await?;
    Ok(Json(CallList {
        calls: calls.iter().map(CallResponse::from).collect(),
    }))
}

/// `GET /api/v1/calls/{id}`
#[utoipa::path(get, operation_id = "getCall", path = "/api/v1/calls/{id}", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The call.", body = CallResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CallResponse>> {
    let call = state.hippo.calls().get(&actor, &id).await?;
    Ok(Json(CallResponse::from(&call)))
}

/// `POST /api/v1/calls/{id}/join`: answers from this session.
#[utoipa::path(post, operation_id = "joinCall", path = "/api/v1/calls/{id}/join", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Joined; the caller's other sessions stop ringing.", body = CallResponse),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn join_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CallResponse>> {
    let call = state.hippo.calls().join(&actor, &id).await?;
    Ok(Json(CallResponse::from(&call)))
}

/// `POST /api/v1/calls/{id}/decline`: declines on every session.
#[utoipa::path(post, operation_id = "declineCall", path = "/api/v1/calls/{id}/decline", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Declined; a two-party call ends.", body = CallResponse),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decline_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CallResponse>> {
    let call = state.hippo.calls().decline(&actor, &id).await?;
    Ok(Json(CallResponse::from(&call)))
}

/// `POST /api/v1/calls/{id}/leave`: hangs up.
#[utoipa::path(post, operation_id = "leaveCall", path = "/api/v1/calls/{id}/leave", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Left; a two-party call ends.", body = CallResponse),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn leave_call(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CallResponse>> {
    let call = state.hippo.calls().leave(&actor, &id).await?;
    Ok(Json(CallResponse::from(&call)))
}
