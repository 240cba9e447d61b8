//! Encryption at rest: identifying fields never reach the database in clear.

use crate::support::{PASSWORD, TestServer, on_postgres};
use serde_json::json;

const CANARY_NAME: &str = "Zebediah Canarywhistle";
const CANARY_USER: &str = "zcanarywhistle";

#[tokio::test]
async fn display_names_and_usernames_are_not_stored_in_clear() {
    let s = TestServer::start().await;
    let (_, admin, _) = s.signed_in("alice", "admin").await;
    let (status, body) = s
        .post("/api/v1/users", Some(&admin), json!({
            "username": CANARY_USER, "display_name": CANARY_NAME, "role": "clinician", "password": PASSWORD
        }))
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    // It reads back fine through the API...
    let id = body["id"].as_str().unwrap();
    let (_, body) = s.get(&format!("/api/v1/users/{id}"), &admin).await;
    assert_eq!(body["display_name"], json!(CANARY_NAME));

    if on_postgres() {
        // ...and no table holds it in any column.
        use sqlx::Connection;
        let url = s.config.database_url.as_ref().unwrap().to_string();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        for table in ["users", "sessions", "audit_events", "meta", "data_keys"] {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT row_to_json(t)::text FROM {table} t"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let all = rows.join("\n");
            assert!(!all.contains("Canarywhistle"), "plaintext name in {table}");
            assert!(!all.contains(CANARY_USER), "plaintext username in {table}");
            // bytea renders as hex in JSON: check that form too.
            let hex: String = CANARY_NAME.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(!all.contains(&hex), "hex plaintext in {table}");
        }
    } else {
        // ...and no byte of the data directory (database, WAL, keys) holds it.
        let mut found = Vec::new();
        for entry in walk(&s.config.data_dir) {
            let bytes = std::fs::read(&entry).unwrap();
            for needle in [
                CANARY_NAME.as_bytes(),
                b"Canarywhistle".as_slice(),
                CANARY_USER.as_bytes(),
            ] {
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(entry.display().to_string());
                }
            }
        }
        assert!(found.is_empty(), "plaintext found in {found:?}");
    }
    s.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
