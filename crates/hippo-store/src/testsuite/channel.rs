//! The patient channel: patients (phone numbers unique), templates,
//! delivery states, status reports applied once, and the webhook inbox (the
//! outbox is in `outbox.rs`).

use super::*;
use hippo_core::{ChannelState, PatientId};

fn patient(c: &ConversationRow, by: &UserId, phone_index: &str) -> PatientRow {
    PatientRow {
        id: PatientId::generate(),
        display_name_enc: vec![1; 30],
        phone_enc: vec![2; 30],
        phone_index: phone_index.to_owned(),
        mrn_enc: Some(vec![3; 20]),
        mrn_index: Some(format!("mrn-{phone_index}")),
        conversation_id: c.id.clone(),
        whatsapp_opt_in: true,
        opt_in_at: Some(ts(20)),
        opt_in_source_enc: Some(vec![4; 10]),
        opt_in_by: Some(by.clone()),
        opted_out_at: None,
        phi_request_warning_version: Some("v1".into()),
        phi_request_at: Some(ts(25)),
        last_inbound_at: Some(ts(30)),
        residence_state: Some("CA".into()),
        vip: true,
        workforce_member: false,
        created_by: by.clone(),
        created_at: ts(10),
        updated_at: ts(10),
    }
}

/// A message that travels over WhatsApp, still queued.
pub(super) fn whatsapp_message(c: &ConversationRow, sender: &UserId, seq: i64) -> MessageRow {
    MessageRow {
        whatsapp: Some(WhatsappDelivery {
            state: ChannelState::Queued,
            updated_at: ts(100 + seq),
            error_code: None,
            error_title: None,
            wamid: None,
        }),
        ..message(c, sender, seq, None)
    }
}

