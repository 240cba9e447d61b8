//! The audit trail: rolled-back appends leave nothing, the chain is
//! gapless and verifies under concurrent appenders, sequencing passes
//! (also concurrent ones) build the RFC 9162 tree exactly once per record,
//! tree heads are kept once per size, queries filter, checkpoints and key
//! endorsements are kept.

use super::*;
use crate::ActorActivity;

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
    assert_eq!(store.pending_audit().await.unwrap().count, 0);
    store.sequence_audit(100).await.unwrap();
    assert!(store.list_audit(0, 10).await.unwrap().is_empty());
    // The sequence number was not consumed.
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&event(AuditAction::UserCreate, 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.pending_audit().await.unwrap().count, 1);
    let pass = store.sequence_audit(100).await.unwrap();
    assert_eq!((pass.appended, pass.tree_size), (1, 1));
    assert_eq!(store.list_audit(0, 10).await.unwrap()[0].seq, 1);
}

pub async fn audit_chain_is_gapless_and_verifies(store: Arc<dyn Store>) {
    let actor = UserId::generate();
    let session = SessionId::generate();
    let mut first = event(AuditAction::AuthLogin, 1).actor(Some(&actor), Some(&session));
    first.patient_id = Some("patient-1".into());
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&first).await.unwrap();
    tx.append_audit(&event(AuditAction::UserCreate, 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    let mut denied = event(AuditAction::UserDeactivate, 3);
    denied.outcome = Outcome::Denied;
    denied.detail = serde_json::Value::Null;
    tx.append_audit(&denied).await.unwrap();
    tx.commit().await.unwrap();
    // Pending until a pass sequences them, in the order written.
    assert!(store.list_audit(0, 100).await.unwrap().is_empty());
    assert_eq!(store.pending_audit().await.unwrap().count, 3);
    store.sequence_audit(100).await.unwrap();

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
    store.sequence_audit(10_000).await.unwrap();
    let records = store.list_audit(0, 1_000).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=80).collect::<Vec<_>>()
    );
    assert_eq!(first_break(&records, (0, GENESIS_HASH.into())), None);
}

