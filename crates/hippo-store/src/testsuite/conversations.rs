//! Conversations: members, messages (idempotency, edits, recalls),
//! gapless `seq` under concurrent senders, watermarks and receipts.

use super::*;

pub async fn conversations_members_and_messages(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let stored = store.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!(stored, c);
    assert_eq!(
        store.list_members(&c.id).await.unwrap(),
        vec![a.id.clone(), b.id.clone()]
    );
    assert!(store.is_member(&c.id, &b.id).await.unwrap());
    assert_eq!(
        store.list_conversations_for(&b.id).await.unwrap(),
        vec![c.clone()]
    );
    assert_eq!(
        store
            .get_data_key(&c.data_key_id)
            .await
            .unwrap()
            .unwrap()
            .purpose,
        "conversation"
    );

    let mut tx = store.begin_write().await.unwrap();
    let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
    assert_eq!(seq, 1);
    let m1 = message(&c, &a.id, seq, Some("client-1"));
    tx.insert_message(&m1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_message(&m1.id).await.unwrap(), Some(m1.clone()));
    assert_eq!(
        store
            .get_conversation(&c.id)
            .await
            .unwrap()
            .unwrap()
            .last_seq,
        1
    );

    // The client id is unique per sender and conversation.
    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(
        tx.find_by_client_id(&c.id, &a.id, "client-1")
            .await
            .unwrap(),
        Some(m1.clone())
    );
    assert_eq!(
        tx.find_by_client_id(&c.id, &b.id, "client-1")
            .await
            .unwrap(),
        None
    );
    let dup = message(&c, &a.id, 2, Some("client-1"));
    assert!(matches!(
        tx.insert_message(&dup).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    drop(tx);

    // append_message takes the next seq and inserts, unless the client id
    // is taken; dropping the transaction then gives the number back.
    let mut tx = store.begin_write().await.unwrap();
    let again = message(&c, &a.id, 0, Some("client-1"));
    assert_eq!(tx.append_message(&again, ts(150)).await.unwrap(), None);
    drop(tx);
    let mut tx = store.begin_write().await.unwrap();
    let m2 = message(&c, &a.id, 0, Some("client-2"));
    assert_eq!(tx.append_message(&m2, ts(150)).await.unwrap(), Some(2));
    let m3 = message(&c, &b.id, 0, None);
    assert_eq!(tx.append_message(&m3, ts(150)).await.unwrap(), Some(3));
    tx.commit().await.unwrap();
    let stored = store.get_message(&m2.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.seq, stored.client_id.as_deref()),
        (2, Some("client-2"))
    );
    assert_eq!(store.get_message(&m3.id).await.unwrap().unwrap().seq, 3);

    // Edit keeps the earlier version; recall empties both.
    let mut tx = store.begin_write().await.unwrap();
    tx.edit_message(&m1.id, 1, &[7; 5], &[9; 5], ts(200))
        .await
        .unwrap();
    assert_eq!(tx.count_versions(&m1.id).await.unwrap(), 1);
    tx.commit().await.unwrap();
    let edited = store.get_message(&m1.id).await.unwrap().unwrap();
    assert_eq!(edited.body_enc, Some(vec![9; 5]));
    assert_eq!(edited.edited_at, Some(ts(200)));
    let mut tx = store.begin_write().await.unwrap();
    let held = tx
        .recall_message(&m1.id, ts(300), (2, &[9; 5]))
        .await
        .unwrap();
    assert!(!held, "no hold: every version goes");
    assert_eq!(tx.count_versions(&m1.id).await.unwrap(), 2);
    assert_eq!(tx.kept_versions(&m1.id).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let recalled = store.get_message(&m1.id).await.unwrap().unwrap();
    assert_eq!(recalled.body_enc, None);
    assert_eq!(recalled.deleted_at, Some(ts(300)));
    assert_eq!(recalled.seq, 1);

    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.remove_member(&c.id, &b.id).await.unwrap());
    assert!(!tx.remove_member(&c.id, &b.id).await.unwrap());
    tx.update_conversation_title(&c.id, None, ts(400))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!store.is_member(&c.id, &b.id).await.unwrap());
    assert!(
        store
            .list_conversations_for(&b.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .get_conversation(&c.id)
            .await
            .unwrap()
            .unwrap()
            .title_enc,
        None
    );
}

pub async fn concurrent_senders_get_gapless_seq(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let mut tasks = Vec::new();
    for t in 0..6 {
        let store = store.clone();
        let c = c.clone();
        let sender = if t % 2 == 0 {
            a.id.clone()
        } else {
            b.id.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let mut tx = store.begin_write().await.unwrap();
                if t < 3 {
                    let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
                    tx.insert_message(&message(&c, &sender, seq, None))
                        .await
                        .unwrap();
                } else {
                    // The one-step append, with idempotency keys.
                    let m = message(&c, &sender, 0, Some(&format!("t{t}-{i}")));
                    assert!(tx.append_message(&m, ts(100)).await.unwrap().is_some());
                }
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all = store.list_messages(&c.id, 0, 1_000).await.unwrap();
    assert_eq!(
        all.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=60).collect::<Vec<_>>()
    );
    let page = store.list_messages(&c.id, 10, 5).await.unwrap();
    assert_eq!(
        page.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![11, 12, 13, 14, 15]
    );
}

pub async fn marks_only_rise_and_make_receipts(store: Arc<dyn Store>) {
    let (c, _a, b) = conversation_of_two(&store).await;
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.raise_mark(&c.id, &b.id, MarkKind::Delivered, 3, ts(1_000))
            .await
            .unwrap()
    );
    assert!(
        !tx.raise_mark(&c.id, &b.id, MarkKind::Delivered, 2, ts(2_000))
            .await
            .unwrap()
    );
    assert!(
        !tx.raise_mark(&c.id, &b.id, MarkKind::Delivered, 3, ts(2_000))
            .await
            .unwrap()
    );
    assert!(
        tx.raise_mark(&c.id, &b.id, MarkKind::Delivered, 5, ts(3_000))
            .await
            .unwrap()
    );
    assert!(
        tx.raise_mark(&c.id, &b.id, MarkKind::Read, 2, ts(4_000))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .mark_of(&c.id, &b.id, MarkKind::Delivered)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        store.mark_of(&c.id, &b.id, MarkKind::Read).await.unwrap(),
        2
    );
    let r2 = store.receipts(&c.id, 2).await.unwrap();
    assert_eq!(r2.len(), 1);
    assert_eq!(r2[0].delivered_at, Some(ts(1_000)));
    assert_eq!(r2[0].read_at, Some(ts(4_000)));
    let r4 = store.receipts(&c.id, 4).await.unwrap();
    assert_eq!(r4[0].delivered_at, Some(ts(3_000)));
    assert_eq!(r4[0].read_at, None);
    assert!(store.receipts(&c.id, 6).await.unwrap().is_empty());
}

pub async fn unread_counts_last_message_and_direct_pairs(store: Arc<dyn Store>) {
    let (c, a, b) = conversation_of_two(&store).await;
    let stats = store.conversation_stats(&b.id, None).await.unwrap();
    assert_eq!(
        stats,
        vec![ConversationStats {
            conversation_id: c.id.clone(),
            unread: 0,
            last_message_at: None,
        }]
    );
    // Three from a, one from b; b reads up to 1; a recalls 3.
    let mut tx = store.begin_write().await.unwrap();
    for sender in [&a.id, &a.id, &a.id, &b.id] {
        let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
        tx.insert_message(&message(&c, sender, seq, None))
            .await
            .unwrap();
    }
    tx.raise_mark(&c.id, &b.id, MarkKind::Read, 1, ts(200))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let third = store.list_messages(&c.id, 2, 1).await.unwrap().remove(0);
    let mut tx = store.begin_write().await.unwrap();
    tx.recall_message(&third.id, ts(300), (1, &[1; 4]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let only = store.conversation_stats(&b.id, Some(&c.id)).await.unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(
        only[0].unread, 1,
        "seq 2 only: 1 is read, 3 recalled, 4 is b's own"
    );
    assert_eq!(only[0].last_message_at, Some(ts(104)));
    let for_a = store.conversation_stats(&a.id, None).await.unwrap();
    assert_eq!(for_a[0].unread, 1, "b's message");
    let other = ConversationId::generate();
    assert!(
        store
            .conversation_stats(&a.id, Some(&other))
            .await
            .unwrap()
            .is_empty()
    );

    // One conversation per pair: the first claim wins, the second writes
    // nothing.
    let pair = format!("{}:{}", a.id, b.id);
    assert_eq!(store.find_direct(&pair).await.unwrap(), None);
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.claim_direct_pair(&pair, &c.id).await.unwrap());
    tx.commit().await.unwrap();
    let (d, _, _) = conversation_of_two(&store).await;
    let mut tx = store.begin_write().await.unwrap();
    assert!(!tx.claim_direct_pair(&pair, &d.id).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.find_direct(&pair).await.unwrap(), Some(c.id.clone()));
}
