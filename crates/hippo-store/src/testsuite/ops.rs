//! Operations: meta values, job leases, the per-address sign-in throttle,
//! the monitoring figures.

use super::*;

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

/// Failures summed over the sources sharing a key prefix (the
/// credential-stuffing count every node sees).
pub async fn login_failure_totals_sum_a_prefix_within_a_window(store: Arc<dyn Store>) {
    let fail = |source: &'static str, now: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.begin_write().await.unwrap();
            tx.record_login_failure(source, ts(now), ts(0))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    fail("stuffing#a_1", 1_000).await;
    fail("stuffing#a_1", 1_100).await;
    fail("stuffing#b", 2_000).await;
    fail("stuffingXb", 2_000).await;
    fail("10.0.0.9", 2_000).await;
    assert_eq!(
        store
            .login_failure_totals("stuffing#", ts(0))
            .await
            .unwrap(),
        (2, 3)
    );
    assert_eq!(
        store
            .login_failure_totals("stuffing#", ts(1_500))
            .await
            .unwrap(),
        (1, 1)
    );
    assert_eq!(
        store.login_failure_totals("nothing#", ts(0)).await.unwrap(),
        (0, 0)
    );
}

/// The newest record of an action per outcome, sequenced or still
/// pending, and nothing for actions that never happened.
pub async fn ops_figures_name_the_newest_record_of_each_outcome(store: Arc<dyn Store>) {
    let empty = store.ops_figures(&["backup.create"]).await.unwrap();
    assert_eq!(empty.last_records, vec![]);
    assert_eq!(empty.last_checkpoint_at, None);
    assert_eq!((empty.webhook_pending, empty.webhook_dead), (0, 0));

    let at = |n| NewAuditEvent::new(ts(n), AuditAction::BackupCreate, Outcome::Success);
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&at(1_000)).await.unwrap();
    tx.append_audit(&at(3_000)).await.unwrap();
    tx.append_audit(&NewAuditEvent::new(
        ts(2_000),
        AuditAction::BackupCreate,
        Outcome::Failure,
    ))
    .await
    .unwrap();
    tx.append_audit(&NewAuditEvent::new(
        ts(9_000),
        AuditAction::UserCreate,
        Outcome::Success,
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
    // One more, not yet sequenced.
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&NewAuditEvent::new(
        ts(4_000),
        AuditAction::AuditVerify,
        Outcome::Failure,
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut got = store
        .ops_figures(&["backup.create", "audit.verify", "backup.restore"])
        .await
        .unwrap()
        .last_records;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("audit.verify".into(), "failure".into(), ts(4_000)),
            ("backup.create".into(), "failure".into(), ts(2_000)),
            ("backup.create".into(), "success".into(), ts(3_000)),
        ]
    );

    let mut tx = store.begin_write().await.unwrap();
    for (seq, at) in [(2, 5_000), (4, 6_000)] {
        tx.insert_checkpoint(&CheckpointRow {
            seq,
            head_hash: "00".repeat(32),
            at: ts(at),
            signature: vec![0; 64],
            key_id: "k".into(),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let figures = store.ops_figures(&[]).await.unwrap();
    assert_eq!(figures.last_checkpoint_at, Some(ts(6_000)));
}
