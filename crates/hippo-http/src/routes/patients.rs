//! Patients and the WhatsApp channel: registration and consent, sends
//! (202, through the outbox), templates, the outbox for operators, and
//! Meta's webhook (handshake and signed event delivery).

use crate::AppState;
use crate::extract::{ApiJson, Auth, Meta};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::wire::MessageResponse;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use hippo_core::Patient;
use hippo_service::patients::{NewPatient, PatientPatch};
use hippo_service::whatsapp::{OutboxView, Template, TemplateSend, WhatsappSend};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePatientRequest {
    pub display_name: String,
    /// E.164, e.g. `+16505551234`.
    pub phone: String,
    pub mrn: Option<String>,
    pub whatsapp_opt_in: bool,
    /// How consent was given (e.g. "signed form at front desk").
    pub opt_in_source: Option<String>,
    /// The care team besides the caller.
    #[serde(default)]
    pub member_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhiRequest {
    /// The version of the risk warning the patient was shown.
    pub warning_version: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePatientRequest {
    pub display_name: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::conversations::present")]
    #[schema(value_type = Option<String>)]
    pub mrn: Option<Option<String>>,
    pub whatsapp_opt_in: Option<bool>,
    pub opt_in_source: Option<String>,
    /// The whole care team (replaces the members).
    pub member_ids: Option<Vec<String>>,
    /// The patient asked for WhatsApp after the risk warning; `null`
    /// withdraws the request.
    #[serde(default, deserialize_with = "crate::routes::conversations::present")]
    #[schema(value_type = Option<PhiRequest>)]
    pub whatsapp_phi_request: Option<Option<PhiRequest>>,
}

#[derive(Serialize, ToSchema)]
pub struct PhiRequestResponse {
    pub warning_version: String,
    pub at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PatientResponse {
    pub id: String,
    pub display_name: String,
    pub phone: String,
    pub mrn: Option<String>,
    pub whatsapp_opt_in: bool,
    pub opt_in_at: Option<String>,
    pub opt_in_source: Option<String>,
    pub opt_in_by: Option<String>,
    pub opted_out_at: Option<String>,
    pub whatsapp_phi_request: Option<PhiRequestResponse>,
    /// When the patient last wrote (opens the 24-hour window for free text).
    pub last_inbound_at: Option<String>,
    pub conversation_id: String,
    pub member_ids: Vec<String>,
    pub created_at: String,
}

impl From<Patient> for PatientResponse {
    fn from(p: Patient) -> Self {
        Self {
            id: p.id.to_string(),
            display_name: p.display_name,
            phone: p.phone.as_str().to_owned(),
            mrn: p.mrn,
            whatsapp_opt_in: p.whatsapp_opt_in,
            opt_in_at: p.opt_in_at.map(|t| t.to_rfc3339()),
            opt_in_source: p.opt_in_source,
            opt_in_by: p.opt_in_by.map(|u| u.to_string()),
            opted_out_at: p.opted_out_at.map(|t| t.to_rfc3339()),
            whatsapp_phi_request: p.phi_request_warning_version.map(|v| PhiRequestResponse {
                warning_version: v,
                at: p.phi_request_at.map(|t| t.to_rfc3339()),
            }),
            last_inbound_at: p.last_inbound_at.map(|t| t.to_rfc3339()),
            conversation_id: p.conversation_id.to_string(),
            member_ids: p.member_ids.iter().map(ToString::to_string).collect(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PatientsResponse {
    pub patients: Vec<PatientResponse>,
}

/// `POST /api/v1/patients`: registers a patient and opens the patient's
/// conversation with the caller and `member_ids` as the care team.
#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    request_body = CreatePatientRequest,
    responses((status = 201, body = PatientResponse), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreatePatientRequest>,
) -> ApiResult<(StatusCode, Json<PatientResponse>)> {
    let patient = state
        .hippo
        .create_patient(
            &actor,
            NewPatient {
                display_name: req.display_name,
                phone: req.phone,
                mrn: req.mrn,
                whatsapp_opt_in: req.whatsapp_opt_in,
                opt_in_source: req.opt_in_source,
                member_ids: req.member_ids,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(patient.into())))
}

/// `GET /api/v1/patients`: the patients whose care team the caller is on.
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = PatientsResponse), (status = 403, body = Problem)))]
pub async fn list_patients(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<PatientsResponse>> {
    let patients = state.hippo.list_patients(&actor).await?;
    Ok(Json(PatientsResponse {
        patients: patients.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /api/v1/patients/{id}` (care team only).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PatientResponse), (status = 404, body = Problem)))]
pub async fn get_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PatientResponse>> {
    Ok(Json(state.hippo.get_patient(&actor, &id).await?.into()))
}

/// `PATCH /api/v1/patients/{id}`: details, opt-in/opt-out, care team,
/// the patient's WhatsApp request.
#[utoipa::path(patch, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdatePatientRequest,
    responses((status = 200, body = PatientResponse), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdatePatientRequest>,
) -> ApiResult<Json<PatientResponse>> {
    let patient = state
        .hippo
        .update_patient(
            &actor,
            &id,
            PatientPatch {
                display_name: req.display_name,
                phone: req.phone,
                mrn: req.mrn,
                whatsapp_opt_in: req.whatsapp_opt_in,
                opt_in_source: req.opt_in_source,
                member_ids: req.member_ids,
                whatsapp_phi_request: req
                    .whatsapp_phi_request
                    .map(|r| r.map(|r| r.warning_version)),
            },
        )
        .await?;
    Ok(Json(patient.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSendRequest {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub parameters: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatsappSendRequest {
    pub text: Option<String>,
    pub template: Option<TemplateSendRequest>,
    /// A retry with the same `client_id` returns the first message.
    pub client_id: Option<String>,
}

/// `POST /api/v1/patients/{id}/whatsapp`: queues a template or free text
/// for the patient; 202 with the message (`channel_status.state: queued`).
#[utoipa::path(post, path = "/api/v1/patients/{id}/whatsapp", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = WhatsappSendRequest,
    responses((status = 202, body = MessageResponse), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "channel_not_configured")))]
pub async fn send_whatsapp(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WhatsappSendRequest>,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    let message = state
        .hippo
        .send_whatsapp(
            &actor,
            &id,
            WhatsappSend {
                text: req.text,
                template: req.template.map(|t| TemplateSend {
                    name: t.name,
                    language: t.language,
                    parameters: t.parameters,
                }),
                client_id: req.client_id,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(MessageResponse::from(&message))))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateResponse {
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub parameter_count: i64,
    /// Marked safe to send under `notify_only`.
    pub phi_free: bool,
    pub body_text: Option<String>,
    pub synced_at: String,
}

impl From<Template> for TemplateResponse {
    fn from(t: Template) -> Self {
        Self {
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            parameter_count: t.parameter_count,
            phi_free: t.phi_free,
            body_text: t.body_text,
            synced_at: t.synced_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplatesResponse {
    pub templates: Vec<TemplateResponse>,
}

/// `GET /api/v1/whatsapp/templates`: templates as last synced.
#[utoipa::path(get, path = "/api/v1/whatsapp/templates", tag = "whatsapp", security(("bearer" = [])),
    responses((status = 200, body = TemplatesResponse), (status = 403, body = Problem)))]
pub async fn list_templates(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TemplatesResponse>> {
    let templates = state.hippo.list_templates(&actor).await?;
    Ok(Json(TemplatesResponse {
        templates: templates.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/whatsapp/templates/sync`: fetches the business account's
/// templates (every page) and caches them.
#[utoipa::path(post, path = "/api/v1/whatsapp/templates/sync", tag = "whatsapp", security(("bearer" = [])),
    responses((status = 200, body = TemplatesResponse), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn sync_templates(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TemplatesResponse>> {
    let templates = state.hippo.sync_templates(&actor).await?;
    Ok(Json(TemplatesResponse {
        templates: templates.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    pub phi_free: bool,
}

/// `PATCH /api/v1/whatsapp/templates/{name}/{language}` `{phi_free}`.
#[utoipa::path(patch, path = "/api/v1/whatsapp/templates/{name}/{language}", tag = "whatsapp", security(("bearer" = [])),
    params(("name" = String, Path), ("language" = String, Path)), request_body = TemplatePatch,
    responses((status = 200, body = TemplateResponse), (status = 404, body = Problem)))]
pub async fn update_template(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((name, language)): Path<(String, String)>,
    ApiJson(req): ApiJson<TemplatePatch>,
) -> ApiResult<Json<TemplateResponse>> {
    let t = state
        .hippo
        .set_template_phi_free(&actor, &name, &language, req.phi_free)
        .await?;
    Ok(Json(t.into()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxParams {
    /// `pending`, `sending`, `done` or `dead` (default).
    pub state: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxJobResponse {
    pub message_id: String,
    pub patient_id: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error_code: Option<i64>,
    pub last_error_title: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<OutboxView> for OutboxJobResponse {
    fn from(j: OutboxView) -> Self {
        Self {
            message_id: j.message_id.to_string(),
            patient_id: j.patient_id.to_string(),
            state: j.state.as_str().to_owned(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at.to_rfc3339(),
            last_error_code: j.last_error_code,
            last_error_title: j.last_error_title,
            created_at: j.created_at.to_rfc3339(),
            updated_at: j.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutboxResponse {
    pub jobs: Vec<OutboxJobResponse>,
}

/// `GET /api/v1/whatsapp/outbox?state=dead`: outbox jobs (no content).
#[utoipa::path(get, path = "/api/v1/whatsapp/outbox", tag = "whatsapp", security(("bearer" = [])),
    params(("state" = Option<String>, Query)),
    responses((status = 200, body = OutboxResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_outbox(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Query(params): Query<OutboxParams>,
) -> ApiResult<Json<OutboxResponse>> {
    let jobs = state
        .hippo
        .list_outbox(&actor, params.state.as_deref().unwrap_or("dead"))
        .await?;
    Ok(Json(OutboxResponse {
        jobs: jobs.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /api/v1/whatsapp/outbox/{message_id}/retry`: sends a dead job
/// again (204).
#[utoipa::path(post, path = "/api/v1/whatsapp/outbox/{message_id}/retry", tag = "whatsapp", security(("bearer" = [])),
    params(("message_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retry_outbox(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(message_id): Path<String>,
) -> ApiResult<StatusCode> {
    state.hippo.retry_outbox(&actor, &message_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct HandshakeParams {
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// `GET /webhooks/whatsapp`: Meta's verification handshake; answers the
/// challenge as plain text when the verify token matches, else 403.
#[utoipa::path(get, path = "/webhooks/whatsapp", tag = "whatsapp",
    params(("hub.mode" = Option<String>, Query), ("hub.verify_token" = Option<String>, Query), ("hub.challenge" = Option<String>, Query)),
    responses((status = 200, description = "the challenge, as text/plain"), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn webhook_handshake(
    State(state): State<AppState>,
    Query(params): Query<HandshakeParams>,
) -> ApiResult<impl IntoResponse> {
    let challenge = state.hippo.whatsapp_handshake(
        params.mode.as_deref(),
        params.verify_token.as_deref(),
        params.challenge.as_deref(),
    )?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge,
    ))
}

/// `POST /webhooks/whatsapp`: Meta's event delivery. The
/// `X-Hub-Signature-256` HMAC is checked over the raw body (401
/// `invalid_signature`); the delivery is stored durably, answered 200, and
/// applied right after.
#[utoipa::path(post, path = "/webhooks/whatsapp", tag = "whatsapp",
    request_body(content = Vec<u8>, content_type = "application/json",
        description = "Meta's event envelope, exactly as sent (the signature covers these bytes)"),
    responses((status = 200), (status = 401, body = Problem), (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn webhook_event(
    State(state): State<AppState>,
    Meta(meta): Meta,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    state
        .hippo
        .accept_whatsapp_webhook(signature, &body, &meta)
        .await?;
    Ok(StatusCode::OK)
}
