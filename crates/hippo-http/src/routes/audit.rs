//! The auditor's endpoints: query, verify, export, reports. Every call is
//! itself recorded in the trail.

use crate::AppState;
use crate::extract::{ApiJson, Auth};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::enums;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use hippo_service::Principal;
use hippo_service::audit::{AuditExport, AuditQuery, ExportFormat, Report, Tally};
use hippo_service::audit_format::record_json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The audit trail, its reports and the security alerts.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(query_audit))
        .routes(routes!(verify))
        .routes(routes!(export))
        .routes(routes!(patient_access))
        .routes(routes!(user_activity))
        .routes(routes!(breach_scope))
        .routes(routes!(alerts))
        .routes(routes!(review_alert))
        .routes(routes!(resolve))
        .merge(super::audit_proofs::routes())
}

pub(super) type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

pub(super) fn query<T>(q: QueryResult<T>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            format!("bad query: {}", e.body_text()),
        )
    })
}

pub(super) fn number(raw: Option<&str>, name: &str) -> Result<Option<i64>, ApiError> {
    raw.map(|v| {
        v.trim().parse::<i64>().map_err(|_| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("{name} must be a whole number"),
            )
        })
    })
    .transpose()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<String>,
    pub after_seq: Option<String>,
}

impl AuditParams {
    fn filter(self) -> AuditQuery {
        AuditQuery {
            actor_id: self.actor_id,
            action: self.action,
            resource_id: self.resource_id,
            patient_id: self.patient_id,
            outcome: self.outcome,
            session_id: self.session_id,
            ip: self.ip,
            since: self.since,
            until: self.until,
        }
    }
}

/// One audit record, as `hippo_service::audit_format::record_json` writes
/// it (the same shape as a line of the JSON-lines export).
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the trail; the hash chain runs in this order.
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = enums::AuditAction)]
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    #[schema(value_type = enums::Outcome)]
    pub outcome: String,
    /// Ids and counts only; never content.
    #[schema(value_type = Option<Object>)]
    pub detail: serde_json::Value,
    /// The previous record's `hash`.
    pub prev_hash: String,
    /// This record's link in the hash chain.
    pub hash: String,
    /// The record's canonical bytes (base64), the Merkle tree's leaf:
    /// leaf hash = SHA-256(0x00 ‖ bytes). Laid out in docs/audit-leaf.md.
    #[schema(format = Byte)]
    pub leaf: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPageResponse {
    #[schema(value_type = Vec<AuditEvent>)]
    pub events: Vec<serde_json::Value>,
    pub next_after_seq: i64,
}

