//! Every endpoint leaves its audit record. The table below names, for each
//! operation in the OpenAPI document, the action it records (and who is
//! refused, which must leave a `denied` record), or why it records none. An
//! endpoint added without a row here fails this test.

mod calls;
mod cases;
mod compliance;
mod fhir;
mod integrations;
mod sessions;

use crate::support::{PASSWORD, TestServer};
use cases::{Expect, case, check_cases};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_endpoint_leaves_its_audit_record() {
    use Expect::{Exempt, Records};
    let fake = hippo_whatsapp::FakeCloudApi::start(hippo_whatsapp::FakeConfig::default()).await;
    fake.add_template(
        "reminder",
        "en_US",
        "UTILITY",
        "APPROVED",
        "See you on {{1}}",
    );
    let s = TestServer::builder()
        .whatsapp(&fake)
        .setting(|a| a.webhook_allowed_networks = Some("127.0.0.1/32".into()))
        .start()
        .await;
    let admin = s.admin().await.token;
    let auditor = s.auditor().await.token;
    let [ana_user, ben_user, cat_user] = s.clinicians(["ana", "ben", "cat"]).await;
    let (ana_id, ana, ben_id, ben, cat) = (
        ana_user.id.clone(),
        ana_user.token.clone(),
        ben_user.id.clone(),
        ben_user.token.clone(),
        cat_user.token.clone(),
    );
    let dan_id = s.create_user("dan", "staff").await;
    let eve_id = s.create_user("eve", "clinician").await;

    // Fixtures: a conversation with a message and a file.
    let conv = s.group(&ana_user, [&ben_user], "t").await;
    let other_conv = s.group(&ana_user, [&ben_user], "u").await;
    let msg = s.send(&ana_user, &conv, "first").await;
    let msg = msg["id"].as_str().unwrap().to_owned();
    let file = s.upload_text(&ben, "a.txt", "hello").await;
    // A second session of ana, to revoke; eve mid-enrollment.
    let ana2 = s.second_session(&ana_user).await;
    let (_, sessions) = s.get("/api/v1/me/sessions", &ana2).await;
    let ana2_session = sessions
        .as_array()
        .or_else(|| sessions["sessions"].as_array())
        .unwrap()
        .iter()
        .find(|x| x["current"] == json!(true))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, eve_login) = s.login_raw("eve", PASSWORD, None).await;
    // gus mid-enrollment with his secret (to confirm with a right code);
    // hal signed in (to change his password).
    s.create_user("gwen", "clinician").await;
    let (_, gus_login) = s.login_raw("gwen", PASSWORD, None).await;
    let gus = gus_login["token"].as_str().unwrap().to_owned();
    let hal = s.clinician("hank").await.token;
    let eve = eve_login["token"].as_str().unwrap().to_owned();
    // cat's emergency access, to review.
    let (_, grant) = s
        .post(
            &format!("/api/v1/conversations/{other_conv}/break-glass"),
            Some(&cat),
            json!({ "reason": "unconscious patient, need history" }),
        )
        .await;
    let grant = grant["id"].as_str().unwrap().to_owned();
    // … which raised an alert, to review.
    let (_, alerts) = s.get("/api/v1/alerts", &auditor).await;
    let alert = alerts["alerts"][0]["id"].as_str().unwrap().to_owned();
    let logout_token = s.second_session(&ana_user).await;

    let since = "since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z";
    let g = Method::GET;
    let p = Method::POST;

    // Fixtures for the patient channel: a patient on ana's care team, a
    // PHI-free template, and a dead outbox job (a permanent failure).
    let (_, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana),
            json!({ "display_name": "Pat", "phone": "+16505550101", "whatsapp_opt_in": true }),
        )
        .await;
    let patient = patient["id"].as_str().unwrap().to_owned();
    s.post("/api/v1/whatsapp/templates/sync", Some(&ana), json!({}))
        .await;
    s.call(
        Method::PATCH,
        "/api/v1/whatsapp/templates/reminder/en_US",
        Some(&ana),
        Some(json!({ "phi_free": true })),
    )
    .await;
    let reminder =
        json!({ "template": { "name": "reminder", "language": "en_US", "parameters": ["May 3"] } });
    fake.fail_next(1, hippo_whatsapp::FakeFailure::Code(131026));
    let (_, dead) = s
        .post(
            &format!("/api/v1/patients/{patient}/whatsapp"),
            Some(&ana),
            reminder.clone(),
        )
        .await;
    let dead = dead["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let (_, jobs) = s.get("/api/v1/whatsapp/outbox?state=dead", &ana).await;
        if jobs["jobs"].as_array().is_some_and(|j| !j.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let call_cases = calls::cases(&s, &ana_user, &ben_user, &cat, &conv, &other_conv).await;
    let integration_cases = integrations::cases(&s, &admin, &cat, &ana).await;
    let compliance_cases =
        compliance::cases(&s, &auditor, &ana, &cat, &admin, &patient, &alert).await;
    let fhir_cases = fhir::cases(&s, &ana, &cat, &auditor).await;
    let session_cases = sessions::cases(&s, &admin, &ana).await;
    // Last of the set-up: signing users in moves the clock a TOTP step.
    let (_, gus_totp) = s.post("/api/v1/me/mfa/totp", Some(&gus), json!({})).await;
    let gus_code = s.code_now(gus_totp["secret"].as_str().unwrap());

    let cases = vec![
        case(
            p.clone(),
            "/api/v1/patients",
            "/api/v1/patients",
            &ana,
            Some(
                json!({ "display_name": "Quinn", "phone": "+16505550102", "whatsapp_opt_in": false }),
            ),
            Records("patient.create"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/patients",
            "/api/v1/patients",
            &ana,
            None,
            Records("patient.read"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/patients/{id}",
            format!("/api/v1/patients/{patient}"),
            &ana,
            None,
            Records("patient.read"),
            Some(&cat),
        ),
        case(
            Method::PATCH,
            "/api/v1/patients/{id}",
            format!("/api/v1/patients/{patient}"),
            &ana,
            Some(json!({ "mrn": "MRN-9" })),
            Records("patient.update"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/patients/{id}/whatsapp",
            format!("/api/v1/patients/{patient}/whatsapp"),
            &ana,
            Some(reminder.clone()),
            Records("whatsapp.send"),
            Some(&cat),
        ),
        case(
            g.clone(),
            "/api/v1/whatsapp/templates",
            "/api/v1/whatsapp/templates",
            &ana,
            None,
            Exempt("template names and wording are configuration, not PHI; refusals are recorded"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/whatsapp/templates/sync",
            "/api/v1/whatsapp/templates/sync",
            &ana,
            None,
            Records("whatsapp.template_sync"),
            Some(&auditor),
        ),
        case(
            Method::PATCH,
            "/api/v1/whatsapp/templates/{name}/{language}",
            "/api/v1/whatsapp/templates/reminder/en_US",
            &ana,
            Some(json!({ "phi_free": true })),
            Records("whatsapp.template_update"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/whatsapp/outbox",
            "/api/v1/whatsapp/outbox?state=dead",
            &admin,
            None,
            Records("patient.read"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/whatsapp/outbox/{message_id}/retry",
            format!("/api/v1/whatsapp/outbox/{dead}/retry"),
            &admin,
            None,
            Records("whatsapp.retry"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/webhooks/whatsapp",
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42",
            "",
            None,
            Exempt("Meta's verification handshake: answers a challenge, reads and changes nothing"),
            None,
        ),
        case(
            p.clone(),
            "/webhooks/whatsapp",
            "/webhooks/whatsapp",
            "",
            Some(json!({ "object": "whatsapp_business_account", "entry": [] })),
            Exempt(
                "each event a delivery carries is recorded when applied (whatsapp.status, whatsapp.inbound); unsigned or badly signed deliveries are recorded as denied whatsapp.webhook",
            ),
            None,
        ),
        case(
            g.clone(),
            "/healthz",
            "/healthz",
            "",
            None,
            Exempt("liveness; no data"),
            None,
        ),
        case(
            g.clone(),
            "/readyz",
            "/readyz",
            "",
            None,
            Exempt("readiness; no data"),
            None,
        ),
        case(
            g.clone(),
            "/metrics",
            "/metrics",
            "",
            None,
            Exempt("counters per route; no data"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/openapi.json",
            "/api/v1/openapi.json",
            "",
            None,
            Exempt("the API description"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/asyncapi.json",
            "/api/v1/asyncapi.json",
            "",
            None,
            Exempt("the stream's frame description"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            "",
            Some(json!({ "username": "dan", "password": PASSWORD })),
            Records("auth.login"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/me",
            "/api/v1/me",
            &ana,
            None,
            Exempt("the caller's own account; no PHI"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/auth/session",
            "/api/v1/auth/session",
            &ana,
            None,
            Exempt("a browser session reads its own CSRF token back; no PHI"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/me/mfa/totp",
            "/api/v1/me/mfa/totp",
            &eve,
            Some(json!({})),
            Records("auth.mfa"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/me/mfa/totp/confirm",
            "/api/v1/me/mfa/totp/confirm",
            &gus,
            Some(json!({ "code": gus_code })),
            Records("auth.mfa"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/me/password",
            "/api/v1/me/password",
            &hal,
            Some(
                json!({ "current_password": PASSWORD, "new_password": "another-long-passphrase-9" }),
            ),
            Records("user.password_change"),
            None,
        ),
        case(
            g.clone(),
            "/api/v1/me/sessions",
            "/api/v1/me/sessions",
            &ana,
            None,
            Exempt("the caller's own sessions; no PHI"),
            None,
        ),
        case(
            Method::DELETE,
            "/api/v1/me/sessions/{id}",
            format!("/api/v1/me/sessions/{ana2_session}"),
            &ana,
            None,
            Records("session.revoke"),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/users",
            "/api/v1/users",
            &admin,
            Some(
                json!({ "username": "fay", "role": "staff", "password": "a-long-enough-passphrase" }),
            ),
            Records("user.create"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/users",
            "/api/v1/users",
            &admin,
            None,
            Records("user.read"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/users/{id}",
            format!("/api/v1/users/{dan_id}"),
            &admin,
            None,
            Records("user.read"),
            Some(&ana),
        ),
        case(
            Method::PATCH,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{dan_id}"),
            &admin,
            Some(json!({ "display_name": "Dan D." })),
            Records("user.update"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/users/{id}/deactivate",
            format!("/api/v1/users/{dan_id}/deactivate"),
            &admin,
            None,
            Records("user.deactivate"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/users/{id}/reactivate",
            format!("/api/v1/users/{dan_id}/reactivate"),
            &admin,
            None,
            Records("user.reactivate"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/users/{id}/password-reset",
            format!("/api/v1/users/{eve_id}/password-reset"),
            &admin,
            None,
            Records("user.password_reset"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/users/{id}/mfa-reset",
            format!("/api/v1/users/{eve_id}/mfa-reset"),
            &admin,
            None,
            Records("user.mfa_reset"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/conversations",
            "/api/v1/conversations",
            &ana,
            Some(json!({ "kind": "direct", "member_ids": [ben_id] })),
            Records("conversation.create"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/conversations",
            "/api/v1/conversations",
            &ana,
            None,
            Records("conversation.read"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/patients/lookup",
            "/api/v1/patients/lookup?mrn=MRN-1",
            &ana,
            None,
            Records("patient.lookup"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/directory",
            "/api/v1/directory?q=user",
            &ana,
            None,
            Records("directory.search"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/conversations/{id}",
            format!("/api/v1/conversations/{conv}"),
            &ana,
            None,
            Records("conversation.read"),
            Some(&cat),
        ),
        case(
            Method::PATCH,
            "/api/v1/conversations/{id}",
            format!("/api/v1/conversations/{conv}"),
            &ana,
            Some(json!({ "title": "t2" })),
            Records("conversation.update"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/members",
            format!("/api/v1/conversations/{conv}/members"),
            &ana,
            Some(json!({ "user_id": dan_id })),
            Records("conversation.member_add"),
            Some(&cat),
        ),
        case(
            Method::DELETE,
            "/api/v1/conversations/{id}/members/{user_id}",
            format!("/api/v1/conversations/{conv}/members/{dan_id}"),
            &ana,
            None,
            Records("conversation.member_remove"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/messages",
            format!("/api/v1/conversations/{conv}/messages"),
            &ana,
            Some(json!({ "body": "second", "attachment_ids": [] })),
            Records("message.send"),
            Some(&cat),
        ),
        case(
            g.clone(),
            "/api/v1/conversations/{id}/messages",
            format!("/api/v1/conversations/{conv}/messages"),
            &ben,
            None,
            Records("conversation.read"),
            Some(&admin),
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/read",
            format!("/api/v1/conversations/{conv}/read"),
            &ben,
            Some(json!({ "up_to_seq": 1 })),
            Records("message.read"),
            Some(&cat),
        ),
        case(
            g.clone(),
            "/api/v1/messages/{id}/receipts",
            format!("/api/v1/messages/{msg}/receipts"),
            &ana,
            None,
            Records("conversation.read"),
            Some(&cat),
        ),
        case(
            Method::PATCH,
            "/api/v1/messages/{id}",
            format!("/api/v1/messages/{msg}"),
            &ana,
            Some(json!({ "body": "first, corrected" })),
            Records("message.edit"),
            Some(&cat),
        ),
        case(
            Method::DELETE,
            "/api/v1/messages/{id}",
            format!("/api/v1/messages/{msg}"),
            &ana,
            None,
            Records("message.delete"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/attachments",
            "/api/v1/attachments?filename=b.txt",
            &ana,
            None,
            Records("attachment.upload"),
            Some(&auditor),
        ),
        case(
            g.clone(),
            "/api/v1/attachments/{id}",
            format!("/api/v1/attachments/{file}"),
            &ben,
            None,
            Records("attachment.download"),
            Some(&cat),
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/break-glass",
            format!("/api/v1/conversations/{conv}/break-glass"),
            &cat,
            Some(json!({ "reason": "patient deteriorating, need context" })),
            Records("break_glass.open"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/break-glass",
            "/api/v1/break-glass",
            &auditor,
            None,
            Records("audit.query"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/break-glass/{id}/review",
            format!("/api/v1/break-glass/{grant}/review"),
            &auditor,
            Some(json!({ "note": "justified" })),
            Records("break_glass.review"),
            Some(&admin),
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/legal-hold",
            format!("/api/v1/conversations/{conv}/legal-hold"),
            &admin,
            Some(json!({ "reason": "pending claim" })),
            Records("legal_hold.set"),
            Some(&ana),
        ),
        case(
            Method::DELETE,
            "/api/v1/conversations/{id}/legal-hold",
            format!("/api/v1/conversations/{conv}/legal-hold"),
            &admin,
            None,
            Records("legal_hold.clear"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/alerts",
            "/api/v1/alerts",
            &auditor,
            None,
            Records("audit.query"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/audit",
            "/api/v1/audit",
            &auditor,
            None,
            Records("audit.query"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/audit/verify",
            "/api/v1/audit/verify",
            &auditor,
            None,
            Records("audit.verify"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/audit/tree-head",
            "/api/v1/audit/tree-head",
            &auditor,
            None,
            Records("audit.query"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/audit/proof/inclusion",
            "/api/v1/audit/proof/inclusion?seq=1",
            &auditor,
            None,
            Records("audit.query"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/audit/proof/consistency",
            "/api/v1/audit/proof/consistency?first=1&second=1",
            &auditor,
            None,
            Records("audit.query"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/audit/export",
            "/api/v1/audit/export?format=jsonl",
            &auditor,
            None,
            Records("audit.export"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/reports/patient-access/{patient_id}",
            "/api/v1/reports/patient-access/p1",
            &auditor,
            None,
            Records("audit.query"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/reports/user-activity/{user_id}",
            format!("/api/v1/reports/user-activity/{ana_id}"),
            &auditor,
            None,
            Records("audit.query"),
            Some(&admin),
        ),
        case(
            g.clone(),
            "/api/v1/reports/breach-scope",
            format!("/api/v1/reports/breach-scope?actor_id={ana_id}&{since}"),
            &auditor,
            None,
            Records("audit.query"),
            Some(&ana),
        ),
        case(
            g.clone(),
            "/api/v1/stream",
            "/api/v1/stream",
            &ana,
            None,
            Exempt(
                "pushes members what they may read; each push is kept as a delivery receipt; the socket belongs to an audited login session",
            ),
            None,
        ),
        case(
            p.clone(),
            "/api/v1/conversations/{id}/erase",
            format!("/api/v1/conversations/{other_conv}/erase"),
            &admin,
            Some(json!({ "reason": "patient request" })),
            Records("conversation.erase"),
            Some(&ana),
        ),
        case(
            p.clone(),
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            &logout_token,
            None,
            Records("auth.logout"),
            None,
        ),
    ];

    let cases: Vec<_> = cases
        .into_iter()
        .chain(call_cases)
        .chain(integration_cases)
        .chain(compliance_cases)
        .chain(fhir_cases)
        .chain(session_cases) // last: it signs everyone else out
        .collect();
    check_cases(&s, &cases, &ana).await;
    s.stop().await;
}
