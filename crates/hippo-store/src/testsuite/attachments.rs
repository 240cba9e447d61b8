//! Attachments: shared by messages, seen only by members, and no longer
//! once recalled or the member removed.

use super::*;

pub async fn attachments_are_shared_by_messages(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let outsider = sample_user(&format!("o-{}", UserId::generate()));
    insert(&store, &outsider).await;
    let key = DataKeyRow {
        id: format!("k-{}", UserId::generate()),
        purpose: "attachment".into(),
        wrapped: vec![2; 60],
        master_key_check: "abc".into(),
        created_at: ts(1),
    };
    let file = |n: u8| AttachmentRow {
        id: AttachmentId::generate(),
        uploader_id: a.id.clone(),
        data_key_id: key.id.clone(),
        filename_enc: vec![n; 33],
        content_type: "application/pdf".into(),
        size: 5_000_000_000 + i64::from(n),
        sha256_enc: vec![n; 93],
        chunk_size: 65_536,
        created_at: ts(50),
    };
    let (f1, f2, f3) = (file(1), file(2), file(3));
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&key).await.unwrap();
    for f in [&f1, &f2, &f3] {
        tx.insert_attachment(f).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_attachment(&f1.id).await.unwrap(),
        Some(f1.clone())
    );
    assert_eq!(
        store
            .get_attachment(&AttachmentId::generate())
            .await
            .unwrap(),
        None
    );
    assert!(!store.attachment_shared_with(&f1.id, &b.id).await.unwrap());

    // Message 1 shares f2 then f1; message 2 has none; message 3 shares f3.
    let mut tx = store.begin_write().await.unwrap();
    let mut messages = Vec::new();
    for _ in 0..3 {
        let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
        let m = message(&c, &a.id, seq, None);
        tx.insert_message(&m).await.unwrap();
        messages.push(m);
    }
    tx.link_attachment(&messages[0], &f2.id, 0).await.unwrap();
    tx.link_attachment(&messages[0], &f1.id, 1).await.unwrap();
    tx.link_attachment(&messages[2], &f3.id, 0).await.unwrap();
    tx.commit().await.unwrap();

    let listed = store.list_message_attachments(&c.id, 0, 3).await.unwrap();
    let got: Vec<(i64, &AttachmentId)> = listed.iter().map(|r| (r.seq, &r.attachment.id)).collect();
    assert_eq!(got, vec![(1, &f2.id), (1, &f1.id), (3, &f3.id)]);
    assert_eq!(listed[1].attachment, f1);
    assert_eq!(listed[0].message_id, messages[0].id);
    let later: Vec<i64> = store
        .list_message_attachments(&c.id, 1, 3)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(later, vec![3]);
    assert!(store.attachment_shared_with(&f1.id, &b.id).await.unwrap());
    assert!(
        !store
            .attachment_shared_with(&f1.id, &outsider.id)
            .await
            .unwrap()
    );

    // Removal from the conversation and recall of the message both end it.
    let mut tx = store.begin_write().await.unwrap();
    tx.recall_message(&messages[0].id, ts(200), (1, &[1; 4]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!store.attachment_shared_with(&f1.id, &b.id).await.unwrap());
    assert!(store.attachment_shared_with(&f3.id, &b.id).await.unwrap());
    let mut tx = store.begin_write().await.unwrap();
    tx.remove_member(&c.id, &b.id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!store.attachment_shared_with(&f3.id, &b.id).await.unwrap());
    assert_eq!(
        store
            .list_message_attachments(&c.id, 0, 3)
            .await
            .unwrap()
            .len(),
        1
    );
}
