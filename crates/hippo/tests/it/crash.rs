//! Durability: the real binary is killed with SIGKILL in the middle of a
//! burst of sends. After a restart every acknowledged message is there
//! exactly once, `seq` has no gaps, and retrying unacknowledged sends with
//! their client ids creates no duplicates.

use crate::support::PASSWORD;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) fn hippo(data: &Path, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hippo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HIPPO_") {
            c.env_remove(k);
        }
    }
    c.arg("--data-dir")
        .arg(data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--require-mfa",
            "false",
        ])
        .env("HIPPO_LOG", "warn");
    c
}

pub(crate) fn start(data: &Path, port: u16) -> Child {
    let mut c = hippo(data, port);
    c.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null());
    spawn_until_listening(c)
}

/// Spawns `hippo serve` (stdout piped) and returns once it listens.
#[expect(
    clippy::zombie_processes,
    reason = "the caller kills and waits for the server"
)]
pub(crate) fn spawn_until_listening(mut command: Command) -> Child {
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server did not start");
        if line.starts_with("hippo listening on") {
            return child;
        }
    }
}

/// Creates a clinician with the test password through `hippo user create`
/// (the command as given: data dir, database); returns the user's id.
pub(crate) fn create_clinician(mut command: Command, user: &str) -> String {
    let mut c = command
        .args([
            "user",
            "create",
            "--username",
            user,
            "--role",
            "clinician",
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

/// Every message of a conversation after `after_seq`, all pages.
pub(crate) async fn messages_after(
    client: &reqwest::Client,
    base: &str,
    conv: &str,
    token: &str,
    after_seq: i64,
) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = after_seq;
    loop {
        let page: Value = client
            .get(format!(
                "{base}/api/v1/conversations/{conv}/messages?after_seq={after}&limit=500"
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let msgs = page["messages"].as_array().unwrap().clone();
        if msgs.is_empty() {
            return all;
        }
        after = page["next_after_seq"].as_i64().unwrap();
        all.extend(msgs);
    }
}

pub(crate) async fn login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let resp = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn acknowledged_messages_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ids: Vec<String> = ["ana", "ben"]
        .iter()
        .map(|user| create_clinician(hippo(&data, port), user))
        .collect();

    let mut server = start(&data, port);
    let pem = std::fs::read(data.join("tls/cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let ana = login(&client, &base, "ana").await;
    let ben = login(&client, &base, "ben").await;
    let conv: Value = client
        .post(format!("{base}/api/v1/conversations"))
        .bearer_auth(&ana)
        .json(&json!({ "kind": "direct", "member_ids": [ids[1]] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = conv["id"].as_str().unwrap().to_owned();

    // A burst from four concurrent senders; remember what was acknowledged.
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let attempted: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut senders = Vec::new();
    for t in 0..4 {
        let (client, url, acked, attempted) = (
            client.clone(),
            format!("{base}/api/v1/conversations/{conv}/messages"),
            acked.clone(),
            attempted.clone(),
        );
        let token = if t % 2 == 0 { ana.clone() } else { ben.clone() };
        senders.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let client_id = format!("t{t}-{i}");
                attempted.lock().unwrap().push(client_id.clone());
                let sent = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "body": format!("burst {client_id}"), "client_id": client_id }))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => {
                        // Killed between the status line and the body: not
                        // acknowledged as far as this client knows.
                        let Ok(m) = r.json::<Value>().await else {
                            return;
                        };
                        acked
                            .lock()
                            .unwrap()
                            .insert(client_id, m["seq"].as_i64().unwrap());
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "burst too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let mut server = start(&data, port);
    let ana = login(&client, &base, "ana").await;
    let ben = login(&client, &base, "ben").await;
    // Retrying every attempted send is safe: client ids dedupe.
    let tail: Vec<String> = attempted
        .lock()
        .unwrap()
        .iter()
        .rev()
        .take(16)
        .cloned()
        .collect();
    for client_id in &tail {
        let who = if client_id.starts_with("t0") || client_id.starts_with("t2") {
            &ana
        } else {
            &ben
        };
        let r = client
            .post(format!("{base}/api/v1/conversations/{conv}/messages"))
            .bearer_auth(who)
            .json(&json!({ "body": format!("burst {client_id}"), "client_id": client_id }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let all = messages_after(&client, &base, &conv, &ana, 0).await;
    let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(all.len()).unwrap()).collect::<Vec<_>>(),
        "seq has gaps"
    );
    let mut seen = HashSet::new();
    for m in &all {
        let cid = m["client_id"].as_str().unwrap().to_owned();
        assert!(
            seen.insert(cid.clone()),
            "duplicate message for client id {cid}"
        );
    }
    for (cid, seq) in &acked {
        let m = all
            .iter()
            .find(|m| m["client_id"] == json!(cid))
            .unwrap_or_else(|| panic!("acknowledged {cid} lost"));
        assert_eq!(m["seq"].as_i64(), Some(*seq), "acknowledged {cid} moved");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
