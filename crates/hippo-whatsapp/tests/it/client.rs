//! The client against the fake Cloud API over real HTTP.

use std::time::Duration;

use hippo_whatsapp::{
    ApiError, CloudApi, ErrorClass, FakeFailure, InboundContent, OutboundMessage, WebhookEvent,
};
use serde_json::json;

use crate::support::{Receiver, api_for, config_for, fake};

const BODY_TEXT: &str =
    "You have a new message from {{1}}. Open the secure patient portal to read it.";

fn text(to: &str, body: &str) -> OutboundMessage {
    OutboundMessage::Text {
        to: to.into(),
        body: body.into(),
        callback_data: None,
    }
}

fn template(name: &str, params: &[&str]) -> OutboundMessage {
    OutboundMessage::Template {
        to: "+16505551234".into(),
        name: name.into(),
        language: "en_US".into(),
        body_parameters: params.iter().map(|p| (*p).to_owned()).collect(),
        callback_data: Some("msg-42".into()),
    }
}

fn assert_error(err: &ApiError, code: Option<i64>, status: Option<u16>, class: ErrorClass) {
    assert_eq!(
        (err.code, err.http_status, &err.class),
        (code, status, &class),
        "{err:?}"
    );
}

#[tokio::test]
async fn send_text_posts_metas_exact_json() {
    let fake = fake().await;
    let api = api_for(&fake);
    let message = OutboundMessage::Text {
        to: "+16505551234".into(),
        body: "Thanks, we received your reply.".into(),
        callback_data: Some("msg-7".into()),
    };
    let accepted = api.send(&message).await.unwrap();
    assert!(accepted.wamid.starts_with("wamid."), "{accepted:?}");
    assert_eq!(accepted.message_status, None);

    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].wamid, accepted.wamid);
    assert_eq!(sent[0].to, "16505551234");
    assert_eq!(sent[0].callback_data.as_deref(), Some("msg-7"));
    assert_eq!(
        sent[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"preview_url": false, "body": "Thanks, we received your reply."},
            "biz_opaque_callback_data": "msg-7"
        })
    );
    assert_eq!(fake.send_attempts(), 1);

    // Without callback data the field is omitted.
    api.send(&text("+16505551234", "second")).await.unwrap();
    assert!(
        fake.sent()[1]
            .body
            .get("biz_opaque_callback_data")
            .is_none()
    );
    assert_ne!(fake.sent()[1].wamid, accepted.wamid);
}

#[tokio::test]
async fn send_template_posts_metas_exact_json() {
    let fake = fake().await;
    fake.add_template(
        "portal_message_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        BODY_TEXT,
    );
    let api = api_for(&fake);
    let accepted = api
        .send(&template("portal_message_notice", &["Riverside Clinic"]))
        .await
        .unwrap();
    assert_eq!(accepted.message_status.as_deref(), Some("accepted"));
    assert_eq!(
        fake.sent()[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {
                "name": "portal_message_notice",
                "language": {"code": "en_US"},
                "components": [{
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Riverside Clinic"}]
                }]
            },
            "biz_opaque_callback_data": "msg-42"
        })
    );

    // A template without placeholders is sent without components.
    fake.add_template(
        "plain_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        "Please check the portal.",
    );
    api.send(&template("plain_notice", &[])).await.unwrap();
    assert!(fake.sent()[1].body["template"].get("components").is_none());
}

#[tokio::test]
async fn wrong_token_is_auth_190() {
    let fake = fake().await;
    let mut config = config_for(&fake);
    config.access_token = zeroize::Zeroizing::new("wrong".into());
    let api = CloudApi::new(config).unwrap();
    let err = api.send(&text("+16505551234", "hi")).await.unwrap_err();
    assert_error(&err, Some(190), Some(401), ErrorClass::Auth);
    assert!(!err.title.is_empty());
    assert!(fake.sent().is_empty());
    assert_eq!(fake.send_attempts(), 1);

    let err = api.list_templates().await.unwrap_err();
    assert_error(&err, Some(190), Some(401), ErrorClass::Auth);
}

