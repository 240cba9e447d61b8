//! What an administrator watches: `/metrics` (sign-in refusals and
//! lockouts, sockets, the connection pool, outbox depths, the last backup),
//! on the API's listener or a separate one; the access log of the real
//! binary, set up from the config file (a route template and the request
//! id, never an id, a name or a colour code); client addresses behind a
//! trusted proxy.

use crate::crash::{create_clinician, hippo};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The value of the sample `name` (with its labels exactly as rendered).
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(s: &TestServer) -> String {
    let resp = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_refused_sign_ins_lockouts_and_show_the_last_backup() {
    let s = TestServer::start_with(|a| a.login_max_failures = Some("3".into())).await;
    s.create_user("nora", "clinician").await;
    let before = scrape(&s).await;
    assert_eq!(sample(&before, "hippo_store_up"), Some(1.0));
    assert_eq!(
        sample(
            &before,
            &format!(
                "hippo_build_info{{version=\"{}\",backend=\"{}\"}}",
                env!("CARGO_PKG_VERSION"),
                s.hippo.store().backend()
            )
        ),
        Some(1.0)
    );
    assert_eq!(sample(&before, "hippo_account_lockouts_total"), Some(0.0));
    assert!(sample(&before, "process_resident_memory_bytes").is_some_and(|b| b > 1e6));
    assert!(sample(&before, "process_open_fds").is_some_and(|n| n > 0.0));
    assert!(sample(&before, "hippo_db_connections_max").is_some_and(|n| n >= 1.0));
    assert!(
        !before.contains("hippo_operation_last_timestamp_seconds{operation=\"backup.create\""),
        "no backup yet: {before}"
    );

    for _ in 0..3 {
        let (status, _) = s.login_raw("nora", "wrong password", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = s.login_raw("nobody", "wrong password", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.login_raw("nora", PASSWORD, None).await;
    assert_eq!(status.as_u16(), 423, "{body}");

    let backup_dir = s.dir.path().join("backups");
    let out = s
        .run_cli(&["backup", "create", "--out", backup_dir.to_str().unwrap()])
        .await;
    assert!(out.status.success(), "{out:?}");

    let after = scrape(&s).await;
    assert_eq!(
        sample(
            &after,
            "hippo_login_failures_total{code=\"invalid_credentials\"}"
        ),
        Some(4.0),
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            "hippo_login_failures_total{code=\"account_locked\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&after, "hippo_account_lockouts_total"), Some(1.0));
    let backed_up = sample(
        &after,
        "hippo_operation_last_timestamp_seconds{operation=\"backup.create\",outcome=\"success\"}",
    )
    .expect("the backup's time");
    // The CLI runs on the wall clock.
    let now = hippo_core::Clock::now(&hippo_core::SystemClock).as_millis() as f64 / 1000.0;
    assert!((now - backed_up).abs() < 120.0, "{backed_up} vs {now}");
    // Requests are counted by route template, never by id.
    assert_eq!(
        sample(
            &after,
            "hippo_http_requests_total{route=\"/api/v1/auth/login\",method=\"POST\",status=\"401\"}"
        ),
        Some(4.0)
    );
    assert!(!after.contains("nora") && !after.contains("nobody"));
}

/// Reads the child's stdout lines until `prefix` starts one; returns the
/// rest of that line.
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no line starting {prefix:?}"));
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
}

/// The real binary with `log`, `log_format` and `metrics_listen` from its
/// config file: JSON lines, only warnings and the access log, no escape
/// codes; each request's line names its route template and the request id
/// it answered with, never the id in the path; `/metrics` is on the
/// metrics listener and 404 on the API's.
#[tokio::test]
async fn the_access_log_and_metrics_listener_follow_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("hippo.toml");
    std::fs::write(
        &config,
        "log = \"warn,hippo::access=info\"\nlog_format = \"json\"\nmetrics_listen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nora = create_clinician(hippo(&data, port), "nora");
    let mut c = hippo(&data, port);
    c.arg("--config").arg(&config).env_remove("HIPPO_LOG");
    c.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let metrics_url = wait_for_line(&lines, "metrics on ");
    let base = wait_for_line(&lines, "hippo listening on ");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();

    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "nora", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("signed in").to_owned();
    let resp = client
        .get(format!("{base}/api/v1/users/{nora}"))
        .bearer_auth(&token)
        .header("x-request-id", "trace-7f3a")
        .send()
        .await
        .unwrap();
    // An administrator's route: refused, and logged like any other.
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let text = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("hippo_http_requests_total{route=\"/api/v1/users/{id}\",method=\"GET\",status=\"403\"} 1"),
        "{text}"
    );

    // SIGTERM: a clean stop, then the whole log.
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let log = String::from_utf8(out.stderr).unwrap();
    assert!(!log.contains('\u{1b}'), "no escape codes in a file: {log}");
    assert!(!log.contains(&nora) && !log.contains("nora") && !log.contains(&token));
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events
            .iter()
            .all(|e| e["level"] != "INFO" || e["target"] == "hippo::access"),
        "the filter from the file holds: {log}"
    );
    let line = events
        .iter()
        .find(|e| e["fields"]["request_id"] == "trace-7f3a")
        .unwrap_or_else(|| panic!("the request's line: {log}"));
    assert_eq!(line["target"], "hippo::access");
    assert_eq!(line["fields"]["route"], "/api/v1/users/{id}");
    assert_eq!(line["fields"]["method"], "GET");
    assert_eq!(line["fields"]["status"], 403);
    assert!(line["fields"]["latency_ms"].as_str().is_some());
}

/// Behind a trusted proxy the audit trail records the client's address
/// the proxy forwarded; from anyone else the header is ignored.
#[tokio::test]
async fn a_trusted_proxy_forwards_the_client_address_and_nobody_else_can() {
    let login_ip = |s: &TestServer, forwarded: &'static str| {
        let client = s.client.clone();
        let url = s.url("/api/v1/auth/login");
        let (name, value) = match forwarded.strip_prefix("Forwarded: ") {
            Some(rfc7239) => ("forwarded", rfc7239),
            None => ("x-forwarded-for", forwarded),
        };
        async move {
            let resp = client
                .post(url)
                .header(name, value)
                .json(&json!({ "username": "nora", "password": "wrong" }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        }
    };
    let last_login_ip = |records: Vec<hippo_store::AuditRecord>| {
        records
            .iter()
            .rev()
            .find(|r| r.action.as_str() == "auth.login")
            .and_then(|r| r.ip.clone())
    };

    let trusting = TestServer::start_with(|a| a.trusted_proxies = Some("127.0.0.0/8".into())).await;
    trusting.create_user("nora", "clinician").await;
    login_ip(&trusting, "198.51.100.1, 203.0.113.7").await;
    assert_eq!(
        last_login_ip(trusting.audit().await).as_deref(),
        Some("203.0.113.7"),
        "the address the proxy saw, not what the client wrote left of it"
    );

    // RFC 7239 when the proxy is said to write it; then X-Forwarded-For,
    // which such a proxy passes through from the client, is not believed.
    let rfc7239 = TestServer::start_with(|a| {
        a.trusted_proxies = Some("127.0.0.0/8".into());
        a.forwarded_header = Some("forwarded".into());
    })
    .await;
    rfc7239.create_user("nora", "clinician").await;
    login_ip(
        &rfc7239,
        r#"Forwarded: for=198.51.100.1, for="[2001:db8:cafe::17]:4711";proto=https"#,
    )
    .await;
    assert_eq!(
        last_login_ip(rfc7239.audit().await).as_deref(),
        Some("2001:db8:cafe::17")
    );
    login_ip(&rfc7239, "203.0.113.7").await;
    assert_eq!(
        last_login_ip(rfc7239.audit().await).as_deref(),
        Some("127.0.0.1"),
        "X-Forwarded-For is ignored when the proxy writes Forwarded"
    );

    let plain = TestServer::start().await;
    plain.create_user("nora", "clinician").await;
    login_ip(&plain, "203.0.113.7").await;
    assert_eq!(
        last_login_ip(plain.audit().await).as_deref(),
        Some("127.0.0.1")
    );
}
