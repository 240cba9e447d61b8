//! Issue 20, breach handling: an auditor records an incident from a breach
//! scope; hippo counts the patients it touched per state, sets the 60-day
//! and annual-log deadlines, tells the covered entity by webhook, lists the
//! notices owed in the evidence report (overdue once late), and closes the
//! incident only once every notice is recorded.

use crate::support::{TestServer, assert_problem};
use crate::webhook_receiver::Receiver;
use hippo_core::{Clock, Timestamp};
use serde_json::{Value, json};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
const SUMMARY: &str = "Stolen laptop of a ward nurse, unlocked session";

fn finding_ids(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

fn notice<'a>(incident: &'a Value, audience: &str) -> &'a Value {
    incident["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["audience"] == json!(audience))
        .unwrap_or_else(|| panic!("no {audience} notice in {incident}"))
}

#[tokio::test]
async fn an_incident_counts_whom_it_touched_and_tracks_every_notice_to_its_deadline() {
    let s = TestServer::start_with(|a| {
        a.webhook_allowed_networks = Some("127.0.0.1/32".into());
        a.webhook_timeout = Some("1s".into());
    })
    .await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let auditor = s.auditor().await;
    let admin = s.admin().await;
    let rx = Receiver::start().await;
    let (status, hook) = s
        .post(
            "/api/v1/webhooks",
            Some(&admin.token),
            json!({ "url": rx.url, "events": ["incident.opened", "incident.updated"] }),
        )
        .await;
    assert_eq!(status, 201, "{hook}");

    // Ana registers three patients (two in California, one of unknown
    // residence); ben registers one in Texas that ana tries and fails to
    // open.
    let mut anas = Vec::new();
    for (n, state) in [Some("ca"), Some("CA"), None].into_iter().enumerate() {
        let mut body = json!({
            "display_name": format!("Patient {n}"),
            "phone": format!("+1650555010{n}"),
            "whatsapp_opt_in": false,
        });
        if let Some(st) = state {
            body["residence_state"] = json!(st);
        }
        let (status, p) = s.post("/api/v1/patients", Some(&ana.token), body).await;
        assert_eq!(status, 201, "{p}");
        anas.push(p["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        s.get(&format!("/api/v1/patients/{}", anas[0]), &ana.token)
            .await
            .1["residence_state"],
        json!("CA")
    );
    let (status, texan) = s
        .post(
            "/api/v1/patients",
            Some(&ben.token),
            json!({ "display_name": "Tex Ranger", "phone": "+15125550100",
                    "whatsapp_opt_in": false, "residence_state": "TX" }),
        )
        .await;
    assert_eq!(status, 201, "{texan}");
    let texan = texan["id"].as_str().unwrap();
    let (status, _) = s
        .get(&format!("/api/v1/patients/{texan}"), &ana.token)
        .await;
    assert_eq!(status, 404, "not on his care team: a denied attempt");
    let (status, body) = s
        .post(
            "/api/v1/patients",
            Some(&ana.token),
            json!({ "display_name": "X", "phone": "+16505550199",
                    "whatsapp_opt_in": false, "residence_state": "Texas" }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // Ana's laptop is reported stolen: the auditor records the incident.
    let now = s.clock.now();
    let discovered = Timestamp::from_millis(now.as_millis() - 86_400_000).to_rfc3339();
    let request = json!({
        "summary": SUMMARY,
        "discovered_at": discovered,
        "actor_id": ana.id,
        "since": "2020-01-01T00:00:00Z",
        "until": "2100-01-01T00:00:00Z",
    });
    let (status, body) = s
        .post("/api/v1/incidents", Some(&ana.token), request.clone())
        .await;
    assert_problem(status, &body, 403, "forbidden");
    for (field, value) in [
        ("discovered_at", json!("2100-01-01T00:00:00Z")),
        ("summary", json!("short")),
        ("actor_id", Value::Null),
    ] {
        let mut bad = request.clone();
        bad[field] = value;
        let (status, body) = s.post("/api/v1/incidents", Some(&auditor.token), bad).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    let (status, incident) = s
        .post("/api/v1/incidents", Some(&auditor.token), request)
        .await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let mut sorted = anas.clone();
    sorted.sort();
    assert_eq!(incident["affected_count"], json!(3), "{incident}");
    assert_eq!(
        incident["affected_patient_ids"],
        json!(sorted),
        "the denied attempt on the Texan showed nothing"
    );
    assert_eq!(incident["by_state"], json!({ "CA": 2, "unknown": 1 }));
    assert_eq!(incident["status"], json!("open"));
    assert_eq!(incident["summary"], json!(SUMMARY));
    let due = Timestamp::parse_rfc3339(&discovered)
        .unwrap()
        .plus(60 * DAY)
        .to_rfc3339();
    assert_eq!(notice(&incident, "individuals")["due_at"], json!(due));
    let hhs = notice(&incident, "hhs");
    assert_eq!(hhs["hipaa"], json!("164.408"));
    assert!(
        hhs["due_at"].as_str().unwrap() > due.as_str(),
        "under 500: the annual log, due after the year's end: {hhs}"
    );
    assert_eq!(
        incident["notices"].as_array().unwrap().len(),
        2,
        "no state has over 500 residents affected: no media notice"
    );
    // The summary is sealed at rest.
    let row = s.hippo.store().get_incident(&id).await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&row.summary_enc).contains("laptop"));

    // The covered entity hears of it: ids and counts, no names or summary.
    let opened = rx.wait_for(1).await;
    let event = opened[0].json();
    assert_eq!(event["type"], json!("incident.opened"));
    assert_eq!(event["data"]["incident_id"], json!(id));
    assert_eq!(event["data"]["affected_patients"], json!(3));
    assert_eq!(event["data"]["patient_ids"], json!(sorted));
    assert_eq!(event["data"]["notify_individuals_by"], json!(due));
    assert!(!opened[0].body.contains("Patient 0") && !opened[0].body.contains("laptop"));

    // The evidence report lists the notices owed.
    let (status, report) = s.get("/api/v1/compliance/report", &auditor.token).await;
    assert_eq!(status, 200, "{report}");
    assert!(
        finding_ids(&report).contains(&"breach_notice_due"),
        "{report}"
    );
    let open = &report["evidence"]["open_incidents"][0];
    assert_eq!(open["id"], json!(id));
    assert_eq!(open["pending"].as_array().unwrap().len(), 2);

    // Sixty days on, the individuals' notice is overdue.
    s.clock.advance(61 * DAY);
    let auditor_later = s.second_session(&auditor).await;
    let (_, report) = s.get("/api/v1/compliance/report", &auditor_later).await;
    assert!(
        finding_ids(&report).contains(&"breach_notice_overdue"),
        "{report}"
    );
    let (status, listed) = s.get("/api/v1/incidents", &auditor_later).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["incidents"][0]["status"], json!("overdue"));
    assert!(listed["incidents"][0]["affected_patient_ids"].is_null());

    // Closing as notified needs every notice; each is recorded once.
    let close = json!({ "outcome": "notified", "note": "Letters mailed; HHS portal filed." });
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            Some(&auditor_later),
            close.clone(),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    let sent = Timestamp::parse_rfc3339(&discovered)
        .unwrap()
        .plus(61 * DAY)
        .to_rfc3339();
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/notices"),
            Some(&auditor_later),
            json!({ "audience": "individuals", "notified_at": sent }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(notice(&body, "individuals")["notified_at"], json!(sent));
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/notices"),
            Some(&auditor_later),
            json!({ "audience": "individuals" }),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/notices"),
            Some(&auditor_later),
            json!({ "audience": "press" }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/notices"),
            Some(&auditor_later),
            json!({ "audience": "hhs" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], json!("open"), "nothing owed any more");
    let (status, closed) = s
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            Some(&auditor_later),
            close,
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], json!("closed"));
    assert_eq!(closed["outcome"], json!("notified"));
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/notices"),
            Some(&auditor_later),
            json!({ "audience": "media" }),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (_, report) = s.get("/api/v1/compliance/report", &auditor_later).await;
    let ids = finding_ids(&report);
    assert!(
        !ids.contains(&"breach_notice_due") && !ids.contains(&"breach_notice_overdue"),
        "{ids:?}"
    );
    assert_eq!(report["evidence"]["open_incidents"], json!([]));

    // Each change reached the covered entity, the last one closed.
    let all = rx.wait_for(4).await;
    let last = all[3].json();
    assert_eq!(last["type"], json!("incident.updated"));
    assert_eq!(last["data"]["status"], json!("closed"));
    assert_eq!(last["data"]["outcome"], json!("notified"));
    assert_eq!(last["data"]["notified"]["individuals"], json!(sent));

    // The trail holds the creation, the changes and the readings, never
    // the summary.
    let trail = s.audit().await;
    let count = |action: &str| {
        trail
            .iter()
            .filter(|r| r.action.as_str() == action && r.outcome.as_str() == "success")
            .count()
    };
    assert_eq!(count("incident.create"), 1);
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "incident.create" && r.outcome.as_str() == "denied"),
        "the clinician's attempt"
    );
    assert_eq!(count("incident.update"), 3);
    assert!(count("incident.read") >= 1);
    assert!(trail.iter().all(|r| !r.detail.contains("laptop")));
    s.stop().await;
}

