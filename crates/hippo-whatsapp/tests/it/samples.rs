//! Every reference sample parses into the expected events, and no
//! truncation or garbling of any sample makes the parser panic.

use hippo_whatsapp::{
    DeliveryStatus, EventError, InboundContent, InboundMessage, StatusUpdate, WebhookEvent,
    WebhookParseError, parse_webhook,
};

const PHONE_NUMBER_ID: &str = "106540352242922";
const USER: &str = "16505551234";

macro_rules! sample {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../samples/", $name)).as_slice(),
        )
    };
}

const SAMPLES: &[(&str, &[u8])] = &[
    sample!("error-response-100.json"),
    sample!("error-response-130429.json"),
    sample!("error-response-131047.json"),
    sample!("error-response-131056.json"),
    sample!("error-response-132000.json"),
    sample!("error-response-190.json"),
    sample!("send-document-request.json"),
    sample!("send-image-request.json"),
    sample!("send-mark-read-request.json"),
    sample!("send-mark-read-response.json"),
    sample!("send-response-held.json"),
    sample!("send-response.json"),
    sample!("send-template-request.json"),
    sample!("send-text-request.json"),
    sample!("templates-list-response.json"),
    sample!("webhook-errors-130429.json"),
    sample!("webhook-inbound-button-reply.json"),
    sample!("webhook-inbound-image.json"),
    sample!("webhook-inbound-text.json"),
    sample!("webhook-inbound-unsupported.json"),
    sample!("webhook-status-delivered.json"),
    sample!("webhook-status-failed-131026.json"),
    sample!("webhook-status-failed.json"),
    sample!("webhook-status-read.json"),
    sample!("webhook-status-sent.json"),
    sample!("webhook-template-status-update.json"),
    sample!("webhook-verify-get.json"),
];

fn parse(name: &str) -> Vec<WebhookEvent> {
    let (_, bytes) = SAMPLES.iter().find(|(n, _)| *n == name).unwrap();
    parse_webhook(bytes).unwrap()
}

fn status(wamid: &str, status: DeliveryStatus, ts: i64, errors: Vec<EventError>) -> WebhookEvent {
    WebhookEvent::Status(StatusUpdate {
        phone_number_id: Some(PHONE_NUMBER_ID.into()),
        wamid: wamid.into(),
        status,
        timestamp: Some(ts),
        recipient_id: Some(USER.into()),
        callback_data: None,
        errors,
    })
}

fn inbound(wamid: &str, ts: i64, context: Option<&str>, content: InboundContent) -> WebhookEvent {
    WebhookEvent::Inbound(InboundMessage {
        phone_number_id: Some(PHONE_NUMBER_ID.into()),
        wamid: wamid.into(),
        from: USER.into(),
        timestamp: Some(ts),
        profile_name: Some("Sheena Nelson".into()),
        context_wamid: context.map(str::to_owned),
        content,
    })
}

fn error(code: i64, title: &str, details: &str) -> EventError {
    EventError {
        code: Some(code),
        title: Some(title.into()),
        details: Some(details.into()),
    }
}

const SENT_WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3QjY0RTM0MjgzRkM4NjYzQTIA";

#[test]
fn status_samples() {
    assert_eq!(
        parse("webhook-status-sent.json"),
        vec![status(
            SENT_WAMID,
            DeliveryStatus::Sent,
            1_767_225_600,
            vec![]
        )]
    );
    assert_eq!(
        parse("webhook-status-delivered.json"),
        vec![status(
            SENT_WAMID,
            DeliveryStatus::Delivered,
            1_767_225_603,
            vec![]
        )]
    );
    assert_eq!(
        parse("webhook-status-read.json"),
        vec![status(
            SENT_WAMID,
            DeliveryStatus::Read,
            1_767_225_721,
            vec![]
        )]
    );
    assert_eq!(
        parse("webhook-status-failed.json"),
        vec![status(
            "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBMUYzQzlFNTdCMDA0RDQ5OEQA",
            DeliveryStatus::Failed,
            1_767_229_200,
            vec![error(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
            )]
        )]
    );
    assert_eq!(
        parse("webhook-status-failed-131026.json"),
        vec![status(
            "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIzOTI2MzFGRjdBRjA4M0Y2RDQA",
            DeliveryStatus::Failed,
            1_767_229_500,
            vec![error(
                131026,
                "Receiver is incapable of receiving this message",
                "Message Undeliverable."
            )]
        )]
    );
}

