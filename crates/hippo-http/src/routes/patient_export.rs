//! `GET /api/v1/patients/{id}/export`: the patient's copy of her messages
//! (HIPAA §164.524), as the FHIR R4 Bundle the service builds or as a
//! readable page rendered here ([`render`], also used by `hippo patient
//! export --format html`): her messages oldest first with who sent them,
//! and her files (images shown inline as `data:` URIs, the rest named with
//! their size and SHA-256; their bytes are in the FHIR Bundle). The page
//! has no script and allows only its own style.

use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::audit::{QueryResult, query};
use crate::routes::enums;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hippo_core::ErrorCode;
use hippo_service::Principal;
use hippo_service::fhir::export::PatientRecord;
use serde::Deserialize;
use std::fmt::Write as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_patient))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    pub format: Option<String>,
}

/// `GET /api/v1/patients/{id}/export?format=fhir|html` (the patient's care
/// team): every message to and from the patient with its files, as a
/// FHIR R4 `collection` Bundle (`Patient`, then one `Communication` per
/// message, files inline) or a printable page. Recorded as `patient.export`.
#[utoipa::path(get, operation_id = "exportPatient", path = "/api/v1/patients/{id}/export", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path), ("format" = Option<enums::PatientExportFormat>, Query, description = "`fhir` (the default) or `html`")),
    responses((status = 200, description = "The patient's copy, as a download.", content(
            (Object = "application/fhir+json"), (String = "text/html"))),
        (status = 403, body = Problem),
        (status = 404, description = "`not_found`: no such patient, or not on her care team.", body = Problem),
        (status = 413, description = "`payload_too_large`: her files are more than one export holds.", body = Problem),
        (status = 422, description = "`validation_failed`: an unknown format.", body = Problem)))]
pub async fn export_patient(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    params: QueryResult<ExportParams>,
) -> ApiResult<Response> {
    let params = query(params)?;
    let html = match params.format.as_deref() {
        None | Some("fhir") => false,
        Some("html") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "format must be fhir or html",
            ));
        }
    };
    let record = state
        .hippo
        .fhir()
        .export_patient(Principal::User(&actor), &id)
        .await?;
    let disposition = |ext: &str| {
        HeaderValue::from_str(&format!(
            "attachment; filename=\"patient-{}.{ext}\"",
            record.patient.id
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    };
    if html {
        let mut page =
            super::evidence_html::html_response(content_security_policy(), render(&record));
        page.headers_mut()
            .insert(header::CONTENT_DISPOSITION, disposition("html"));
        return Ok(page);
    }
    // The headers replace Json's content type with FHIR's.
    let body = axum::Json(record.fhir_bundle());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(hippo_service::fhir::resources::FHIR_JSON),
            ),
            (header::CONTENT_DISPOSITION, disposition("fhir.json")),
        ],
        body,
    )
        .into_response())
}

const STYLE: &str = "\
body{font:15px/1.5 system-ui,sans-serif;color:#1b1f24;margin:2rem auto;max-width:46rem;padding:0 1rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}.muted{color:#5b6470}\
article{border-top:1px solid #e3e6ea;padding:.6rem 0}article header{font-size:.85rem;color:#5b6470}\
article.patient header b{color:#1e5b8a}.body{white-space:pre-wrap;margin:.2rem 0}\
img{max-width:100%;height:auto;display:block;margin:.3rem 0}.file{font-size:.85rem}\
@media print{body{margin:0;max-width:none}article{break-inside:avoid}}";

/// The page's Content-Security-Policy: its style block, and images from
/// `data:` (the patient's photos, inline).
pub fn content_security_policy() -> &'static str {
    static CSP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{}; img-src data:",
            super::evidence_html::style_only_csp(STYLE)
        )
    });
    &CSP
}

/// The readable copy.
pub fn render(r: &PatientRecord) -> String {
    use super::evidence_html::esc;
    let p = &r.patient;
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Messages of {}</title><style>{STYLE}</style></head><body>\
         <h1>Messages of {}</h1><p class=\"muted\">{}{} · {} messages · copy made {}</p>",
        esc(&p.display_name),
        esc(&p.display_name),
        p.mrn
            .as_deref()
            .map_or(String::new(), |m| format!("MRN {} · ", esc(m))),
        esc(p.phone.as_str()),
        r.messages.len(),
        esc(&r.generated_at.to_rfc3339()),
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    for m in &r.messages {
        let from_patient = m.sender_id.as_str() == p.id.as_str();
        let _ = write!(
            out,
            "<article class=\"{}\" data-message=\"{}\"><header><b>{}</b> · {}{}</header>",
            if from_patient { "patient" } else { "team" },
            esc(m.id.as_str()),
            esc(&r.sender_name(m)),
            esc(&m.created_at.to_rfc3339()),
            if m.channel_status.is_some() {
                " · WhatsApp"
            } else {
                ""
            },
        );
        if m.deleted {
            out.push_str("<p class=\"muted\">Recalled by the sender.</p></article>");
            continue;
        }
        if let Some(body) = m.body.as_deref().filter(|b| !b.is_empty()) {
            let _ = write!(out, "<p class=\"body\">{}</p>", esc(body));
        }
        for a in &m.attachments {
            let image = matches!(
                a.content_type.as_str(),
                "image/png" | "image/jpeg" | "image/gif" | "image/webp"
            );
            if let (true, Some(bytes)) = (image, r.file(&a.id)) {
                let _ = write!(
                    out,
                    "<img alt=\"{}\" src=\"data:{};base64,{}\">",
                    esc(&a.filename),
                    esc(&a.content_type),
                    b64.encode(bytes)
                );
            }
            let _ = write!(
                out,
                "<p class=\"file\">File: {} ({}, {} bytes, SHA-256 {})</p>",
                esc(&a.filename),
                esc(&a.content_type),
                a.size,
                esc(&a.sha256)
            );
        }
        out.push_str("</article>");
    }
    out.push_str("</body></html>\n");
    out
}
