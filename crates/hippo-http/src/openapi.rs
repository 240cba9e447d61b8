//! The OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`.
//!
//! Each route is declared once, by its handler's `#[utoipa::path]`:
//! [`api`] collects every area's `routes()` (built with `routes!`), which
//! gives both the axum routes `router()` serves and this document, so the
//! two cannot drift apart. [`document`] then adds what every operation
//! shares (the sign-in and availability errors, problem-details bodies,
//! descriptions of standard error statuses) and the accepted upload types.

use crate::AppState;
use crate::problem::Problem;
use crate::routes::{
    api_keys, attachments, audit, auth, break_glass, calls, compliance, conversations, directory,
    enums, health, incidents, me, messages, patient_export, patients, users, webhooks, whatsapp,
};
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "hippo", description = "Secure messaging for healthcare. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`."),
    servers((url = "/", description = "This server")),
    // Schemas named only by query parameters (bodies register their own).
    components(schemas(Problem, enums::AuditAction, enums::Outcome, enums::ExportFormat, enums::ReportFormat, enums::PatientExportFormat, enums::GrantFilter, enums::OutboxState)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The web client's alternative: the HttpOnly cookie from a
        // `"session": "cookie"` sign-in, always with its CSRF header.
        components.add_security_scheme(
            "browser_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::browser::COOKIE))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-CSRF-Token"))),
        );
    }
}

/// Every route of the application with its OpenAPI entry. `router()` serves
/// these; [`document`] describes them.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(auth::routes())
        .merge(me::routes())
        .merge(users::routes())
        .merge(api_keys::routes())
        .merge(webhooks::routes())
        .merge(conversations::routes())
        .merge(directory::routes())
        .merge(messages::routes())
        .merge(attachments::routes())
        .merge(break_glass::routes())
        .merge(calls::routes())
        .merge(audit::routes())
        .merge(compliance::routes())
        .merge(incidents::routes())
        .merge(patients::routes())
        .merge(patient_export::routes())
        .merge(whatsapp::routes())
        .merge(crate::routes::fhir::routes())
        .routes(routes!(crate::stream::stream))
        .routes(routes!(crate::stream::asyncapi))
        .routes(routes!(openapi_json))
}

/// The finished document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            finish_operation(path, op);
        }
    }
    doc
}

/// Paths that never touch the store, so never answer 503 `unavailable`.
const STORELESS: &[&str] = &["checkLiveness", "getMetrics", "getOpenApi", "getAsyncApi"];

fn finish_operation(path: &str, op: &mut Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    framework_refusals(path, op);
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if signed_in && id != "getBrowserSession" {
        // Everything a bearer token reaches, a browser session reaches too.
        if let Some(security) = op.security.as_mut() {
            security.push(
                SecurityRequirement::new("browser_session", Vec::<String>::new())
                    .add("csrf", Vec::<String>::new()),
            );
        }
    }
    let responses = &mut op.responses.responses;
    if signed_in {
        responses
            .entry("401".to_owned())
            .or_insert_with(|| problem(standard_description("401")));
        responses
            .entry("403".to_owned())
            .or_insert_with(|| problem(standard_description("403")));
    }
    if !STORELESS.contains(&id.as_str()) {
        responses
            .entry("503".to_owned())
            .or_insert_with(|| problem(standard_description("503")));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if response.description.trim().is_empty() {
            response.description = standard_description(status).to_owned();
        }
        // Error bodies are problem details, with their own media type.
        if let Some(json) = response.content.shift_remove("application/json") {
            let is_problem = matches!(&json, RefOr::T(c)
                if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")));
            let key = if is_problem {
                "application/problem+json"
            } else {
                "application/json"
            };
            response.content.insert(key.to_owned(), json);
        }
    }
    if id == "uploadAttachment" {
        accepted_upload_types(op);
    }
    if id == "downloadAttachment" {
        served_file_types(op);
    }
}

/// The refusals that can meet any request of an operation's shape, before
/// its handler decides anything (see `rejections`): a body that is too
/// large, of another type, not JSON or not an object; a query string that
/// does not parse; an id that names nothing; an address past its budget of
/// requests without a credential (see `unauthenticated`). Under `/fhir/`
/// each is an OperationOutcome.
fn framework_refusals(path: &str, op: &mut Operation) {
    use utoipa::openapi::path::ParameterIn;
    let has_query = op.parameters.iter().flatten().any(|p| {
        matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header))
    });
    let body = op.request_body.as_ref().map(|b| match b {
        RefOr::T(b) => b.content.keys().any(|ct| ct.ends_with("json")),
        RefOr::Ref(_) => true,
    });
    let mut statuses = Vec::new();
    if has_query || body == Some(true) {
        statuses.push("400");
    }
    if path.contains('{') {
        statuses.push("404");
    }
    if body.is_some() {
        statuses.extend(["413", "415"]);
    }
    if has_query || body == Some(true) {
        statuses.push("422");
    }
    if !crate::unauthenticated::EXEMPT_PATHS.contains(&path) {
        statuses.push("429");
    }
    let fhir = path.starts_with("/fhir/");
    for status in statuses {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                if fhir {
                    operation_outcome(standard_description(status))
                } else {
                    problem(standard_description(status))
                }
            });
    }
}

/// The upload's body is the file itself, in any accepted type (the
/// service's list, so the document cannot lag behind it).
fn accepted_upload_types(op: &mut Operation) {
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    let Some(binary) = body.content.values().next().cloned() else {
        return;
    };
    body.content.clear();
    for (content_type, _) in hippo_core::filetype::ACCEPTED {
        body.content
            .insert((*content_type).to_owned(), binary.clone());
    }
}

