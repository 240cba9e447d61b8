//! The storage test suite: behaviour every `Store` implementation must
//! have. [`storage_suite!`](crate::storage_suite) expands it into one test
//! per case for a backend; `hippo-store-sql` runs it on SQLite and on
//! PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test suite: failures panic with context"
)]

use crate::chain::{GENESIS_HASH, first_break};
use crate::{
    AttachmentRow, ConversationRow, DataKeyRow, MarkKind, MessageRow, Store, StoreError, UserRow,
};
use hippo_core::{AttachmentId, ConversationId, ConversationKind, MessageId, Priority};
use hippo_core::{
    AuditAction, NewAuditEvent, Outcome, RequestMeta, Role, Session, SessionId, SessionScope,
    Timestamp, UserId, UserStatus,
};
use std::sync::Arc;

/// Expands into one `#[tokio::test]` per case, each on a fresh store made
/// by the async function `$make`.
#[macro_export]
macro_rules! storage_suite {
    ($make:path) => {
        $crate::storage_suite!(@cases $make;
            users_round_trip_every_field,
            usernames_are_unique,
            failed_logins_count_up,
            totp_steps_are_claimed_once,
            sessions_lifecycle,
            expired_sessions_are_listed,
            touch_only_moves_forward,
            dropped_transaction_leaves_nothing,
            audit_chain_is_gapless_and_verifies,
            concurrent_appenders_keep_the_chain,
            meta_upserts,
            data_keys_round_trip,
            conversations_members_and_messages,
            concurrent_senders_get_gapless_seq,
            marks_only_rise_and_make_receipts,
            attachments_are_shared_by_messages,
            exports_leave_data_keys_out_and_restores_put_them_back,
            job_leases_have_one_holder_until_they_expire,
            login_failures_count_per_source_and_window,
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store = $make().await;
                $crate::testsuite::$case(store).await;
            }
        )*
    };
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A user row with every optional field set.
pub fn sample_user(index: &str) -> UserRow {
    UserRow {
        id: UserId::generate(),
        username_index: index.to_owned(),
        username_enc: vec![1, 2, 3, 0, 255],
        display_name_enc: vec![9; 40],
        role: Role::Clinician,
        status: UserStatus::Active,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change_password: true,
        mfa_enabled: true,
        mfa_secret_enc: Some(vec![7; 48]),
        mfa_pending_secret_enc: None,
        totp_last_step: Some(42),
        failed_logins: 2,
        locked_until: Some(ts(5_000)),
        created_at: ts(1_000),
        updated_at: ts(2_000),
    }
}

fn sample_session(user: &UserId, created: i64) -> Session {
    Session {
        id: SessionId::generate(),
        user_id: user.clone(),
        scope: SessionScope::Full,
        created_at: ts(created),
        last_seen_at: ts(created),
        expires_at: ts(created + 3_600_000),
        ip: Some("127.0.0.1".into()),
        user_agent: None,
        ended_at: None,
        end_reason: None,
    }
}

fn event(action: AuditAction, n: i64) -> NewAuditEvent {
    NewAuditEvent::new(ts(10_000 + n), action, Outcome::Success)
        .meta(&RequestMeta {
            ip: Some("10.0.0.1".into()),
            user_agent: Some("suite".into()),
            request_id: Some(format!("r{n}")),
        })
        .resource("user", format!("u{n}"))
        .detail(serde_json::json!({ "n": n }))
}

async fn insert(store: &Arc<dyn Store>, user: &UserRow) {
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_user(user).await.unwrap();
    tx.commit().await.unwrap();
}

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
        .end_user_sessions(&u.id, Some(&c.id), ts(7_000), "password_changed")
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
        .end_user_sessions(&u.id, None, ts(8_000), "deactivated")
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
        tx.end_user_sessions(&u.id, None, ts(9_000), "again")
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

