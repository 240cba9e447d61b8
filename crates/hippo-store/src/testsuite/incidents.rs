//! Incidents: every field round-trips, the list is newest discovery first,
//! and a change made from a stale version is refused.

use super::{conversation_of_two, ts};
use crate::prelude::*;
use std::sync::Arc;

pub async fn incidents_are_listed_newest_first_and_change_by_compare_and_swap(
    store: Arc<dyn Store>,
) {
    let (_, a, b) = conversation_of_two(&store).await;
    let older = IncidentRow {
        id: "inc-1".into(),
        summary_enc: vec![5; 40],
        discovered_at: ts(1_000),
        discovered_offset_minutes: -300,
        created_at: ts(2_000),
        created_by: a.id.clone(),
        scope: r#"{"actor_id":"u1"}"#.into(),
        affected: r#"["p1","p2"]"#.into(),
        by_state: r#"{"CA":1,"unknown":1}"#.into(),
        individuals_notified_at: None,
        hhs_notified_at: None,
        media_notified_at: None,
        closed_at: None,
        closed_by: None,
        outcome: None,
        close_note_enc: None,
        version: 1,
    };
    let newer = IncidentRow {
        id: "inc-2".into(),
        discovered_at: ts(3_000),
        ..older.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_incident(&older).await.unwrap();
    tx.insert_incident(&newer).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_incident("inc-1").await.unwrap(),
        Some(older.clone())
    );
    assert_eq!(store.get_incident("nope").await.unwrap(), None);
    let ids: Vec<String> = store
        .list_incidents()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, vec!["inc-2".to_owned(), "inc-1".to_owned()]);

    // Every changeable field is stored by a change from the current version.
    let closed = IncidentRow {
        individuals_notified_at: Some(ts(4_000)),
        hhs_notified_at: Some(ts(4_100)),
        media_notified_at: Some(ts(4_200)),
        closed_at: Some(ts(5_000)),
        closed_by: Some(b.id.clone()),
        outcome: Some("notified".into()),
        close_note_enc: Some(vec![6; 30]),
        version: 2,
        ..older.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.update_incident(&closed).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_incident("inc-1").await.unwrap(),
        Some(closed.clone())
    );

    // A change made from version 1 again comes second and is refused.
    let stale = IncidentRow {
        hhs_notified_at: None,
        ..closed.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    assert!(!tx.update_incident(&stale).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.get_incident("inc-1").await.unwrap(), Some(closed));
}
