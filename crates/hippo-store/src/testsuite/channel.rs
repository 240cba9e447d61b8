//! The patient channel: patients (phone numbers unique), templates, the
//! WhatsApp outbox (due jobs claimed once, also by concurrent nodes),
//! delivery states, status reports applied once, and the webhook inbox.

use super::*;
use hippo_core::{ChannelState, PatientId};
use std::collections::HashSet;
use std::time::Duration;

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
        created_by: by.clone(),
        created_at: ts(10),
        updated_at: ts(10),
    }
}

/// A message that travels over WhatsApp, still queued.
fn whatsapp_message(c: &ConversationRow, sender: &UserId, seq: i64) -> MessageRow {
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

/// A pending job due at `due`, created at `created`.
fn job(message: &MessageId, conversation: &ConversationId, due: i64, created: i64) -> OutboxJob {
    OutboxJob {
        message_id: message.clone(),
        patient_id: PatientId::generate(),
        conversation_id: conversation.clone(),
        payload_enc: vec![9; 16],
        state: OutboxState::Pending,
        attempts: 0,
        next_attempt_at: ts(due),
        attempt_started_at: None,
        wamid: None,
        last_error_code: None,
        last_error_title: None,
        created_at: ts(created),
        updated_at: ts(created),
    }
}

async fn claim(
    store: &Arc<dyn Store>,
    now: i64,
    in_doubt_before: i64,
    limit: i64,
) -> Vec<OutboxJob> {
    let mut tx = store.begin_write().await.unwrap();
    let jobs = tx
        .claim_outbox(ts(now), ts(in_doubt_before), limit)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    jobs
}

fn ids(jobs: &[OutboxJob]) -> Vec<MessageId> {
    jobs.iter().map(|j| j.message_id.clone()).collect()
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

pub async fn outbox_jobs_are_claimed_when_due_and_settle_once(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let mut tx = store.begin_write().await.unwrap();
    let mut ms = Vec::new();
    for _ in 0..3 {
        let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
        let m = whatsapp_message(&c, &a.id, seq);
        tx.insert_message(&m).await.unwrap();
        ms.push(m);
    }
    let due = job(&ms[0].id, &c.id, 1_000, 10);
    let later = job(&ms[1].id, &c.id, 5_000, 20);
    let dead = OutboxJob {
        state: OutboxState::Dead,
        ..job(&ms[2].id, &c.id, 0, 30)
    };
    for j in [&due, &later, &dead] {
        tx.insert_outbox(j).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_message(&ms[0].id).await.unwrap(),
        Some(ms[0].clone())
    );
    assert_eq!(
        store.get_outbox_job(&due.message_id).await.unwrap(),
        Some(due.clone())
    );

    // Only the due job; it is marked sending with one more attempt.
    let first = claim(&store, 2_000, 0, 10).await;
    assert_eq!(
        first,
        vec![OutboxJob {
            state: OutboxState::Sending,
            attempts: 1,
            attempt_started_at: Some(ts(2_000)),
            updated_at: ts(2_000),
            ..due.clone()
        }]
    );
    assert!(
        claim(&store, 2_100, 1_000, 10).await.is_empty(),
        "in flight"
    );
    // Sending since the in-doubt limit: taken again, with the later one
    // now due, oldest first.
    let second = claim(&store, 6_000, 2_000, 10).await;
    assert_eq!(
        ids(&second),
        vec![due.message_id.clone(), later.message_id.clone()]
    );
    assert_eq!(second[0].attempts, 2);

    let mut tx = store.begin_write().await.unwrap();
    tx.outbox_retry_later(
        &later.message_id,
        ts(9_000),
        Some(131_048),
        "rate limit",
        ts(6_001),
    )
    .await
    .unwrap();
    assert!(
        tx.outbox_accepted(&due.message_id, "wamid-1", ts(6_002))
            .await
            .unwrap()
    );
    assert!(
        !tx.outbox_accepted(&due.message_id, "wamid-2", ts(6_003))
            .await
            .unwrap(),
        "done already"
    );
    tx.commit().await.unwrap();
    let retried = store
        .get_outbox_job(&later.message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.state, OutboxState::Pending);
    assert_eq!(retried.next_attempt_at, ts(9_000));
    assert_eq!(retried.last_error_code, Some(131_048));
    assert_eq!(retried.last_error_title.as_deref(), Some("rate limit"));
    let done = store
        .get_outbox_job(&due.message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, OutboxState::Done);
    assert_eq!(done.wamid.as_deref(), Some("wamid-1"));
    let sent = store
        .get_message_by_wamid("wamid-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.id, ms[0].id);
    assert_eq!(sent.whatsapp.unwrap().wamid.as_deref(), Some("wamid-1"));
    assert!(
        claim(&store, 8_000, 0, 10).await.is_empty(),
        "not due yet, done never"
    );

    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 1,
            sending: 0,
            done: 1,
            dead: 1,
            oldest_unsent_at: Some(ts(20)),
        }
    );
    assert_eq!(
        ids(&store.list_outbox(OutboxState::Dead, 10).await.unwrap()),
        vec![dead.message_id.clone()]
    );

    // Dead jobs come back only by an operator's retry; done ones never.
    let mut tx = store.begin_write().await.unwrap();
    tx.outbox_dead(&later.message_id, Some(131_026), "undeliverable", ts(6_100))
        .await
        .unwrap();
    tx.outbox_dead(&due.message_id, None, "late", ts(6_100))
        .await
        .unwrap();
    assert!(
        tx.outbox_requeue(&dead.message_id, ts(7_000))
            .await
            .unwrap()
    );
    assert!(!tx.outbox_requeue(&due.message_id, ts(7_000)).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get_outbox_job(&due.message_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        OutboxState::Done
    );
    assert_eq!(
        store
            .get_outbox_job(&later.message_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        OutboxState::Dead
    );
    let requeued = claim(&store, 7_000, 0, 10).await;
    assert_eq!(ids(&requeued), vec![dead.message_id.clone()]);
    assert_eq!(requeued[0].attempts, 1, "an operator's retry starts over");
}

/// Two claimers never get the same job. On PostgreSQL a claim skips the
/// jobs another open transaction holds (`SKIP LOCKED`) instead of waiting
/// for it; SQLite has one writer at a time.
pub async fn concurrent_claimers_never_get_the_same_job(store: Arc<dyn Store>) {
    let c = ConversationId::generate();
    let jobs: Vec<OutboxJob> = (0..6)
        .map(|i| job(&MessageId::generate(), &c, 100, i))
        .collect();
    let mut tx = store.begin_write().await.unwrap();
    for j in &jobs {
        tx.insert_outbox(j).await.unwrap();
    }
    tx.commit().await.unwrap();

    if store.backend() == "postgres" {
        let mut first = store.begin_write().await.unwrap();
        let held = first.claim_outbox(ts(1_000), ts(0), 3).await.unwrap();
        assert_eq!(held.len(), 3);
        // While `first` is open, a second node takes the others at once.
        let rest = tokio::time::timeout(Duration::from_secs(10), claim(&store, 1_000, 0, 10))
            .await
            .expect("a claim must not wait for jobs another node holds");
        assert_eq!(rest.len(), 3);
        first.commit().await.unwrap();
        let held: HashSet<MessageId> = ids(&held).into_iter().collect();
        assert!(rest.iter().all(|j| !held.contains(&j.message_id)));
    } else {
        let held = claim(&store, 1_000, 0, 3).await;
        let rest = claim(&store, 1_000, 0, 10).await;
        assert_eq!((held.len(), rest.len()), (3, 3));
        let held: HashSet<MessageId> = ids(&held).into_iter().collect();
        assert!(rest.iter().all(|j| !held.contains(&j.message_id)));
    }

    // Many claimers racing over fresh jobs: each job is handed out once.
    let fresh: Vec<OutboxJob> = (0..40)
        .map(|i| job(&MessageId::generate(), &c, 2_000, 100 + i))
        .collect();
    let mut tx = store.begin_write().await.unwrap();
    for j in &fresh {
        tx.insert_outbox(j).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = claim(&store, 3_000, 0, 2).await;
                if batch.is_empty() {
                    return got;
                }
                got.extend(ids(&batch));
            }
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    let unique: HashSet<&MessageId> = claimed.iter().collect();
    assert_eq!(unique.len(), claimed.len(), "a job was claimed twice");
    assert_eq!(claimed.len(), fresh.len());
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.sending), (0, 46));
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
