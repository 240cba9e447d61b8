//! What integrations cost, through the real binary (release build, SQLite,
//! TLS on loopback) and a real webhook receiver in this process:
//!
//! 1. authentication per request: `GET /api/v1/me` with a session token and
//!    with an API key (with an address allow-list), same concurrency;
//! 2. message sends with no webhook endpoint, then with one subscribed to
//!    `message.created` (the cost of the outbox row in the send's
//!    transaction);
//! 3. webhook deliveries: sustained deliveries/s at the receiver during that
//!    send load, and the latency from a send's 2xx (committed) to its
//!    delivery's arrival (p50/p99);
//! 4. the same latency at a paced, unsaturated rate (200 messages/s over
//!    16 conversations), which is the pipeline's own delay rather than
//!    queueing;
//! 5. draining a backlog: deliveries queued while the receiver was down,
//!    delivered once it is back (deliveries/s).
//!
//! ```sh
//! cargo bench -p hippo --bench integrations
//! HIPPO_BENCH_SENDERS=32 HIPPO_BENCH_MESSAGES=200 cargo bench -p hippo --bench integrations
//! ```

#![allow(
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::zombie_processes,
    reason = "a benchmark: a failure aborts it with context"
)]

use axum::body::Bytes;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple 42";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let last = sorted.len() - 1;
    sorted[((last as f64) * p).round() as usize]
}

fn hippo(data: &std::path::Path, port: u16) -> Command {
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
        .env("HIPPO_LOG", "warn")
        .env("HIPPO_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32");
    c
}

fn cli(data: &std::path::Path, port: u16, args: &[&str], stdin: Option<&str>) -> String {
    let mut c = hippo(data, port);
    let mut child = c
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("hippo");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "hippo {args:?} failed");
    String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

fn serve(data: &std::path::Path, port: u16) -> Child {
    let mut child = hippo(data, port)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if line.starts_with("hippo listening on") {
            return child;
        }
    }
    panic!("hippo serve did not start");
}

/// Arrival times of deliveries by message id, and whether to accept them.
#[derive(Default)]
struct Receiver {
    arrivals: Mutex<HashMap<String, Instant>>,
    down: AtomicBool,
}

async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |body: Bytes| {
            let state = shared.clone();
            async move {
                if state.down.load(Ordering::Relaxed) {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let at = Instant::now();
                if let Ok(v) = serde_json::from_slice::<Value>(&body)
                    && let Some(id) = v["data"]["message_id"].as_str()
                {
                    state
                        .arrivals
                        .lock()
                        .expect("lock")
                        .entry(id.to_owned())
                        .or_insert(at);
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.expect("json")
    }

    async fn login(&self, user: &str) -> String {
        let v = self
            .post_anon(
                "/api/v1/auth/login",
                json!({ "username": user, "password": PASSWORD }),
            )
            .await;
        v["token"].as_str().expect("token").to_owned()
    }

    async fn post_anon(&self, path: &str, body: Value) -> Value {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("send");
        resp.json().await.expect("json")
    }
}

/// `requests` GETs of `/api/v1/me` at `concurrency`: (req/s, p50 ms, p99 ms).
async fn auth_load(
    api: &Arc<Api>,
    token: &str,
    requests: usize,
    concurrency: usize,
) -> (f64, f64, f64) {
    let started = Instant::now();
    let per = requests / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let api = api.clone();
            let token = token.to_owned();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per);
                for _ in 0..per {
                    let t = Instant::now();
                    let resp = api
                        .client
                        .get(format!("{}/api/v1/me", api.base))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("get");
                    assert_eq!(resp.status(), 200);
                    let _ = resp.bytes().await;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    (
        all.len() as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    )
}

/// Each sender posts `messages` to its own conversation, one every
/// `pace` (none: as fast as it can): (msg/s, acks by message id).
async fn send_load(
    api: &Arc<Api>,
    token: &str,
    convs: &[String],
    messages: usize,
) -> (f64, Vec<(String, Instant)>) {
    paced_load(api, token, convs, messages, None).await
}

async fn paced_load(
    api: &Arc<Api>,
    token: &str,
    convs: &[String],
    messages: usize,
    pace: Option<Duration>,
) -> (f64, Vec<(String, Instant)>) {
    let started = Instant::now();
    let tasks: Vec<_> = convs
        .iter()
        .map(|conv| {
            let (api, token, conv) = (api.clone(), token.to_owned(), conv.clone());
            tokio::spawn(async move {
                let mut acks = Vec::with_capacity(messages);
                let mut tick = pace.map(tokio::time::interval);
                for n in 0..messages {
                    if let Some(t) = tick.as_mut() {
                        t.tick().await;
                    }
                    let m = api
                        .post(
                            &format!("/api/v1/conversations/{conv}/messages"),
                            &token,
                            json!({ "body": format!("observation {n}") }),
                        )
                        .await;
                    acks.push((m["id"].as_str().expect("id").to_owned(), Instant::now()));
                }
                acks
            })
        })
        .collect();
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await.expect("task"));
    }
    (acks.len() as f64 / started.elapsed().as_secs_f64(), acks)
}

