//! The audit trail at scale, end to end through hippo's own code on
//! SQLite: appending records pending, the sequencer building the tree,
//! `hippo audit verify` (chain, tree, tiles, signed heads) over the whole
//! trail, and inclusion proofs from the stored tiles.
//!
//! ```sh
//! cargo bench -p hippo --bench audit_tree                       # 1,000,000 records
//! HIPPO_BENCH_RECORDS=10000000 HIPPO_BENCH_VERIFY=0 cargo bench -p hippo --bench audit_tree
//! ```
//! `HIPPO_BENCH_VERIFY=0` skips the verification (for the proof timing on
//! a large tree).

use hippo_core::{AuditAction, NewAuditEvent, Outcome, RequestMeta, SessionId, Timestamp, UserId};
use hippo_service::Principal;
use hippo_store::merkle;
use std::time::Instant;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn id(n: u64) -> String {
    format!("0190f5a4-7a1e-7cc3-9d44-{n:012x}")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let i = ((last as f64) * p).round() as usize;
    sorted[i.min(last)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let records = env("HIPPO_BENCH_RECORDS", 1_000_000);
    let verify = env("HIPPO_BENCH_VERIFY", 1) == 1;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let dir = tempfile::tempdir()?;
        let config = hippo_testkit::test_config(dir.path(), |_| {}).await;
        let hasher = hippo_crypto::PasswordHasher::with_params(1024, 1, 1)?;
        let app = hippo::app::open_with(
            &config,
            std::sync::Arc::new(hippo_core::SystemClock),
            hasher,
        )
        .await?;
        let hippo = app.hippo.clone();
        let store = hippo.store().clone();
        let (user, session) = (UserId::generate(), SessionId::generate());

        // Records as a busy server writes them, pending.
        let started = Instant::now();
        let mut n = 0;
        while n < records {
            let mut tx = store.begin_write().await?;
            for _ in 0..10_000.min(records - n) {
                n += 1;
                let at = Timestamp::from_millis(1_767_225_600_000 + i64::try_from(n)?);
                let event = NewAuditEvent::new(at, AuditAction::MessageSend, Outcome::Success)
                    .actor(Some(&user), Some(&session))
                    .meta(&RequestMeta {
                        ip: Some("10.1.2.3".into()),
                        user_agent: Some("hippo-ios/3.2 (iPhone; iOS 19.1)".into()),
                        request_id: Some(id(n)),
                        client_cert_sha256: None,
                    })
                    .resource("message", id(n * 7))
                    .detail(serde_json::json!({ "conversation_id": id(n % 97), "seq": n }));
                tx.append_audit(&event).await?;
            }
            tx.commit().await?;
        }
        println!(
            "appended {records} pending records in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        // The sequencer, flat out, with a signed head every 100,000.
        let started = Instant::now();
        let mut heads = 0;
        loop {
            let round = hippo.audit().sequence_now().await?;
            if round.appended == 0 {
                break;
            }
            if round.tree_size / 100_000 > heads {
                heads = round.tree_size / 100_000;
                hippo.audit().sign_tree_head(true).await?;
            }
        }
        hippo.audit().sign_tree_head(true).await?;
        let took = started.elapsed().as_secs_f64();
        println!(
            "sequenced {records} records into the tree in {took:.1} s = {:.0} records/s",
            records as f64 / took
        );

        if verify {
            let started = Instant::now();
            let report = hippo.audit().verify(Principal::Operator).await?;
            let took = started.elapsed().as_secs_f64();
            assert!(report.ok, "{report:?}");
            println!(
                "verify (chain, tree, tiles, {} signed heads): {} records in {took:.2} s = {:.0} \
                 records/s",
                report.tree_heads_verified,
                report.checked,
                report.checked as f64 / took
            );
        }

        // Inclusion proofs as the API builds them: tiles from the store,
        // hashes computed, for random records of the whole tree.
        let size = u64::try_from(store.audit_tree_size().await?)?;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut timings = Vec::with_capacity(10_000);
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let index = x % size;
            let started = Instant::now();
            let ranges = merkle::inclusion_ranges(index, size);
            let tiles = store.audit_tiles(&merkle::tiles_for(&ranges)).await?;
            let path = merkle::resolve(&ranges, &tiles).map_err(|m| format!("{m:?}"))?;
            timings.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(!path.is_empty() || size == 1);
        }
        timings.sort_by(f64::total_cmp);
        println!(
            "inclusion proof in a tree of {size}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            percentile(&timings, 0.5),
            percentile(&timings, 0.99),
            timings.last().copied().unwrap_or_default()
        );
        app.store.close().await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
