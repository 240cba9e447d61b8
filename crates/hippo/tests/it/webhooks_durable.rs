//! Outgoing webhooks that nothing loses: the real binary killed with
//! SIGKILL while deliveries are pending still delivers every acknowledged
//! message's event after a restart, in order; and two nodes of a cluster
//! deliver each event once between them.

use crate::crash::{hippo, login, spawn_until_listening};
use crate::support::{PASSWORD, TestServer};
use crate::webhook_receiver::Receiver;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

fn create(mut command: std::process::Command, user: &str, role: &str) -> String {
    let mut c = command
        .args([
            "user",
            "create",
            "--username",
            user,
            "--role",
            role,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &std::path::Path, port: u16) -> std::process::Child {
    let mut c = hippo(data, port);
    c.arg("serve")
        .env("HIPPO_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
        .env("HIPPO_WEBHOOK_TIMEOUT", "1s")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    spawn_until_listening(c)
}

#[tokio::test]
async fn pending_deliveries_survive_sigkill_and_arrive_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    create(hippo(&data, port), "root", "admin");
    let ben = create(hippo(&data, port), "ben", "clinician");
    create(hippo(&data, port), "ana", "clinician");
    let rx = Receiver::start().await;
    rx.answer(503);
    let mut server = serve(&data, port);
    let pem = std::fs::read(data.join("tls/cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let admin = login(&client, &base, "root").await;
    let hook: Value = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&admin)
        .json(&json!({ "url": rx.url, "events": ["message.created"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(hook["secret"].is_string(), "{hook}");
    let ana = login(&client, &base, "ana").await;
    let conv: Value = client
        .post(format!("{base}/api/v1/conversations"))
        .bearer_auth(&ana)
        .json(&json!({ "kind": "group", "title": "ward", "member_ids": [ben] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = conv["id"].as_str().unwrap().to_owned();
    let mut acknowledged = BTreeMap::new();
    for n in 0..30 {
        let resp = client
            .post(format!("{base}/api/v1/conversations/{conv}/messages"))
            .bearer_auth(&ana)
            .json(&json!({ "body": format!("note {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let m: Value = resp.json().await.unwrap();
        acknowledged.insert(
            m["seq"].as_i64().unwrap(),
            m["id"].as_str().unwrap().to_owned(),
        );
    }
    // The receiver is down: at least the first delivery was tried.
    rx.wait_for(1).await;
    server.kill().unwrap(); // SIGKILL
    let _ = server.wait();

    rx.answer(204);
    let mut server = serve(&data, port);
    let mut delivered: Vec<(i64, String)> = Vec::new();
    for _ in 0..3000 {
        delivered = rx
            .received()
            .iter()
            .map(|r| r.json())
            .filter(|b| b["type"] == json!("message.created"))
            .map(|b| {
                (
                    b["data"]["seq"].as_i64().unwrap(),
                    b["data"]["message_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let seen: HashSet<&String> = delivered.iter().map(|(_, id)| id).collect();
        if acknowledged.values().all(|id| seen.contains(id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap();
    let _ = server.wait();
    let seen: HashSet<&String> = delivered.iter().map(|(_, id)| id).collect();
    for (seq, id) in &acknowledged {
        assert!(
            seen.contains(id),
            "message {seq} was acknowledged but its webhook never came"
        );
    }
    // In order: each first arrival comes after every earlier seq's.
    let mut first_seen = Vec::new();
    for (seq, _) in &delivered {
        if !first_seen.contains(seq) {
            first_seen.push(*seq);
        }
    }
    let mut sorted = first_seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        first_seen, sorted,
        "per-conversation order kept across the crash"
    );
}

#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    let node_a = TestServer::builder()
        .postgres()
        .setting(|a| a.webhook_allowed_networks = Some("127.0.0.1/32".into()))
        .start()
        .await;
    let node_b = node_a
        .second_node(|a| a.webhook_allowed_networks = Some("127.0.0.1/32".into()))
        .await;
    let admin = node_a.admin().await.token;
    let [ana, ben] = node_a.clinicians(["ana", "ben"]).await;
    let rx = Receiver::start().await;
    let (status, _) = node_a
        .post(
            "/api/v1/webhooks",
            Some(&admin),
            json!({ "url": rx.url, "events": ["message.created"] }),
        )
        .await;
    assert!(status.is_success());
    // Ten conversations, sends spread over both nodes.
    let mut convs = Vec::new();
    for n in 0..10 {
        convs.push(node_a.group(&ana, [&ben], &format!("ward {n}")).await);
    }
    let mut sends = Vec::new();
    for (i, conv) in convs.iter().enumerate() {
        for m in 0..6 {
            let node = if (i + m) % 2 == 0 { &node_a } else { &node_b };
            sends.push(node.send_json(&ana.token, conv, json!({ "body": format!("{m}") })));
        }
    }
    let sent = futures_util::future::join_all(sends).await;
    assert_eq!(sent.len(), 60);
    let got = rx.wait_for(60).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = if rx.received().len() > got.len() {
        rx.received()
    } else {
        got
    };
    let ids: HashSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 60, "every event");
    assert_eq!(got.len(), 60, "each once across the two nodes");
    // In order per conversation.
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for r in &got {
        let b = r.json();
        let conv = b["data"]["conversation_id"].as_str().unwrap().to_owned();
        let seq = b["data"]["seq"].as_i64().unwrap();
        let prev = last.insert(conv, seq).unwrap_or(0);
        assert!(seq > prev, "out of order: {seq} after {prev}");
    }
    node_b.stop().await;
    node_a.stop().await;
}
