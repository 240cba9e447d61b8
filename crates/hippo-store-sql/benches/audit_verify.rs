//! Audit verification speed: how many records per second `hippo audit
//! verify` checks. Builds a SQLite trail of `HIPPO_BENCH_RECORDS` records
//! (default 300,000) through the real append path and sequencer, then times reading it
//! back in pages and checking the chain, and the chain check alone. Run with
//! `cargo bench -p hippo-store-sql --bench audit_verify`.

use hippo_core::{AuditAction, NewAuditEvent, Outcome, RequestMeta, SessionId, Timestamp, UserId};
use hippo_store::chain::Verifier;
use hippo_store::prelude::*;
use hippo_store_sql::sqlite::SqliteStore;
use std::time::Instant;

const PAGE: i64 = 5000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let records: i64 = std::env::var("HIPPO_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("hippo.db")).await?;
        let user = UserId::generate();
        let session = SessionId::generate();
        let started = Instant::now();
        let mut n = 0;
        while n < records {
            let mut tx = store.begin_write().await?;
            for _ in 0..10_000.min(records - n) {
                n += 1;
                let event = NewAuditEvent::new(
                    Timestamp::from_millis(1_767_225_600_000 + n),
                    AuditAction::MessageSend,
                    Outcome::Success,
                )
                .actor(Some(&user), Some(&session))
                .meta(&RequestMeta {
                    ip: Some("10.1.2.3".into()),
                    user_agent: Some("hippo-ios/3.2 (iPhone; iOS 19.1)".into()),
                    request_id: Some(uuid_like(n)),
                    client_cert_sha256: None,
                })
                .resource("message", uuid_like(n * 7))
                .detail(serde_json::json!({ "conversation_id": uuid_like(n % 97), "seq": n }));
                tx.append_audit(&event).await?;
            }
            tx.commit().await?;
        }
        // Into the trail, as the sequencer does.
        while store.sequence_audit(5000).await?.appended > 0 {}
        println!(
            "built {records} records in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        // What `hippo audit verify` does: read pages (ahead, in parallel),
        // check the chain.
        let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
        let started = Instant::now();
        let mut verifier = Verifier::default();
        let mut all = Vec::with_capacity(usize::try_from(records).unwrap_or(0));
        let mut scan = hippo_store::scan::AuditScan::new(store.clone(), 0, records, PAGE);
        while let Some(page) = scan.next_page().await {
            let page = page?;
            verifier.feed(&page).map_err(|b| b.reason)?;
            all.extend(page);
        }
        let total = started.elapsed().as_secs_f64();
        println!(
            "read + verify: {} records in {total:.2} s = {:.0} records/s",
            verifier.checked(),
            verifier.checked() as f64 / total
        );

        // The chain check alone (records already in memory).
        let started = Instant::now();
        let mut verifier = Verifier::default();
        verifier.feed(&all).map_err(|b| b.reason)?;
        let total = started.elapsed().as_secs_f64();
        println!(
            "verify only:   {} records in {total:.2} s = {:.0} records/s",
            verifier.checked(),
            verifier.checked() as f64 / total
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

fn uuid_like(n: i64) -> String {
    format!("0190f5a4-7a1e-7cc3-9d44-{:012x}", n.unsigned_abs())
}
