//! The real-time protocol on real sockets: every frame the server sends
//! and accepts matches the published AsyncAPI document; client frames
//! (`typing`, `read`) reach the use cases with the REST calls' checks;
//! bad frames get an `error` frame, floods and oversized frames a 1008
//! close.

use crate::support::{TestServer, Ws, frame_of, next_frame};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn send_frame(ws: &mut Ws, frame: &Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// Validates frames against the message payloads of the served document.
struct Schemas {
    doc: Value,
}

impl Schemas {
    async fn fetch(s: &TestServer) -> Self {
        let resp = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
            .get(s.url("/api/v1/asyncapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["asyncapi"], "3.0.0");
        assert_eq!(doc["channels"]["stream"]["address"], "/api/v1/stream");
        Self { doc }
    }

    /// Checks `frame` against the `side` message named by its `type`.
    fn check(&self, side: &str, frame: &Value) -> String {
        let kind = frame["type"].as_str().expect("a type").to_owned();
        let key = format!("{side}_{}", kind.replace('.', "_"));
        assert!(
            self.doc["components"]["messages"][&key].is_object(),
            "frame type {kind} is not in the document"
        );
        let schema = json!({
            "$ref": format!("#/components/messages/{key}/payload"),
            "components": self.doc["components"],
        });
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(frame)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{kind} frame {frame} does not match: {errors:?}"
        );
        kind
    }
}

#[tokio::test]
async fn every_frame_matches_the_published_asyncapi_document() {
    let s = TestServer::start().await;
    let schemas = Schemas::fetch(&s).await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a_id, a, b_id, b) = (
        ana.id.clone(),
        ana.token.clone(),
        ben.id.clone(),
        ben.token.clone(),
    );
    let mut sent_by_server = BTreeSet::new();
    let mut sent_by_client = BTreeSet::new();

    // Ana by header; Ben by a first `auth` frame.
    let mut wa = s.ws(Some(&a)).await;
    let mut wb = s.ws(None).await;
    let auth = json!({ "type": "auth", "token": b });
    sent_by_client.insert(schemas.check("client", &auth));
    send_frame(&mut wb, &auth).await;
    let mut sessions = Vec::new();
    for ws in [&mut wa, &mut wb] {
        let ready = frame_of(ws, "ready").await;
        sent_by_server.insert(schemas.check("server", &ready));
        sessions.push(ready["session_id"].as_str().unwrap().to_owned());
    }

    let ping = json!({ "type": "ping" });
    sent_by_client.insert(schemas.check("client", &ping));
    send_frame(&mut wa, &ping).await;
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wa, "pong").await));

    let bad = json!({ "type": "launch" });
    send_frame(&mut wa, &bad).await;
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wa, "error").await));

    let conv = s.group(&ana, [&ben], "Ward 7").await;
    let typing = json!({ "type": "typing", "conversation_id": conv });
    sent_by_client.insert(schemas.check("client", &typing));
    send_frame(&mut wb, &typing).await;
    let t = frame_of(&mut wa, "typing").await;
    assert_eq!(
        (t["conversation_id"].as_str(), t["user_id"].as_str()),
        (Some(conv.as_str()), Some(b_id.as_str()))
    );
    sent_by_server.insert(schemas.check("server", &t));

    let msg = s.send(&ana, &conv, "bed 3 needs a review").await;
    let id = msg["id"].as_str().unwrap();
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "message.created").await));
    let read = json!({ "type": "read", "conversation_id": conv, "up_to_seq": 1 });
    sent_by_client.insert(schemas.check("client", &read));
    send_frame(&mut wb, &read).await;
    loop {
        let r = frame_of(&mut wa, "receipt").await;
        sent_by_server.insert(schemas.check("server", &r));
        if r["user_id"] == json!(b_id) && r["read_at"].is_string() {
            break;
        }
    }

    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            Some(json!({ "body": "bed 4" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "message.updated").await));
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "message.deleted").await));
    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/conversations/{conv}"),
            Some(&a),
            Some(json!({ "title": "Ward 8" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sent_by_server
        .insert(schemas.check("server", &frame_of(&mut wb, "conversation.updated").await));

    // A call: ringing, answered, one signal, hung up.
    let (status, call) = s
        .post(
            &format!("/api/v1/conversations/{conv}/calls"),
            Some(&a),
            json!({ "media": "audio" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let call_id = call["id"].as_str().unwrap();
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "call.ringing").await));
    let (status, _) = s
        .post(
            &format!("/api/v1/calls/{call_id}/join"),
            Some(&b),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    loop {
        let u = frame_of(&mut wa, "call.updated").await;
        sent_by_server.insert(schemas.check("server", &u));
        if u["call"]["state"] == "active" {
            break;
        }
    }
    let signal = json!({ "type": "call.signal", "call_id": call_id, "to_session": sessions[1],
        "candidate": { "candidate": "", "sdpMid": "0" } });
    sent_by_client.insert(schemas.check("client", &signal));
    send_frame(&mut wa, &signal).await;
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "call.signal").await));
    let (status, _) = s
        .post(
            &format!("/api/v1/calls/{call_id}/leave"),
            Some(&b),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wa, "call.ended").await));

    let (status, _) = s.post("/api/v1/auth/logout", Some(&b), json!({})).await;
    assert!(status.is_success(), "{status}");
    sent_by_server.insert(schemas.check("server", &frame_of(&mut wb, "session.ended").await));
    assert!(
        next_frame(&mut wb).await.is_none(),
        "closed after session.ended"
    );

    // Every frame type of the document was seen (and so checked).
    let listed = |side: &str| -> BTreeSet<String> {
        schemas.doc["components"]["messages"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with(side))
            .map(|(_, m)| m["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(sent_by_server, listed("server_"));
    assert_eq!(sent_by_client, listed("client_"));
    let _ = a_id;
}

#[tokio::test]
async fn typing_reaches_the_others_sessions_once_per_two_seconds() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a, b) = (ana.token.clone(), ben.token.clone());
    let conv = s.group(&ana, [&ben], "Ward 7").await;
    let mut ana_phone = s.ws(Some(&a)).await;
    let mut ben = s.ws(Some(&b)).await;
    frame_of(&mut ana_phone, "ready").await;
    frame_of(&mut ben, "ready").await;
    // Ana's laptop is another session of hers.
    let a2 = s.second_session(&ana).await;
    let mut ana_laptop = s.ws(Some(&a2)).await;
    frame_of(&mut ana_laptop, "ready").await;
    // Cat is signed in but not a member.
    let cat = s.clinician("cat").await;
    let mut cat_ws = s.ws(Some(&cat.token)).await;
    frame_of(&mut cat_ws, "ready").await;
    let audited_before = s.audit().await.len();

    for _ in 0..5 {
        send_frame(
            &mut ana_laptop,
            &json!({ "type": "typing", "conversation_id": conv }),
        )
        .await;
    }
    let t = frame_of(&mut ben, "typing").await;
    assert_eq!(t["conversation_id"], json!(conv));
    let t = frame_of(&mut ana_phone, "typing").await;
    assert_eq!(
        t["conversation_id"],
        json!(conv),
        "her other session hears it too"
    );
    // The sending session hears nothing; the other four were dropped.
    send_frame(&mut ana_laptop, &json!({ "type": "ping" })).await;
    assert_eq!(next_frame(&mut ana_laptop).await.unwrap()["type"], "pong");
    for ws in [&mut ben, &mut cat_ws] {
        send_frame(ws, &json!({ "type": "ping" })).await;
        assert_eq!(
            next_frame(ws).await.unwrap()["type"],
            "pong",
            "one typing frame to members, none to others"
        );
    }
    // Two seconds later the next one goes through.
    s.clock.advance(std::time::Duration::from_secs(2));
    send_frame(
        &mut ana_laptop,
        &json!({ "type": "typing", "conversation_id": conv }),
    )
    .await;
    assert_eq!(next_frame(&mut ben).await.unwrap()["type"], "typing");
    // Typing is neither stored nor audited.
    assert_eq!(s.audit().await.len(), audited_before);
}

