//! The sandbox: the real binary's `hippo dev fake-whatsapp`, run as a child
//! process, is a TestServer's WhatsApp Cloud API, configured only from the
//! lines it prints. hippo verifies its webhook, syncs its templates and
//! sends one; the fake's control endpoints move the send to delivered and
//! deliver the patient's reply, each as a webhook signed with the app
//! secret. Non-loopback addresses are refused without `--allow-remote`.

use crate::support::{TestServer, hippo_command};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const PHONE: &str = "+16505550123";

/// The fake as a child process; killed if the test fails before it stops
/// it.
struct Fake {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// `KEY=value` lines printed before `ready`.
    printed: HashMap<String, String>,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fake {
    fn start(dir: &std::path::Path) -> Self {
        let mut child = hippo_command()
            .args(["dev", "fake-whatsapp", "--bind", "127.0.0.1:0"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn hippo dev fake-whatsapp");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .expect("the fake printed `ready` within 30 s");
            if line.starts_with("ready") {
                break;
            }
            if let Some((key, value)) = line.split_once('=')
                && key.starts_with("HIPPO_")
            {
                printed.insert(key.to_owned(), value.to_owned());
            }
        }
        let base = printed["HIPPO_WHATSAPP_API_BASE"].clone();
        let token = printed["HIPPO_WHATSAPP_ACCESS_TOKEN"].clone();
        Self {
            child,
            lines,
            printed,
            base,
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn control(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control request");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Sends SIGTERM and waits for a clean exit; returns what it printed
    /// meanwhile.
    fn stop(&mut self) -> Vec<String> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        let code = loop {
            if let Some(code) = self.child.try_wait().expect("try_wait") {
                break code;
            }
            assert!(Instant::now() < deadline, "the fake ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(code.success(), "exit status {code:?}");
        // Until the reader thread saw the end of the output.
        let mut after = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            after.push(line);
        }
        after
    }
}

async fn messages(server: &TestServer, token: &str, conversation: &str) -> Vec<Value> {
    let (status, body) = server
        .get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

/// Polls the conversation until `pick` finds a message (10 s at most).
async fn wait_for(
    server: &TestServer,
    token: &str,
    conversation: &str,
    what: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        if let Some(m) = messages(server, token, conversation)
            .await
            .into_iter()
            .find(&pick)
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{what} never happened: {:?}",
        messages(server, token, conversation).await
    );
}

#[tokio::test]
async fn a_template_sent_through_hippo_to_the_fake_is_delivered_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = Fake::start(dir.path());
    let printed = fake.printed.clone();
    for key in [
        "HIPPO_WHATSAPP_API_BASE",
        "HIPPO_WHATSAPP_PHONE_NUMBER_ID",
        "HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID",
        "HIPPO_WHATSAPP_ACCESS_TOKEN",
        "HIPPO_WHATSAPP_APP_SECRET",
        "HIPPO_WHATSAPP_VERIFY_TOKEN",
    ] {
        assert!(printed.contains_key(key), "{key} printed: {printed:?}");
    }
    let server = TestServer::start_with(|a| {
        a.whatsapp_api_base = Some(printed["HIPPO_WHATSAPP_API_BASE"].clone());
        a.whatsapp_phone_number_id = Some(printed["HIPPO_WHATSAPP_PHONE_NUMBER_ID"].clone());
        a.whatsapp_business_account_id =
            Some(printed["HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID"].clone());
        a.whatsapp_access_token = Some(printed["HIPPO_WHATSAPP_ACCESS_TOKEN"].clone());
        a.whatsapp_app_secret = Some(printed["HIPPO_WHATSAPP_APP_SECRET"].clone());
        a.whatsapp_verify_token = Some(printed["HIPPO_WHATSAPP_VERIFY_TOKEN"].clone());
    })
    .await;

    // The control endpoints want the access token.
    let unauthorized = fake
        .http
        .get(format!("{}/_fake/sent", fake.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);

    // Aim the webhooks at this server; the fake runs Meta's handshake.
    let pem = std::fs::read_to_string(server.config.data_dir.join("tls/cert.pem")).unwrap();
    let (status, body) = fake
        .control(
            Method::PUT,
            "/_fake/webhook",
            Some(json!({ "url": server.url("/webhooks/whatsapp"), "ca_pem": pem })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true, "{body}");

    let (_, token, _) = server.signed_in("dr_sandbox", "clinician").await;
    let (status, body) = server
        .post("/api/v1/whatsapp/templates/sync", Some(&token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"appointment_reminder"), "{names:?}");
    let (status, body) = server
        .call(
            Method::PATCH,
            "/api/v1/whatsapp/templates/appointment_reminder/en_US",
            Some(&token),
            Some(json!({ "phi_free": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, patient) = server
        .post(
            "/api/v1/patients",
            Some(&token),
            json!({ "display_name": "Sandbox Patient", "phone": PHONE,
                    "whatsapp_opt_in": true, "opt_in_source": "sandbox test" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");
    let conversation = patient["conversation_id"].as_str().unwrap().to_owned();

    let (status, sent) = server
        .post(
            &format!(
                "/api/v1/patients/{}/whatsapp",
                patient["id"].as_str().unwrap()
            ),
            Some(&token),
            json!({ "template": { "name": "appointment_reminder", "language": "en_US",
                                  "parameters": ["May 3", "10:30"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["channel_status"]["state"], "queued");
    let id = sent["id"].as_str().unwrap().to_owned();

    // The fake accepted it and reported `sent` by itself.
    wait_for(&server, &token, &conversation, "sent", |m| {
        m["id"] == id.as_str() && m["channel_status"]["state"] == "sent"
    })
    .await;
    let (status, body) = fake.control(Method::GET, "/_fake/sent", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sends = body["sent"].as_array().unwrap();
    assert_eq!(sends.len(), 1, "{body}");
    assert_eq!(sends[0]["message_id"], id.as_str());
    assert_eq!(sends[0]["to"], "16505550123");
    assert_eq!(sends[0]["template"], "appointment_reminder");

    // The phone got it: delivered, by hippo's message id.
    let (status, body) = fake
        .control(
            Method::POST,
            "/_fake/status",
            Some(json!({ "message_id": id, "status": "delivered" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["webhook_status"], 200);
    let delivered = wait_for(&server, &token, &conversation, "delivered", |m| {
        m["id"] == id.as_str() && m["channel_status"]["state"] == "delivered"
    })
    .await;
    assert_eq!(delivered["channel"], "whatsapp");
    let (status, body) = fake
        .control(
            Method::POST,
            "/_fake/status",
            Some(json!({ "message_id": "no-such-message", "status": "read" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The patient answers.
    let (status, body) = fake
        .control(
            Method::POST,
            "/_fake/inbound",
            Some(json!({ "from": PHONE, "text": "Thanks, I will be there" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["wamid"].as_str().unwrap().starts_with("wamid."));
    let reply = wait_for(&server, &token, &conversation, "the reply", |m| {
        m["body"] == "Thanks, I will be there"
    })
    .await;
    assert_eq!(reply["channel"], "whatsapp");

    let after = fake.stop();
    assert!(
        after.iter().any(|l| l.starts_with("send accepted: wamid.")),
        "{after:?}"
    );
    assert_eq!(
        after.last().map(String::as_str),
        Some("stopped"),
        "{after:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_fake_listens_only_on_loopback_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let out = hippo_command()
        .args(["dev", "fake-whatsapp", "--bind", "0.0.0.0:0"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing started");
}
