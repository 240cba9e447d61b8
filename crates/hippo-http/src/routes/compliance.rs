//! Compliance evidence for administrators and the privacy officer: the
//! access review (every account, its MFA, last sign-in and last activity)
//! the evidence report (JSON, or the printable page of `evidence_html`),
//! and the accounting of a patient's disclosures.

use crate::AppState;
use crate::extract::Auth;
use crate::problem::ApiError;
use crate::problem::{ApiResult, Problem};
use crate::routes::audit::{QueryResult, query};
use crate::routes::enums;
use crate::routes::evidence::EvidenceReportResponse;
use crate::routes::wire::UserResponse;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use hippo_service::Principal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(access_review))
        .routes(routes!(report))
        .routes(routes!(disclosures))
}

/// One account in the access review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewEntryResponse {
    pub user: UserResponse,
    /// The last successful sign-in; null if never.
    #[schema(format = DateTime)]
    pub last_sign_in_at: Option<String>,
    /// The last successful action of any kind; null if never.
    #[schema(format = DateTime)]
    pub last_activity_at: Option<String>,
    /// Active, and nothing succeeded for 90 days (counted from creation
    /// when it never did anything): review whether it still needs access.
    pub dormant: bool,
}

/// The access review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewResponse {
    #[schema(format = DateTime)]
    pub generated_at: String,
    /// Every account, oldest first.
    pub accounts: Vec<AccessReviewEntryResponse>,
}

/// `GET /api/v1/compliance/access-review`: every account with role,
/// status, MFA, last sign-in and last activity (administrators and
/// auditors); the review is recorded in the trail.
#[utoipa::path(get, operation_id = "getAccessReview", path = "/api/v1/compliance/access-review", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "Every account, oldest first, dormant ones flagged.", body = AccessReviewResponse),
        (status = 403, description = "`forbidden`: only administrators and auditors review access.", body = Problem)))]
pub async fn access_review(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<AccessReviewResponse>> {
    let entries = state
        .hippo
        .audit()
        .access_review(Principal::User(&actor))
        .await?;
    Ok(Json(AccessReviewResponse {
        generated_at: state.hippo.now().to_rfc3339(),
        accounts: entries
            .iter()
            .map(|e| AccessReviewEntryResponse {
                user: UserResponse::from(&e.user),
                last_sign_in_at: e.last_sign_in.map(|t| t.to_rfc3339()),
                last_activity_at: e.last_activity.map(|t| t.to_rfc3339()),
                dormant: e.dormant,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    pub format: Option<String>,
}

/// `GET /api/v1/compliance/report?format=json|html`: the compliance
/// evidence report (administrators and auditors): each safeguard and its
/// setting, the findings to act on, and the evidence behind them, as JSON
/// or as a printable page with charts of the last 30 days. Recorded in the
/// trail.
#[utoipa::path(get, operation_id = "getComplianceReport", path = "/api/v1/compliance/report", tag = "audit", security(("bearer" = [])),
    params(("format" = Option<enums::ReportFormat>, Query, description = "`json` (the default) or `html`, a printable page")),
    responses((status = 200, description = "The report.", content(
            (EvidenceReportResponse = "application/json"), (String = "text/html"))),
        (status = 403, description = "`forbidden`: only administrators and auditors read the report.", body = Problem),
        (status = 422, description = "`validation_failed`: an unknown format.", body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<ReportParams>,
) -> ApiResult<Response> {
    let params = query(params)?;
    let html = match params.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "format must be json or html",
            ));
        }
    };
    let report = state
        .hippo
        .audit()
        .evidence_report(Principal::User(&actor))
        .await?;
    let body = EvidenceReportResponse::from(&report);
    if !html {
        return Ok(Json(body).into_response());
    }
    Ok(super::evidence_html::html_response(
        super::evidence_html::content_security_policy(),
        super::evidence_html::render(&body),
    ))
}

/// Who made a disclosure.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscloserResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = enums::Role)]
    pub role: String,
}

/// One disclosure of the patient's information.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureResponse {
    /// The audit record's `seq` (its inclusion proof proves the entry).
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// `patient.export`, `whatsapp.send`, or the read an integration made.
    #[schema(value_type = enums::AuditAction)]
    pub action: String,
    /// `patient_copy` (a copy given to her), `whatsapp` (a message to her
    /// through Meta's WhatsApp Cloud API) or `integration` (read by a
    /// service account).
    #[schema(value_type = enums::DisclosureKind)]
    pub kind: String,
    /// Who made it; null for the operator or the server itself.
    pub by: Option<DiscloserResponse>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

/// The accounting of disclosures.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosuresResponse {
    pub patient_id: String,
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub until: String,
    /// Oldest first, at most 10,000.
    pub disclosures: Vec<DisclosureResponse>,
    pub truncated: bool,
}

/// `GET /api/v1/reports/disclosures/{patient_id}?since=&until=` (auditors):
/// the accounting of disclosures of a patient's information, six years by
/// default. Recorded in the trail.
#[utoipa::path(get, operation_id = "reportDisclosures", path = "/api/v1/reports/disclosures/{patient_id}", tag = "audit", security(("bearer" = [])),
    params(("patient_id" = String, Path),
        ("since" = Option<String>, Query, format = DateTime, description = "inclusive; default six years ago"),
        ("until" = Option<String>, Query, format = DateTime, description = "exclusive; default now")),
    responses((status = 200, description = "Every disclosure, oldest first.", body = DisclosuresResponse),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn disclosures(
    State(state): State<AppState>,
    Auth(actor): Auth,
    axum::extract::Path(patient_id): axum::extract::Path<String>,
    params: QueryResult<super::audit::WindowParams>,
) -> ApiResult<Json<DisclosuresResponse>> {
    let params = query(params)?;
    let a = state
        .hippo
        .audit()
        .disclosures_report(
            &actor,
            &patient_id,
            params.since.as_deref(),
            params.until.as_deref(),
        )
        .await?;
    Ok(Json(DisclosuresResponse {
        patient_id: a.patient_id.to_string(),
        since: a.since.to_rfc3339(),
        until: a.until.to_rfc3339(),
        truncated: a.truncated,
        disclosures: a
            .disclosures
            .into_iter()
            .map(|d| DisclosureResponse {
                seq: d.record.seq,
                at: d.record.at.to_rfc3339(),
                action: d.record.action.as_str().into(),
                kind: d.kind.as_str().into(),
                by: d.by.map(|u| DiscloserResponse {
                    id: u.id.to_string(),
                    username: u.username,
                    display_name: u.display_name,
                    role: u.role.as_str().into(),
                }),
                resource_type: d.record.resource_type,
                resource_id: d.record.resource_id,
            })
            .collect(),
    }))
}
