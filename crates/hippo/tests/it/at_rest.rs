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

    assert_absent(&s, &[CANARY_NAME, "Canarywhistle", CANARY_USER]).await;
    s.stop().await;
}

/// Fails if any needle appears in clear in the database (every table of the
/// test's PostgreSQL schema) or in any byte of the data dir (SQLite
/// database and WAL, blob store, keys, certificates).
async fn assert_absent(s: &TestServer, needles: &[&str]) {
    if on_postgres() {
        use sqlx::Connection;
        let url = s.config.database_url.as_ref().unwrap().to_string();
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(tables.len() >= 10, "{tables:?}");
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT row_to_json(t)::text FROM {table} t"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let all = rows.join("\n");
            for needle in needles {
                assert!(!all.contains(needle), "plaintext {needle:?} in {table}");
                // bytea renders as hex in JSON: check that form too.
                let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
                assert!(!all.contains(&hex), "hex plaintext {needle:?} in {table}");
            }
        }
    }
    // The data dir: the SQLite database and WAL, and on every backend the
    // blob store, keys and certificates.
    {
        let mut found = Vec::new();
        for entry in crate::support::files_under(&s.config.data_dir) {
            let bytes = std::fs::read(&entry).unwrap();
            for needle in needles {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(format!("{needle:?} in {}", entry.display()));
                }
            }
        }
        assert!(found.is_empty(), "plaintext found: {found:?}");
    }
}

#[tokio::test]
async fn message_bodies_and_titles_are_not_stored_in_clear() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let a = ana.token.clone();
    let conv = s.group(&ana, [&ben], "Quixotic Marmalade Ward").await;
    let (status, msg) = s
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&a),
            json!({ "body": "Flibbertigibbet dosage 40mg" }),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{msg}");
    let id = msg["id"].as_str().unwrap();
    let (status, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            Some(json!({ "body": "Snollygoster dosage 20mg" })),
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let (_, page) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &a)
        .await;
    assert_eq!(
        page["messages"][0]["body"],
        json!("Snollygoster dosage 20mg")
    );
    assert_absent(
        &s,
        &["Quixotic Marmalade", "Flibbertigibbet", "Snollygoster"],
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn file_contents_and_names_are_not_stored_in_clear() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let a = ana.token.clone();
    let content = "Bamboozle canary: haemoglobin 9.1 g/dL, Kerfuffle ward\n".repeat(3000);
    let resp = s
        .client
        .post(s.url("/api/v1/attachments?filename=Lollygag%20results.txt"))
        .bearer_auth(&a)
        .header("content-type", "text/plain")
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let info: serde_json::Value = resp.json().await.unwrap();
    let conv = s.direct(&ana, &ben).await;
    let (status, msg) = s
        .post(
            &format!("/api/v1/conversations/{}/messages", conv),
            Some(&a),
            json!({ "body": "results", "attachment_ids": [info["id"]] }),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{msg}");
    let sha = info["sha256"].as_str().unwrap().to_owned();
    assert_absent(&s, &["Bamboozle canary", "Kerfuffle", "Lollygag", &sha]).await;
    s.stop().await;
}
