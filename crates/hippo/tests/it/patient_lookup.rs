//! What a client needs to show a patient conversation: the patient behind
//! a conversation, and the channel's PHI policy with its templates.

use crate::support::{TestServer, assert_problem};
use hippo_whatsapp::{FakeCloudApi, FakeConfig};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_conversation_names_its_patient_for_the_care_team_only() {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    fake.add_template(
        "reminder",
        "en_US",
        "UTILITY",
        "APPROVED",
        "See you on {{1}}",
    );
    let s = TestServer::builder()
        .whatsapp(&fake)
        .setting(|a| a.whatsapp_phi_mode = Some("patient_requested".into()))
        .start()
        .await;
    let [ward, other] = s.clinicians(["dr_ward", "dr_other"]).await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ward.token),
            json!({ "display_name": "Maria Lopez", "phone": "+16505550123", "whatsapp_opt_in": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");
    let conv = patient["conversation_id"].as_str().unwrap();

    let (status, found) = s
        .get(
            &format!("/api/v1/patients?conversation_id={conv}"),
            &ward.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["patients"].as_array().unwrap().len(), 1);
    assert_eq!(found["patients"][0]["id"], patient["id"]);
    // Off the care team it does not exist; a colleagues' chat has no patient.
    let (status, body) = s
        .get(
            &format!("/api/v1/patients?conversation_id={conv}"),
            &other.token,
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    let chat = s.direct(&ward, &other).await;
    let (status, found) = s
        .get(
            &format!("/api/v1/patients?conversation_id={chat}"),
            &ward.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["patients"], json!([]));
    let (status, body) = s.get("/api/v1/patients?conv=1", &ward.token).await;
    assert_problem(status, &body, 422, "validation_failed");

    let (status, templates) = s
        .post(
            "/api/v1/whatsapp/templates/sync",
            Some(&ward.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{templates}");
    let (status, templates) = s.get("/api/v1/whatsapp/templates", &ward.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(templates["phi_mode"], "patient_requested");
    assert_eq!(templates["templates"][0]["name"], "reminder");
    s.stop().await;

    // Without the channel, the list says so too (as every WhatsApp call does).
    let s = TestServer::start().await;
    let nurse = s.clinician("nurse").await;
    let (status, body) = s.get("/api/v1/whatsapp/templates", &nurse.token).await;
    assert_problem(status, &body, 503, "channel_not_configured");
    s.stop().await;
}

#[tokio::test]
async fn a_clinician_off_the_care_team_finds_a_patient_by_exact_mrn_for_break_glass() {
    let s = TestServer::start().await;
    let [ward, er] = s.clinicians(["dr_ward", "dr_er"]).await;
    let staff = s.user("clerk", "staff").await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ward.token),
            json!({ "display_name": "Maria Lopez", "phone": "+16505550123",
                    "mrn": "MRN-0042", "whatsapp_opt_in": false }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");

    let (status, found) = s
        .get("/api/v1/patients/lookup?mrn=%20MRN-0042%20", &er.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found["patients"],
        json!([{ "id": patient["id"], "display_name": "Maria Lopez",
                 "conversation_id": patient["conversation_id"], "on_care_team": false }])
    );
    // Only the exact MRN finds anyone; only clinicians may look.
    let (_, none) = s
        .get("/api/v1/patients/lookup?mrn=MRN-004", &er.token)
        .await;
    assert_eq!(none["patients"], json!([]));
    let (status, body) = s
        .get("/api/v1/patients/lookup?mrn=MRN-0042", &staff.token)
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = s.get("/api/v1/patients/lookup", &er.token).await;
    assert_problem(status, &body, 422, "validation_failed");

    // The conversation opens with break-glass from there.
    let conv = found["patients"][0]["conversation_id"].as_str().unwrap();
    let (status, grant) = s
        .post(
            &format!("/api/v1/conversations/{conv}/break-glass"),
            Some(&er.token),
            json!({ "reason": "unconscious in the ED, need her history" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{grant}");

    let audit = s.audit().await;
    let lookups: Vec<_> = audit
        .iter()
        .filter(|r| r.action.as_str() == "patient.lookup")
        .collect();
    // Two lookups and the refused one (as denied); the malformed request
    // never reached the lookup.
    assert_eq!(lookups.len(), 3);
    assert_eq!(lookups[2].outcome, hippo_core::Outcome::Denied);
    assert!(
        lookups.iter().all(|r| !r.detail.contains("MRN-004")),
        "the MRN typed is not kept"
    );
    assert!(lookups[0].detail.contains(patient["id"].as_str().unwrap()));
    s.stop().await;
}
