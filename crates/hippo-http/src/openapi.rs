//! The OpenAPI 3 document, generated from the handlers' annotations and
//! served at `GET /api/v1/openapi.json`.

use crate::problem::Problem;
use crate::routes::{
    attachments, audit, auth, break_glass, conversations, health, me, messages, patients, users,
    wire,
};
use crate::stream;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "hippo", description = "Secure messaging for healthcare. Errors are RFC 9457 problem details with a stable `code`."),
    paths(
        health::healthz, health::readyz, health::metrics,
        auth::login, auth::logout,
        me::get_me, me::begin_totp, me::confirm_totp, me::change_password, me::list_sessions, me::revoke_session,
        users::create_user, users::list_users, users::get_user, users::update_user,
        users::deactivate_user, users::reactivate_user, users::reset_password,
        conversations::create_conversation, conversations::list_conversations, conversations::get_conversation,
        conversations::update_conversation, conversations::add_member, conversations::remove_member,
        conversations::set_legal_hold, conversations::clear_legal_hold, conversations::erase,
        messages::send_message, messages::list_messages, messages::edit_message, messages::delete_message,
        messages::mark_read, messages::receipts,
        attachments::upload, attachments::download,
        audit::query_audit, audit::verify, audit::export,
        audit::patient_access, audit::user_activity, audit::breach_scope, audit::alerts,
        break_glass::open, break_glass::queue, break_glass::review,
        patients::create_patient, patients::list_patients, patients::get_patient, patients::update_patient,
        patients::send_whatsapp, patients::list_templates, patients::sync_templates, patients::update_template,
        patients::list_outbox, patients::retry_outbox, patients::webhook_handshake, patients::webhook_event,
        stream::stream,
        stream::asyncapi,
        openapi_json,
    ),
    components(schemas(Problem, wire::UserResponse, wire::SessionResponse, wire::ConversationResponse, wire::MessageResponse, wire::AttachmentResponse,
        audit::AuditPageResponse, audit::VerifyResponse, audit::ReportResponse, audit::TallyResponse, audit::AlertResponse, audit::AlertsResponse,
        break_glass::GrantResponse, break_glass::QueueResponse,
        patients::PatientResponse, patients::PatientsResponse, patients::TemplatesResponse, patients::TemplateResponse,
        patients::OutboxResponse, patients::OutboxJobResponse, wire::ChannelStatusResponse)),
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
    }
}

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health", responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
