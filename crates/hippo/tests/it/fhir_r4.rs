//! FHIR R4 for EHR integrators, through the real HTTP stack: a patient
//! conversation read as a searchset Bundle of Communication (with an API
//! key, paging, `_since`, recalls, WhatsApp both ways), CommunicationRequest
//! intake (idempotent, to a patient's care team or a named conversation),
//! refusals as OperationOutcome that write nothing, and the public
//! CapabilityStatement. Everything hippo emits is checked against the
//! vendored R4 schema with the `jsonschema` crate, which also cross-checks
//! the server's own reading of that schema. The intake tests are in
//! `fhir_r4/intake.rs`, the schema cross-check in `fhir_r4/agreement.rs`.

mod agreement;
mod intake;

use crate::support::TestServer;
use hippo_service::fhir::schema;
use hippo_whatsapp::{FakeCloudApi, FakeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

pub(super) const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
pub(super) const PHONE: &str = "+16505551234";

/// The jsonschema crate's verdict on `v` as R4 resource `kind`.
pub(super) fn schema_errors(kind: &str, v: &Value) -> Vec<String> {
    let doc: Value = serde_json::from_str(schema::R4_SCHEMA_JSON).unwrap();
    let root =
        json!({ "$ref": format!("#/definitions/{kind}"), "definitions": doc["definitions"] });
    let validator = jsonschema::draft6::new(&root).unwrap();
    validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

pub(super) fn assert_valid(kind: &str, v: &Value) {
    let errors = schema_errors(kind, v);
    assert!(
        errors.is_empty(),
        "{kind} {v:#} is not valid R4: {errors:#?}"
    );
    let ours = schema::r4().unwrap().validate(kind, v, kind);
    assert!(
        ours.is_empty(),
        "{kind} {v:#}: hippo's reading says {ours:#?}"
    );
}

/// A raw request: status, content type, Location, JSON body.
pub(super) async fn fhir(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (StatusCode, String, Option<String>, Value) {
    let mut req = s.client.request(method, s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let header = |name| {
        resp.headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (ct, location) = (
        header("content-type").unwrap_or_default(),
        header("location"),
    );
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, ct, location, value)
}

pub(super) async fn post_request(
    s: &TestServer,
    token: &str,
    resource: &Value,
) -> (StatusCode, Value) {
    let body = serde_json::to_vec(resource).unwrap();
    let ct = [("content-type", "application/fhir+json")];
    let (status, content_type, _, v) = fhir(
        s,
        Method::POST,
        "/fhir/r4/CommunicationRequest",
        Some(token),
        &ct,
        Some(body),
    )
    .await;
    assert_eq!(content_type, FHIR_JSON, "{v}");
    (status, v)
}

/// The only issue of an OperationOutcome, checked to be valid R4.
pub(super) fn outcome_issue(v: &Value) -> &Value {
    assert_valid("OperationOutcome", v);
    &v["issue"][0]
}

/// A service account's API key (`hpk_…`): (account id, key).
pub(super) async fn ehr_key(s: &TestServer, admin: &str, name: &str) -> (String, String) {
    let id = s.create_user(name, "service").await;
    let (status, key) = s
        .post(
            &format!("/api/v1/users/{id}/api-keys"),
            Some(admin),
            json!({ "name": "EHR" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    (id, key["key"].as_str().unwrap().to_owned())
}

pub(super) async fn messages(s: &TestServer, token: &str, conv: &str) -> Vec<Value> {
    let (status, body) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["messages"].as_array().unwrap().clone()
}

/// The path and query of a link hippo gave (its origin checked).
pub(super) fn local(s: &TestServer, url: &str) -> String {
    url.strip_prefix(&s.base)
        .unwrap_or_else(|| panic!("{url} is not on {}", s.base))
        .to_owned()
}
#[tokio::test]
async fn an_ehr_reads_a_patient_conversation_as_communications() {
    let fake = FakeCloudApi::start(FakeConfig::default()).await;
    fake.add_template(
        "reminder",
        "en_US",
        "UTILITY",
        "APPROVED",
        "See you on {{1}}",
    );
    let s = TestServer::builder().whatsapp(&fake).start().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (ehr_id, ehr) = ehr_key(&s, &admin, "ehr").await;
    let (status, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({
                "display_name": "Maria Lopez", "phone": PHONE, "whatsapp_opt_in": true,
                "member_ids": [ben.id, ehr_id],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{patient}");
    let (pid, conv) = (
        patient["id"].as_str().unwrap(),
        patient["conversation_id"].as_str().unwrap(),
    );
    let first = s
        .send_json(&ana.token, conv, json!({ "body": "BP 120/80, stable" }))
        .await;
    let urgent = s
        .send_json(
            &ben.token,
            conv,
            json!({ "body": "K+ 6.1, call me", "priority": "urgent" }),
        )
        .await;
    let recalled = s
        .send_json(&ana.token, conv, json!({ "body": "wrong patient!" }))
        .await;
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", recalled["id"].as_str().unwrap()),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
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
    let (status, outbound) = s
        .post(&format!("/api/v1/patients/{pid}/whatsapp"), Some(&ana.token),
            json!({ "template": { "name": "reminder", "language": "en_US", "parameters": ["May 3"] } }))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{outbound}");
    fake.post_inbound_text(PHONE, "Maria", "Thank you, see you then")
        .await;
    let mut all = Vec::new();
    for _ in 0..200 {
        all = messages(&s, &ana.token, conv).await;
        let sent = all
            .iter()
            .any(|m| m["id"] == outbound["id"] && m["channel_status"]["state"] != "queued");
        if all.len() == 5 && sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(all.len(), 5, "{all:#?}");
    let before = s.audit().await.len();

    // One page, with the API key, as an EHR would ask.
    let (status, ct, _, bundle) = fhir(
        &s,
        Method::GET,
        &format!("/fhir/r4/Communication?patient={pid}"),
        Some(&ehr),
        &[("accept", "application/fhir+json")],
        None,
    )
    .await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, FHIR_JSON),
        "{bundle}"
    );
    assert_valid("Bundle", &bundle);
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["link"][0]["relation"], "self");
    assert!(
        bundle["link"].as_array().unwrap().len() == 1,
        "no next page: {bundle:#}"
    );
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    let c: Vec<&Value> = entries.iter().map(|e| &e["resource"]).collect();
    for (e, r) in entries.iter().zip(&c) {
        assert_valid("Communication", r);
        assert_eq!(
            e["fullUrl"],
            format!(
                "{}/fhir/r4/Communication/{}",
                s.base,
                r["id"].as_str().unwrap()
            )
        );
        assert_eq!(r["subject"]["reference"], format!("Patient/{pid}"));
    }
    assert_eq!(c[0]["id"], first["id"]);
    assert_eq!(c[0]["status"], "completed");
    assert_eq!(c[0]["priority"], "routine");
    assert_eq!(c[0]["payload"][0]["contentString"], "BP 120/80, stable");
    assert_eq!(c[0]["sent"], first["created_at"]);
    assert_eq!(
        c[0]["sender"]["reference"],
        format!("Practitioner/{}", ana.id)
    );
    let to: Vec<&str> = c[0]["recipient"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        to,
        [
            format!("Practitioner/{}", ben.id),
            format!("Device/{ehr_id}")
        ]
    );
    assert_eq!(c[0]["medium"][0]["coding"][1]["code"], "hippo");
    assert_eq!(c[1]["id"], urgent["id"]);
    assert_eq!(c[1]["priority"], "urgent");
    assert_eq!(c[2]["status"], "entered-in-error");
    assert!(
        c[2].get("payload").is_none(),
        "a recall shows no content: {}",
        c[2]
    );
    assert_eq!(c[3]["id"], outbound["id"]);
    assert_eq!(c[3]["medium"][0]["coding"][1]["code"], "whatsapp");
    assert!(
        c[3]["recipient"]
            .as_array()
            .unwrap()
            .contains(&json!({ "reference": format!("Patient/{pid}") }))
    );
    assert_eq!(c[3]["status"], "completed");
    assert_eq!(
        c[4]["sender"],
        json!({ "reference": format!("Patient/{pid}") })
    );
    assert_eq!(
        c[4]["payload"][0]["contentString"],
        "Thank you, see you then"
    );

    // The read is recorded: content, with the patient, via FHIR.
    let trail = s.audit().await;
    let read: Vec<_> = trail[before..]
        .iter()
        .filter(|r| r.action.as_str() == "conversation.read")
        .collect();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].patient_id.as_deref(), Some(pid));
    assert_eq!(read[0].resource_id.as_deref(), Some(conv));
    let detail: Value = serde_json::from_str(&read[0].detail).unwrap();
    assert_eq!(
        (detail["via"].as_str(), detail["count"].as_i64()),
        (Some("fhir"), Some(5))
    );

    // Pages of two, following `next` to the end.
    let mut path = format!("/fhir/r4/Communication?subject=Patient/{pid}&_count=2");
    let mut seen = Vec::new();
    loop {
        let (status, body) = s.get(&path, &ehr).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_valid("Bundle", &body);
        seen.extend(
            body["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| e["resource"]["id"].clone()),
        );
        match body["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
        {
            Some(next) => path = local(&s, next["url"].as_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, c.iter().map(|r| r["id"].clone()).collect::<Vec<_>>());

    // `_since`: a later message and a later edit, nothing older.
    s.clock.advance(Duration::from_secs(60));
    let since = s.hippo.now().to_rfc3339();
    s.clock.advance(Duration::from_secs(1));
    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{}", first["id"].as_str().unwrap()),
            Some(&ana.token),
            Some(json!({ "body": "BP 125/80, stable" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let later = s
        .send_json(&ben.token, conv, json!({ "body": "rounds at 4" }))
        .await;
    let (status, body) = s
        .get(
            &format!(
                "/fhir/r4/Communication?patient={pid}&_since={}",
                since.replace('+', "%2B")
            ),
            &ehr,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<&Value> = body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"]["id"])
        .collect();
    assert_eq!(ids, [&first["id"], &later["id"]]);
    assert_eq!(
        body["entry"][0]["resource"]["payload"][0]["contentString"],
        "BP 125/80, stable"
    );
    s.stop().await;
}

#[tokio::test]
async fn only_the_care_team_reads_and_every_refusal_is_an_operation_outcome() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let auditor = s.auditor().await.token;
    let [ana, cat] = s.clinicians(["ana", "cat"]).await;
    let (_, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({ "display_name": "Pat", "phone": PHONE, "whatsapp_opt_in": false }),
        )
        .await;
    let pid = patient["id"].as_str().unwrap();
    let q = format!("/fhir/r4/Communication?patient={pid}");

    let denied = |trail: &[hippo_store::AuditRecord]| {
        trail
            .iter()
            .filter(|r| r.action.as_str() == "conversation.read" && r.outcome.as_str() == "denied")
            .count()
    };
    let before = denied(&s.audit().await);
    for (token, want, issue) in [
        (Some(cat.token.as_str()), StatusCode::NOT_FOUND, "not-found"),
        (Some(auditor.as_str()), StatusCode::FORBIDDEN, "forbidden"),
        (Some(admin.as_str()), StatusCode::FORBIDDEN, "forbidden"),
        (None, StatusCode::UNAUTHORIZED, "login"),
        (Some("hpk_not-a-key"), StatusCode::UNAUTHORIZED, "login"),
    ] {
        let (status, ct, _, body) = fhir(&s, Method::GET, &q, token, &[], None).await;
        assert_eq!((status, ct.as_str()), (want, FHIR_JSON), "{body}");
        assert_eq!(outcome_issue(&body)["code"], issue, "{body}");
        assert!(
            body.to_string().contains("https://hippo.invalid/problems"),
            "{body}"
        );
    }
    assert_eq!(
        denied(&s.audit().await),
        before + 3,
        "cat, the auditor and the admin are recorded"
    );

    for (path, headers, want) in [
        (format!("{q}&_sort=-sent"), vec![], StatusCode::BAD_REQUEST),
        (
            format!("{q}&patient={pid}"),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/fhir/r4/Communication".to_owned(),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{q}&_since=yesterday"),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (format!("{q}&_count=0"), vec![], StatusCode::BAD_REQUEST),
        (
            q.clone(),
            vec![("accept", "application/fhir+xml")],
            StatusCode::NOT_ACCEPTABLE,
        ),
        (
            format!("{q}&_format=xml"),
            vec![],
            StatusCode::NOT_ACCEPTABLE,
        ),
    ] {
        let (status, ct, _, body) =
            fhir(&s, Method::GET, &path, Some(&ana.token), &headers, None).await;
        assert_eq!((status, ct.as_str()), (want, FHIR_JSON), "{path}: {body}");
        outcome_issue(&body);
    }
    // The care team reads; an empty conversation is an empty page.
    let (status, body) = s.get(&q, &ana.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_valid("Bundle", &body);
    assert!(body.get("entry").is_none());
    s.stop().await;
}
#[tokio::test]
async fn the_capability_statement_is_public_and_valid() {
    let s = TestServer::start().await;
    let (status, ct, _, cs) = fhir(&s, Method::GET, "/fhir/r4/metadata", None, &[], None).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, FHIR_JSON), "{cs}");
    assert_valid("CapabilityStatement", &cs);
    assert_eq!(cs["fhirVersion"], "4.0.1");
    assert_eq!(cs["kind"], "instance");
    assert_eq!(cs["implementation"]["url"], format!("{}/fhir/r4", s.base));
    let resources = cs["rest"][0]["resource"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = resources
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap(),
                r["interaction"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Communication", "search-type"),
            ("CommunicationRequest", "create")
        ]
    );
    let (_, doc) = s
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    for (path, method, id) in [
        ("/fhir/r4/Communication", "get", "searchCommunication"),
        (
            "/fhir/r4/CommunicationRequest",
            "post",
            "createCommunicationRequest",
        ),
        ("/fhir/r4/metadata", "get", "getFhirMetadata"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(
            op["tags"].as_array().unwrap().contains(&json!("fhir")),
            "{path}"
        );
        assert_eq!(op["operationId"], id, "{path}");
        for (status, r) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    r["content"].get("application/fhir+json").is_some(),
                    "{path} {status} is not an OperationOutcome: {r}"
                );
            }
        }
    }
    // The documented shapes are what is served.
    let component = |name: &str, v: &Value| {
        let root = json!({ "$ref": format!("#/components/schemas/{name}"), "components": doc["components"] });
        let validator = jsonschema::draft202012::new(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name} {v}: {errors:?}");
    };
    let (_, _, _, outcome) = fhir(&s, Method::GET, "/fhir/r4/Communication", None, &[], None).await;
    component("OperationOutcome", &outcome);
    component("FhirResource", &cs);
    let ana = s.clinician("ana").await;
    let (_, patient) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({ "display_name": "Pat", "phone": PHONE, "whatsapp_opt_in": false }),
        )
        .await;
    s.send_json(
        &ana.token,
        patient["conversation_id"].as_str().unwrap(),
        json!({ "body": "hi" }),
    )
    .await;
    let (_, bundle) = s
        .get(
            &format!(
                "/fhir/r4/Communication?patient={}",
                patient["id"].as_str().unwrap()
            ),
            &ana.token,
        )
        .await;
    component("FhirBundle", &bundle);
    s.stop().await;
}
