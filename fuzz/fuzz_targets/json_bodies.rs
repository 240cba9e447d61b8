//! Fuzzes the API's JSON request bodies through the server's own extractor,
//! [`hippo_http::extract::ApiJson`], with the request-body types of the
//! routes that anyone reaches (login) or any signed-in user reaches
//! (messages, conversations, patients, users, webhooks, calls...).
//!
//! `ApiJson` is what every handler that takes a body uses: it checks the
//! content type, refuses any JSON value but an object (serde would read a
//! struct from an array by position, slipping past `deny_unknown_fields`),
//! and turns every serde error into a problem response. The body limit
//! (`MAX_JSON_BODY`) is a layer in front of it and is not fuzzed here.
//!
//! The first input byte picks the body type, the second the content type;
//! the rest is the body. Properties, beyond "never panics":
//! - a wrong content type is always `unsupported_media_type`, a right one
//!   never is;
//! - an accepted body is a JSON object, and the type reads it on its own;
//! - a refusal is `validation_failed` with a non-empty detail, and is only
//!   given to a body that the type does not read or that is not an object.
#![no_main]

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use hippo_core::ErrorCode;
use hippo_http::extract::ApiJson;
use hippo_http::routes::{
    api_keys, auth, break_glass, calls, conversations, me, messages, patients, users, webhooks,
    whatsapp,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// The content types tried, and whether `ApiJson` should take each (as
/// `axum::Json` does: `application/json` or `application/*+json`, any case,
/// parameters ignored). `None`: no `Content-Type` header.
const CONTENT_TYPES: &[(Option<&str>, bool)] = &[
    (Some("application/json"), true),
    (Some("application/json; charset=utf-8"), true),
    (Some("Application/JSON"), true),
    (Some("application/fhir+json"), true),
    (Some(" application/json ;x=y"), true),
    (Some("text/plain"), false),
    (Some("application/jsonx"), false),
    (Some("application/x-www-form-urlencoded"), false),
    (Some(""), false),
    (None, false),
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fn check<T: DeserializeOwned>(content_type: Option<&str>, takes: bool, body: &[u8]) {
    let mut req = Request::builder().method("POST").uri("/api/v1/fuzz");
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(Body::from(body.to_vec()))
        .expect("a request from fixed parts");
    let result = runtime().block_on(ApiJson::<T>::from_request(req, &()));
    let value = serde_json::from_slice::<serde_json::Value>(body);
    match result {
        Ok(ApiJson(_)) => {
            assert!(takes, "a body accepted with content type {content_type:?}");
            let value = value.expect("an accepted body is JSON");
            assert!(value.is_object(), "an accepted body that is not an object");
            assert!(serde_json::from_slice::<T>(body).is_ok());
        }
        Err(e) if !takes => assert!(
            e.code == ErrorCode::UnsupportedMediaType,
            "content type {content_type:?} refused with {:?}",
            e.code
        ),
        Err(e) => {
            assert!(
                e.code == ErrorCode::ValidationFailed,
                "a JSON body refused with {:?}",
                e.code
            );
            assert!(!e.detail.is_empty(), "a refusal without a detail");
            let object = value.as_ref().is_ok_and(serde_json::Value::is_object);
            assert!(
                !object || serde_json::from_slice::<T>(body).is_err(),
                "an object the type reads was refused: {}",
                e.detail
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [kind, ct, body @ ..] = data else {
        return;
    };
    let (content_type, takes) = CONTENT_TYPES[usize::from(*ct) % CONTENT_TYPES.len()];
    let check: fn(Option<&str>, bool, &[u8]) = match kind % 16 {
        0 => check::<auth::LoginRequest>,
        1 => check::<messages::SendMessageRequest>,
        2 => check::<messages::EditMessageRequest>,
        3 => check::<messages::MarkReadRequest>,
        4 => check::<conversations::CreateConversationRequest>,
        5 => check::<conversations::UpdateConversationRequest>,
        6 => check::<conversations::AddMemberRequest>,
        7 => check::<patients::CreatePatientRequest>,
        8 => check::<patients::UpdatePatientRequest>,
        9 => check::<patients::WhatsappSendRequest>,
        10 => check::<users::CreateUserRequest>,
        11 => check::<users::UpdateUserRequest>,
        12 => check::<webhooks::CreateWebhookRequest>,
        13 => check::<calls::StartCallRequest>,
        14 => check::<me::ChangePasswordRequest>,
        _ => match kind / 16 % 3 {
            0 => check::<break_glass::OpenRequest>,
            1 => check::<api_keys::CreateApiKeyRequest>,
            _ => check::<whatsapp::TemplatePatch>,
        },
    };
    check(content_type, takes, body);
});
