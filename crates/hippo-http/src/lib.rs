//! hippo's HTTP interface: the axum router, extractors, problem details,
//! OpenAPI document, metrics and the TLS transport. It calls
//! `hippo-service` and never touches a store directly.

pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod stream;
pub mod tls;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{delete, get, post};
use hippo_core::ErrorCode;
use hippo_service::Hippo;
use problem::ApiError;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use tls::Peer;

/// Largest JSON body accepted by the API (uploads get their own limit).
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub hippo: Arc<Hippo>,
    pub metrics: Arc<metrics::Metrics>,
    pub hub: Arc<stream::Hub>,
}

/// Transport facts the router needs.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    /// Served over TLS (directly): send HSTS.
    pub tls: bool,
}

/// The whole HTTP application. Call within a tokio runtime: it starts the
/// socket reconciler.
pub fn router(hippo: Arc<Hippo>, options: HttpOptions) -> Router {
    let hub = Arc::new(stream::Hub::with_presence(&hippo));
    hippo.events().set_sink(hub.clone());
    tokio::spawn(stream::DeliveryRecorder::run(
        Arc::downgrade(&hub),
        hippo.clone(),
    ));
    tokio::spawn(stream::Hub::reconcile(
        Arc::downgrade(&hub),
        hippo.clone(),
        stream::RECONCILE_INTERVAL,
    ));
    let state = AppState {
        hippo,
        metrics: Arc::new(metrics::Metrics::default()),
        hub,
    };
    let api = Router::new()
        .route("/auth/login", post(routes::auth::login))
        .route("/auth/logout", post(routes::auth::logout))
        .route("/me", get(routes::me::get_me))
        .route("/me/mfa/totp", post(routes::me::begin_totp))
        .route("/me/mfa/totp/confirm", post(routes::me::confirm_totp))
        .route("/me/password", post(routes::me::change_password))
        .route("/me/sessions", get(routes::me::list_sessions))
        .route("/me/sessions/{id}", delete(routes::me::revoke_session))
        .route(
            "/users",
            post(routes::users::create_user).get(routes::users::list_users),
        )
        .route(
            "/users/{id}",
            get(routes::users::get_user).patch(routes::users::update_user),
        )
        .route(
            "/users/{id}/deactivate",
            post(routes::users::deactivate_user),
        )
        .route(
            "/users/{id}/reactivate",
            post(routes::users::reactivate_user),
        )
        .route(
            "/users/{id}/password-reset",
            post(routes::users::reset_password),
        )
        .route(
            "/conversations",
            post(routes::conversations::create_conversation)
                .get(routes::conversations::list_conversations),
        )
        .route(
            "/conversations/{id}",
            get(routes::conversations::get_conversation)
                .patch(routes::conversations::update_conversation),
        )
        .route(
            "/conversations/{id}/members",
            post(routes::conversations::add_member),
        )
        .route(
            "/conversations/{id}/members/{user_id}",
            delete(routes::conversations::remove_member),
        )
        .route(
            "/conversations/{id}/messages",
            post(routes::messages::send_message).get(routes::messages::list_messages),
        )
        .route(
            "/conversations/{id}/read",
            post(routes::messages::mark_read),
        )
        .route(
            "/messages/{id}",
            axum::routing::patch(routes::messages::edit_message)
                .delete(routes::messages::delete_message),
        )
        .route("/messages/{id}/receipts", get(routes::messages::receipts))
        .route("/attachments", post(routes::attachments::upload))
        .route("/attachments/{id}", get(routes::attachments::download))
        .route(
            "/conversations/{id}/break-glass",
            post(routes::break_glass::open),
        )
        .route(
            "/conversations/{id}/legal-hold",
            post(routes::conversations::set_legal_hold)
                .delete(routes::conversations::clear_legal_hold),
        )
        .route(
            "/conversations/{id}/erase",
            post(routes::conversations::erase),
        )
        .route("/break-glass", get(routes::break_glass::queue))
        .route(
            "/break-glass/{id}/review",
            post(routes::break_glass::review),
        )
        .route("/alerts", get(routes::audit::alerts))
        .route("/audit", get(routes::audit::query_audit))
        .route("/audit/verify", get(routes::audit::verify))
        .route("/audit/export", get(routes::audit::export))
        .route(
            "/reports/patient-access/{patient_id}",
            get(routes::audit::patient_access),
        )
        .route(
            "/reports/user-activity/{user_id}",
            get(routes::audit::user_activity),
        )
        .route("/reports/breach-scope", get(routes::audit::breach_scope))
        .route(
            "/patients",
            post(routes::patients::create_patient).get(routes::patients::list_patients),
        )
        .route(
            "/patients/{id}",
            get(routes::patients::get_patient).patch(routes::patients::update_patient),
        )
        .route(
            "/patients/{id}/whatsapp",
            post(routes::patients::send_whatsapp),
        )
        .route("/whatsapp/templates", get(routes::patients::list_templates))
        .route(
            "/whatsapp/templates/sync",
            post(routes::patients::sync_templates),
        )
        .route(
            "/whatsapp/templates/{name}/{language}",
            axum::routing::patch(routes::patients::update_template),
        )
        .route("/whatsapp/outbox", get(routes::patients::list_outbox))
        .route(
            "/whatsapp/outbox/{message_id}/retry",
            post(routes::patients::retry_outbox),
        )
        .route("/stream", get(stream::stream))
        .route("/asyncapi.json", get(stream::asyncapi))
        .route("/openapi.json", get(openapi::openapi_json));

    let mut app = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route(
            "/webhooks/whatsapp",
            get(routes::patients::webhook_handshake)
                .post(routes::patients::webhook_event)
                .layer(DefaultBodyLimit::max(
                    hippo_service::whatsapp::MAX_WEBHOOK_BYTES,
                )),
        )
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record,
        ))
        .with_state(state);

    let headers: [(HeaderName, &'static str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if options.tls {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this resource",
    )
}