pub async fn dropped_transaction_leaves_nothing(store: Arc<dyn Store>) {
    let u = sample_user("ghost");
    {
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_user(&u).await.unwrap();
        tx.append_audit(&event(AuditAction::UserCreate, 1))
            .await
            .unwrap();
        // dropped without commit
    }
    assert_eq!(store.get_user(&u.id).await.unwrap(), None);
    assert!(store.list_audit(0, 10).await.unwrap().is_empty());
    // The sequence number was not consumed.
    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(
        tx.append_audit(&event(AuditAction::UserCreate, 2))
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
}

pub async fn audit_chain_is_gapless_and_verifies(store: Arc<dyn Store>) {
    let actor = UserId::generate();
    let session = SessionId::generate();
    let mut first = event(AuditAction::AuthLogin, 1).actor(Some(&actor), Some(&session));
    first.patient_id = Some("patient-1".into());
    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(tx.append_audit(&first).await.unwrap(), 1);
    assert_eq!(
        tx.append_audit(&event(AuditAction::UserCreate, 2))
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    let mut denied = event(AuditAction::UserDeactivate, 3);
    denied.outcome = Outcome::Denied;
    denied.detail = serde_json::Value::Null;
    assert_eq!(tx.append_audit(&denied).await.unwrap(), 3);
    tx.commit().await.unwrap();

    let records = store.list_audit(0, 100).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(records[0].prev_hash, GENESIS_HASH);
    assert_eq!(records[1].prev_hash, records[0].hash);
    assert_eq!(records[2].outcome, Outcome::Denied);
    assert_eq!(records[2].detail, "{}");
    assert_eq!(records[1].request_id.as_deref(), Some("r2"));
    // Every field of the event is stored as given.
    let r = &records[0];
    assert_eq!(r.at, first.at);
    assert_eq!(r.actor_id.as_ref(), Some(&actor));
    assert_eq!(r.session_id.as_ref(), Some(&session));
    assert_eq!(r.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(r.user_agent.as_deref(), Some("suite"));
    assert_eq!(r.request_id.as_deref(), Some("r1"));
    assert_eq!(r.action, AuditAction::AuthLogin);
    assert_eq!(r.resource_type.as_deref(), Some("user"));
    assert_eq!(r.resource_id.as_deref(), Some("u1"));
    assert_eq!(r.patient_id.as_deref(), Some("patient-1"));
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(r.detail, r#"{"n":1}"#);
    assert_eq!(records[1].actor_id, None);
    assert_eq!(records[1].patient_id, None);
    assert_eq!(first_break(&records, (0, GENESIS_HASH.into())), None);
    let page = store.list_audit(1, 1).await.unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![2]);
    assert!(store.list_audit(3, 10).await.unwrap().is_empty());
    // A later page continues the chain from where the previous one ended.
    let rest = store.list_audit(1, 10).await.unwrap();
    assert_eq!(first_break(&rest, (1, records[0].hash.clone())), None);

    // Any change to a stored field is detected at that record.
    let mut tampered = records.clone();
    tampered[1].detail = "{\"n\":999}".into();
    assert_eq!(first_break(&tampered, (0, GENESIS_HASH.into())), Some(2));
    let mut tampered = records.clone();
    tampered[0].actor_id = Some(UserId::generate());
    assert_eq!(first_break(&tampered, (0, GENESIS_HASH.into())), Some(1));
    let mut tampered = records.clone();
    tampered[2].at = ts(1);
    assert_eq!(first_break(&tampered, (0, GENESIS_HASH.into())), Some(3));
    let mut removed = records.clone();
    removed.remove(1);
    assert_eq!(first_break(&removed, (0, GENESIS_HASH.into())), Some(2));
    let mut reordered = records.clone();
    reordered.swap(0, 1);
    assert_eq!(first_break(&reordered, (0, GENESIS_HASH.into())), Some(1));
}

pub async fn concurrent_appenders_keep_the_chain(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for t in 0..8i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10i64 {
                let mut tx = store.begin_write().await.unwrap();
                tx.append_audit(&event(AuditAction::MessageSend, t * 100 + i))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let records = store.list_audit(0, 1_000).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=80).collect::<Vec<_>>()
    );
    assert_eq!(first_break(&records, (0, GENESIS_HASH.into())), None);
}

pub async fn meta_upserts(store: Arc<dyn Store>) {
    assert_eq!(store.get_meta("k").await.unwrap(), None);
    let mut tx = store.begin_write().await.unwrap();
    tx.put_meta("k", "v1").await.unwrap();
    tx.put_meta("k", "v2").await.unwrap();
    tx.put_meta("other", "x").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("v2"));
    let mut tx = store.begin_write().await.unwrap();
    tx.put_meta("k", "v3").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("v3"));
    assert_eq!(store.get_meta("other").await.unwrap().as_deref(), Some("x"));
}

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

