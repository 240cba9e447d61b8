//! Issue 20, the activity review's learned and flagged patterns: reads at
//! hours an account does not usually work (learned from its past weeks),
//! and reads of a VIP's or a workforce member's record from outside her
//! care team. Seeded normal work raises neither.

use crate::support::{SignedIn, TestServer};
use hippo_core::Clock;
use serde_json::{Value, json};
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;

/// Moves the clock forward to the next `hour`:05 UTC.
fn advance_to_hour(s: &TestServer, hour: i64) {
    let now = s.clock.now().as_millis();
    let day = now.div_euclid(24 * HOUR_MS) * 24 * HOUR_MS;
    let mut target = day + hour * HOUR_MS + 5 * 60_000;
    if target <= now {
        target += 24 * HOUR_MS;
    }
    s.clock
        .advance(Duration::from_millis(u64::try_from(target - now).unwrap()));
}

async fn alerts_of(s: &TestServer, auditor: &SignedIn, kind: &str) -> Vec<Value> {
    let token = s.second_session(auditor).await;
    let (status, body) = s.get("/api/v1/alerts?limit=1000", &token).await;
    assert_eq!(status, 200, "{body}");
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == json!(kind))
        .cloned()
        .collect()
}

#[tokio::test]
async fn reading_at_unusual_hours_raises_an_alert_once_the_usual_ones_are_known() {
    let s = TestServer::start().await;
    let [ana, bea, nia] = s.clinicians(["ana", "bea", "nia"]).await;
    let auditor = s.auditor().await;
    let ward = s.group(&ana, [&bea, &nia], "Ward 3").await;
    s.send(&ana, &ward, "obs stable").await;
    let messages = format!("/api/v1/conversations/{ward}/messages");

    // A week of day shifts: ana and bea read the ward around 09:00 UTC.
    for _ in 0..7 {
        advance_to_hour(&s, 9);
        for user in [&ana, &bea] {
            let token = s.second_session(user).await;
            assert_eq!(s.get(&messages, &token).await.0, 200);
        }
    }
    // At 03:00 bea reads the ward six times; nia, new, does too (no
    // baseline yet); at 09:00 ana reads as usual.
    advance_to_hour(&s, 3);
    for user in [&bea, &nia] {
        let token = s.second_session(user).await;
        for _ in 0..6 {
            assert_eq!(s.get(&messages, &token).await.0, 200);
        }
    }
    advance_to_hour(&s, 9);
    let token = s.second_session(&ana).await;
    assert_eq!(s.get(&messages, &token).await.0, 200);
    s.clock.advance(Duration::from_secs(2 * 3600));

    let round = s.hippo.audit().review_activity().await.unwrap();
    assert!(round.windows >= 20, "{round:?}");
    let late = alerts_of(&s, &auditor, "after_hours").await;
    assert_eq!(late.len(), 1, "{late:?}");
    let d = &late[0]["detail"];
    assert_eq!(d["actor_id"], json!(bea.id));
    assert_eq!(d["count"], json!(6));
    assert_eq!(d["hours_utc"], json!([3]));
    assert_eq!(late[0]["severity"], json!("warning"));
    assert!(d["first_seq"].as_i64().unwrap() <= d["last_seq"].as_i64().unwrap());
    s.stop().await;
}

#[tokio::test]
async fn reading_a_vips_or_colleagues_record_from_outside_the_care_team_raises_an_alert() {
    let s = TestServer::start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let auditor = s.auditor().await;
    let mut patients = Vec::new();
    for (n, flags) in [
        json!({ "vip": true }),
        json!({ "workforce_member": true }),
        json!({}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({
            "display_name": format!("Patient {n}"),
            "phone": format!("+1650555030{n}"),
            "whatsapp_opt_in": false,
            "member_ids": [ben.id],
        });
        for (k, v) in flags.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, p) = s.post("/api/v1/patients", Some(&ana.token), body).await;
        assert_eq!(status, 201, "{p}");
        patients.push(p);
    }
    assert_eq!(patients[0]["vip"], json!(true));
    assert_eq!(patients[1]["workforce_member"], json!(true));
    // The care team reads its flagged patients: normal.
    for p in &patients[..2] {
        let conv = p["conversation_id"].as_str().unwrap();
        s.send(&ana, conv, "seen in clinic").await;
        let (status, _) = s
            .get(
                &format!("/api/v1/conversations/{conv}/messages"),
                &ben.token,
            )
            .await;
        assert_eq!(status, 200);
    }
    // Cat, not on any of the care teams, breaks the glass on all three.
    for p in &patients {
        let conv = p["conversation_id"].as_str().unwrap();
        let (status, body) = s
            .post(
                &format!("/api/v1/conversations/{conv}/break-glass"),
                Some(&cat.token),
                json!({ "reason": "Patient in the emergency department now" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = s
            .get(
                &format!("/api/v1/conversations/{conv}/messages"),
                &cat.token,
            )
            .await;
        assert_eq!(status, 200);
    }
    s.clock.advance(Duration::from_secs(3720));
    s.hippo.audit().review_activity().await.unwrap();

    let flagged = alerts_of(&s, &auditor, "flagged_patient_access").await;
    let mut seen: Vec<(String, String)> = flagged
        .iter()
        .map(|a| {
            let d = &a["detail"];
            (
                d["actor_id"].as_str().unwrap().to_owned(),
                d["patient_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut want = vec![
        (
            cat.id.clone(),
            patients[0]["id"].as_str().unwrap().to_owned(),
        ),
        (
            cat.id.clone(),
            patients[1]["id"].as_str().unwrap().to_owned(),
        ),
    ];
    want.sort();
    assert_eq!(
        seen, want,
        "the care team and the unflagged patient raise none"
    );
    assert!(
        flagged[0]["detail"]["count"].as_i64().unwrap() >= 2,
        "open and read"
    );

    // Unflagging stops it: the next window's reads raise nothing.
    let vip = patients[0]["id"].as_str().unwrap();
    let ana_now = s.second_session(&ana).await;
    let (status, body) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/patients/{vip}"),
            Some(&ana_now),
            Some(json!({ "vip": false })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["vip"], json!(false));
    let cat_now = s.second_session(&cat).await;
    let conv = patients[0]["conversation_id"].as_str().unwrap();
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{conv}/break-glass"),
            Some(&cat_now),
            json!({ "reason": "Patient back in the emergency department" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &cat_now)
        .await;
    assert_eq!(status, 200);
    s.clock.advance(Duration::from_secs(3720));
    s.hippo.audit().review_activity().await.unwrap();
    assert_eq!(
        alerts_of(&s, &auditor, "flagged_patient_access")
            .await
            .len(),
        2,
        "no longer a VIP"
    );
    s.stop().await;
}
