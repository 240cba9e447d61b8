//! Cluster mode: two nodes on one PostgreSQL (whatever the suite's backend:
//! cluster mode is PostgreSQL's). A message sent through one node reaches
//! sockets on the other at once, receipts travel back, deactivating a
//! user on one node closes that user's socket on the other, and the
//! sign-in throttle counts on every node. Three real processes survive
//! losing one to SIGKILL; a node survives PostgreSQL going away.

use crate::support::{TestServer, frame_of, fresh_pg_schema, next_frame};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn events_cross_nodes_and_deactivation_closes_sockets_everywhere() {
    two_nodes_exchange_events(None).await;
}

#[tokio::test]
async fn events_cross_nodes_over_nats() {
    two_nodes_exchange_events(Some(NATS)).await;
}

/// The NATS server this machine runs (`.ci/run` starts one if needed).
const NATS: &str = "nats://127.0.0.1:4222";

/// Two nodes on one PostgreSQL, over the default bus or `bus`.
async fn two_nodes_exchange_events(bus: Option<&'static str>) {
    let node_a = TestServer::builder()
        .postgres()
        .setting(|args| args.cluster_bus = bus.map(str::to_owned))
        .start()
        .await;
    let node_b = node_a
        .second_node(|args| args.cluster_bus = bus.map(str::to_owned))
        .await;

    let admin = node_a.admin().await.token;
    let [ana, ben] = node_a.clinicians(["ana", "ben"]).await;
    let (a, b_id, b) = (ana.token.clone(), ben.id.clone(), ben.token.clone());
    let conv = node_a.direct(&ana, &ben).await;

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

    // A frame far over PostgreSQL's 8000-byte NOTIFY limit crosses too.
    let long = "Discharge summary. ".repeat(1_200);
    let (status, sent) = node_a
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&a),
            json!({ "body": long }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let got = frame_of(&mut wb, "message.created").await;
    assert_eq!(got["message"]["id"], sent["id"]);
    assert_eq!(
        got["message"]["body"].as_str().map(str::len),
        Some(long.len())
    );

    // Client frames cross as well: Ben types on node B, Ana sees it on A.
    futures_util::SinkExt::send(
        &mut wb,
        tokio_tungstenite::tungstenite::Message::Text(
            json!({ "type": "typing", "conversation_id": conv })
                .to_string()
                .into(),
        ),
    )
    .await
    .unwrap();
    let typing = frame_of(&mut wa, "typing").await;
    assert_eq!(typing["user_id"], json!(b_id));

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
    assert_eq!(got["message"]["seq"], json!(3));

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

    // The per-address sign-in throttle counts failures on every node.
    for i in 0..50 {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        let (status, _) = node
            .login_raw(&format!("ghost{i}"), "wrong-password-1", None)
            .await;
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    }
    for node in [&node_a, &node_b] {
        let (status, body) = node.login_raw("ghost", "wrong-password-1", None).await;
        assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{body}");
    }

    node_b.stop().await;
    node_a.stop().await;
}

/// Credential stuffing is counted across the cluster: ten failures on each
/// of two nodes (twenty accounts) raise the alert, which neither node's
/// ten alone would.
#[tokio::test]
async fn credential_stuffing_is_counted_across_nodes() {
    let node_a = TestServer::builder().postgres().start().await;
    let node_b = node_a.second_node(|_| {}).await;
    let auditor = node_a.auditor().await.token;
    for i in 0..20 {
        let node = if i < 10 { &node_a } else { &node_b };
        let (status, _) = node
            .login_raw(&format!("ghost{i}"), "wrong-password-1", None)
            .await;
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    }
    let (status, body) = node_a.get("/api/v1/alerts", &auditor).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let stuffing: Vec<&serde_json::Value> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == json!("credential_stuffing"))
        .collect();
    assert_eq!(stuffing.len(), 1, "{body}");
    node_b.stop().await;
    node_a.stop().await;
}

