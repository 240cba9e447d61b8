//! Cluster mode: two nodes on one PostgreSQL (whatever the suite's backend:
//! cluster mode is PostgreSQL's). A message sent through one node reaches
//! sockets on the other at once, receipts travel back, and deactivating a
//! user on one node closes that user's socket on the other.

use crate::support::{TestServer, frame_of, fresh_pg_schema, next_frame, test_config};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn events_cross_nodes_and_deactivation_closes_sockets_everywhere() {
    let (_, url) = fresh_pg_schema().await;
    let a_url = url.clone();
    let node_a = TestServer::start_with(move |args| args.database_url = Some(a_url)).await;
    let dir_b = tempfile::tempdir().unwrap();
    let config_b = test_config(dir_b.path(), |args| args.database_url = Some(url)).await;
    std::fs::create_dir_all(&config_b.data_dir).unwrap();
    for key in ["master.key", "audit-signing.key"] {
        std::fs::copy(
            node_a.config.data_dir.join(key),
            config_b.data_dir.join(key),
        )
        .unwrap();
    }
    let node_b = TestServer::start_on(dir_b, config_b, node_a.clock.clone()).await;

    let (_, admin, _) = node_a.signed_in("root", "admin").await;
    let (_, a, _) = node_a.signed_in("ana", "clinician").await;
    let (b_id, b, _) = node_a.signed_in("ben", "clinician").await;
    let (_, conv) = node_a
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "direct", "member_ids": [b_id] }),
        )
        .await;
    let conv = conv["id"].as_str().unwrap().to_owned();

    // Ben listens on node B, Ana on node A.
    let mut wb = node_b.ws(Some(&b)).await;
    let mut wa = node_a.ws(Some(&a)).await;
    let (status, sent) = node_a
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&a),
            json!({ "body": "BP 120/80 at 14:00" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let got = frame_of(&mut wb, "message.created").await;
    assert_eq!(got["message"]["id"], sent["id"]);
    assert_eq!(got["message"]["body"], json!("BP 120/80 at 14:00"));
    assert_eq!(got["message"]["seq"], json!(1));
    // Node B recorded the delivery; Ana hears of it on node A.
    let receipt = frame_of(&mut wa, "receipt").await;
    assert_eq!(receipt["message_id"], sent["id"]);
    assert!(receipt["delivered_at"].is_string());

    // And the other way: Ben sends through node B, Ana hears it on A.
    let (_, reply) = node_b
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&b),
            json!({ "body": "thanks" }),
        )
        .await;
    let got = frame_of(&mut wa, "message.created").await;
    assert_eq!(got["message"]["id"], reply["id"]);
    assert_eq!(got["message"]["seq"], json!(2));

    // Deactivated on node A: Ben's socket on node B ends.
    let (status, _) = node_a
        .call(
            Method::POST,
            &format!("/api/v1/users/{b_id}/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let ended = frame_of(&mut wb, "session.ended").await;
    assert_eq!(ended["reason"], json!("deactivated"));
    assert!(next_frame(&mut wb).await.is_none(), "socket closes");
    let (status, _) = node_b.get("/api/v1/me", &b).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);

    node_b.stop().await;
    node_a.stop().await;
}
