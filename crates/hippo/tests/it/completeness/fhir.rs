//! The FHIR R4 rows of the completeness table: a patient on the sender's
//! care team to read and to alert, a clinician off it and an auditor to
//! refuse, and the public CapabilityStatement.

use super::cases::{Case, Expect, case};
use crate::support::TestServer;
use reqwest::Method;
use serde_json::json;

pub(super) async fn cases(
    s: &TestServer,
    member: &str,
    outsider: &str,
    auditor: &str,
) -> Vec<Case> {
    use Expect::{Exempt, Records};
    let (_, patient) = s
        .post(
            "/api/v1/patients",
            Some(member),
            json!({ "display_name": "Fay", "phone": "+16505550199", "whatsapp_opt_in": false }),
        )
        .await;
    let pid = patient["id"].as_str().unwrap().to_owned();
    vec![
        case(
            Method::GET,
            "/fhir/r4/Communication",
            format!("/fhir/r4/Communication?patient={pid}"),
            member,
            None,
            Records("conversation.read"),
            Some(outsider),
        ),
        case(
            Method::POST,
            "/fhir/r4/CommunicationRequest",
            "/fhir/r4/CommunicationRequest",
            member,
            Some(json!({
                "resourceType": "CommunicationRequest",
                "status": "active",
                "subject": { "reference": format!("Patient/{pid}") },
                "payload": [{ "contentString": "K+ 6.1 mmol/L" }],
            })),
            Records("message.send"),
            Some(auditor),
        ),
        case(
            Method::GET,
            "/fhir/r4/metadata",
            "/fhir/r4/metadata",
            "",
            None,
            Exempt(
                "the CapabilityStatement says what the server does, nothing about anyone's data; public, as FHIR servers' are",
            ),
            None,
        ),
    ]
}