async fn wait_all(rx: &Receiver, ids: &[String]) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        {
            let got = rx.arrivals.lock().expect("lock");
            if ids.iter().all(|id| got.contains_key(id)) {
                return ids
                    .iter()
                    .filter_map(|id| got.get(id))
                    .max()
                    .copied()
                    .expect("some");
            }
        }
        assert!(Instant::now() < deadline, "deliveries did not all arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let senders = env("HIPPO_BENCH_SENDERS", 16);
    let messages = env("HIPPO_BENCH_MESSAGES", 100);
    let requests = env("HIPPO_BENCH_REQUESTS", 20_000);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let pw = format!("{PASSWORD}\n");
    cli(
        &data,
        port,
        &[
            "user",
            "create",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&pw),
    );
    let ben = cli(
        &data,
        port,
        &[
            "user",
            "create",
            "--username",
            "ben",
            "--role",
            "clinician",
            "--password-stdin",
        ],
        Some(&pw),
    );
    cli(
        &data,
        port,
        &[
            "user",
            "create",
            "--username",
            "ana",
            "--role",
            "clinician",
            "--password-stdin",
        ],
        Some(&pw),
    );
    cli(
        &data,
        port,
        &[
            "user",
            "create",
            "--username",
            "erp",
            "--role",
            "service",
            "--password-stdin",
        ],
        Some(&pw),
    );
    let key = cli(
        &data,
        port,
        &[
            "user",
            "api-key",
            "create",
            "erp",
            "--name",
            "bench",
            "--allowed-ip",
            "127.0.0.1",
        ],
        None,
    );
    let mut server = serve(&data, port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let pem = std::fs::read(data.join("tls/cert.pem")).expect("cert");
        let api = Arc::new(Api {
            client: reqwest::Client::builder()
                .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("pem")])
                .pool_max_idle_per_host(256)
                .build()
                .expect("client"),
            base: format!("https://localhost:{port}"),
        });
        let admin = api.login("root").await;
        let ana = api.login("ana").await;
        let erp_session = api.login("erp").await;
        println!("hippo {} (release), SQLite, TLS on loopback; bench and server share the machine", env!("CARGO_PKG_VERSION"));

        // 1. Authentication cost.
        for _ in 0..2 {
            auth_load(&api, &erp_session, 2_000, 16).await; // warm both paths
            auth_load(&api, &key, 2_000, 16).await;
        }
        let (s_rps, s50, s99) = auth_load(&api, &erp_session, requests, 16).await;
        let (k_rps, k50, k99) = auth_load(&api, &key, requests, 16).await;
        println!("auth  GET /api/v1/me x{requests}, 16 concurrent");
        println!("  session token: {s_rps:>8.0} req/s  p50 {s50:.2} ms  p99 {s99:.2} ms");
        println!("  API key      : {k_rps:>8.0} req/s  p50 {k50:.2} ms  p99 {k99:.2} ms");

        // Conversations, one per sender.
        let mut convs = Vec::new();
        for n in 0..senders {
            let c = api
                .post("/api/v1/conversations", &ana, json!({ "kind": "group", "title": format!("ward {n}"), "member_ids": [ben] }))
                .await;
            convs.push(c["id"].as_str().expect("id").to_owned());
        }
        // 2. Sends without an endpoint.
        send_load(&api, &ana, &convs, messages / 4).await; // warm
        let (bare, _) = send_load(&api, &ana, &convs, messages).await;

        // 3. With one endpoint: sends, deliveries and latency.
        let (rx, url) = receiver().await;
        api.post("/api/v1/webhooks", &admin, json!({ "url": url, "events": ["message.created"] }))
            .await;
        let started = Instant::now();
        let (with_hook, acks) = send_load(&api, &ana, &convs, messages).await;
        let ids: Vec<String> = acks.iter().map(|(id, _)| id.clone()).collect();
        let last = wait_all(&rx, &ids).await;
        let rate = ids.len() as f64 / last.duration_since(started).as_secs_f64();
        let mut lat: Vec<f64> = {
            let got = rx.arrivals.lock().expect("lock");
            acks.iter()
                .filter_map(|(id, ack)| got.get(id).map(|at| at.saturating_duration_since(*ack).as_secs_f64() * 1000.0))
                .collect()
        };
        lat.sort_by(f64::total_cmp);
        let total = senders * messages;
        println!("sends {senders} senders x {messages} messages (one conversation each)");
        println!("  no endpoint        : {bare:>8.0} msg/s");
        println!("  one endpoint       : {with_hook:>8.0} msg/s");
        println!("webhooks during that load: {total} deliveries, {rate:.0} deliveries/s sustained");
        println!("  commit (2xx) to receiver: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
            percentile(&lat, 0.5), percentile(&lat, 0.99), lat.last().copied().unwrap_or(f64::NAN));

        // 4. Paced: 16 conversations, one message each every 80 ms.
        let started_paced = Instant::now();
        let (_, acks) = paced_load(&api, &ana, &convs, 60, Some(Duration::from_millis(80))).await;
        let ids: Vec<String> = acks.iter().map(|(id, _)| id.clone()).collect();
        wait_all(&rx, &ids).await;
        let mut lat: Vec<f64> = {
            let got = rx.arrivals.lock().expect("lock");
            acks.iter()
                .filter_map(|(id, ack)| got.get(id).map(|at| at.saturating_duration_since(*ack).as_secs_f64() * 1000.0))
                .collect()
        };
        lat.sort_by(f64::total_cmp);
        println!(
            "paced: {} messages at {:.0} msg/s: commit (2xx) to receiver p50 {:.1} ms  p99 {:.1} ms",
            ids.len(),
            ids.len() as f64 / started_paced.elapsed().as_secs_f64(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );

        // 5. A backlog, drained.
        rx.down.store(true, Ordering::Relaxed);
        let backlog_convs: Vec<String> = {
            let mut v = Vec::new();
            for n in 0..64 {
                let c = api
                    .post("/api/v1/conversations", &ana, json!({ "kind": "group", "title": format!("backlog {n}"), "member_ids": [ben] }))
                    .await;
                v.push(c["id"].as_str().expect("id").to_owned());
            }
            v
        };
        let (_, acks) = send_load(&api, &ana, &backlog_convs, messages / 2).await;
        let ids: Vec<String> = acks.iter().map(|(id, _)| id.clone()).collect();
        // Every line's head has failed once and waits for its 5 s retry.
        tokio::time::sleep(Duration::from_secs(1)).await;
        rx.down.store(false, Ordering::Relaxed);
        let last = wait_all(&rx, &ids).await;
        let first = {
            let got = rx.arrivals.lock().expect("lock");
            ids.iter().filter_map(|id| got.get(id)).min().copied().expect("some")
        };
        let drain = last.saturating_duration_since(first).as_secs_f64();
        println!(
            "backlog: {} deliveries over 64 conversations, drained at {:.0} deliveries/s once the receiver was back",
            ids.len(),
            ids.len() as f64 / drain
        );
    });
    let _ = server.kill();
    let _ = server.wait();
    Ok(())
}