/// Records the `seq` of every `message.created` a socket receives, until
/// it closes.
fn collect_seqs(
    mut ws: crate::support::Ws,
    seen: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<i64>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(t) = frame {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == json!("message.created") {
                    seen.lock()
                        .unwrap()
                        .insert(v["message"]["seq"].as_i64().unwrap());
                }
            }
        }
    })
}

/// The node holding the audit sequencer's lease now, if any.
async fn sequencer_holder(pg: &mut sqlx::PgConnection) -> Option<String> {
    sqlx::query_scalar(
        "SELECT holder FROM job_leases WHERE name = 'audit_sequencer' AND expires_at > \
         (EXTRACT(EPOCH FROM now()) * 1000)::bigint",
    )
    .fetch_optional(pg)
    .await
    .unwrap()
}

#[tokio::test]
async fn three_real_nodes_lose_one_to_sigkill_and_nothing_is_lost() {
    use crate::crash::{create_clinician, hippo, login, messages_after, spawn_until_listening};
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet, HashSet};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let (_, url) = fresh_pg_schema().await;
    let root = tempfile::tempdir().unwrap();
    let data: Vec<std::path::PathBuf> = (1..=3)
        .map(|i| root.path().join(format!("node{i}")))
        .collect();
    let ports: Vec<u16> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let node = |i: usize| {
        let mut c = hippo(&data[i], ports[i]);
        c.env("HIPPO_DATABASE_URL", &url);
        c
    };
    let ids: Vec<String> = ["ana", "ben"]
        .iter()
        .map(|user| create_clinician(node(0), user))
        .collect();
    // Every node holds the same keys.
    for d in &data[1..] {
        std::fs::create_dir_all(d).unwrap();
        for key in ["master.key", "audit-signing.key"] {
            std::fs::copy(data[0].join(key), d.join(key)).unwrap();
        }
    }
    let serve = |i: usize| {
        let mut c = node(i);
        c.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null());
        spawn_until_listening(c)
    };
    // Node 2 starts first and takes the audit sequencer's lease: it is the
    // node that will be killed.
    let mut pg = {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&url).await.unwrap()
    };
    let second = serve(1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let first_holder = loop {
        if let Some(h) = sequencer_holder(&mut pg).await {
            break h;
        }
        assert!(Instant::now() < deadline, "nobody took the sequencer lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut servers = vec![serve(0), second, serve(2)];
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
    for d in &data {
        let pem = std::fs::read(d.join("tls/cert.pem")).unwrap();
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    }
    let client = builder.build().unwrap();
    let base = |i: usize| format!("https://localhost:{}", ports[i]);
    let ana = login(&client, &base(0), "ana").await;
    let ben = login(&client, &base(1), "ben").await;
    let conv: Value = client
        .post(format!("{}/api/v1/conversations", base(2)))
        .bearer_auth(&ana)
        .json(&json!({ "kind": "direct", "member_ids": [ids[1]] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv = conv["id"].as_str().unwrap().to_owned();

    // Ben listens on node 3 (survives), Ana on node 2 (will be killed).
    let ben_seen: Arc<Mutex<BTreeSet<i64>>> = Arc::default();
    let ana_seen: Arc<Mutex<BTreeSet<i64>>> = Arc::default();
    let ben_ws = collect_seqs(
        crate::support::ws_to(&data[2], ports[2], Some(&ben)).await,
        ben_seen.clone(),
    );
    let ana_ws = collect_seqs(
        crate::support::ws_to(&data[1], ports[1], Some(&ana)).await,
        ana_seen.clone(),
    );

    // Six senders, two per node; a sender whose node dies retries the same
    // client id on the next node (idempotent), until acknowledged.
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for t in 0..6usize {
        let (client, acked, stop, conv) =
            (client.clone(), acked.clone(), stop.clone(), conv.clone());
        let token = if t % 2 == 0 { ana.clone() } else { ben.clone() };
        let bases: Vec<String> = (0..3).map(base).collect();
        senders.push(tokio::spawn(async move {
            let mut target = t % 3;
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let client_id = format!("t{t}-{i}");
                let mut tries = 0;
                loop {
                    tries += 1;
                    assert!(tries < 50, "{client_id} never acknowledged");
                    let sent = client
                        .post(format!("{}/api/v1/conversations/{conv}/messages", bases[target]))
                        .bearer_auth(&token)
                        .json(&json!({ "body": format!("burst {client_id}"), "client_id": client_id }))
                        .send()
                        .await;
                    let ok = match sent {
                        Ok(r) if r.status() == 201 => r.json::<Value>().await.ok(),
                        _ => None,
                    };
                    if let Some(m) = ok {
                        acked.lock().unwrap().insert(client_id, m["seq"].as_i64().unwrap());
                        break;
                    }
                    target = (target + 1) % 3;
                }
            }
        }));
    }
    let wait_for = |n: usize| {
        let acked = acked.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acked.lock().unwrap().len() < n {
                assert!(Instant::now() < deadline, "burst too slow");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(150).await;
    assert_eq!(
        sequencer_holder(&mut pg).await.as_deref(),
        Some(first_holder.as_str()),
        "node 2 still sequences"
    );
    servers[1].kill().unwrap(); // SIGKILL node 2 (the sequencer) during the burst
    servers[1].wait().unwrap();
    // Ana reconnects to node 1 and carries on.
    let ana_ws2 = collect_seqs(
        crate::support::ws_to(&data[0], ports[0], Some(&ana)).await,
        ana_seen.clone(),
    );
    let before = acked.lock().unwrap().len();
    wait_for(before + 150).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    // Another node took over sequencing: nothing stays pending, with no
    // help from a reader.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending")
            .fetch_one(&mut pg)
            .await
            .unwrap();
        let holder = sequencer_holder(&mut pg).await;
        if pending == 0 && holder.as_ref().is_some_and(|h| *h != first_holder) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} audit records still pending; sequencer lease {holder:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every acknowledged message exactly once, seq gapless.
    let all = messages_after(&client, &base(2), &conv, &ben, 0).await;
    let n = i64::try_from(all.len()).unwrap();
    let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "seq has gaps");
    let mut seen = HashSet::new();
    for m in &all {
        let cid = m["client_id"].as_str().unwrap().to_owned();
        assert!(seen.insert(cid.clone()), "duplicate message for {cid}");
    }
    let by_client: BTreeMap<String, i64> = all
        .iter()
        .map(|m| {
            (
                m["client_id"].as_str().unwrap().to_owned(),
                m["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    for (cid, seq) in acked.lock().unwrap().iter() {
        assert_eq!(
            by_client.get(cid),
            Some(seq),
            "acknowledged {cid} missing or moved"
        );
    }

    // Ben, on a surviving node, saw every message live.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ben_seen.lock().unwrap().len() < all.len() {
        assert!(
            Instant::now() < deadline,
            "ben saw {} of {} live",
            ben_seen.lock().unwrap().len(),
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*ben_seen.lock().unwrap(), (1..=n).collect::<BTreeSet<_>>());
    // Ana, whose node died, does what a client does on reconnecting: asks
    // for everything after the last seq she holds without a gap. Live
    // frames and that catch-up together hold every message.
    let mut ana_all = ana_seen.lock().unwrap().clone();
    let contiguous = (1..=n)
        .take_while(|s| ana_all.contains(s))
        .last()
        .unwrap_or(0);
    ana_all.extend(
        messages_after(&client, &base(0), &conv, &ana, contiguous)
            .await
            .iter()
            .map(|m| m["seq"].as_i64().unwrap()),
    );
    assert_eq!(ana_all, (1..=n).collect::<BTreeSet<_>>());
    assert!(contiguous > 0, "ana saw nothing live before her node died");

    for mut s in [servers.remove(2), servers.remove(0)] {
        s.kill().unwrap();
        s.wait().unwrap();
    }
    ben_ws.abort();
    ana_ws.abort();
    ana_ws2.abort();
    let out = node(0).args(["audit", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Every acknowledged send is in the trail exactly once (the tree
    // holds the trail: the verification above rebuilt it and checked
    // every signed head).
    let out = node(0)
        .args(["audit", "export", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut sends: BTreeMap<String, usize> = BTreeMap::new();
    let mut seqs = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        seqs.push(r["seq"].as_i64().unwrap());
        if r["action"] == json!("message.send") && r["outcome"] == json!("success") {
            *sends
                .entry(r["resource_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    assert_eq!(
        seqs,
        (1..=i64::try_from(seqs.len()).unwrap()).collect::<Vec<_>>()
    );
    for m in &all {
        let id = m["id"].as_str().unwrap();
        assert_eq!(sends.get(id), Some(&1), "message {id} audited once");
    }
}

/// A TCP proxy to PostgreSQL that the test can cut (every connection
/// dropped, new ones refused) and restore.
struct FlakyProxy {
    port: u16,
    up: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(tokio::sync::watch::channel(true).0);
        let up2 = up.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*up2.borrow() {
                    drop(inbound); // refused while down
                    continue;
                }
                let mut down = up2.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|up| !*up) => {} // cut: both sides dropped
                    }
                });
            }
        });
        Self { port, up, task }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

#[tokio::test]
async fn postgres_going_away_and_coming_back_is_survived_without_restart() {
    let (_, url) = fresh_pg_schema().await;
    // postgres://user@HOST:PORT/db?… → the proxy's port instead.
    let after_at = url.split_once('@').map(|(_, rest)| rest).unwrap();
    let host_port = after_at
        .split_once('/')
        .map(|(hp, _)| hp)
        .unwrap()
        .to_owned();
    assert!(
        host_port.contains(':'),
        "the test database URL names its port"
    );
    let proxy = FlakyProxy::start(host_port.clone()).await;
    let via_proxy = url.replacen(
        &format!("@{host_port}/"),
        &format!("@127.0.0.1:{}/", proxy.port),
        1,
    );
    let s = TestServer::start_with(move |args| args.database_url = Some(via_proxy)).await;
    let [ben, ana] = s.clinicians(["ben", "ana"]).await;
    let a = ana.token.clone();
    let conv = s.direct(&ana, &ben).await;
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (status, _) = s.post(&path, Some(&a), json!({ "body": "before" })).await;
    assert_eq!(status, reqwest::StatusCode::CREATED);

    proxy.cut();
    let ready = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) = s
        .post(
            &path,
            Some(&a),
            json!({ "body": "during", "client_id": "c-1" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], json!("unavailable"));

    proxy.restore();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let ready = s.client.get(s.url("/readyz")).send().await.unwrap();
        if ready.status() == reqwest::StatusCode::OK {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not ready again");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The refused send left nothing behind: its retry is the second message.
    let (status, m) = s
        .post(
            &path,
            Some(&a),
            json!({ "body": "during", "client_id": "c-1" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{m}");
    assert_eq!(m["seq"], json!(2));
    let (_, page) = s.get(&path, &a).await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["before", "during"]);
    s.stop().await;
    proxy.task.abort();
}

#[tokio::test]
async fn a_nats_node_hears_only_users_connected_to_it() {
    use hippo::cluster::{ClusterBus, Interest, Note, nats::NatsBus};
    use hippo_core::UserId;
    use hippo_service::events::PresenceChange;
    use std::sync::Arc;
    use std::time::Duration;
    let deployment = format!("t{}", uuid::Uuid::now_v7().simple());
    let route_of: hippo::cluster::nats::RouteOf = Arc::new(|u: &UserId| format!("r{u}"));
    let sender = NatsBus::connect(NATS, &deployment, route_of.clone())
        .await
        .unwrap();
    let receiver = Arc::new(
        NatsBus::connect(NATS, &deployment, route_of.clone())
            .await
            .unwrap(),
    );
    let other_deployment = NatsBus::connect(NATS, "elsewhere", route_of).await.unwrap();
    let (ana, ben, cat) = (UserId::generate(), UserId::generate(), UserId::generate());
    let (tell, changes) = tokio::sync::mpsc::unbounded_channel();
    let mut inbox = receiver
        .clone()
        .subscribe(Interest {
            now: vec![ana.clone()],
            changes,
        })
        .await
        .unwrap();
    // Cat's first socket: the bus says when it listens for her.
    let (ready, listening) = tokio::sync::oneshot::channel();
    tell.send(PresenceChange {
        user: cat.clone(),
        online: true,
        ready: Some(ready),
    })
    .unwrap();
    tokio::time::timeout(Duration::from_secs(5), listening)
        .await
        .expect("subscribed in time")
        .expect("subscribed");
    let note = |payload: &str, users: Vec<UserId>| Note {
        payload: payload.to_owned(),
        users,
    };
    sender
        .publish(&[
            note("for ben", vec![ben.clone()]),
            note("for ana and ben", vec![ana.clone(), ben.clone()]),
            note("for cat", vec![cat.clone()]),
        ])
        .await
        .unwrap();
    other_deployment
        .publish(&[note("another deployment", vec![ana.clone()])])
        .await
        .unwrap();
    // The two for its users arrive (a loaded machine may take a while);
    // then a second more for anything that should not.
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while got.len() < 2 {
        match tokio::time::timeout_at(deadline, inbox.recv()).await {
            Ok(Some(r)) => got.push((r.payload, r.only_for)),
            _ => break,
        }
    }
    while let Ok(Some(r)) = tokio::time::timeout(Duration::from_secs(1), inbox.recv()).await {
        got.push((r.payload, r.only_for));
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            ("for ana and ben".to_owned(), Some(ana.clone())),
            ("for cat".to_owned(), Some(cat.clone())),
        ]
    );
    // Cat's last socket closed: nothing more for her.
    tell.send(PresenceChange {
        user: cat.clone(),
        online: false,
        ready: None,
    })
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sender
        .publish(&[note("for cat again", vec![cat])])
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), inbox.recv())
            .await
            .is_err()
    );
}

/// A call whose parties are on different nodes: it rings across, is
/// answered across (once: the other node's compare-and-swap loses), and
/// its signals — an SDP larger than a NOTIFY — cross the bus.
#[tokio::test]
async fn a_call_rings_and_signals_across_nodes() {
    use reqwest::StatusCode;
    let node_a = TestServer::builder().postgres().start().await;
    let node_b = node_a.second_node(|_| {}).await;
    let [ana, ben] = node_a.clinicians(["ana", "ben"]).await;
    let conv = node_a.direct(&ana, &ben).await;
    let mut wa = node_a.ws(Some(&ana.token)).await;
    let mut wb = node_b.ws(Some(&ben.token)).await;
    let a_session = frame_of(&mut wa, "ready").await["session_id"].clone();
    let b_session = frame_of(&mut wb, "ready").await["session_id"].clone();

    let (status, call) = node_a
        .post(
            &format!("/api/v1/conversations/{conv}/calls"),
            Some(&ana.token),
            json!({ "media": "video" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(
        frame_of(&mut wb, "call.ringing").await["call"]["id"],
        json!(id)
    );
    let (status, joined) = node_b
        .post(
            &format!("/api/v1/calls/{id}/join"),
            Some(&ben.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    while frame_of(&mut wa, "call.updated").await["call"]["state"] != "active" {}

    let sdp = format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n{}",
        "a=ssrc:1 cname:x\r\n".repeat(600)
    );
    futures_util::SinkExt::send(
        &mut wa,
        tokio_tungstenite::tungstenite::Message::Text(
            json!({"type": "call.signal", "call_id": id, "to_session": b_session,
                   "sdp": {"type": "offer", "sdp": sdp}})
            .to_string()
            .into(),
        ),
    )
    .await
    .unwrap();
    let offer = frame_of(&mut wb, "call.signal").await;
    assert_eq!(offer["from_session"], a_session);
    assert_eq!(offer["sdp"]["sdp"].as_str().map(str::len), Some(sdp.len()));

    let (status, _) = node_b
        .post(
            &format!("/api/v1/calls/{id}/leave"),
            Some(&ben.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        frame_of(&mut wa, "call.ended").await["call"]["end_reason"],
        "hangup"
    );
    node_b.stop().await;
    node_a.stop().await;
}
