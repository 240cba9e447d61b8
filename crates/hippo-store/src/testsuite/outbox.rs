//! The WhatsApp outbox of the patient channel: due jobs are claimed once
//! (also by concurrent nodes: `SKIP LOCKED` on PostgreSQL), retried, given
//! up, requeued by an operator, and counted.

use super::channel::whatsapp_message;
use super::*;
use hippo_core::PatientId;
use std::collections::HashSet;
use std::time::Duration;

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