/// `GET /api/v1/audit`: records matching every given filter, oldest first.
#[utoipa::path(get, operation_id = "queryAudit", path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(("actor_id" = Option<String>, Query), ("action" = Option<enums::AuditAction>, Query),
        ("resource_id" = Option<String>, Query), ("patient_id" = Option<String>, Query),
        ("outcome" = Option<enums::Outcome>, Query),
        ("session_id" = Option<String>, Query), ("ip" = Option<String>, Query),
        ("since" = Option<String>, Query, format = DateTime, description = "inclusive"),
        ("until" = Option<String>, Query, format = DateTime, description = "exclusive"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
        ("after_seq" = Option<i64>, Query)),
    responses((status = 200, description = "A page of audit records, oldest first.", body = AuditPageResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn query_audit(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<AuditParams>,
) -> ApiResult<Json<AuditPageResponse>> {
    let params = query(params)?;
    let limit = number(params.limit.as_deref(), "limit")?;
    let after_seq = number(params.after_seq.as_deref(), "after_seq")?;
    let page = state
        .hippo
        .audit()
        .query(Principal::User(&actor), &params.filter(), after_seq, limit)
        .await?;
    Ok(Json(AuditPageResponse {
        events: page.events.iter().map(record_json).collect(),
        next_after_seq: page.next_after_seq,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    pub ok: bool,
    /// Records checked and found intact.
    pub checked: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub checkpoints_verified: usize,
    /// Records in the Merkle tree.
    pub tree_size: i64,
    /// Signed tree heads that matched the tree rebuilt from the records.
    pub tree_heads_verified: usize,
    /// Records written but not yet sequenced when the check ended.
    pub unsequenced: i64,
}

/// `GET /api/v1/audit/verify`: checks the chain, the signed checkpoints,
/// the Merkle tree and its signed heads.
#[utoipa::path(get, operation_id = "verifyAudit", path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The result of the check.", body = VerifyResponse), (status = 403, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<VerifyResponse>> {
    let r = state.hippo.audit().verify(Principal::User(&actor)).await?;
    Ok(Json(VerifyResponse {
        ok: r.ok,
        checked: r.checked,
        first_bad_seq: r.first_bad_seq,
        reason: r.reason,
        checkpoints_verified: r.checkpoints_verified,
        tree_size: r.tree_size,
        tree_heads_verified: r.tree_heads_verified,
        unsequenced: r.unsequenced,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    pub format: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// `GET /api/v1/audit/export?format=jsonl|csv|fhir&since=&until=`: the
/// records as a streamed download.
#[utoipa::path(get, operation_id = "exportAudit", path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])),
    params(("format" = enums::ExportFormat, Query),
        ("since" = Option<String>, Query, format = DateTime, description = "inclusive"),
        ("until" = Option<String>, Query, format = DateTime, description = "exclusive")),
    responses((status = 200, description = "The records, streamed as a download.", content(
            (String = "application/jsonl"), (String = "text/csv"), (Object = "application/fhir+json"))), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<ExportParams>,
) -> ApiResult<Response> {
    let params = query(params)?;
    let format = params
        .format
        .as_deref()
        .and_then(ExportFormat::parse)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                "format must be jsonl, csv or fhir",
            )
        })?;
    let export = state
        .hippo
        .audit()
        .export(
            Principal::User(&actor),
            format,
            params.since.as_deref(),
            params.until.as_deref(),
        )
        .await?;
    let stream = futures_util::stream::unfold(Some(export), |state| async move {
        let mut export: AuditExport = state?;
        match export.next_chunk().await {
            Ok(Some(text)) => Some((Ok(text), Some(export))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "audit export aborted");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    let filename = format!(
        "attachment; filename=\"hippo-audit.{}\"",
        match format {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
            ExportFormat::Fhir => "fhir.json",
        }
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TallyResponse {
    /// The actor, action, patient or `type/id` of a resource.
    pub key: String,
    pub count: u64,
    #[schema(format = DateTime)]
    pub first_at: String,
    #[schema(format = DateTime)]
    pub last_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportResponse {
    /// Matching records in all.
    pub total: u64,
    /// True when `events` stops at 10,000 (the tallies count everything).
    pub truncated: bool,
    #[schema(value_type = Vec<AuditEvent>)]
    pub events: Vec<serde_json::Value>,
    pub by_actor: Vec<TallyResponse>,
    pub by_action: Vec<TallyResponse>,
    pub patients: Vec<TallyResponse>,
    /// Conversations, messages, files, users touched (`type/id`).
    pub resources: Vec<TallyResponse>,
}

fn tallies(map: HashMap<String, Tally>) -> Vec<TallyResponse> {
    let mut v: Vec<TallyResponse> = map
        .into_iter()
        .map(|(key, t)| TallyResponse {
            key,
            count: t.count,
            first_at: t.first_at.to_rfc3339(),
            last_at: t.last_at.to_rfc3339(),
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

fn report_response(r: Report) -> ReportResponse {
    ReportResponse {
        total: r.total,
        truncated: r.truncated,
        events: r.records.iter().map(record_json).collect(),
        by_actor: tallies(r.by_actor),
        by_action: tallies(r.by_action),
        patients: tallies(r.by_patient),
        resources: tallies(r.by_resource),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowParams {
    pub since: Option<String>,
    pub until: Option<String>,
}

/// `GET /api/v1/reports/patient-access/{patient_id}`: who touched this
/// patient's information, when and how.
#[utoipa::path(get, operation_id = "reportPatientAccess", path = "/api/v1/reports/patient-access/{patient_id}", tag = "audit", security(("bearer" = [])),
    params(("patient_id" = String, Path), ("since" = Option<String>, Query, format = DateTime), ("until" = Option<String>, Query, format = DateTime)),
    responses((status = 200, description = "Who touched the patient's information.", body = ReportResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn patient_access(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(patient_id): Path<String>,
    params: QueryResult<WindowParams>,
) -> ApiResult<Json<ReportResponse>> {
    let params = query(params)?;
    let r = state
        .hippo
        .audit()
        .patient_access_report(
            &actor,
            &patient_id,
            params.since.as_deref(),
            params.until.as_deref(),
        )
        .await?;
    Ok(Json(report_response(r)))
}

/// `GET /api/v1/reports/user-activity/{user_id}`: what one account did.
#[utoipa::path(get, operation_id = "reportUserActivity", path = "/api/v1/reports/user-activity/{user_id}", tag = "audit", security(("bearer" = [])),
    params(("user_id" = String, Path), ("since" = Option<String>, Query, format = DateTime), ("until" = Option<String>, Query, format = DateTime)),
    responses((status = 200, description = "What the account did.", body = ReportResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn user_activity(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    params: QueryResult<WindowParams>,
) -> ApiResult<Json<ReportResponse>> {
    let params = query(params)?;
    let r = state
        .hippo
        .audit()
        .user_activity_report(
            &actor,
            &user_id,
            params.since.as_deref(),
            params.until.as_deref(),
        )
        .await?;
    Ok(Json(report_response(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachParams {
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// `GET /api/v1/reports/breach-scope?actor_id|session_id|ip&since&until`:
/// the patients and conversations a compromised account, session or
/// address touched, with counts.
#[utoipa::path(get, operation_id = "reportBreachScope", path = "/api/v1/reports/breach-scope", tag = "audit", security(("bearer" = [])),
    params(("actor_id" = Option<String>, Query), ("session_id" = Option<String>, Query), ("ip" = Option<String>, Query),
        ("since" = String, Query, format = DateTime), ("until" = String, Query, format = DateTime)),
    responses((status = 200, description = "What the account, session or address touched.", body = ReportResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn breach_scope(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<BreachParams>,
) -> ApiResult<Json<ReportResponse>> {
    let p = query(params)?;
    let r = state
        .hippo
        .audit()
        .breach_scope_report(
            &actor,
            AuditQuery {
                actor_id: p.actor_id,
                session_id: p.session_id,
                ip: p.ip,
                since: p.since,
                until: p.until,
                ..AuditQuery::default()
            },
        )
        .await?;
    Ok(Json(report_response(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    pub since: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertResponse {
    pub id: String,
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(value_type = enums::AlertKind)]
    pub kind: String,
    #[schema(value_type = enums::AlertSeverity)]
    pub severity: String,
    /// Ids and counts only.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// When an auditor reviewed it; null while it is open.
    #[schema(format = DateTime)]
    pub reviewed_at: Option<String>,
    /// The auditor who reviewed it.
    pub reviewed_by: Option<String>,
}

impl From<&hippo_service::alerts::AlertRow> for AlertResponse {
    fn from(r: &hippo_service::alerts::AlertRow) -> Self {
        Self {
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            id: r.id.clone(),
            at: r.at.to_rfc3339(),
            kind: r.kind.clone(),
            severity: r.severity.clone(),
            reviewed_at: r.reviewed_at.map(|t| t.to_rfc3339()),
            reviewed_by: r.reviewed_by.as_ref().map(ToString::to_string),
        }
    }
}

/// `POST /api/v1/alerts/{id}/review` (auditors): marks an alert reviewed,
/// which closes it (the compliance report lists open alerts).
#[utoipa::path(post, operation_id = "reviewAlert", path = "/api/v1/alerts/{id}/review", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The reviewed alert.", body = AlertResponse), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "`conflict`: already reviewed.", body = Problem)))]
pub async fn review_alert(
    State(state): State<AppState>,
    Auth(actor): Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<AlertResponse>> {
    let row = state.hippo.audit().review_alert(&actor, &id).await?;
    Ok(Json(AlertResponse::from(&row)))
}

#[derive(Serialize, ToSchema)]
pub struct AlertsResponse {
    pub alerts: Vec<AlertResponse>,
}

/// `GET /api/v1/alerts?since=&limit=` (auditors): security alerts, newest
/// first.
#[utoipa::path(get, operation_id = "listAlerts", path = "/api/v1/alerts", tag = "audit", security(("bearer" = [])),
    params(("since" = Option<String>, Query, format = DateTime),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, description = "Security alerts, newest first.", body = AlertsResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn alerts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<AlertParams>,
) -> ApiResult<Json<AlertsResponse>> {
    let params = query(params)?;
    let limit = number(params.limit.as_deref(), "limit")?;
    let rows = state
        .hippo
        .audit()
        .list_alerts(&actor, params.since.as_deref(), limit)
        .await?;
    Ok(Json(AlertsResponse {
        alerts: rows.iter().map(AlertResponse::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// Account ids from the trail (at most 200).
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// Patient ids from the trail (at most 200).
    #[serde(default)]
    pub patient_ids: Vec<String>,
}

/// An account named in the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedUserResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = enums::Role)]
    pub role: String,
    #[schema(value_type = enums::UserStatus)]
    pub status: String,
}

/// A patient named in the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedPatientResponse {
    pub id: String,
    pub display_name: String,
    pub mrn: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveResponse {
    /// Ids that name no account are left out.
    pub users: Vec<ResolvedUserResponse>,
    /// Ids that name no patient are left out.
    pub patients: Vec<ResolvedPatientResponse>,
}

/// `POST /api/v1/audit/resolve` (auditors): the names behind the trail's
/// ids (accounts: username, name, role, status; patients: name and MRN).
/// Recorded as `audit.resolve`: one record for the accounts, one per
/// patient (so her patient-access report shows the lookup).
#[utoipa::path(post, operation_id = "resolveAuditNames", path = "/api/v1/audit/resolve", tag = "audit", security(("bearer" = [])),
    request_body = ResolveRequest,
    responses((status = 200, description = "The accounts and patients found.", body = ResolveResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> ApiResult<Json<ResolveResponse>> {
    let r = state
        .hippo
        .audit()
        .resolve_names(&actor, &req.user_ids, &req.patient_ids)
        .await?;
    Ok(Json(ResolveResponse {
        users: r
            .users
            .into_iter()
            .map(|u| ResolvedUserResponse {
                id: u.id.to_string(),
                username: u.username,
                display_name: u.display_name,
                role: u.role.as_str().into(),
                status: u.status.as_str().into(),
            })
            .collect(),
        patients: r
            .patients
            .into_iter()
            .map(|p| ResolvedPatientResponse {
                id: p.id.to_string(),
                display_name: p.display_name,
                mrn: p.mrn,
            })
            .collect(),
    }))
}
