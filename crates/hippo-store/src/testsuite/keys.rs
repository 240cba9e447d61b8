//! Data keys: round trip, unique ids, and how exports and restores keep
//! them apart from the data.

use super::*;

pub async fn data_keys_round_trip(store: Arc<dyn Store>) {
    let k = DataKeyRow {
        id: "key-1".into(),
        purpose: "directory".into(),
        wrapped: vec![5; 60],
        master_key_check: "abc".into(),
        created_at: ts(1),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&k).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.list_data_keys().await.unwrap(), vec![k.clone()]);
    assert_eq!(store.get_data_key("key-1").await.unwrap(), Some(k.clone()));
    assert_eq!(store.get_data_key("key-2").await.unwrap(), None);
    // Key ids are unique.
    let mut tx = store.begin_write().await.unwrap();
    let err = tx.insert_data_key(&k).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// Backups keep data keys apart: an export holds none, returns them all,
/// and a restore puts back those still given and reports the rest (keys
/// destroyed since) as destroyed, with what used them.
pub async fn exports_leave_data_keys_out_and_restores_put_them_back(store: Arc<dyn Store>) {
    let (c, a, _) = conversation_of_two(&store).await;
    let marker: Vec<u8> = (0u8..60).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
    let gone = DataKeyRow {
        id: format!("k-{}", UserId::generate()),
        purpose: "conversation".into(),
        wrapped: marker.clone(),
        master_key_check: "abc".into(),
        created_at: ts(2),
    };
    let erased = ConversationRow {
        id: ConversationId::generate(),
        data_key_id: gone.id.clone(),
        ..c.clone()
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&gone).await.unwrap();
    tx.insert_conversation(&erased).await.unwrap();
    tx.insert_message(&message(&erased, &a.id, 1, None))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let dir = std::env::temp_dir().join(format!("hippo-export-{}", UserId::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = store.export_to(&dir).await.unwrap();
    assert_eq!(keys, store.list_data_keys().await.unwrap());
    assert!(keys.iter().any(|k| k.wrapped == marker));
    // No exported file holds a wrapped key.
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_slice()));
        files += 1;
    }
    assert!(files >= 1);
    let _ = std::fs::remove_dir_all(&dir);

    // Key files are recorded (and forgotten) by path.
    let row = crate::BackupKeyFileRow {
        path: "/backups/x.backup.keys".into(),
        backup_id: "b1".into(),
        created_at: ts(5),
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_backup_key_file(&row).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.list_backup_key_files().await.unwrap(),
        vec![row.clone()]
    );

    // Erasure destroys one key; the other stays live.
    let mut tx = store.begin_write().await.unwrap();
    tx.erase_conversation(&erased.id, &gone.id, &[1, 2], ts(50))
        .await
        .unwrap();
    tx.delete_backup_key_file(&row.path).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.list_backup_key_files().await.unwrap().is_empty());
    let ids: Vec<String> = keys.iter().map(|k| k.id.clone()).collect();
    let live = store.live_data_key_ids(&ids).await.unwrap();
    assert!(live.contains(&c.data_key_id));
    assert!(!live.contains(&gone.id));

    // Restoring keys that exist changes nothing and reports nothing.
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.restore_data_keys(&keys).await.unwrap().is_empty());
    assert!(
        tx.conversations_with_keys(std::slice::from_ref(&gone.id))
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get_data_key(&c.data_key_id)
            .await
            .unwrap()
            .unwrap()
            .wrapped,
        vec![1; 60]
    );
}
