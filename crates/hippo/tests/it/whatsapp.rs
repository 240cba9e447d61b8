//! Patients over WhatsApp, end to end against the fake Cloud API (real HTTP
//! both ways, webhooks signed the way Meta signs them): consent, PHI
//! policy, templates, the outbox (retries, permanent failures, rate limit),
//! statuses forward-only, inbound text and images, and a SIGKILL with a
//! full outbox.

use crate::support::{TestServer, assert_problem, frame_of};
use hippo_whatsapp::{FakeCloudApi, FakeConfig, FakeFailure};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const PHONE: &str = "+16505551234";
const REMINDER: &str = "appointment_reminder";

struct Setup {
    server: TestServer,
    fake: FakeCloudApi,
    token: String,
    patient: Value,
}

async fn start(
    phi_mode: &str,
    tweak: impl FnOnce(&mut hippo::settings::SettingArgs),
) -> (TestServer, FakeCloudApi) {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    fake.add_template(
        REMINDER,
        "en_US",
        "UTILITY",
        "APPROVED",
        "Hi, you have an appointment on {{1}} at {{2}}. Details: {{3}}",
    );
    fake.add_template(
        "lab_ready",
        "en_US",
        "UTILITY",
        "PENDING",
        "Your results are ready: {{1}}",
    );
    fake.add_template(
        "plain_notice",
        "en_US",
        "UTILITY",
        "APPROVED",
        "Please check your messages in the clinic portal.",
    );
    let mode = phi_mode.to_owned();
    let server = TestServer::builder()
        .whatsapp(&fake)
        .setting(|a| a.whatsapp_phi_mode = Some(mode))
        .setting(tweak)
        .start()
        .await;
    (server, fake)
}

/// A clinician, synced templates (the reminder marked PHI-free), and an
/// opted-in patient.
async fn setup(phi_mode: &str) -> Setup {
    let (server, fake) = start(phi_mode, |_| {}).await;
    setup_on(server, fake).await
}

