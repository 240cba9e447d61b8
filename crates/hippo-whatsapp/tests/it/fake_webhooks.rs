//! The fake's webhooks: signed like Meta's, shaped like the samples,
//! retried until answered 200.

use hippo_whatsapp::{
    DeliveryStatus, EventError, InboundContent, OutboundMessage, WebhookEvent, sign,
};
use serde_json::{Value, json};

use crate::support::{Receiver, api_for, fake};

fn status_of(event: &WebhookEvent) -> &hippo_whatsapp::StatusUpdate {
    match event {
        WebhookEvent::Status(status) => status,
        other => panic!("not a status: {other:?}"),
    }
}

#[tokio::test]
async fn accepted_sends_are_followed_by_a_sent_status() {
    let fake = fake().await;
    let receiver = Receiver::attach(&fake).await;
    let accepted = api_for(&fake)
        .send(&OutboundMessage::Text {
            to: "+16505551234".into(),
            body: "hello".into(),
            callback_data: Some("msg-9".into()),
        })
        .await
        .unwrap();
    let events = receiver.wait_for_events(1).await;
    let status = status_of(&events[0]);
    assert_eq!(status.wamid, accepted.wamid);
    assert_eq!(status.status, DeliveryStatus::Sent);
    assert_eq!(status.callback_data.as_deref(), Some("msg-9"));
    assert_eq!(status.recipient_id.as_deref(), Some("16505551234"));
    assert_eq!(status.phone_number_id.as_deref(), Some("106540352242922"));
    assert!(status.timestamp.is_some_and(|t| t > 1_700_000_000));

    // The raw body has the sample's shape, timestamps as strings.
    let body: Value = serde_json::from_slice(&receiver.seen.lock().unwrap().bodies[0]).unwrap();
    assert_eq!(body["object"], "whatsapp_business_account");
    assert_eq!(body["entry"][0]["id"], "102290129340398");
    assert_eq!(body["entry"][0]["changes"][0]["field"], "messages");
    let value = &body["entry"][0]["changes"][0]["value"];
    assert_eq!(value["metadata"]["display_phone_number"], "15550783881");
    assert!(value["statuses"][0]["timestamp"].is_string());
    assert_eq!(value["statuses"][0]["pricing"]["category"], "service");
    assert_eq!(value["statuses"][0]["pricing"]["billable"], false);

    // Switched off, nothing follows.
    fake.set_auto_sent(false);
    api_for(&fake)
        .send(&OutboundMessage::Text {
            to: "+16505551234".into(),
            body: "again".into(),
            callback_data: None,
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(receiver.events().len(), 1);
}

#[tokio::test]
async fn post_status_delivers_delivered_read_and_failed() {
    let fake = fake().await;
    fake.set_auto_sent(false);
    let receiver = Receiver::attach(&fake).await;
    fake.add_template("notice", "en_US", "UTILITY", "APPROVED", "From {{1}}");
    let accepted = api_for(&fake)
        .send(&OutboundMessage::Template {
            to: "+16505551234".into(),
            name: "notice".into(),
            language: "en_US".into(),
            body_parameters: vec!["Riverside Clinic".into()],
            callback_data: Some("cb".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        fake.post_status(&accepted.wamid, "delivered", None).await,
        200
    );
    assert_eq!(fake.post_status(&accepted.wamid, "read", None).await, 200);
    assert_eq!(
        fake.post_status(
            &accepted.wamid,
            "failed",
            Some((131047, "Re-engagement message", "More than 24 hours."))
        )
        .await,
        200
    );
    let events = receiver.events();
    let statuses: Vec<_> = events.iter().map(status_of).collect();
    assert_eq!(
        statuses
            .iter()
            .map(|s| s.status.clone())
            .collect::<Vec<_>>(),
        vec![
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Failed
        ]
    );
    assert!(
        statuses
            .iter()
            .all(|s| s.callback_data.as_deref() == Some("cb"))
    );
    assert_eq!(
        statuses[2].errors,
        vec![EventError {
            code: Some(131047),
            title: Some("Re-engagement message".into()),
            details: Some("More than 24 hours.".into()),
        }]
    );
    let bodies = receiver.seen.lock().unwrap().bodies.clone();
    let delivered: Value = serde_json::from_slice(&bodies[0]).unwrap();
    let pricing = &delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"];
    assert_eq!(pricing["category"], "utility");
    assert_eq!(pricing["billable"], true);
}

#[tokio::test]
async fn inbound_text_escapes_non_ascii_and_is_signed() {
    let fake = fake().await;
    let receiver = Receiver::attach(&fake).await;
    let body = "Sí, el martes a las 9 ✓ 😀";
    let wamid = fake
        .post_inbound_text("+16505551234", "José Núñez", body)
        .await;
    let events = receiver.events();
    assert_eq!(events.len(), 1, "answered 200 before returning");
    let WebhookEvent::Inbound(message) = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(message.wamid, wamid);
    assert_eq!(message.from, "16505551234");
    assert_eq!(message.profile_name.as_deref(), Some("José Núñez"));
    assert_eq!(message.content, InboundContent::Text { body: body.into() });

    let raw = receiver.seen.lock().unwrap().bodies[0].clone();
    assert!(raw.is_ascii(), "non-ASCII is escaped as \\uXXXX");
    let text = String::from_utf8(raw).unwrap();
    assert!(text.contains(r"S\u00ed"), "{text}");
    assert!(text.contains(r"\ud83d\ude00"), "{text}");
}

#[tokio::test]
async fn delivery_retries_until_200() {
    let fake = fake().await;
    let receiver = Receiver::attach(&fake).await;
    receiver.seen.lock().unwrap().fail_first = 3;
    assert_eq!(
        fake.post_status("wamid.unknown", "delivered", None).await,
        200
    );
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.hits, 4);
    assert_eq!(seen.events.len(), 1);
}

#[tokio::test]
async fn no_target_means_no_delivery() {
    let fake = fake().await;
    assert_eq!(fake.post_status("wamid.x", "read", None).await, 0);
    assert_eq!(
        fake.post_raw(b"{}".to_vec(), None).await,
        (0, String::new())
    );
    assert!(
        fake.post_inbound_text("16505551234", "A", "b")
            .await
            .starts_with("wamid.")
    );
}

#[tokio::test]
async fn post_raw_and_envelope() {
    let fake = fake().await;
    let receiver = Receiver::attach(&fake).await;
    let body = fake.envelope(json!({
        "statuses": [{"id": "wamid.custom", "status": "played", "timestamp": "1767225600"}]
    }));
    let secret = fake.config().app_secret.clone();

    let (status, _) = fake.post_raw(body.clone(), None).await;
    assert_eq!(status, 401);
    let (status, _) = fake
        .post_raw(body.clone(), Some(sign(b"wrong", &body)))
        .await;
    assert_eq!(status, 401);
    let (status, text) = fake
        .post_raw(body.clone(), Some(sign(secret.as_bytes(), &body)))
        .await;
    assert_eq!((status, text.as_str()), (200, "ok"));

    let events = receiver.events();
    assert_eq!(events.len(), 1);
    let status = status_of(&events[0]);
    assert_eq!(status.wamid, "wamid.custom");
    assert_eq!(status.status, DeliveryStatus::Played);
    assert_eq!(status.phone_number_id.as_deref(), Some("106540352242922"));
}
