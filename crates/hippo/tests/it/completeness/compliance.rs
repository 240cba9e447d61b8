//! The compliance rows of the completeness table: the access review, the
//! evidence report, alert review, the patient export, the accounting of
//! disclosures and breach incidents.

use super::cases::{Case, Expect, case};
use crate::support::TestServer;
use reqwest::Method;
use serde_json::json;

pub(super) async fn cases(
    s: &TestServer,
    auditor: &str,
    ana: &str,
    cat: &str,
    admin: &str,
    patient: &str,
    alert: &str,
) -> Vec<Case> {
    use Expect::Records;
    let (g, p) = (Method::GET, Method::POST);
    let incident_body = json!({
        "summary": "A shared password was found on a sticky note",
        "discovered_at": "2020-01-02T00:00:00Z",
        "actor_id": ana_id(s, ana).await,
        "since": "2020-01-01T00:00:00Z",
        "until": "2100-01-01T00:00:00Z",
    });
    let (_, incident) = s
        .post("/api/v1/incidents", Some(auditor), incident_body.clone())
        .await;
    let incident = incident["id"].as_str().unwrap().to_owned();
    let ana_uid = ana_id(s, ana).await;
    vec![
        case(
            p.clone(),
            "/api/v1/audit/resolve",
            "/api/v1/audit/resolve",
            auditor,
            Some(json!({ "user_ids": [ana_uid], "patient_ids": [patient] })),
            Records("audit.resolve"),
            Some(ana),
        ),
        case(
            p.clone(),
            "/api/v1/incidents",
            "/api/v1/incidents",
            auditor,
            Some(incident_body),
            Records("incident.create"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/incidents",
            "/api/v1/incidents",
            auditor,
            None,
            Records("incident.read"),
            Some(admin),
        ),
        case(
            g.clone(),
            "/api/v1/incidents/{id}",
            format!("/api/v1/incidents/{incident}"),
            auditor,
            None,
            Records("incident.read"),
            Some(ana),
        ),
        case(
            p.clone(),
            "/api/v1/incidents/{id}/notices",
            format!("/api/v1/incidents/{incident}/notices"),
            auditor,
            Some(json!({ "audience": "individuals" })),
            Records("incident.update"),
            Some(admin),
        ),
        case(
            p.clone(),
            "/api/v1/incidents/{id}/close",
            format!("/api/v1/incidents/{incident}/close"),
            auditor,
            Some(json!({ "outcome": "low_probability", "note": "assessed" })),
            Records("incident.update"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/compliance/access-review",
            "/api/v1/compliance/access-review",
            auditor,
            None,
            Records("user.read"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/compliance/report",
            "/api/v1/compliance/report",
            auditor,
            None,
            Records("audit.query"),
            Some(ana),
        ),
        case(
            p,
            "/api/v1/alerts/{id}/review",
            format!("/api/v1/alerts/{alert}/review"),
            auditor,
            None,
            Records("alert.review"),
            Some(admin),
        ),
        case(
            g.clone(),
            "/api/v1/patients/{id}/export",
            format!("/api/v1/patients/{patient}/export"),
            ana,
            None,
            Records("patient.export"),
            Some(cat),
        ),
        case(
            g,
            "/api/v1/reports/disclosures/{patient_id}",
            format!("/api/v1/reports/disclosures/{patient}"),
            auditor,
            None,
            Records("audit.query"),
            Some(ana),
        ),
    ]
}

/// The account id behind a token.
async fn ana_id(s: &TestServer, token: &str) -> String {
    let (_, me) = s.get("/api/v1/me", token).await;
    me["id"].as_str().unwrap().to_owned()
}