/// A download is served in the type it was accepted as (see
/// [`accepted_upload_types`]); `application/octet-stream` stays for a
/// stored type that is no longer a valid header.
fn served_file_types(op: &mut Operation) {
    let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
        return;
    };
    let Some(binary) = ok.content.values().next().cloned() else {
        return;
    };
    for (content_type, _) in hippo_core::filetype::ACCEPTED {
        ok.content
            .insert((*content_type).to_owned(), binary.clone());
    }
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn operation_outcome(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(format!("OperationOutcome: {description}"))
        .content(
            "application/fhir+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("OperationOutcome")))
                .build(),
        )
        .build()
        .into()
}

/// What a status means across the API, with the `code`s it carries.
fn standard_description(status: &str) -> &'static str {
    match status {
        "200" => "Success.",
        "201" => "Created.",
        "202" => "Accepted.",
        "204" => "Done; no content.",
        "400" => "`validation_failed`: malformed JSON, or a query string that cannot be read.",
        "401" => "`unauthenticated` or `session_expired`: no valid bearer token.",
        "403" => {
            "`forbidden` (the caller's role may not do this), `mfa_enrollment_required` or `password_change_required` (the token reaches only those calls)."
        }
        "404" => "`not_found`: no such resource, or not visible to the caller.",
        "409" => "`conflict`: the resource's state does not allow this now.",
        "413" => "`payload_too_large`: the body is over the operation's limit (64 KiB for JSON).",
        "415" => "`unsupported_media_type`: the body is not of a type the operation takes.",
        "422" => "`validation_failed` (the detail names the field), or a channel rule.",
        "423" => "`account_locked`.",
        "429" => {
            "`rate_limited`: too many sign-in attempts, or too many requests without a credential from one address; wait for `Retry-After` seconds."
        }
        "503" => "`unavailable`: storage is unreachable or the master key is being rotated; retry.",
        _ => "See the problem details.",
    }
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(document);

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, operation_id = "getOpenApi", path = "/api/v1/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = Object)))]
pub async fn openapi_json() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(&DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn doc() -> Value {
        serde_json::to_value(document()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    #[test]
    fn every_operation_is_named_for_its_action_once() {
        let doc = doc();
        let mut seen = BTreeSet::new();
        for (method, path, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                !id.is_empty()
                    && id.starts_with(|c: char| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{method} {path}: operationId {id:?} is not camelCase"
            );
            assert!(seen.insert(id.to_owned()), "{id} used twice");
        }
        for id in [
            "sendMessage",
            "openBreakGlass",
            "exportAudit",
            "login",
            "createUser",
            "openStream",
        ] {
            assert!(seen.contains(id), "{id} missing");
        }
    }

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = doc();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} does not resolve"
            );
        }
    }

    #[test]
    fn every_response_is_described_and_errors_are_problems() {
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                assert!(
                    !r["description"]
                        .as_str()
                        .unwrap_or_default()
                        .trim()
                        .is_empty(),
                    "{method} {path} {status}: no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"].get("application/json").is_none(),
                        "{method} {path} {status}: an error must be application/problem+json"
                    );
                }
            }
            if op.get("security").is_some() {
                for status in ["401", "403", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: {status} undocumented"
                    );
                }
            }
        }
        let login = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"];
        assert!(login.get("429").is_some());
    }

    #[test]
    fn framework_refusals_are_documented_where_they_occur() {
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            let responses = op["responses"].as_object().unwrap();
            let json_body = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.keys().any(|k| k.ends_with("json")));
            let mut expected = Vec::new();
            if json_body {
                expected.extend(["400", "413", "415", "422"]);
            }
            if op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"))
            {
                expected.extend(["400", "422"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            if !crate::unauthenticated::EXEMPT_PATHS.contains(&path.as_str()) {
                expected.push("429");
            }
            for status in expected {
                let r = responses
                    .get(status)
                    .unwrap_or_else(|| panic!("{method} {path}: {status} undocumented"));
                let media = if path.starts_with("/fhir/") {
                    "application/fhir+json"
                } else {
                    "application/problem+json"
                };
                assert!(
                    r["content"].get(media).is_some(),
                    "{method} {path} {status}: not {media}"
                );
            }
        }
    }

    #[test]
    fn closed_sets_times_and_uploads_are_typed() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        for (name, values) in [
            (
                "Role",
                vec!["admin", "clinician", "staff", "auditor", "service"],
            ),
            ("ConversationKind", vec!["direct", "group", "patient"]),
            ("Priority", vec!["normal", "urgent"]),
            ("Outcome", vec!["success", "denied", "failure"]),
        ] {
            assert_eq!(schemas[name]["enum"], serde_json::json!(values), "{name}");
        }
        // Every `*_at` property (and `at`) of every schema is a date-time.
        for (name, schema) in schemas.as_object().unwrap() {
            let Some(props) = schema["properties"].as_object() else {
                continue;
            };
            for (prop, p) in props {
                if prop == "at" || prop.ends_with("_at") {
                    assert_eq!(p["format"], "date-time", "{name}.{prop}");
                }
            }
        }
        let user = &schemas["UserResponse"]["properties"];
        assert_eq!(user["role"]["$ref"], "#/components/schemas/Role");
        let upload = &doc["paths"]["/api/v1/attachments"]["post"]["requestBody"]["content"];
        for (content_type, _) in hippo_core::filetype::ACCEPTED {
            assert_eq!(
                upload[content_type]["schema"]["format"], "binary",
                "{content_type}"
            );
        }
        assert_eq!(doc["servers"][0]["url"], "/");
    }
}
