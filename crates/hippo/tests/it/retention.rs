//! Retention and legal holds with a fake clock: old messages and their
//! files are disposed of by policy, a legal hold blocks it, and every step
//! is recorded.

use crate::support::{TestServer, assert_problem};
use hippo_service::Principal;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn old_messages_and_files_go_unless_a_legal_hold_keeps_them() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let root = s.admin().await;
    let a = ana.token.clone();
    let conv = s.group(&ana, [&ben], "Ward 9").await;
    let messages = format!("/api/v1/conversations/{conv}/messages");
    let file = s.upload_text(&a, "old.txt", "old lab values").await;
    let (status, _) = s
        .post(
            &messages,
            Some(&a),
            json!({ "body": "old", "attachment_ids": [file] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Retention per conversation, validated.
    let conv_path = format!("/api/v1/conversations/{conv}");
    let patch = |body| s.call(Method::PATCH, &conv_path, Some(&a), Some(body));
    let (status, body) = patch(json!({ "retention": "5m" })).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = patch(json!({})).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = patch(json!({ "retention": "2d" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], json!("Ward 9"), "title untouched");

    // Three days later, a new message; the old one is past retention.
    s.clock.advance(3 * DAY);
    let a = s.second_session(&ana).await;
    let admin = s.second_session(&root).await;
    let (status, _) = s.post(&messages, Some(&a), json!({ "body": "new" })).await;
    assert_eq!(status, StatusCode::CREATED);

    // A legal hold (administrators only) keeps everything.
    let hold = format!("/api/v1/conversations/{conv}/legal-hold");
    let (status, body) = s
        .post(&hold, Some(&a), json!({ "reason": "litigation" }))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let unknown = hippo_core::ConversationId::generate();
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{unknown}/legal-hold"),
            Some(&admin),
            json!({ "reason": "litigation" }),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .post(&hold, Some(&admin), json!({ "reason": "Claim 2026-114" }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let report = s
        .hippo
        .governance()
        .run_retention(Principal::System("retention"))
        .await
        .unwrap();
    assert_eq!((report.messages, report.held), (0, 1));
    let (_, page) = s.get(&messages, &a).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);

    // Hold cleared: the old message and its file go.
    let (status, _) = s.call(Method::DELETE, &hold, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s.call(Method::DELETE, &hold, Some(&admin), None).await;
    assert_problem(status, &body, 409, "conflict");
    let report = s
        .hippo
        .governance()
        .run_retention(Principal::System("retention"))
        .await
        .unwrap();
    assert_eq!(
        (report.messages, report.files, report.conversations),
        (1, 1, 1)
    );
    let (_, page) = s.get(&messages, &a).await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["new"]);
    let b = s.second_session(&ben).await;
    for token in [&a, &b] {
        let (status, _) = s.get(&format!("/api/v1/attachments/{file}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let blobs = crate::support::files_under(&s.config.data_dir.join("blobs"));
    assert!(
        blobs.iter().all(|p| !p.to_string_lossy().contains(&file)),
        "the purged file's blob is gone: {blobs:?}"
    );
    // Nothing more to do the second time.
    assert_eq!(
        s.hippo
            .governance()
            .run_retention(Principal::System("retention"))
            .await
            .unwrap()
            .messages,
        0
    );

    // Every step recorded; the trail (never purged) still verifies.
    let trail = s.audit().await;
    let purge = trail
        .iter()
        .find(|r| r.action.as_str() == "retention.purge")
        .unwrap();
    assert_eq!(purge.resource_id.as_deref(), Some(conv.as_str()));
    assert!(purge.detail.contains("\"messages\":1") && purge.detail.contains("\"files\":1"));
    for action in ["legal_hold.set", "legal_hold.clear"] {
        assert!(
            trail.iter().any(|r| r.action.as_str() == action),
            "{action}"
        );
    }
    assert!(
        !trail.iter().any(|r| r.detail.contains("Claim 2026-114")),
        "the hold's reason is not in the trail"
    );

    // The command runs too.
    let out = s.run_cli(&["retention", "run"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("messages and"));
    s.stop().await;
}

#[tokio::test]
async fn erasing_a_conversation_destroys_it_for_good() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a, b) = (ana.token.clone(), ben.token.clone());
    let admin = s.admin().await.token;
    let conv = s.group(&ana, [&ben], "Wrong patient").await;
    let keep = s.direct(&ana, &ben).await;
    let file = s.upload_text(&a, "scan.txt", "misfiled scan").await;
    s.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(&a),
        json!({ "body": "results for the wrong patient", "attachment_ids": [file] }),
    )
    .await;
    s.post(
        &format!("/api/v1/conversations/{keep}/messages"),
        Some(&a),
        json!({ "body": "unrelated" }),
    )
    .await;
    let data_key = s
        .hippo
        .store()
        .get_conversation(&hippo_core::ConversationId::parse(&conv).unwrap())
        .await
        .unwrap()
        .unwrap()
        .data_key_id;

    let erase = format!("/api/v1/conversations/{conv}/erase");
    let reason = json!({ "reason": "Patient request 2026-31" });
    let (status, body) = s.post(&erase, Some(&a), reason.clone()).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = s.post(&erase, Some(&admin), json!({ "reason": "x" })).await;
    assert_problem(status, &body, 422, "validation_failed");
    let hold = format!("/api/v1/conversations/{conv}/legal-hold");
    s.post(&hold, Some(&admin), json!({ "reason": "claim" }))
        .await;
    let (status, body) = s.post(&erase, Some(&admin), reason.clone()).await;
    assert_problem(status, &body, 409, "conflict");
    s.call(Method::DELETE, &hold, Some(&admin), None).await;

    let (status, body) = s.post(&erase, Some(&admin), reason.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = s.post(&erase, Some(&admin), reason.clone()).await;
    assert_problem(status, &body, 409, "conflict");

    // Gone for everyone; the other conversation is intact.
    for token in [&a, &b] {
        let (status, _) = s.get(&format!("/api/v1/conversations/{conv}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s.get(&format!("/api/v1/attachments/{file}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = s.get("/api/v1/conversations", token).await;
        let ids: Vec<&str> = list
            .as_array()
            .or_else(|| list["conversations"].as_array())
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![keep.as_str()]);
    }
    let (_, page) = s
        .get(&format!("/api/v1/conversations/{keep}/messages"), &b)
        .await;
    assert_eq!(page["messages"][0]["body"], json!("unrelated"));
    // The key is destroyed, so no surviving copy of the ciphertext opens.
    let key = s
        .hippo
        .store()
        .get_data_key(&data_key)
        .await
        .unwrap()
        .unwrap();
    assert!(key.wrapped.is_empty());
    assert_eq!(key.purpose, "destroyed");
    let blobs = crate::support::files_under(&s.config.data_dir.join("blobs"));
    assert!(blobs.iter().all(|p| !p.to_string_lossy().contains(&file)));
    // No emergency access to a tombstone either.
    let (_, cat, _) = s.signed_in("cat", "clinician").await;
    let (status, _) = s
        .post(
            &format!("/api/v1/conversations/{conv}/break-glass"),
            Some(&cat),
            json!({ "reason": "need to see this conversation now" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let trail = s.audit().await;
    let record = trail
        .iter()
        .find(|r| r.action.as_str() == "conversation.erase" && r.outcome.as_str() == "success")
        .unwrap();
    assert!(record.detail.contains("\"messages\":1") && record.detail.contains("\"files\":1"));
    assert!(!trail.iter().any(|r| r.detail.contains("Patient request")));
    s.stop().await;
}

#[tokio::test]
async fn uploads_never_shared_are_removed_after_a_day() {
    let s = TestServer::start().await;
    let ana = s.clinician("ana").await;
    let stale = s.upload_text(&ana.token, "stale.txt", "draft").await;
    s.clock.advance(Duration::from_secs(23 * 3600));
    let a = s.second_session(&ana).await;
    let fresh = s.upload_text(&a, "fresh.txt", "draft").await;
    s.clock.advance(Duration::from_secs(2 * 3600));
    let a = s.second_session(&ana).await;
    let report = s
        .hippo
        .governance()
        .run_retention(Principal::System("retention"))
        .await
        .unwrap();
    assert_eq!(report.unshared_files, 1);
    let (status, _) = s.get(&format!("/api/v1/attachments/{stale}"), &a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get(&format!("/api/v1/attachments/{fresh}"), &a).await;
    assert_eq!(status, StatusCode::OK);
    assert!(s.audit().await.iter().any(
        |r| r.action.as_str() == "retention.purge" && r.detail.contains("\"unshared_files\":1")
    ));
    s.stop().await;
}

/// Issue 20, integrity under hold: a sender's recall during a legal hold
/// shows members a tombstone, but the sealed body and its earlier versions
/// stay until the hold is cleared; then the recall takes full effect.
#[tokio::test]
async fn a_recall_under_legal_hold_keeps_the_original_until_the_hold_is_cleared() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let root = s.admin().await;
    let conv = s.group(&ana, [&ben], "Ward 7").await;
    let sent = s.send(&ana, &conv, "potassium 6.1, repeat").await;
    let id = sent["id"].as_str().unwrap().to_owned();
    let message = format!("/api/v1/messages/{id}");
    let (status, body) = s
        .call(
            Method::PATCH,
            &message,
            Some(&ana.token),
            Some(json!({ "body": "potassium 6.1, repeat stat" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hold = format!("/api/v1/conversations/{conv}/legal-hold");
    let (status, _) = s
        .post(
            &hold,
            Some(&root.token),
            json!({ "reason": "Claim 2026-201" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = s
        .call(Method::DELETE, &message, Some(&ana.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Members see a recalled message, nothing of its text.
    let (_, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages"),
            &ben.token,
        )
        .await;
    let shown = &page["messages"][0];
    assert_eq!(shown["id"], json!(id));
    assert_eq!(shown["deleted"], json!(true), "{shown}");
    assert!(!page.to_string().contains("potassium"), "{page}");
    // Behind the tombstone: the original and the current body, sealed.
    let message_id = hippo_core::MessageId::from_stored(id.clone());
    let kept = |s: &TestServer| {
        let store = s.hippo.store().clone();
        let message_id = message_id.clone();
        async move {
            let mut tx = store.begin_write().await.unwrap();
            tx.kept_versions(&message_id).await.unwrap()
        }
    };
    assert_eq!(kept(&s).await, 2, "both versions kept under the hold");

    // Clearing the hold completes the recall, and says so in the trail.
    let (status, _) = s.call(Method::DELETE, &hold, Some(&root.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(kept(&s).await, 0, "destroyed once the hold is cleared");
    let trail = s.audit().await;
    let recall = trail
        .iter()
        .find(|r| r.action.as_str() == "message.delete")
        .unwrap();
    assert!(
        recall.detail.contains("\"kept_under_legal_hold\":true"),
        "{}",
        recall.detail
    );
    let cleared = trail
        .iter()
        .find(|r| r.action.as_str() == "legal_hold.clear")
        .unwrap();
    assert!(
        cleared.detail.contains("\"recalled_versions_destroyed\":2"),
        "{}",
        cleared.detail
    );

    // Without a hold, a recall destroys everything at once.
    let other = s.send(&ana, &conv, "call me").await;
    let other_id = other["id"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{other_id}"),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut tx = s.hippo.store().begin_write().await.unwrap();
    let other_id = hippo_core::MessageId::from_stored(other_id.to_owned());
    assert_eq!(tx.kept_versions(&other_id).await.unwrap(), 0);
    drop(tx);
    s.stop().await;
}

/// Issue 20, integrity under hold, for files: a file of a message recalled
/// during a legal hold disappears for members but outlives the sweep of
/// unshared uploads until the hold is cleared; then the sweep takes it.
#[tokio::test]
async fn a_file_recalled_under_legal_hold_is_kept_until_the_hold_is_cleared() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let root = s.admin().await;
    let conv = s.group(&ana, [&ben], "Ward 7").await;
    let file = s
        .upload_text(&ana.token, "ecg.txt", "ST elevation V2-V4")
        .await;
    let sent = s
        .send_json(
            &ana.token,
            &conv,
            json!({ "body": "ECG attached", "attachment_ids": [file] }),
        )
        .await;
    let hold = format!("/api/v1/conversations/{conv}/legal-hold");
    let (status, _) = s
        .post(
            &hold,
            Some(&root.token),
            json!({ "reason": "Claim 2026-202" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", sent["id"].as_str().unwrap()),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .get(&format!("/api/v1/attachments/{file}"), &ben.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "members no longer reach it");

    // Two days on, the sweep of unshared uploads leaves it alone.
    s.clock.advance(Duration::from_secs(2 * 86_400));
    let governance = s.hippo.governance();
    let report = governance
        .run_retention(Principal::System("retention"))
        .await
        .unwrap();
    assert_eq!(report.unshared_files, 0);
    let id = hippo_core::AttachmentId::parse(&file).unwrap();
    assert!(s.hippo.store().get_attachment(&id).await.unwrap().is_some());

    // The hold cleared, the next sweep removes it.
    let root_now = s.second_session(&root).await;
    let (status, _) = s.call(Method::DELETE, &hold, Some(&root_now), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let report = governance
        .run_retention(Principal::System("retention"))
        .await
        .unwrap();
    assert_eq!(report.unshared_files, 1);
    assert!(s.hippo.store().get_attachment(&id).await.unwrap().is_none());
    s.stop().await;
}
