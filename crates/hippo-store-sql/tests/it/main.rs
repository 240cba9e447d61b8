//! The storage suite on both backends, plus backend-level guarantees: the
//! audit table is append-only and a newer schema is refused.
//!
//! PostgreSQL is required (`HIPPO_TEST_DATABASE_URL`, default the local
//! server); each test gets its own schema. Unreachable means failure, never
//! a skip.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use hippo_store::prelude::*;
use hippo_store_sql::postgres::PgStore;
use hippo_store_sql::sqlite::SqliteStore;
use sqlx::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn pg_url() -> String {
    std::env::var("HIPPO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn fresh_schema() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "st_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        &hippo_core::UserId::generate().as_str()[24..]
    );
    let mut conn = sqlx::PgConnection::connect(&pg_url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is required for the storage suite: {e}",
                pg_url()
            )
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    schema
}

pub async fn make_sqlite() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hippo.db");
    std::mem::forget(dir); // the test process owns the temp dir until exit
    Arc::new(SqliteStore::open(&path).await.unwrap())
}

pub async fn make_postgres() -> Arc<dyn Store> {
    let schema = fresh_schema().await;
    Arc::new(PgStore::connect(&pg_url(), Some(&schema)).await.unwrap())
}

mod sqlite {
    hippo_store::storage_suite!(crate::make_sqlite);
}

mod postgres {
    hippo_store::storage_suite!(crate::make_postgres);
}

