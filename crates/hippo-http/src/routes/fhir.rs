//! FHIR R4 for EHR integrators, under `/fhir/r4` (outside `/api/v1`, like
//! `/webhooks/whatsapp`): `GET Communication` (a patient conversation's
//! messages), `POST CommunicationRequest` (an alert becomes a message to a
//! care team) and `GET metadata` (the CapabilityStatement, public).
//!
//! These endpoints speak FHIR, not the API's dialect: answers are
//! `application/fhir+json; charset=utf-8`, bodies may be
//! `application/fhir+json` or `application/json`, and every failure —
//! sign-in, access, a malformed resource, storage — is an
//! `OperationOutcome` whose issue carries hippo's stable error code
//! (`details.coding`, system `https://hippo.invalid/problems`). The status
//! of a service error still comes from `problem::status_of`, so both
//! dialects answer the same failure with the same status. Sign-in is the
//! API's: a Bearer session token or `hpk_` API key (or the web client's
//! cookie with its CSRF header).

use crate::AppState;
use crate::problem::{ApiError, status_of};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use hippo_service::Actor;
use hippo_service::fhir::resources::{FHIR_JSON, Origin, operation_outcome};
use hippo_service::fhir::{CommunicationSearch, FhirError, Issue, capability_statement};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The FHIR endpoints.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_communication))
        .routes(routes!(create_communication_request))
        .routes(routes!(get_fhir_metadata))
}

/// A FHIR R4 resource in JSON (<https://hl7.org/fhir/R4/json.html>): its
/// `resourceType` and elements (CommunicationRequest, CapabilityStatement).
#[derive(Debug, Serialize, ToSchema)]
pub struct FhirResource {
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    #[serde(flatten)]
    pub elements: BTreeMap<String, Value>,
}

/// A `searchset` Bundle (<https://hl7.org/fhir/R4/bundle.html>).
#[derive(Debug, Serialize, ToSchema)]
pub struct FhirBundle {
    /// `Bundle`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    /// `searchset`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `self`, and `next` while more pages remain.
    pub link: Vec<FhirBundleLink>,
    /// Absent on an empty page (FHIR JSON has no empty arrays).
    pub entry: Option<Vec<FhirBundleEntry>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FhirBundleLink {
    pub relation: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FhirBundleEntry {
    #[serde(rename = "fullUrl")]
    pub full_url: String,
    /// A Communication.
    pub resource: FhirResource,
    /// `{"mode": "match"}`.
    pub search: Option<Value>,
}

/// How bad an OperationOutcome issue is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Fatal,
    Error,
    Warning,
    Information,
}

/// An OperationOutcome (<https://hl7.org/fhir/R4/operationoutcome.html>):
/// how every FHIR endpoint answers a failure.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationOutcome {
    /// `OperationOutcome`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    pub issue: Vec<OperationOutcomeIssue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationOutcomeIssue {
    pub severity: IssueSeverity,
    /// The FHIR issue type (`invalid`, `structure`, `required`, `value`,
    /// `code-invalid`, `not-found`, `not-supported`, `business-rule`,
    /// `login`, `expired`, `forbidden`, `too-long`, `throttled`,
    /// `transient`, `exception`, `informational`…).
    pub code: String,
    /// hippo's stable error code: `{"coding": [{"system":
    /// "https://hippo.invalid/problems", "code": "validation_failed"}]}`.
    pub details: Option<Value>,
    pub diagnostics: Option<String>,
    /// Where: a FHIRPath such as `CommunicationRequest.payload[0].contentString`.
    pub expression: Option<Vec<String>>,
}

/// The FHIR issue type for one of hippo's error codes.
fn issue_type(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidCredentials
        | ErrorCode::MfaRequired
        | ErrorCode::Unauthenticated
        | ErrorCode::InvalidSignature => "login",
        ErrorCode::SessionExpired => "expired",
        ErrorCode::MfaEnrollmentRequired
        | ErrorCode::PasswordChangeRequired
        | ErrorCode::AccountDeactivated
        | ErrorCode::Forbidden => "forbidden",
        ErrorCode::AccountLocked => "security",
        ErrorCode::NotFound => "not-found",
        ErrorCode::MethodNotAllowed | ErrorCode::UnsupportedMediaType => "not-supported",
        ErrorCode::ValidationFailed => "invalid",
        ErrorCode::Conflict => "conflict",
        ErrorCode::PayloadTooLarge => "too-long",
        ErrorCode::RateLimited => "throttled",
        ErrorCode::OutsideServiceWindow
        | ErrorCode::TemplateNotApproved
        | ErrorCode::NotOptedIn
        | ErrorCode::ChannelPolicy => "business-rule",
        ErrorCode::ChannelNotConfigured | ErrorCode::Unavailable => "transient",
        ErrorCode::Internal => "exception",
    }
}

/// A failed FHIR interaction, answered as an OperationOutcome.
#[derive(Debug)]
pub struct FhirFailure {
    status: StatusCode,
    issues: Vec<Issue>,
    code: ErrorCode,
    retry_after: Option<u64>,
}

