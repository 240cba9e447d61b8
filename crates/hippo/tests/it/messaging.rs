//! Conversations, messages, receipts and the real-time stream, as two or
//! three clinicians on real sockets would use them.

use crate::support::{TestServer, assert_problem, frame_of, next_frame};
use futures_util::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn only_members_see_a_conversation() {
    let s = TestServer::start().await;
    let (a_id, a, _) = s.signed_in("ana", "clinician").await;
    let (b_id, b, _) = s.signed_in("ben", "clinician").await;
    let (_, c, _) = s.signed_in("cat", "clinician").await;
    let admin = s.admin().await.token;
    let auditor = s.auditor().await.token;

    let (status, body) = s
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "group", "title": "Ward 7 night", "member_ids": [b_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], json!("group"));
    assert_eq!(body["title"], json!("Ward 7 night"));
    let members: Vec<&str> = body["member_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(members, vec![a_id.as_str(), b_id.as_str()]);
    let conv = body["id"].as_str().unwrap().to_owned();
    s.send_json(&a, &conv, json!({ "body": "bed 3 needs a review" }))
        .await;

    let (status, body) = s.get("/api/v1/conversations", &b).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["conversations"][0]["id"], json!(conv));
    // Outsiders: the conversation does not exist for them.
    let (status, body) = s.get(&format!("/api/v1/conversations/{conv}"), &c).await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &c)
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&c),
            json!({ "body": "hi" }),
        )
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (_, body) = s.get("/api/v1/conversations", &c).await;
    assert_eq!(body["conversations"], json!([]));
    // Administrators and auditors never read content.
    for token in [&admin, &auditor] {
        let (status, body) = s
            .get(&format!("/api/v1/conversations/{conv}/messages"), token)
            .await;
        assert_problem(status, &body, 403, "forbidden");
        let (status, body) = s.get("/api/v1/conversations", token).await;
        assert_problem(status, &body, 403, "forbidden");
    }
    let audit = s.audit().await;
    assert!(audit.iter().any(|r| r.outcome.as_str() == "denied"
        && r.action.as_str() == "conversation.read"
        && r.resource_id.as_deref() == Some(conv.as_str())));

    // Invalid shapes.
    let (status, body) = s
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "direct", "member_ids": [] }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "chat", "member_ids": [b_id] }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "group", "member_ids": ["00000000-0000-0000-0000-000000000000"] }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");
    s.stop().await;
}

