//! Issue 20, for the compliance officer: the access review lists every
//! account with its MFA, last sign-in and last activity by name, flags the
//! dormant ones, and is itself recorded.

use crate::support::{TestServer, assert_problem};
use serde_json::{Value, json};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn the_access_review_shows_every_account_and_flags_the_dormant_ones() {
    let s = TestServer::start().await;
    let ana = s.clinician("ana").await;
    let auditor = s.auditor().await;
    // Ben's account was made and never used.
    s.create_user("ben", "staff").await;

    // A quarter later ana signs in again; ben still has not.
    s.clock.advance(91 * DAY);
    let ana_now = s.second_session(&ana).await;
    let auditor_now = s.second_session(&auditor).await;
    let (status, body) = s.get("/api/v1/compliance/access-review", &ana_now).await;
    assert_problem(status, &body, 403, "forbidden");

    let (status, body) = s
        .get("/api/v1/compliance/access-review", &auditor_now)
        .await;
    assert_eq!(status, 200, "{body}");
    let account = |username: &str| -> Value {
        body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"]["username"] == json!(username))
            .cloned()
            .unwrap_or_else(|| panic!("{username} missing from {body}"))
    };
    let (ana_row, ben_row) = (account("ana"), account("ben"));
    assert_eq!(ana_row["user"]["mfa_enabled"], json!(true));
    assert_eq!(ana_row["dormant"], json!(false), "{ana_row}");
    assert!(ana_row["last_sign_in_at"].is_string(), "{ana_row}");
    assert!(ana_row["last_activity_at"].is_string());
    assert_eq!(ben_row["user"]["mfa_enabled"], json!(false));
    assert_eq!(ben_row["last_sign_in_at"], Value::Null);
    assert_eq!(ben_row["dormant"], json!(true), "{ben_row}");

    // The review is in the trail, with what it found; the clinician's
    // attempt is there as denied.
    let trail = s.audit().await;
    let reviews: Vec<_> = trail
        .iter()
        .filter(|r| r.action.as_str() == "user.read" && r.detail.contains("access-review"))
        .collect();
    assert_eq!(reviews.len(), 1);
    assert!(
        reviews[0].detail.contains("\"dormant\":1"),
        "{}",
        reviews[0].detail
    );
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "user.read" && r.outcome.as_str() == "denied")
    );
    s.stop().await;
}