impl FhirFailure {
    fn new(code: ErrorCode, status: StatusCode, issue: Issue) -> Self {
        Self {
            status,
            issues: vec![issue],
            code,
            retry_after: None,
        }
    }
}

impl From<ApiError> for FhirFailure {
    fn from(e: ApiError) -> Self {
        Self {
            status: e.status.unwrap_or_else(|| status_of(e.code)),
            issues: vec![Issue::new(issue_type(e.code), e.detail)],
            code: e.code,
            retry_after: e.retry_after,
        }
    }
}

impl From<FhirError> for FhirFailure {
    fn from(e: FhirError) -> Self {
        let (status, issues) = match e {
            FhirError::Invalid(issues) => (StatusCode::BAD_REQUEST, issues),
            FhirError::Unprocessable(issues) => (StatusCode::UNPROCESSABLE_ENTITY, issues),
            // Internals are logged there, never sent.
            FhirError::Service(e) => return ApiError::from(e).into(),
        };
        // An unknown (or not-yours) patient or conversation keeps the
        // API's `not_found`; everything else is `validation_failed`.
        let code = if issues.iter().all(|i| i.code == "not-found") {
            ErrorCode::NotFound
        } else {
            ErrorCode::ValidationFailed
        };
        Self {
            status,
            issues,
            code,
            retry_after: None,
        }
    }
}

impl IntoResponse for FhirFailure {
    fn into_response(self) -> Response {
        let body = operation_outcome("error", &self.issues, Some(self.code.as_str()));
        let mut resp = fhir_json(self.status, &body);
        let headers = resp.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    resp
}

/// The signed-in actor, as [`crate::extract::Auth`] finds it, refusing
/// with an OperationOutcome.
pub struct FhirAuth(pub Actor);

impl FromRequestParts<AppState> for FhirAuth {
    type Rejection = FhirFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (actor, _) = crate::extract::authenticate(parts, state, true).await?;
        Ok(FhirAuth(actor))
    }
}

/// `https://<host>` as the request addressed this server (the `Host`
/// header, or the HTTP/2 authority), for absolute links; `None` when it is
/// missing or not a plain host name. Always `https`: hippo serves TLS, or
/// sits behind a proxy that does.
fn origin(headers: &HeaderMap, uri: &Uri) -> Origin {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    Origin(
        host.filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .map(|h| format!("https://{h}")),
    )
}

fn is_fhir_json(media: &str) -> bool {
    matches!(
        media,
        "application/fhir+json" | "application/json" | "application/json+fhir"
    )
}

/// 406 unless the caller accepts FHIR JSON (`Accept`, or `_format`).
fn negotiate(headers: &HeaderMap, format: Option<&str>) -> Result<(), FhirFailure> {
    let not_acceptable = || {
        FhirFailure::new(
            ErrorCode::UnsupportedMediaType,
            StatusCode::NOT_ACCEPTABLE,
            Issue::new("not-supported", "hippo answers application/fhir+json only"),
        )
    };
    if let Some(f) = format
        && !(f == "json" || is_fhir_json(f))
    {
        return Err(not_acceptable());
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|range| {
        let media = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media == "*/*" || media == "application/*" || is_fhir_json(&media)
    });
    if ok { Ok(()) } else { Err(not_acceptable()) }
}

/// 415 unless the body is `application/fhir+json` or `application/json`.
fn content_type(headers: &HeaderMap) -> Result<(), FhirFailure> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some(m) if is_fhir_json(m) => Ok(()),
        _ => Err(FhirFailure::new(
            ErrorCode::UnsupportedMediaType,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Issue::new(
                "not-supported",
                "send Content-Type: application/fhir+json (or application/json)",
            ),
        )),
    }
}