#[tokio::test]
async fn frames_for_someone_elses_conversation_are_refused_and_audited() {
    let s = TestServer::start().await;
    let [ana, ben, cat] = s.clinicians(["ana", "ben", "cat"]).await;
    let c = cat.token.clone();
    let conv = s.group(&ana, [&ben], "Ward 7").await;
    s.send(&ana, &conv, "private").await;
    let mut cat = s.ws(Some(&c)).await;
    frame_of(&mut cat, "ready").await;
    for frame in [
        json!({ "type": "typing", "conversation_id": conv }),
        json!({ "type": "read", "conversation_id": conv, "up_to_seq": 1 }),
    ] {
        send_frame(&mut cat, &frame).await;
        let e = frame_of(&mut cat, "error").await;
        assert_eq!(e["code"], "not_found", "{frame}");
    }
    send_frame(&mut cat, &json!({ "type": "ping" })).await;
    assert_eq!(
        frame_of(&mut cat, "pong").await["type"],
        "pong",
        "still open"
    );
    let audit = s.audit().await;
    let denied: Vec<&str> = audit
        .iter()
        .filter(|r| {
            r.outcome.as_str() == "denied" && r.resource_id.as_deref() == Some(conv.as_str())
        })
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(denied, vec!["conversation.read", "message.read"]);
    // Nothing changed: Ben's marks are untouched, and a read past the end
    // is refused like the REST call.
    let b2 = s.second_session(&ben).await;
    let mut ben = s.ws(Some(&b2)).await;
    frame_of(&mut ben, "ready").await;
    send_frame(
        &mut ben,
        &json!({ "type": "read", "conversation_id": conv, "up_to_seq": 99 }),
    )
    .await;
    assert_eq!(
        frame_of(&mut ben, "error").await["code"],
        "validation_failed"
    );
}

