//! CommunicationRequest intake: one message per request (retries
//! included) to a patient's care team or a named conversation, and every
//! refusal an OperationOutcome that writes nothing.

use super::{
    FHIR_JSON, PHONE, assert_valid, ehr_key, fhir, messages, outcome_issue, post_request,
    schema_errors,
};
use crate::support::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_communication_request_becomes_one_message_to_the_care_team() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (ehr_id, ehr) = ehr_key(&s, &admin, "cds").await;
    let (_, patient) = s
        .post("/api/v1/patients", Some(&ana.token), json!({ "display_name": "Pat", "phone": PHONE, "whatsapp_opt_in": false, "member_ids": [ehr_id] }))
        .await;
    let (pid, conv) = (
        patient["id"].as_str().unwrap(),
        patient["conversation_id"].as_str().unwrap(),
    );
    let request = json!({
        "resourceType": "CommunicationRequest",
        "identifier": [{ "system": "urn:cds", "value": "alert-7731" }],
        "status": "active",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/communication-category", "code": "alert" }] }],
        "priority": "stat",
        "subject": { "reference": format!("Patient/{pid}") },
        "payload": [{ "contentString": "Critical potassium 6.8 mmol/L" }],
        "authoredOn": "2026-11-30T10:00:00+01:00",
        "requester": { "display": "Lab CDS" },
    });
    assert_valid("CommunicationRequest", &request);
    let before = s.audit().await.len();
    let body = serde_json::to_vec(&request).unwrap();
    let (status, ct, location, created) = fhir(
        &s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(&ehr),
        &[("content-type", "application/fhir+json")],
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::CREATED, FHIR_JSON),
        "{created}"
    );
    assert_valid("CommunicationRequest", &created);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        location.unwrap(),
        format!("{}/fhir/r4/CommunicationRequest/{id}/_history/1", s.base)
    );
    assert_eq!(
        (created["status"].as_str(), created["priority"].as_str()),
        (Some("completed"), Some("stat"))
    );

    let listed = messages(&s, &ana.token, conv).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["body"], "Critical potassium 6.8 mmol/L");
    assert_eq!(listed[0]["priority"], "urgent");
    assert_eq!(listed[0]["client_id"], "alert-7731");
    assert_eq!(listed[0]["sender_id"], ehr_id.as_str());
    let trail = s.audit().await;
    assert!(
        trail[before..]
            .iter()
            .any(|r| r.action.as_str() == "message.send" && r.resource_id.as_deref() == Some(id))
    );

    // A retry (here as plain JSON) is the same message, not a second.
    let (status, again) = s
        .post("/fhir/r4/CommunicationRequest", Some(&ehr), request.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], id);
    assert_eq!(messages(&s, &ana.token, conv).await.len(), 1);

    // Prefer: the minimal answer and the OperationOutcome answer.
    let mut other = request.clone();
    other["identifier"][0]["value"] = json!("alert-7732");
    other["priority"] = json!("routine");
    let body = serde_json::to_vec(&other).unwrap();
    let (status, _, location, minimal) = fhir(
        &s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(&ehr),
        &[
            ("content-type", "application/json"),
            ("prefer", "return=minimal"),
        ],
        Some(body),
    )
    .await;
    assert_eq!((status, minimal), (StatusCode::CREATED, Value::Null));
    assert!(location.is_some());
    other["identifier"][0]["value"] = json!("alert-7733");
    let body = serde_json::to_vec(&other).unwrap();
    let (status, _, _, oo) = fhir(
        &s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(&ehr),
        &[
            ("content-type", "application/fhir+json"),
            ("prefer", "return=OperationOutcome"),
        ],
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(outcome_issue(&oo)["severity"], "information");
    let listed = messages(&s, &ana.token, conv).await;
    assert_eq!(
        listed
            .iter()
            .map(|m| m["priority"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["urgent", "normal", "normal"]
    );

    // To a named conversation instead of a patient's.
    let group = s.group(&ana, [&ben], "Ward 7").await;
    s.post(
        &format!("/api/v1/conversations/{group}/members"),
        Some(&ana.token),
        json!({ "user_id": ehr_id }),
    )
    .await;
    let to_group = json!({
        "resourceType": "CommunicationRequest", "status": "active",
        "recipient": [{ "reference": format!("Group/{group}") }],
        "payload": [{ "contentString": "Bed 12 needs a review" }],
    });
    let (status, created) = post_request(&s, &ehr, &to_group).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let listed = messages(&s, &ben.token, &group).await;
    assert_eq!(listed.last().unwrap()["body"], "Bed 12 needs a review");
    assert_eq!(listed.last().unwrap()["id"], created["id"]);

    // The Communication view of the request's message.
    let (_, bundle) = s
        .get(
            &format!("/fhir/r4/Communication?patient={pid}&_count=1"),
            &ehr,
        )
        .await;
    assert_eq!(bundle["entry"][0]["resource"]["id"], id);
    assert_eq!(bundle["entry"][0]["resource"]["priority"], "urgent");
    assert_eq!(
        bundle["entry"][0]["resource"]["sender"]["reference"],
        format!("Device/{ehr_id}")
    );
    s.stop().await;
}

#[tokio::test]
async fn refused_requests_answer_operation_outcomes_and_write_nothing() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let auditor = s.auditor().await.token;
    let [ana, cat] = s.clinicians(["ana", "cat"]).await;
    let (ehr_id, ehr) = ehr_key(&s, &admin, "ehr").await;
    let (_, patient) = s
        .post("/api/v1/patients", Some(&ana.token), json!({ "display_name": "Pat", "phone": PHONE, "whatsapp_opt_in": false, "member_ids": [ehr_id] }))
        .await;
    let (pid, conv) = (
        patient["id"].as_str().unwrap(),
        patient["conversation_id"].as_str().unwrap(),
    );
    let other_conv = s.group(&ana, [&cat], "not the EHR's").await;
    let good = json!({
        "resourceType": "CommunicationRequest", "status": "active",
        "subject": { "reference": format!("Patient/{pid}") },
        "payload": [{ "contentString": "hello" }],
    });
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v
    };
    let unknown = "0192f3c4-1d2e-7a3b-8c4d-5e6f7a8b9c0d";
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({ "resourceType": "Communication", "status": "completed" }),
            StatusCode::BAD_REQUEST,
            "resourceType",
        ),
        (json!([1, 2]), StatusCode::BAD_REQUEST, ""),
        (
            with("status", json!(true)),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.status",
        ),
        (
            with("subject", json!(format!("Patient/{pid}"))),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.subject",
        ),
        (
            with("payload", json!({ "contentString": "x" })),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.payload",
        ),
        (
            with("payload", json!([{ "contentString": 5 }])),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.payload[0].contentString",
        ),
        (
            with("colour", json!("red")),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.colour",
        ),
        (
            with("authoredOn", json!("today")),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.authoredOn",
        ),
        (
            with("note", json!([{ "text": 1 }])),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.note[0].text",
        ),
        (
            with("priority", json!("whenever")),
            StatusCode::BAD_REQUEST,
            "CommunicationRequest.priority",
        ),
        (
            with(
                "subject",
                json!({ "reference": format!("Patient/{unknown}") }),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.subject",
        ),
        (
            with("subject", json!({ "reference": "Patient/not-an-id" })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.subject",
        ),
        (
            with(
                "recipient",
                json!([{ "reference": format!("Group/{other_conv}") }]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.recipient[0]",
        ),
        (
            json!({ "resourceType": "CommunicationRequest", "status": "active", "recipient": [{ "reference": format!("Group/{other_conv}") }], "payload": [{ "contentString": "x" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.recipient[0]",
        ),
        (
            with("status", json!("draft")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.status",
        ),
        (
            with(
                "payload",
                json!([{ "contentAttachment": { "url": "https://x.example/a.pdf" } }]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.payload[0]",
        ),
        (
            with("payload", json!([{ "contentString": " " }])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.payload[0].contentString",
        ),
        (
            with("contained", json!([{ "resourceType": "Patient" }])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.contained",
        ),
        (
            with("identifier", json!([{ "value": "x".repeat(200) }])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "CommunicationRequest.identifier[0].value",
        ),
    ];
    let count = |trail: &[hippo_store::AuditRecord]| {
        trail
            .iter()
            .filter(|r| r.action.as_str() == "message.send" && r.outcome.as_str() == "success")
            .count()
    };
    let sent_before = count(&s.audit().await);
    for (resource, want, expression) in &cases {
        let (status, body) = post_request(&s, &ehr, resource).await;
        assert_eq!(status, *want, "{resource}: {body:#}");
        let issue = outcome_issue(&body);
        if !expression.is_empty() {
            assert!(
                body["issue"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["expression"][0] == *expression),
                "{resource}: wanted {expression} in {body:#}"
            );
        }
        assert_eq!(issue["severity"], "error");
        // What the server calls malformed, the reference validator does too.
        if *want == StatusCode::BAD_REQUEST
            && resource.is_object()
            && resource["resourceType"] == "CommunicationRequest"
        {
            // A complex element as a string, and an unknown priority code,
            // pass the schema alone (see fhir/schema.rs).
            let strict = matches!(
                *expression,
                "CommunicationRequest.subject" | "CommunicationRequest.priority"
            );
            assert!(
                strict || !schema_errors("CommunicationRequest", resource).is_empty(),
                "{resource} passes jsonschema"
            );
        }
    }
    // Not JSON, not FHIR JSON, too large, not allowed to send.
    let ct = [("content-type", "application/fhir+json")];
    let (status, _, _, body) = fhir(
        &s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(&ehr),
        &ct,
        Some(b"{not json".to_vec()),
    )
    .await;
    assert_eq!(
        (status, outcome_issue(&body)["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("structure"))
    );
    let (status, _, _, body) = fhir(
        &s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(&ehr),
        &[("content-type", "text/plain")],
        Some(b"hello".to_vec()),
    )
    .await;
    assert_eq!(
        (status, outcome_issue(&body)["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("not-supported"))
    );
    let huge = with(
        "payload",
        json!([{ "contentString": "x".repeat(70 * 1024) }]),
    );
    let (status, body) = post_request(&s, &ehr, &huge).await;
    assert_eq!(
        (status, outcome_issue(&body)["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too-long"))
    );
    let (status, body) = post_request(&s, &auditor, &good).await;
    assert_eq!(
        (status, outcome_issue(&body)["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, body) = post_request(&s, &cat.token, &good).await;
    assert_eq!(
        (status, outcome_issue(&body)["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not-found"))
    );

    assert!(
        messages(&s, &ana.token, conv).await.is_empty(),
        "nothing was sent"
    );
    assert!(
        messages(&s, &ana.token, &other_conv).await.is_empty(),
        "nothing was sent"
    );
    let trail = s.audit().await;
    assert_eq!(count(&trail), sent_before);
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "message.send" && r.outcome.as_str() == "denied"),
        "refusals are recorded"
    );
    // Method and path mistakes still answer, never 5xx.
    let (status, _) = s
        .call(
            Method::GET,
            "/fhir/r4/CommunicationRequest",
            Some(&ehr),
            None,
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    s.stop().await;
}