#[tokio::test]
async fn template_errors_are_permanent() {
    let fake = fake().await;
    fake.add_template(
        "portal_message_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        BODY_TEXT,
    );
    fake.add_template(
        "visit_update_notice",
        "en_US",
        "UTILITY",
        "PAUSED",
        "{{clinic_name}} update",
    );
    let api = api_for(&fake);

    let err = api
        .send(&template("portal_message_notice", &[]))
        .await
        .unwrap_err();
    assert_error(&err, Some(132000), Some(400), ErrorClass::Permanent);
    assert_eq!(
        err.title,
        "Number of parameters does not match the expected number of params"
    );
    assert_eq!(
        err.details.as_deref(),
        Some(
            "body: number of localizable_params (0) does not match the expected number of params (1)"
        )
    );

    let err = api
        .send(&template("portal_message_notice", &["a", "b"]))
        .await
        .unwrap_err();
    assert_error(&err, Some(132000), Some(400), ErrorClass::Permanent);

    for name in ["no_such_template", "visit_update_notice"] {
        let err = api.send(&template(name, &["x"])).await.unwrap_err();
        assert_error(&err, Some(132001), Some(400), ErrorClass::Permanent);
    }
    assert!(fake.sent().is_empty());
    assert_eq!(fake.send_attempts(), 4);
}

#[tokio::test]
async fn invalid_requests_are_code_100() {
    let fake = fake().await;
    let api = api_for(&fake);
    let too_long = "x".repeat(4097);
    let err = api
        .send(&text("+16505551234", &too_long))
        .await
        .unwrap_err();
    assert_error(&err, Some(100), Some(400), ErrorClass::Permanent);
    assert_eq!(err.title, "Invalid parameter");

    let max = "é".repeat(4096);
    api.send(&text("+16505551234", &max)).await.unwrap();

    let err = api.send(&text("+1 650 555", "hi")).await.unwrap_err();
    assert_error(&err, Some(100), Some(400), ErrorClass::Permanent);

    let mut config = config_for(&fake);
    config.phone_number_id = "999".into();
    let err = CloudApi::new(config)
        .unwrap()
        .send(&text("+16505551234", "hi"))
        .await
        .unwrap_err();
    assert_error(&err, Some(100), Some(400), ErrorClass::Permanent);
}

#[tokio::test]
async fn injected_failures_classify_and_then_clear() {
    let fake = fake().await;
    let api = api_for(&fake);
    fake.fail_next(1, FakeFailure::ServerError(503));
    fake.fail_next(1, FakeFailure::ServerError(500));
    fake.fail_next(1, FakeFailure::ServerError(502));
    fake.fail_next(1, FakeFailure::Code(130429));
    fake.fail_next(1, FakeFailure::Code(131056));
    fake.fail_next(1, FakeFailure::Code(131047));
    fake.fail_next(1, FakeFailure::Code(133010));
    let expected = [
        (Some(2), 503, ErrorClass::Retryable),
        (Some(1), 500, ErrorClass::Retryable),
        (None, 502, ErrorClass::Retryable),
        (Some(130429), 400, ErrorClass::Retryable),
        (Some(131056), 429, ErrorClass::Retryable),
        (Some(131047), 400, ErrorClass::Permanent),
        (Some(133010), 400, ErrorClass::Auth),
    ];
    for (code, status, class) in expected {
        let err = api.send(&text("+16505551234", "hi")).await.unwrap_err();
        assert_error(&err, code, Some(status), class);
    }
    let err = api.send(&text("+16505551234", "hi")).await;
    assert!(err.is_ok(), "the queue is drained: {err:?}");
    assert_eq!(fake.send_attempts(), 8);
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test]
async fn failures_apply_before_validation() {
    let fake = fake().await;
    let api = api_for(&fake);
    fake.fail_next(1, FakeFailure::Code(130429));
    let err = api
        .send(&template("no_such_template", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.code, Some(130429));
}

#[tokio::test]
async fn a_hang_is_a_retryable_timeout() {
    let fake = fake().await;
    let mut config = config_for(&fake);
    config.timeout = Duration::from_millis(300);
    let api = CloudApi::new(config).unwrap();
    fake.fail_next(1, FakeFailure::Hang(Duration::from_secs(5)));
    let err = api.send(&text("+16505551234", "hi")).await.unwrap_err();
    assert_error(&err, None, None, ErrorClass::Retryable);
    assert_eq!(err.title, "timeout");
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn rate_limit_answers_130429() {
    let fake = fake().await;
    let api = api_for(&fake);
    fake.set_rate_limit(Some(2));
    api.send(&text("+16505551234", "1")).await.unwrap();
    api.send(&text("+16505551234", "2")).await.unwrap();
    let err = api.send(&text("+16505551234", "3")).await.unwrap_err();
    assert_error(&err, Some(130429), Some(400), ErrorClass::Retryable);
    assert_eq!(
        err.details.as_deref(),
        Some("Cloud API message throughput has been reached.")
    );
    fake.set_rate_limit(None);
    api.send(&text("+16505551234", "4")).await.unwrap();
}

#[tokio::test]
async fn list_templates_follows_three_pages() {
    let fake = fake().await;
    fake.add_template(
        "portal_message_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        BODY_TEXT,
    );
    fake.add_template(
        "visit_update_notice",
        "en_US",
        "UTILITY",
        "PAUSED",
        "{{clinic_name}} has an update. Reply {{confirm_word}} to confirm, {{clinic_name}}.",
    );
    fake.add_template(
        "portal_message_notice",
        "es_ES",
        "UTILITY",
        "APPROVED",
        "Mensaje de {{1}}.",
    );
    fake.add_template(
        "reminder",
        "en_US",
        "MARKETING",
        "REJECTED",
        "{{1}} on {{2}} at {{3}}",
    );
    fake.add_template(
        "plain_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        "Check the portal.",
    );
    let templates = api_for(&fake).list_templates().await.unwrap();
    let summary: Vec<(&str, &str, &str, &str, u32)> = templates
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.language.as_str(),
                t.category.as_str(),
                t.status.as_str(),
                t.parameter_count,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("portal_message_notice", "en_US", "UTILITY", "APPROVED", 1),
            ("visit_update_notice", "en_US", "UTILITY", "PAUSED", 2),
            ("portal_message_notice", "es_ES", "UTILITY", "APPROVED", 1),
            ("reminder", "en_US", "MARKETING", "REJECTED", 3),
            ("plain_notice", "en_US", "UTILITY", "APPROVED", 0),
        ]
    );
    assert_eq!(templates[0].body_text.as_deref(), Some(BODY_TEXT));

    let empty = crate::support::fake().await;
    assert!(api_for(&empty).list_templates().await.unwrap().is_empty());
}

