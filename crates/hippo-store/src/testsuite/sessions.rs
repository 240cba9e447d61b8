//! Sessions: lifecycle, expiry (absolute and idle) and the idle timer.

use super::*;

pub async fn sessions_lifecycle(store: Arc<dyn Store>) {
    let u = sample_user("sessions");
    insert(&store, &u).await;
    // Another user's session, which nothing below may end.
    let bystander = sample_user("bystander");
    insert(&store, &bystander).await;
    let other = sample_session(&bystander.id, 500);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_session(&other, "hash-other").await.unwrap();
    tx.commit().await.unwrap();

    let a = sample_session(&u.id, 1_000);
    let mut b = sample_session(&u.id, 2_000);
    b.scope = SessionScope::MfaEnrollment;
    b.user_agent = Some("agent".into());
    let c = sample_session(&u.id, 3_000);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_session(&a, "hash-a").await.unwrap();
    tx.insert_session(&b, "hash-b").await.unwrap();
    tx.insert_session(&c, "hash-c").await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        store.get_session_by_token_hash("hash-b").await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(store.get_session_by_token_hash("nope").await.unwrap(), None);
    assert_eq!(store.get_session(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.list_open_sessions(&u.id).await.unwrap(),
        vec![a.clone(), b.clone(), c.clone()]
    );

    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.end_session(&a.id, ts(5_000), "logout").await.unwrap());
    assert!(
        !tx.end_session(&a.id, ts(6_000), "logout").await.unwrap(),
        "already ended"
    );
    tx.commit().await.unwrap();
    let ended = store.get_session(&a.id).await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(ts(5_000)));
    assert_eq!(ended.end_reason.as_deref(), Some("logout"));

    let mut tx = store.begin_write().await.unwrap();
    let ids = tx
        .end_user_sessions(&u.id, Some(&c.id), ts(7_000), "password_changed", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids, vec![b.id.clone()]);
    assert_eq!(
        store.list_open_sessions(&u.id).await.unwrap(),
        vec![c.clone()]
    );

    let mut tx = store.begin_write().await.unwrap();
    let ids = tx
        .end_user_sessions(&u.id, None, ts(8_000), "deactivated", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids, vec![c.id.clone()]);
    assert!(store.list_open_sessions(&u.id).await.unwrap().is_empty());
    let c_now = store.get_session(&c.id).await.unwrap().unwrap();
    assert_eq!(c_now.end_reason.as_deref(), Some("deactivated"));
    assert_eq!(c_now.ended_at, Some(ts(8_000)));
    // Ending sessions already ended neither reports nor rewrites them.
    let b_now = store.get_session(&b.id).await.unwrap().unwrap();
    assert_eq!(b_now.ended_at, Some(ts(7_000)));
    assert_eq!(b_now.end_reason.as_deref(), Some("password_changed"));

    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.end_user_sessions(&u.id, None, ts(9_000), "again", false)
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();

    assert_eq!(
        store.list_open_sessions(&bystander.id).await.unwrap(),
        vec![other.clone()],
        "another user's session is untouched"
    );
}