#[test]
fn inbound_samples() {
    assert_eq!(
        parse("webhook-inbound-text.json"),
        vec![inbound(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            1_767_226_000,
            None,
            InboundContent::Text {
                body: "Yes, I can come on Tuesday.".into()
            }
        )]
    );
    assert_eq!(
        parse("webhook-inbound-image.json"),
        vec![inbound(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzRUIwQzc1NTJGMEQ4QkY3RjFFNQA=",
            1_767_226_100,
            None,
            InboundContent::Media {
                kind: "image".into(),
                media_id: "1003383421387256".into(),
                mime_type: Some("image/jpeg".into()),
                sha256: Some("J5Pk9oRq+ZwVhHnF0i3h2p6qQyQ2l4pYvAq0b0H3tXY=".into()),
                caption: Some("Photo of the form".into()),
                filename: None,
            }
        )]
    );
    assert_eq!(
        parse("webhook-inbound-unsupported.json"),
        vec![inbound(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ0RjU3QTk5MEIyQzFEOEUzRjQ1NgA=",
            1_767_226_200,
            None,
            InboundContent::Unsupported {
                kind: "unsupported".into(),
                errors: vec![error(
                    131051,
                    "Message type unknown",
                    "Message type is currently not supported."
                )],
            }
        )]
    );
    assert_eq!(
        parse("webhook-inbound-button-reply.json"),
        vec![inbound(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ1QkE3QzlEMEUyRjQ2ODgxMDBBQgA=",
            1_767_226_300,
            Some(SENT_WAMID),
            InboundContent::Button {
                text: "Confirm".into(),
                payload: Some("CONFIRM_APPT".into()),
            }
        )]
    );
}

#[test]
fn system_error_and_template_status_samples() {
    assert_eq!(
        parse("webhook-errors-130429.json"),
        vec![WebhookEvent::Error {
            phone_number_id: Some(PHONE_NUMBER_ID.into()),
            errors: vec![error(
                130429,
                "Rate limit hit",
                "Cloud API message throughput has been reached."
            )],
        }]
    );
    assert_eq!(
        parse("webhook-template-status-update.json"),
        vec![WebhookEvent::TemplateStatus {
            name: "portal_message_notice".into(),
            language: "en_US".into(),
            event: "APPROVED".into(),
            reason: Some("NONE".into()),
        }]
    );
}

#[test]
fn non_webhook_samples_have_no_entry() {
    for (name, bytes) in SAMPLES.iter().filter(|(n, _)| !n.starts_with("webhook-")) {
        assert_eq!(
            parse_webhook(bytes),
            Err(WebhookParseError::NoEntry),
            "{name}"
        );
    }
    let (_, verify) = SAMPLES
        .iter()
        .find(|(n, _)| *n == "webhook-verify-get.json")
        .unwrap();
    assert_eq!(parse_webhook(verify), Err(WebhookParseError::NoEntry));
}

#[test]
fn errors_never_quote_the_body() {
    let secret_body = b"{\"entry\": 16505551234 Yes, I can come";
    let err = parse_webhook(secret_body).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("1650") && !text.contains("Yes"), "{text}");
}

#[test]
fn unknown_field_is_ignored_not_an_error() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
        {"field":"phone_number_quality_update","value":{"event":"FLAGGED"}},
        {"value":{}}]}]}"#;
    assert_eq!(
        parse_webhook(body).unwrap(),
        vec![
            WebhookEvent::Ignored {
                field: "phone_number_quality_update".into()
            },
            WebhookEvent::Ignored { field: "".into() },
        ]
    );
}

#[test]
fn never_panics_on_truncated_or_garbled_samples() {
    const GARBAGE: &[u8] = b"\"{]:,0\\\xff";
    for (name, bytes) in SAMPLES {
        for end in 0..=bytes.len() {
            let _ = parse_webhook(&bytes[..end]);
        }
        if !name.starts_with("webhook-") {
            continue;
        }
        for at in 0..bytes.len() {
            for &g in GARBAGE {
                let mut garbled = bytes.to_vec();
                garbled[at] = g;
                let _ = parse_webhook(&garbled);
            }
        }
    }
    // Deep nesting stays an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        parse_webhook(deep.as_bytes()),
        Err(WebhookParseError::NotJson)
    );
    let deep_entry = format!(
        r#"{{"entry":[{{"changes":[{{"field":"messages","value":{}1{}}}]}}]}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    let _ = parse_webhook(deep_entry.as_bytes());
}
