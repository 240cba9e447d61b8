//! User administration through the API: the administrator's day.

use crate::support::{PASSWORD, TestServer, assert_problem};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn administrator_manages_accounts_end_to_end() {
    let s = TestServer::start().await;
    let (alice_id, admin, _) = s.signed_in("alice", "admin").await;

    // Create.
    let (status, body) = s
        .post("/api/v1/users", Some(&admin), json!({
            "username": "Nurse.Joy", "display_name": "Joy Pereira", "role": "clinician", "password": PASSWORD
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["username"], json!("nurse.joy"));
    assert_eq!(body["display_name"], json!("Joy Pereira"));
    assert_eq!(body["role"], json!("clinician"));
    assert_eq!(body["status"], json!("active"));
    assert_eq!(body["mfa_enabled"], json!(false));
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    let joy = body["id"].as_str().unwrap().to_owned();

    let (status, body) = s
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({ "username": "nurse.joy", "role": "staff", "password": PASSWORD }),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (status, body) = s
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({ "username": "weak", "role": "staff", "password": "password1" }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({ "username": "who", "role": "superuser", "password": PASSWORD }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // Read and list.
    let (status, body) = s.get(&format!("/api/v1/users/{joy}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], json!(joy));
    let (status, body) = s.get("/api/v1/users", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
    let (status, body) = s
        .get("/api/v1/users/00000000-0000-0000-0000-000000000000", &admin)
        .await;
    assert_problem(status, &body, 404, "not_found");

    // Change role and name.
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{joy}"),
            Some(&admin),
            Some(json!({ "role": "staff", "display_name": "Joy P." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], json!("staff"));
    assert_eq!(body["display_name"], json!("Joy P."));
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{alice_id}"),
            Some(&admin),
            Some(json!({ "role": "staff" })),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");

    // Joy signs in and works.
    let (joy_secret, joy_token) = s.enroll_and_login("nurse.joy").await;

    // Password reset: sessions end, the temporary password must be changed.
    let (status, body) = s
        .post(
            &format!("/api/v1/users/{joy}/password-reset"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let temporary = body["temporary_password"].as_str().unwrap().to_owned();
    assert!(temporary.len() >= 20);
    let (status, _) = s.get("/api/v1/me", &joy_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.clock.advance(Duration::from_secs(30));
    let code = s.code_now(&joy_secret);
    let (status, body) = s.login_raw("nurse.joy", &temporary, Some(&code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["password_change_required"], json!(true));
    let must_change = body["token"].as_str().unwrap().to_owned();
    let (status, body) = s.get("/api/v1/me/sessions", &must_change).await;
    assert_problem(status, &body, 403, "password_change_required");
    let (status, _) = s
        .post(
            "/api/v1/me/password",
            Some(&must_change),
            json!({ "current_password": temporary, "new_password": "joy-new-passphrase-9" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    s.clock.advance(Duration::from_secs(30));
    let code = s.code_now(&joy_secret);
    let (status, body) = s
        .login_raw("nurse.joy", "joy-new-passphrase-9", Some(&code))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["password_change_required"], json!(false));
    let joy_token = body["token"].as_str().unwrap().to_owned();

    // Deactivation: live session dies at once, login refused, data stays.
    let (status, _) = s
        .post(
            &format!("/api/v1/users/{joy}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s.get("/api/v1/me", &joy_token).await;
    assert_problem(status, &body, 401, "unauthenticated");
    s.clock.advance(Duration::from_secs(30));
    let code = s.code_now(&joy_secret);
    let (status, body) = s
        .login_raw("nurse.joy", "joy-new-passphrase-9", Some(&code))
        .await;
    assert_problem(status, &body, 403, "account_deactivated");
    let (status, body) = s.get(&format!("/api/v1/users/{joy}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], json!("deactivated"));
    assert_eq!(body["display_name"], json!("Joy P."));

    // Reactivation.
    let (status, _) = s
        .post(
            &format!("/api/v1/users/{joy}/reactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    s.clock.advance(Duration::from_secs(30));
    let code = s.code_now(&joy_secret);
    let (status, _) = s
        .login_raw("nurse.joy", "joy-new-passphrase-9", Some(&code))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Every step is in the trail, attributed to the administrator.
    let audit = s.audit().await;
    for action in [
        "user.create",
        "user.update",
        "user.password_reset",
        "user.password_change",
        "user.deactivate",
        "user.reactivate",
    ] {
        assert!(
            audit
                .iter()
                .any(|r| r.action.as_str() == action && r.outcome.as_str() == "success"),
            "{action}"
        );
    }
    let deactivate = audit
        .iter()
        .find(|r| r.action.as_str() == "user.deactivate")
        .unwrap();
    assert_eq!(
        deactivate.actor_id.as_ref().map(|a| a.to_string()),
        Some(alice_id)
    );
    assert_eq!(deactivate.resource_id.as_deref(), Some(joy.as_str()));
    s.stop().await;
}

#[tokio::test]
async fn only_administrators_manage_accounts_and_denials_are_audited() {
    let s = TestServer::start().await;
    let (clin_id, clinician, _) = s.signed_in("clint", "clinician").await;
    let (_, auditor, _) = s.signed_in("audrey", "auditor").await;
    for token in [&clinician, &auditor] {
        let (status, body) = s
            .post(
                "/api/v1/users",
                Some(token),
                json!({ "username": "mallory", "role": "admin", "password": PASSWORD }),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, body) = s.get("/api/v1/users", token).await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, body) = s
            .post(
                &format!("/api/v1/users/{clin_id}/deactivate"),
                Some(token),
                json!({}),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let audit = s.audit().await;
    let denied: Vec<_> = audit
        .iter()
        .filter(|r| r.outcome.as_str() == "denied")
        .collect();
    assert!(denied.iter().any(|r| r.action.as_str() == "user.create"));
    assert!(denied.iter().any(|r| r.action.as_str() == "user.deactivate"
        && r.resource_id.as_deref() == Some(clin_id.as_str())));
    s.stop().await;
}