#[tokio::test]
async fn bad_frames_get_errors_and_floods_or_huge_frames_are_closed() {
    let s = TestServer::start().await;
    let (_, a, _) = s.signed_in("ana", "clinician").await;
    let mut ws = s.ws(Some(&a)).await;
    frame_of(&mut ws, "ready").await;
    for bad in ["{", "[]", r#"{"type":"read","conversation_id":1}"#] {
        ws.send(Message::Text(bad.into())).await.unwrap();
        let e = next_frame(&mut ws).await.unwrap();
        assert_eq!(
            (e["type"].as_str(), e["code"].as_str()),
            (Some("error"), Some("validation_failed")),
            "{bad}"
        );
    }

    // Over 64 KiB: refused and closed with 1008.
    let huge = json!({ "type": "typing", "conversation_id": "x".repeat(70 * 1024) });
    send_frame(&mut ws, &huge).await;
    assert_eq!(
        next_frame(&mut ws).await.unwrap()["code"],
        "payload_too_large"
    );
    assert_eq!(close_code(&mut ws).await, Some(1008));

    // A flood: hundreds of frames at once.
    let mut ws = s.ws(Some(&a)).await;
    frame_of(&mut ws, "ready").await;
    for _ in 0..300 {
        if ws
            .send(Message::Text(r#"{"type":"ping"}"#.into()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(close_code(&mut ws).await, Some(1008));

    // WebSocket pings count too: a tight loop of them no longer gets
    // thousands of pongs a second, it gets closed (issue 19, finding 6).
    let mut ws = s.ws(Some(&a)).await;
    frame_of(&mut ws, "ready").await;
    for _ in 0..300 {
        if ws.send(Message::Ping(b"p".to_vec().into())).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut ws).await, Some(1008));
}

/// Reads until the close frame; its code.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("close within 10 s")
        {
            Some(Ok(Message::Close(c))) => return c.map(|c| c.code.into()),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn a_session_not_fully_signed_in_gets_no_stream() {
    let s = TestServer::start().await;
    s.create_user("ana", "clinician").await;
    // First sign-in: MFA must be enrolled first, the token is limited.
    let (status, body) = s.login_raw("ana", crate::support::PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let limited = body["token"].as_str().unwrap().to_owned();
    let mut ws = s.ws(None).await;
    send_frame(&mut ws, &json!({ "type": "auth", "token": limited })).await;
    let e = next_frame(&mut ws).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("forbidden"))
    );
    assert_eq!(close_code(&mut ws).await, Some(4403));
}

#[tokio::test]
async fn a_role_change_ends_the_users_sessions_and_sockets() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let ana = s.clinician("ana").await;
    let mut ws = s.ws(Some(&ana.token)).await;
    frame_of(&mut ws, "ready").await;
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", ana.id),
            Some(&admin.token),
            Some(json!({ "role": "staff" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ended = frame_of(&mut ws, "session.ended").await;
    assert_eq!(ended["reason"], "revoked");
    let (status, _) = s.get("/api/v1/me", &ana.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = s.audit().await;
    let update = audit
        .iter()
        .rev()
        .find(|r| r.action.as_str() == "user.update")
        .unwrap();
    let detail: Value = serde_json::from_str(&update.detail).unwrap();
    assert_eq!(detail["sessions_ended"], json!(1));
}