#[tokio::test]
async fn messages_have_gapless_seq_idempotent_retries_edits_and_recalls() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a_id, a, b) = (ana.id.clone(), ana.token.clone(), ben.token.clone());
    let conv = s.direct(&ana, &ben).await;

    let first = s
        .send_json(
            &a,
            &conv,
            json!({ "body": "Patient in 4B: BP 90/60", "client_id": "c-1", "priority": "urgent" }),
        )
        .await;
    assert_eq!(first["seq"], json!(1));
    assert_eq!(first["priority"], json!("urgent"));
    assert_eq!(first["sender_id"], json!(a_id));
    assert_eq!(first["channel"], json!("hippo"));
    assert_eq!(first["channel_status"], Value::Null);
    assert_eq!(first["deleted"], json!(false));
    // A retry returns the first message, never a duplicate.
    let retry = s
        .send_json(
            &a,
            &conv,
            json!({ "body": "Patient in 4B: BP 90/60", "client_id": "c-1" }),
        )
        .await;
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["seq"], json!(1));

    // Concurrent senders: seq stays 1, 2, 3… with no gaps.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (client, url, token) = (
            s.client.clone(),
            s.url(&format!("/api/v1/conversations/{conv}/messages")),
            if i % 2 == 0 { a.clone() } else { b.clone() },
        );
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "body": format!("m{i}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::CREATED);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (status, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages?after_seq=0&limit=500"),
            &b,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=21).collect::<Vec<_>>());
    assert_eq!(page["next_after_seq"], json!(21));

    // Pagination.
    let (_, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages?after_seq=5&limit=3"),
            &b,
        )
        .await;
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![6, 7, 8]);
    assert_eq!(page["next_after_seq"], json!(8));
    let (_, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages?after_seq=21"),
            &b,
        )
        .await;
    assert_eq!(page["messages"], json!([]));
    assert_eq!(page["next_after_seq"], json!(21));
    for bad in ["after_seq=-1", "after_seq=abc", "limit=0", "limit=100000"] {
        let (status, body) = s
            .get(&format!("/api/v1/conversations/{conv}/messages?{bad}"), &b)
            .await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    for bad in [
        json!({ "body": "" }),
        json!({ "body": "   " }),
        json!({ "body": "x", "priority": "asap" }),
        json!({ "body": "x", "client_id": "" }),
    ] {
        let (status, body) = s
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(&a),
                bad,
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
    }

    // Edit: sender only; the new body shows, edited_at is set.
    let id = first["id"].as_str().unwrap();
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(&b),
            Some(json!({ "body": "hijack" })),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, edited) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            Some(json!({ "body": "Patient in 4B: BP 95/60" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["body"], json!("Patient in 4B: BP 95/60"));
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["seq"], json!(1));

    // Recall: content gone, tombstone stays in place.
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{id}"),
            Some(&b),
            None,
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages?limit=1"),
            &b,
        )
        .await;
    assert_eq!(page["messages"][0]["seq"], json!(1));
    assert_eq!(page["messages"][0]["deleted"], json!(true));
    assert_eq!(page["messages"][0]["body"], Value::Null);
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            Some(json!({ "body": "again" })),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");
    let (status, body) = s
        .call(Method::DELETE, "/api/v1/messages/not-an-id", Some(&a), None)
        .await;
    assert_problem(status, &body, 404, "not_found");

    let audit = s.audit().await;
    for action in [
        "conversation.create",
        "message.send",
        "message.edit",
        "message.delete",
        "conversation.read",
    ] {
        assert!(
            audit
                .iter()
                .any(|r| r.action.as_str() == action && r.outcome.as_str() == "success"),
            "{action}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn receipts_and_membership_changes() {
    let s = TestServer::start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let (a, b_id, b, c_id, c) = (
        ana.token.clone(),
        ben.id.clone(),
        ben.token.clone(),
        cat.id.clone(),
        cat.token.clone(),
    );
    let conv = s.group(&ana, [&ben], "Ward 7").await;
    let m1 = s.send_json(&a, &conv, json!({ "body": "one" })).await;
    s.send_json(&a, &conv, json!({ "body": "two" })).await;
    let id1 = m1["id"].as_str().unwrap();

    let (_, r) = s.get(&format!("/api/v1/messages/{id1}/receipts"), &a).await;
    assert_eq!(
        r["receipts"],
        json!([{ "user_id": b_id, "delivered_at": null, "read_at": null }])
    );
    // Fetching delivers; reading marks read.
    s.clock.advance(Duration::from_secs(5));
    s.get(&format!("/api/v1/conversations/{conv}/messages"), &b)
        .await;
    let (_, r) = s.get(&format!("/api/v1/messages/{id1}/receipts"), &a).await;
    assert!(r["receipts"][0]["delivered_at"].is_string(), "{r}");
    assert_eq!(r["receipts"][0]["read_at"], Value::Null);
    let (status, _) = s
        .post(
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&b),
            json!({ "up_to_seq": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, r) = s.get(&format!("/api/v1/messages/{id1}/receipts"), &a).await;
    assert!(r["receipts"][0]["read_at"].is_string(), "{r}");
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&b),
            json!({ "up_to_seq": 99 }),
        )
        .await;
    assert_problem(status, &body, 422, "validation_failed");

    // Add and remove a member: access starts and ends with membership.
    let (status, body) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &c)
        .await;
    assert_problem(status, &body, 404, "not_found");
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{conv}/members"),
            Some(&a),
            json!({ "user_id": c_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member_ids"].as_array().unwrap().len(), 3);
    let (status, page) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &c)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/conversations/{conv}/members/{c_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s
        .get(&format!("/api/v1/conversations/{conv}/messages"), &c)
        .await;
    assert_problem(status, &body, 404, "not_found");
    // Titles.
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/conversations/{conv}"),
            Some(&b),
            Some(json!({ "title": "Discharge planning" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], json!("Discharge planning"));
    s.stop().await;
}

#[tokio::test]
async fn live_delivery_receipts_and_session_end_over_websockets() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a, b_id, b) = (ana.token.clone(), ben.id.clone(), ben.token.clone());
    let conv = s.direct(&ana, &ben).await;

    // Header auth for ana, first-frame auth for ben.
    let mut wa = s.ws(Some(&a)).await;
    assert_eq!(frame_of(&mut wa, "ready").await["type"], json!("ready"));
    let mut wb = s.ws(None).await;
    wb.send(tokio_tungstenite::tungstenite::Message::Text(
        json!({ "type": "auth", "token": b }).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(frame_of(&mut wb, "ready").await["user_id"], json!(b_id));

    let sent = s
        .send_json(&a, &conv, json!({ "body": "are you free for a consult?" }))
        .await;
    let got = frame_of(&mut wb, "message.created").await;
    assert_eq!(got["message"]["id"], sent["id"]);
    assert_eq!(got["message"]["body"], json!("are you free for a consult?"));
    // The sender's own sessions hear it too.
    assert_eq!(
        frame_of(&mut wa, "message.created").await["message"]["id"],
        sent["id"]
    );
    // Pushing to ben's socket counts as delivered: ana sees the receipt live.
    let receipt = frame_of(&mut wa, "receipt").await;
    assert_eq!(receipt["user_id"], json!(b_id));
    assert_eq!(receipt["message_id"], sent["id"]);
    assert!(receipt["delivered_at"].is_string());

    // Edits and recalls arrive live.
    let id = sent["id"].as_str().unwrap();
    s.call(
        Method::PATCH,
        &format!("/api/v1/messages/{id}"),
        Some(&a),
        Some(json!({ "body": "free now?" })),
    )
    .await;
    assert_eq!(
        frame_of(&mut wb, "message.updated").await["message"]["body"],
        json!("free now?")
    );
    s.call(
        Method::DELETE,
        &format!("/api/v1/messages/{id}"),
        Some(&a),
        None,
    )
    .await;
    assert_eq!(
        frame_of(&mut wb, "message.deleted").await["message_id"],
        json!(id)
    );

    // Logout closes ben's socket with a reason.
    s.call(Method::POST, "/api/v1/auth/logout", Some(&b), None)
        .await;
    let ended = frame_of(&mut wb, "session.ended").await;
    assert_eq!(ended["reason"], json!("logout"));
    assert!(
        next_frame(&mut wb).await.is_none(),
        "socket closes after session.ended"
    );
    s.stop().await;
}

#[tokio::test]
async fn sockets_close_on_deactivation_expiry_and_bad_auth_and_reconnect_misses_nothing() {
    let s = TestServer::start().await;
    let root = s.admin().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a, b_id, b) = (ana.token.clone(), ben.id.clone(), ben.token.clone());
    let conv = s.direct(&ana, &ben).await;

    // Garbage first frame: an error and a clean close.
    let mut bad = s.ws(None).await;
    bad.send(tokio_tungstenite::tungstenite::Message::Text(
        "{\"type\":\"auth\",\"token\":\"nope\"}".into(),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_frame(&mut bad).await.unwrap()["code"],
        json!("unauthenticated")
    );
    assert!(next_frame(&mut bad).await.is_none());

    // Reconnect without gap: ben is offline while ana sends, then resumes.
    let mut wb = s.ws(Some(&b)).await;
    frame_of(&mut wb, "ready").await;
    let m1 = s.send_json(&a, &conv, json!({ "body": "one" })).await;
    let last_seen = frame_of(&mut wb, "message.created").await["message"]["seq"]
        .as_i64()
        .unwrap();
    assert_eq!(last_seen, m1["seq"].as_i64().unwrap());
    drop(wb);
    for i in 2..=5 {
        s.send_json(&a, &conv, json!({ "body": format!("msg {i}") }))
            .await;
    }
    let (_, page) = s
        .get(
            &format!("/api/v1/conversations/{conv}/messages?after_seq={last_seen}"),
            &b,
        )
        .await;
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![2, 3, 4, 5]);

    // Idle expiry ends the session everywhere, sockets included.
    let mut wb = s.ws(Some(&b)).await;
    frame_of(&mut wb, "ready").await;
    s.clock.advance(Duration::from_secs(16 * 60));
    assert!(s.hippo.auth().sweep_expired_sessions().await.unwrap() >= 1);
    assert_eq!(
        frame_of(&mut wb, "session.ended").await["reason"],
        json!("expired")
    );

    // Deactivation closes every socket of the user at once.
    let b2 = s.second_session(&ben).await;
    let mut wb = s.ws(Some(&b2)).await;
    frame_of(&mut wb, "ready").await;
    let admin = s.login_with_code("root", &root.secret).await;
    let (status, _) = s
        .post(
            &format!("/api/v1/users/{b_id}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        frame_of(&mut wb, "session.ended").await["reason"],
        json!("deactivated")
    );
    s.stop().await;
}

#[tokio::test]
async fn sockets_close_when_another_process_ends_the_session() {
    let s = TestServer::start().await;
    let (b_id, b, _) = s.signed_in("ben", "clinician").await;
    let mut wb = s.ws(Some(&b)).await;
    frame_of(&mut wb, "ready").await;
    // As `hippo user deactivate` from the shell (or another node) would:
    // straight in the database, no in-process event.
    let user = hippo_core::UserId::parse(&b_id).unwrap();
    let mut tx = s.hippo.store().begin_write().await.unwrap();
    let ended = tx
        .end_user_sessions(
            &user,
            None,
            hippo_core::Timestamp::from_millis(crate::support::START),
            "deactivated",
            true,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(
        frame_of(&mut wb, "session.ended").await["reason"],
        json!("deactivated")
    );
    assert!(next_frame(&mut wb).await.is_none());
    s.stop().await;
}