async fn append_one(store: &dyn Store) {
    let mut tx = store.begin_write().await.unwrap();
    tx.append_audit(&hippo_core::NewAuditEvent::new(
        hippo_core::Timestamp::from_millis(1),
        hippo_core::AuditAction::AuthLogin,
        hippo_core::Outcome::Success,
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.sequence_audit(100).await.unwrap();
}

#[tokio::test]
async fn sqlite_audit_trail_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hippo.db");
    let store = SqliteStore::open(&path).await.unwrap();
    append_one(&store).await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_events SET detail = '{}' WHERE seq = 1",
        "DELETE FROM audit_events",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.list_audit(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn postgres_audit_trail_is_append_only() {
    let schema = fresh_schema().await;
    let store = PgStore::connect(&pg_url(), Some(&schema)).await.unwrap();
    append_one(&store).await;
    let mut conn = sqlx::PgConnection::connect(&pg_url()).await.unwrap();
    for sql in [
        format!("UPDATE {schema}.audit_events SET detail = '{{}}' WHERE seq = 1"),
        format!("DELETE FROM {schema}.audit_events"),
        format!("TRUNCATE {schema}.audit_events"),
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.list_audit(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hippo.db");
    SqliteStore::open(&path).await.unwrap().close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let err = SqliteStore::open(&path).await.err().expect("must refuse");
    assert!(err.to_string().contains("newer"), "{err}");

    let schema = fresh_schema().await;
    PgStore::connect(&pg_url(), Some(&schema))
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = sqlx::PgConnection::connect(&pg_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {schema}._sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', TRUE, '\\x00', 0)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let err = PgStore::connect(&pg_url(), Some(&schema))
        .await
        .err()
        .expect("must refuse");
    assert!(err.to_string().contains("newer"), "{err}");
}

/// Appends from several stores on one database at once (cluster nodes on
/// one PostgreSQL; the server and the admin CLI on one SQLite file): one
/// gapless, intact chain.
async fn stores_share_one_chain(stores: Vec<Arc<dyn Store>>) {
    let mut tasks = Vec::new();
    for (n, store) in stores.iter().enumerate() {
        for t in 0..3 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    let mut tx = store.begin_write().await.unwrap();
                    tx.append_audit(
                        &hippo_core::NewAuditEvent::new(
                            hippo_core::Timestamp::from_millis(1_000 + i),
                            hippo_core::AuditAction::MessageSend,
                            hippo_core::Outcome::Success,
                        )
                        .resource("node", format!("{n}-{t}-{i}")),
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
    }
    // Every node sequences at once, as on a lease handover: each record
    // once.
    let passes: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut n = 0;
                for _ in 0..50 {
                    n += store.sequence_audit(5).await.unwrap().appended;
                    tokio::task::yield_now().await;
                }
                n
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let mut sequenced = 0;
    for p in passes {
        sequenced += p.await.unwrap();
    }
    loop {
        let pass = stores[0].sequence_audit(1000).await.unwrap();
        sequenced += pass.appended;
        if !pass.more {
            break;
        }
    }
    let want = i64::try_from(stores.len() * 30).unwrap();
    assert_eq!(sequenced, u64::try_from(want).unwrap());
    for store in &stores {
        let records = store.list_audit(0, 1_000).await.unwrap();
        assert_eq!(
            records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=want).collect::<Vec<_>>()
        );
        assert_eq!(
            hippo_store::chain::first_break(
                &records,
                (0, hippo_store::chain::GENESIS_HASH.to_owned())
            ),
            None
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_stores_on_one_file_share_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hippo.db");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    stores_share_one_chain(vec![a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_three_nodes_on_one_schema_share_one_chain() {
    let schema = fresh_schema().await;
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for _ in 0..3 {
        stores.push(Arc::new(
            PgStore::connect(&pg_url(), Some(&schema)).await.unwrap(),
        ));
    }
    stores_share_one_chain(stores).await;
}

/// Group commit: concurrent transactions share batches; those dropped or
/// failed leave nothing, the others all land, and the audit chain stays
/// gapless and intact. After reopening the file, everything committed is
/// still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_group_commit_keeps_each_transaction_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hippo.db");
    let sqlite = Arc::new(SqliteStore::open(&path).await.unwrap());
    let store: Arc<dyn Store> = sqlite.clone();
    let mut tasks = Vec::new();
    for i in 0..120_i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin_write().await.unwrap();
            tx.put_meta(&format!("k{i}"), "v").await.unwrap();
            tx.append_audit(
                &hippo_core::NewAuditEvent::new(
                    hippo_core::Timestamp::from_millis(1_000 + i),
                    hippo_core::AuditAction::MessageSend,
                    hippo_core::Outcome::Success,
                )
                .resource("n", i.to_string()),
            )
            .await
            .unwrap();
            match i % 3 {
                // Dropped mid-way: rolled back.
                1 => drop(tx),
                // Fails on a constraint, then dropped.
                2 => {
                    let dup = hippo_store::DataKeyRow {
                        id: "dup".into(),
                        purpose: "x".into(),
                        wrapped: vec![1],
                        master_key_check: "c".into(),
                        created_at: hippo_core::Timestamp::from_millis(1),
                    };
                    let first = tx.insert_data_key(&dup).await;
                    let second = tx.insert_data_key(&dup).await;
                    assert!(first.is_err() || second.is_err());
                    drop(tx);
                }
                _ => tx.commit().await.unwrap(),
            }
            tokio::task::yield_now().await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (transactions, batches) = sqlite.commit_stats();
    assert_eq!(transactions, 40);
    assert!(
        batches < transactions,
        "{transactions} transactions in {batches} commits: nothing was grouped"
    );
    store.close().await;
    drop((store, sqlite));

    let store = SqliteStore::open(&path).await.unwrap();
    for i in 0..120_i64 {
        let got = store.get_meta(&format!("k{i}")).await.unwrap();
        assert_eq!(got.is_some(), i % 3 == 0, "k{i}");
    }
    assert!(store.get_data_key("dup").await.unwrap().is_none());
    assert_eq!(store.pending_audit().await.unwrap().count, 40);
    store.sequence_audit(1_000).await.unwrap();
    let records = store.list_audit(0, 1_000).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=40).collect::<Vec<_>>()
    );
    assert_eq!(
        hippo_store::chain::first_break(&records, (0, hippo_store::chain::GENESIS_HASH.to_owned())),
        None
    );
}