#[tokio::test]
async fn media_info_and_download() {
    let fake = fake().await;
    let receiver = Receiver::attach(&fake).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let wamid = fake
        .post_inbound_image(
            "+16505551234",
            bytes.clone(),
            "image/jpeg",
            Some("Photo of the form"),
        )
        .await;
    let events = receiver.wait_for_events(1).await;
    let WebhookEvent::Inbound(message) = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(message.wamid, wamid);
    let InboundContent::Media {
        kind,
        media_id,
        mime_type,
        sha256,
        caption,
        ..
    } = &message.content
    else {
        panic!("{message:?}");
    };
    assert_eq!(kind, "image");
    assert_eq!(mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(caption.as_deref(), Some("Photo of the form"));
    assert_eq!(sha256.as_ref().map(String::len), Some(44), "base64 SHA-256");

    let api = api_for(&fake);
    let info = api.media_info(media_id).await.unwrap();
    assert_eq!(&info.id, media_id);
    assert_eq!(info.mime_type, "image/jpeg");
    assert_eq!(info.file_size, Some(10_000));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(info.sha256.as_deref(), Some(hex.as_str()));

    assert_eq!(api.download_media(&info.url, 10_000).await.unwrap(), bytes);
    let err = api.download_media(&info.url, 9_999).await.unwrap_err();
    assert_error(&err, None, Some(200), ErrorClass::Permanent);
    assert_eq!(err.title, "media too large");

    // The token never goes to another plain-HTTP origin.
    let err = api
        .download_media("http://127.0.0.2:9/x", 10)
        .await
        .unwrap_err();
    assert_eq!(err.title, "refused media URL");

    // Without the token the CDN URL is refused.
    let anonymous = reqwest::get(&info.url).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let err = api.media_info("4242").await.unwrap_err();
    assert_error(&err, Some(100), Some(400), ErrorClass::Permanent);
    let err = api.media_info("../messages").await.unwrap_err();
    assert_eq!(err.title, "invalid media id");
}

#[tokio::test]
async fn unreachable_api_is_retryable() {
    let fake = fake().await;
    let mut config = config_for(&fake);
    drop(fake);
    config.timeout = Duration::from_secs(2);
    let err = CloudApi::new(config)
        .unwrap()
        .send(&text("+16505551234", "hi"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Retryable, "{err:?}");
    assert_eq!(err.code, None);
}
