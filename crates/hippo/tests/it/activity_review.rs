//! Issue 20, the activity review: seeded patterns (bulk reads, many
//! patients, repeated denials, repeated break-glass) each raise their alert,
//! linked to the account's records; seeded normal traffic raises none; a
//! window is reviewed once; the evidence report lists the alerts until an
//! auditor reviews them.

use crate::support::{SignedIn, TestServer};
use serde_json::{Value, json};
use std::time::Duration;

async fn patient(s: &TestServer, by: &SignedIn, n: usize) -> String {
    let (status, body) = s
        .post(
            "/api/v1/patients",
            Some(&by.token),
            json!({ "display_name": format!("Patient {n}"), "phone": format!("+1555010{n:04}"), "whatsapp_opt_in": false }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn seeded_patterns_raise_their_alerts_and_normal_work_raises_none() {
    let s = TestServer::start_with(|a| {
        a.activity_bulk_reads = Some("20".into());
        a.activity_many_patients = Some("5".into());
        a.activity_denied = Some("5".into());
        a.activity_break_glass = Some("2".into());
    })
    .await;
    let [ana, bea, mallory, cat, eve] = s.clinicians(["ana", "bea", "mallory", "cat", "eve"]).await;
    let auditor = s.auditor().await;
    let ward = s.group(&ana, [&bea, &mallory], "Ward 2").await;
    let other = s.group(&ana, [&bea], "Ward 5").await;
    s.send(&ana, &ward, "obs stable").await;
    let messages = format!("/api/v1/conversations/{ward}/messages");

    // Normal work: ana reads her ward a few times, registers two patients
    // and is refused once.
    for _ in 0..5 {
        assert_eq!(s.get(&messages, &ana.token).await.0, 200);
    }
    for n in 0..2 {
        let id = patient(&s, &ana, n).await;
        assert_eq!(
            s.get(&format!("/api/v1/patients/{id}"), &ana.token).await.0,
            200
        );
    }
    assert_eq!(s.get("/api/v1/audit", &ana.token).await.0, 403);

    // Mallory reads the ward 25 times and opens six patients' records.
    for _ in 0..25 {
        assert_eq!(s.get(&messages, &mallory.token).await.0, 200);
    }
    for n in 10..16 {
        patient(&s, &mallory, n).await;
    }
    // Eve keeps trying the audit trail.
    for _ in 0..6 {
        assert_eq!(s.get("/api/v1/audit", &eve.token).await.0, 403);
    }
    // Cat breaks the glass on two conversations.
    for conv in [&ward, &other] {
        let (status, body) = s
            .post(
                &format!("/api/v1/conversations/{conv}/break-glass"),
                Some(&cat.token),
                json!({ "reason": "Covering the night shift; need the handover notes" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // The window is still open: nothing is reviewed yet.
    let review = || s.hippo.audit().review_activity();
    let round = review().await.unwrap();
    assert_eq!(round.alerts, 0, "{round:?}");

    // An hour and two minutes later the window is complete.
    s.clock.advance(Duration::from_secs(3720));
    let round = review().await.unwrap();
    assert!(round.windows >= 1, "{round:?}");
    let auditor_now = s.second_session(&auditor).await;
    let (status, body) = s.get("/api/v1/alerts?limit=1000", &auditor_now).await;
    assert_eq!(status, 200, "{body}");
    let review_alerts: Vec<&Value> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            [
                "bulk_read",
                "many_patients",
                "repeated_denials",
                "break_glass_repeated",
            ]
            .contains(&a["kind"].as_str().unwrap())
        })
        .collect();
    let of = |kind: &str| -> Vec<&Value> {
        review_alerts
            .iter()
            .copied()
            .filter(|a| a["kind"] == json!(kind))
            .collect()
    };
    let who = |a: &Value| a["detail"]["actor_id"].as_str().unwrap().to_owned();
    let bulk = of("bulk_read");
    assert_eq!(bulk.len(), 1, "{review_alerts:?}");
    assert_eq!(who(bulk[0]), mallory.id);
    assert_eq!(bulk[0]["severity"], json!("critical"));
    assert_eq!(bulk[0]["detail"]["threshold"], json!(20));
    assert!(bulk[0]["detail"]["count"].as_i64().unwrap() >= 25);
    let many = of("many_patients");
    assert_eq!(many.len(), 1, "{review_alerts:?}");
    assert_eq!(who(many[0]), mallory.id);
    assert_eq!(many[0]["detail"]["count"], json!(6));
    let denied = of("repeated_denials");
    assert_eq!(denied.len(), 1, "{review_alerts:?}");
    assert_eq!(who(denied[0]), eve.id);
    let glass = of("break_glass_repeated");
    assert_eq!(glass.len(), 1, "{review_alerts:?}");
    assert_eq!(who(glass[0]), cat.id);
    assert_eq!(review_alerts.len(), 4, "ana's normal work raised nothing");

    // Each alert links to the records: the audit query over its window
    // for its account returns them, from first_seq to last_seq.
    let d = &bulk[0]["detail"];
    let (since, until) = (d["since"].as_str().unwrap(), d["until"].as_str().unwrap());
    let (status, page) = s
        .get(
            &format!(
                "/api/v1/audit?actor_id={}&since={}&until={}&limit=1000",
                mallory.id,
                urlencoding(since),
                urlencoding(until)
            ),
            &auditor_now,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.first().unwrap()["seq"], d["first_seq"]);
    assert_eq!(events.last().unwrap()["seq"], d["last_seq"]);
    assert!(
        events
            .iter()
            .filter(|e| e["resource_id"] == json!(ward))
            .count()
            >= 25,
        "{events:?}"
    );
    // No alert carries a name, a phone number or a reason.
    let text = serde_json::to_string(&review_alerts).unwrap();
    for secret in ["mallory", "Patient", "+1555", "night shift"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // Reviewed once: the next rounds raise nothing again.
    assert_eq!(review().await.unwrap().alerts, 0);
    s.clock.advance(Duration::from_secs(3600));
    assert_eq!(review().await.unwrap().alerts, 0);

    // The evidence report lists them.
    let auditor_now = s.second_session(&auditor).await;
    let (status, report) = s.get("/api/v1/compliance/report", &auditor_now).await;
    assert_eq!(status, 200, "{report}");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == json!("security_alerts"))
        .cloned()
        .unwrap_or_else(|| panic!("no security_alerts finding: {report}"));
    assert!(
        finding["detail"].as_str().unwrap().contains("bulk_read: 1"),
        "{finding}"
    );
    assert_eq!(finding["severity"], json!("high"));
    let (status, body) = s
        .post(
            &format!("/api/v1/alerts/{}/review", bulk[0]["id"].as_str().unwrap()),
            Some(&s.second_session(&mallory).await),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // The auditor reviews every open alert; the finding is gone.
    let (_, open) = s.get("/api/v1/alerts?limit=1000", &auditor_now).await;
    for alert in open["alerts"].as_array().unwrap() {
        let review = format!("/api/v1/alerts/{}/review", alert["id"].as_str().unwrap());
        let (status, body) = s.post(&review, Some(&auditor_now), json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["reviewed_at"].is_string(), "{body}");
        assert_eq!(body["reviewed_by"], json!(auditor.id));
        let (status, _) = s.post(&review, Some(&auditor_now), json!({})).await;
        assert_eq!(status, 409);
    }
    let (status, _) = s
        .post(
            "/api/v1/alerts/no-such-alert/review",
            Some(&auditor_now),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, report) = s.get("/api/v1/compliance/report", &auditor_now).await;
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == json!("security_alerts")),
        "{report}"
    );
    assert_eq!(report["evidence"]["open_alerts"], json!([]));
    let trail = s.audit().await;
    assert!(
        trail
            .iter()
            .filter(|r| r.action.as_str() == "alert.review")
            .count()
            >= 4
    );
    s.stop().await;
}

fn urlencoding(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}
