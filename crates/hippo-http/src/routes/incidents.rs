//! Breach incidents for auditors (45 CFR 164.404-410): record one from a
//! breach scope, list them with their notice deadlines, record each notice
//! as it goes out, and close them with their outcome.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_core::Timestamp;
use hippo_service::audit::incidents::{Audience, Incident, NewIncident};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get))
        .routes(routes!(record_notice))
        .routes(routes!(close))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    /// What happened, for the record (10 to 2000 characters; sealed).
    pub summary: String,
    /// The first day anyone in the organisation knew of it (or should
    /// have): the 60-day clock runs from here.
    #[schema(format = DateTime)]
    pub discovered_at: String,
    /// The scope to search the trail in: an account, a session or an
    /// address (at least one), and the window.
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub until: String,
}

/// Where the trail was searched.
#[derive(Serialize, ToSchema)]
pub struct IncidentScopeResponse {
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub until: String,
}

/// One notice: required by the law or sent anyway.
#[derive(Serialize, ToSchema)]
pub struct NoticeResponse {
    #[schema(value_type = enums::NoticeAudience)]
    pub audience: String,
    /// The section behind it (`164.404`, `164.406`, `164.408`).
    pub hipaa: String,
    /// Whether the law calls for it for this incident.
    pub required: bool,
    /// The deadline, when required.
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
    #[schema(format = DateTime)]
    pub notified_at: Option<String>,
    /// Required, not sent, and past its deadline.
    pub overdue: bool,
}

/// An incident.
#[derive(Serialize, ToSchema)]
pub struct IncidentResponse {
    pub id: String,
    pub summary: String,
    #[schema(value_type = enums::IncidentStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub discovered_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub created_by: String,
    pub scope: IncidentScopeResponse,
    /// Patients whose records the scope shows were touched.
    pub affected_count: usize,
    /// Their ids (in `GET /api/v1/incidents/{id}` only; null in lists).
    pub affected_patient_ids: Option<Vec<String>>,
    /// Affected patients per state of residence (`unknown` for those
    /// without one).
    pub by_state: BTreeMap<String, u64>,
    pub notices: Vec<NoticeResponse>,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    #[schema(value_type = Option<enums::IncidentOutcome>)]
    pub outcome: Option<String>,
    pub close_note: Option<String>,
}

fn incident_response(i: Incident, now: Timestamp, with_ids: bool) -> IncidentResponse {
    let notices = Audience::ALL
        .into_iter()
        .filter_map(|a| {
            let required = i.obligations.iter().find(|o| o.audience == a);
            let notified = i.notified.get(&a).copied();
            if required.is_none() && notified.is_none() {
                return None;
            }
            Some(NoticeResponse {
                audience: a.as_str().into(),
                hipaa: a.hipaa().into(),
                required: required.is_some(),
                due_at: required.map(|o| o.due.to_rfc3339()),
                notified_at: notified.map(Timestamp::to_rfc3339),
                overdue: i.closed_at.is_none() && required.is_some_and(|o| o.overdue(now)),
            })
        })
        .collect();
    IncidentResponse {
        status: i.status(now).into(),
        id: i.id,
        summary: i.summary,
        discovered_at: i.discovered_at.to_rfc3339(),
        created_at: i.created_at.to_rfc3339(),
        created_by: i.created_by.to_string(),
        scope: IncidentScopeResponse {
            actor_id: i.scope.actor_id,
            session_id: i.scope.session_id,
            ip: i.scope.ip,
            since: i.scope.since,
            until: i.scope.until,
        },
        affected_count: i.affected_patients.len(),
        affected_patient_ids: with_ids.then_some(i.affected_patients),
        by_state: i.by_state,
        notices,
        closed_at: i.closed_at.map(Timestamp::to_rfc3339),
        closed_by: i.closed_by.map(|u| u.to_string()),
        outcome: i.outcome.map(|o| o.as_str().into()),
        close_note: i.close_note,
    }
}

