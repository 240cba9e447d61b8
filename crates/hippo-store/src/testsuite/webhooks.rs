//! Outgoing webhooks: events enqueue one delivery per subscribed endpoint
//! inside the change's transaction; deliveries are claimed in order per
//! conversation, settle, die, are redelivered; concurrent claimers (other
//! nodes) never share one.

use super::*;
use hippo_core::WebhookId;
use std::collections::HashSet;

fn endpoint(events: &[&str], scoped_to: Option<&UserId>) -> WebhookEndpointRow {
    WebhookEndpointRow {
        id: WebhookId::generate(),
        url: "https://erp.example/hooks".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret_enc: vec![5; 60],
        service_account_id: scoped_to.cloned(),
        created_by: None,
        created_at: ts(1),
        deleted_at: None,
    }
}

async fn enqueue(
    store: &Arc<dyn Store>,
    event_id: &str,
    kind: &str,
    conversation: Option<&ConversationId>,
    at: i64,
) -> u64 {
    let mut tx = store.begin_write().await.unwrap();
    let n = tx
        .enqueue_webhook_event(&WebhookEvent {
            event_id,
            event_type: kind,
            conversation_id: conversation,
            payload: &format!(r#"{{"type":"{kind}","id":"{event_id}"}}"#),
            at: ts(at),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn claim(store: &Arc<dyn Store>, now: i64, limit: i64) -> Vec<WebhookDeliveryRow> {
    let mut tx = store.begin_write().await.unwrap();
    let got = tx
        .claim_webhook_deliveries(ts(now), ts(now + 60_000), limit)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    got
}

async fn settle(store: &Arc<dyn Store>, d: &WebhookDeliveryRow, state: DeliveryState, at: i64) {
    let mut tx = store.begin_write().await.unwrap();
    let attempt = WebhookAttemptRow {
        delivery_seq: d.seq,
        attempt: d.attempts,
        at: ts(at),
        status: Some(if state == DeliveryState::Delivered {
            204
        } else {
            503
        }),
        error: (state != DeliveryState::Delivered).then(|| "status 503".into()),
        duration_ms: 12,
    };
    tx.finish_webhook_attempt(&attempt, state, ts(at + 5_000))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn events(ds: &[WebhookDeliveryRow]) -> Vec<&str> {
    ds.iter().map(|d| d.event_id.as_str()).collect()
}

pub async fn events_enqueue_for_subscribers_in_the_changes_transaction(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let outsider = sample_user("outsider-service");
    insert(&store, &outsider).await;
    let all = endpoint(&["message.created", "whatsapp.status"], None);
    let statuses = endpoint(&["whatsapp.status"], None);
    let scoped_member = endpoint(&["message.created"], Some(&a.id));
    let scoped_outsider = endpoint(&["message.created"], Some(&outsider.id));
    let mut tx = store.begin_write().await.unwrap();
    for w in [&all, &statuses, &scoped_member, &scoped_outsider] {
        tx.insert_webhook_endpoint(w).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_webhook_endpoint(&all.id).await.unwrap(),
        Some(all.clone())
    );
    assert_eq!(store.list_webhook_endpoints().await.unwrap().len(), 4);

    // A rolled-back change leaves no delivery.
    let mut tx = store.begin_write().await.unwrap();
    tx.enqueue_webhook_event(&WebhookEvent {
        event_id: "msg_rolled_back",
        event_type: "message.created",
        conversation_id: Some(&c.id),
        payload: "{}",
        at: ts(100),
    })
    .await
    .unwrap();
    drop(tx);
    assert!(
        store
            .list_webhook_deliveries(&all.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Subscribers of the type; a scoped endpoint only for its member.
    assert_eq!(
        enqueue(&store, "msg_1", "message.created", Some(&c.id), 100).await,
        2
    );
    assert_eq!(
        enqueue(&store, "msg_2", "whatsapp.status", Some(&c.id), 101).await,
        2
    );
    assert_eq!(
        enqueue(&store, "msg_3", "patient.inbound", Some(&c.id), 102).await,
        0
    );
    let listed = store
        .list_webhook_deliveries(&all.id, None, 10)
        .await
        .unwrap();
    assert_eq!(events(&listed), vec!["msg_2", "msg_1"], "newest first");
    assert_eq!(listed[1].state, DeliveryState::Pending);
    assert_eq!(listed[1].ordering_key, c.id.as_str());
    assert_eq!(
        listed[1].payload,
        r#"{"type":"message.created","id":"msg_1"}"#
    );
    let page = store
        .list_webhook_deliveries(&all.id, Some(listed[0].seq), 10)
        .await
        .unwrap();
    assert_eq!(events(&page), vec!["msg_1"], "the cursor pages on");
    assert_eq!(
        events(
            &store
                .list_webhook_deliveries(&scoped_member.id, None, 10)
                .await
                .unwrap()
        ),
        vec!["msg_1"]
    );
    assert!(
        store
            .list_webhook_deliveries(&scoped_outsider.id, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "an endpoint scoped to a non-member hears nothing of the conversation"
    );

    // Deleting an endpoint kills its pending deliveries, keeps history.
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.delete_webhook_endpoint(&statuses.id, ts(200))
            .await
            .unwrap()
    );
    assert!(
        !tx.delete_webhook_endpoint(&statuses.id, ts(201))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let gone = store
        .list_webhook_deliveries(&statuses.id, None, 10)
        .await
        .unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].state, DeliveryState::Dead);
    assert_eq!(
        enqueue(&store, "msg_4", "whatsapp.status", Some(&c.id), 300).await,
        1
    );
    assert_eq!(store.list_webhook_endpoints().await.unwrap().len(), 3);
}

pub async fn deliveries_are_claimed_in_order_per_conversation_and_settle(store: Arc<dyn Store>) {
    let (c1, _, _) = conversation_of_two(&store).await;
    let (c2, _, _) = conversation_of_two(&store).await;
    let w = endpoint(&["message.created"], None);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_webhook_endpoint(&w).await.unwrap();
    tx.commit().await.unwrap();
    enqueue(&store, "a1", "message.created", Some(&c1.id), 100).await;
    enqueue(&store, "a2", "message.created", Some(&c1.id), 101).await;
    enqueue(&store, "b1", "message.created", Some(&c2.id), 102).await;

    // One head per conversation; a leased head holds its line.
    let first = claim(&store, 1_000, 10).await;
    assert_eq!(events(&first), vec!["a1", "b1"]);
    assert!(first.iter().all(|d| d.attempts == 1));
    assert!(
        claim(&store, 1_001, 10).await.is_empty(),
        "both lines are leased"
    );

    // a1 fails: a2 still waits behind it (order per conversation).
    settle(&store, &first[0], DeliveryState::Pending, 2_000).await;
    settle(&store, &first[1], DeliveryState::Delivered, 2_000).await;
    assert!(
        claim(&store, 2_001, 10).await.is_empty(),
        "a1 retries at 7 000"
    );
    let retry = claim(&store, 7_000, 10).await;
    assert_eq!(events(&retry), vec!["a1"]);
    assert_eq!(retry[0].attempts, 2);
    // A lease that runs out (its node died) is claimed again.
    let again = claim(&store, 7_000 + 60_000, 10).await;
    assert_eq!(events(&again), vec!["a1"]);
    assert_eq!(again[0].attempts, 3);
    settle(&store, &again[0], DeliveryState::Dead, 70_000).await;
    // Dead: the line moves on.
    let next = claim(&store, 80_000, 10).await;
    assert_eq!(events(&next), vec!["a2"]);
    settle(&store, &next[0], DeliveryState::Delivered, 80_001).await;
    // A late answer of an earlier attempt changes nothing settled.
    settle(&store, &retry[0], DeliveryState::Pending, 80_002).await;

    let a1 = store
        .get_webhook_delivery(&w.id, "a1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a1.state, DeliveryState::Dead);
    assert_eq!(a1.last_status, Some(503));
    let a2 = store
        .get_webhook_delivery(&w.id, "a2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a2.state, DeliveryState::Delivered);
    assert_eq!(a2.delivered_at, Some(ts(80_001)));
    let attempts = store
        .list_webhook_attempts(&[a1.seq, a2.seq])
        .await
        .unwrap();
    assert_eq!(
        attempts
            .iter()
            .map(|a| (a.delivery_seq, a.attempt))
            .collect::<Vec<_>>(),
        vec![(a1.seq, 1), (a1.seq, 2), (a1.seq, 3), (a2.seq, 1)]
    );

    // Carrying a line on: the next of the line is leased in the settling
    // transaction, only when it is the line's oldest pending one.
    enqueue(&store, "a3", "message.created", Some(&c1.id), 85_000).await;
    enqueue(&store, "a4", "message.created", Some(&c1.id), 85_001).await;
    let head = claim(&store, 86_000, 10).await;
    assert_eq!(events(&head), vec!["a3"]);
    let mut tx = store.begin_write().await.unwrap();
    tx.finish_webhook_attempt(
        &WebhookAttemptRow {
            delivery_seq: head[0].seq,
            attempt: 1,
            at: ts(86_001),
            status: Some(204),
            error: None,
            duration_ms: 1,
        },
        DeliveryState::Delivered,
        ts(86_001),
    )
    .await
    .unwrap();
    let next = tx
        .claim_next_in_line(&w.id, c1.id.as_str(), ts(86_001), ts(146_001))
        .await
        .unwrap()
        .expect("a4 is next");
    assert_eq!((next.event_id.as_str(), next.attempts), ("a4", 1));
    assert!(
        tx.claim_next_in_line(&w.id, c1.id.as_str(), ts(86_001), ts(146_001))
            .await
            .unwrap()
            .is_none(),
        "a4 is leased now"
    );
    assert!(
        tx.claim_next_in_line(&w.id, "", ts(86_001), ts(146_001))
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();
    settle(&store, &next, DeliveryState::Delivered, 86_002).await;

    // Redeliver: only a dead one; its retries count anew.
    let mut tx = store.begin_write().await.unwrap();
    assert!(!tx.redeliver_webhook(&w.id, "a2", ts(90_000)).await.unwrap());
    assert!(tx.redeliver_webhook(&w.id, "a1", ts(90_000)).await.unwrap());
    tx.commit().await.unwrap();
    let back = claim(&store, 90_000, 10).await;
    assert_eq!(events(&back), vec!["a1"]);
    assert_eq!((back[0].attempts, back[0].attempts_before), (4, 3));
    assert!(!store.webhook_delivery_due(ts(90_001)).await.unwrap());
    settle(&store, &back[0], DeliveryState::Delivered, 90_100).await;
    assert!(!store.webhook_delivery_due(ts(10_000_000)).await.unwrap());
}

pub async fn concurrent_claimers_never_share_a_delivery(store: Arc<dyn Store>) {
    let w = endpoint(&["whatsapp.status"], None);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_webhook_endpoint(&w).await.unwrap();
    tx.commit().await.unwrap();
    // No ordering key: every one is claimable at once.
    for i in 0..40 {
        enqueue(&store, &format!("e{i}"), "whatsapp.status", None, 100 + i).await;
    }
    assert!(store.webhook_delivery_due(ts(1_000)).await.unwrap());
    let claimers = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = claim(&store, 1_000, 3).await;
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|d| d.event_id));
            }
            mine
        })
    });
    let mut seen = HashSet::new();
    let mut total = 0;
    for c in claimers {
        for id in c.await.unwrap() {
            total += 1;
            assert!(seen.insert(id.clone()), "{id} claimed twice");
        }
    }
    assert_eq!(total, 40);
}