pub async fn patients_round_trip_and_phones_are_unique(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let (other_c, _, _) = conversation_of_two(&store).await;
    let outsider = sample_user(&format!("o-{}", UserId::generate()));
    insert(&store, &outsider).await;
    let mut p = patient(&c, &a.id, "phone-1");
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_patient(&p).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_patient(&p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(
        store.get_patient_by_phone_index("phone-1").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        store.get_patient_by_phone_index("phone-2").await.unwrap(),
        None
    );
    assert_eq!(
        store.get_patient_by_conversation(&c.id).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        store.list_patients_for(&a.id).await.unwrap(),
        vec![p.clone()]
    );
    assert!(
        store
            .list_patients_for(&outsider.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .list_patients_by_mrn_index("mrn-phone-1")
            .await
            .unwrap(),
        vec![p.clone()]
    );
    assert!(
        store
            .list_patients_by_mrn_index("mrn-other")
            .await
            .unwrap()
            .is_empty()
    );

    // One patient per phone number.
    let mut tx = store.begin_write().await.unwrap();
    let err = tx
        .insert_patient(&patient(&other_c, &a.id, "phone-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    assert_eq!(
        store
            .get_patient_by_conversation(&other_c.id)
            .await
            .unwrap(),
        None
    );

    // Every mutable field is replaced, and nullable ones can be cleared.
    p.display_name_enc = vec![7; 12];
    p.phone_index = "phone-2".into();
    p.mrn_enc = None;
    p.mrn_index = None;
    p.whatsapp_opt_in = false;
    p.opted_out_at = Some(ts(40));
    p.opt_in_source_enc = None;
    p.last_inbound_at = Some(ts(45));
    p.residence_state = None;
    p.vip = false;
    p.workforce_member = true;
    p.updated_at = ts(50);
    let mut tx = store.begin_write().await.unwrap();
    tx.update_patient(&p).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_patient(&p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(
        store.get_patient_by_phone_index("phone-1").await.unwrap(),
        None
    );
}

pub async fn templates_keep_their_phi_free_mark_across_syncs(store: Arc<dyn Store>) {
    let template = |name: &str, language: &str, status: &str| TemplateRow {
        name: name.to_owned(),
        language: language.to_owned(),
        category: "UTILITY".into(),
        status: status.to_owned(),
        parameter_count: 2,
        body_text: Some("Your appointment is on {{1}} at {{2}}.".into()),
        phi_free: false,
        synced_at: ts(100),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.upsert_template(&template("reminder", "pt_BR", "APPROVED"))
        .await
        .unwrap();
    tx.upsert_template(&template("reminder", "en_US", "APPROVED"))
        .await
        .unwrap();
    tx.upsert_template(&template("a_first", "en_US", "PENDING"))
        .await
        .unwrap();
    assert!(
        tx.set_template_phi_free("reminder", "en_US", true)
            .await
            .unwrap()
    );
    assert!(
        !tx.set_template_phi_free("missing", "en_US", true)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let keys: Vec<(String, String)> = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.language))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("a_first".into(), "en_US".into()),
            ("reminder".into(), "en_US".into()),
            ("reminder".into(), "pt_BR".into()),
        ]
    );

    // A later sync refreshes what the business account says and keeps
    // hippo's own mark.
    let mut resynced = template("reminder", "en_US", "PAUSED");
    resynced.parameter_count = 3;
    resynced.body_text = None;
    resynced.synced_at = ts(200);
    let mut tx = store.begin_write().await.unwrap();
    tx.upsert_template(&resynced).await.unwrap();
    tx.commit().await.unwrap();
    let stored = store
        .get_template("reminder", "en_US")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored,
        TemplateRow {
            phi_free: true,
            ..resynced
        }
    );
    assert!(
        !store
            .get_template("reminder", "pt_BR")
            .await
            .unwrap()
            .unwrap()
            .phi_free
    );
    assert_eq!(store.get_template("reminder", "de_DE").await.unwrap(), None);
}

pub async fn status_reports_apply_once_and_delivery_is_compare_and_set(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let mut tx = store.begin_write().await.unwrap();
    let m = whatsapp_message(&c, &a.id, tx.next_seq(&c.id, ts(100)).await.unwrap());
    tx.insert_message(&m).await.unwrap();
    let plain = message(&c, &a.id, tx.next_seq(&c.id, ts(100)).await.unwrap(), None);
    tx.insert_message(&plain).await.unwrap();
    tx.commit().await.unwrap();

    let delivery = |state: ChannelState, at: i64, wamid: &str| WhatsappDelivery {
        state,
        updated_at: ts(at),
        error_code: None,
        error_title: None,
        wamid: Some(wamid.to_owned()),
    };
    let mut tx = store.begin_write().await.unwrap();
    let sent = delivery(ChannelState::Sent, 200, "wamid-s");
    assert!(
        tx.set_whatsapp_delivery(&m.id, ChannelState::Queued, &sent)
            .await
            .unwrap()
    );
    assert!(
        !tx.set_whatsapp_delivery(&m.id, ChannelState::Queued, &sent)
            .await
            .unwrap(),
        "no longer queued"
    );
    assert!(
        !tx.set_whatsapp_delivery(&plain.id, ChannelState::Queued, &sent)
            .await
            .unwrap(),
        "not a WhatsApp message"
    );
    assert_eq!(
        tx.find_message_by_wamid("wamid-s")
            .await
            .unwrap()
            .map(|m| m.id),
        Some(m.id.clone())
    );
    // A later state keeps the wamid already known.
    let read = WhatsappDelivery {
        error_code: Some(1),
        error_title: Some("note".into()),
        ..delivery(ChannelState::Read, 300, "wamid-other")
    };
    assert!(
        tx.set_whatsapp_delivery(&m.id, ChannelState::Sent, &read)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let stored = store.get_message(&m.id).await.unwrap().unwrap();
    assert_eq!(
        stored.whatsapp,
        Some(WhatsappDelivery {
            wamid: Some("wamid-s".into()),
            ..read
        })
    );
    assert_eq!(
        store.get_message_by_wamid("wamid-other").await.unwrap(),
        None
    );

    // The same report again (webhooks are delivered at least once) is a
    // no-op; another status of the same message is not.
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.record_status_event("wamid-s", "delivered", Some(ts(250)), ts(260))
            .await
            .unwrap()
    );
    assert!(
        !tx.record_status_event("wamid-s", "delivered", Some(ts(251)), ts(270))
            .await
            .unwrap()
    );
    assert!(
        tx.record_status_event("wamid-s", "read", None, ts(280))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        !tx.record_status_event("wamid-s", "read", None, ts(290))
            .await
            .unwrap(),
        "remembered across transactions"
    );
    drop(tx);
}

pub async fn webhooks_wait_in_the_inbox_until_processed(store: Arc<dyn Store>) {
    let webhook = |id: &str, at: i64| WebhookRow {
        id: id.to_owned(),
        received_at: ts(at),
        body_enc: Some(vec![at as u8; 40]),
        state: "pending".into(),
        attempts: 0,
    };
    let rows = [webhook("w3", 300), webhook("w1", 100), webhook("w2", 200)];
    let mut tx = store.begin_write().await.unwrap();
    for row in &rows {
        tx.insert_webhook(row).await.unwrap();
    }
    tx.commit().await.unwrap();
    let pending = |limit: i64| {
        let store = store.clone();
        async move {
            store
                .list_pending_webhooks(limit)
                .await
                .unwrap()
                .into_iter()
                .map(|w| (w.id, w.attempts))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        store.list_pending_webhooks(1).await.unwrap(),
        vec![rows[1].clone()],
        "oldest first, body kept until processed"
    );

    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(tx.webhook_attempt_failed("w1").await.unwrap(), 1);
    assert_eq!(tx.webhook_attempt_failed("w1").await.unwrap(), 2);
    tx.finish_webhook("w2", "done", None, ts(400))
        .await
        .unwrap();
    tx.finish_webhook("w3", "rejected", Some("bad signature"), ts(400))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(pending(10).await, vec![("w1".to_owned(), 2)]);
}

/// A record about a patient's conversation names her: by the conversation
/// as its resource, or by the `conversation_id` in its detail. Other
/// conversations' records, and records that name a patient, stay as written.
pub async fn records_about_a_patients_conversation_name_her(store: Arc<dyn Store>) {
    use hippo_core::{AuditAction, NewAuditEvent, Outcome};
    let (c, a, _) = conversation_of_two(&store).await;
    let (group, _, _) = conversation_of_two(&store).await;
    let p = patient(&c, &a.id, "phone-9");
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_patient(&p).await.unwrap();
    let read = |conv: &str| {
        NewAuditEvent::new(ts(500), AuditAction::ConversationRead, Outcome::Success)
            .resource("conversation", conv.to_owned())
    };
    let sent = |conv: &str| {
        NewAuditEvent::new(ts(501), AuditAction::MessageSend, Outcome::Success)
            .resource("message", "m1")
            .detail(serde_json::json!({ "conversation_id": conv }))
    };
    let mut named = read(c.id.as_str());
    named.patient_id = Some("someone-else".into());
    for e in [
        read(c.id.as_str()),
        sent(c.id.as_str()),
        read(group.id.as_str()),
        named,
        read("not-a-conversation"),
    ] {
        tx.append_audit(&e).await.unwrap();
    }
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
    let got: Vec<Option<String>> = store
        .list_audit(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.patient_id)
        .collect();
    let her = Some(p.id.to_string());
    assert_eq!(
        got,
        vec![her.clone(), her, None, Some("someone-else".into()), None]
    );
}
