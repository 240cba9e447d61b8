//! Each node caches sessions, users and memberships (hippo-service's
//! `core/cache.rs`). Whatever withdraws access acts on the very next
//! request all the same: on the node that made the change, on a second
//! node of the cluster, and when another process (the admin CLI) made it.
//! Every step first warms the cache with a request that succeeds.

use crate::support::{SignedIn, TestServer, assert_problem, frame_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn send(node: &TestServer, token: &str, conv: &str, text: &str) -> (StatusCode, Value) {
    node.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(token),
        json!({ "body": text }),
    )
    .await
}

/// The id of the session `token` belongs to.
async fn session_id(node: &TestServer, token: &str) -> String {
    let (status, body) = node.get("/api/v1/me/sessions", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let current = body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == json!(true))
        .unwrap();
    current["id"].as_str().unwrap().to_owned()
}

/// Logout, revocation, member removal and addition, a role change and a
/// deactivation, each made through `change` and checked through `check`
/// (the same node, or another node of the cluster).
async fn withdrawals_act_at_once(change: &TestServer, check: &TestServer) {
    let admin = change.admin().await;
    let [ana, ben, cat, dan] = change.clinicians(["ana", "ben", "cat", "dan"]).await;
    let conv = change.group(&ana, [&ben, &cat], "Ward 7").await;

    // Logout: the token is refused at once, where it was cached too.
    let laptop = change.second_session(&ben).await;
    for node in [change, check] {
        assert_eq!(node.get("/api/v1/me", &laptop).await.0, StatusCode::OK);
    }
    let (status, _) = change
        .call(Method::POST, "/api/v1/auth/logout", Some(&laptop), None)
        .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = check.get("/api/v1/me", &laptop).await;
    assert_problem(status, &body, 401, "unauthenticated");

    // Revocation of one's own other session.
    let phone = change.second_session(&ben).await;
    let phone_id = session_id(check, &phone).await;
    assert_eq!(
        send(check, &phone, &conv, "warm").await.0,
        StatusCode::CREATED
    );
    let (status, _) = change
        .call(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{phone_id}"),
            Some(&ben.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(check, &phone, &conv, "after revocation").await;
    assert_problem(status, &body, 401, "unauthenticated");
    assert_eq!(check.get("/api/v1/me", &ben.token).await.0, StatusCode::OK);

    // Member removal: the next send of the removed member is refused.
    assert_eq!(
        send(check, &cat.token, &conv, "hi").await.0,
        StatusCode::CREATED
    );
    let (status, _) = change
        .call(
            Method::DELETE,
            &format!("/api/v1/conversations/{conv}/members/{}", cat.id),
            Some(&ana.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = send(check, &cat.token, &conv, "still here?").await;
    assert_problem(status, &body, 404, "not_found");

    // A member added hears the next message sent through the other node.
    let mut dan_ws = check.ws(Some(&dan.token)).await;
    let (status, _) = change
        .post(
            &format!("/api/v1/conversations/{conv}/members"),
            Some(&ana.token),
            json!({ "user_id": dan.id }),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (status, sent) = send(check, &ben.token, &conv, "welcome").await;
    assert_eq!(status, StatusCode::CREATED);
    let got = frame_of(&mut dan_ws, "message.created").await;
    assert_eq!(got["message"]["id"], sent["id"]);

    // A role change (which ends the user's sessions).
    assert_eq!(
        send(check, &ana.token, &conv, "warm").await.0,
        StatusCode::CREATED
    );
    let (status, body) = change
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", ana.id),
            Some(&admin.token),
            Some(json!({ "role": "staff" })),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body) = send(check, &ana.token, &conv, "as a clinician").await;
    assert_problem(status, &body, 401, "unauthenticated");

    // Deactivation.
    assert_eq!(
        send(check, &ben.token, &conv, "warm").await.0,
        StatusCode::CREATED
    );
    let (status, _) = change
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/deactivate", ben.id),
            Some(&admin.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = send(check, &ben.token, &conv, "after deactivation").await;
    assert_problem(status, &body, 401, "unauthenticated");
    let (status, body) = check.get("/api/v1/me", &ben.token).await;
    assert_problem(status, &body, 401, "unauthenticated");
}

#[tokio::test]
async fn withdrawals_act_at_once_on_the_same_node() {
    let s = TestServer::start().await;
    withdrawals_act_at_once(&s, &s).await;
    s.stop().await;
}

#[tokio::test]
async fn withdrawals_act_at_once_on_another_node() {
    let node_a = TestServer::builder().postgres().start().await;
    let node_b = node_a.second_node(|_| {}).await;
    withdrawals_act_at_once(&node_a, &node_b).await;
    node_b.stop().await;
    node_a.stop().await;
}

#[tokio::test]
async fn a_deactivation_by_the_cli_acts_at_once() {
    let s = TestServer::start().await;
    let [ana, ben]: [SignedIn; 2] = s.clinicians(["ana", "ben"]).await;
    let conv = s.direct(&ana, &ben).await;
    assert_eq!(
        send(&s, &ana.token, &conv, "warm").await.0,
        StatusCode::CREATED
    );
    let out = s.run_cli(&["user", "deactivate", "ana"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, body) = send(&s, &ana.token, &conv, "after").await;
    assert_problem(status, &body, 401, "unauthenticated");
    s.stop().await;
}

#[tokio::test]
async fn the_idle_timer_is_shared_by_the_nodes() {
    let node_a = TestServer::builder().postgres().start().await;
    let node_b = node_a.second_node(|_| {}).await;
    let ana = node_a.clinician("ana").await;
    // Cached on node A; then busy on node B only, past A's copy's timeout.
    assert_eq!(node_a.get("/api/v1/me", &ana.token).await.0, StatusCode::OK);
    for _ in 0..3 {
        node_a
            .clock
            .advance(std::time::Duration::from_secs(14 * 60));
        assert_eq!(node_b.get("/api/v1/me", &ana.token).await.0, StatusCode::OK);
    }
    // Node A's copy looks idle; the database says otherwise.
    assert_eq!(node_a.get("/api/v1/me", &ana.token).await.0, StatusCode::OK);
    // Idle everywhere: ended on whichever node sees it first.
    node_a
        .clock
        .advance(std::time::Duration::from_secs(15 * 60));
    let (status, body) = node_b.get("/api/v1/me", &ana.token).await;
    assert_problem(status, &body, 401, "session_expired");
    let (status, body) = node_a.get("/api/v1/me", &ana.token).await;
    assert_problem(status, &body, 401, "session_expired");
    node_b.stop().await;
    node_a.stop().await;
}
