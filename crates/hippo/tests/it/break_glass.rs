//! Break-glass end to end: emergency read access, its records, its expiry,
//! and the auditors' review queue.

use crate::support::{TestServer, assert_problem};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn emergency_access_is_read_only_expires_and_is_reviewed() {
    let s = TestServer::start().await;
    let [ana, ben, cat_user] = s.clinicians(["ana", "ben", "cat"]).await;
    let (a, cat_id, cat) = (
        ana.token.clone(),
        cat_user.id.clone(),
        cat_user.token.clone(),
    );
    let staff = s.user("sam", "staff").await.token;
    let admin = s.admin().await.token;
    let audi = s.auditor().await;
    let auditor = audi.token.clone();
    let conv = s.group(&ana, [&ben], "Bed 4").await;
    let file_id = s
        .upload_text(&a, "allergies.txt", "penicillin: anaphylaxis 2019")
        .await;
    let file = format!("/api/v1/attachments/{file_id}");
    let (status, _) = s
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&a),
            json!({ "body": "allergic to penicillin", "attachment_ids": [file_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let messages = format!("/api/v1/conversations/{conv}/messages");
    let glass = format!("/api/v1/conversations/{conv}/break-glass");

    // Not a member: the conversation does not exist for cat.
    let (status, _) = s.get(&messages, &cat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Who may break the glass, and how.
    let reason = json!({ "reason": "Patient in bed 4 unresponsive; need allergy history now" });
    let (status, body) = s
        .post(&glass, Some(&cat), json!({ "reason": "urgent" }))
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s.post(&glass, Some(&cat), json!({})).await;
    assert_eq!(status.as_u16(), 422, "{body}");
    for token in [&staff, &admin, &auditor] {
        let (status, body) = s.post(&glass, Some(token), reason.clone()).await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let (status, body) = s.post(&glass, Some(&a), reason.clone()).await;
    assert_problem(status, &body, 409, "conflict");
    let unknown = hippo_core::ConversationId::generate();
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{unknown}/break-glass"),
            Some(&cat),
            reason.clone(),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");

    let (status, grant) = s.post(&glass, Some(&cat), reason.clone()).await;
    assert_eq!(status, StatusCode::OK, "{grant}");
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    let opened =
        hippo_core::Timestamp::parse_rfc3339(grant["opened_at"].as_str().unwrap()).unwrap();
    let expires =
        hippo_core::Timestamp::parse_rfc3339(grant["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires.since(opened), Duration::from_secs(3600));
    // Opening again while open returns the same grant.
    let (_, again) = s.post(&glass, Some(&cat), reason.clone()).await;
    assert_eq!(again["id"], json!(grant_id));

    // Read access: history and the conversation. No sending.
    let (status, page) = s.get(&messages, &cat).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["messages"][0]["body"], json!("allergic to penicillin"));
    let (status, _) = s.get(&format!("/api/v1/conversations/{conv}"), &cat).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.get(&file, &cat).await;
    assert_eq!(status, StatusCode::OK, "files shared there too");
    let (status, _) = s
        .post(&messages, Some(&cat), json!({ "body": "I was here" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every read during it is marked as break-glass access.
    let trail = s.audit().await;
    let reads: Vec<_> = trail
        .iter()
        .filter(|r| {
            r.actor_id.as_ref().map(|u| u.as_str()) == Some(cat_id.as_str())
                && r.action.as_str() == "conversation.read"
                && r.outcome.as_str() == "success"
        })
        .collect();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|r| r.detail.contains(&grant_id)));
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "attachment.download"
                && r.actor_id.as_ref().map(|u| u.as_str()) == Some(cat_id.as_str())
                && r.detail.contains(&grant_id))
    );
    assert!(trail.iter().any(|r| r.action.as_str() == "break_glass.open"
        && r.resource_id.as_deref() == Some(conv.as_str())
        && r.detail.contains(&grant_id)));
    // The reason is not in the trail (it may name the patient).
    assert!(!trail.iter().any(|r| r.detail.contains("unresponsive")));

    // It ends on its own.
    s.clock.advance(Duration::from_secs(3601));
    // (Signing in again: the idle timeout ended the old sessions too.)
    let cat = s.second_session(&cat_user).await;
    let (status, _) = s.get(&messages, &cat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get(&file, &cat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The review queue.
    let auditor = s.second_session(&audi).await;
    let (status, body) = s.get("/api/v1/break-glass", &cat).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, queue) = s.get("/api/v1/break-glass", &auditor).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let grants = queue["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["id"], json!(grant_id));
    assert_eq!(grants[0]["user_id"], json!(cat_id));
    assert_eq!(
        grants[0]["reason"],
        json!("Patient in bed 4 unresponsive; need allergy history now")
    );
    assert!(grants[0]["reviewed_at"].is_null());
    let review = format!("/api/v1/break-glass/{grant_id}/review");
    let (status, body) = s
        .post(
            &review,
            Some(&auditor),
            json!({ "note": "Confirmed with ward 4 charge nurse." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["reviewed_at"].is_string());
    assert_eq!(
        body["review_note"],
        json!("Confirmed with ward 4 charge nurse.")
    );
    let (status, body) = s
        .post(&review, Some(&auditor), json!({ "note": "again" }))
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (_, pending) = s.get("/api/v1/break-glass", &auditor).await;
    assert_eq!(pending["grants"], json!([]));
    let (_, all) = s.get("/api/v1/break-glass?status=all", &auditor).await;
    assert_eq!(all["grants"].as_array().unwrap().len(), 1);
    assert!(
        s.audit()
            .await
            .iter()
            .any(|r| r.action.as_str() == "break_glass.review"
                && r.resource_id.as_deref() == Some(grant_id.as_str()))
    );
    s.stop().await;
}
