//! Patients: registration and consent, the care team, and sends to the
//! patient on WhatsApp (202, through the outbox). The channel's operator
//! side (templates, outbox, Meta's webhook) is in `whatsapp`.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiResult, Problem};
use crate::routes::audit::QueryResult;
use crate::routes::wire::MessageResponse;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hippo_core::Patient;
use hippo_service::patients::{NewPatient, PatientPatch};
use hippo_service::whatsapp::{TemplateSend, WhatsappSend};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Patients whose care team includes the caller.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_patient, list_patients))
        .routes(routes!(get_patient, update_patient))
        .routes(routes!(send_whatsapp))
        .routes(routes!(lookup_patient))
}

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
    /// State of residence, a US postal code such as `CA` (counts the
    /// patients a breach touched per state).
    pub residence_state: Option<String>,
    /// A VIP: reads from outside the care team raise an alert.
    #[serde(default)]
    pub vip: bool,
    /// A member of the organisation's workforce: likewise.
    #[serde(default)]
    pub workforce_member: bool,
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
    /// A US postal code such as `CA`; `null` removes it.
    #[serde(default, deserialize_with = "crate::routes::conversations::present")]
    #[schema(value_type = Option<String>)]
    pub residence_state: Option<Option<String>>,
    pub vip: Option<bool>,
    pub workforce_member: Option<bool>,
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
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PatientResponse {
    pub id: String,
    pub display_name: String,
    pub phone: String,
    pub mrn: Option<String>,
    pub whatsapp_opt_in: bool,
    #[schema(format = DateTime)]
    pub opt_in_at: Option<String>,
    pub opt_in_source: Option<String>,
    pub opt_in_by: Option<String>,
    #[schema(format = DateTime)]
    pub opted_out_at: Option<String>,
    pub whatsapp_phi_request: Option<PhiRequestResponse>,
    /// When the patient last wrote (opens the 24-hour window for free text).
    #[schema(format = DateTime)]
    pub last_inbound_at: Option<String>,
    /// State of residence (a US postal code), where known.
    pub residence_state: Option<String>,
    /// Reads from outside the care team raise an alert.
    pub vip: bool,
    pub workforce_member: bool,
    pub conversation_id: String,
    pub member_ids: Vec<String>,
    #[schema(format = DateTime)]
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
            residence_state: p.residence_state,
            vip: p.vip,
            workforce_member: p.workforce_member,
            conversation_id: p.conversation_id.to_string(),
            member_ids: p.member_ids.iter().map(ToString::to_string).collect(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PatientsResponse {
    pub patients: Vec<PatientResponse>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/patients`: registers a patient and opens the patient's
/// conversation with the caller and `member_ids` as the care team.
#[utoipa::path(post, operation_id = "createPatient", path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    request_body = CreatePatientRequest,
    responses((status = 201, description = "The new patient, with their conversation.", body = PatientResponse), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreatePatientRequest>,
) -> ApiResult<(StatusCode, Json<PatientResponse>)> {
    let patient = state
        .hippo
        .patients()
        .create(
            &actor,
            NewPatient {
                display_name: req.display_name,
                phone: req.phone,
                mrn: req.mrn,
                whatsapp_opt_in: req.whatsapp_opt_in,
                opt_in_source: req.opt_in_source,
                residence_state: req.residence_state,
                vip: req.vip,
                workforce_member: req.workforce_member,
                member_ids: req.member_ids,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(patient.into())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientsQuery {
    pub conversation_id: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// `GET /api/v1/patients[?conversation_id=]`: the patients whose care team
/// the caller is on; with `conversation_id`, only the patient of that
/// conversation (none if it is not a patient's; 404 off the care team).
#[utoipa::path(get, operation_id = "listPatients", path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    params(("conversation_id" = Option<String>, Query, description = "Only the patient whose conversation this is"),
        ("limit" = Option<usize>, Query, description = "At most this many (default 200, at most 1000)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "The patients.", body = PatientsResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_patients(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: QueryResult<PatientsQuery>,
) -> ApiResult<Json<PatientsResponse>> {
    let query = super::audit::query(query)?;
    let patients = match query.conversation_id {
        Some(conv) => state
            .hippo
            .patients()
            .find_by_conversation(&actor, &conv)
            .await?
            .into_iter()
            .collect(),
        None => state.hippo.patients().list(&actor).await?,
    };
    let paging = crate::routes::page::PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let (patients, next_cursor) =
        crate::routes::page::page(patients, |p| p.id.to_string(), &paging, 200, 1000)?;
    Ok(Json(PatientsResponse {
        patients: patients.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    pub mrn: String,
}

/// A patient found by MRN: who it is and where the conversation is.
#[derive(Serialize, ToSchema)]
pub struct PatientMatchResponse {
    pub id: String,
    pub display_name: String,
    pub conversation_id: String,
    /// Already on the care team (no emergency access needed).
    pub on_care_team: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PatientMatchesResponse {
    pub patients: Vec<PatientMatchResponse>,
}

/// `GET /api/v1/patients/lookup?mrn=`: a clinician finds a patient by exact
/// MRN to open their conversation with emergency access (break-glass).
#[utoipa::path(get, operation_id = "lookupPatient", path = "/api/v1/patients/lookup", tag = "patients", security(("bearer" = [])),
    params(("mrn" = String, Query, description = "The exact medical record number")),
    responses((status = 200, description = "The patients with that MRN (usually one).", body = PatientMatchesResponse),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn lookup_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: QueryResult<LookupQuery>,
) -> ApiResult<Json<PatientMatchesResponse>> {
    let query = super::audit::query(query)?;
    let found = state
        .hippo
        .patients()
        .lookup_by_mrn(&actor, &query.mrn)
        .await?;
    Ok(Json(PatientMatchesResponse {
        patients: found
            .into_iter()
            .map(|m| PatientMatchResponse {
                id: m.id,
                display_name: m.display_name,
                conversation_id: m.conversation_id,
                on_care_team: m.on_care_team,
            })
            .collect(),
    }))
}

/// `GET /api/v1/patients/{id}` (care team only).
#[utoipa::path(get, operation_id = "getPatient", path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The patient.", body = PatientResponse), (status = 404, body = Problem)))]
pub async fn get_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PatientResponse>> {
    Ok(Json(state.hippo.patients().get(&actor, &id).await?.into()))
}

/// `PATCH /api/v1/patients/{id}`: details, opt-in/opt-out, care team,
/// the patient's WhatsApp request.
#[utoipa::path(patch, operation_id = "updatePatient", path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdatePatientRequest,
    responses((status = 200, description = "The updated patient.", body = PatientResponse), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdatePatientRequest>,
) -> ApiResult<Json<PatientResponse>> {
    let patient = state
        .hippo
        .patients()
        .update(
            &actor,
            &id,
            PatientPatch {
                display_name: req.display_name,
                phone: req.phone,
                mrn: req.mrn,
                whatsapp_opt_in: req.whatsapp_opt_in,
                opt_in_source: req.opt_in_source,
                residence_state: req.residence_state,
                vip: req.vip,
                workforce_member: req.workforce_member,
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
#[utoipa::path(post, operation_id = "sendWhatsapp", path = "/api/v1/patients/{id}/whatsapp", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = WhatsappSendRequest,
    responses((status = 202, description = "Queued: the message, `channel_status.state` `queued`.", body = MessageResponse), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "channel_not_configured: the WhatsApp channel is not set up.")))]
pub async fn send_whatsapp(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WhatsappSendRequest>,
) -> ApiResult<(StatusCode, Json<MessageResponse>)> {
    let message = state
        .hippo
        .whatsapp()
        .send(
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