/// Each filter narrows the query on its own field; filters combine with
/// AND; `after_seq` and `limit` page through the matches.
pub async fn audit_queries_filter_on_every_field(store: Arc<dyn Store>) {
    let (alice, bob) = (UserId::generate(), UserId::generate());
    let (s1, s2) = (SessionId::generate(), SessionId::generate());
    let mut tx = store.begin_write().await.unwrap();
    // seq 1..=4: alice/s1 logs in, alice sends, bob is denied, bob sends.
    tx.append_audit(&event(AuditAction::AuthLogin, 1).actor(Some(&alice), Some(&s1)))
        .await
        .unwrap();
    let mut send = event(AuditAction::MessageSend, 2).actor(Some(&alice), Some(&s1));
    send.patient_id = Some("patient-7".into());
    tx.append_audit(&send).await.unwrap();
    let mut denied = event(AuditAction::UserDeactivate, 3).actor(Some(&bob), Some(&s2));
    denied.outcome = Outcome::Denied;
    denied.meta.ip = Some("10.9.9.9".into());
    tx.append_audit(&denied).await.unwrap();
    tx.append_audit(&event(AuditAction::MessageSend, 4).actor(Some(&bob), Some(&s2)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();

    let seqs = |filter: AuditFilter, after: i64, limit: i64| {
        let store = store.clone();
        async move {
            store
                .query_audit(&filter, after, limit)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        }
    };
    let all = AuditFilter::default();
    assert_eq!(seqs(all.clone(), 0, 100).await, vec![1, 2, 3, 4]);
    assert_eq!(seqs(all.clone(), 1, 2).await, vec![2, 3], "paged");
    let by_actor = AuditFilter {
        actor_id: Some(bob.as_str().to_owned()),
        ..all.clone()
    };
    assert_eq!(seqs(by_actor, 0, 100).await, vec![3, 4]);
    let by_action = AuditFilter {
        action: Some(AuditAction::MessageSend.as_str().to_owned()),
        ..all.clone()
    };
    assert_eq!(seqs(by_action.clone(), 0, 100).await, vec![2, 4]);
    let action_and_actor = AuditFilter {
        actor_id: Some(alice.as_str().to_owned()),
        ..by_action
    };
    assert_eq!(seqs(action_and_actor, 0, 100).await, vec![2], "AND");
    let by_resource = AuditFilter {
        resource_id: Some("u3".into()),
        ..all.clone()
    };
    assert_eq!(seqs(by_resource, 0, 100).await, vec![3]);
    let by_patient = AuditFilter {
        patient_id: Some("patient-7".into()),
        ..all.clone()
    };
    assert_eq!(seqs(by_patient, 0, 100).await, vec![2]);
    let by_outcome = AuditFilter {
        outcome: Some(Outcome::Denied.as_str().to_owned()),
        ..all.clone()
    };
    assert_eq!(seqs(by_outcome, 0, 100).await, vec![3]);
    let by_session = AuditFilter {
        session_id: Some(s1.as_str().to_owned()),
        ..all.clone()
    };
    assert_eq!(seqs(by_session, 0, 100).await, vec![1, 2]);
    let by_ip = AuditFilter {
        ip: Some("10.9.9.9".into()),
        ..all.clone()
    };
    assert_eq!(seqs(by_ip, 0, 100).await, vec![3]);
    // `event(_, n)` is at 10_000 + n: since is inclusive, until exclusive.
    let window = AuditFilter {
        since: Some(ts(10_002)),
        until: Some(ts(10_004)),
        ..all.clone()
    };
    assert_eq!(seqs(window, 0, 100).await, vec![2, 3]);
    let nobody = AuditFilter {
        actor_id: Some(UserId::generate().as_str().to_owned()),
        ..all
    };
    assert!(seqs(nobody, 0, 100).await.is_empty());
}

/// Checkpoints come back ordered by seq whatever the insertion order, one
/// per seq; endorsements of retired keys round-trip.
pub async fn checkpoints_are_kept_in_order_once_per_seq(store: Arc<dyn Store>) {
    assert_eq!(store.audit_head().await.unwrap(), (0, GENESIS_HASH.into()));
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&event(AuditAction::AuthLogin, 1))
        .await
        .unwrap();
    tx.append_audit(&event(AuditAction::AuthLogin, 2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
    let records = store.list_audit(0, 10).await.unwrap();
    let head = store.audit_head().await.unwrap();
    assert_eq!(head, (2, records[1].hash.clone()));

    let checkpoint = |seq: i64, hash: &str, key: &str| CheckpointRow {
        seq,
        head_hash: hash.to_owned(),
        at: ts(20_000 + seq),
        signature: vec![seq as u8; 64],
        key_id: key.to_owned(),
    };
    let second = checkpoint(2, &records[1].hash, "key-new");
    let first = checkpoint(1, &records[0].hash, "key-old");
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_checkpoint(&second).await.unwrap();
    tx.insert_checkpoint(&first).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.list_checkpoints().await.unwrap(),
        vec![first, second.clone()]
    );

    // A second checkpoint for a seq is refused, and nothing changes.
    let mut tx = store.begin_write().await.unwrap();
    let err = tx
        .insert_checkpoint(&checkpoint(2, "forged", "key-rogue"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    assert_eq!(store.list_checkpoints().await.unwrap()[1], second);

    let endorsement = |key: &str, by: &str, at: i64| KeyEndorsementRow {
        key_id: key.to_owned(),
        public_key: vec![at as u8; 32],
        endorsed_by: by.to_owned(),
        endorsement: vec![1; 64],
        at: ts(at),
    };
    let later = endorsement("key-old", "key-new", 300);
    let earlier = endorsement("key-older", "key-old", 200);
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_key_endorsement(&later).await.unwrap();
    tx.insert_key_endorsement(&earlier).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.list_key_endorsements().await.unwrap(),
        vec![earlier, later]
    );
}

/// Passes sequence every record once, in the order written, even when
/// several run at once (as from several nodes); the stored tiles give the
/// RFC 9162 root of every size and proofs that verify.
pub async fn sequencing_passes_build_the_tree_once(store: Arc<dyn Store>) {
    use crate::merkle;
    let idle = store.sequence_audit(100).await.unwrap();
    assert_eq!((idle.appended, idle.tree_size, idle.root), (0, 0, None));
    let writers: Vec<_> = (0..4i64)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..150i64 {
                    let mut tx = store.begin_write().await.unwrap();
                    tx.append_audit(&event(AuditAction::MessageSend, t * 1000 + i))
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    // Passes race the writers and each other, small batches.
    let passes: Vec<_> = (0..3)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut appended = 0;
                for _ in 0..200 {
                    appended += store.sequence_audit(7).await.unwrap().appended;
                    tokio::task::yield_now().await;
                }
                appended
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let mut appended = 0;
    for p in passes {
        appended += p.await.unwrap();
    }
    loop {
        let pass = store.sequence_audit(1000).await.unwrap();
        appended += pass.appended;
        if !pass.more {
            break;
        }
    }
    assert_eq!(appended, 600);
    assert_eq!(store.pending_audit().await.unwrap().count, 0);
    assert_eq!(store.audit_tree_size().await.unwrap(), 600);
    let records = store.list_audit(0, 1_000).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=600).collect::<Vec<_>>()
    );
    assert_eq!(first_break(&records, (0, GENESIS_HASH.into())), None);
    // Each writer's records in the order it wrote them.
    let n_of = |r: &AuditRecord| {
        serde_json::from_str::<serde_json::Value>(&r.detail).unwrap()["n"]
            .as_i64()
            .unwrap()
    };
    for t in 0..4i64 {
        let mine: Vec<i64> = records.iter().map(n_of).filter(|n| n / 1000 == t).collect();
        assert_eq!(mine, (0..150).map(|i| t * 1000 + i).collect::<Vec<_>>());
    }
    // The tiles against the RFC's definition, straight from the leaves.
    fn mth(leaves: &[merkle::Hash]) -> merkle::Hash {
        match leaves.len() {
            0 => merkle::empty_root(),
            1 => leaves[0],
            n => {
                let k = n.next_power_of_two() / 2;
                merkle::node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }
    let leaves: Vec<merkle::Hash> = records.iter().map(crate::chain::leaf_hash).collect();
    let all: Vec<merkle::TileId> = (0..3)
        .map(|index| merkle::TileId { level: 0, index })
        .chain([merkle::TileId { level: 1, index: 0 }])
        .collect();
    let tiles = store.audit_tiles(&all).await.unwrap();
    assert_eq!(tiles.len(), 4, "three leaf tiles and one above");
    for size in [1u64, 2, 5, 255, 256, 257, 511, 512, 513, 600] {
        let root = mth(&leaves[..size as usize]);
        for index in [0, size / 3, size - 1] {
            let ranges = merkle::inclusion_ranges(index, size);
            let path = merkle::resolve(&ranges, &tiles).unwrap();
            assert!(merkle::verify_inclusion(
                index,
                size,
                &leaves[index as usize],
                &path,
                &root
            ));
        }
    }
    let range = store.audit_tiles_range(0, 1, 10).await.unwrap();
    assert_eq!(
        range.iter().map(|(id, _)| id.index).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(range[1].1.len(), 600 - 512);
}

/// Tree heads: one per size, newest and pages in size order.
pub async fn tree_heads_are_kept_once_per_size(store: Arc<dyn Store>) {
    assert_eq!(store.latest_tree_head().await.unwrap(), None);
    let head = |size: i64| TreeHeadRow {
        tree_size: size,
        root_hash: format!("{size:064x}"),
        timestamp: format!("2026-12-01T00:00:{size:02}.000Z"),
        at: ts(size),
        signature: vec![size as u8; 64],
        key_id: "key".into(),
    };
    let mut tx = store.begin_write().await.unwrap();
    for size in [5, 2, 9] {
        tx.insert_tree_head(&head(size)).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.latest_tree_head().await.unwrap(), Some(head(9)));
    let sizes = |v: Vec<TreeHeadRow>| v.iter().map(|h| h.tree_size).collect::<Vec<_>>();
    assert_eq!(
        sizes(store.list_tree_heads(0, 10).await.unwrap()),
        vec![2, 5, 9]
    );
    assert_eq!(sizes(store.list_tree_heads(2, 1).await.unwrap()), vec![5]);
    let mut tx = store.begin_write().await.unwrap();
    let mut forged = head(5);
    forged.root_hash = "f".repeat(64);
    let err = tx.insert_tree_head(&forged).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// An account's last sign-in and last successful action, committed or
/// still waiting for the sequencer; failures and other accounts' records
/// do not count.
pub async fn actor_activity_is_the_newest_success(store: Arc<dyn Store>) {
    let (ana, ben) = (UserId::generate(), UserId::generate());
    let at = |actor: &UserId, ms: i64, action: AuditAction, outcome: Outcome| {
        let mut e = NewAuditEvent::new(ts(ms), action, outcome);
        e.actor_id = Some(actor.clone());
        e
    };
    assert_eq!(
        store.actor_activity(&ana, "auth.login").await.unwrap(),
        ActorActivity::default()
    );
    let mut tx = store.begin_write().await.unwrap();
    for e in [
        at(&ana, 100, AuditAction::AuthLogin, Outcome::Success),
        at(&ana, 200, AuditAction::MessageSend, Outcome::Success),
        at(&ana, 300, AuditAction::AuthLogin, Outcome::Failure),
        at(&ben, 400, AuditAction::AuthLogin, Outcome::Success),
    ] {
        tx.append_audit(&e).await.unwrap();
    }
    tx.commit().await.unwrap();
    let want = ActorActivity {
        last_sign_in: Some(ts(100)),
        last_activity: Some(ts(200)),
    };
    // Waiting for the sequencer, then committed to the trail.
    assert_eq!(
        store.actor_activity(&ana, "auth.login").await.unwrap(),
        want
    );
    store.sequence_audit(100).await.unwrap();
    assert_eq!(
        store.actor_activity(&ana, "auth.login").await.unwrap(),
        want
    );
    assert_eq!(
        store.actor_activity(&ben, "auth.login").await.unwrap(),
        ActorActivity {
            last_sign_in: Some(ts(400)),
            last_activity: Some(ts(400)),
        }
    );
}

/// Per-day counts for the evidence report's charts: by action and
/// outcome (or any action), from `since` on, one entry per UTC day.
pub async fn daily_counts_group_by_utc_day(store: Arc<dyn Store>) {
    const DAY: i64 = 86_400_000;
    let base = 20_000 * DAY;
    let mut tx = store.begin_write().await.unwrap();
    for (ms, action, outcome) in [
        (base - 1, AuditAction::AuthLogin, Outcome::Success),
        (base, AuditAction::AuthLogin, Outcome::Success),
        (base + DAY - 1, AuditAction::AuthLogin, Outcome::Success),
        (base + 2 * DAY + 5, AuditAction::AuthLogin, Outcome::Success),
        (base + 10, AuditAction::AuthLogin, Outcome::Failure),
        (base + 20, AuditAction::MessageRead, Outcome::Denied),
        (base + DAY + 20, AuditAction::PatientRead, Outcome::Denied),
    ] {
        tx.append_audit(&NewAuditEvent::new(ts(ms), action, outcome))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
    let since = ts(base);
    assert_eq!(
        store
            .daily_audit_counts(Some("auth.login"), "success", since)
            .await
            .unwrap(),
        vec![(ts(base), 2), (ts(base + 2 * DAY), 1)]
    );
    assert_eq!(
        store
            .daily_audit_counts(None, "denied", since)
            .await
            .unwrap(),
        vec![(ts(base), 1), (ts(base + DAY), 1)]
    );
    assert!(
        store
            .daily_audit_counts(Some("break_glass.open"), "success", since)
            .await
            .unwrap()
            .is_empty()
    );
}

/// An account's reads, distinct patients, denials and break-glass
/// openings in a window, with its first and last record there.
pub async fn window_activity_counts_per_account(store: Arc<dyn Store>) {
    let (ana, ben) = (UserId::generate(), UserId::generate());
    let rec =
        |actor: &UserId, ms: i64, action: AuditAction, outcome: Outcome, patient: Option<&str>| {
            let mut e = NewAuditEvent::new(ts(ms), action, outcome);
            e.actor_id = Some(actor.clone());
            e.patient_id = patient.map(str::to_owned);
            e
        };
    let mut tx = store.begin_write().await.unwrap();
    for e in [
        rec(&ana, 99, AuditAction::MessageRead, Outcome::Success, None),
        rec(&ana, 100, AuditAction::MessageRead, Outcome::Success, None),
        rec(
            &ana,
            110,
            AuditAction::PatientRead,
            Outcome::Success,
            Some("p1"),
        ),
        rec(
            &ana,
            120,
            AuditAction::PatientRead,
            Outcome::Success,
            Some("p1"),
        ),
        rec(
            &ana,
            130,
            AuditAction::PatientRead,
            Outcome::Success,
            Some("p2"),
        ),
        rec(
            &ana,
            140,
            AuditAction::PatientRead,
            Outcome::Denied,
            Some("p3"),
        ),
        rec(
            &ana,
            150,
            AuditAction::BreakGlassOpen,
            Outcome::Success,
            None,
        ),
        rec(&ana, 160, AuditAction::MessageSend, Outcome::Success, None),
        rec(&ana, 200, AuditAction::MessageRead, Outcome::Success, None),
        rec(&ben, 150, AuditAction::AuthLogin, Outcome::Denied, None),
    ] {
        tx.append_audit(&e).await.unwrap();
    }
    tx.append_audit(&NewAuditEvent::new(
        ts(150),
        AuditAction::RetentionPurge,
        Outcome::Success,
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
    let got = store.window_activity(ts(100), ts(200)).await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    let of = |id: &UserId| got.iter().find(|w| &w.actor_id == id).unwrap();
    let a = of(&ana);
    assert_eq!(
        (a.reads, a.patients, a.denied, a.break_glass),
        (4, 2, 1, 1),
        "{a:?}"
    );
    assert!(a.first_seq < a.last_seq);
    let b = of(&ben);
    assert_eq!((b.reads, b.patients, b.denied, b.break_glass), (0, 0, 1, 0));
    assert!(
        store
            .window_activity(ts(300), ts(400))
            .await
            .unwrap()
            .is_empty()
    );
}
