//! Governance: break-glass grants (open, expire, reviewed once), security
//! alerts, retention and legal holds, purges by age and erasure.

use super::*;

fn grant(c: &ConversationRow, user: &UserId, opened: i64, expires: i64) -> BreakGlassRow {
    BreakGlassRow {
        id: format!("bg-{}", UserId::generate()),
        conversation_id: c.id.clone(),
        user_id: user.clone(),
        reason_enc: vec![opened as u8; 24],
        opened_at: ts(opened),
        expires_at: ts(expires),
        reviewed_at: None,
        reviewed_by: None,
        review_note_enc: None,
    }
}

/// A data key and an attachment sealed with it, uploaded by `by` at `at`.
fn file(by: &UserId, at: i64) -> (DataKeyRow, AttachmentRow) {
    let key = DataKeyRow {
        id: format!("k-{}", UserId::generate()),
        purpose: "attachment".into(),
        wrapped: vec![3; 60],
        master_key_check: "abc".into(),
        created_at: ts(at),
    };
    let attachment = AttachmentRow {
        id: AttachmentId::generate(),
        uploader_id: by.clone(),
        data_key_id: key.id.clone(),
        filename_enc: vec![1; 20],
        content_type: "image/png".into(),
        size: 10,
        sha256_enc: vec![2; 60],
        chunk_size: 65_536,
        created_at: ts(at),
    };
    (key, attachment)
}

async fn insert_file(store: &Arc<dyn Store>, by: &UserId, at: i64) -> (DataKeyRow, AttachmentRow) {
    let (key, attachment) = file(by, at);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&key).await.unwrap();
    tx.insert_attachment(&attachment).await.unwrap();
    tx.commit().await.unwrap();
    (key, attachment)
}

/// Sends `n` messages (seq 1..=n, `created_at` 101..) from `sender`.
async fn send(
    store: &Arc<dyn Store>,
    c: &ConversationRow,
    sender: &UserId,
    n: i64,
) -> Vec<MessageRow> {
    let mut tx = store.begin_write().await.unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
        let m = message(c, sender, seq, None);
        tx.insert_message(&m).await.unwrap();
        out.push(m);
    }
    tx.commit().await.unwrap();
    out
}

pub async fn break_glass_grants_expire_and_are_reviewed_once(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let outsider = sample_user(&format!("o-{}", UserId::generate()));
    insert(&store, &outsider).await;
    let first = grant(&c, &outsider.id, 1_000, 2_000);
    let second = grant(&c, &outsider.id, 1_500, 3_000);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_break_glass(&first).await.unwrap();
    tx.insert_break_glass(&second).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        store.get_break_glass(&first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get_break_glass("bg-none").await.unwrap(), None);
    // The open grant that lasts longest; none once `expires_at` is reached.
    let active = |user: UserId, now: i64| {
        let (store, c) = (store.clone(), c.id.clone());
        async move {
            store
                .active_break_glass(&c, &user, ts(now))
                .await
                .unwrap()
                .map(|g| g.id)
        }
    };
    assert_eq!(
        active(outsider.id.clone(), 1_600).await,
        Some(second.id.clone())
    );
    assert_eq!(
        active(outsider.id.clone(), 2_500).await,
        Some(second.id.clone())
    );
    assert_eq!(active(outsider.id.clone(), 3_000).await, None, "expired");
    assert_eq!(active(b.id.clone(), 1_600).await, None, "another user's");

    assert_eq!(
        store.list_break_glass(false).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.review_break_glass(&first.id, &a.id, &[7; 9], ts(4_000))
            .await
            .unwrap()
    );
    assert!(
        !tx.review_break_glass(&first.id, &b.id, &[8; 9], ts(5_000))
            .await
            .unwrap(),
        "already reviewed"
    );
    tx.commit().await.unwrap();
    let reviewed = store.get_break_glass(&first.id).await.unwrap().unwrap();
    assert_eq!(reviewed.reviewed_at, Some(ts(4_000)));
    assert_eq!(reviewed.reviewed_by, Some(a.id.clone()));
    assert_eq!(reviewed.review_note_enc, Some(vec![7; 9]));
    assert_eq!(
        store.list_break_glass(true).await.unwrap(),
        vec![second],
        "only unreviewed ones are pending"
    );
}