/// `GET /fhir/r4/Communication?patient=<id>&_since=<instant>&_count=N`:
/// the patient conversation's messages as a `searchset` Bundle of
/// Communication, oldest first, with a `next` link while more remain. For
/// the patient's care team only (anyone else: 404, recorded as denied);
/// each page is recorded as `conversation.read` with `"via": "fhir"`.
#[utoipa::path(get, operation_id = "searchCommunication", path = "/fhir/r4/Communication", tag = "fhir", security(("bearer" = [])),
    params(
        ("patient" = Option<String>, Query, description = "The patient, as `<id>` or `Patient/<id>` (this or `subject` is required)."),
        ("subject" = Option<String>, Query, description = "The same as `patient`, as `Patient/<id>`."),
        ("_since" = Option<String>, Query, format = DateTime, description = "Only messages sent, edited, recalled or whose WhatsApp status changed at or after this instant."),
        ("_count" = Option<i64>, Query, description = "Entries per page: default 50, at most 500."),
        ("_cursor" = Option<i64>, Query, description = "Where the next page starts (from a `next` link)."),
        ("_format" = Option<String>, Query, description = "`json` or `application/fhir+json` (nothing else is served).")),
    responses(
        (status = 200, description = "A `searchset` Bundle of Communication.", body = FhirBundle, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a missing, repeated, malformed or unsupported search parameter.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid bearer token.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome: the caller's role may not read messages.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such patient on the caller's care teams.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 406, description = "OperationOutcome: the caller does not accept FHIR JSON.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "OperationOutcome: storage is unreachable; retry.", body = OperationOutcome, content_type = "application/fhir+json")))]
pub async fn search_communication(
    State(state): State<AppState>,
    FhirAuth(actor): FhirAuth,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, FhirFailure> {
    let Query(params) = query.map_err(|e| {
        FhirFailure::from(FhirError::invalid(Issue::new("structure", e.body_text())))
    })?;
    let format = params
        .iter()
        .find(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str());
    negotiate(&headers, format)?;
    let search = CommunicationSearch::parse(&params)?;
    let page = state
        .hippo
        .fhir()
        .search_communications(&actor, &search, &origin(&headers, &uri))
        .await?;
    Ok(fhir_json(StatusCode::OK, &page.bundle))
}

/// `POST /fhir/r4/CommunicationRequest`: a CommunicationRequest becomes a
/// message (through the same send as `sendMessage`: audited, sequenced,
/// webhooks) to the patient's care team (`subject` = `Patient/<id>`) or to
/// the conversation a `recipient` names (`Group/<conversation id>`). A
/// retry with the same `identifier[0].value` returns the first message.
/// 201 with the accepted request (its `id` is the message's), or with no
/// body for `Prefer: return=minimal`, or an OperationOutcome for
/// `Prefer: return=OperationOutcome`; `Location` names it.
#[utoipa::path(post, operation_id = "createCommunicationRequest", path = "/fhir/r4/CommunicationRequest", tag = "fhir", security(("bearer" = [])),
    request_body(content = FhirResource, content_type = "application/fhir+json",
        description = "A FHIR R4 CommunicationRequest (`application/json` is accepted too)."),
    responses(
        (status = 201, description = "Sent: the accepted CommunicationRequest, `status` completed, `id` the message's.", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: not JSON, not a CommunicationRequest, or not valid FHIR R4 (each issue names the element).", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid bearer token.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome: the caller's role may not send messages.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 406, description = "OperationOutcome: the caller does not accept FHIR JSON.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "OperationOutcome: the body is too large.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "OperationOutcome: the body is not FHIR JSON.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "OperationOutcome: valid FHIR hippo cannot act on: an unknown patient or conversation (or one whose care team the caller is not on), no text, a status other than active, an unsupported recipient.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "OperationOutcome: storage is unreachable; retry.", body = OperationOutcome, content_type = "application/fhir+json")))]
pub async fn create_communication_request(
    State(state): State<AppState>,
    FhirAuth(actor): FhirAuth,
    headers: HeaderMap,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, FhirFailure> {
    negotiate(&headers, None)?;
    content_type(&headers)?;
    let body = body.map_err(|e| {
        let (code, text) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (ErrorCode::PayloadTooLarge, "request body too large")
        } else {
            (
                ErrorCode::ValidationFailed,
                "could not read the request body",
            )
        };
        FhirFailure::from(ApiError::new(code, text).with_status(e.status()))
    })?;
    let created = state
        .hippo
        .fhir()
        .create_communication_request(&actor, &body)
        .await?;
    let location = format!(
        "{}/CommunicationRequest/{}/_history/1",
        origin(&headers, &uri).fhir_base(),
        created.id
    );
    let prefer = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut resp = if prefer.contains("return=minimal") {
        let mut r = StatusCode::CREATED.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
        r
    } else if prefer.contains("return=OperationOutcome") {
        let note = Issue::new("informational", format!("sent as message {}", created.id));
        fhir_json(
            StatusCode::CREATED,
            &operation_outcome("information", &[note], None),
        )
    } else {
        fhir_json(StatusCode::CREATED, &created.resource)
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::ETAG, HeaderValue::from_static("W/\"1\""));
    Ok(resp)
}

/// `GET /fhir/r4/metadata`: the CapabilityStatement (FHIR 4.0.1, JSON, the
/// two resources and their interactions). Public: it says what the server
/// does, nothing about anyone's data.
#[utoipa::path(get, operation_id = "getFhirMetadata", path = "/fhir/r4/metadata", tag = "fhir",
    params(("_format" = Option<String>, Query, description = "`json` or `application/fhir+json`.")),
    responses(
        (status = 200, description = "The CapabilityStatement.", body = FhirResource, content_type = "application/fhir+json"),
        (status = 406, description = "OperationOutcome: the caller does not accept FHIR JSON.", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "OperationOutcome: the server is not ready; retry.", body = OperationOutcome, content_type = "application/fhir+json")))]
pub async fn get_fhir_metadata(
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, FhirFailure> {
    let params = query.map(|Query(p)| p).unwrap_or_default();
    let format = params
        .iter()
        .find(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str());
    negotiate(&headers, format)?;
    Ok(fhir_json(
        StatusCode::OK,
        &capability_statement(&origin(&headers, &uri)),
    ))
}
