//! Users: every field round-trips, usernames are unique, failed logins
//! count up, a TOTP step is accepted once.

use super::*;

pub async fn users_round_trip_every_field(store: Arc<dyn Store>) {
    let mut u = sample_user("idx-a");
    insert(&store, &u).await;
    assert_eq!(store.get_user(&u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        store.get_user_by_index("idx-a").await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(store.get_user_by_index("idx-b").await.unwrap(), None);
    assert_eq!(store.get_user(&UserId::generate()).await.unwrap(), None);

    u.username_index = "idx-renamed".into();
    u.username_enc = vec![6; 33];
    u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA".into();
    u.role = Role::Auditor;
    u.status = UserStatus::Deactivated;
    u.must_change_password = false;
    u.mfa_enabled = false;
    u.mfa_secret_enc = None;
    u.mfa_pending_secret_enc = Some(vec![3; 10]);
    u.totp_last_step = None;
    u.locked_until = None;
    u.failed_logins = 0;
    u.display_name_enc = vec![4; 12];
    u.updated_at = ts(9_000);
    let mut tx = store.begin_write().await.unwrap();
    tx.update_user(&u).await.unwrap();
    assert_eq!(
        tx.get_user(&u.id).await.unwrap(),
        Some(u.clone()),
        "visible inside the transaction"
    );
    tx.commit().await.unwrap();
    assert_eq!(store.get_user(&u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        store.get_user_by_index("idx-renamed").await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(store.get_user_by_index("idx-a").await.unwrap(), None);

    // Some again, with values different from the first ones.
    u.mfa_secret_enc = Some(vec![2; 64]);
    u.mfa_pending_secret_enc = None;
    u.totp_last_step = Some(7);
    u.locked_until = Some(ts(8_000));
    u.failed_logins = 5;
    u.updated_at = ts(9_500);
    let mut tx = store.begin_write().await.unwrap();
    tx.update_user(&u).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_user(&u.id).await.unwrap(), Some(u.clone()));

    let second = sample_user("idx-b");
    insert(&store, &second).await;
    let all = store.list_users().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.contains(&u) && all.contains(&second));
}

pub async fn usernames_are_unique(store: Arc<dyn Store>) {
    insert(&store, &sample_user("same")).await;
    let mut tx = store.begin_write().await.unwrap();
    let err = tx.insert_user(&sample_user("same")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);

    // Renaming onto a taken username is a conflict too.
    let mut other = sample_user("other");
    insert(&store, &other).await;
    other.username_index = "same".into();
    let mut tx = store.begin_write().await.unwrap();
    let err = tx.update_user(&other).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    assert_eq!(store.list_users().await.unwrap().len(), 2);
    assert_eq!(
        store
            .get_user(&other.id)
            .await
            .unwrap()
            .unwrap()
            .username_index,
        "other"
    );
}

pub async fn failed_logins_count_up(store: Arc<dyn Store>) {
    let mut u = sample_user("fails");
    u.failed_logins = 0;
    insert(&store, &u).await;
    for expected in 1..=3 {
        let mut tx = store.begin_write().await.unwrap();
        assert_eq!(
            tx.increment_failed_logins(&u.id, ts(7_000)).await.unwrap(),
            expected
        );
        tx.commit().await.unwrap();
    }
    let stored = store.get_user(&u.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, 3);
    assert_eq!(stored.updated_at, ts(7_000));
}

pub async fn totp_steps_are_claimed_once(store: Arc<dyn Store>) {
    let mut u = sample_user("totp");
    u.totp_last_step = None;
    insert(&store, &u).await;
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.claim_totp_step(&u.id, 100).await.unwrap());
    assert!(
        !tx.claim_totp_step(&u.id, 100).await.unwrap(),
        "same step again"
    );
    assert!(!tx.claim_totp_step(&u.id, 99).await.unwrap(), "older step");
    assert!(tx.claim_totp_step(&u.id, 101).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        store.get_user(&u.id).await.unwrap().unwrap().totp_last_step,
        Some(101)
    );
}

pub async fn recovery_codes_are_swapped_once(store: Arc<dyn Store>) {
    let u = sample_user("recovery");
    insert(&store, &u).await;
    let mut tx = store.begin_write().await.unwrap();
    tx.set_recovery_codes(&u.id, Some(&[1; 32])).await.unwrap();
    // A whole-row update leaves them alone.
    let mut row = tx.get_user(&u.id).await.unwrap().unwrap();
    row.mfa_recovery_enc = None;
    tx.update_user(&row).await.unwrap();
    assert!(
        tx.swap_recovery_codes(&u.id, &[1; 32], Some(&[2; 32]))
            .await
            .unwrap()
    );
    assert!(
        !tx.swap_recovery_codes(&u.id, &[1; 32], Some(&[3; 32]))
            .await
            .unwrap(),
        "a stale value does not swap"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get_user(&u.id)
            .await
            .unwrap()
            .unwrap()
            .mfa_recovery_enc,
        Some(vec![2; 32])
    );
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.swap_recovery_codes(&u.id, &[2; 32], None).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        store
            .get_user(&u.id)
            .await
            .unwrap()
            .unwrap()
            .mfa_recovery_enc,
        None
    );
}