pub async fn expired_sessions_are_listed(store: Arc<dyn Store>) {
    let u = sample_user("expiry");
    insert(&store, &u).await;
    let now = 100_000;
    let idle_since = 40_000;
    let mk = |created: i64, last_seen: i64, expires: i64| {
        let mut s = sample_session(&u.id, created);
        s.last_seen_at = ts(last_seen);
        s.expires_at = ts(expires);
        s
    };
    let live = mk(1_000, 50_000, 200_000);
    let at_absolute_end = mk(2_000, 90_000, now);
    let past_absolute_end = mk(3_000, 90_000, now - 1);
    let idle_at_limit = mk(4_000, idle_since, 200_000);
    let idle_long = mk(5_000, 10_000, 200_000);
    let ended = mk(6_000, 10_000, 20_000);
    let mut tx = store.begin_write().await.unwrap();
    for (i, s) in [
        &live,
        &at_absolute_end,
        &past_absolute_end,
        &idle_at_limit,
        &idle_long,
        &ended,
    ]
    .into_iter()
    .enumerate()
    {
        tx.insert_session(s, &format!("hash-exp-{i}"))
            .await
            .unwrap();
    }
    assert!(
        tx.end_session(&ended.id, ts(30_000), "logout")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut expired: Vec<SessionId> = store
        .list_expired_sessions(ts(now), ts(idle_since))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    expired.sort();
    let mut want = vec![
        at_absolute_end.id.clone(),
        past_absolute_end.id.clone(),
        idle_at_limit.id.clone(),
        idle_long.id.clone(),
    ];
    want.sort();
    assert_eq!(expired, want);

    // Activity after the idle limit takes a session off the list.
    store
        .touch_session(&idle_at_limit.id, ts(idle_since + 1))
        .await
        .unwrap();
    let expired = store
        .list_expired_sessions(ts(now), ts(idle_since))
        .await
        .unwrap();
    assert_eq!(expired.len(), 3);
    assert!(
        expired
            .iter()
            .all(|s| s.id != idle_at_limit.id && s.id != live.id)
    );
}

pub async fn touch_only_moves_forward(store: Arc<dyn Store>) {
    let u = sample_user("touch");
    insert(&store, &u).await;
    let s = sample_session(&u.id, 1_000);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_session(&s, "hash-touch").await.unwrap();
    tx.commit().await.unwrap();
    store.touch_session(&s.id, ts(5_000)).await.unwrap();
    store.touch_session(&s.id, ts(4_000)).await.unwrap();
    assert_eq!(
        store
            .get_session(&s.id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        ts(5_000)
    );
    let mut tx = store.begin_write().await.unwrap();
    tx.end_session(&s.id, ts(6_000), "logout").await.unwrap();
    tx.commit().await.unwrap();
    store.touch_session(&s.id, ts(9_000)).await.unwrap();
    assert_eq!(
        store
            .get_session(&s.id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        ts(5_000),
        "ended sessions stay ended"
    );
}

pub async fn api_keys_never_idle_and_end_with_their_account(store: Arc<dyn Store>) {
    let mut u = sample_user("service");
    u.role = Role::Service;
    insert(&store, &u).await;
    let login = sample_session(&u.id, 1_000);
    let mut session = sample_session(&u.id, 1_000);
    session.kind = hippo_core::SessionKind::ApiKey;
    session.expires_at = ts(1_000_000);
    let key = ApiKeyRow {
        id: session.id.clone(),
        user_id: u.id.clone(),
        name: "ERP bridge".into(),
        allowed_ips: vec!["10.0.0.0/8".into(), "2001:db8::/32".into()],
        client_cert_sha256: Some("ab".repeat(32)),
        created_by: None,
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_session(&login, "hash-login").await.unwrap();
    tx.insert_api_key(&key, &session, "hash-key").await.unwrap();
    tx.commit().await.unwrap();

    let got = store.get_api_key(&key.id).await.unwrap().unwrap();
    assert_eq!(got.key, key);
    assert_eq!(got.session, session);
    assert_eq!(
        store.get_session_by_token_hash("hash-key").await.unwrap(),
        Some(session.clone()),
        "a key authenticates like a session"
    );
    assert_eq!(store.list_api_keys(&u.id).await.unwrap().len(), 1);
    assert!(store.get_api_key(&login.id).await.unwrap().is_none());
    assert_eq!(
        store.list_open_sessions(&u.id).await.unwrap(),
        vec![login.clone()],
        "a user's sign-in sessions do not list keys"
    );
    // Long idle: the sign-in session expires, the key does not.
    let expired = store
        .list_expired_sessions(ts(500_000), ts(400_000))
        .await
        .unwrap();
    assert_eq!(
        expired.iter().map(|s| &s.id).collect::<Vec<_>>(),
        vec![&login.id]
    );
    // A password change ends sign-ins only; deactivation ends keys too.
    let mut tx = store.begin_write().await.unwrap();
    let ended = tx
        .end_user_sessions(&u.id, None, ts(2_000), "password_changed", false)
        .await
        .unwrap();
    assert_eq!(ended, vec![login.id.clone()]);
    let ended = tx
        .end_user_sessions(&u.id, None, ts(3_000), "deactivated", true)
        .await
        .unwrap();
    assert_eq!(ended, vec![key.id.clone()]);
    tx.commit().await.unwrap();
    let got = store.get_api_key(&key.id).await.unwrap().unwrap();
    assert_eq!(got.session.ended_at, Some(ts(3_000)));
}
