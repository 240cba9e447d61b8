//! PostgreSQL for tests: which database, and a fresh schema per server.

use std::sync::atomic::{AtomicU64, Ordering};

/// The PostgreSQL server tests use (`HIPPO_TEST_DATABASE_URL`, default the
/// local one).
pub fn pg_url() -> String {
    std::env::var("HIPPO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether the suite runs on PostgreSQL (`HIPPO_TEST_DATABASE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("HIPPO_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A fresh PostgreSQL schema and a URL that selects it.
pub async fn fresh_pg_schema() -> (String, String) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let schema = format!(
        "it_{}_{}_{n}",
        std::process::id(),
        hippo_core::UserId::generate().as_str()[24..].replace('-', "")
    );
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg_url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is required for these tests: {e}",
                pg_url()
            )
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if pg_url().contains('?') { '&' } else { '?' };
    (
        schema.clone(),
        format!("{}{sep}options=-c%20search_path%3D{schema}", pg_url()),
    )
}
