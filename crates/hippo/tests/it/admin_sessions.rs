//! Administrators and other users' sign-in sessions: list one user's,
//! end them all without deactivating her (her sockets get `session.ended`
//! with reason `revoked`), the organisation-wide sign-out that spares only
//! the caller's current session and never API keys, refusals recorded, and
//! the same from the shell (`hippo user sessions|revoke-sessions`).

use crate::support::{SignedIn, TestServer, assert_problem, frame_of, next_frame};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn denied(s: &TestServer, action: &str, actor: &str) -> usize {
    s.audit()
        .await
        .iter()
        .filter(|r| {
            r.action.as_str() == action
                && r.outcome.as_str() == "denied"
                && r.actor_id.as_ref().map(|a| a.as_str()) == Some(actor)
        })
        .count()
}

/// A service account with an API key: the key.
async fn service_key(s: &TestServer, admin: &str) -> String {
    let erp = s.create_user("erp", "service").await;
    let (status, created) = s
        .post(
            &format!("/api/v1/users/{erp}/api-keys"),
            Some(admin),
            json!({ "name": "ERP bridge" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_ends_one_users_sign_ins_and_her_sockets_close() {
    let s = TestServer::start().await;
    let root = s.admin().await;
    let [ana, ben]: [SignedIn; 2] = s.clinicians(["ana", "ben"]).await;
    let laptop = s.second_session(&ana).await;
    let mut ws = s.ws(Some(&laptop)).await;
    frame_of(&mut ws, "ready").await;

    // Both sign-ins listed, without tokens.
    let (status, list) = s
        .get(&format!("/api/v1/users/{}/sessions", ana.id), &root.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids(&list).len(), 2, "{list}");
    for session in list["sessions"].as_array().unwrap() {
        assert_eq!(session["user_id"], json!(ana.id));
        assert!(session["expires_at"].is_string() && session["last_seen_at"].is_string());
        assert!(session["ip"].is_string(), "{session}");
    }
    assert!(!list.to_string().contains(&laptop) && !list.to_string().contains(&ana.token));

    // Not for clinicians: refused and recorded.
    let before = denied(&s, "user.read", &ana.id).await;
    let (status, body) = s
        .get(&format!("/api/v1/users/{}/sessions", ben.id), &ana.token)
        .await;
    assert_problem(status, &body, 403, "forbidden");
    assert_eq!(denied(&s, "user.read", &ana.id).await, before + 1);
    let before = denied(&s, "session.revoke", &ana.id).await;
    let (status, body) = s
        .post(
            &format!("/api/v1/users/{}/sessions/revoke", ben.id),
            Some(&ana.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 403, "forbidden");
    assert_eq!(denied(&s, "session.revoke", &ana.id).await, before + 1);

    // Administrators end their own sessions through /me/sessions.
    let (status, body) = s
        .post(
            &format!("/api/v1/users/{}/sessions/revoke", root.id),
            Some(&root.token),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 409, "conflict");

    let (status, body) = s
        .post(
            &format!("/api/v1/users/{}/sessions/revoke", ana.id),
            Some(&root.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "sessions_ended": 2 }));
    let ended = frame_of(&mut ws, "session.ended").await;
    assert_eq!(ended["reason"], json!("revoked"));
    assert!(next_frame(&mut ws).await.is_none(), "the socket closes");
    for token in [&ana.token, &laptop] {
        let (status, body) = s.get("/api/v1/me", token).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    // Ben is untouched; ana's account stays active and she signs in again.
    assert_eq!(s.get("/api/v1/me", &ben.token).await.0, StatusCode::OK);
    let again = s.login_after_step("ana", &ana.secret).await;
    let (status, me) = s.get("/api/v1/me", &again).await;
    assert_eq!((status, &me["status"]), (StatusCode::OK, &json!("active")));
    let (_, list) = s
        .get(&format!("/api/v1/users/{}/sessions", ana.id), &root.token)
        .await;
    assert_eq!(ids(&list).len(), 1, "only the new sign-in: {list}");

    let trail = s.audit().await;
    let revoke = trail
        .iter()
        .find(|r| r.action.as_str() == "session.revoke" && r.outcome.as_str() == "success")
        .unwrap();
    assert_eq!(revoke.resource_id.as_deref(), Some(ana.id.as_str()));
    assert_eq!(
        revoke.actor_id.as_ref().map(|a| a.as_str()),
        Some(root.id.as_str())
    );
    assert!(
        revoke.detail.contains(r#""sessions_ended":2"#),
        "{}",
        revoke.detail
    );
    assert!(trail.iter().any(|r| r.action.as_str() == "user.read"
        && r.resource_id.as_deref() == Some(ana.id.as_str())
        && r.detail.contains(r#""sessions_listed":2"#)));
    s.stop().await;
}

#[tokio::test]
async fn revoke_all_ends_every_sign_in_but_the_callers_and_keys_keep_working() {
    let s = TestServer::start().await;
    let root = s.admin().await;
    let root_laptop = s.second_session(&root).await;
    let [ana, ben]: [SignedIn; 2] = s.clinicians(["ana", "ben"]).await;
    let key = service_key(&s, &root.token).await;
    let mut ws = s.ws(Some(&ana.token)).await;
    frame_of(&mut ws, "ready").await;
    let mut key_ws = s.ws(Some(&key)).await;
    frame_of(&mut key_ws, "ready").await;
    let (_, mine) = s.get("/api/v1/me/sessions", &root.token).await;
    let current = mine["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["current"] == json!(true))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let before = denied(&s, "session.revoke", &ben.id).await;
    let (status, body) = s
        .post("/api/v1/sessions/revoke-all", Some(&ben.token), json!({}))
        .await;
    assert_problem(status, &body, 403, "forbidden");
    assert_eq!(denied(&s, "session.revoke", &ben.id).await, before + 1);

    let (status, body) = s
        .post("/api/v1/sessions/revoke-all", Some(&root.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // ana, ben and root's other session; not root's current one, not the key.
    assert_eq!(body, json!({ "sessions_ended": 3 }));
    assert_eq!(
        frame_of(&mut ws, "session.ended").await["reason"],
        json!("revoked")
    );
    for token in [&ana.token, &ben.token, &root_laptop] {
        let (status, body) = s.get("/api/v1/me", token).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    assert_eq!(s.get("/api/v1/me", &root.token).await.0, StatusCode::OK);
    let (status, me) = s.get("/api/v1/me", &key).await;
    assert_eq!(status, StatusCode::OK, "keys are not sign-ins: {me}");
    // The key's socket is still open: it answers a ping.
    {
        use futures_util::SinkExt;
        key_ws
            .send(tokio_tungstenite::tungstenite::Message::Text(
                json!({ "type": "ping" }).to_string().into(),
            ))
            .await
            .unwrap();
        frame_of(&mut key_ws, "pong").await;
    }

    let trail = s.audit().await;
    let all = trail
        .iter()
        .find(|r| r.action.as_str() == "session.revoke" && r.outcome.as_str() == "success")
        .unwrap();
    assert!(
        all.detail.contains(r#""scope":"all""#) && all.detail.contains(r#""sessions_ended":3"#),
        "{}",
        all.detail
    );
    assert_eq!(
        all.session_id.as_ref().map(|x| x.as_str()),
        Some(current.as_str())
    );
    let (_, left) = s.get("/api/v1/me/sessions", &root.token).await;
    assert_eq!(
        ids(&left),
        vec![current],
        "only the caller's current session"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_cli_lists_and_ends_sign_ins() {
    let s = TestServer::start().await;
    // The CLI reads the wall clock: bring the server's fake clock to it so
    // sessions look live from both.
    s.clock
        .set(hippo_core::Clock::now(&hippo_core::SystemClock));
    let root = s.admin().await;
    let [ana, ben]: [SignedIn; 2] = s.clinicians(["ana", "ben"]).await;
    let laptop = s.second_session(&ana).await;
    let key = service_key(&s, &root.token).await;
    let mut ws = s.ws(Some(&laptop)).await;
    frame_of(&mut ws, "ready").await;
    let (_, mine) = s.get("/api/v1/me/sessions", &ana.token).await;

    let out = s.run_cli(&["user", "sessions", "ana"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("last seen") && table.contains("expires"),
        "{table}"
    );
    for id in ids(&mine) {
        assert!(table.contains(&id), "{table}");
    }
    assert!(!table.contains(&ana.token) && !table.contains(&laptop));

    let out = s.run_cli(&["user", "revoke-sessions", "ana"]).await;
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("ended 2"), "{said}");
    // Ended in another process: this server's reconciler closes the socket.
    assert_eq!(
        frame_of(&mut ws, "session.ended").await["reason"],
        json!("revoked")
    );
    let (status, body) = s.get("/api/v1/me", &ana.token).await;
    assert_problem(status, &body, 401, "unauthenticated");
    assert_eq!(s.get("/api/v1/me", &ben.token).await.0, StatusCode::OK);

    // Neither a user nor --all, or both: refused before anything happens.
    for args in [
        vec!["user", "revoke-sessions"],
        vec!["user", "revoke-sessions", "ben", "--all"],
    ] {
        let out = s.run_cli(&args).await;
        assert!(!out.status.success(), "{args:?}");
    }
    assert_eq!(s.get("/api/v1/me", &ben.token).await.0, StatusCode::OK);
    let out = s.run_cli(&["user", "sessions", "nobody"]).await;
    assert!(!out.status.success());

    // The operator has no session of its own: every sign-in ends.
    let out = s.run_cli(&["user", "revoke-sessions", "--all"]).await;
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("ended 2"), "ben and root: {said}");
    for token in [&ben.token, &root.token] {
        let (status, body) = s.get("/api/v1/me", token).await;
        assert_problem(status, &body, 401, "unauthenticated");
    }
    assert_eq!(s.get("/api/v1/me", &key).await.0, StatusCode::OK);

    let revokes: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action.as_str() == "session.revoke" && r.outcome.as_str() == "success")
        .collect();
    assert_eq!(revokes.len(), 2);
    assert!(revokes.iter().all(|r| r.detail.contains(r#""via":"cli""#)));
    assert_eq!(revokes[0].resource_id.as_deref(), Some(ana.id.as_str()));
    assert!(revokes[1].detail.contains(r#""scope":"all""#));
    s.stop().await;
}