/// A conversation (with its data key row) between two fresh users.
async fn conversation_of_two(store: &Arc<dyn Store>) -> (ConversationRow, UserRow, UserRow) {
    let a = sample_user(&format!("a-{}", UserId::generate()));
    let b = sample_user(&format!("b-{}", UserId::generate()));
    insert(store, &a).await;
    insert(store, &b).await;
    let key = DataKeyRow {
        id: format!("k-{}", UserId::generate()),
        purpose: "conversation".into(),
        wrapped: vec![1; 60],
        master_key_check: "abc".into(),
        created_at: ts(1),
    };
    let c = ConversationRow {
        id: ConversationId::generate(),
        kind: ConversationKind::Group,
        title_enc: Some(vec![8; 30]),
        data_key_id: key.id.clone(),
        created_by: a.id.clone(),
        created_at: ts(10),
        updated_at: ts(10),
        last_seq: 0,
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&key).await.unwrap();
    tx.insert_conversation(&c).await.unwrap();
    assert!(tx.add_member(&c.id, &a.id, ts(10)).await.unwrap());
    assert!(tx.add_member(&c.id, &b.id, ts(11)).await.unwrap());
    assert!(
        !tx.add_member(&c.id, &b.id, ts(12)).await.unwrap(),
        "already a member"
    );
    tx.commit().await.unwrap();
    (c, a, b)
}

fn message(c: &ConversationRow, sender: &UserId, seq: i64, client_id: Option<&str>) -> MessageRow {
    MessageRow {
        id: MessageId::generate(),
        conversation_id: c.id.clone(),
        seq,
        sender_id: sender.clone(),
        body_enc: Some(vec![seq as u8; 20]),
        priority: Priority::Urgent,
        client_id: client_id.map(str::to_owned),
        created_at: ts(100 + seq),
        edited_at: None,
        deleted_at: None,
        whatsapp: None,
    }
}

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
    tx.recall_message(&m1.id, ts(300)).await.unwrap();
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
            for _ in 0..10 {
                let mut tx = store.begin_write().await.unwrap();
                let seq = tx.next_seq(&c.id, ts(100)).await.unwrap();
                tx.insert_message(&message(&c, &sender, seq, None))
                    .await
                    .unwrap();
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
    tx.recall_message(&messages[0].id, ts(200)).await.unwrap();
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

/// A cluster-wide job has one holder at a time; it renews its lease, and
/// another node takes over only once the lease has expired.
pub async fn job_leases_have_one_holder_until_they_expire(store: Arc<dyn Store>) {
    let claim = |holder: &'static str, now: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.begin_write().await.unwrap();
            let got = tx
                .claim_lease("retention", holder, ts(now), ts(now + 100))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            got
        }
    };
    assert!(claim("node-a", 1_000).await);
    assert!(!claim("node-b", 1_050).await, "held by node-a");
    assert!(claim("node-a", 1_090).await, "renewed by its holder");
    assert!(!claim("node-b", 1_150).await, "renewal moved the expiry");
    assert!(claim("node-b", 1_190).await, "expired: node-b takes over");
    assert!(!claim("node-a", 1_200).await);
    // Released by a clean shutdown: free at once, and only by its holder.
    let mut tx = store.begin_write().await.unwrap();
    tx.release_lease("retention", "node-a").await.unwrap();
    tx.commit().await.unwrap();
    assert!(!claim("node-a", 1_210).await, "node-a did not hold it");
    let mut tx = store.begin_write().await.unwrap();
    tx.release_lease("retention", "node-b").await.unwrap();
    tx.commit().await.unwrap();
    assert!(claim("node-a", 1_220).await, "released: free at once");
    // Another job is independent.
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        tx.claim_lease("backup", "node-a", ts(1_200), ts(1_300))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

/// Failed sign-ins per source address, counted across nodes: a window
/// counts up, restarts once expired, and is pruned.
pub async fn login_failures_count_per_source_and_window(store: Arc<dyn Store>) {
    let fail = |source: &'static str, now: i64, expired_before: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.begin_write().await.unwrap();
            tx.record_login_failure(source, ts(now), ts(expired_before))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    assert_eq!(store.login_failures("10.0.0.1").await.unwrap(), None);
    fail("10.0.0.1", 1_000, 0).await;
    fail("10.0.0.1", 1_500, 500).await;
    fail("10.0.0.2", 1_500, 500).await;
    assert_eq!(
        store.login_failures("10.0.0.1").await.unwrap(),
        Some((ts(1_000), 2))
    );
    // The window that started at 1 000 has expired by 3 000.
    fail("10.0.0.1", 3_000, 2_000).await;
    assert_eq!(
        store.login_failures("10.0.0.1").await.unwrap(),
        Some((ts(3_000), 1))
    );
    let mut tx = store.begin_write().await.unwrap();
    tx.prune_login_failures(ts(2_000)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.login_failures("10.0.0.2").await.unwrap(), None);
    assert!(store.login_failures("10.0.0.1").await.unwrap().is_some());
}