async fn setup_on(server: TestServer, fake: FakeCloudApi) -> Setup {
    let (_, token, _) = server.signed_in("dr_ward", "clinician").await;
    let (status, body) = server
        .post("/api/v1/whatsapp/templates/sync", Some(&token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["templates"].as_array().unwrap().len(),
        3,
        "all pages synced"
    );
    let (status, _) = server
        .call(
            Method::PATCH,
            &format!("/api/v1/whatsapp/templates/{REMINDER}/en_US"),
            Some(&token),
            Some(json!({ "phi_free": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, patient) = server
        .post(
            "/api/v1/patients",
            Some(&token),
            json!({ "display_name": "Maria Lopez", "phone": PHONE, "mrn": "MRN-0042",
                    "whatsapp_opt_in": true, "opt_in_source": "signed form at front desk" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");
    Setup {
        server,
        fake,
        token,
        patient,
    }
}

fn reminder(params: &[&str]) -> Value {
    json!({ "template": { "name": REMINDER, "language": "en_US", "parameters": params } })
}

impl Setup {
    fn pid(&self) -> String {
        self.patient["id"].as_str().unwrap().to_owned()
    }

    async fn send(&self, body: Value) -> (StatusCode, Value) {
        self.server
            .post(
                &format!("/api/v1/patients/{}/whatsapp", self.pid()),
                Some(&self.token),
                body,
            )
            .await
    }

    async fn messages(&self) -> Vec<Value> {
        let conv = self.patient["conversation_id"].as_str().unwrap();
        let (status, body) = self
            .server
            .get(
                &format!("/api/v1/conversations/{conv}/messages"),
                &self.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body["messages"].as_array().unwrap().clone()
    }

    async fn message(&self, id: &str) -> Value {
        self.messages()
            .await
            .into_iter()
            .find(|m| m["id"] == id)
            .expect("message listed")
    }

    /// Waits until the message reaches `state` (work happens in the
    /// background: outbox worker, webhook processor).
    async fn wait_state(&self, id: &str, state: &str) -> Value {
        for _ in 0..200 {
            let m = self.message(id).await;
            if m["channel_status"]["state"] == state {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "message {id} never reached {state}: {}",
            self.message(id).await
        );
    }

    fn wamid_of(&self, id: &str) -> String {
        let sent = self.fake.sent();
        let hit: Vec<_> = sent
            .iter()
            .filter(|s| s.callback_data.as_deref() == Some(id))
            .collect();
        assert_eq!(hit.len(), 1, "sent exactly once");
        hit[0].wamid.clone()
    }
}

#[tokio::test]
async fn template_send_moves_queued_sent_delivered_read_live_and_audited() {
    let s = setup("notify_only").await;
    let mut ws = s.server.ws(Some(&s.token)).await;
    let (status, m) = s
        .send(reminder(&["May 3", "10:30", "https://portal.example/x"]))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{m}");
    assert_eq!(m["channel"], "whatsapp");
    assert_eq!(m["channel_status"]["state"], "queued");
    assert_eq!(
        m["body"],
        "Hi, you have an appointment on May 3 at 10:30. Details: https://portal.example/x"
    );
    let id = m["id"].as_str().unwrap().to_owned();
    // The fake auto-reports `sent` by webhook once it accepted the send.
    s.wait_state(&id, "sent").await;
    let wamid = s.wamid_of(&id);
    let req = &s.fake.sent()[0].body;
    assert_eq!(req["to"], "16505551234");
    assert_eq!(req["template"]["name"], REMINDER);
    assert_eq!(
        req["template"]["components"][0]["parameters"][1]["text"],
        "10:30"
    );

    // Out of order and duplicated: read first (a phone with the chat open
    // reports no delivered before it), then a late delivered, then read
    // again. Read wins; nothing moves back; the duplicate is ignored.
    assert_eq!(s.fake.post_status(&wamid, "read", None).await, 200);
    s.wait_state(&id, "read").await;
    assert_eq!(s.fake.post_status(&wamid, "delivered", None).await, 200);
    assert_eq!(s.fake.post_status(&wamid, "read", None).await, 200);
    assert_eq!(s.fake.post_status(&wamid, "sent", None).await, 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(s.message(&id).await["channel_status"]["state"], "read");

    // Pushed live: created, then updates up to read.
    let created = frame_of(&mut ws, "message.created").await;
    assert_eq!(created["message"]["id"], id.as_str());
    loop {
        let f = frame_of(&mut ws, "message.updated").await;
        if f["message"]["channel_status"]["state"] == "read" {
            break;
        }
    }

    // The auditor sees the send, the acceptance and each status under the
    // patient's id; the duplicate `read` is not recorded twice.
    let pid = s.pid();
    let records: Vec<_> = s
        .server
        .audit()
        .await
        .into_iter()
        .filter(|r| r.patient_id.as_deref() == Some(pid.as_str()))
        .collect();
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"patient.create") && actions.contains(&"patient.consent"));
    let sends: Vec<_> = records
        .iter()
        .filter(|r| r.action.as_str() == "whatsapp.send")
        .collect();
    assert_eq!(
        sends.len(),
        2,
        "queued by the clinician, accepted by the Cloud API"
    );
    let statuses: Vec<Value> = records
        .iter()
        .filter(|r| r.action.as_str() == "whatsapp.status")
        .map(|r| serde_json::from_str::<Value>(&r.detail).unwrap())
        .collect();
    let reads = statuses.iter().filter(|d| d["status"] == "read").count();
    assert_eq!(reads, 1, "duplicate read ignored: {statuses:?}");
    assert!(
        statuses
            .iter()
            .any(|d| d["status"] == "delivered" && d["applied"] == false)
    );
    for r in &records {
        assert!(
            !r.detail.contains("Maria") && !r.detail.contains("6505551234"),
            "no PHI in the trail"
        );
    }
}

#[tokio::test]
async fn sends_are_refused_by_consent_template_and_phi_policy() {
    let s = setup("notify_only").await;
    // Unknown, not approved, not PHI-free, wrong parameter count.
    let t = |name: &str, params: &[&str]| json!({ "template": { "name": name, "language": "en_US", "parameters": params } });
    let (status, body) = s.send(t("no_such", &[])).await;
    assert_problem(status, &body, 422, "template_not_approved");
    let (status, body) = s.send(t("lab_ready", &["x"])).await;
    assert_problem(status, &body, 422, "template_not_approved");
    let (status, body) = s.send(t("plain_notice", &[])).await;
    assert_problem(status, &body, 422, "channel_policy");
    let (status, body) = s.send(reminder(&["May 3"])).await;
    assert_problem(status, &body, 422, "validation_failed");
    // Free text under notify_only.
    let (status, body) = s.send(json!({ "text": "Your biopsy is benign" })).await;
    assert_problem(status, &body, 422, "channel_policy");
    // Opt-out (by API) stops sends.
    let (status, _) = s
        .server
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{}", s.pid()),
            Some(&s.token),
            Some(json!({ "whatsapp_opt_in": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.send(reminder(&["May 3", "10:30", "link"])).await;
    assert_problem(status, &body, 422, "not_opted_in");
    assert!(s.fake.sent().is_empty(), "nothing reached WhatsApp");
    // Bad phone numbers and strangers.
    let (status, body) = s
        .server
        .post(
            "/api/v1/patients",
            Some(&s.token),
            json!({ "display_name": "X", "phone": "6505550000", "whatsapp_opt_in": true }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (_, other, _) = s.server.signed_in("dr_other", "clinician").await;
    let (status, body) = s
        .server
        .post(
            &format!("/api/v1/patients/{}/whatsapp", s.pid()),
            Some(&other),
            reminder(&["a", "b", "c"]),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (_, admin, _) = s.server.signed_in("root_admin", "admin").await;
    let (status, _) = s
        .server
        .get(&format!("/api/v1/patients/{}", s.pid()), &admin)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins never see patients");
}

#[tokio::test]
async fn free_text_needs_patient_request_and_the_24_hour_window() {
    let (server, fake) = start("patient_requested", |a| {
        a.session_idle_timeout = Some("30h".into());
        a.session_max_lifetime = Some("30h".into());
    })
    .await;
    let s = setup_on(server, fake).await;
    let text = json!({ "text": "Your results are in; call us." });
    let (status, body) = s.send(text.clone()).await;
    assert_problem(status, &body, 422, "channel_policy");
    let (status, p) = s
        .server
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{}", s.pid()),
            Some(&s.token),
            Some(json!({ "whatsapp_phi_request": { "warning_version": "2026-03" } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["whatsapp_phi_request"]["warning_version"], "2026-03");
    let (status, body) = s.send(text.clone()).await;
    assert_problem(status, &body, 422, "outside_service_window");
    // The patient writes: the window opens.
    s.fake
        .post_inbound_text(PHONE, "Maria", "Hello, any news?")
        .await;
    for _ in 0..100 {
        if s.messages().await.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, m) = s.send(text.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{m}");
    s.wait_state(m["id"].as_str().unwrap(), "sent").await;
    assert_eq!(
        s.fake.sent()[0].body["text"]["body"],
        "Your results are in; call us."
    );
    // 25 hours after the patient's message the window is closed again;
    // templates still go.
    s.server.clock.advance(Duration::from_secs(25 * 3600));
    let (status, body) = s.send(text).await;
    assert_problem(status, &body, 422, "outside_service_window");
    let (status, _) = s.send(reminder(&["May 3", "10:30", "link"])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn retryable_failures_are_retried_and_sent_once() {
    let s = setup("notify_only").await;
    s.fake.fail_next(1, FakeFailure::Code(130429));
    s.fake.fail_next(1, FakeFailure::ServerError(503));
    let (status, m) = s.send(reminder(&["May 3", "10:30", "link"])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = m["id"].as_str().unwrap().to_owned();
    // Backoff is measured on hippo's clock: move it past each wait.
    for _ in 0..40 {
        if !s.fake.sent().is_empty() {
            break;
        }
        s.server.clock.advance(Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.wait_state(&id, "sent").await;
    assert_eq!(s.fake.send_attempts(), 3, "two failures, then success");
    assert_eq!(s.fake.sent().len(), 1, "delivered exactly once");
    let metrics = s
        .server
        .client
        .get(s.server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hippo_whatsapp_sends_retried_total 2"),
        "{metrics}"
    );
    assert!(metrics.contains("hippo_whatsapp_sends_accepted_total 1"));
    assert!(metrics.contains("hippo_whatsapp_outbox_jobs{state=\"done\"} 1"));
}

#[tokio::test]
async fn permanent_failures_show_in_channel_status_and_can_be_retried() {
    let s = setup("notify_only").await;
    s.fake.fail_next(1, FakeFailure::Code(131026));
    let (_, m) = s.send(reminder(&["May 3", "10:30", "link"])).await;
    let id = m["id"].as_str().unwrap().to_owned();
    let failed = s.wait_state(&id, "failed").await;
    assert_eq!(failed["channel_status"]["error_code"], 131026);
    assert!(failed["channel_status"]["error_title"].is_string());
    assert_eq!(s.fake.send_attempts(), 1, "not retried");
    let (status, dead) = s
        .server
        .get("/api/v1/whatsapp/outbox?state=dead", &s.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dead["jobs"][0]["message_id"], id.as_str());
    assert_eq!(dead["jobs"][0]["last_error_code"], 131026);
    let (status, _) = s
        .server
        .post(
            &format!("/api/v1/whatsapp/outbox/{id}/retry"),
            Some(&s.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    s.wait_state(&id, "sent").await;

    // A failure reported later by webhook (e.g. 131026 after acceptance).
    let (_, m2) = s.send(reminder(&["May 4", "09:00", "link"])).await;
    let id2 = m2["id"].as_str().unwrap().to_owned();
    s.wait_state(&id2, "sent").await;
    let wamid = s.wamid_of(&id2);
    s.fake
        .post_status(
            &wamid,
            "failed",
            Some((
                131026,
                "Receiver is incapable of receiving this message",
                "Message Undeliverable.",
            )),
        )
        .await;
    let f = s.wait_state(&id2, "failed").await;
    assert_eq!(f["channel_status"]["error_code"], 131026);
    // Failed is final.
    s.fake.post_status(&wamid, "delivered", None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.message(&id2).await["channel_status"]["state"], "failed");
}

#[tokio::test]
async fn the_rate_limit_keeps_under_the_cloud_api_throughput() {
    let (server, fake) = start("notify_only", |a| a.whatsapp_rate = Some("5".into())).await;
    let s = setup_on(server, fake).await;
    s.fake.set_rate_limit(Some(8));
    let mut ids = Vec::new();
    for i in 0..12 {
        let (status, m) = s
            .send(reminder(&["May 3", &format!("10:{i:02}"), "link"]))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        s.wait_state(id, "sent").await;
    }
    assert_eq!(
        s.fake.send_attempts(),
        12,
        "no send was throttled by the Cloud API (130429)"
    );
    assert_eq!(s.fake.sent().len(), 12);
}

#[tokio::test]
async fn webhooks_need_a_valid_signature_and_the_handshake_a_valid_token() {
    let s = setup("notify_only").await;
    let body = s.fake.envelope(json!({ "statuses": [] }));
    let (status, text) = s
        .fake
        .post_raw(body.clone(), Some("sha256=00".into()))
        .await;
    assert_eq!(status, 401);
    assert!(text.contains("invalid_signature"), "{text}");
    let (status, _) = s.fake.post_raw(body.clone(), None).await;
    assert_eq!(status, 401);
    let good = hippo_whatsapp::sign(b"fake-app-secret", &body);
    let (status, _) = s.fake.post_raw(body, Some(good)).await;
    assert_eq!(status, 200);
    // Malformed but signed: accepted (no retry storm), recorded, ignored.
    let junk = b"{\"object\": \"whatsapp_business_account\", \"entry\": 7".to_vec();
    let sig = hippo_whatsapp::sign(b"fake-app-secret", &junk);
    assert_eq!(s.fake.post_raw(junk, Some(sig)).await.0, 200);
    let denied = s
        .server
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action.as_str() == "whatsapp.webhook" && r.outcome.as_str() == "denied")
        .count();
    assert_eq!(denied, 2);

    let hs = |token: &str| {
        s.server.url(&format!("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}"))
    };
    let resp = s.server.client.get(hs("verify-me")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(resp.text().await.unwrap(), "1158201444");
    let resp = s.server.client.get(hs("wrong")).send().await.unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn inbound_text_and_images_reach_the_care_team_live() {
    let s = setup("notify_only").await;
    let (nurse_id, nurse, _) = s.server.signed_in("nurse_kim", "staff").await;
    let (status, _) = s
        .server
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{}", s.pid()),
            Some(&s.token),
            Some(json!({ "member_ids": [s.patient["member_ids"][0], nurse_id] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut ws = s.server.ws(Some(&nurse)).await;
    let wamid = s
        .fake
        .post_inbound_text(PHONE, "Maria", "Can I come at 11 instead? ¿Sí?")
        .await;
    let f = frame_of(&mut ws, "message.created").await;
    assert_eq!(f["message"]["body"], "Can I come at 11 instead? ¿Sí?");
    assert_eq!(f["message"]["sender_id"], s.pid().as_str());
    assert_eq!(f["message"]["channel"], "whatsapp");
    assert_eq!(f["message"]["channel_status"]["state"], "received");
    // A redelivery of the same message adds nothing.
    let body = s.fake.envelope(json!({
        "contacts": [{ "profile": { "name": "Maria" }, "wa_id": "16505551234" }],
        "messages": [{ "from": "16505551234", "id": wamid, "timestamp": "1767229200", "type": "text", "text": { "body": "dup" } }]
    }));
    let sig = hippo_whatsapp::sign(b"fake-app-secret", &body);
    assert_eq!(s.fake.post_raw(body, Some(sig)).await.0, 200);

    let png = {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend_from_slice(&[0u8; 300]);
        b
    };
    s.fake
        .post_inbound_image(PHONE, png.clone(), "image/png", Some("my rash"))
        .await;
    let f = frame_of(&mut ws, "message.created").await;
    assert_eq!(f["message"]["body"], "my rash");
    let att = f["message"]["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = s
        .server
        .client
        .get(s.server.url(&format!("/api/v1/attachments/{att}")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), png.as_slice());
    assert_eq!(s.messages().await.len(), 2, "the duplicate was ignored");

    // A stranger's message is recorded and dropped; STOP opts out.
    s.fake
        .post_inbound_text("+14155550000", "Someone", "hi")
        .await;
    s.fake.post_inbound_text(PHONE, "Maria", "STOP").await;
    for _ in 0..100 {
        let (_, p) = s
            .server
            .get(&format!("/api/v1/patients/{}", s.pid()), &s.token)
            .await;
        if p["whatsapp_opt_in"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, p) = s
        .server
        .get(&format!("/api/v1/patients/{}", s.pid()), &s.token)
        .await;
    assert_eq!(p["whatsapp_opt_in"], false);
    assert!(p["last_inbound_at"].is_string());
    let records = s.server.audit().await;
    assert!(
        records
            .iter()
            .any(|r| r.action.as_str() == "whatsapp.inbound" && r.outcome.as_str() == "failure")
    );
    assert!(
        records.iter().any(
            |r| r.action.as_str() == "patient.consent" && r.detail.contains("whatsapp_keyword")
        )
    );
}

#[tokio::test]
async fn without_settings_the_channel_answers_503() {
    let server = TestServer::start().await;
    let (_, token, _) = server.signed_in("dr_solo", "clinician").await;
    let (status, body) = server
        .post("/api/v1/whatsapp/templates/sync", Some(&token), json!({}))
        .await;
    assert_problem(status, &body, 503, "channel_not_configured");
    let resp = server
        .client
        .post(server.url("/webhooks/whatsapp"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
}

#[tokio::test]
async fn a_sigkill_with_a_full_outbox_loses_and_duplicates_nothing() {
    use std::process::Stdio;
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    fake.add_template(
        REMINDER,
        "en_US",
        "UTILITY",
        "APPROVED",
        "Appointment {{1}}",
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let with_wa = |mut c: std::process::Command| {
        let fc = fake.config();
        c.env("HIPPO_WHATSAPP_API_BASE", fake.base_url())
            .env("HIPPO_WHATSAPP_PHONE_NUMBER_ID", &fc.phone_number_id)
            .env(
                "HIPPO_WHATSAPP_BUSINESS_ACCOUNT_ID",
                &fc.business_account_id,
            )
            .env("HIPPO_WHATSAPP_ACCESS_TOKEN", &fc.access_token)
            .env("HIPPO_WHATSAPP_APP_SECRET", &fc.app_secret)
            .env("HIPPO_WHATSAPP_VERIFY_TOKEN", "verify-me")
            .env("HIPPO_WHATSAPP_RATE", "40")
            .env("HIPPO_WHATSAPP_IN_DOUBT_AFTER", "4s");
        c
    };
    let mut create = with_wa(crate::crash::hippo(&data, port))
        .args([
            "user",
            "create",
            "--username",
            "erp",
            "--role",
            "service",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    create
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", crate::support::PASSWORD).as_bytes())
        .unwrap();
    assert!(create.wait_with_output().unwrap().status.success());

    let start = |data: &std::path::Path| {
        let mut c = with_wa(crate::crash::hippo(data, port));
        c.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null());
        crate::crash::spawn_until_listening(c)
    };
    let mut server = start(&data);
    let pem = std::fs::read(data.join("tls/cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    fake.set_webhook_target(format!("{base}/webhooks/whatsapp"), client.clone());
    let token = crate::crash::login(&client, &base, "erp").await;
    let call = |method: Method, path: &str, body: Value| {
        let req = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(
        call(Method::POST, "/api/v1/whatsapp/templates/sync", json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        call(
            Method::PATCH,
            &format!("/api/v1/whatsapp/templates/{REMINDER}/en_US"),
            json!({ "phi_free": true })
        )
        .await
        .0,
        200
    );
    let (status, patient) = call(
        Method::POST,
        "/api/v1/patients",
        json!({ "display_name": "P", "phone": PHONE, "whatsapp_opt_in": true }),
    )
    .await;
    assert_eq!(status, 201, "{patient}");
    let pid = patient["id"].as_str().unwrap().to_owned();
    // Fill the outbox, then kill the server while it drains.
    let mut queued = Vec::new();
    for i in 0..150 {
        let (status, m) = call(
            Method::POST,
            &format!("/api/v1/patients/{pid}/whatsapp"),
            json!({ "template": { "name": REMINDER, "language": "en_US", "parameters": [format!("#{i}")] } }),
        )
        .await;
        assert_eq!(status, 202, "{m}");
        queued.push(m["id"].as_str().unwrap().to_owned());
    }
    while fake.sent().len() < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let at_kill = fake.sent().len();
    assert!(
        at_kill < queued.len(),
        "the kill landed while the outbox was full"
    );

    let mut server = start(&data);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let sent = fake.sent();
        let mut per_message = std::collections::HashMap::<String, usize>::new();
        for s in &sent {
            *per_message
                .entry(s.callback_data.clone().unwrap_or_default())
                .or_default() += 1;
        }
        assert!(
            per_message.values().all(|n| *n == 1),
            "a message was sent twice"
        );
        if queued.iter().all(|id| per_message.contains_key(id)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {} sent after the restart",
            per_message.len(),
            queued.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Past the in-doubt window nothing else goes out.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        fake.sent().len(),
        queued.len(),
        "every job delivered exactly once"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