pub async fn alerts_are_listed_newest_first(store: Arc<dyn Store>) {
    let alert = |id: &str, at: i64| AlertRow {
        id: id.to_owned(),
        at: ts(at),
        kind: "login.lockout".into(),
        severity: if at > 250 { "high" } else { "medium" }.into(),
        detail: format!(r#"{{"n":{at}}}"#),
        reviewed_at: None,
        reviewed_by: None,
    };
    let rows = [
        alert("a1", 100),
        alert("a2", 200),
        alert("a3", 200),
        alert("a4", 300),
    ];
    let mut tx = store.begin_write().await.unwrap();
    for row in &rows {
        tx.insert_alert(row).await.unwrap();
    }
    tx.commit().await.unwrap();
    let ids = |since: Option<i64>, limit: i64| {
        let store = store.clone();
        async move {
            store
                .list_alerts(since.map(ts), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(None, 10).await, vec!["a4", "a3", "a2", "a1"]);
    assert_eq!(
        ids(Some(200), 10).await,
        vec!["a4", "a3", "a2"],
        "since is inclusive"
    );
    assert_eq!(ids(None, 2).await, vec!["a4", "a3"]);
    assert_eq!(
        store.list_alerts(None, 1).await.unwrap(),
        vec![rows[3].clone()]
    );
    // Reviewed once; the open list leaves it out.
    let auditor = UserId::generate();
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.review_alert("a3", ts(400), &auditor).await.unwrap());
    assert!(!tx.review_alert("a3", ts(500), &auditor).await.unwrap());
    assert!(!tx.review_alert("nope", ts(500), &auditor).await.unwrap());
    tx.commit().await.unwrap();
    let open: Vec<_> = store
        .list_open_alerts(10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open, vec!["a4", "a2", "a1"]);
    let a3 = store.get_alert("a3").await.unwrap().unwrap();
    assert_eq!(
        (a3.reviewed_at, a3.reviewed_by),
        (Some(ts(400)), Some(auditor))
    );
    assert_eq!(store.get_alert("nope").await.unwrap(), None);
}

pub async fn retention_and_legal_hold_are_per_conversation(store: Arc<dyn Store>) {
    let (c, _, _) = conversation_of_two(&store).await;
    let (other, _, _) = conversation_of_two(&store).await;
    let default = |id: &ConversationId| ConversationPolicy {
        conversation_id: id.clone(),
        retention_secs: None,
        legal_hold_since: None,
        legal_hold_reason_enc: None,
        erased_at: None,
    };
    assert_eq!(
        store.conversation_policy(&c.id).await.unwrap(),
        Some(default(&c.id))
    );
    assert_eq!(
        store
            .conversation_policy(&ConversationId::generate())
            .await
            .unwrap(),
        None
    );

    let mut tx = store.begin_write().await.unwrap();
    tx.set_retention(&c.id, Some(86_400)).await.unwrap();
    tx.set_legal_hold(&c.id, Some((ts(500), &[4; 12])))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let held = ConversationPolicy {
        retention_secs: Some(86_400),
        legal_hold_since: Some(ts(500)),
        legal_hold_reason_enc: Some(vec![4; 12]),
        ..default(&c.id)
    };
    assert_eq!(
        store.conversation_policy(&c.id).await.unwrap(),
        Some(held.clone())
    );
    let mut all = store.list_conversation_policies().await.unwrap();
    all.sort_by(|x, y| x.conversation_id.cmp(&y.conversation_id));
    let mut want = vec![held, default(&other.id)];
    want.sort_by(|x, y| x.conversation_id.cmp(&y.conversation_id));
    assert_eq!(all, want, "the other conversation is untouched");

    // Clearing both goes back to the organisation default.
    let mut tx = store.begin_write().await.unwrap();
    tx.set_legal_hold(&c.id, None).await.unwrap();
    tx.set_retention(&c.id, None).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.conversation_policy(&c.id).await.unwrap(),
        Some(default(&c.id))
    );
}

/// A recall under legal hold keeps the body and versions behind the
/// tombstone; clearing the hold destroys them, in that conversation only.
pub async fn a_hold_keeps_what_recalls_remove_until_it_is_cleared(store: Arc<dyn Store>) {
    let (held, a, _) = conversation_of_two(&store).await;
    let (free, b, _) = conversation_of_two(&store).await;
    let kept = send(&store, &held, &a.id, 2).await;
    let other = send(&store, &free, &b.id, 1).await;
    let (_, held_file) = insert_file(&store, &a.id, 50).await;
    let (_, free_file) = insert_file(&store, &b.id, 50).await;
    let mut tx = store.begin_write().await.unwrap();
    tx.link_attachment(&kept[0], &held_file.id, 0)
        .await
        .unwrap();
    tx.link_attachment(&other[0], &free_file.id, 0)
        .await
        .unwrap();
    tx.set_legal_hold(&held.id, Some((ts(150), &[4; 12])))
        .await
        .unwrap();
    tx.edit_message(&kept[0].id, 1, &[7; 5], &[8; 5], ts(160))
        .await
        .unwrap();
    assert!(
        tx.recall_message(&kept[0].id, ts(170), (2, &[8; 5]))
            .await
            .unwrap()
    );
    let other_held = tx
        .recall_message(&other[0].id, ts(170), (1, &[6; 5]))
        .await
        .unwrap();
    assert!(!other_held, "the other conversation has no hold");
    assert_eq!(tx.kept_versions(&kept[0].id).await.unwrap(), 2);
    assert_eq!(tx.kept_versions(&other[0].id).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let tombstone = store.get_message(&kept[0].id).await.unwrap().unwrap();
    assert_eq!(tombstone.body_enc, None, "members see it recalled");
    assert!(tombstone.deleted_at.is_some());
    // Members no longer reach either file; the sweep of unshared uploads
    // takes the free one and keeps the held one.
    assert!(
        !store
            .attachment_shared_with(&held_file.id, &a.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .list_message_attachments(&held.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let mut tx = store.begin_write().await.unwrap();
    let swept = tx.purge_unshared_attachments(ts(10_000)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(swept, vec![free_file.id.clone()]);
    assert!(store.get_attachment(&held_file.id).await.unwrap().is_some());

    let mut tx = store.begin_write().await.unwrap();
    tx.set_legal_hold(&held.id, None).await.unwrap();
    assert_eq!(tx.destroy_recalled_versions(&held.id).await.unwrap(), 2);
    assert_eq!(tx.kept_versions(&kept[0].id).await.unwrap(), 0);
    assert_eq!(
        tx.destroy_recalled_versions(&held.id).await.unwrap(),
        0,
        "once"
    );
    tx.commit().await.unwrap();
    // The hold cleared, its file is an unshared upload like any other.
    let mut tx = store.begin_write().await.unwrap();
    let swept = tx.purge_unshared_attachments(ts(10_000)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(swept, vec![held_file.id.clone()]);
    let live = store.get_message(&kept[1].id).await.unwrap().unwrap();
    assert!(
        live.body_enc.is_some(),
        "messages not recalled are untouched"
    );
}

/// Messages created before the cut go, with their versions, attachment
/// links and outbox jobs; files go with their keys once shared nowhere.
pub async fn purge_removes_old_messages_and_files_shared_nowhere_else(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let (elsewhere, _, _) = conversation_of_two(&store).await;
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.add_member(&elsewhere.id, &a.id, ts(20)).await.unwrap());
    tx.commit().await.unwrap();
    let (only_key, only_old) = insert_file(&store, &a.id, 50).await;
    let (_, shared_elsewhere) = insert_file(&store, &a.id, 50).await;
    let (_, on_new) = insert_file(&store, &a.id, 50).await;
    let (unsent_key, unsent) = insert_file(&store, &a.id, 50).await;
    let (_, recent_upload) = insert_file(&store, &a.id, 5_000).await;

    // created_at 101, 102, 103.
    let ms = send(&store, &c, &a.id, 3).await;
    let there = send(&store, &elsewhere, &a.id, 1).await;
    let job = OutboxJob {
        message_id: ms[0].id.clone(),
        patient_id: hippo_core::PatientId::generate(),
        conversation_id: c.id.clone(),
        payload_enc: vec![1; 8],
        state: OutboxState::Done,
        attempts: 1,
        next_attempt_at: ts(101),
        attempt_started_at: Some(ts(101)),
        wamid: None,
        last_error_code: None,
        last_error_title: None,
        created_at: ts(101),
        updated_at: ts(101),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.link_attachment(&ms[0], &only_old.id, 0).await.unwrap();
    tx.link_attachment(&ms[0], &shared_elsewhere.id, 1)
        .await
        .unwrap();
    tx.link_attachment(&there[0], &shared_elsewhere.id, 0)
        .await
        .unwrap();
    tx.link_attachment(&ms[2], &on_new.id, 0).await.unwrap();
    tx.edit_message(&ms[0].id, 1, &[5; 5], &[6; 5], ts(150))
        .await
        .unwrap();
    tx.insert_outbox(&job).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_write().await.unwrap();
    let purged = tx.purge_messages_before(&c.id, ts(103)).await.unwrap();
    assert_eq!(tx.count_versions(&ms[0].id).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(purged.messages, 2);
    assert_eq!(purged.files, vec![only_old.id.clone()]);
    assert_eq!(store.get_message(&ms[0].id).await.unwrap(), None);
    assert_eq!(store.get_message(&ms[1].id).await.unwrap(), None);
    assert_eq!(
        store.list_messages(&c.id, 0, 10).await.unwrap(),
        vec![ms[2].clone()]
    );
    assert_eq!(store.get_outbox_job(&ms[0].id).await.unwrap(), None);
    assert_eq!(store.get_attachment(&only_old.id).await.unwrap(), None);
    assert_eq!(store.get_data_key(&only_key.id).await.unwrap(), None);
    assert!(
        store
            .get_attachment(&shared_elsewhere.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .attachment_conversations(&shared_elsewhere.id)
            .await
            .unwrap(),
        vec![elsewhere.id.clone()]
    );
    assert!(store.get_attachment(&on_new.id).await.unwrap().is_some());
    assert_eq!(
        store.list_messages(&elsewhere.id, 0, 10).await.unwrap(),
        there,
        "other conversations keep their messages"
    );

    // Uploads no message shares go once old enough; shared ones stay.
    let mut tx = store.begin_write().await.unwrap();
    let gone = tx.purge_unshared_attachments(ts(1_000)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(gone, vec![unsent.id.clone()]);
    assert_eq!(store.get_attachment(&unsent.id).await.unwrap(), None);
    assert_eq!(store.get_data_key(&unsent_key.id).await.unwrap(), None);
    assert!(
        store
            .get_attachment(&recent_upload.id)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.get_attachment(&on_new.id).await.unwrap().is_some());
}

pub async fn erasure_leaves_a_tombstone_and_destroys_the_key(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let (kept, _, _) = conversation_of_two(&store).await;
    let outsider = sample_user(&format!("o-{}", UserId::generate()));
    insert(&store, &outsider).await;
    let (file_key, attachment) = insert_file(&store, &a.id, 50).await;
    let ms = send(&store, &c, &a.id, 2).await;
    let open_grant = grant(&c, &outsider.id, 100, 10_000);
    let mut tx = store.begin_write().await.unwrap();
    tx.link_attachment(&ms[1], &attachment.id, 0).await.unwrap();
    tx.raise_mark(&c.id, &b.id, MarkKind::Read, 2, ts(200))
        .await
        .unwrap();
    tx.insert_break_glass(&open_grant).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_write().await.unwrap();
    let erased = tx
        .erase_conversation(&c.id, &c.data_key_id, &[9; 4], ts(500))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(erased.messages, 2);
    assert_eq!(erased.files, vec![attachment.id.clone()]);
    assert_eq!(store.get_data_key(&file_key.id).await.unwrap(), None);

    let tombstone = store.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!(tombstone.title_enc, None);
    let policy = store.conversation_policy(&c.id).await.unwrap().unwrap();
    assert_eq!(policy.erased_at, Some(ts(500)));
    let listed: Vec<ConversationId> = store
        .list_conversation_policies()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.conversation_id)
        .collect();
    assert_eq!(listed, vec![kept.id.clone()], "erased ones are left out");
    assert!(store.list_members(&c.id).await.unwrap().is_empty());
    assert!(store.list_messages(&c.id, 0, 10).await.unwrap().is_empty());
    assert_eq!(
        store.mark_of(&c.id, &b.id, MarkKind::Read).await.unwrap(),
        0
    );
    assert!(store.receipts(&c.id, 1).await.unwrap().is_empty());

    // The key is overwritten: nothing sealed with it opens again.
    let key = store.get_data_key(&c.data_key_id).await.unwrap().unwrap();
    assert_eq!(key.purpose, "destroyed");
    assert!(key.wrapped.is_empty());
    assert_eq!(
        store
            .live_data_key_ids(&[c.data_key_id.clone(), kept.data_key_id.clone()])
            .await
            .unwrap(),
        vec![kept.data_key_id.clone()]
    );
    // Emergency access ends with it.
    let grant_now = store
        .get_break_glass(&open_grant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grant_now.expires_at, ts(500));
    assert_eq!(
        store
            .active_break_glass(&c.id, &outsider.id, ts(600))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.list_members(&kept.id).await.unwrap().len(), 2);
}