/// `POST /api/v1/incidents` (auditors): records an incident, with the
/// patients the breach scope shows touched, and tells the covered entity
/// (webhook `incident.opened`).
#[utoipa::path(post, operation_id = "createIncident", path = "/api/v1/incidents", tag = "audit", security(("bearer" = [])),
    request_body = CreateIncidentRequest,
    responses((status = 201, description = "The incident, with its notices and deadlines.", body = IncidentResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreateIncidentRequest>,
) -> ApiResult<(StatusCode, Json<IncidentResponse>)> {
    let audit = state.hippo.audit();
    let incident = audit
        .open_incident(
            &actor,
            NewIncident {
                summary: req.summary,
                discovered_at: req.discovered_at,
                actor_id: req.actor_id,
                session_id: req.session_id,
                ip: req.ip,
                since: Some(req.since),
                until: Some(req.until),
            },
        )
        .await?;
    let now = state.hippo.now();
    Ok((
        StatusCode::CREATED,
        Json(incident_response(incident, now, true)),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct IncidentsResponse {
    pub incidents: Vec<IncidentResponse>,
}

/// `GET /api/v1/incidents` (auditors): every incident, newest discovery
/// first; with the ones of earlier years, the breach log HHS asks for.
#[utoipa::path(get, operation_id = "listIncidents", path = "/api/v1/incidents", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The incidents.", body = IncidentsResponse), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<IncidentsResponse>> {
    let incidents = state.hippo.audit().list_incidents(&actor).await?;
    let now = state.hippo.now();
    Ok(Json(IncidentsResponse {
        incidents: incidents
            .into_iter()
            .map(|i| incident_response(i, now, false))
            .collect(),
    }))
}

/// `GET /api/v1/incidents/{id}` (auditors): one incident with the ids of
/// the affected patients.
#[utoipa::path(get, operation_id = "getIncident", path = "/api/v1/incidents/{id}", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The incident.", body = IncidentResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentResponse>> {
    let incident = state.hippo.audit().get_incident(&actor, &id).await?;
    Ok(Json(incident_response(incident, state.hippo.now(), true)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    #[schema(value_type = enums::NoticeAudience)]
    pub audience: String,
    /// When it went out; now when left out.
    #[schema(format = DateTime)]
    pub notified_at: Option<String>,
}

/// `POST /api/v1/incidents/{id}/notices` (auditors): records that the
/// individuals, HHS or the media were notified (webhook
/// `incident.updated`).
#[utoipa::path(post, operation_id = "recordIncidentNotice", path = "/api/v1/incidents/{id}/notices", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NoticeRequest,
    responses((status = 200, description = "The incident.", body = IncidentResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_notice(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoticeRequest>,
) -> ApiResult<Json<IncidentResponse>> {
    let incident = state
        .hippo
        .audit()
        .record_incident_notice(&actor, &id, &req.audience, req.notified_at.as_deref())
        .await?;
    Ok(Json(incident_response(incident, state.hippo.now(), true)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIncidentRequest {
    #[schema(value_type = enums::IncidentOutcome)]
    pub outcome: String,
    /// The risk assessment, or how the notices went (1 to 2000
    /// characters; sealed).
    pub note: String,
}

/// `POST /api/v1/incidents/{id}/close` (auditors): closes an incident as
/// `notified` (every required notice recorded) or `low_probability` (the
/// risk assessment of 164.402(2)).
#[utoipa::path(post, operation_id = "closeIncident", path = "/api/v1/incidents/{id}/close", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CloseIncidentRequest,
    responses((status = 200, description = "The closed incident.", body = IncidentResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseIncidentRequest>,
) -> ApiResult<Json<IncidentResponse>> {
    let incident = state
        .hippo
        .audit()
        .close_incident(&actor, &id, &req.outcome, &req.note)
        .await?;
    Ok(Json(incident_response(incident, state.hippo.now(), true)))
}
