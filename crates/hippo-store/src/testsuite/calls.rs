//! Calls: one live call per conversation, compare-and-swap changes, and
//! the live list.

use super::{conversation_of_two, ts};
use crate::prelude::*;
use hippo_core::CallId;
use std::sync::Arc;

pub async fn calls_are_one_live_per_conversation_and_change_by_compare_and_swap(
    store: Arc<dyn Store>,
) {
    let (conv, a, _) = conversation_of_two(&store).await;
    let call = CallRow {
        id: CallId::generate(),
        conversation_id: conv.id.clone(),
        media: "video".into(),
        topology: "p2p".into(),
        relay_only: true,
        started_by: a.id.clone(),
        started_at: ts(1_000),
        answered_at: None,
        ended_at: None,
        end_reason: None,
        version: 1,
        participants: "[]".into(),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_call(&call).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_call(&call.id).await.unwrap(), Some(call.clone()));
    assert_eq!(
        store.live_call_in(&conv.id).await.unwrap(),
        Some(call.clone())
    );
    assert_eq!(store.live_calls().await.unwrap(), vec![call.clone()]);

    // A second live call in the same conversation is a conflict (glare).
    let second = CallRow {
        id: CallId::generate(),
        ..call.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    assert!(matches!(
        tx.insert_call(&second).await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);

    // Two changes from version 1: the first wins, the second is told.
    let answered = CallRow {
        answered_at: Some(ts(2_000)),
        version: 2,
        participants: r#"[{"user_id":"x","state":"joined"}]"#.into(),
        ..call.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.update_call(&answered).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    assert!(!tx.update_call(&answered).await.unwrap(), "stale version");
    drop(tx);
    assert_eq!(
        store.get_call(&call.id).await.unwrap(),
        Some(answered.clone())
    );

    // Ended: no longer live, and a new call may start.
    let ended = CallRow {
        ended_at: Some(ts(9_000)),
        end_reason: Some("hangup".into()),
        version: 3,
        ..answered
    };
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.update_call(&ended).await.unwrap());
    tx.insert_call(&second).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.live_call_in(&conv.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.live_calls().await.unwrap(), vec![second]);
    assert_eq!(store.get_call(&call.id).await.unwrap(), Some(ended));
}