#[tokio::test]
async fn an_incident_that_touched_no_one_closes_on_its_risk_assessment() {
    let s = TestServer::start().await;
    let auditor = s.auditor().await;
    let (status, incident) = s
        .post(
            "/api/v1/incidents",
            Some(&auditor.token),
            json!({
                "summary": "Phishing mail clicked; password changed within minutes",
                "discovered_at": s.clock.now().to_rfc3339(),
                "ip": "203.0.113.9",
                "since": "2020-01-01T00:00:00Z",
                "until": "2100-01-01T00:00:00Z",
            }),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["affected_count"], json!(0));
    assert_eq!(incident["notices"], json!([]), "no one to tell");
    let id = incident["id"].as_str().unwrap();
    let (status, body) = s
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            Some(&auditor.token),
            json!({ "outcome": "maybe", "note": "x" }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, closed) = s
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            Some(&auditor.token),
            json!({ "outcome": "low_probability",
                    "note": "No access from that address; four-factor assessment attached." }),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["outcome"], json!("low_probability"));
    assert!(
        closed["close_note"]
            .as_str()
            .unwrap()
            .contains("four-factor")
    );
    let (status, got) = s
        .get(&format!("/api/v1/incidents/{id}"), &auditor.token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["status"], json!("closed"));
    let (status, body) = s.get("/api/v1/incidents/nope", &auditor.token).await;
    assert_problem(status, &body, 404, "not_found");
    s.stop().await;
}
