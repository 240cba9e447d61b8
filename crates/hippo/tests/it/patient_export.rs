//! Issue 20, right of access: a patient's export holds exactly her
//! conversation's messages and files, validates as FHIR R4, reads as a
//! page, is for her care team (and the operator), and is recorded as a
//! disclosure.

use crate::fhir_r4::{PHONE, assert_valid};
use crate::support::TestServer;
use base64::Engine as _;
use hippo_whatsapp::{FakeCloudApi, FakeConfig};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_patients_export_holds_exactly_her_messages_and_files() {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    let s = TestServer::builder().whatsapp(&fake).start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let auditor = s.auditor().await;
    let admin = s.admin().await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({
                "display_name": "Maria Lopez", "phone": PHONE, "whatsapp_opt_in": true,
                "mrn": "MRN-20417", "member_ids": [ben.id],
            }),
        )
        .await;
    assert_eq!(status, 201, "{patient}");
    let pid = patient["id"].as_str().unwrap().to_owned();
    let conv = patient["conversation_id"].as_str().unwrap().to_owned();

    // Her conversation: a result with a file, a reply, a recalled slip and
    // her own message over WhatsApp.
    let lab = "Potassium 4.1 mmol/L (3.5-5.0)";
    let file = s.upload_text(&ana.token, "lab.txt", lab).await;
    s.send_json(
        &ana.token,
        &conv,
        json!({ "body": "Your potassium is normal", "attachment_ids": [file] }),
    )
    .await;
    s.send_json(&ben.token, &conv, json!({ "body": "Seen, thanks" }))
        .await;
    let slip = s
        .send_json(&ana.token, &conv, json!({ "body": "wrong chart, ignore" }))
        .await;
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", slip["id"].as_str().unwrap()),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    fake.post_inbound_text(PHONE, "Maria", "Thank you doctor")
        .await;
    let listed = async || -> Vec<Value> {
        let (_, page) = s
            .get(
                &format!("/api/v1/conversations/{conv}/messages"),
                &ana.token,
            )
            .await;
        page["messages"].as_array().cloned().unwrap_or_default()
    };
    let mut messages = Vec::new();
    for _ in 0..200 {
        messages = listed().await;
        if messages.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.len(), 4, "{messages:#?}");
    // Someone else's conversation, which must stay out of it.
    let other = s.group(&ana, [&ben], "Ward 3").await;
    s.send(&ana, &other, "not hers").await;

    // Off her care team, or a role that never sees content: refused.
    let export = format!("/api/v1/patients/{pid}/export");
    assert_eq!(s.get(&export, &cat.token).await.0, 404);
    assert_eq!(s.get(&export, &auditor.token).await.0, 403);
    assert_eq!(s.get(&export, &admin.token).await.0, 403);
    let (status, body) = s.get(&format!("{export}?format=pdf"), &ben.token).await;
    assert_eq!(status, 422, "{body}");

    let resp = s
        .client
        .get(s.url(&export))
        .bearer_auth(&ben.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        header("content-type"),
        "application/fhir+json; charset=utf-8"
    );
    assert!(header("content-disposition").starts_with("attachment;"));
    let bundle: Value = resp.json().await.unwrap();
    assert_valid("Patient", &bundle["entry"][0]["resource"]);
    assert_valid("Bundle", &bundle);
    assert_eq!(bundle["type"], json!("collection"));
    let entries = bundle["entry"].as_array().unwrap();
    let resource = |i: usize| &entries[i]["resource"];
    assert_eq!(resource(0)["resourceType"], json!("Patient"));
    assert_eq!(resource(0)["name"][0]["text"], json!("Maria Lopez"));
    assert_eq!(resource(0)["identifier"][0]["value"], json!("MRN-20417"));
    // Exactly her conversation's messages, in order.
    let ids: Vec<&Value> = entries[1..].iter().map(|e| &e["resource"]["id"]).collect();
    let want: Vec<&Value> = messages.iter().map(|m| &m["id"]).collect();
    assert_eq!(ids, want);
    assert!(
        entries[1..]
            .iter()
            .all(|e| e["resource"]["resourceType"] == json!("Communication"))
    );
    // The file is inside, whole.
    let attachment = &resource(1)["payload"][1]["contentAttachment"];
    assert_eq!(attachment["title"], json!("lab.txt"));
    let data = base64::engine::general_purpose::STANDARD
        .decode(attachment["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, lab.as_bytes());
    assert!(attachment.get("url").is_none());
    // The recall shows as such, without its text; her message is hers.
    assert_eq!(resource(3)["status"], json!("entered-in-error"));
    assert_eq!(
        resource(4)["sender"]["reference"],
        json!(format!("Patient/{pid}"))
    );
    let text = bundle.to_string();
    for absent in ["not hers", "wrong chart"] {
        assert!(!text.contains(absent), "{absent} is in the export");
    }

    // The readable copy.
    let (status, page) = s
        .get_text(&format!("{export}?format=html"), &ana.token)
        .await;
    assert_eq!(status, 200);
    assert!(page.starts_with("<!doctype html>"));
    for present in [
        "Messages of Maria Lopez",
        "Your potassium is normal",
        "lab.txt",
        "Thank you doctor",
        "Recalled by the sender.",
    ] {
        assert!(page.contains(present), "{present} missing from the page");
    }
    for absent in ["not hers", "wrong chart"] {
        assert!(!page.contains(absent), "{absent} is on the page");
    }

    // The operator's copy is the same.
    let mut cmd = s.cli();
    cmd.args(["patient", "export", "--id", &pid]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_cli["entry"].as_array().unwrap().len(), entries.len());

    // Each copy is a disclosure on record; cat's attempt is recorded too.
    let trail = s.audit().await;
    let exports: Vec<_> = trail
        .iter()
        .filter(|r| r.action.as_str() == "patient.export")
        .collect();
    let of = |outcome: &str| {
        exports
            .iter()
            .filter(|r| {
                r.outcome.as_str() == outcome && r.patient_id.as_deref() == Some(pid.as_str())
            })
            .count()
    };
    assert_eq!(of("success"), 3, "API fhir, html; CLI");
    assert!(of("denied") >= 1);
    assert!(exports.iter().all(|r| !r.detail.contains("Maria")));
    s.stop().await;
}

/// The accounting of disclosures: her copies, WhatsApp messages to her and
/// an integration's reads, by name; her care team's reads are uses and stay
/// out; only auditors read it, and reading it is recorded.
#[tokio::test]
async fn the_accounting_lists_copies_whatsapp_and_integration_reads_by_name() {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    fake.add_template(
        "reminder",
        "en_US",
        "UTILITY",
        "APPROVED",
        "See you on {{1}}",
    );
    let s = TestServer::builder().whatsapp(&fake).start().await;
    let ana = s.clinician("ana").await;
    let admin = s.admin().await;
    let auditor = s.auditor().await;
    let (ehr_id, ehr) = crate::fhir_r4::ehr_key(&s, &admin.token, "ehr").await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({
                "display_name": "Maria Lopez", "phone": PHONE, "whatsapp_opt_in": true,
                "member_ids": [ehr_id],
            }),
        )
        .await;
    assert_eq!(status, 201, "{patient}");
    let pid = patient["id"].as_str().unwrap().to_owned();
    // Uses by her care team: not disclosures.
    assert_eq!(
        s.get(&format!("/api/v1/patients/{pid}"), &ana.token)
            .await
            .0,
        200
    );
    // A reminder over WhatsApp, the EHR reading her messages, a copy.
    s.post(
        "/api/v1/whatsapp/templates/sync",
        Some(&ana.token),
        json!({}),
    )
    .await;
    s.call(
        Method::PATCH,
        "/api/v1/whatsapp/templates/reminder/en_US",
        Some(&ana.token),
        Some(json!({ "phi_free": true })),
    )
    .await;
    let (status, body) = s
        .post(
            &format!("/api/v1/patients/{pid}/whatsapp"),
            Some(&ana.token),
            json!({ "template": { "name": "reminder", "language": "en_US", "parameters": ["May 3"] } }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let (status, _) = s
        .get(&format!("/fhir/r4/Communication?patient={pid}"), &ehr)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        s.get(&format!("/api/v1/patients/{pid}/export"), &ana.token)
            .await
            .0,
        200
    );

    let report = format!("/api/v1/reports/disclosures/{pid}");
    assert_eq!(s.get(&report, &ana.token).await.0, 403);
    let (status, body) = s
        .get("/api/v1/reports/disclosures/not-a-patient", &auditor.token)
        .await;
    assert_eq!(status, 422, "{body}");
    // The reminder leaves when Meta accepts it, in the outbox's time.
    let mut body = Value::Null;
    for _ in 0..200 {
        let (status, page) = s.get(&report, &auditor.token).await;
        assert_eq!(status, 200, "{page}");
        body = page;
        if body["disclosures"].as_array().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let of = |kind: &str| -> Vec<Value> {
        body["disclosures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == json!(kind))
            .cloned()
            .collect()
    };
    assert_eq!(body["disclosures"].as_array().unwrap().len(), 3, "{body:#}");
    let (whatsapp, integration, copy) = (of("whatsapp"), of("integration"), of("patient_copy"));
    assert_eq!(whatsapp.len(), 1, "{body:#}");
    assert_eq!(
        whatsapp[0]["by"]["username"],
        json!("ana"),
        "the sender, not the worker"
    );
    assert_eq!(integration[0]["by"]["username"], json!("ehr"));
    assert_eq!(integration[0]["by"]["role"], json!("service"));
    assert_eq!(copy[0]["action"], json!("patient.export"));
    assert_eq!(body["truncated"], json!(false));
    // Six years back by default.
    let since = hippo_core::Timestamp::parse_rfc3339(body["since"].as_str().unwrap()).unwrap();
    let until = hippo_core::Timestamp::parse_rfc3339(body["until"].as_str().unwrap()).unwrap();
    assert!(until.since(since) >= Duration::from_secs(6 * 365 * 86_400));

    let trail = s.audit().await;
    assert!(trail.iter().any(|r| r.action.as_str() == "audit.query"
        && r.detail.contains("\"disclosures\"")
        && r.detail.contains(&pid)));
    s.stop().await;
}
